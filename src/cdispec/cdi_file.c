/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_file.c - temp file, fsync, rename, fsync of the directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdispec/cdi_file.h"
#include "os/io.h"

#define TMP_NAME_MAX 300

static int name_into(char *buf, size_t len, const char *fmt, const char *part)
{
	int n = snprintf(buf, len, fmt, part);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cdi_file_name_device(char *buf, size_t len, const char *devname)
{
	return name_into(buf, len, "vtpmd-dev-%s.json", devname);
}

int cdi_file_name_pool(char *buf, size_t len, const char *prefix)
{
	return name_into(buf, len, "vtpmd-pool-%s.json", prefix);
}

int cdi_dir_open(const char *dir, int *fd)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (d < 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (d < 0)
		return -errno;
	*fd = d;
	return 0;
}

/* A fresh temporary file; one left by a writer that died is replaced. */
static int open_tmp(int dirfd, const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dirfd, tmp, flags, 0644);

	if (fd < 0 && errno == EEXIST) {
		if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
			return -errno;
		fd = openat(dirfd, tmp, flags, 0644);
	}
	return fd < 0 ? -errno : fd;
}

int cdi_file_write(int dirfd, const char *name, const char *data, size_t len)
{
	char tmp[TMP_NAME_MAX];
	int fd, ret;

	if (strchr(name, '/'))
		return -EINVAL;
	if (name_into(tmp, sizeof(tmp), ".%s.tmp", name) < 0)
		return -ENAMETOOLONG;
	fd = open_tmp(dirfd, tmp);
	if (fd < 0)
		return fd;
	ret = io_write_full(fd, data, len);
	/* Readable by the runtimes whatever our umask. */
	if (ret == 0 && fchmod(fd, 0644) < 0)
		ret = -errno;
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (ret < 0) {
		unlinkat(dirfd, tmp, 0);
		return ret;
	}
	return fsync(dirfd) < 0 ? -errno : 0;
}

int cdi_file_remove(int dirfd, const char *name)
{
	if (strchr(name, '/'))
		return -EINVAL;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
