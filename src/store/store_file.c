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

#include "os/file_atomic.h"
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

int store_sync_dir(const struct store *s)
{
	return file_sync_dir(s->dirfd);
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
	fd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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

/* Atomically and durably (os/file_atomic.h), the old FINAL kept first
 * between the two steps when asked. */
int store_write_file(const struct store *s, const char *tmp, const char *final,
		     const char *keep_as, const uint8_t *buf, size_t len)
{
	const struct file_atomic f = {
		.dirfd = s->dirfd, .tmp = tmp, .mode = s->mode, .exact_mode = s->mode_exact,
	};
	char why[256];
	int err;

	err = file_atomic_stage(&f, buf, len, why, sizeof(why));
	if (err == 0) {
		if (keep_as)
			keep_previous(s, final, keep_as);
		err = file_atomic_commit(&f, final, why, sizeof(why));
	}
	if (err)
		log_error("store: writing %s/%s: %s", s->path, final, why);
	return err;
}
