/*
 * submit.c - the producer side of the spool: hand one job file to cetakd.
 *
 * Used by `cetakctl submit`; upstream exporters do the same thing in their
 * own language: write tmp/NAME (O_EXCL), fsync, rename into new/, fsync new/.
 */
#define _GNU_SOURCE
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
spool_put(int tmpdirfd, const char *tmpname, int dstdirfd, const char *dstname, const void *data,
	  size_t len, int mode)
{
	int fd, r = 0;

	fd = openat(tmpdirfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(tmpdirfd, tmpname, dstdirfd, dstname) < 0)
		r = -errno;
	if (r == 0 && fsync(dstdirfd) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(tmpdirfd, tmpname, 0);
	return r;
}

int
spool_submit(const char *dir, const void *data, size_t len, const char *tag, char **ret_name)
{
	static unsigned counter;
	char name[256], tmp[4096], new[4096];
	int tmpfd, newfd, r;

	snprintf(name, sizeof(name), "%lld.%d.%u.%.64s.json", (long long)time(NULL), (int)getpid(),
		 counter++, tag);
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	snprintf(new, sizeof(new), "%s/new", dir);
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	newfd = open(new, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0 || newfd < 0)
		r = -errno;
	else
		r = spool_put(tmpfd, name, newfd, name, data, len, 0640);
	if (r == 0 && ret_name)
		*ret_name = strdup(name);
	if (tmpfd >= 0)
		close(tmpfd);
	if (newfd >= 0)
		close(newfd);
	return r;
}
