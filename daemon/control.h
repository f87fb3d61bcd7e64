/*
 * control.h - the control socket: transport, peer authorisation, dispatch.
 *
 * Listens on a Unix stream socket. Each peer is identified by SO_PEERCRED and
 * SO_PEERGROUPS when it connects and gets a role: root and members of the
 * supervisor group are supervisors, members of the operator group are
 * operators, anyone else has no role and every request is refused with a
 * message naming the groups. Requests are newline-delimited JSON (ctlproto.h);
 * each is dispatched to the verb table given at creation.
 */
#ifndef CETAK_CONTROL_H
#define CETAK_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "loop.h"

enum ctl_role { CTL_ROLE_NONE, CTL_ROLE_OPERATOR, CTL_ROLE_SUPERVISOR };

struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char user[64];
	enum ctl_role role;
};

/*
 * A verb handler. On success returns 0 and may set *ret_data (a new reference
 * the server releases). On failure returns -1 and sets *ret_err to a malloc'd
 * one-line message (the server frees it); *ret_code may name a CTL_E_* code
 * (static string), CTL_E_FAILED otherwise.
 */
typedef int (*ctl_verb_fn)(void *ctx, const struct ctl_peer *peer, json_t *args, json_t **ret_data,
			   const char **ret_code, char **ret_err);

/*
 * A verb whose answer takes time it must not spend on the loop (a card read
 * on the desk reader) defers it: it calls ctl_defer() while handling the
 * request, returns CTL_DEFERRED, and later, on the loop's thread, calls
 * ctl_complete() exactly once with the data (stolen) or the refusal. The
 * client's next request waits until then; a client that left meanwhile is
 * answered to nobody. ctl_defer() returns NULL (out of memory, or not while
 * handling a request): the verb then answers at once.
 */
#define CTL_DEFERRED 1
struct ctl_server;
struct ctl_pending;
struct ctl_pending *ctl_defer(struct ctl_server *srv);
void ctl_complete(struct ctl_pending *p, json_t *data, const char *code, const char *err);
/* Take back a ctl_defer() made while handling the request (the work could not
 * start): the verb then answers at once as usual. */
void ctl_undefer(struct ctl_pending *p);

struct ctl_verb {
	const char *name;
	enum ctl_role min_role;
	ctl_verb_fn fn;
	const char *help;
};

struct ctl_limits {
	size_t max_request;    /* bytes per request line */
	int max_clients;       /* connections at once */
	int idle_timeout_s;    /* close a silent connection after this */
	int request_timeout_s; /* a request begun must be complete within this */
	int per_user;	       /* connections one uid may hold (supervisors: twice) */
	gid_t supervisor_gid;  /* (gid_t)-1 when the group does not exist */
	gid_t operator_gid;
	const char *supervisor_group; /* names, borrowed, for messages */
	const char *operator_group;
};

struct ctl_server;

/*
 * Bind path (a stale socket file is replaced; a live one is -EADDRINUSE),
 * mode 0666 so that refused peers get a clear answer rather than EACCES.
 * verbs (NULL-name terminated), ctx and limits strings are borrowed for the
 * server's lifetime. Returns 0 or -errno.
 */
int ctl_server_new(struct ev_loop *loop, const char *path, const struct ctl_verb *verbs, void *ctx,
		   const struct ctl_limits *limits, struct ctl_server **ret_srv);
/* Replace limits (after a reload). The strings are borrowed as above. */
void ctl_server_set_limits(struct ctl_server *srv, const struct ctl_limits *limits);
/* Close every client and the socket, unlink the path. NULL is fine. */
void ctl_server_free(struct ctl_server *srv);
int ctl_server_clients(const struct ctl_server *srv);

/* The role of a peer with these credentials under these limits (pure function). */
enum ctl_role ctl_role_of(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
			  const struct ctl_limits *limits);
const char *ctl_role_name(enum ctl_role role);

#endif
