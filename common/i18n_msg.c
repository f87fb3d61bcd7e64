/*
 * i18n_msg.c - the daemon's messages in the reader's language (i18n.h,
 * docs/i18n.md "The daemon's messages").
 *
 * cetakd writes its reasons, refusals and alerts in English: they go to the
 * journal, into the job store and over the control protocol, which are read
 * by machines and stay stable. Each is made from a template marked R_() in
 * the sources. A client that shows one to a person finds the template that
 * made it (the table of every R_() template, generated from po/cetak.pot at
 * build time), takes the arguments back out of the text, and writes the
 * template's translation with them. An argument that is itself such a
 * message (a reason inside a reason) is translated the same way; one that is
 * not (a device's own error text, a job id) is kept as it is. A text that no
 * template made is shown as it came.
 */
#include "i18n.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char *const i18n_msg_templates[];

#define MAX_ARGS I18N_MSG_MAX_ARGS
#define MAX_DEPTH 3

enum conv { C_STR, C_INT, C_HEX, C_NUM, C_CHAR };

/* One conversion of a printf template: where it is, what it takes, which
 * argument it names (its N$, else its place). */
struct spec {
	size_t len;
	enum conv type;
	int arg;
};

/* The conversion at t (t[0] == '%', not "%%"); 0 when it is not one. */
static int
parse_spec(const char *t, int next, struct spec *s)
{
	const char *p = t + 1;

	s->arg = next;
	if (isdigit((unsigned char)*p)) {
		const char *q = p;
		int n = 0;
		while (isdigit((unsigned char)*q))
			n = n * 10 + (*q++ - '0');
		if (*q == '$') {
			s->arg = n - 1;
			p = q + 1;
		}
	}
	while (*p && strchr("-+ #0'", *p))
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	while (*p && strchr("hlLqjzt", *p))
		p++;
	switch (*p) {
	case 's':
		s->type = C_STR;
		break;
	case 'd':
	case 'i':
	case 'u':
		s->type = C_INT;
		break;
	case 'x':
	case 'X':
		s->type = C_HEX;
		break;
	case 'f':
	case 'g':
	case 'e':
		s->type = C_NUM;
		break;
	case 'c':
		s->type = C_CHAR;
		break;
	default:
		return 0;
	}
	if (s->arg < 0 || s->arg >= MAX_ARGS)
		return 0;
	s->len = (size_t)(p + 1 - t);
	return 1;
}

/* A text made to make the matcher backtrack (many places where each string
 * argument could end) gives up after this many tries and is shown as it is. */
#define MAX_TRIES 20000

struct match {
	int tries;
	const char *start[MAX_ARGS];
	size_t len[MAX_ARGS];
	enum conv type[MAX_ARGS];
	int nargs;
};

/* Does text match template t from here on, each conversion taking what its
 * type allows (strings the shortest that lets the rest match)? */
static bool
match_at(const char *t, const char *x, int next, struct match *m)
{
	if (++m->tries > MAX_TRIES)
		return false;
	while (*t) {
		if (*t == '%' && t[1] == '%') {
			if (*x != '%')
				return false;
			t += 2, x++;
			continue;
		}
		if (*t != '%') {
			if (*t != *x)
				return false;
			t++, x++;
			continue;
		}
		struct spec s;
		if (!parse_spec(t, next, &s))
			return false;
		const char *rest = t + s.len;
		m->start[s.arg] = x;
		m->type[s.arg] = s.type;
		if (s.arg + 1 > m->nargs)
			m->nargs = s.arg + 1;
		size_t n = 0;
		switch (s.type) {
		case C_INT:
			if (*x == '-')
				n++;
			while (isdigit((unsigned char)x[n]))
				n++;
			if (n == 0 || (n == 1 && *x == '-'))
				return false;
			break;
		case C_HEX:
			while (isxdigit((unsigned char)x[n]))
				n++;
			if (n == 0)
				return false;
			break;
		case C_NUM:
			while (x[n] && strchr("-+.0123456789e", x[n]))
				n++;
			if (n == 0)
				return false;
			break;
		case C_CHAR:
			if (!*x)
				return false;
			n = 1;
			break;
		case C_STR:
			if (!*rest) {
				m->len[s.arg] = strlen(x);
				return true;
			}
			for (size_t k = 0; x[k]; k++) {
				if (x[k] != *rest && *rest != '%')
					continue;
				m->len[s.arg] = k;
				if (match_at(rest, x + k, s.arg + 1, m))
					return true;
			}
			/* the empty string at the very end */
			m->len[s.arg] = strlen(x);
			return match_at(rest, x + m->len[s.arg], s.arg + 1, m);
		}
		m->len[s.arg] = n;
		x += n;
		t = rest;
		next = s.arg + 1;
	}
	return *x == '\0';
}

/* How much of a template is its own text, not its conversions. */
static size_t
literal_len(const char *t)
{
	size_t n = 0;

	while (*t) {
		struct spec s;
		if (*t == '%' && t[1] == '%') {
			n++, t += 2;
		} else if (*t == '%' && parse_spec(t, 0, &s)) {
			t += s.len;
		} else {
			n++, t++;
		}
	}
	return n;
}

/* The templates, the one with the most text of its own first (the table's
 * order among equals): the first that matches a text is the one that made
 * it. Ordered once per process; a template of no text of its own (a bare
 * "%s") is left out. */
struct ordered {
	const char *t;
	size_t lit, index;
};
static struct ordered *ordered;
static size_t n_ordered;
static pthread_once_t ordered_once = PTHREAD_ONCE_INIT;

static int
by_literal(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->lit != y->lit)
		return x->lit > y->lit ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void
order_templates(void)
{
	size_t n = 0;

	while (i18n_msg_templates[n])
		n++;
	if (!(ordered = calloc(n ? n : 1, sizeof(*ordered))))
		return; /* no translation: every text is shown as it came */
	for (size_t i = 0; i < n; i++) {
		size_t lit = literal_len(i18n_msg_templates[i]);
		if (lit > 0)
			ordered[n_ordered++] = (struct ordered){ i18n_msg_templates[i], lit, i };
	}
	qsort(ordered, n_ordered, sizeof(*ordered), by_literal);
}

const char *
i18n_msg_template(const char *text, struct i18n_msg_args *args)
{
	struct match m;

	pthread_once(&ordered_once, order_templates);
	for (size_t i = 0; i < n_ordered; i++) {
		memset(&m, 0, sizeof(m));
		if (!match_at(ordered[i].t, text, 0, &m))
			continue;
		if (args) {
			args->n = m.nargs;
			for (int k = 0; k < m.nargs; k++) {
				args->start[k] = m.start[k];
				args->len[k] = m.len[k];
				args->is_str[k] = m.type[k] == C_STR;
			}
		}
		return ordered[i].t;
	}
	return NULL;
}

struct out {
	char *buf;
	size_t len, at;
};

static void
put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->at + 1 < o->len; i++)
		o->buf[o->at++] = s[i];
	o->buf[o->at] = '\0';
}

static void render(const char *text, size_t n, int depth, struct out *o);

/* The translation of template t, with the arguments taken from the text. */
static void
write_translated(const char *t, const struct i18n_msg_args *a, int depth, struct out *o)
{
	const char *tr = gettext(t);
	int next = 0;

	while (*tr) {
		struct spec s;
		if (*tr == '%' && tr[1] == '%') {
			put(o, "%", 1);
			tr += 2;
		} else if (*tr == '%' && parse_spec(tr, next, &s) && s.arg < a->n) {
			if (a->is_str[s.arg])
				render(a->start[s.arg], a->len[s.arg], depth + 1, o);
			else
				put(o, a->start[s.arg], a->len[s.arg]);
			tr += s.len;
			next = s.arg + 1;
		} else {
			put(o, tr++, 1);
		}
	}
}

static void
render(const char *text, size_t n, int depth, struct out *o)
{
	char part[1024];
	struct i18n_msg_args a;
	const char *t = NULL;

	if (n < sizeof(part) && depth < MAX_DEPTH) {
		memcpy(part, text, n);
		part[n] = '\0';
		t = i18n_msg_template(part, &a);
	}
	if (t)
		write_translated(t, &a, depth, o);
	else
		put(o, text, n);
}

const char *
i18n_msg(const char *text, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };

	if (!len)
		return buf;
	buf[0] = '\0';
	if (text)
		render(text, strlen(text), 0, &o);
	return buf;
}
