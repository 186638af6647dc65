/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_place.h - all-or-nothing replacement of a state directory.
 *
 * The new state is made in a temporary directory beside DIR (same
 * filesystem), then moved into place with one rename: renameat2()
 * RENAME_EXCHANGE when DIR exists, RENAME_NOREPLACE when it does not. Until
 * that rename, and also when anything up to and including the fsync of
 * the parent after it fails (the exchange is then undone), DIR is exactly
 * as it was. Only the removal of the old state, after the point of no
 * return, can fail without undoing anything; that is reported but not an
 * error.
 *
 * Setups on directories of one parent run one at a time: a lock (flock) on
 * the parent is held from place_inspect() to place_end(), so two setups of
 * one DIR cannot both find it empty and both replace it.
 *
 * A DIR that holds anything but TPM state files (tpm2-00.*, tpm-00.*, their
 * temporaries, .lock) is never replaced, and one whose lock is held by a
 * running vtpmd or swtpm is refused.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_PLACE_H
#define VTPMD_SETUP_PLACE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The steps, in order; a test hook may fail any of them. */
enum place_step {
	PLACE_INSPECT,          /* look at DIR */
	PLACE_LOCK,             /* take DIR's lock, if it has a .lock */
	PLACE_MKTEMP,           /* the temporary directory */
	PLACE_COPY,             /* copy DIR's state into it (to amend it) */
	PLACE_FILL,             /* the caller's work (place_fill_failed) */
	PLACE_SYNC,             /* fsync the temporary directory */
	PLACE_ATTRS,            /* give it DIR's mode and owner */
	PLACE_SWAP,             /* the rename */
	PLACE_SYNC_PARENT,      /* fsync DIR's parent */
	PLACE_CLEANUP,          /* remove the old state */
	PLACE_STEPS
};

struct placement {
	char dir[PATH_MAX];
	char tmp[PATH_MAX];     /* the new state until the swap, then the old */
	bool dir_exists;
	bool has_state;         /* DIR holds a TPM state (tpm2-00/tpm-00.permall) */
	bool has_volatile;      /* ... and a saved volatile or save state */
	bool tmp_made;
	bool swapped;
	struct stat dir_st;
	int lock_fd;            /* DIR/.lock, against a running TPM */
	int parent_fd;          /* DIR's parent, flock()ed */
	/* Test hook: a non-zero return fails STEP with that errno value. */
	int (*inject)(enum place_step step, void *ctx);
	void *inject_ctx;
};

/* Wait for the parent's lock, then look at DIR: whether it exists and
 * holds state. Changes nothing; on failure nothing is held either. */
int place_inspect(struct placement *p, const char *dir, char *err, size_t errlen);

/* Lock DIR (when it has a lock file) and make the temporary directory;
 * with COPY_STATE, copy DIR's state files into it. */
int place_begin(struct placement *p, bool copy_state, char *err, size_t errlen);

/* Move the temporary directory into place. */
int place_commit(struct placement *p, char *err, size_t errlen);

/* Remove the temporary directory (if not moved into place) and release
 * the lock. Safe to call after place_commit() and more than once. */
void place_end(struct placement *p);

/* For the PLACE_FILL step: 0, or the injected failure. */
int place_fill_check(struct placement *p);

#endif
