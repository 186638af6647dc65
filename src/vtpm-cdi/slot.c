/* SPDX-License-Identifier: BSD-3-Clause */
/* slot.c - claims as symlinks, under one lock per pool. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/number.h"
#include "vtpm-cdi/proc.h"
#include "vtpm-cdi/slot.h"

int run_dir_open_locked(const char *path, struct run_dir *r)
{
	int ret;

	r->fd = r->lock_fd = -1;
	if (mkdir(path, 0711) < 0 && errno != EEXIST)
		return -errno;
	r->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	r->lock_fd = openat(r->fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->lock_fd < 0) {
		ret = -errno;
		run_dir_close(r);
		return ret;
	}
	while (flock(r->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			run_dir_close(r);
			return ret;
		}
	}
	return 0;
}

void run_dir_close(struct run_dir *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);         /* releases the lock */
	if (r->fd >= 0)
		close(r->fd);
	r->fd = r->lock_fd = -1;
}

int container_dir_name(char *buf, size_t len, const char *id)
{
	int n = snprintf(buf, len, "c-%s", id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void claim_name(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, "slot-%u", n);
}

int slot_owner(struct run_dir *r, unsigned n, char *owner, size_t owner_len)
{
	char name[32];
	ssize_t len;

	claim_name(name, sizeof(name), n);
	len = readlinkat(r->fd, name, owner, owner_len - 1);
	if (len < 0)
		return -errno;
	owner[len] = '\0';
	return oci_id_valid(owner) ? 0 : -EINVAL;
}

pid_t container_vtpmd_pid(struct run_dir *r, const char *id)
{
	char path[OCI_ID_MAX + 32], buf[32];
	ssize_t len;
	uint64_t pid;
	int fd;

	if (snprintf(path, sizeof(path), "c-%s/vtpmd.pid", id) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = openat(r->fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -EINVAL;
	buf[len] = '\0';
	if (buf[len - 1] == '\n')
		buf[len - 1] = '\0';           /* the line vtpmd --pid writes */
	if (number_parse(buf, NUMBER_DEC, INT_MAX, &pid) < 0 || pid <= 1)
		return -EINVAL;
	return (pid_t)pid;
}

int slot_claim(struct run_dir *r, unsigned n, const char *id, const char *vtpmd,
	       char *owner, size_t owner_len)
{
	char name[32];
	pid_t pid;
	int ret;

	claim_name(name, sizeof(name), n);
	if (symlinkat(id, r->fd, name) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	ret = slot_owner(r, n, owner, owner_len);
	if (ret == 0 && strcmp(owner, id) == 0)
		return 0;               /* ours already: a create run again */
	if (ret == 0) {
		pid = container_vtpmd_pid(r, owner);
		if (pid > 0 && proc_is(pid, vtpmd))
			return -EBUSY;
	}
	/* Left behind (or unreadable): hooks hold the lock, so nobody is
	 * between claiming and starting. Take it over. */
	if (unlinkat(r->fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return symlinkat(id, r->fd, name) < 0 ? -errno : 0;
}

int slot_release(struct run_dir *r, unsigned n)
{
	char name[32];

	claim_name(name, sizeof(name), n);
	if (unlinkat(r->fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
