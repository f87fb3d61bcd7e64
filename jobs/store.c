/*
 * store.c - SQLite job store.
 *
 * Durability: journal_mode=WAL with synchronous=FULL, so a COMMIT has been
 * fsync'd when sqlite3_step returns. Job bodies live in their own table so
 * that the queue index and scans never touch the photos.
 */
#define _GNU_SOURCE
#include "common/i18n.h"
#include "common/log.h"
#include "store.h"
#include "custody.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const state_names[] = { "queued", "held",   "deferred", "active",
					   "done",   "failed", "cancelled" };

const char *
job_state_name(enum job_state s)
{
	return (unsigned)s < JS_COUNT ? state_names[s] : "?";
}

int
job_state_from_name(const char *s)
{
	for (int i = 0; i < JS_COUNT; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

struct store {
	sqlite3 *db;
	int in_tx;
	sqlite3_stmt *add, *add_body, *get, *event, *update, *peek, *nik;
};

/* Migrations: index i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY,"
	" job_id TEXT NOT NULL UNIQUE,"
	" sha256 BLOB NOT NULL,"
	" kind INTEGER NOT NULL,"
	" urgent INTEGER NOT NULL,"
	" priority INTEGER NOT NULL DEFAULT 0,"
	" nik TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" hold_kind TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL DEFAULT '',"
	" not_before INTEGER NOT NULL DEFAULT 0,"
	" received_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" line TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX jobs_order ON jobs(priority DESC, urgent DESC, kind, id);"
	"CREATE INDEX jobs_state ON jobs(state, hold_kind);"
	"CREATE INDEX jobs_nik ON jobs(nik, state);"
	"CREATE TABLE job_bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"
	"CREATE TABLE job_events ("
	" seq INTEGER PRIMARY KEY,"
	" job INTEGER NOT NULL,"
	" at INTEGER NOT NULL,"
	" from_state TEXT NOT NULL,"
	" to_state TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" actor TEXT NOT NULL);"
	"CREATE INDEX job_events_job ON job_events(job, seq);"
	"CREATE TABLE daily (day TEXT PRIMARY KEY, dispatched INTEGER NOT NULL);",
	/* 2: the print line's durable intents */
	"CREATE TABLE cycles ("
	" id INTEGER PRIMARY KEY,"
	" job_id TEXT NOT NULL,"
	" line TEXT NOT NULL,"
	" step TEXT NOT NULL,"
	" cause TEXT NOT NULL DEFAULT '',"
	" chip TEXT NOT NULL DEFAULT '',"
	" outcome TEXT NOT NULL DEFAULT '',"
	" note TEXT NOT NULL DEFAULT '',"
	" started_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX cycles_job ON cycles(job_id, id);"
	"CREATE INDEX cycles_open ON cycles(outcome, line);",
	/* 3: the ledger head the store last saw (start-up cross-check) */
	"CREATE TABLE ledger_seen (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL,"
	" hash BLOB NOT NULL);",
	/* 4: the custody of issued cards (custody.h); every card already issued
	 * starts in the output hopper, as the office must now put it away; the
	 * holder's kecamatan and kelurahan/desa, for the custody report */
	"ALTER TABLE jobs ADD COLUMN kecamatan TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE jobs ADD COLUMN kel_desa TEXT NOT NULL DEFAULT '';"
	"UPDATE jobs SET"
	" kecamatan = coalesce(json_extract(CAST(b.body AS TEXT), '$.holder.address.kecamatan'), "
	"''),"
	" kel_desa = coalesce(json_extract(CAST(b.body AS TEXT), '$.holder.address.kel_desa'), '')"
	" FROM job_bodies b WHERE b.id = jobs.id AND json_valid(CAST(b.body AS TEXT));"
	"CREATE TABLE custody ("
	" job_id TEXT PRIMARY KEY REFERENCES jobs(job_id),"
	" chip TEXT NOT NULL DEFAULT '',"
	" state TEXT NOT NULL,"
	" place TEXT NOT NULL DEFAULT '',"
	" doc TEXT NOT NULL DEFAULT '',"
	" since INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" notices INTEGER NOT NULL DEFAULT 0,"
	" last_notice_at INTEGER NOT NULL DEFAULT 0,"
	" collector TEXT NOT NULL DEFAULT '',"
	" collector_id TEXT NOT NULL DEFAULT '',"
	" relation TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
	"CREATE INDEX custody_chip ON custody(chip);"
	"CREATE TABLE custody_events ("
	" seq INTEGER PRIMARY KEY,"
	" job_id TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" from_state TEXT NOT NULL,"
	" to_state TEXT NOT NULL,"
	" place TEXT NOT NULL DEFAULT '',"
	" doc TEXT NOT NULL DEFAULT '',"
	" actor TEXT NOT NULL,"
	" note TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX custody_events_job ON custody_events(job_id, seq);"
	"INSERT INTO custody (job_id, chip, state, since, updated_at) SELECT j.job_id,"
	" coalesce((SELECT chip FROM cycles c WHERE c.job_id = j.job_id AND c.outcome = 'issued'"
	" ORDER BY c.id DESC LIMIT 1), ''), 'issued', j.updated_at, j.updated_at FROM jobs j"
	" WHERE j.state = 'done';",
	/* 5: SMS notices (custody.h), when each stored card is due for its next
	 * one, and when a job's personal data was removed (retention) */
	"ALTER TABLE custody ADD COLUMN next_notice_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE custody SET next_notice_at = updated_at WHERE state = 'stored';"
	"CREATE INDEX custody_notice ON custody(next_notice_at) WHERE next_notice_at > 0;"
	"CREATE TABLE notices ("
	" id INTEGER PRIMARY KEY,"
	" job_id TEXT NOT NULL,"
	" n INTEGER NOT NULL,"
	" state TEXT NOT NULL,"
	" file TEXT NOT NULL DEFAULT '',"
	" queued_at INTEGER NOT NULL,"
	" done_at INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX notices_job ON notices(job_id, id);"
	"CREATE INDEX notices_open ON notices(id) WHERE state = 'queued';"
	"CREATE INDEX notices_done ON notices(done_at);"
	"ALTER TABLE jobs ADD COLUMN purged_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE transfer_batches ("
	" doc TEXT PRIMARY KEY,"
	" kecamatan TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" cards INTEGER NOT NULL);"
	"CREATE INDEX custody_doc ON custody(doc);",
};

sqlite3 *
store_sqlite(struct store *st)
{
	return st->db;
}

int
store_in_tx(const struct store *st)
{
	return st->in_tx;
}

#define ROW_COLS                                                                                   \
	"id, job_id, kind, urgent, priority, nik, name, state, hold_kind, reason, not_before, "    \
	"received_at, updated_at, attempts, line"
#define QUEUE_ORDER " ORDER BY priority DESC, urgent DESC, kind, id"

const char *
store_errmsg(struct store *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

const char *
store_path(struct store *st)
{
	const char *p = st && st->db ? sqlite3_db_filename(st->db, "main") : NULL;

	return p && p[0] ? p : "(in memory)";
}

static int
exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* A copy of the job store as it was before a migration, beside it
 * (PATH.schema-vN.bak, consistent, fsync'd): an upgrade that goes wrong
 * can be undone by hand (docs/packaging.md). */
static int
backup_before(struct store *st, const char *path, int version)
{
	char bak[4200], *sql;
	int r, fd;

	snprintf(bak, sizeof(bak), "%s.schema-v%d.bak", path, version);
	if (access(bak, F_OK) == 0)
		return 0; /* an earlier try already made it */
	if (!(sql = sqlite3_mprintf("VACUUM INTO %Q", bak)))
		return -ENOMEM;
	r = exec(st, sql);
	sqlite3_free(sql);
	if (r < 0)
		return r;
	if ((fd = open(bak, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	log_notice("jobs: schema %d -> %d: the store as it was is kept in %s", version,
		   STORE_SCHEMA_VERSION, bak);
	return r;
}

static int
migrate(struct store *st, const char *path)
{
	sqlite3_stmt *s;
	int version = 0, r = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > STORE_SCHEMA_VERSION)
		return -EPROTO; /* written by a newer cetakd: refuse rather than damage it */
	if (version > 0 && version < STORE_SCHEMA_VERSION &&
	    (r = backup_before(st, path, version)) < 0)
		return r;
	for (int v = version; v < STORE_SCHEMA_VERSION && r == 0; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if ((r = exec(st, "BEGIN IMMEDIATE")) < 0)
			break;
		if (exec(st, migrations[v]) < 0 || exec(st, pragma) < 0) {
			exec(st, "ROLLBACK");
			r = -EIO;
			break;
		}
		r = exec(st, "COMMIT");
	}
	return r;
}

static int
prepare(struct store *st, sqlite3_stmt **s, const char *sql)
{
	return sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) == SQLITE_OK
		       ? 0
		       : -EIO;
}

int
store_open(const char *path, struct store **ret_store)
{
	struct store *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		r = -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if ((r = exec(st, "PRAGMA journal_mode=WAL")) < 0 ||
	    (r = exec(st, "PRAGMA synchronous=FULL")) < 0 ||
	    (r = exec(st, "PRAGMA foreign_keys=ON")) < 0 ||
	    /* removed personal data is overwritten, not left in free space */
	    (r = exec(st, "PRAGMA secure_delete=ON")) < 0 ||
	    (r = exec(st, "PRAGMA cache_size=-8000")) < 0 ||
	    /* job bodies are ~35 KB: checkpoint every 32 MiB of WAL, not every 4 MiB */
	    (r = exec(st, "PRAGMA wal_autocheckpoint=8192")) < 0 ||
	    (r = exec(st, "PRAGMA journal_size_limit=67108864")) < 0 || (r = migrate(st, path)) < 0)
		goto fail;
	if ((r = prepare(st, &st->add,
			 "INSERT INTO jobs (job_id, sha256, kind, urgent, nik, name, state, "
			 "hold_kind, reason, received_at, updated_at, kecamatan, kel_desa) "
			 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) < 0 ||
	    (r = prepare(st, &st->add_body, "INSERT INTO job_bodies (id, body) VALUES (?,?)")) <
		    0 ||
	    (r = prepare(st, &st->get, "SELECT " ROW_COLS ", sha256 FROM jobs WHERE job_id = ?")) <
		    0 ||
	    (r = prepare(st, &st->event,
			 "INSERT INTO job_events (job, at, from_state, to_state, reason, actor) "
			 "VALUES (?,?,?,?,?,?)")) < 0 ||
	    (r = prepare(st, &st->update,
			 "UPDATE jobs SET state = ?, hold_kind = ?, reason = ?, not_before = ?, "
			 "updated_at = ? WHERE id = ?")) < 0 ||
	    (r = prepare(st, &st->peek,
			 /* named: without statistics the planner would sort the whole queue */
			 "SELECT " ROW_COLS
			 " FROM jobs INDEXED BY jobs_order WHERE state = 'queued'" QUEUE_ORDER
			 " LIMIT 1")) < 0 ||
	    (r = prepare(st, &st->nik,
			 "SELECT job_id FROM jobs WHERE nik = ? AND state = 'done' AND job_id != ? "
			 "LIMIT 1")) < 0)
		goto fail;
	*ret_store = st;
	return 0;
fail:
	store_close(st);
	return r;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->add);
	sqlite3_finalize(st->add_body);
	sqlite3_finalize(st->get);
	sqlite3_finalize(st->event);
	sqlite3_finalize(st->update);
	sqlite3_finalize(st->peek);
	sqlite3_finalize(st->nik);
	sqlite3_close(st->db);
	free(st);
}

int
store_begin(struct store *st)
{
	int r = exec(st, "BEGIN IMMEDIATE");
	if (r == 0)
		st->in_tx = 1;
	return r;
}

int
store_commit(struct store *st)
{
	int r = exec(st, "COMMIT");
	if (r == 0)
		st->in_tx = 0;
	return r;
}

void
store_rollback(struct store *st)
{
	exec(st, "ROLLBACK");
	st->in_tx = 0;
}

static void
copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	snprintf(dst, len, "%s", t ? t : "");
}

static void
read_row(sqlite3_stmt *s, struct job_row *r)
{
	char state[16];

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	copy_text(r->job_id, sizeof(r->job_id), s, 1);
	r->kind = sqlite3_column_int(s, 2);
	r->urgent = sqlite3_column_int(s, 3);
	r->priority = sqlite3_column_int(s, 4);
	copy_text(r->nik, sizeof(r->nik), s, 5);
	copy_text(r->name, sizeof(r->name), s, 6);
	copy_text(state, sizeof(state), s, 7);
	r->state = (enum job_state)job_state_from_name(state);
	copy_text(r->hold_kind, sizeof(r->hold_kind), s, 8);
	copy_text(r->reason, sizeof(r->reason), s, 9);
	r->not_before = sqlite3_column_int64(s, 10);
	r->received_at = sqlite3_column_int64(s, 11);
	r->updated_at = sqlite3_column_int64(s, 12);
	r->attempts = sqlite3_column_int(s, 13);
	copy_text(r->line, sizeof(r->line), s, 14);
}

/* Step a one-shot statement to completion and reset it. */
static int
step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int
record_event(struct store *st, long long id, long long now, const char *from, const char *to,
	     const char *reason, const char *actor)
{
	sqlite3_bind_int64(st->event, 1, id);
	sqlite3_bind_int64(st->event, 2, now);
	sqlite3_bind_text(st->event, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->event, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->event, 5, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st->event, 6, actor, -1, SQLITE_STATIC);
	return step_done(st->event);
}

/* Look a job up; -ENOENT or 0 with the row (and its sha256 when wanted). */
static int
lookup(struct store *st, const char *job_id, struct job_row *row, uint8_t sha[32])
{
	int rc, r = -ENOENT;

	sqlite3_bind_text(st->get, 1, job_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st->get);
	if (rc == SQLITE_ROW) {
		read_row(st->get, row);
		if (sha && sqlite3_column_bytes(st->get, 15) == 32)
			memcpy(sha, sqlite3_column_blob(st->get, 15), 32);
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_reset(st->get);
	sqlite3_clear_bindings(st->get);
	return r;
}

int
store_get(struct store *st, const char *job_id, struct job_row *ret_row)
{
	return lookup(st, job_id, ret_row, NULL);
}

int
store_add(struct store *st, const struct job *job, const void *body, size_t len,
	  const uint8_t sha256[32], enum job_state state, const char *hold_kind, const char *reason,
	  long long now, enum store_add_result *ret, struct job_row *ret_row)
{
	struct job_row old;
	uint8_t old_sha[32] = { 0 };
	int r = lookup(st, job->job_id, &old, old_sha);

	if (r == 0) {
		*ret = memcmp(old_sha, sha256, 32) == 0 ? STORE_SAME : STORE_CONFLICT;
		if (ret_row)
			*ret_row = old;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	sqlite3_bind_text(st->add, 1, job->job_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st->add, 2, sha256, 32, SQLITE_STATIC);
	sqlite3_bind_int(st->add, 3, job->kind);
	sqlite3_bind_int(st->add, 4, job->urgent);
	sqlite3_bind_text(st->add, 5, job->nik, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->add, 6, job->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->add, 7, job_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st->add, 8, hold_kind ? hold_kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st->add, 9, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->add, 10, now);
	sqlite3_bind_int64(st->add, 11, now);
	/* where the holder lives: the custody report counts cards by it */
	sqlite3_bind_text(st->add, 12, job->field[JF_KECAMATAN] ? job->field[JF_KECAMATAN] : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st->add, 13, job->field[JF_KEL_DESA] ? job->field[JF_KEL_DESA] : "", -1,
			  SQLITE_STATIC);
	if ((r = step_done(st->add)) < 0)
		return r;
	long long id = sqlite3_last_insert_rowid(st->db);
	sqlite3_bind_int64(st->add_body, 1, id);
	sqlite3_bind_blob64(st->add_body, 2, body, len, SQLITE_STATIC);
	if ((r = step_done(st->add_body)) < 0 ||
	    (r = record_event(st, id, now, "", job_state_name(state),
			      reason && reason[0] ? reason : "received", "spool")) < 0)
		return r;
	*ret = STORE_ADDED;
	if (ret_row)
		r = lookup(st, job->job_id, ret_row, NULL);
	return r;
}

int
store_body(struct store *st, long long id, char **ret_body, size_t *ret_len)
{
	sqlite3_stmt *s;
	int r = -ENOENT;

	if (sqlite3_prepare_v2(st->db, "SELECT body FROM job_bodies WHERE id = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		char *b = malloc(n + 1);
		if (!b) {
			r = -ENOMEM;
		} else {
			memcpy(b, sqlite3_column_blob(s, 0), n);
			b[n] = '\0';
			*ret_body = b;
			*ret_len = n;
			r = 0;
		}
	}
	sqlite3_finalize(s);
	return r;
}

int
store_transition(struct store *st, const char *job_id, unsigned from_mask, enum job_state to,
		 const char *hold_kind, const char *reason, long long not_before, const char *actor,
		 long long now, struct job_row *ret_row)
{
	struct job_row row;
	int own = !st->in_tx, r;

	if (own && (r = store_begin(st)) < 0)
		return r;
	if ((r = lookup(st, job_id, &row, NULL)) < 0)
		goto out;
	if (!(from_mask & JS_MASK(row.state))) {
		r = -EPERM;
		goto out;
	}
	sqlite3_bind_text(st->update, 1, job_state_name(to), -1, SQLITE_STATIC);
	sqlite3_bind_text(st->update, 2, hold_kind ? hold_kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st->update, 3, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->update, 4, not_before);
	sqlite3_bind_int64(st->update, 5, now);
	sqlite3_bind_int64(st->update, 6, row.id);
	if ((r = step_done(st->update)) < 0 ||
	    (r = record_event(st, row.id, now, job_state_name(row.state), job_state_name(to),
			      reason, actor)) < 0)
		goto out;
	/* a job is done when its card is issued: the card is in custody from now */
	if (to == JS_DONE && row.state != JS_DONE && (r = store_custody_open(st, row.id, now)) < 0)
		goto out;
	if (own && (r = store_commit(st)) < 0)
		goto out;
	if (ret_row)
		lookup(st, job_id, ret_row, NULL);
	return 0;
out:
	if (ret_row && r == -EPERM)
		*ret_row = row;
	if (own)
		store_rollback(st);
	return r;
}

int
store_transition_where(struct store *st, enum job_state from, const char *from_hold,
		       enum store_filter filter, enum job_state to, const char *hold_kind,
		       const char *reason, long long not_before, const char *actor, long long now)
{
	char due[48];
	const char *cond = NULL;

	if (to == JS_DONE) /* done means issued: one job at a time (custody opens) */
		return -EINVAL;
	switch (filter) {
	case STORE_DUE:
		snprintf(due, sizeof(due), "not_before <= %lld", now);
		cond = due;
		break;
	case STORE_DEFERRABLE:
		cond = "urgent = 0 AND kind != 0";
		break;
	case STORE_NO_OPEN_CYCLE:
		cond = "job_id NOT IN (SELECT job_id FROM cycles WHERE outcome = '')";
		break;
	default:
		break;
	}
	char *hold = from_hold ? sqlite3_mprintf(" AND hold_kind = %Q", from_hold)
			       : sqlite3_mprintf("%s", "");
	char *where = sqlite3_mprintf("state = %Q%s%s%s", job_state_name(from), hold ? hold : "",
				      cond ? " AND " : "", cond ? cond : "");
	char *ev = sqlite3_mprintf("INSERT INTO job_events (job, at, from_state, to_state, reason,"
				   " actor) SELECT id, %lld, state, %Q, %Q, %Q FROM jobs WHERE %s",
				   now, job_state_name(to), reason ? reason : "", actor, where);
	char *up = sqlite3_mprintf("UPDATE jobs SET state = %Q, hold_kind = %Q, reason = %Q, "
				   "not_before = %lld, updated_at = %lld WHERE %s",
				   job_state_name(to), hold_kind ? hold_kind : "",
				   reason ? reason : "", not_before, now, where);
	int own = !st->in_tx, r = -ENOMEM;

	if (!where || !ev || !up)
		goto out;
	if (own && (r = store_begin(st)) < 0)
		goto out;
	if ((r = exec(st, ev)) == 0 && (r = exec(st, up)) == 0)
		r = sqlite3_changes(st->db);
	if (own) {
		if (r >= 0) {
			int c = store_commit(st);
			if (c < 0)
				r = c;
		} else {
			store_rollback(st);
		}
	}
out:
	sqlite3_free(hold);
	sqlite3_free(where);
	sqlite3_free(ev);
	sqlite3_free(up);
	return r;
}

int
store_activate(struct store *st, const struct job_row *row, const char *line, const char *actor,
	       long long now)
{
	char *sql = sqlite3_mprintf("UPDATE jobs SET state = 'active', hold_kind = '', reason = '',"
				    " line = %Q, attempts = attempts + 1, updated_at = %lld "
				    "WHERE id = %lld AND state = 'queued'",
				    line, now, row->id);
	char reason[48];
	int r = sql ? exec(st, sql) : -ENOMEM;

	sqlite3_free(sql);
	if (r == 0 && sqlite3_changes(st->db) != 1)
		r = -EPERM;
	snprintf(reason, sizeof(reason), R_("dispatched to line %s"), line);
	if (r == 0)
		r = record_event(st, row->id, now, "queued", "active", reason, actor);
	return r;
}

int
store_set_priority(struct store *st, const char *job_id, int priority, const char *actor,
		   long long now)
{
	struct job_row row;
	char reason[64];
	sqlite3_stmt *s;
	int r;

	if ((r = store_begin(st)) < 0)
		return r;
	if ((r = lookup(st, job_id, &row, NULL)) < 0)
		goto fail;
	r = -EIO;
	if (sqlite3_prepare_v2(st->db, "UPDATE jobs SET priority = ?, updated_at = ? WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(s, 1, priority);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, row.id);
	r = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(s);
	snprintf(reason, sizeof(reason), R_("priority %d -> %d"), row.priority, priority);
	if (r < 0 || (r = record_event(st, row.id, now, job_state_name(row.state),
				       job_state_name(row.state), reason, actor)) < 0)
		goto fail;
	return store_commit(st);
fail:
	store_rollback(st);
	return r;
}

/* "state IN (...)" and "kind IN (...)" for masks; caller frees with sqlite3_free. */
static char *
mask_sql(unsigned state_mask, unsigned kind_mask)
{
	char buf[512] = "1";
	size_t n = 1;

	if ((state_mask & JS_ANY) != JS_ANY) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " AND state IN (''");
		for (int i = 0; i < JS_COUNT; i++)
			if (state_mask & JS_MASK(i))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",'%s'",
						      state_names[i]);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ")");
	}
	if ((kind_mask & 7u) != 7u) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " AND kind IN (-1");
		for (int i = 0; i < JOB_KIND_COUNT; i++)
			if (kind_mask & (1u << i))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",%d", i);
		snprintf(buf + n, sizeof(buf) - n, ")");
	}
	return sqlite3_mprintf("%s", buf);
}

int
store_count(struct store *st, unsigned state_mask, unsigned kind_mask, long long *ret)
{
	char *where = mask_sql(state_mask, kind_mask);
	char *sql = sqlite3_mprintf("SELECT count(*) FROM jobs WHERE %s", where);
	sqlite3_stmt *s;
	int r = -EIO;

	if (sql && sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			*ret = sqlite3_column_int64(s, 0);
			r = 0;
		}
		sqlite3_finalize(s);
	}
	sqlite3_free(where);
	sqlite3_free(sql);
	return r;
}

int
store_count_kind(struct store *st, enum job_state state, const char *hold_kind, long long *ret)
{
	sqlite3_stmt *s;
	int r = -EIO;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT count(*) FROM jobs WHERE state = ? AND hold_kind = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, job_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hold_kind, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(s, 0);
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

int
store_peek_queued(struct store *st, struct job_row *ret_row)
{
	int rc = sqlite3_step(st->peek), r = -ENOENT;

	if (rc == SQLITE_ROW) {
		read_row(st->peek, ret_row);
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_reset(st->peek);
	return r;
}

int
store_nik_printed(struct store *st, const char *nik, const char *except_job_id,
		  char ret_job_id[JOB_ID_MAX + 1])
{
	int rc, r = 0;

	sqlite3_bind_text(st->nik, 1, nik, -1, SQLITE_STATIC);
	sqlite3_bind_text(st->nik, 2, except_job_id ? except_job_id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st->nik);
	if (rc == SQLITE_ROW) {
		copy_text(ret_job_id, JOB_ID_MAX + 1, st->nik, 0);
		r = 1;
	} else if (rc != SQLITE_DONE) {
		r = -EIO;
	}
	sqlite3_reset(st->nik);
	sqlite3_clear_bindings(st->nik);
	return r;
}

int
store_day_count(struct store *st, const char *day, long long *ret)
{
	sqlite3_stmt *s;
	int r = -EIO;

	if (sqlite3_prepare_v2(st->db, "SELECT dispatched FROM daily WHERE day = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		*ret = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		r = 0;
	}
	sqlite3_finalize(s);
	return r;
}

int
store_day_increment(struct store *st, const char *day)
{
	char *sql = sqlite3_mprintf("INSERT INTO daily (day, dispatched) VALUES (%Q, 1) "
				    "ON CONFLICT(day) DO UPDATE SET dispatched = dispatched + 1",
				    day);
	int r = sql ? exec(st, sql) : -ENOMEM;

	sqlite3_free(sql);
	return r;
}

int
store_list(struct store *st, unsigned state_mask, unsigned kind_mask, long limit, store_row_cb cb,
	   void *ctx)
{
	char *where = mask_sql(state_mask, kind_mask);
	char *sql = sqlite3_mprintf("SELECT " ROW_COLS
				    " FROM jobs INDEXED BY jobs_order WHERE %s" QUEUE_ORDER
				    " LIMIT %ld",
				    where, limit > 0 ? limit : -1L);
	sqlite3_stmt *s;
	struct job_row row;
	int r = -EIO, rc;

	if (sql && sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK) {
		r = 0;
		while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			read_row(s, &row);
			r = cb(&row, ctx);
		}
		sqlite3_finalize(s);
	}
	sqlite3_free(where);
	sqlite3_free(sql);
	return r;
}

int
store_events(struct store *st, long long id, store_event_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int r = 0;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT at, from_state, to_state, reason, actor FROM job_events "
			       "WHERE job = ? ORDER BY seq",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	while (r == 0 && sqlite3_step(s) == SQLITE_ROW)
		r = cb(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
		       (const char *)sqlite3_column_text(s, 2),
		       (const char *)sqlite3_column_text(s, 3),
		       (const char *)sqlite3_column_text(s, 4), ctx);
	sqlite3_finalize(s);
	return r;
}
