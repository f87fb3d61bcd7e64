/*
 * webui.h - the station dashboard in cetakd (web/station.c over web/server.c).
 */
#ifndef CETAK_WEBUI_H
#define CETAK_WEBUI_H

#include <jansson.h>

struct cetakd;
struct webui;

/* Serve the dashboard when web.enabled. 0 (also when it could not be served:
 * the reason is in the journal and the line prints on), -1 out of memory. */
int webui_start(struct cetakd *d, struct webui **ret);
/* Answer what waits (503) and stop serving. NULL is fine. */
void webui_stop(struct webui *w);
/* For `cetakctl status`: the address, sessions and counters; null when off. */
json_t *webui_status(struct webui *w);

#endif
