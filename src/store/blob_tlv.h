/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob_tlv.h - the records of a state blob's body (tag u16 | length u32 |
 * value, big-endian) and the malloc'ed byte strings they are built in.
 * For blob.c and blob_crypto.c only; calls nothing of theirs.
 *
 * Functions return TPM_SUCCESS or the TPM_RESULT swtpm's reader gives for
 * the same fault: TPM_BAD_DATASIZE for a length that does not fit,
 * TPM_BAD_PARAMETER for an ambiguous record, TPM_SIZE when out of memory.
 */
#ifndef VTPMD_BLOB_TLV_H
#define VTPMD_BLOB_TLV_H

#include <stddef.h>
#include <stdint.h>

#include <libtpms/tpm_types.h>

#define TLV_HEADER_SIZE   6

/* A malloc'ed byte string; wiped when freed, since it may hold state. */
struct bytes {
	uint8_t *data;
	size_t len;
};

void bytes_free(struct bytes *b);

/* Append one TLV record to B. */
TPM_RESULT tlv_append(struct bytes *b, uint16_t tag, const uint8_t *val, size_t len);

/*
 * Walk every record in BUF (all must fit exactly, no trailing bytes) and
 * find the one with TAG: *VAL, *VLEN point into BUF, or *VAL is NULL if there
 * is none. Two records with TAG are ambiguous and rejected.
 */
TPM_RESULT tlv_find(const uint8_t *buf, size_t len, uint16_t tag,
		    const uint8_t **val, size_t *vlen);

#endif
