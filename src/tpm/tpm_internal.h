/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_internal.h - shared between the files of src/tpm only. */
#ifndef VTPMD_TPM_INTERNAL_H
#define VTPMD_TPM_INTERNAL_H

#include "tpm/tpm.h"

/* Point libtpms' callbacks at T (tpm_callbacks.c): -EBUSY if another
 * struct tpm has them, -EIO if libtpms refuses them. */
int tpm_callbacks_bind(struct tpm *t);
void tpm_callbacks_unbind(struct tpm *t);

/* Run a command vtpmd composed itself (not a client's); returns the TPM
 * response code from the header, or TPM_FAIL if there was no response. */
uint32_t tpm_run_internal(struct tpm *t, uint8_t *cmd, uint32_t len);

/* The shutdown-before-reset rule, see tpm_shutdown.c. */
void tpm_auto_shutdown(struct tpm *t);

/* libtpms' entropy (OpenSSL's RAND_bytes) read from getrandom(2), for
 * the whole process, once (tpm_entropy.c): 0, or -EIO if OpenSSL refused. */
int tpm_entropy_from_kernel(void);
bool tpm_entropy_is_kernel(void);

/* tpm_lib_identity() and tpm_lib_rsa_keysizes() on a document DOC (the
 * unit tests feed these documents libtpms never writes). */
int tpm_info_parse_identity(const char *doc, struct tpm_lib_identity *id);
int tpm_info_parse_rsa_keysizes(const char *doc, unsigned *sizes, size_t cap,
				size_t *n);

/* Make V the TPM libtpms runs (TPMLIB_ChooseTPMVersion): 0, or -ENOTSUP
 * if this libtpms has no such TPM. */
int tpm_lib_choose(enum tpm_version v);

#endif
