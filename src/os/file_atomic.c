/* SPDX-License-Identifier: BSD-3-Clause */
/* file_atomic.c - temp file, fsync, rename, fsync of the directory (file_atomic.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/file_atomic.h"
#include "os/io.h"
#include "os/log.h"

/* Report STEP's failure, errno -RET, as the one line of file_atomic.h. */
static int step_failed(char *err, size_t errlen, const char *step, int ret)
{
	return log_errline(err, errlen, ret, "%s: %s", step, strerror(-ret));
}

static bool one_component(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

int file_sync_dir(int dirfd)
{
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int file_atomic_stage(const struct file_atomic *f, const void *buf, size_t len,
		      char *err, size_t errlen)
{
	const char *step;
	int fd, ret;

	if (!one_component(f->tmp))
		return step_failed(err, errlen, "naming the temp file", -EINVAL);
	/* A temp file left by a crash may carry another owner or mode. */
	if (unlinkat(f->dirfd, f->tmp, 0) < 0 && errno != ENOENT)
		return step_failed(err, errlen, "removing a stale temp file", -errno);
	fd = openat(f->dirfd, f->tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, f->mode);
	if (fd < 0)
		return step_failed(err, errlen, "creating the temp file", -errno);

	if (f->exact_mode && fchmod(fd, f->mode) < 0) {
		step = "chmod";
		ret = -errno;
	} else if ((ret = io_write_full(fd, buf, len)) < 0) {
		step = "write";
	} else if (fsync(fd) < 0) {
		step = "fsync";
		ret = -errno;
	} else {
		step = "close";
		ret = 0;
	}
	/* close() even after a failure; its own error counts only when it is
	 * the first (a file that did not close may not be whole). */
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0) {
		unlinkat(f->dirfd, f->tmp, 0);
		return step_failed(err, errlen, step, ret);
	}
	return 0;
}

int file_atomic_commit(const struct file_atomic *f, const char *name,
		       char *err, size_t errlen)
{
	int ret;

	if (!one_component(name)) {
		file_atomic_abort(f);
		return step_failed(err, errlen, "naming the file", -EINVAL);
	}
	if (renameat(f->dirfd, f->tmp, f->dirfd, name) < 0) {
		ret = -errno;
		file_atomic_abort(f);
		return step_failed(err, errlen, "rename", ret);
	}
	ret = file_sync_dir(f->dirfd);
	if (ret < 0)
		return step_failed(err, errlen, "fsync of the directory", ret);
	return 0;
}

void file_atomic_abort(const struct file_atomic *f)
{
	int saved_errno = errno;

	unlinkat(f->dirfd, f->tmp, 0);
	errno = saved_errno;
}

int file_atomic_write(const struct file_atomic *f, const char *name,
		      const void *buf, size_t len, char *err, size_t errlen)
{
	int ret = file_atomic_stage(f, buf, len, err, errlen);

	return ret < 0 ? ret : file_atomic_commit(f, name, err, errlen);
}
