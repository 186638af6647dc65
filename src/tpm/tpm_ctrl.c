/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_ctrl.c - the TPM-side work of the control operations. */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_tis.h>

#include "mem/bytes.h"
#include "os/log.h"
#include "tpm/tpm_internal.h"
#include "tpm/tpm_wire.h"

TPM_RESULT tpm_send_startup(struct tpm *t, enum startup_type type)
{
	uint8_t cmd[TPM_HEADER_SIZE + 2];
	uint32_t rc;
	uint16_t arg;

	if (!t->running)
		return TPM_BAD_ORDINAL;
	if (type == STARTUP_NONE)
		return TPM_SUCCESS;
	if (t->opt.version == TPM_VERSION_2) {
		if (type == STARTUP_DEACTIVATED)
			return TPM_BAD_PARAMETER;
		arg = type == STARTUP_STATE ? TPM2_SU_STATE : TPM2_SU_CLEAR;
		wire_header(cmd, TPM2_ST_NO_SESSIONS, sizeof(cmd), TPM2_CC_Startup);
		t->last_ordinal = TPM2_CC_Startup;
	} else {
		arg = type == STARTUP_STATE ? TPM12_ST_STATE :
		      type == STARTUP_DEACTIVATED ? TPM12_ST_DEACTIVATED :
		      TPM12_ST_CLEAR;
		wire_header(cmd, TPM12_TAG_RQU_COMMAND, sizeof(cmd), TPM12_ORD_STARTUP);
		t->last_ordinal = TPM12_ORD_STARTUP;
	}
	t->have_last_ordinal = true;
	put_be16(cmd + TPM_HEADER_SIZE, arg);
	rc = tpm_run_internal(t, cmd, sizeof(cmd));
	if (rc == TPM2_RC_INITIALIZE)
		log_info("TPM startup (type %u): already started", arg);
	else if (rc != TPM_SUCCESS)
		log_error("TPM startup (type %u) failed: 0x%x", arg, rc);
	return rc;
}

TPM_RESULT tpm_set_locality(struct tpm *t, uint8_t loc)
{
	if (loc > 4 || (loc == 4 && t->opt.reject_locality_4))
		return TPM_BAD_LOCALITY;
	t->locality = loc;
	return TPM_SUCCESS;
}

TPM_RESULT tpm_established_get(struct tpm *t, bool *established)
{
	TPM_BOOL bit = 0;
	TPM_RESULT rc;

	(void)t;
	rc = TPM_IO_TpmEstablished_Get(&bit);
	*established = bit != 0;
	return rc;
}

TPM_RESULT tpm_established_reset(struct tpm *t, uint8_t loc)
{
	uint8_t saved = t->locality;
	TPM_RESULT rc;

	if (loc > 4)
		return TPM_BAD_LOCALITY;
	/* libtpms checks the locality of the caller through our callback. */
	t->locality = loc;
	rc = TPM_IO_TpmEstablished_Reset();
	t->locality = saved;
	return rc;
}

TPM_RESULT tpm_hash_start(struct tpm *t)
{
	(void)t;
	return TPM_IO_Hash_Start();
}

TPM_RESULT tpm_hash_data(struct tpm *t, const uint8_t *data, uint32_t len)
{
	(void)t;
	return TPM_IO_Hash_Data(data, len);
}

TPM_RESULT tpm_hash_end(struct tpm *t)
{
	(void)t;
	return TPM_IO_Hash_End();
}

TPM_RESULT tpm_buffer_size(struct tpm *t, uint32_t wanted, uint32_t *size,
			   uint32_t *min, uint32_t *max)
{
	if (wanted != 0 && t->running)
		return TPM_BAD_ORDINAL;
	*size = TPMLIB_SetBufferSize(wanted, min, max);
	return TPM_SUCCESS;
}

char *tpm_get_info(struct tpm *t, uint64_t flags)
{
	(void)t;
	return TPMLIB_GetInfo((enum TPMLIB_InfoFlags)flags);
}
