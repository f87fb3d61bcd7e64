/*
 * html.h - building the dashboard's pages: a growing buffer, HTML escaping,
 * the page frame (header, navigation, language switch) and small widgets.
 */
#ifndef CETAK_WEB_HTML_H
#define CETAK_WEB_HTML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct wbuf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed: the page is incomplete, answer 500 */
};

void wb_add(struct wbuf *b, const char *s);
void wb_addn(struct wbuf *b, const char *s, size_t n);
__attribute__((format(printf, 2, 3))) void wb_printf(struct wbuf *b, const char *fmt, ...);
/* s escaped for HTML text and attribute values (& < > " '). NULL adds nothing. */
void wb_esc(struct wbuf *b, const char *s);
/* Append what is left of stream f; -1 on a read error. */
int wb_add_file(struct wbuf *b, FILE *f);
/* Take the text (malloc'd, NUL-terminated; NULL after oom) and reset b. */
char *wb_take(struct wbuf *b, size_t *ret_len);
void wb_free(struct wbuf *b);

struct web_nav {
	const char *path;  /* "/lines" */
	const char *label; /* already translated */
};

/*
 * The page frame: <head>, the header with the title, navigation (current
 * page marked), the user and role, the language switch and the log-out
 * form; then a flash message. wb_page_end() closes it. user may be NULL (the
 * log-in page): no navigation then.
 */
void wb_page_begin(struct wbuf *b, const char *lang, const char *title, const char *office,
		   const struct web_nav *nav, int n_nav, const char *current, const char *user,
		   const char *role_label, const char *csrf, const char *flash);
void wb_page_end(struct wbuf *b);
/* A one-button POST form: action, hidden fields as name,value pairs (NULL-terminated), label,
 * class. */
void wb_button(struct wbuf *b, const char *action, const char *csrf, const char *label,
	       const char *cls, ...) __attribute__((sentinel));

#endif
