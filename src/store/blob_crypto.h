/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob_crypto.h - the encrypted layers of a state blob, for blob.c only:
 * AES-CBC under the state key, HMAC-SHA256 over ciphertext || IV
 * (encrypt-then-MAC, compared in constant time), and the legacy version-1
 * layer (digest inside the ciphertext, checked in constant time). Calls
 * blob_tlv.c only.
 *
 * Functions return TPM_SUCCESS or a TPM_RESULT; what they put into an
 * output byte string is the caller's to free with bytes_free(), on failure
 * too.
 */
#ifndef VTPMD_BLOB_CRYPTO_H
#define VTPMD_BLOB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "store/blob.h"
#include "store/blob_tlv.h"

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
