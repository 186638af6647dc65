/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_shutdown.c - the shutdown-before-reset rule.
 *
 * A TPM 2 that is reset without TPM2_Shutdown counts the reset as an
 * "unorderly" one: its dictionary-attack logic may then raise the lockout
 * counter, and a suspend (Shutdown(SU_STATE)) the client already did must not
 * be undone. So before any reset vtpmd itself sends Shutdown(SU_STATE) -- which
 * keeps the state a later Startup(SU_STATE) resumes -- and falls back to
 * Shutdown(SU_CLEAR), unless the client's own last command was a Shutdown.
 */
#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <stdlib.h>

#include "os/log.h"
#include "tpm/tpm_internal.h"
#include "tpm/tpm_wire.h"

uint32_t tpm_run_internal(struct tpm *t, uint8_t *cmd, uint32_t len)
{
	uint8_t *resp = NULL;
	uint32_t resp_len = 0, cap = 0, rc = TPM_FAIL;

	if (TPMLIB_Process(&resp, &resp_len, &cap, cmd, len) == TPM_SUCCESS &&
	    resp_len >= TPM_HEADER_SIZE && resp_len <= cap) {
		rc = get_be32(resp + 6);
		if (t->record)
			t->record(t->record_ctx, cmd, len, resp, resp_len);
	}
	free(resp);
	return rc;
}

static uint32_t send_shutdown(struct tpm *t, uint16_t type)
{
	uint8_t cmd[TPM_HEADER_SIZE + 2];

	wire_header(cmd, TPM2_ST_NO_SESSIONS, sizeof(cmd), TPM2_CC_Shutdown);
	put_be16(cmd + TPM_HEADER_SIZE, type);
	return tpm_run_internal(t, cmd, sizeof(cmd));
}

void tpm_auto_shutdown(struct tpm *t)
{
	uint32_t rc;

	if (t->opt.version != TPM_VERSION_2 || !t->running)
		return;
	if (t->have_last_ordinal && t->last_ordinal == TPM2_CC_Shutdown)
		return;

	rc = send_shutdown(t, TPM2_SU_STATE);
	if (rc == TPM2_RC_INITIALIZE) {
		/* Never started: nothing to save, nothing to count. */
		return;
	}
	if (rc != TPM2_RC_SUCCESS) {
		log_info("TPM2_Shutdown(SU_STATE) failed (0x%x), trying SU_CLEAR", rc);
		rc = send_shutdown(t, TPM2_SU_CLEAR);
	}
	if (rc == TPM2_RC_SUCCESS) {
		t->last_ordinal = TPM2_CC_Shutdown;
		t->have_last_ordinal = true;
		log_debug("sent TPM2_Shutdown before reset");
	} else {
		log_error("TPM2_Shutdown before reset failed (0x%x)", rc);
	}
}
