/*
 * state.c - the state directory: one cetakd at a time, and the job store
 * and the ledger cross-checked before either is used (state.h).
 *
 * The two databases tell each other's history: the ledger chains every job
 * event of the store (up to the store's event number it records), and the
 * store records the ledger head it last saw. A file that was lost, emptied
 * or replaced by an older copy shows as a disagreement, and cetakd refuses
 * to start with the reason, touching neither file: starting afresh over
 * history would forget queued jobs and blanks, and print a second card for
 * a resubmitted job.
 */
#define _GNU_SOURCE
#include "state.h"
#include "jobs/custody.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/store.h"
#include "ledger/ledger.h"

int
state_lock(const char *dir, int *ret_fd, char *why, size_t len)
{
	char path[4096];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		int e = errno;
		snprintf(why, len, "cannot open the lock file %s: %s", path, strerror(e));
		return -e;
	}
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int e = errno;
		struct flock who = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
			snprintf(why, len,
				 "another cetakd is running on the state directory %s "
				 "(pid %d); stop it first, or give this one its own "
				 "paths.state_dir",
				 dir, (int)who.l_pid);
		else
			snprintf(why, len, "cannot lock %s: %s", path, strerror(e));
		close(fd);
		return -EBUSY;
	}
	*ret_fd = fd;
	return 0;
}

/* 1 when path is missing or has no bytes, 0 when it has some, -errno. */
static int
empty_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 1 : -errno;
	return st.st_size == 0;
}

int
state_presence(const char *store_path, const char *ledger_path, bool *ret_new, char *why,
	       size_t len)
{
	int se = empty_file(store_path), le = empty_file(ledger_path);

	if (se < 0 || le < 0) {
		snprintf(why, len, "cannot look at %s: %s", se < 0 ? store_path : ledger_path,
			 strerror(-(se < 0 ? se : le)));
		return -EIO;
	}
	if (se != le) {
		snprintf(why, len,
			 "%s is missing or empty while %s is not: one of the station's two "
			 "books lost its history. Restore it from the backup; if this really "
			 "is a new station with nothing recorded, remove both",
			 se ? store_path : ledger_path, se ? ledger_path : store_path);
		return -ENODATA;
	}
	*ret_new = se == 1;
	return 0;
}

struct issued_ctx {
	struct store *store;
	char *why;
	size_t len;
};

static int
issued_exists(const char *job, void *ctx)
{
	struct issued_ctx *c = ctx;
	struct job_row row;

	if (store_get(c->store, job, &row) == 0)
		return 0;
	snprintf(c->why, c->len,
		 "the ledger issued a card for job %.64s, which the job store does "
		 "not have: the job store lost history (restored from an older "
		 "copy?)",
		 job);
	return -ENODATA;
}

int
state_crosscheck(struct store *st, struct ledger *lg, char *why, size_t len)
{
	long long last_event = 0, jobs = 0, seen = 0, lseq = 0, chained, custody = 0, cchained;
	uint8_t seen_hash[32], lhash[32], at[32];
	char check[300];
	int r;

	if (ledger_check(lg, check, sizeof(check)) < 0) {
		snprintf(why, len, "ledger check failed: %s", check);
		return -EBADMSG;
	}
	if (store_last_event(st, &last_event, &jobs) < 0 ||
	    store_custody_last_event(st, &custody) < 0 ||
	    (chained = ledger_last_ref(lg, LK_JOB)) < 0 ||
	    (cchained = ledger_last_ref(lg, LK_CUSTODY)) < 0) {
		snprintf(why, len, "cannot read the job store or the ledger");
		return -EIO;
	}
	if (chained > last_event || cchained > custody) {
		snprintf(why, len,
			 "the ledger chained %s events up to %lld but the job store ends at "
			 "%lld: the job store lost history (restored from an older copy?)",
			 chained > last_event ? "job" : "custody",
			 chained > last_event ? chained : cchained,
			 chained > last_event ? last_event : custody);
		return -ENODATA;
	}
	ledger_head(lg, &lseq, lhash);
	r = store_ledger_seen(st, &seen, seen_hash);
	if (r == -ENOENT) {
		/* a store from before the head was recorded: nothing to compare yet */
		if (lseq == 0 && last_event > 0) {
			snprintf(why, len,
				 "the ledger is empty but the job store holds %lld job "
				 "events: the ledger lost its history",
				 last_event);
			return -ENODATA;
		}
	} else if (r < 0) {
		snprintf(why, len, "cannot read the job store");
		return -EIO;
	} else if (lseq < seen) {
		snprintf(why, len,
			 "the ledger ends at record %lld but the job store saw record %lld: "
			 "the ledger lost history (restored from an older copy?)",
			 lseq, seen);
		return -ENODATA;
	} else if (seen > 0 && (ledger_hash_at(lg, seen, at) < 0 || memcmp(at, seen_hash, 32))) {
		snprintf(why, len,
			 "record %lld of the ledger is not the one the job store saw: the "
			 "ledger was replaced",
			 seen);
		return -ENODATA;
	}
	struct issued_ctx ic = { st, why, len };
	if ((r = ledger_issued_jobs(lg, issued_exists, &ic)) != 0) {
		if (r == -EIO)
			snprintf(why, len, "cannot read the ledger's issued cards");
		return r;
	}
	return state_seen(st, lg);
}

int
state_seen(struct store *st, struct ledger *lg)
{
	long long seq;
	uint8_t hash[32];

	ledger_head(lg, &seq, hash);
	if (store_set_ledger_seen(st, seq, hash) < 0) {
		log_error("jobs: cannot record the ledger head %lld in the job store: %s", seq,
			  store_errmsg(st));
		return -EIO;
	}
	return 0;
}
