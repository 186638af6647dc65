/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_files.c - vtpm-setup's file helpers (see setup_files.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
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

/* DIRFD/NAME is a staged file of a run that is gone: unlink it. */
static void remove_stale(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
		(void)unlinkat(dirfd, name, 0);
	close(fd);
}

static void remove_stale_staged(int dirfd, const char *prefix)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = strlen(prefix);
	struct dirent *e;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, n) == 0 && strlen(e->d_name) == n + FILES_TMP_RANDOM)
			remove_stale(dirfd, e->d_name);
	closedir(d);
}

int files_tmp_name(char *buf, size_t len, const char *prefix)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[FILES_TMP_RANDOM];
	size_t n = strlen(prefix), i;

	if (n + FILES_TMP_RANDOM >= len)
		return -ENAMETOOLONG;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	memcpy(buf, prefix, n);
	for (i = 0; i < FILES_TMP_RANDOM; i++)
		buf[n + i] = chars[r[i] % (sizeof(chars) - 1)];
	buf[n + FILES_TMP_RANDOM] = '\0';
	return 0;
}

/* O_EXCL|O_NOFOLLOW in DIRFD under PREFIX, locked at once. */
static int create_staged(struct staged_file *f, const char *prefix, mode_t mode)
{
	int tries, err;

	for (tries = 0; tries < 100; tries++) {
		err = files_tmp_name(f->tmp, sizeof(f->tmp), prefix);
		if (err)
			return err;
		f->fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			       O_CLOEXEC, mode);
		if (f->fd >= 0)
			return flock(f->fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int files_stage(struct staged_file *f, const char *path, const void *data,
		size_t len, mode_t mode)
{
	char dir[4096], prefix[sizeof(f->name) + 16];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int err;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->dirfd = f->fd = -1;
	if (snprintf(f->name, sizeof(f->name), "%s", slash ? slash + 1 : path) >=
	    (int)sizeof(f->name))
		return -ENAMETOOLONG;
	if (!f->name[0] || strcmp(f->name, ".") == 0 || strcmp(f->name, "..") == 0)
		return -EISDIR;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path) >=
		 (int)sizeof(dir))
		return -ENAMETOOLONG;
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		return -errno;
	f->staged = true;
	err = fstatat(f->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		S_ISDIR(st.st_mode) ? -EISDIR : 0;
	snprintf(prefix, sizeof(prefix), ".%s.vtpm-setup-", f->name);
	if (!err) {
		remove_stale_staged(f->dirfd, prefix);
		err = create_staged(f, prefix, mode);
	}
	if (!err)
		err = io_write_full(f->fd, data, len);
	if (!err && fchmod(f->fd, mode) < 0)
		err = -errno;
	if (!err && fsync(f->fd) < 0)
		err = -errno;
	if (err)
		files_stage_abort(f);
	return err;
}

int files_stage_commit(struct staged_file *f)
{
	struct stat mine, now;
	int err = 0;

	if (!f->staged)
		return 0;
	/* the name must still be the file written */
	if (fstat(f->fd, &mine) < 0 || fstatat(f->dirfd, f->tmp, &now, AT_SYMLINK_NOFOLLOW) < 0)
		err = -errno;
	else if (!files_same(&mine, &now))
		err = -ESTALE;
	if (err) {
		files_stage_abort(f);
		return err;
	}
	err = file_atomic_commit(&(struct file_atomic){ .dirfd = f->dirfd, .tmp = f->tmp },
				 f->name, NULL, 0);
	f->tmp[0] = '\0';      /* renamed, or removed by the failed rename */
	files_stage_abort(f);   /* closes */
	return err;
}

void files_stage_abort(struct staged_file *f)
{
	struct stat mine, now;

	if (!f->staged)
		return;
	if (f->fd >= 0 && f->tmp[0] && fstat(f->fd, &mine) == 0 &&
	    fstatat(f->dirfd, f->tmp, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    files_same(&mine, &now))
		(void)unlinkat(f->dirfd, f->tmp, 0);
	if (f->fd >= 0)
		close(f->fd);
	close(f->dirfd);
	f->fd = f->dirfd = -1;
	f->staged = false;
}

int files_each_entry(int dirfd, files_entry_fn fn, void *ctx)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (ret == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		ret = fn(dirfd, e->d_name, ctx);
	}
	if (ret == 0 && errno)
		ret = -errno;
	closedir(d);
	return ret;
}

static int unlink_entry(int dirfd, const char *name, void *ctx)
{
	(void)ctx;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int files_empty_dir(int dirfd)
{
	return files_each_entry(dirfd, unlink_entry, NULL);
}

int files_remove_dir_at(int at, const char *name, const struct stat *st)
{
	struct stat now;

	if (fstatat(at, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!files_same(&now, st))
		return -ESTALE;
	return unlinkat(at, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}
