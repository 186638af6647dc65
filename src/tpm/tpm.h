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
 * Return values: functions returning TPM_RESULT give codes (0 = TPM_SUCCESS)
 * that go back to clients unchanged; functions returning int give 0 or
 * -errno. No function here blocks on anything but libtpms and the store.
 */
#ifndef VTPMD_TPM_H
#define VTPMD_TPM_H

#include <pthread.h>
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
 * the client (or vtpmd itself) sent and received them. Called after the
 * command ran, never concurrently (the device serializes commands), and
 * must not call back into the TPM.
 */
typedef void tpm_record_fn(void *ctx, const uint8_t *cmd, size_t cmd_len,
			   const uint8_t *resp, size_t resp_len);

/* Fields are private to src/tpm. */
struct tpm {
	struct tpm_options opt;
	struct store store;
	tpm_record_fn *record;
	void *record_ctx;
	bool running;              /* TPMLIB_MainInit succeeded, no stop since */
	uint8_t locality;          /* used for the next command */
	uint32_t last_ordinal;     /* last command a client sent while running */
	bool have_last_ordinal;
	pthread_mutex_t lock;      /* tpm_lock() */
	uint64_t epoch;            /* tpm_epoch() */
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
 * Execute one client command of LEN bytes (LEN >= 6, already checked by the
 * caller against its own header). The response goes into *RESP (a buffer of
 * *CAP bytes that libtpms may grow with realloc), its size into *RESP_LEN.
 * When not running the response is a TPM fatal-error response. As swtpm, no
 * command runs unless this process holds the storage lock (taken here
 * lazily after --migration incoming or a release): -EIO otherwise. -ENOMEM
 * if no response could be made at all; else 0.
 */
int tpm_execute(struct tpm *t, uint8_t *cmd, uint32_t len,
		uint8_t **resp, uint32_t *resp_len, uint32_t *cap);

/*
 * The one lock that serialises every use of libtpms (commands from any
 * node, control operations, the resource manager's own context commands).
 * Stand-in until the lead's "nodes:" infrastructure lands on main.
 */
void tpm_lock(struct tpm *t);
void tpm_unlock(struct tpm *t);
/* Changes every time the TPM is powered on: saved contexts from an earlier
 * epoch are invalid (lock held). */
uint64_t tpm_epoch(const struct tpm *t);

/* Ask a running command to stop; libtpms checks between expensive steps. */
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
 * deleted; handing over the save state ends an outgoing migration: the
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
/* LOCK_STORAGE: take the lock with RETRIES more attempts 10 ms apart. */
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
#define TPM_LIB_INFO_FEATURES 4
char *tpm_lib_info(enum tpm_version v, uint64_t flags);
/* Send libtpms' own messages to FD, with its debug output at LEVEL (0:
 * none) and each line after PREFIX (NULL: none). */
void tpm_lib_log_to(int fd, unsigned level, const char *prefix);

/* Build the 10-byte fatal-error response of this TPM version into OUT. */
void tpm_fatal_response(enum tpm_version v, uint8_t out[TPM_HEADER_SIZE]);

#endif
