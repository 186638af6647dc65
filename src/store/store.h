/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store.h - the TPM's state in swtpm's layouts and file format: a state
 * directory (one file per blob) or swtpm's linear file (every blob in one
 * regular file or block device, backend-uri=file://); libtpms' NVRAM behind
 * its callbacks, the storage lock, the state keys and the state blobs
 * sealed with them.
 *
 * One struct store per open state. Threads: a store has no lock of
 * its own. Its one owner (struct tpm) calls it only under the TPM lock
 * (tpm.h), so every call on a store is serialized by its caller.
 *
 * Conventions: functions returning int give 0 or a negative errno; functions
 * returning TPM_RESULT give a TPM result code that goes back to libtpms.
 */
#ifndef VTPMD_STORE_H
#define VTPMD_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <libtpms/tpm_types.h>

#include "store/key.h"
#include "store/linear.h"

/* file_mode when --tpmstate mode= was not given: files are created 0640
 * and the umask applies, as with swtpm. */
#define STORE_MODE_DEFAULT ((mode_t)-1)

/* The steps of an update of a linear file, in order; a test hook
 * (store_options.linear_inject) may fail any of them. */
enum store_linear_step {
	LINEAR_STEP_WRITE_DATA,         /* the new blobs, into free space */
	LINEAR_STEP_SYNC_DATA,          /* fdatasync */
	LINEAR_STEP_WRITE_HEADER,       /* the switch: one write in sector 0 */
	LINEAR_STEP_SYNC_HEADER,        /* fdatasync: the update is done */
	LINEAR_STEP_SCRUB,              /* zeros over the old copies */
	LINEAR_STEP_TRIM,               /* a regular file: cut free space off its end */
	LINEAR_STEPS
};

struct store_options {
	const char *dir;        /* created (mode 0750, and parents) if missing */
	/* or, with dir NULL: backend-uri=file://PATH, swtpm's linear format
	 * in a regular file (created if missing) or a block device */
	const char *file;
	bool tpm12;             /* TPM 1.2's file names (tpm-00.*), else tpm2-00.* */
	mode_t file_mode;       /* --tpmstate mode=, or STORE_MODE_DEFAULT */
	bool backup;            /* --tpmstate backup: keep <permall>.bak */
	bool defer_lock;        /* --migration incoming: lock on first use */
	bool release_outgoing;  /* --migration release-lock-outgoing: the save
				 * state leaving (GET_STATEBLOB) gives up the
				 * lock for the destination */
	bool discard_writes;    /* loads work, saves and deletes do nothing and
				 * no lock is taken (the bench's in-process
				 * baseline) */
	/* --key and --migration-key; copied into the store, NULL for none */
	const struct state_key *file_key;
	const struct state_key *migration_key;
	/* Where store_open() puts one line saying why it failed, when it can
	 * say more than its errno (a damaged linear header); may be NULL. */
	char *err;
	size_t errlen;
	/* Test hook: a non-zero return fails STEP with that errno value. */
	int (*linear_inject)(enum store_linear_step step, void *ctx);
	void *linear_inject_ctx;
};

/*
 * Fields are private to src/store. All zero is a closed store. The lock
 * belongs to the store's open .lock file (store_lock.c), so a second store
 * on the same directory, in this process or another, finds it held.
 */
struct store {
	bool open;
	int dirfd;
	char *path;             /* for log lines only */
	bool tpm12;
	mode_t mode;
	bool mode_exact;        /* --tpmstate mode= given: ignore the umask */
	bool backup;
	bool prefer_backup;     /* load the permanent state from the .bak */
	bool main_bad;          /* running on the .bak: do not rotate into it */
	bool discard_writes;
	unsigned logged;        /* load failures already logged, by name bit */
	int last_error;         /* errno of the last failed save, 0 if none */
	struct {
		bool open;
		int fd;                 /* DIR/.lock, opened once */
		bool held;
		bool deferred;          /* --migration incoming, not yet taken */
		unsigned lazy_retries;  /* for store_ensure_locked() */
	} lock;
	struct state_key file_key, migration_key;
	bool linear;            /* opened with options.file */
	struct {
		int fd;                 /* the file or block device */
		bool blockdev;
		uint64_t size;          /* a block device's size */
		/* After a header switch that failed half-way: the headers
		 * that may be on disk, whose blobs must stay until a later
		 * switch succeeds. */
		unsigned nunsure;
		struct linear_header unsure[2];
		int (*inject)(enum store_linear_step step, void *ctx);
		void *inject_ctx;
	} lin;
};

/*
 * Open OPT->dir as the state directory: create it if missing, check that
 * this process can write it, open DIR/.lock and take the lock (no retries)
 * unless OPT->defer_lock. -EAGAIN: another store holds the lock; -EINVAL:
 * DIR/.lock is not a regular file (logged). Files are
 * written with exactly file_mode whatever the umask, or see
 * STORE_MODE_DEFAULT. The lock is an open file description lock: a child
 * forked after this shares it (vtpmd forks into the background with its
 * TPM running), and it lasts until the last descriptor of .lock is closed
 * or store_unlock().
 *
 * Or open OPT->file, a linear state file: a regular file (created empty if
 * missing; a symbolic link is refused) or a block device (of at least
 * STORE_LINEAR_MIN_DEVICE bytes; a symbolic link to one is followed). Its
 * header is checked before anything else: a file that is truncated, not in
 * the linear format, of another format version, or whose slots overlap or
 * reach past its end is refused with -EINVAL and one line in OPT->err,
 * and nothing is written. The lock is a write lock on the whole file
 * itself, the lock swtpm (0.10 and later, with its lock option) takes.
 * --tpmstate backup is for directories only (-EINVAL).
 */
int store_open(struct store *s, const struct store_options *opt);
/* Close it, drop the lock, wipe the keys. Safe on a store that is not open. */
void store_close(struct store *s);

#define STORE_LINEAR_MIN_DEVICE (1u << 20)

/* Which TPM version's permanent state DIR holds: 1 if only TPM 1.2's
 * tpm-00.permall exists, 2 if tpm2-00.permall exists, 0 if neither (or DIR
 * does not exist); -errno if DIR cannot be searched. */
int store_detect_version(const char *dir);

/* What --print-states lists: each state file of DIR, whether it is there and
 * its size. Returns 0, or -errno with one line in ERR (e.g. not a regular
 * file). Reads nothing but the directory; takes no lock. */
#define STORE_STATE_COUNT 3
struct store_state_info {
	const char *name;       /* libtpms' blob name: "permall", ... */
	bool present;
	off_t size;
};
int store_list_states(const char *dir, bool tpm12,
		      struct store_state_info info[STORE_STATE_COUNT],
		      char *err, size_t errlen);
/* The same for the linear file PATH (the size is the blob's). A missing
 * file, an empty one or one never formatted holds no state; a damaged
 * header is an error. */
int store_list_file_states(const char *path,
			   struct store_state_info info[STORE_STATE_COUNT],
			   char *err, size_t errlen);

/* The interval between two attempts at the storage lock, as swtpm's. */
#define STORE_LOCK_RETRY_NS (10 * 1000 * 1000)

/* The storage lock on DIR/.lock: RETRIES extra attempts 10 ms apart.
 * 0 if held (also if already held), -EAGAIN if another process holds it,
 * -EBADF if the store is not open. */
int store_lock(struct store *s, unsigned retries);
void store_unlock(struct store *s);
bool store_locked(const struct store *s);

/*
 * swtpm's lazy locking: take the lock if it is not held (no retries, or 300
 * -- 3 s -- after store_release_outgoing()). Returns 0 / -EAGAIN / -EBADF.
 */
int store_ensure_locked(struct store *s);
/* At a TPM start: as store_ensure_locked(), but nothing while --migration
 * incoming still defers the lock (until the first command or blob). */
int store_lock_for_start(struct store *s);
/* An outgoing migration handed the state over (GET_STATEBLOB of the save
 * state): drop the lock so the destination can take it. */
void store_release_outgoing(struct store *s);

/* The errno of the last state write that failed (0: none), for a caller
 * that says why: libtpms only learns that the write failed. */
int store_last_error(const struct store *s);

bool store_has_file_key(const struct store *s);
bool store_has_migration_key(const struct store *s);

/*
 * State blobs leaving or entering the device (GET/SET_STATEBLOB), in
 * swtpm's migration format under this store's keys: see blob.h. DECRYPTED
 * strips the file-key layer; *ENCRYPTED says it is still there. Outputs are
 * malloc'ed and must be wiped by the caller.
 */
TPM_RESULT store_blob_export(const struct store *s, const uint8_t *plain,
			     size_t len, bool decrypted, uint8_t **blob,
			     size_t *bloblen, bool *encrypted);
TPM_RESULT store_blob_import(const struct store *s, const uint8_t *blob,
			     size_t len, bool encrypted, uint8_t **plain,
			     size_t *plen);

/*
 * --tpmstate backup: whether DIR/<permall>.bak exists, and a switch that
 * makes the next loads of the permanent state read it instead of the main
 * file (for a start that failed on the main file). Once the TPM runs on the
 * backup, the next write replaces the main file without rotating it.
 */
bool store_backup_available(const struct store *s);
void store_prefer_backup(struct store *s, bool prefer);

/*
 * For vtpm-setup, which makes a TPM elsewhere and then puts it into a
 * linear file all at once. store_read_raw(): the state file NAME of the
 * store as the directory backend keeps it (swtpm's blob, encrypted if it
 * is), malloc'ed; -ENOENT if there is none. store_replace_raw(): every
 * state blob replaced at once by RAW[i] (STORE_STATE_COUNT of them, in the
 * order of store_state_info: permall, volatilestate, savestate; data NULL
 * removes one), in one crash-safe update: the file holds all the old blobs
 * or all the new ones. Linear files only (-EOPNOTSUPP for a directory).
 * 0 / -errno, logged.
 */
struct store_raw {
	const uint8_t *data;
	size_t len;
};
int store_read_raw(struct store *s, const char *name, uint8_t **buf, size_t *len);
int store_replace_raw(struct store *s, const struct store_raw raw[STORE_STATE_COUNT]);

/*
 * What libtpms' NVRAM callbacks do. NAME is libtpms' blob name ("permall",
 * "volatilestate", "savestate"). store_begin_loads() starts a TPM start's
 * reads (each problem is logged once per start). load returns TPM_RETRY if
 * there is no such file, a malloc'ed payload otherwise (libtpms frees it).
 * save is atomic and durable (temp file, fsync, rename, fsync of the
 * directory; in a linear file: the new blob into free space, fdatasync,
 * the header switched with one write, fdatasync) and refuses unless the
 * lock is held or can be taken.
 */
TPM_RESULT store_begin_loads(struct store *s);
TPM_RESULT store_load(struct store *s, const char *name, unsigned char **data,
		      uint32_t *length);
TPM_RESULT store_save(struct store *s, const char *name,
		      const unsigned char *data, uint32_t length);
TPM_RESULT store_delete(struct store *s, const char *name, bool must_exist);

#endif
