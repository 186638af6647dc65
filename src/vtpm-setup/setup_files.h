/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_files.h - the file operations vtpm-setup needs besides the state:
 * bounded whole-file reads, atomic and durable writes, and output files
 * staged beside their final name.
 *
 * Return values: 0 or -errno.
 */
#ifndef VTPMD_SETUP_FILES_H
#define VTPMD_SETUP_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
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

/* PREFIX and FILES_TMP_RANDOM random letters and digits: the name of a
 * temporary file or directory. */
#define FILES_TMP_RANDOM 6
int files_tmp_name(char *buf, size_t len, const char *prefix);

/*
 * A file written beside its final name and moved there later, so that it
 * appears only once everything else worked: stage (write, fsync), then
 * commit (rename, fsync of the directory) or abort (unlink). PATH's
 * directory is opened once; the staged file (.NAME.vtpm-setup-XXXXXX) is
 * created O_EXCL|O_NOFOLLOW and flock()ed until commit or abort, so that
 * staging removes the ones of runs that were killed (their lock is free).
 * Staging fails with -EISDIR when PATH names a directory: what would make
 * the commit fail is found before.
 */
struct staged_file {
	const char *path;       /* as given, for messages */
	char name[256];
	char tmp[256 + 32];
	int dirfd;
	int fd;                 /* the staged file, locked */
	bool staged;            /* dirfd and fd are open */
};
int files_stage(struct staged_file *f, const char *path, const void *data,
		size_t len, mode_t mode);
int files_stage_commit(struct staged_file *f);
void files_stage_abort(struct staged_file *f);

/* --- directories, by descriptor ------------------------------------------ */

/* A and B describe the same file (device and inode). */
static inline bool files_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* FN(DIRFD, NAME, CTX) for each entry of DIRFD but "." and ".."; stops at
 * the first non-zero return, which it returns (or -errno of the listing). */
typedef int (*files_entry_fn)(int dirfd, const char *name, void *ctx);
int files_each_entry(int dirfd, files_entry_fn fn, void *ctx);
/* Unlink every entry of DIRFD: a temporary directory of vtpm-setup's own
 * making, which holds files and nothing deeper. 0 or -errno. */
int files_empty_dir(int dirfd);
/* rmdir AT/NAME if it is still the directory ST (-ESTALE if something
 * else took its name; 0 if it is gone already). */
int files_remove_dir_at(int at, const char *name, const struct stat *st);

#endif
