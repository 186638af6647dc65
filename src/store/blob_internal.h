/* SPDX-License-Identifier: BSD-3-Clause */
/* blob_internal.h - shared by blob.c (the format) and blob_crypto.c (its
 * encrypted layers) only. */
#ifndef VTPMD_BLOB_INTERNAL_H
#define VTPMD_BLOB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/blob.h"

#define TLV_HEADER_SIZE   6
#define AES_BLOCK         16
#define MAC_SIZE          32    /* HMAC-SHA256 */

struct blob_header {
	uint8_t version;
	uint8_t min_version;
	uint16_t hdrsize;
	uint16_t flags;
	uint32_t totlen;
};

/* One level of the format: where the plain value sits, where the encrypted
 * one and its IV would, and which header flags describe that encryption. */
struct blob_layer {
	uint16_t tag_plain;
	uint16_t tag_encrypted;
	uint16_t tag_iv;
	uint16_t flag_encrypted;
	uint16_t flag_256bit;
};

/* A malloc'ed byte string; wiped when freed, since it may hold state. */
struct bytes {
	uint8_t *data;
	size_t len;
};

void bytes_free(struct bytes *b);

/* Append one TLV record to B. */
TPM_RESULT tlv_append(struct bytes *b, uint16_t tag, const uint8_t *val,
		      size_t len);
/*
 * Walk every record in BUF (all must fit exactly, no trailing bytes) and
 * find the one with TAG: *VAL, *VLEN point into BUF, or *VAL is NULL if there
 * is none. Two records with TAG are ambiguous and rejected.
 */
TPM_RESULT tlv_find(const uint8_t *buf, size_t len, uint16_t tag,
		    const uint8_t **val, size_t *vlen);

/*
 * The three records of an encrypted layer holding PLAIN, appended to OUT:
 * TLV(LAYER->tag_encrypted) | TLV(HMAC) | TLV(LAYER->tag_iv).
 */
TPM_RESULT blob_layer_seal(const struct state_key *key,
			   const struct blob_layer *layer,
			   const uint8_t *plain, size_t len, struct bytes *out);
/*
 * Open the encrypted layer in BODY (of a blob with header H) with KEY,
 * giving the value the plain record would have held, in *PLAIN (malloc'ed,
 * wiped by bytes_free).
 */
TPM_RESULT blob_layer_decrypt(const struct state_key *key,
			      const struct blob_layer *layer,
			      const struct blob_header *h,
			      const uint8_t *body, size_t len, struct bytes *plain);

#endif
