/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_wire.h - the few TPM command/response constants and header accessors
 * vtpmd needs itself; everything else is libtpms' business. */
#ifndef VTPMD_TPM_WIRE_H
#define VTPMD_TPM_WIRE_H

#include <stdint.h>

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

static inline uint32_t wire_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void wire_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void wire_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* A 10-byte command or response header: tag, size, ordinal or result. */
static inline void wire_header(uint8_t *p, uint16_t tag, uint32_t size,
			       uint32_t code)
{
	wire_put_be16(p, tag);
	wire_put_be32(p + 2, size);
	wire_put_be32(p + 6, code);
}

#endif
