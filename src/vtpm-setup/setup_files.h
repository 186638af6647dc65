/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_files.h - the file operations vtpm-setup needs besides the state:
 * bounded whole-file reads, atomic and durable writes, mkdir -p, and
 * removing the temporary state directories it made.
 *
 * Return values: 0 or -errno.
 */
#ifndef VTPMD_SETUP_FILES_H
#define VTPMD_SETUP_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

/* All of PATH (or of FD, which is then closed, when PATH is NULL) into a
 * malloc'ed *BUF of *LEN bytes plus a terminating NUL; -EFBIG if longer
 * than MAX. The buffer is wiped before any failure frees it. */
int files_read(const char *path, int fd, size_t max, uint8_t **buf, size_t *len);
/* Wipe and free what files_read() returned. */
void files_free(uint8_t *buf, size_t len);

/* DIRFD/NAME holds exactly DATA afterwards, or what it held before:
 * temporary file ".NAME.tmp", fsync, rename, fsync of the directory
 * (os/file_atomic.h). */
int files_write_atomic(int dirfd, const char *name, const void *data,
		       size_t len, mode_t mode);

/*
 * A file written beside its final name and moved there later, so that it
 * appears only once everything else worked: stage (write ".NAME.vtpm-setup-
 * PID" in PATH's directory, fsync), then commit (rename, fsync of the
 * directory) or abort (unlink). The directory is held open in between.
 */
struct staged_file {
	int dirfd;              /* PATH's directory, while staged */
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
	bool staged;
};
int files_stage(struct staged_file *f, const char *path, const void *data,
		size_t len, mode_t mode);
int files_stage_commit(struct staged_file *f);
void files_stage_abort(struct staged_file *f);


/* Remove DIR and what vtpm-setup may have put in it (regular files and
 * nothing deeper). */
int files_remove_dir(const char *dir);

/* fsync the directory PATH (a no-op where the filesystem cannot). */
int files_sync_dir(const char *path);

#endif
