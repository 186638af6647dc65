/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_files.c - vtpm-setup's file helpers (see setup_files.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/io.h"
#include "mem/secret.h"
#include "vtpm-setup/setup_files.h"

void files_free(uint8_t *buf, size_t len)
{
	secret_free(buf, len + 1);
}

int files_read(const char *path, int fd, size_t max, uint8_t **buf, size_t *len)
{
	uint8_t *p, *q;
	size_t got;
	int err;

	*buf = NULL;
	*len = 0;
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	err = io_read_all(fd, max, &p, &got);
	close(fd);
	if (err)
		return err;
	/* one more byte for the NUL the text readers want */
	q = secret_grow(p, got, got ? got : 1, got + 1);
	if (!q) {
		secret_free(p, got);
		return -ENOMEM;
	}
	q[got] = '\0';
	*buf = q;
	*len = got;
	return 0;
}

int files_write_atomic(int dirfd, const char *name, const void *data,
		       size_t len, mode_t mode)
{
	char tmp[256];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	(void)unlinkat(dirfd, tmp, 0);  /* left by a process that died */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    mode);
	if (fd < 0)
		return -errno;
	err = io_write_full(fd, data, len);
	if (!err && fchmod(fd, mode) < 0)       /* whatever the umask */
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && renameat(dirfd, tmp, dirfd, name) < 0)
		err = -errno;
	if (err) {
		(void)unlinkat(dirfd, tmp, 0);
		return err;
	}
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int files_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) < 0 && !err)
		err = -errno;
	return err;
}

int files_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		err = -errno;
	close(fd);
	return err;
}

int files_stage(struct staged_file *f, const char *path, const void *data,
		size_t len, mode_t mode)
{
	int fd, err;

	f->staged = false;
	if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path) ||
	    snprintf(f->tmp, sizeof(f->tmp), "%s.vtpm-setup-XXXXXX", path) >=
	    (int)sizeof(f->tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(f->tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = io_write_full(fd, data, len);
	if (!err && fchmod(fd, mode) < 0)
		err = -errno;
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		(void)unlink(f->tmp);
		return err;
	}
	f->staged = true;
	return 0;
}

int files_stage_commit(struct staged_file *f)
{
	if (!f->staged)
		return 0;
	if (rename(f->tmp, f->path) < 0) {
		int err = -errno;

		files_stage_abort(f);
		return err;
	}
	f->staged = false;
	return 0;
}

void files_stage_abort(struct staged_file *f)
{
	if (f->staged)
		(void)unlink(f->tmp);
	f->staged = false;
}
