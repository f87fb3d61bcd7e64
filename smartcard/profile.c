/*
 * profile.c - load a card profile (libconfig).
 */
#define _GNU_SOURCE
#include "profile.h"
#include "lds.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

long
profile_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n >= max)
			return -1;
		char b[3] = { s[0], s[1], 0 };
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		s += 2;
	}
	return (long)n;
}

static int
perr(FILE *errs, const char *path, const config_setting_t *s, const char *what)
{
	fprintf(errs, "%s:%u: %s\n", path, s ? config_setting_source_line(s) : 0, what);
	return -EINVAL;
}

/* key = "hex bytes"; an absent optional key leaves *ret_len 0. */
static int
hex_setting(FILE *errs, const char *path, config_setting_t *g, const char *key, uint8_t *out,
	    size_t max, size_t *ret_len, bool optional)
{
	const char *s;
	char what[128];

	if (!config_setting_lookup_string(g, key, &s)) {
		if (optional && !config_setting_lookup(g, key))
			return 0;
		snprintf(what, sizeof(what), "profile needs %s = \"hex bytes\";", key);
		return perr(errs, path, g, what);
	}
	long n = profile_hex(s, out, max);
	if (n <= 0) {
		snprintf(what, sizeof(what),
			 "'%s' must be hex bytes, e.g. \"A0 00 00 02 47 10 01\"", key);
		return perr(errs, path, config_setting_lookup(g, key), what);
	}
	*ret_len = (size_t)n;
	return 0;
}

int
profile_load(const char *path, FILE *errs, struct card_profile *ret)
{
	config_t lc;
	config_setting_t *p, *files;
	const char *s;
	int v, r = -EINVAL;

	memset(ret, 0, sizeof(*ret));
	config_init(&lc);
	if (!config_read_file(&lc, path)) {
		fprintf(errs, "%s:%d: %s\n", path, config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	p = config_lookup(&lc, "profile");
	if (!p || !config_setting_is_group(p)) {
		perr(errs, path, NULL, "no 'profile = { ... };' group");
		goto out;
	}
	if (config_setting_lookup_string(p, "name", &s))
		snprintf(ret->name, sizeof(ret->name), "%s", s);
	uint8_t sfid[2], tag[1];
	size_t n = 0;
	if (hex_setting(errs, path, p, "aid", ret->aid, sizeof(ret->aid), &ret->aid_len, false) <
		    0 ||
	    hex_setting(errs, path, p, "serial_apdu", ret->serial_apdu, sizeof(ret->serial_apdu),
			&ret->serial_len, true) < 0 ||
	    hex_setting(errs, path, p, "lock_apdu", ret->lock_apdu, sizeof(ret->lock_apdu),
			&ret->lock_len, true) < 0 ||
	    hex_setting(errs, path, p, "serial_file", sfid, 2, &n, true) < 0)
		goto out;
	if (n) {
		if (n != 2 || hex_setting(errs, path, p, "serial_tag", tag, 1, &n, false) < 0 ||
		    n != 1) {
			perr(errs, path, p,
			     "serial_file needs 2 bytes (\"2F02\") and serial_tag 1 (\"5A\")");
			goto out;
		}
		ret->serial_fid = (uint16_t)(sfid[0] << 8 | sfid[1]);
		ret->serial_tag = tag[0];
	}
	if (!ret->serial_fid && !ret->serial_len) {
		perr(errs, path, p,
		     "a contact card's serial needs serial_file = \"2F02\"; serial_tag = \"5A\"; "
		     "or serial_apdu");
		goto out;
	}
	config_setting_lookup_bool(p, "create_app", &ret->create_app);
	ret->finish = FINISH_ACTIVATE;
	if (config_setting_lookup_string(p, "finish", &s)) {
		if (strcmp(s, "lock") == 0)
			ret->finish = FINISH_LOCK;
		else if (strcmp(s, "activate") != 0) {
			perr(errs, path, config_setting_lookup(p, "finish"),
			     "'finish' must be \"activate\" (ACTIVATE FILE) or \"lock\" "
			     "(lock_apdu)");
			goto out;
		}
	}
	if (ret->finish == FINISH_LOCK && !ret->lock_len) {
		perr(errs, path, p, "finish = \"lock\" needs lock_apdu = \"hex bytes\";");
		goto out;
	}
	config_setting_t *sam = config_setting_lookup(p, "sam");
	if (sam) {
		if (!config_setting_is_group(sam) ||
		    hex_setting(errs, path, sam, "aid", ret->sam_aid, sizeof(ret->sam_aid),
				&ret->sam_aid_len, false) < 0)
			goto out;
		if (!config_setting_lookup_string(sam, "secure_messaging", &s) ||
		    strcmp(s, "aes-128") != 0) {
			perr(errs, path, sam,
			     "sam.secure_messaging must be \"aes-128\" (ICAO 9303-11 secure "
			     "messaging; docs/card-profile.md)");
			goto out;
		}
		ret->sam = 1;
	}
	static const struct {
		const char *key;
		long min, max, def;
	} fitting[] = {
		{ "capacity", 0, 16 * 1024 * 1024, 0 },	 { "sod_reserve", 256, 8192, 1536 },
		{ "photo_max_height", 0, 4096, 320 },	 { "photo_min_quality", 10, 90, 40 },
		{ "signature_max_width", 0, 4096, 400 },
	};
	long fv[5];
	for (size_t k = 0; k < 5; k++) {
		int iv;
		fv[k] = fitting[k].def;
		if (!config_setting_lookup(p, fitting[k].key))
			continue;
		if (!config_setting_lookup_int(p, fitting[k].key, &iv) || iv < fitting[k].min ||
		    iv > fitting[k].max) {
			char what[128];
			snprintf(what, sizeof(what), "'%s' must be an integer from %ld to %ld",
				 fitting[k].key, fitting[k].min, fitting[k].max);
			perr(errs, path, config_setting_lookup(p, fitting[k].key), what);
			goto out;
		}
		fv[k] = iv;
	}
	ret->capacity = (size_t)fv[0];
	ret->sod_reserve = (size_t)fv[1];
	ret->photo_max_height = (unsigned)fv[2];
	ret->photo_min_quality = (int)fv[3];
	ret->signature_max_width = (unsigned)fv[4];
	ret->max_ext_data = 32767;
	if (config_setting_lookup_int(p, "max_extended_data", &v)) {
		if (v < 256 || v > 65535) {
			perr(errs, path, config_setting_lookup(p, "max_extended_data"),
			     "'max_extended_data' must be 256-65535");
			goto out;
		}
		ret->max_ext_data = (size_t)v;
	}
	files = config_setting_lookup(p, "files");
	if (!files || !config_setting_is_list(files) || config_setting_length(files) == 0 ||
	    config_setting_length(files) > PROFILE_MAX_FILES) {
		perr(errs, path, files ? files : p, "'files' must be a list of 1-16 file groups");
		goto out;
	}
	for (int i = 0; i < config_setting_length(files); i++) {
		const config_setting_t *f = config_setting_get_elem(files, (unsigned)i);
		struct profile_file *pf = &ret->files[i];
		const char *fid, *name, *builder;
		uint8_t fb[2];
		int dg = 0, opt = 0;
		if (!config_setting_lookup_string(f, "name", &name) ||
		    !config_setting_lookup_string(f, "fid", &fid) ||
		    !config_setting_lookup_string(f, "builder", &builder)) {
			perr(errs, path, f, "each file needs name, fid and builder");
			goto out;
		}
		if (profile_hex(fid, fb, 2) != 2) {
			perr(errs, path, f, "'fid' must be 2 hex bytes, e.g. \"0101\"");
			goto out;
		}
		if (!lds_builder_known(builder)) {
			perr(errs, path, f, "unknown builder (see docs/card-profile.md)");
			goto out;
		}
		config_setting_lookup_int(f, "dg", &dg);
		config_setting_lookup_bool(f, "optional", &opt);
		snprintf(pf->name, sizeof(pf->name), "%s", name);
		snprintf(pf->builder, sizeof(pf->builder), "%s", builder);
		pf->fid = (uint16_t)(fb[0] << 8 | fb[1]);
		pf->dg = dg;
		pf->optional = opt;
		ret->n_files++;
	}
	r = 0;
out:
	config_destroy(&lc);
	return r;
}
