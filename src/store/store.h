/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store.h - the TPM's state directory, in swtpm's layout and file format.
 *
 * libtpms keeps one TPM per process and its NVRAM callbacks carry no context,
 * so there is exactly one open store per process; these functions act on it.
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

#include "cli/config.h"
#include "store/key.h"

/* FILE_MODE for store_open() when --tpmstate mode= was not given: files are
 * created 0640 and the umask applies, as with swtpm. */
#define STORE_MODE_DEFAULT ((mode_t)-1)

struct store_options {
	mode_t file_mode;       /* --tpmstate mode=, or STORE_MODE_DEFAULT */
	bool backup;            /* --tpmstate backup: keep <permall>.bak */
	bool defer_lock;        /* --migration incoming: lock on first use */
};

/*
 * Open DIR as the state directory for a TPM of version VER: create it (mode
 * 0750, and missing parents, like mkdir -p) if it is missing, check it is a
 * directory this process can write, and open DIR/.lock. Files are written
 * with exactly FILE_MODE whatever the umask (--tpmstate mode=), or see
 * STORE_MODE_DEFAULT. Takes the lock (no retries) unless DEFER_LOCK: -EAGAIN
 * if another process holds it. -EBUSY if a store is already open. The lock
 * is a POSIX record lock: a forked child does not inherit it, so daemonize
 * first.
 */
int store_open_with(const char *dir, enum tpm_version ver,
		    const struct store_options *opt);
/* store_open_with() with only a file mode. */
int store_open(const char *dir, enum tpm_version ver, mode_t file_mode);
void store_close(void);

/* Which TPM version's permanent state DIR holds: 1 if only TPM 1.2's
 * tpm-00.permall exists, 2 if tpm2-00.permall exists, 0 if neither (or DIR
 * does not exist); -errno if DIR cannot be searched. */
int store_detect_version(const char *dir);

/* The storage lock on DIR/.lock: RETRIES extra attempts 10 ms apart.
 * 0 if held (also if already held), -EAGAIN if another process holds it,
 * -EBADF if no store is open. */
int store_lock(unsigned retries);
void store_unlock(void);
bool store_locked(void);

/*
 * swtpm's lazy locking. Before a TPM command, a SET_STATEBLOB or a state
 * write: take the lock if it is not held (no retries, or 300 -- 3 s -- after
 * store_release_outgoing()). Returns 0 / -EAGAIN / -EBADF.
 */
int store_ensure_locked(void);
/* At INIT: as store_ensure_locked(), but nothing while --migration
 * incoming still defers the lock (until the first command or blob). */
int store_lock_for_init(void);
/* An outgoing migration handed the state over (GET_STATEBLOB of the save
 * state): drop the lock so the destination can take it. */
void store_release_outgoing(void);

/*
 * --key / --migration-key. The keys are copied into the store (wiped by
 * store_clear_keys()); a NULL or empty key means none.
 */
void store_set_keys(const struct state_key *file_key,
		    const struct state_key *migration_key);
void store_clear_keys(void);
bool store_has_file_key(void);
bool store_has_migration_key(void);

/*
 * State blobs leaving or entering the device (GET/SET_STATEBLOB), in
 * swtpm's migration format under this process' keys: see blob.h. DECRYPTED
 * strips the file-key layer; *ENCRYPTED says it is still there. Return TPM
 * result codes; outputs are malloc'ed and must be wiped by the caller.
 */
TPM_RESULT store_blob_export(const uint8_t *plain, size_t len, bool decrypted,
			     uint8_t **blob, size_t *bloblen, bool *encrypted);
TPM_RESULT store_blob_import(const uint8_t *blob, size_t len, bool encrypted,
			     uint8_t **plain, size_t *plen);

/*
 * --tpmstate backup: whether DIR/<permall>.bak exists, and a switch that
 * makes the next loads of the permanent state read it instead of the main
 * file (for a start that failed on the main file). Once the TPM runs on the
 * backup, the next write replaces the main file without rotating it.
 */
bool store_backup_available(void);
void store_prefer_backup(bool prefer);

/* libtpms NVRAM callbacks. NAME is libtpms' blob name ("permall",
 * "volatilestate", "savestate"). load returns TPM_RETRY if no such file,
 * a malloc'ed payload otherwise (libtpms frees it). save is atomic and
 * durable: temp file, fsync, rename, fsync of the directory. */
TPM_RESULT store_nvram_init(void);
TPM_RESULT store_load(const char *name, unsigned char **data, uint32_t *length);
TPM_RESULT store_save(const char *name, const unsigned char *data, uint32_t length);
TPM_RESULT store_delete(const char *name, bool must_exist);

struct libtpms_callbacks;
/* Point CBS's four NVRAM callbacks at the functions above; the rest of CBS
 * is left as it is. */
void store_set_nvram_callbacks(struct libtpms_callbacks *cbs);

#endif
