/*
 * custody_state.c - custody state names (custody_state.h).
 */
#include "custody_state.h"

#include <string.h>

static const char *const state_names[CS_COUNT] = { "issued",	  "stored",    "collected",
						   "transferred", "withdrawn", "destroyed" };

const char *
custody_state_name(enum custody_state s)
{
	return (unsigned)s < CS_COUNT ? state_names[s] : "?";
}

int
custody_state_from_name(const char *s)
{
	for (int i = 0; s && i < CS_COUNT; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}
