/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_tpm2.h - the few TPM 2 commands a firmware sends at boot, built as
 * bytes (tpm/tpm2_marshal.h), and one command/response exchange on the
 * device's command path.
 */
#ifndef VTPMCTL_TPM2_H
#define VTPMCTL_TPM2_H

#include <stddef.h>
#include <stdint.h>

#include "tpm/tpm_wire.h"

/* TPM 2 numbers: tss2's types header; TPM 1.2's: tpm/tpm_wire.h */
/* Size of the platform hierarchy's new random auth value (SHA-256 size). */
#define TPM2_PLATFORM_AUTH_LEN 32

/* Each builder writes one command into buf and returns its length, or 0 if
 * len is too small. */
size_t tpm2_build_startup(uint8_t *buf, size_t len, uint16_t startup_type);
/* IncrementalSelfTest of SHA-256, as swtpm_bios -cs. */
size_t tpm2_build_incremental_selftest(uint8_t *buf, size_t len);
/* HierarchyChangeAuth(TPM_RH_PLATFORM) with an empty password session. */
size_t tpm2_build_change_platform_auth(uint8_t *buf, size_t len,
				       const uint8_t *auth, uint16_t auth_len);

/* Check that a response is a whole TPM response (at least a header, its
 * size field equal to len) and return its tag and response code.
 * Returns 0 or -EBADMSG. */
int tpm2_parse_response(const uint8_t *resp, size_t len, uint16_t *tag, uint32_t *rc);

/*
 * Send one command (one write), wait up to timeout_s for the answer (poll),
 * read it (one read), check it. Returns 0 with the tag and response code, or
 * a negative errno after printing why (-ETIMEDOUT, -EBADMSG, ...).
 */
int tpm2_transact(int fd, const uint8_t *cmd, size_t cmd_len, unsigned timeout_s,
		  uint16_t *tag, uint32_t *rc);

#endif
