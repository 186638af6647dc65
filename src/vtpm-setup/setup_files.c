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

#include "os/file_atomic.h"
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
	const struct file_atomic f = {
		.dirfd = dirfd, .tmp = tmp, .mode = mode, .exact_mode = true,
	};

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	return file_atomic_write(&f, name, data, len, NULL, 0);
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
	int err;

	if (fd < 0)
		return -errno;
	err = file_sync_dir(fd);
	close(fd);
	return err;
}

/* F's two names in its directory, for os/file_atomic.h. */
static struct file_atomic staged_as(const struct staged_file *f, mode_t mode)
{
	return (struct file_atomic){
		.dirfd = f->dirfd, .tmp = f->tmp, .mode = mode, .exact_mode = true,
	};
}

int files_stage(struct staged_file *f, const char *path, const void *data,
		size_t len, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	struct file_atomic fa;
	int ret;

	f->staged = false;
	if ((size_t)snprintf(dir, sizeof(dir), "%.*s",
			     slash ? (int)(slash - path) : 1,
			     slash ? path : ".") >= sizeof(dir) ||
	    snprintf(f->name, sizeof(f->name), "%s", name) >= (int)sizeof(f->name) ||
	    snprintf(f->tmp, sizeof(f->tmp), ".%s.vtpm-setup-%ld", name,
		     (long)getpid()) >= (int)sizeof(f->tmp))
		return -ENAMETOOLONG;
	if (!*name)
		return -EISDIR;
	f->dirfd = open(slash == path ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return -errno;
	fa = staged_as(f, mode);
	ret = file_atomic_stage(&fa, data, len, NULL, 0);
	if (ret < 0) {
		close(f->dirfd);
		return ret;
	}
	f->staged = true;
	return 0;
}

int files_stage_commit(struct staged_file *f)
{
	struct file_atomic fa = staged_as(f, 0);
	int ret;

	if (!f->staged)
		return 0;
	ret = file_atomic_commit(&fa, f->name, NULL, 0);
	close(f->dirfd);
	f->staged = false;
	return ret;
}

void files_stage_abort(struct staged_file *f)
{
	struct file_atomic fa = staged_as(f, 0);

	if (!f->staged)
		return;
	file_atomic_abort(&fa);
	close(f->dirfd);
	f->staged = false;
}
