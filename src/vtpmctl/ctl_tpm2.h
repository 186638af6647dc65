/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_tpm2.h - the few TPM 2 commands a firmware sends at boot, built as
 * bytes, and one command/response exchange on the device's command path.
 */
#ifndef VTPMCTL_TPM2_H
#define VTPMCTL_TPM2_H

#include <stddef.h>
#include <stdint.h>

#define TPM2_SU_CLEAR 0x0000
#define TPM2_SU_STATE 0x0001

#define TPM2_ST_NO_SESSIONS 0x8001
#define TPM_TAG_RSP_COMMAND 0x00c4      /* how a TPM 1.2 answers */

#define TPM2_RC_INITIALIZE 0x100        /* Startup already done (or not yet) */
#define TPM2_RC_FAILURE    0x101        /* vtpmd/swtpm: TPM not initialised */
#define TPM2_RC_LOCALITY   0x907        /* e.g. Startup at locality 1 or 2 */

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
