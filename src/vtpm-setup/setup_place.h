/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_place.h - putting a new TPM state into DIR all or nothing, through
 * directory file descriptors.
 *
 * DIR's parent is opened once by path and DIR relative to it with
 * O_NOFOLLOW (DIR itself is opened by path, once, when it is ".", ends in
 * "..", or is a symbolic link); a missing DIR is made, empty, and removed
 * again if the run fails. DIR is flock()ed: setups of one DIR run one at a
 * time, and once the lock is held DIR's name is checked (st_dev/st_ino) to
 * still be the directory locked. From then on every step goes through
 * these descriptors and the temporary directory's; no path is looked up
 * twice, and every name is compared by st_dev/st_ino again before the
 * rename that places the state.
 *
 * The new state is made in a temporary directory, flock()ed while its run
 * lives, and placed in one of two ways (place_mode_text() says which, and
 * why):
 *
 *   swap     The temporary directory is beside DIR (.NAME.vtpm-setup-XXXXXX
 *            in DIR's parent) and replaces DIR with one
 *            renameat2(RENAME_EXCHANGE): at every instant DIR is the old
 *            directory or the new one, whole.
 *   in DIR   Where DIR cannot be renamed (a mount point, ".", a symbolic
 *            link, a parent this user may not write) or holds files that are
 *            not TPM state (which stay), the temporary directory is inside
 *            DIR (.vtpm-setup-XXXXXX) and each file is placed by rename(2):
 *            the old state files are first kept aside in the temporary
 *            directory (hard links, then a marker file, fsynced), the TPM
 *            state files the new state lacks are removed, the new files are
 *            renamed in and the permanent state (tpm2-00.permall) last. That
 *            rename is the commit point: before it DIR holds the old TPM
 *            (any of its files already removed come back on a failure),
 *            after it the new one. A crash in between is repaired by the
 *            next run on DIR, which puts the kept files back first.
 *            A filesystem without RENAME_EXCHANGE gets the same, from the
 *            temporary directory beside DIR.
 *
 * Until place_commit() returns 0, DIR is as it was. After that and until
 * place_end(), place_undo() puts the old state back (for an output that
 * could not be placed after the state). place_end() removes the old state,
 * or everything the run made.
 *
 * Temporary directories of runs that were killed (their flock is free) are
 * removed when the next run inspects DIR; one that cannot be is named in
 * p->warning. A DIR whose lock (DIR/.lock) a running vtpmd or swtpm holds
 * is not changed.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_PLACE_H
#define VTPMD_SETUP_PLACE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The steps, in order; a test hook may fail any of them. */
enum place_step {
	PLACE_INSPECT,          /* open, lock and look at DIR */
	PLACE_LOCK,             /* take DIR/.lock, against a running TPM */
	PLACE_MKTEMP,           /* the temporary directory */
	PLACE_COPY,             /* copy DIR's state into it (to amend it) */
	PLACE_FILL,             /* the caller's work (place_fill_check) */
	PLACE_SYNC,             /* fsync the temporary directory */
	PLACE_ATTRS,            /* DIR's mode and owner for the new state */
	PLACE_KEEP_OLD,         /* in DIR: the old files kept aside */
	PLACE_SWAP,             /* the exchange, or the last rename in DIR */
	PLACE_SYNC_PARENT,      /* fsync what holds DIR's name (or DIR) */
	PLACE_CLEANUP,          /* remove the old state */
	PLACE_STEPS
};

enum place_mode {
	PLACE_MODE_SWAP,        /* one RENAME_EXCHANGE of the directory */
	PLACE_MODE_IN_DIR,      /* file by file, temporary directory in DIR */
	PLACE_MODE_FILES,       /* file by file, temporary directory beside */
};

struct placement {
	char dir[PATH_MAX];     /* as given, for messages */
	char name[NAME_MAX + 1]; /* DIR's last component; "" if it has none */
	int parent_fd;          /* DIR's parent (O_PATH when it cannot be read) */
	bool parent_readable;
	int dir_fd;             /* DIR, flock()ed */
	struct stat dir_st;
	bool dir_made;          /* DIR did not exist: made empty by this run */
	bool via_symlink;
	bool has_state;         /* DIR holds a TPM state (tpm2-00/tpm-00.permall) */
	bool has_volatile;      /* ... and a saved volatile or save state */
	char foreign[NAME_MAX + 1]; /* a file of DIR's that is not TPM state */
	enum place_mode mode;
	const char *why;        /* why not PLACE_MODE_SWAP */
	int lock_fd;            /* DIR/.lock, against a running TPM */
	bool lock_made;
	int tmp_fd;             /* the temporary directory, flock()ed */
	char tmp_name[NAME_MAX + 1];
	struct stat tmp_st;
	bool committed;
	bool keep_tmp;          /* an undo failed: the next run finishes it */
	char warning[3072];     /* set by place_inspect()/place_end(), or "" */
	/* Set by the caller: the owner of the new state (--runas), else
	 * DIR's when root places it. */
	bool set_owner;
	uid_t uid;
	gid_t gid;
	/* Set by the caller: a signal number here fails the next step with
	 * -EINTR (and interrupts the wait for DIR's lock). */
	const volatile sig_atomic_t *stop;
	/* Test hook: a non-zero return fails STEP with that errno value. */
	int (*inject)(enum place_step step, void *ctx);
	void *inject_ctx;
};

/* Open and lock DIR (made if missing), look at what it holds, choose the
 * mode, remove stale temporaries. On failure nothing is held. */
int place_inspect(struct placement *p, const char *dir, char *err, size_t errlen);

/* Take DIR/.lock and make the temporary directory (p->tmp_fd); with
 * COPY_STATE, copy DIR's permanent state into it. */
int place_begin(struct placement *p, bool copy_state, char *err, size_t errlen);

/* For the PLACE_FILL step: 0, or the injected failure or interruption. */
int place_fill_check(struct placement *p);

/* Place the new state (see above). */
int place_commit(struct placement *p, char *err, size_t errlen);

/* After place_commit(): put the old state back. */
int place_undo(struct placement *p, char *err, size_t errlen);

/* Remove the old state (after a commit) or what the run made (otherwise),
 * and release everything. Safe to call more than once. */
void place_end(struct placement *p);

/* "by swapping the directory", or "file by file inside DIR (WHY)". */
const char *place_mode_text(const struct placement *p, char *buf, size_t len);

#endif
