/* SPDX-License-Identifier: BSD-3-Clause */
/* store_internal.h - shared between the files of src/store only. */
#ifndef VTPMD_STORE_INTERNAL_H
#define VTPMD_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/store.h"

/* --- store_file.c: files in the open state directory ------------------- */

/* 1 if NAME exists in DIRFD, 0 if not, -errno if that cannot be told. */
int store_file_exists(int dirfd, const char *name);
/* fsync the directory (a no-op where the file system cannot). 0 / -errno. */
int store_sync_dir(const struct store *s);
/*
 * Read all of the regular file NAME (not a symlink, at most 16 MiB) into a
 * malloc'ed *BUF. 0 / -errno; every failure but -ENOENT (no state yet) is
 * logged. With --tpmstate mode= the file is brought to that mode.
 */
int store_read_file(const struct store *s, const char *name, uint8_t **buf,
		    size_t *len);
/*
 * Replace FINAL with a file holding BUF, atomically and durably, through the
 * temp file TMP; KEEP_AS (or NULL) names a copy of the old FINAL kept first.
 * 0 / -errno; logs what failed.
 */
int store_write_file(const struct store *s, const char *tmp, const char *final,
		     const char *keep_as, const uint8_t *buf, size_t len);

/* --- store_linear.c: a linear state file ------------------------------------ */

/* Open OPT->file into S (see store_open()); S->path is set. 0 / -errno,
 * with one line in OPT->err where there is more to say. */
int store_linear_open(struct store *s, const struct store_options *opt);
void store_linear_close(struct store *s);
/* The blob of NAME (malloc'ed), -ENOENT if its slot is unused; any other
 * failure is logged. */
int store_linear_read(struct store *s, const char *name, uint8_t **buf,
		      size_t *len);
/* One crash-safe update: NAMES[i] get BLOBS[i] (data NULL: the slot is
 * emptied), switched in together. 0 / -errno, logged. */
int store_linear_update(struct store *s, const char *const *names,
			const struct store_raw *blobs, size_t n);
/* Whether NAME's slot is in use: 1, 0, or -errno (logged). */
int store_linear_has(struct store *s, const char *name);

/* --- store_lock.c --------------------------------------------------------- */

/* Open (creating it) .lock in the state directory, or take another
 * descriptor of the linear file, without locking it. */
int store_lock_file_open(struct store *s);
/* Drop the lock, if held, and close the lock file. */
void store_lock_file_close(struct store *s);

/* --- store_keys.c --------------------------------------------------------- */

void store_keys_set(struct store *s, const struct state_key *file_key,
		    const struct state_key *migration_key);
void store_keys_clear(struct store *s);
/* The --key key, or NULL when none is set. */
const struct state_key *store_file_key(const struct store *s);

#endif
