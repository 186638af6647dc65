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

/* FILE_MODE for store_open() when --tpmstate mode= was not given: files are
 * created 0640 and the umask applies, as with swtpm. */
#define STORE_MODE_DEFAULT ((mode_t)-1)

/*
 * Open DIR as the state directory for a TPM of version VER: create it (mode
 * 0750, and missing parents, like mkdir -p) if it is missing, check it is a
 * directory this process can write, and open DIR/.lock. Files are written
 * with exactly FILE_MODE whatever the umask (--tpmstate mode=), or see
 * STORE_MODE_DEFAULT. Takes the lock (no retries): -EAGAIN if another
 * process holds it. -EBUSY if a store is already open. The lock is a POSIX
 * record lock: a forked child does not inherit it, so daemonize first.
 */
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

/* libtpms NVRAM callbacks. NAME is libtpms' blob name ("permall",
 * "volatilestate", "savestate"). load returns TPM_RETRY if no such file,
 * a malloc'ed payload otherwise (libtpms frees it). save is atomic and
 * durable: temp file, fsync, rename, fsync of the directory. */
TPM_RESULT store_nvram_init(void);
TPM_RESULT store_load(const char *name, unsigned char **data, uint32_t *length);
TPM_RESULT store_save(const char *name, const unsigned char *data, uint32_t length);
TPM_RESULT store_delete(const char *name, bool must_exist);

#endif
