/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_file.c - the file primitives of the state directory: whole reads of
 * regular files and atomic, durable replacement, relative to the directory
 * fd opened once by store_open(), so a later chdir, chroot or privilege drop
 * does not change which files are used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/io.h"
#include "os/log.h"
#include "mem/secret.h"
#include "store/store_internal.h"

#define STORE_MAX_FILE (16u << 20)      /* far above any libtpms state */
#define STORE_TMP_PREFIX "TMP-"

int store_file_exists(int dirfd, const char *name)
{
	struct stat sb;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/* Some filesystems cannot fsync a directory (EINVAL); nothing to do then. */
int store_sync_dir(const struct store *s)
{
	if (fsync(s->dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int store_read_file(const struct store *s, const char *name, uint8_t **buf,
		    size_t *len)
{
	struct stat sb;
	uint8_t *p = NULL;
	size_t size = 0;
	const char *why;
	ssize_t got;
	int fd, err;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted in its place must not hang the start
	 * before fstat() below can refuse it. */
	fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			log_error("store: opening %s/%s: %s", s->path, name,
				  err == -ELOOP ? "is a symlink" : strerror(-err));
		return err;
	}
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		why = strerror(-err);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = -EINVAL;
		why = "not a regular file";
		goto fail;
	}
	if (sb.st_size > STORE_MAX_FILE) {
		err = -EFBIG;
		why = "larger than 16 MiB";
		goto fail;
	}
	/* As swtpm does with mode=, bring old files to the configured mode;
	 * a file we cannot chmod can still be read and replaced. */
	if (s->mode_exact && (sb.st_mode & 07777) != s->mode &&
	    fchmod(fd, s->mode) < 0)
		log_error("store: chmod %s/%s: %s", s->path, name, strerror(errno));

	size = (size_t)sb.st_size;
	p = malloc(size ? size : 1);
	if (!p) {
		err = -ENOMEM;
		why = strerror(ENOMEM);
		goto fail;
	}
	got = io_read_full(fd, p, size);
	if (got < 0) {
		err = (int)got;
		why = strerror(-err);
		goto fail;
	}
	if ((size_t)got != size) {
		err = -EIO;
		why = "file shrank while being read";
		goto fail;
	}
	close(fd);
	*buf = p;
	*len = size;
	return 0;

fail:
	log_error("store: reading %s/%s: %s", s->path, name, why);
	secret_free(p, size);
	close(fd);
	return err;
}

/*
 * Keep the current FINAL as KEEP_AS: a copy, written atomically like any
 * state file (a hard link would be cheaper, but the seccomp allow-list has
 * no linkat, and renaming FINAL away would leave a moment without it).
 * No FINAL yet is fine. Failure is logged and the write goes on: a missing
 * backup must not fail a TPM command.
 */
static void keep_previous(const struct store *s, const char *final,
			  const char *keep_as)
{
	char tmp[256];
	uint8_t *old;
	size_t len;
	int err;

	err = store_read_file(s, final, &old, &len);
	if (err == -ENOENT)
		return;
	if (err == 0) {
		snprintf(tmp, sizeof(tmp), STORE_TMP_PREFIX "%s", keep_as);
		err = store_write_file(s, tmp, keep_as, NULL, old, len);
		secret_free(old, len);
	}
	if (err)
		log_error("store: could not keep the previous %s/%s as %s",
			  s->path, final, keep_as);
}

/*
 * Write TMP, fsync it, rename it over FINAL, fsync the directory, so a crash
 * at any instant leaves the old or the new file. Until the rename, a failure
 * leaves FINAL untouched and removes TMP.
 */
int store_write_file(const struct store *s, const char *tmp, const char *final,
		     const char *keep_as, const uint8_t *buf, size_t len)
{
	const char *step;
	int fd = -1, err;
	bool created = false;

	/* A TMP left by a crash may carry another owner or mode: start afresh. */
	if (unlinkat(s->dirfd, tmp, 0) < 0 && errno != ENOENT) {
		step = "removing a stale temp file";
		goto fail;
	}
	fd = openat(s->dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, s->mode);
	if (fd < 0) {
		step = "creating the temp file";
		goto fail;
	}
	created = true;
	if (s->mode_exact && fchmod(fd, s->mode) < 0) {
		step = "chmod";
		goto fail;
	}
	err = io_write_full(fd, buf, len);
	if (err) {
		errno = -err;
		step = "write";
		goto fail;
	}
	if (fsync(fd) < 0) {
		step = "fsync";
		goto fail;
	}
	err = close(fd);
	fd = -1;
	if (err < 0) {
		step = "close";
		goto fail;
	}
	if (keep_as)
		keep_previous(s, final, keep_as);
	if (renameat(s->dirfd, tmp, s->dirfd, final) < 0) {
		step = "rename";
		goto fail;
	}
	err = store_sync_dir(s);
	if (err) {
		/* FINAL is already the new file; only durability is unknown */
		log_error("store: writing %s/%s: fsync of the directory: %s",
			  s->path, final, strerror(-err));
		return err;
	}
	return 0;

fail:
	err = -errno;
	log_error("store: writing %s/%s: %s: %s", s->path, final, step,
		  strerror(-err));
	if (fd >= 0)
		close(fd);
	if (created)
		unlinkat(s->dirfd, tmp, 0);
	return err;
}
