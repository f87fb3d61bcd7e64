/*
 * control.c - control socket server.
 *
 * One ev source per client. Input accumulates until a newline; a line longer
 * than max_request gets a "too-long" error and the connection is closed
 * (the rest of the stream cannot be framed). Output is queued and flushed on
 * EPOLLOUT, so a slow reader never blocks the loop. A housekeeping timer
 * closes idle connections.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "control.h"
#include "ctlproto.h"
#include "common/log.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_MAX_GROUPS 256

struct ctl_client {
	struct ctl_server *srv;
	struct ev_source *src;
	int fd;
	struct ctl_peer peer;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	bool closing; /* close once the output is flushed */
	uint64_t last_active_ms;
	uint64_t request_started_ms; /* first byte of the request in hand; 0 = none */
	struct ctl_pending *pending; /* a deferred answer owed to this client */
	struct ctl_client *next;
};

/* An answer a verb gives later (ctl_defer); client is NULL once it left. */
struct ctl_pending {
	struct ctl_client *client;
};

struct ctl_server {
	struct ev_loop *loop;
	struct ev_source *listen_src, *timer_src;
	int fd;
	char *path;
	const struct ctl_verb *verbs;
	void *ctx;
	struct ctl_limits limits;
	struct ctl_client *clients;
	int nclients;
	struct ctl_client *current; /* whose request a verb is handling */
};

const char *
ctl_role_name(enum ctl_role role)
{
	switch (role) {
	case CTL_ROLE_SUPERVISOR:
		return "supervisor";
	case CTL_ROLE_OPERATOR:
		return "operator";
	default:
		return "none";
	}
}

enum ctl_role
ctl_role_of(uid_t uid, gid_t gid, const gid_t *groups, int ngroups, const struct ctl_limits *l)
{
	bool op = false;

	if (uid == 0)
		return CTL_ROLE_SUPERVISOR;
	for (int i = -1; i < ngroups; i++) {
		gid_t g = i < 0 ? gid : groups[i];
		if (l->supervisor_gid != (gid_t)-1 && g == l->supervisor_gid)
			return CTL_ROLE_SUPERVISOR;
		if (l->operator_gid != (gid_t)-1 && g == l->operator_gid)
			op = true;
	}
	return op ? CTL_ROLE_OPERATOR : CTL_ROLE_NONE;
}

static void
ctl_client_free(struct ctl_client *c)
{
	struct ctl_server *srv = c->srv;

	for (struct ctl_client **pp = &srv->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	srv->nclients--;
	if (c->pending) /* the verb still answers; to nobody */
		c->pending->client = NULL;
	ev_source_free(c->src);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Queue a response line (steals line); NULL means out of memory: drop the client. */
static int
ctl_client_queue(struct ctl_client *c, char *line)
{
	size_t n;
	char *p;

	if (!line)
		return -ENOMEM;
	n = strlen(line);
	p = realloc(c->out, c->out_len + n);
	if (!p) {
		free(line);
		return -ENOMEM;
	}
	memcpy(p + c->out_len, line, n);
	c->out = p;
	c->out_len += n;
	free(line);
	return 0;
}

/* Write what we can; returns -1 when the client was freed. */
static int
ctl_client_flush(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			ctl_client_free(c);
			return -1;
		}
		c->out_off += (size_t)w;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			ctl_client_free(c);
			return -1;
		}
		ev_fd_set_events(c->src, EPOLLIN);
	} else {
		ev_fd_set_events(c->src, EPOLLOUT);
	}
	return 0;
}

static const struct ctl_verb *
ctl_find_verb(const struct ctl_server *srv, const char *name)
{
	for (const struct ctl_verb *v = srv->verbs; v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static char *
ctl_refuse(const struct ctl_server *srv, const struct ctl_client *c, const struct ctl_verb *v)
{
	const struct ctl_limits *l = &srv->limits;

	if (c->peer.role == CTL_ROLE_NONE)
		return ctl_response_err(
			CTL_E_PERMISSION,
			R_("user '%s' (uid %u) may not use cetakd: ask a supervisor "
			   "to add you to group '%s' (or '%s')"),
			c->peer.user, (unsigned)c->peer.uid, l->operator_group,
			l->supervisor_group);
	return ctl_response_err(CTL_E_PERMISSION,
				R_("'%s' is a supervisor command: user '%s' is an %s; members of "
				   "group '%s' may run it"),
				v->name, c->peer.user, ctl_role_name(c->peer.role),
				l->supervisor_group);
}

/* Handle one complete request line; returns the response line (malloc'd). */
static char *
ctl_handle_line(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_server *srv = c->srv;
	struct ctl_request req;
	const struct ctl_verb *v;
	json_t *data = NULL;
	const char *code = NULL;
	char *err = NULL, *resp;
	char why[256];

	if (c->peer.role == CTL_ROLE_NONE) {
		log_notice("control: request from user '%s' (uid %u, pid %d) refused: not in "
			   "group '%s' or '%s'",
			   c->peer.user, (unsigned)c->peer.uid, (int)c->peer.pid,
			   srv->limits.operator_group, srv->limits.supervisor_group);
		return ctl_refuse(srv, c, NULL);
	}
	if (ctl_request_parse(line, len, &req, why, sizeof(why)) < 0)
		return ctl_response_err(CTL_E_MALFORMED, R_("malformed request: %s"), why);
	v = ctl_find_verb(srv, req.cmd);
	if (!v) {
		resp = ctl_response_err(CTL_E_UNKNOWN, R_("unknown command '%s'"), req.cmd);
		goto done;
	}
	if (c->peer.role < v->min_role) {
		log_notice("control: '%s' from user '%s' (uid %u) refused: needs %s", v->name,
			   c->peer.user, (unsigned)c->peer.uid, ctl_role_name(v->min_role));
		resp = ctl_refuse(srv, c, v);
		goto done;
	}
	srv->current = c;
	int rc = v->fn(srv->ctx, &c->peer, req.args, &data, &code, &err);
	srv->current = NULL;
	if (rc == CTL_DEFERRED) { /* answered by ctl_complete() */
		resp = NULL;
		goto done;
	}
	if (rc < 0) {
		resp = ctl_response_err(code ? code : CTL_E_FAILED, "%s",
					err ? err : R_("command failed"));
		free(err);
		goto done;
	}
	/* A verb may hand back a bulk payload (an audit export): the response line
	 * says how many bytes follow it, then the connection closes. */
	json_t *payload = data ? json_object_get(data, "_payload") : NULL;
	if (json_is_string(payload)) {
		char *body = strdup(json_string_value(payload)), *head;
		json_object_set_new(data, "bytes",
				    json_integer(body ? (json_int_t)strlen(body) : 0));
		json_object_del(data, "_payload");
		head = ctl_response_ok(data);
		resp = NULL;
		if (body && head && asprintf(&resp, "%s%s", head, body) < 0)
			resp = NULL;
		free(body);
		free(head);
		c->closing = true;
	} else {
		resp = ctl_response_ok(data);
	}
	json_decref(data);
done:
	ctl_request_done(&req);
	return resp;
}

/* Consume complete lines from the input buffer; returns -1 when the client was freed. */
static int
ctl_client_process(struct ctl_client *c)
{
	size_t start = 0;
	char *nl;

	while (!c->closing && !c->pending &&
	       (nl = memchr(c->in + start, '\n', c->in_len - start))) {
		size_t len = (size_t)(nl - (c->in + start));
		char *resp = ctl_handle_line(c, c->in + start, len);
		start += len + 1;
		if (!resp && c->pending) /* answered later; the next request waits */
			break;
		if (ctl_client_queue(c, resp) < 0) {
			ctl_client_free(c);
			return -1;
		}
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	/* a request in hand must arrive whole in time: its clock starts at its first byte */
	if (c->in_len == 0)
		c->request_started_ms = 0;
	else if (start > 0 || !c->request_started_ms)
		c->request_started_ms = ev_now_ms();
	if (c->in_len > c->srv->limits.max_request) {
		log_notice("control: request from user '%s' over %zu bytes, connection closed",
			   c->peer.user, c->srv->limits.max_request);
		c->closing = true;
		if (ctl_client_queue(c, ctl_response_err(CTL_E_TOO_LONG,
							 R_("request longer than %zu bytes"),
							 c->srv->limits.max_request)) < 0) {
			ctl_client_free(c);
			return -1;
		}
	}
	return ctl_client_flush(c);
}

static void
ctl_client_event(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct ctl_client *c = data;
	(void)src;

	c->last_active_ms = ev_now_ms();
	if (events & EPOLLOUT) {
		if (ctl_client_flush(c) < 0)
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	if (c->in_cap - c->in_len < 4096) {
		size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
		char *p = realloc(c->in, cap);
		if (!p) {
			ctl_client_free(c);
			return;
		}
		c->in = p;
		c->in_cap = cap;
	}
	ssize_t r = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		ctl_client_free(c);
		return;
	}
	c->in_len += (size_t)r;
	ctl_client_process(c);
}

/* Fill peer from the socket's credentials; -errno when they cannot be read. */
static int
ctl_peer_identify(int fd, const struct ctl_limits *l, struct ctl_peer *peer)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t groups[CTL_MAX_GROUPS];
	socklen_t glen = sizeof(groups);
	int ngroups = 0;
	struct passwd *pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
		ngroups = (int)(glen / sizeof(gid_t));
	peer->pid = uc.pid;
	peer->uid = uc.uid;
	peer->gid = uc.gid;
	pw = getpwuid(uc.uid);
	if (pw)
		snprintf(peer->user, sizeof(peer->user), "%s", pw->pw_name);
	else
		snprintf(peer->user, sizeof(peer->user), "%u", (unsigned)uc.uid);
	peer->role = ctl_role_of(uc.uid, uc.gid, groups, ngroups, l);
	return 0;
}

/*
 * May peer have a connection now? NULL, or why not. A peer in neither group
 * gets none; one user holds at most per_user (a supervisor twice that); the
 * last eighth of the slots (at least one) is kept for supervisors, so that
 * nobody can lock the station's supervisors out by holding connections.
 */
static const char *
ctl_admit(const struct ctl_server *srv, const struct ctl_peer *peer)
{
	const struct ctl_limits *l = &srv->limits;
	int mine = 0, reserved = l->max_clients / 8 > 0 ? l->max_clients / 8 : 1;
	bool sup = peer->role >= CTL_ROLE_SUPERVISOR;

	if (peer->role == CTL_ROLE_NONE)
		return "not in the operator or supervisor group";
	for (const struct ctl_client *c = srv->clients; c; c = c->next)
		mine += c->peer.uid == peer->uid;
	if (mine >= (sup ? 2 * l->per_user : l->per_user))
		return "too many control connections from this user";
	if (srv->nclients >= l->max_clients ||
	    (!sup && l->max_clients > 1 && srv->nclients >= l->max_clients - reserved))
		return "too many control connections; the last ones are kept for supervisors";
	return NULL;
}

static void
ctl_accept(struct ev_source *src, int fd, uint32_t events, void *data)
{
	struct ctl_server *srv = data;
	struct ctl_client *c;
	int cfd;
	(void)src;
	(void)events;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || ctl_peer_identify(cfd, &srv->limits, &c->peer) < 0) {
		free(c);
		close(cfd);
		return;
	}
	c->srv = srv;
	const char *why = ctl_admit(srv, &c->peer);
	if (why) {
		/* told at once and closed: a refused peer holds no slot */
		char *e = c->peer.role == CTL_ROLE_NONE ? ctl_refuse(srv, c, NULL)
							: ctl_response_err(CTL_E_BUSY, "%s", why);
		if (e && send(cfd, e, strlen(e), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("control: could not tell a refused client why");
		free(e);
		/* what the client sent already is read, so that closing does not
		 * reset the connection before it reads why */
		char drain[512];
		shutdown(cfd, SHUT_WR);
		while (recv(cfd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
			;
		close(cfd);
		log_notice("control: connection of user '%s' (uid %u, pid %d) refused: %s",
			   c->peer.user, (unsigned)c->peer.uid, (int)c->peer.pid, why);
		free(c);
		return;
	}
	if (ev_add_fd(srv->loop, cfd, EPOLLIN, ctl_client_event, c, &c->src) < 0) {
		free(c);
		close(cfd);
		return;
	}
	c->srv = srv;
	c->fd = cfd;
	c->last_active_ms = ev_now_ms();
	c->next = srv->clients;
	srv->clients = c;
	srv->nclients++;
	log_debug("control: connection from user '%s' (uid %u, pid %d) as %s", c->peer.user,
		  (unsigned)c->peer.uid, (int)c->peer.pid, ctl_role_name(c->peer.role));
}

static void
ctl_housekeeping(struct ev_source *src, void *data)
{
	struct ctl_server *srv = data;
	uint64_t now = ev_now_ms(), idle = (uint64_t)srv->limits.idle_timeout_s * 1000;
	(void)src;

	for (struct ctl_client *c = srv->clients, *n; c; c = n) {
		n = c->next;
		if (c->pending) { /* waiting for a verb's answer, bounded by the verb */
			c->last_active_ms = now;
			continue;
		}
		if (c->request_started_ms &&
		    now - c->request_started_ms > (uint64_t)srv->limits.request_timeout_s * 1000) {
			log_notice(
				"control: request of user '%s' not complete after %d s, connection "
				"closed",
				c->peer.user, srv->limits.request_timeout_s);
			ctl_client_free(c);
			continue;
		}
		if (now - c->last_active_ms > idle) {
			log_info("control: connection of user '%s' idle for %d s, closed",
				 c->peer.user, srv->limits.idle_timeout_s);
			ctl_client_free(c);
		}
	}
}

/* Bind path, replacing a stale socket but never a live one. */
static int
ctl_bind(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int probe;
		bool live;

		if (errno != EADDRINUSE) {
			r = -errno;
			goto fail;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			r = -EADDRINUSE;
			goto fail;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			r = -errno;
			goto fail;
		}
	}
	if (chmod(path, 0666) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

int
ctl_server_new(struct ev_loop *loop, const char *path, const struct ctl_verb *verbs, void *ctx,
	       const struct ctl_limits *limits, struct ctl_server **ret_srv)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->verbs = verbs;
	srv->ctx = ctx;
	srv->limits = *limits;
	srv->fd = -1;
	srv->path = strdup(path);
	if (!srv->path) {
		r = -ENOMEM;
		goto fail;
	}
	srv->fd = ctl_bind(path);
	if (srv->fd < 0) {
		r = srv->fd;
		srv->fd = -1;
		goto fail;
	}
	r = ev_add_fd(loop, srv->fd, EPOLLIN, ctl_accept, srv, &srv->listen_src);
	if (r < 0)
		goto fail;
	r = ev_add_timer(loop, 1000, ctl_housekeeping, srv, &srv->timer_src);
	if (r < 0)
		goto fail;
	*ret_srv = srv;
	return 0;
fail:
	ctl_server_free(srv);
	return r;
}

void
ctl_server_set_limits(struct ctl_server *srv, const struct ctl_limits *limits)
{
	srv->limits = *limits;
}

int
ctl_server_clients(const struct ctl_server *srv)
{
	return srv->nclients;
}

void
ctl_server_free(struct ctl_server *srv)
{
	if (!srv)
		return;
	while (srv->clients)
		ctl_client_free(srv->clients);
	ev_source_free(srv->listen_src);
	ev_source_free(srv->timer_src);
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(srv->path);
	}
	free(srv->path);
	free(srv);
}

struct ctl_pending *
ctl_defer(struct ctl_server *srv)
{
	struct ctl_pending *p;

	if (!srv->current || srv->current->pending || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->client = srv->current;
	srv->current->pending = p;
	return p;
}

void
ctl_undefer(struct ctl_pending *p)
{
	if (p->client)
		p->client->pending = NULL;
	free(p);
}

void
ctl_complete(struct ctl_pending *p, json_t *data, const char *code, const char *err)
{
	struct ctl_client *c = p->client;

	if (c) {
		char *resp = err ? ctl_response_err(code ? code : CTL_E_FAILED, "%s", err)
				 : ctl_response_ok(data);
		c->pending = NULL;
		c->last_active_ms = ev_now_ms();
		if (ctl_client_queue(c, resp) < 0)
			ctl_client_free(c);
		else
			ctl_client_process(c); /* flushes, and takes the next request */
	}
	json_decref(data);
	free(p);
}
