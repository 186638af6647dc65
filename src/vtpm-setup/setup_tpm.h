/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_tpm.h - vtpm-setup's in-process TPM: the project's libtpms instance
 * (src/tpm/) on a state directory (src/store/), optionally encrypted with a
 * key loaded by src/store/key.c; and a linear state file (the store's
 * linear backend) as the target a finished state is put into.
 *
 * setup_tpm.c is the only file of vtpm-setup that opens, runs and closes
 * the TPM and loads the state key; everything else talks TPM 2 commands
 * through setup_tpm_transact() (setup_info.c asks libtpms, which needs no
 * open TPM, what it is). libtpms keeps one TPM per process: one open at a
 * time.
 *
 * Return values: 0 or a negative errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_TPM_H
#define VTPMD_SETUP_TPM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Where the state key comes from (swtpm_setup's --keyfile, --keyfile-fd,
 * --pwdfile, --pwdfile-fd and --cipher). Never the key itself. */
struct setup_state_key {
	bool given;
	bool passphrase;        /* --pwdfile / --pwdfile-fd: key derived (PBKDF2) */
	const char *file;       /* NULL when fd is used */
	int fd;                 /* -1 when file is used */
	bool aes256;            /* --cipher aes-256-cbc */
};

/* Send the project's own log lines (store and TPM layers, libtpms) to FD,
 * or nowhere when FD < 0. */
void setup_tpm_log_to(int fd);

/* Read KEY (if given), open the directory DIRFD (named NAME in messages)
 * as the state directory, locked, and register the TPM with libtpms. The
 * store is handed DIRFD itself (through the working directory, restored
 * before this returns), not a path. */
int setup_tpm_open(int dirfd, const char *name, const struct setup_state_key *key,
		   char *err, size_t errlen);
/* Power on (loads the state, or manufactures a new TPM when there is
 * none) and power off (no TPM2_Shutdown is sent for the caller). */
int setup_tpm_power_on(char *err, size_t errlen);
void setup_tpm_power_off(void);
/* Power off, release libtpms, close the directory, wipe the key. */
void setup_tpm_close(void);

/* Once *FLAG is non-zero (a signal arrived), setup_tpm_transact() fails
 * with -EINTR instead of running the next command. */
void setup_tpm_stop_on(const volatile sig_atomic_t *flag);

/* The errno of the last state write that failed (0: none): the why behind
 * a command's TPM_RC_FAILURE. */
int setup_tpm_write_error(void);

/*
 * A linear state file as the target (--tpmstate file://PATH): opened and
 * locked (-EAGAIN: a running vtpmd, or swtpm with its lock, holds it; a
 * missing regular file is made empty), what it holds, its permanent
 * state's raw file (-ENOENT: none), and every slot replaced at once by the
 * state files of the directory DIRFD (tpm2-00.permall, which must be
 * there, .volatilestate and .savestate; a slot without a file is emptied)
 * in one crash-safe update. INJECT (may be NULL) is the store's test hook.
 * One target at a time; close releases the lock.
 */
int setup_tpm_file_open(const char *path,
			int (*inject)(enum store_linear_step, void *), void *ctx,
			char *err, size_t errlen);
int setup_tpm_file_holds(bool *has_state, bool *has_volatile, char *err,
			 size_t errlen);
int setup_tpm_file_read_permall(uint8_t **buf, size_t *len);
int setup_tpm_file_replace(int dirfd, char *err, size_t errlen);
void setup_tpm_file_close(void);

/*
 * Run one command of CMD_LEN bytes; the response goes into RESP (RESP_CAP
 * bytes), its length into *RESP_LEN. -EMSGSIZE if it does not fit, -EIO if
 * libtpms produced none, -EINTR (see setup_tpm_stop_on()). The TPM's own result code is the caller's business.
 */
int setup_tpm_transact(const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
		       size_t resp_cap, size_t *resp_len);

/* libtpms' version as "major.minor.micro" into BUF. */
void setup_tpm_lib_version(char *buf, size_t len);

#endif
