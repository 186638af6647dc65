/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_wire.h - the few TPM command/response constants vtpmd needs itself;
 * everything else is libtpms' business. */
#ifndef VTPMD_TPM_WIRE_H
#define VTPMD_TPM_WIRE_H

#include <stdint.h>

#include "mem/bytes.h"

#define TPM2_ST_NO_SESSIONS  0x8001
#define TPM2_CC_SHUTDOWN     0x00000145
#define TPM2_CC_STARTUP      0x00000144
#define TPM2_CC_SET_LOCALITY 0x20001000 /* vendor command, swtpm's number */
#define TPM2_SU_CLEAR        0x0000
#define TPM2_SU_STATE        0x0001
#define TPM2_RC_SUCCESS      0x000
#define TPM2_RC_INITIALIZE   0x100
#define TPM2_RC_FAILURE      0x101
#define TPM2_RC_LOCALITY     0x107

#define TPM12_TAG_RQU_COMMAND 0x00c1
#define TPM12_TAG_RSP_COMMAND 0x00c4
#define TPM12_ORD_STARTUP     0x00000099
#define TPM12_ST_CLEAR        0x0001
#define TPM12_ST_STATE        0x0002
#define TPM12_ST_DEACTIVATED  0x0003
#define TPM12_FAIL            0x09

/* A 10-byte command or response header: tag, size, ordinal or result. */
static inline void wire_header(uint8_t *p, uint16_t tag, uint32_t size,
			       uint32_t code)
{
	put_be16(p, tag);
	put_be32(p + 2, size);
	put_be32(p + 6, code);
}

#endif
