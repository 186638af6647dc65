/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_linear.h - all-or-nothing placement of a new state into a linear
 * state file (--tpmstate file://PATH, a regular file or block device).
 *
 * The TPM is made as for a state directory, in a private temporary
 * directory (mode 0700, in $TMPDIR or /tmp: PATH's own directory may be
 * /dev). The commit then puts its state files into PATH's slots with one
 * update of the store's linear backend: the new blobs go to free space,
 * and one write of the header switches every slot at once, so PATH holds
 * the old state or the new one, whatever fails or whenever the machine
 * stops. Until that write PATH is exactly as it was; a regular file that
 * did not exist is removed again when nothing was placed.
 *
 * PATH is locked from linear_place_inspect() to linear_place_end() with the
 * lock vtpmd (and swtpm 0.10 with ,lock) takes there, so a file a running
 * daemon uses is refused and two setups of one file do not mix.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_LINEAR_H
#define VTPMD_SETUP_LINEAR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "store/store.h"

/* The steps, in order; a test hook may fail any of them. */
enum linear_place_step {
	LPLACE_OPEN,            /* open and lock PATH, look at it */
	LPLACE_MKTEMP,          /* the temporary directory */
	LPLACE_COPY,            /* copy PATH's permanent state into it */
	LPLACE_FILL,            /* the caller's work (linear_place_fill_check) */
	LPLACE_COMMIT,          /* the one update of PATH */
	LPLACE_STEPS
};

struct linear_placement {
	char path[PATH_MAX];
	char tmp[PATH_MAX];     /* where the TPM is made */
	struct stat tmp_st;     /* that directory, as made */
	bool existed;           /* PATH was there before */
	bool has_state;         /* PATH holds a permanent state */
	bool has_volatile;      /* ... and a saved volatile or save state */
	bool open;              /* PATH is open and locked */
	bool tmp_made;
	bool placed;
	/* Test hooks: a non-zero return fails STEP with that errno value;
	 * store_inject is handed to the store for the commit's own steps. */
	int (*inject)(enum linear_place_step step, void *ctx);
	void *inject_ctx;
	int (*store_inject)(enum store_linear_step step, void *ctx);
	void *store_inject_ctx;
};

/* Open and lock PATH (a missing regular file is made empty) and look at
 * what it holds. Changes nothing in an existing file. */
int linear_place_inspect(struct linear_placement *p, const char *path,
			 char *err, size_t errlen);

/* Make the temporary directory; with COPY_STATE, copy PATH's permanent
 * state into it (to amend it). */
int linear_place_begin(struct linear_placement *p, bool copy_state,
		       char *err, size_t errlen);

/* For the LPLACE_FILL step: 0, or the injected failure. */
int linear_place_fill_check(struct linear_placement *p);

/* Put the temporary directory's state into PATH, in one update. */
int linear_place_commit(struct linear_placement *p, char *err, size_t errlen);

/* Remove the temporary directory, close and unlock PATH (and remove it if
 * this run made it and placed nothing). Safe to call more than once. */
void linear_place_end(struct linear_placement *p);

#endif
