/*
 * privacy.c - cetakd's retention pass (privacy.h).
 */
#define _GNU_SOURCE
#include "privacy.h"
#include "common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/privacy.h"

/* Jobs purged per transaction; a pass takes at most PASS_MAX. */
#define BATCH 2000
#define PASS_MAX 200000

/* Refused job files (and their .reason) in rejected/ older than cutoff. */
static long
sweep_rejected(const struct cetakd *d, long long cutoff)
{
	char path[4096];
	int fd;
	DIR *dir;
	struct dirent *de;
	long n = 0;

	snprintf(path, sizeof(path), "%s/rejected", d->cfg->spool_dir);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(dir))) {
		struct stat sb;
		if (de->d_name[0] == '.' || fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || (long long)sb.st_mtime > cutoff)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0) {
			size_t len = strlen(de->d_name);
			n += len < 7 || strcmp(de->d_name + len - 7, ".reason") != 0;
		}
	}
	fsync(fd);
	closedir(dir);
	return n;
}

int
privacy_run(struct cetakd *d, struct privacy_pass *res, char *why, size_t whylen)
{
	long long now = cetakd_now(d);
	int days = d->cfg->retention_days, r;

	memset(res, 0, sizeof(*res));
	do {
		r = store_purge_personal(d->store, now, days, BATCH);
		if (r < 0) {
			snprintf(why, whylen, "job store: %s", store_errmsg(d->store));
			return r;
		}
		res->jobs += r;
	} while (r == BATCH && res->jobs < PASS_MAX);
	res->rejected = sweep_rejected(d, now - (long long)days * 86400);
	if (res->jobs && (r = store_reclaim(d->store)) < 0) {
		snprintf(why, whylen, "job store: VACUUM: %s", store_errmsg(d->store));
		return r;
	}
	res->reclaimed = res->jobs && r == 1;
	return 0;
}

void
privacy_tick(struct cetakd *d)
{
	struct privacy_pass res;
	char why[256];

	if (privacy_run(d, &res, why, sizeof(why)) < 0) {
		log_error("privacy: %s", why);
		return;
	}
	if (res.jobs || res.rejected)
		log_notice("privacy: personal data of %ld jobs and %ld refused job files removed "
			   "(custody.retention_days %d)%s",
			   res.jobs, res.rejected, d->cfg->retention_days,
			   res.reclaimed ? "; the job store's free space given back" : "");
}
