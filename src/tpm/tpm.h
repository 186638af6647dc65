/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm.h - the libtpms instance behind the device and the state it runs on:
 * version choice, start and stop, command execution, the shutdown-before-
 * reset rule, locality, cancel, the state store and its lock, and the
 * TPM-side parts of the control operations.
 *
 * libtpms keeps one TPM per process in global state and calls back without
 * a context; struct tpm is the one place that state is described, and only
 * one may be open at a time.
 *
 * Threads: several nodes (and the resource manager) use one TPM. The TPM
 * lock serialises every use of libtpms: tpm_execute() takes it itself; a
 * caller that needs several steps in a row (a control operation, the
 * resource manager's load/execute/save) holds it around them with
 * tpm_lock()/tpm_unlock() (it is recursive). Every other function that
 * touches libtpms or the store is called with it held when other threads
 * may use the TPM; tpm_cancel() is the exception. Lock order: a caller's
 * own locks first, then the TPM lock; nothing is taken under it but the
 * store's and the recorder's work.
 *
 * Return values: functions returning TPM_RESULT give codes (0 = TPM_SUCCESS)
 * that go back to clients unchanged; functions returning int give 0 or
 * -errno. No function here blocks on anything but libtpms and the store.
 */
#ifndef VTPMD_TPM_H
#define VTPMD_TPM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libtpms/tpm_types.h>

#include "store/store.h"

#define TPM_HEADER_SIZE 10
#define TPM_MAX_COMMAND_SIZE 4096

enum tpm_version {
	TPM_VERSION_2 = 0,      /* default */
	TPM_VERSION_12,
};

/* What vtpmd sends as TPM_Startup / TPM2_Startup once the TPM is up. */
enum startup_type {
	STARTUP_NONE = 0,
	STARTUP_CLEAR,
	STARTUP_STATE,
	STARTUP_DEACTIVATED,    /* TPM 1.2 only */
};

/* The three parts of a TPM's state, as they move in and out as blobs. */
enum tpm_state_type {
	TPM_STATE_PERMANENT = 1,
	TPM_STATE_VOLATILE,
	TPM_STATE_SAVESTATE,
};

struct tpm_options {
	enum tpm_version version;
	bool auto_shutdown;        /* the shutdown-before-reset rule */
	bool reject_locality_4;
	bool allow_set_locality;   /* honour the vendor SetLocality command */
	struct store_options store; /* where the state lives (tpm12 is set
				     * from VERSION) */
};

/*
 * Observer of every exchange with libtpms: the command and the response, as
 * the client (or vtpmd itself, or the resource manager) sent and received
 * them. Called after the command ran, with the TPM lock held (so never
 * concurrently), and must not call back into the TPM.
 */
typedef void tpm_record_fn(void *ctx, const uint8_t *cmd, size_t cmd_len,
			   const uint8_t *resp, size_t resp_len);

/* Fields are private to src/tpm. */
struct tpm {
	struct tpm_options opt;
	struct store store;
	tpm_record_fn *record;
	void *record_ctx;
	pthread_mutex_t lock;      /* the TPM lock (recursive), see above */
	atomic_bool in_command;    /* a command is inside libtpms (for cancel) */
	uint64_t epoch;            /* counts power-ons */
	bool running;              /* TPMLIB_MainInit succeeded, no stop since */
	uint8_t locality;          /* used for the next command */
	uint32_t last_ordinal;     /* last command a client sent while running */
	bool have_last_ordinal;
	unsigned lock_depth;       /* the TPM lock's holds (under it) */
	void (*evict)(void *);     /* the lodger, see tpm_set_lodger() */
	void *evict_ctx;
	bool lodged;               /* the lodger left something loaded */
};

/*
 * Open the state directory (see store_open(): -EAGAIN when another process
 * holds its lock, -EACCES when it is not writable), register libtpms'
 * callbacks and pick the version. The TPM is not started. -EBUSY if another
 * struct tpm is open; -EIO if libtpms refuses the setup (logged).
 */
int tpm_open(struct tpm *t, const struct tpm_options *opt);
/* tpm_stop(), then close the state. */
void tpm_close(struct tpm *t);

/* The TPM lock (see the top of this file). */
void tpm_lock(struct tpm *t);
void tpm_unlock(struct tpm *t);

/*
 * The lodger: one user of the TPM (the resource manager) may leave
 * transient objects loaded between its holds of the lock, for its next
 * command. It registers EVICT(CTX) (NULL: none), which puts them away;
 * after it said so with tpm_lodged() (lock held), the next tpm_lock() of
 * anyone else runs EVICT, with the lock held, before its caller sees the
 * TPM: nobody else ever finds the lodger's objects loaded. The lodger takes
 * the lock with tpm_lock_lodger(), which does not evict. EVICT may use the
 * TPM (tpm_execute) but must not register or lodge.
 */
typedef void tpm_evict_fn(void *ctx);
void tpm_set_lodger(struct tpm *t, tpm_evict_fn *evict, void *ctx);
void tpm_lock_lodger(struct tpm *t);
void tpm_lodged(struct tpm *t);
/* Changes at every power-on: contexts saved in an earlier epoch are void.
 * Lock held. */
uint64_t tpm_epoch(const struct tpm *t);
/* RECORD (or NULL) sees every exchange from now on; see tpm_record_fn. */
void tpm_set_recorder(struct tpm *t, tpm_record_fn *record, void *ctx);

/*
 * Power the TPM on: takes the storage lock (unless --migration incoming
 * still defers it) and lets libtpms read the state; with --tpmstate backup,
 * a permanent state libtpms refuses is retried from its backup.
 */
TPM_RESULT tpm_start(struct tpm *t);
/* Apply the shutdown-before-reset rule (unless disabled), then power off.
 * Safe to call when not running. */
void tpm_stop(struct tpm *t);
bool tpm_running(const struct tpm *t);
enum tpm_version tpm_version_of(const struct tpm *t);

/* Send TPM_Startup / TPM2_Startup of the given type as vtpmd itself. */
TPM_RESULT tpm_send_startup(struct tpm *t, enum startup_type type);

/*
 * Execute one client command of LEN bytes (6 <= LEN <= TPM_MAX_COMMAND_SIZE,
 * already checked by the caller against its own header; CMD is not
 * changed: libtpms works on a copy). Takes the TPM lock. The response goes
 * into *RESP (a buffer of *CAP bytes that libtpms may grow with realloc),
 * its size into *RESP_LEN; the recorder sees both. When not running the
 * response is a TPM fatal-error response. As swtpm, no command runs unless
 * this process holds the storage lock (taken here lazily after --migration
 * incoming or a release): -EIO otherwise. -E2BIG for a LEN over the
 * maximum, -ENOMEM if no response could be made at all; else 0.
 */
int tpm_execute(struct tpm *t, const uint8_t *cmd, uint32_t len,
		uint8_t **resp, uint32_t *resp_len, uint32_t *cap);

/* The kernel's /dev/tpm0 rules for what one write may hold, for every node
 * that follows them: -E2BIG over TPM_MAX_COMMAND_SIZE, -EINVAL under 6
 * bytes or under its header's size field; else 0. */
int tpm_check_write(const uint8_t *buf, size_t len);

/* Ask the command inside libtpms, if any, to stop; libtpms checks between
 * expensive steps. Without the TPM lock (the command holds it). */
void tpm_cancel(struct tpm *t);

TPM_RESULT tpm_set_locality(struct tpm *t, uint8_t loc);
TPM_RESULT tpm_established_get(struct tpm *t, bool *established);
TPM_RESULT tpm_established_reset(struct tpm *t, uint8_t loc);
TPM_RESULT tpm_hash_start(struct tpm *t);
TPM_RESULT tpm_hash_data(struct tpm *t, const uint8_t *data, uint32_t len);
TPM_RESULT tpm_hash_end(struct tpm *t);

/* Query (WANTED 0) or set the I/O buffer size; setting needs a stopped TPM. */
TPM_RESULT tpm_buffer_size(struct tpm *t, uint32_t wanted, uint32_t *size,
			   uint32_t *min, uint32_t *max);
/* libtpms' JSON info document for FLAGS; malloc'ed, NULL on failure. */
char *tpm_get_info(struct tpm *t, uint64_t flags);

/* --- the state (tpm_state.c) ---------------------------------------------- */

/* Write the volatile state to the store now (STORE_VOLATILE). */
TPM_RESULT tpm_store_volatile(struct tpm *t);
/* Remove a saved volatile state (INIT's delete-volatile flag). */
TPM_RESULT tpm_delete_volatile(struct tpm *t);
/*
 * The state of TYPE as a blob in swtpm's migration format (GET_STATEBLOB),
 * malloc'ed into *BLOB; DECRYPTED strips the state key's layer. Once the
 * volatile state has left, no stale copy may resume this TPM: its file is
 * deleted; handing over the save state ends an outgoing migration: with
 * --migration release-lock-outgoing (store option release_outgoing) the
 * storage lock is released for the destination. *ENCRYPTED says whether
 * the state key's layer is still on. The caller wipes the blob.
 */
TPM_RESULT tpm_state_export(struct tpm *t, enum tpm_state_type type,
			    bool decrypted, uint8_t **blob, size_t *len,
			    bool *encrypted);
/* Whether SET_STATEBLOB may go on: TPM_BAD_ORDINAL while the TPM runs,
 * TPM_FAIL if the storage lock cannot be taken (it is taken here). */
TPM_RESULT tpm_state_may_import(struct tpm *t);
/* SET_STATEBLOB: load a whole blob of TYPE into the stopped TPM; ENCRYPTED
 * is the client's flag saying the state key's layer is on. */
TPM_RESULT tpm_state_import(struct tpm *t, enum tpm_state_type type,
			    const uint8_t *blob, size_t len, bool encrypted);
/* LOCK_STORAGE: take the lock with RETRIES more attempts 10 ms apart, at
 * most TPM_LOCK_STORAGE_MAX_RETRIES (5 s) whatever the client asks. Call
 * WITHOUT the TPM lock: it takes it for each attempt only, and sleeps
 * between them without it. */
#define TPM_LOCK_STORAGE_MAX_RETRIES 500
TPM_RESULT tpm_lock_storage(struct tpm *t, unsigned retries);
bool tpm_has_state_key(const struct tpm *t);
bool tpm_has_migration_key(const struct tpm *t);

/* --- libtpms itself, without an open TPM (tpm_lib.c) ----------------------- */

/* libtpms' version as 0x00MMmmpp. */
uint32_t tpm_lib_version(void);
/* Whether this libtpms has a TPM of version V. */
bool tpm_lib_has(enum tpm_version v);
/* libtpms' JSON info document for V and FLAGS (the bits of --print-info:
 * 1 spec, 2 attributes, 4 features); malloc'ed, NULL if none. */
char *tpm_lib_info(enum tpm_version v, uint64_t flags);

/*
 * The same documents read into values (tpm_info.c), so that no caller
 * parses libtpms' JSON: what the TPM says it is (what an EK certificate
 * names) and which RSA key sizes it has. Both return 0; -ENOTSUP if this
 * libtpms has no TPM V; -EIO if it gave no document; -EBADMSG if the
 * document lacks a value or is not well-formed JSON.
 */
struct tpm_lib_identity {
	char family[16];        /* TPMSpecification: "2.0" */
	unsigned level;
	unsigned revision;      /* 164 for 1.64 */
	char manufacturer[64];  /* TPMAttributes: "id:00001014" */
	char version[64];
	char model[64];
};
int tpm_lib_identity(enum tpm_version v, struct tpm_lib_identity *id);
/* TPMFeatures' RSAKeySizes in libtpms' order, *N of them (none for a TPM
 * 1.2, which lists no features); -ENOBUFS if there are more than CAP. */
#define TPM_LIB_RSA_KEYSIZES_MAX 8
int tpm_lib_rsa_keysizes(enum tpm_version v, unsigned *sizes, size_t cap,
			 size_t *n);
/* Send libtpms' own messages to FD, with its debug output at LEVEL (0:
 * none) and each line after PREFIX (NULL: none). */
void tpm_lib_log_to(int fd, unsigned level, const char *prefix);

#endif
