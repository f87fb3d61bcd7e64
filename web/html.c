/*
 * html.c - page building for the dashboard (html.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "html.h"

static bool
wb_grow(struct wbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
wb_addn(struct wbuf *b, const char *s, size_t n)
{
	if (!s || !wb_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
wb_add(struct wbuf *b, const char *s)
{
	if (s)
		wb_addn(b, s, strlen(s));
}

void
wb_printf(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		wb_addn(b, small, (size_t)n);
		return;
	}
	if (!wb_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
wb_esc(struct wbuf *b, const char *s)
{
	if (!s)
		return;
	for (const char *p = s; *p; p++) {
		const char *run = p;
		while (*p && !strchr("&<>\"'", *p))
			p++;
		wb_addn(b, run, (size_t)(p - run));
		switch (*p) {
		case '&':
			wb_add(b, "&amp;");
			break;
		case '<':
			wb_add(b, "&lt;");
			break;
		case '>':
			wb_add(b, "&gt;");
			break;
		case '"':
			wb_add(b, "&quot;");
			break;
		case '\'':
			wb_add(b, "&#39;");
			break;
		default:
			return; /* the end */
		}
	}
}

int
wb_add_file(struct wbuf *b, FILE *f)
{
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		wb_addn(b, chunk, n);
	return ferror(f) ? -1 : 0;
}

char *
wb_take(struct wbuf *b, size_t *ret_len)
{
	char *p = b->oom ? NULL : b->p;

	if (b->oom)
		free(b->p);
	else if (!p)
		p = strdup("");
	if (ret_len)
		*ret_len = p ? b->len : 0;
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
	return p;
}

void
wb_free(struct wbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
wb_page_begin(struct wbuf *b, const char *lang, const char *title, const char *office,
	      const struct web_nav *nav, int n_nav, const char *current, const char *user,
	      const char *role_label, const char *csrf, const char *flash)
{
	wb_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">",
		  lang && !strcmp(lang, "en") ? "en" : "id");
	wb_add(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		  "<title>");
	wb_esc(b, title);
	wb_add(b, " · cetak</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
		  "<script src=\"/static/app.js\" defer></script></head><body>\n<header>"
		  "<div class=\"brand\">cetak<span>");
	wb_esc(b, office);
	wb_add(b, "</span></div>");
	if (user) {
		wb_add(b, "<nav>");
		for (int i = 0; i < n_nav; i++) {
			wb_printf(b, "<a href=\"%s\"%s>", nav[i].path,
				  current && !strcmp(current, nav[i].path) ? " class=\"here\""
									   : "");
			wb_esc(b, nav[i].label);
			wb_add(b, "</a>");
		}
		wb_add(b, "</nav><div class=\"who\"><span class=\"user\">");
		wb_esc(b, user);
		wb_add(b, "</span> <span class=\"role\">");
		wb_esc(b, role_label);
		wb_add(b, "</span>");
	} else {
		wb_add(b, "<div class=\"who\">");
	}
	/* the language switch: the other language, named in itself */
	bool en = lang && !strcmp(lang, "en");
	wb_printf(b,
		  " <a class=\"lang\" id=\"lang\" href=\"/lang?to=%s&amp;back=", en ? "id" : "en");
	wb_esc(b, current ? current : "/");
	wb_printf(b, "\">%s</a>", en ? "Bahasa Indonesia" : "English");
	if (user) {
		wb_add(b, "<form method=\"post\" action=\"/logout\" class=\"inline\">"
			  "<input type=\"hidden\" name=\"csrf\" value=\"");
		wb_esc(b, csrf);
		wb_add(b, "\"><button class=\"link\" id=\"logout\">");
		wb_esc(b, _("Log out"));
		wb_add(b, "</button></form>");
	}
	wb_add(b, "</div></header>\n<main>");
	if (flash && *flash) {
		wb_add(b, "<p class=\"flash\" id=\"flash\">");
		wb_esc(b, flash);
		wb_add(b, "</p>");
	}
}

void
wb_page_end(struct wbuf *b)
{
	wb_add(b, "</main></body></html>\n");
}

void
wb_button(struct wbuf *b, const char *action, const char *csrf, const char *label, const char *cls,
	  ...)
{
	va_list ap;
	const char *name;

	wb_add(b, "<form method=\"post\" class=\"inline\" action=\"");
	wb_esc(b, action);
	wb_add(b, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
	wb_esc(b, csrf);
	wb_add(b, "\">");
	va_start(ap, cls);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		wb_add(b, "<input type=\"hidden\" name=\"");
		wb_esc(b, name);
		wb_add(b, "\" value=\"");
		wb_esc(b, value);
		wb_add(b, "\">");
	}
	va_end(ap);
	wb_add(b, "<button class=\"");
	wb_esc(b, cls);
	wb_add(b, "\">");
	wb_esc(b, label);
	wb_add(b, "</button></form>");
}
