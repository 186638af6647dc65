/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file_atomic.h - replace a file so that, whatever instant the process or
 * the machine stops, it holds the old bytes or the new ones, never a mix:
 * a temporary file beside it is written and fsynced, renamed over the
 * file, and the directory is fsynced. The state store, the CDI specs and
 * vtpm-setup's files all write this way.
 *
 * Everything is relative to a directory fd, so a later chdir, chroot or
 * privilege drop does not move the files, and names are single path
 * components: no symlink is followed, the temporary file is created with
 * O_EXCL | O_NOFOLLOW after a stale one (left by a crash) is removed.
 * Until the rename a failure leaves the file as it was and removes the
 * temporary one.
 *
 * Functions return 0 or -errno. A failure also writes one line into ERR
 * (ERRLEN bytes; nothing when ERR is NULL) naming the step that failed
 * and why, e.g. "fsync: Input/output error"; the caller says which file.
 */
#ifndef VTPMD_FILE_ATOMIC_H
#define VTPMD_FILE_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct file_atomic {
	int dirfd;              /* the directory both names are in */
	const char *tmp;        /* the temporary file's name */
	mode_t mode;            /* the new file's permission bits */
	bool exact_mode;        /* exactly MODE; false: MODE less the umask */
};

/* The whole replacement: file_atomic_stage(), then file_atomic_commit(). */
int file_atomic_write(const struct file_atomic *f, const char *name,
		      const void *buf, size_t len, char *err, size_t errlen);

/*
 * The steps, for a caller with work between them (keeping a backup of the
 * old file, or waiting until everything else worked): stage writes BUF to
 * F->tmp (remove a stale one, create, chmod, write, fsync, close); commit
 * renames it over NAME and fsyncs the directory (a failed rename removes
 * the temporary file; if only that last fsync fails, NAME is already the
 * new file and only its durability is unknown); abort removes a staged
 * temporary file instead.
 */
int file_atomic_stage(const struct file_atomic *f, const void *buf, size_t len,
		      char *err, size_t errlen);
int file_atomic_commit(const struct file_atomic *f, const char *name,
		       char *err, size_t errlen);
void file_atomic_abort(const struct file_atomic *f);

/* fsync the directory DIRFD; where the file system cannot (EINVAL) there
 * is nothing to do. */
int file_sync_dir(int dirfd);

#endif
