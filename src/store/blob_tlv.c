/* SPDX-License-Identifier: BSD-3-Clause */
/* blob_tlv.c - the records of swtpm's blob bodies and the byte strings that
 * hold them (see blob_tlv.h). */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "mem/bytes.h"
#include "mem/secret.h"
#include "store/blob_tlv.h"

void bytes_free(struct bytes *b)
{
	secret_free(b->data, b->len);
	b->data = NULL;
	b->len = 0;
}

/* Room for LEN more bytes at the end of B (contents kept). */
static TPM_RESULT bytes_grow(struct bytes *b, size_t len, uint8_t **at)
{
	uint8_t *p;

	if (len > UINT32_MAX || b->len > UINT32_MAX - len)
		return TPM_BAD_DATASIZE;        /* lengths on the wire are 32 bits */
	p = malloc(b->len + len ? b->len + len : 1);
	if (!p)
		return TPM_SIZE;
	if (b->len)
		memcpy(p, b->data, b->len);
	secret_free(b->data, b->len);
	b->data = p;
	*at = p + b->len;
	b->len += len;
	return TPM_SUCCESS;
}

TPM_RESULT tlv_append(struct bytes *b, uint16_t tag, const uint8_t *val, size_t len)
{
	uint8_t *p;
	TPM_RESULT rc;

	if (len > UINT32_MAX - TLV_HEADER_SIZE)
		return TPM_BAD_DATASIZE;
	rc = bytes_grow(b, TLV_HEADER_SIZE + len, &p);
	if (rc != TPM_SUCCESS)
		return rc;
	put_be16(p, tag);
	put_be32(p + 2, (uint32_t)len);
	if (len)
		memcpy(p + TLV_HEADER_SIZE, val, len);
	return TPM_SUCCESS;
}

TPM_RESULT tlv_find(const uint8_t *buf, size_t len, uint16_t tag,
		    const uint8_t **val, size_t *vlen)
{
	const uint8_t *found = NULL;
	size_t found_len = 0;
	size_t off = 0;

	while (off < len) {
		uint16_t t;
		uint32_t l;

		if (len - off < TLV_HEADER_SIZE)
			return TPM_BAD_DATASIZE;
		t = get_be16(buf + off);
		l = get_be32(buf + off + 2);
		off += TLV_HEADER_SIZE;
		if (l > len - off)
			return TPM_BAD_DATASIZE;
		if (t == tag) {
			if (found)
				return TPM_BAD_PARAMETER;
			found = buf + off;
			found_len = l;
		}
		off += l;
	}
	*val = found;
	*vlen = found_len;
	return TPM_SUCCESS;
}
