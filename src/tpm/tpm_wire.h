/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_wire.h - the TPM numbers vtpmd uses that tpm2-tss' types header does
 * not have, in one place: swtpm's vendor command and its answer, and the
 * TPM 1.2 numbers of the Startup vtpmd sends and of the responses it makes
 * or reads (tpm2-tss knows TPM 2 only; libtpms' TPM 1.2 error header is not
 * for the client, which links no libtpms). Every TPM 2 number (TPM2_CC_,
 * TPM2_RC_, TPM2_ST_, TPM2_SU_ ...) is <tss2/tss2_tpm2_types.h>'s, included
 * here so that a user of this header has both. No library is linked for
 * either.
 */
#ifndef VTPMD_TPM_WIRE_H
#define VTPMD_TPM_WIRE_H

#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "mem/bytes.h"

/* swtpm's vendor command that lets an in-band client pick its locality. */
#define SWTPM_CC_SET_LOCALITY 0x20001000
/*
 * What swtpm answers when that command asks for a locality it refuses:
 * 0x107, from swtpm's own (mistaken) definition of TPM_RC_LOCALITY, kept so
 * clients see what they see from swtpm. The TPM 2 code that libtpms itself
 * returns for a command at the wrong locality is TPM2_RC_LOCALITY (0x907).
 */
#define SWTPM_RC_SET_LOCALITY 0x107

#define TPM12_TAG_RQU_COMMAND 0x00c1
#define TPM12_TAG_RSP_COMMAND 0x00c4
#define TPM12_ORD_STARTUP     0x00000099
#define TPM12_ST_CLEAR        0x0001
#define TPM12_ST_STATE        0x0002
#define TPM12_ST_DEACTIVATED  0x0003
#define TPM12_FAIL            0x09
/* TPM 1.2 results with this bit are not errors (TPM_RETRY: try again). */
#define TPM12_NON_FATAL       0x800

/* A 10-byte command or response header: tag, size, ordinal or result. */
static inline void wire_header(uint8_t *p, uint16_t tag, uint32_t size,
			       uint32_t code)
{
	put_be16(p, tag);
	put_be32(p + 2, size);
	put_be32(p + 6, code);
}

#endif
