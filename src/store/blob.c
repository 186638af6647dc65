/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob.c - swtpm's state blob format, plain and encrypted.
 *
 *   header, 10 bytes big-endian:
 *     version u8 | min_version u8 | hdrsize u16 | flags u16 | totlen u32
 *   body, header version >= 2: TLV records, tag u16 | length u32 | value
 *   body, header version 1 (legacy, read only, and only from a state file:
 *     a migration blob of version 1 is refused): the payload itself, or
 *     AES-CBC (zero IV) of SHA-256(payload) || payload
 *
 * Encrypted layers are blob_crypto.c's; records and byte strings
 * blob_tlv.c's. Calls go one way: blob.c -> blob_crypto.c -> blob_tlv.c.
 *
 * The reader is strict where swtpm's writer is regular (totlen, hdrsize,
 * every record fits, at most one record of a tag we read) and lenient where
 * a newer swtpm may add things: unknown tags and unknown flag bits are
 * skipped, and min_version is what says a reader is too old.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "mem/bytes.h"
#include "mem/secret.h"
#include "store/blob_crypto.h"
#include "store/blob_tlv.h"

#define BLOB_MIN_VERSION  1     /* the min_version we write, as swtpm does */
/* totlen is 32 bits; leave room for the header, records, padding and IV. */
#define BLOB_MAX_PAYLOAD  ((size_t)UINT32_MAX - 256)

static const struct blob_layer layer_state = {
	BLOB_TAG_DATA, BLOB_TAG_ENCRYPTED_DATA, BLOB_TAG_IVEC_ENCRYPTED_DATA,
	BLOB_FLAG_ENCRYPTED, BLOB_FLAG_ENCRYPTED_256BIT_KEY,
};
static const struct blob_layer layer_migration = {
	BLOB_TAG_MIGRATION_DATA, BLOB_TAG_ENCRYPTED_MIGRATION_DATA,
	BLOB_TAG_IVEC_ENCRYPTED_MIGRATION_DATA,
	BLOB_FLAG_MIGRATION_ENCRYPTED, BLOB_FLAG_MIGRATION_256BIT_KEY,
};

/* Flags that only make sense on a migration blob, never on a state file. */
#define BLOB_MIGRATION_FLAGS (BLOB_FLAG_MIGRATION_ENCRYPTED | \
			      BLOB_FLAG_MIGRATION_DATA | \
			      BLOB_FLAG_MIGRATION_256BIT_KEY)

/* The checks and their result codes follow swtpm's reader. */
static TPM_RESULT header_parse(const uint8_t *blob, size_t len,
			       struct blob_header *h)
{
	if (!blob || len < BLOB_HEADER_SIZE)
		return TPM_BAD_PARAMETER;

	h->version = blob[0];
	h->min_version = blob[1];
	h->hdrsize = get_be16(blob + 2);
	h->flags = get_be16(blob + 4);
	h->totlen = get_be32(blob + 6);

	if ((size_t)h->totlen != len)
		return TPM_BAD_PARAMETER;
	if (h->min_version > BLOB_VERSION)
		return TPM_BAD_VERSION;
	if (h->hdrsize != BLOB_HEADER_SIZE)
		return TPM_BAD_DATASIZE;
	/* swtpm never wrote 0; a version below its own minimum is nonsense */
	if (h->version == 0 || h->version < h->min_version)
		return TPM_BAD_VERSION;
	return TPM_SUCCESS;
}

/*
 * Open one layer of BODY: the value of its plain record, or of its
 * encrypted record once decrypted. *VAL, *VLEN point into BODY, or into
 * OWNED, which the caller releases with bytes_free().
 */
static TPM_RESULT layer_open(const struct blob_layer *layer,
			     const struct state_key *key,
			     const struct blob_header *h, bool encrypted,
			     const uint8_t *body, size_t len,
			     const uint8_t **val, size_t *vlen,
			     struct bytes *owned)
{
	const uint8_t *enc;
	size_t enclen;
	TPM_RESULT rc;

	*owned = (struct bytes){ NULL, 0 };
	*val = NULL;
	*vlen = 0;

	if (encrypted) {
		rc = blob_layer_decrypt(key, layer, h, body, len, owned);
		*val = owned->data;
		*vlen = owned->len;
		return rc;
	}
	if (h->version == 1) {
		*val = body;
		*vlen = len;
		return TPM_SUCCESS;
	}

	rc = tlv_find(body, len, layer->tag_plain, val, vlen);
	if (rc != TPM_SUCCESS || *val)
		return rc;
	/* No plain record: encrypted data without the header flag saying so
	 * still needs a key; anything else is swtpm's "no data" TPM_FAIL. */
	rc = tlv_find(body, len, layer->tag_encrypted, &enc, &enclen);
	if (rc != TPM_SUCCESS)
		return rc;
	return enc ? TPM_KEYNOTFOUND : TPM_FAIL;
}

/* An empty payload is (NULL, 0), never a zero-byte allocation. */
static TPM_RESULT payload_copy(const uint8_t *val, size_t vlen,
			       uint8_t **payload, size_t *plen)
{
	uint8_t *p;

	if (vlen == 0)
		return TPM_SUCCESS;
	p = malloc(vlen);
	if (!p)
		return TPM_SIZE;
	memcpy(p, val, vlen);
	*payload = p;
	*plen = vlen;
	return TPM_SUCCESS;
}

/* The records of one layer holding PAYLOAD, plain or sealed with KEY;
 * *FLAGS gains the header flags of that encryption. */
static TPM_RESULT layer_build(const struct blob_layer *layer,
			      const struct state_key *key,
			      const uint8_t *payload, size_t len,
			      struct bytes *out, uint16_t *flags)
{
	if (len > 0 && !payload)
		return TPM_BAD_PARAMETER;
	if (len > BLOB_MAX_PAYLOAD)
		return TPM_BAD_DATASIZE;
	if (!key_present(key))
		return tlv_append(out, layer->tag_plain, payload, len);
	*flags |= layer->flag_encrypted;
	if (key->len == 32)
		*flags |= layer->flag_256bit;
	return blob_layer_seal(key, layer, payload, len, out);
}

/* Header with FLAGS in front of BODY. */
static TPM_RESULT blob_finish(uint16_t flags, const struct bytes *body,
			      uint8_t **out, size_t *outlen)
{
	size_t total;
	uint8_t *buf;

	if (body->len > UINT32_MAX - BLOB_HEADER_SIZE)
		return TPM_BAD_DATASIZE;        /* totlen is 32 bits */
	total = BLOB_HEADER_SIZE + body->len;
	buf = malloc(total);
	if (!buf)
		return TPM_SIZE;
	buf[0] = BLOB_VERSION;
	buf[1] = BLOB_MIN_VERSION;
	put_be16(buf + 2, BLOB_HEADER_SIZE);
	put_be16(buf + 4, flags);
	put_be32(buf + 6, (uint32_t)total);
	if (body->len)
		memcpy(buf + BLOB_HEADER_SIZE, body->data, body->len);
	*out = buf;
	*outlen = total;
	return TPM_SUCCESS;
}

TPM_RESULT blob_file_encode(const struct state_key *key,
			    const uint8_t *payload, size_t len,
			    uint8_t **out, size_t *outlen)
{
	struct bytes body = { NULL, 0 };
	uint16_t flags = 0;
	TPM_RESULT rc;

	*out = NULL;
	*outlen = 0;
	rc = layer_build(&layer_state, key, payload, len, &body, &flags);
	if (rc == TPM_SUCCESS)
		rc = blob_finish(flags, &body, out, outlen);
	bytes_free(&body);
	return rc;
}

TPM_RESULT blob_file_decode(const struct state_key *key,
			    const uint8_t *file, size_t len,
			    uint8_t **payload, size_t *plen)
{
	struct blob_header h;
	struct bytes owned;
	const uint8_t *val;
	size_t vlen;
	TPM_RESULT rc;

	*payload = NULL;
	*plen = 0;

	rc = header_parse(file, len, &h);
	if (rc != TPM_SUCCESS)
		return rc;
	if (h.flags & BLOB_MIGRATION_FLAGS)
		return TPM_BAD_PARAMETER;       /* a migration blob, not a file */

	/* As swtpm: with a key configured, the file must be encrypted. */
	rc = layer_open(&layer_state, key, &h,
			key_present(key) || (h.flags & BLOB_FLAG_ENCRYPTED),
			file + BLOB_HEADER_SIZE, len - BLOB_HEADER_SIZE,
			&val, &vlen, &owned);
	if (rc == TPM_SUCCESS)
		rc = payload_copy(val, vlen, payload, plen);
	bytes_free(&owned);
	return rc;
}

TPM_RESULT blob_migration_encode(const struct blob_keys *keys, bool decrypted,
				 const uint8_t *payload, size_t len,
				 uint8_t **out, size_t *outlen, bool *encrypted)
{
	const struct state_key *fkey = keys && !decrypted ? keys->file : NULL;
	const struct state_key *mkey = keys ? keys->migration : NULL;
	struct bytes inner = { NULL, 0 }, outer = { NULL, 0 };
	uint16_t flags = BLOB_FLAG_MIGRATION_DATA;
	TPM_RESULT rc;

	*out = NULL;
	*outlen = 0;
	if (encrypted)
		*encrypted = key_present(fkey);
	rc = layer_build(&layer_state, fkey, payload, len, &inner, &flags);
	if (rc == TPM_SUCCESS)
		rc = layer_build(&layer_migration, mkey, inner.data, inner.len,
				 &outer, &flags);
	if (rc == TPM_SUCCESS)
		rc = blob_finish(flags, &outer, out, outlen);
	bytes_free(&inner);
	bytes_free(&outer);
	return rc;
}

TPM_RESULT blob_migration_decode(const struct blob_keys *keys,
				 const uint8_t *blob, size_t len,
				 int encrypted_flag,
				 uint8_t **payload, size_t *plen)
{
	const struct state_key *fkey = keys ? keys->file : NULL;
	const struct state_key *mkey = keys ? keys->migration : NULL;
	struct bytes owned_outer, owned_inner = { NULL, 0 };
	const uint8_t *inner, *val;
	size_t inner_len = 0, vlen = 0;
	struct blob_header h;
	bool state_encrypted;
	TPM_RESULT rc;

	*payload = NULL;
	*plen = 0;

	/* swtpm hands an empty blob, or a bare header, to libtpms as
	 * "no state" (TPMLIB_SetState(type, NULL, 0)). */
	if (len == 0)
		return TPM_SUCCESS;
	rc = header_parse(blob, len, &h);
	if (rc != TPM_SUCCESS)
		return rc;
	/* Version 1 has no MAC: a client that may send blobs must not get to
	 * try one padding after another (a padding oracle on the keys). No
	 * swtpm exports version 1; files on disk are another matter. */
	if (h.version < 2)
		return TPM_BAD_VERSION;
	if (len == BLOB_HEADER_SIZE)
		return TPM_SUCCESS;

	rc = layer_open(&layer_migration, mkey, &h,
			h.flags & BLOB_FLAG_MIGRATION_ENCRYPTED,
			blob + BLOB_HEADER_SIZE, len - BLOB_HEADER_SIZE,
			&inner, &inner_len, &owned_outer);
	if (rc != TPM_SUCCESS)
		goto out;

	state_encrypted = encrypted_flag || (h.flags & BLOB_FLAG_ENCRYPTED);
	rc = layer_open(&layer_state, fkey, &h, state_encrypted, inner,
			inner_len, &val, &vlen, &owned_inner);
	if (rc == TPM_SUCCESS)
		rc = payload_copy(val, vlen, payload, plen);
out:
	bytes_free(&owned_inner);
	bytes_free(&owned_outer);
	return rc;
}

const char *blob_strerror(TPM_RESULT rc)
{
	switch (rc) {
	case TPM_SUCCESS:
		return "ok";
	case TPM_BAD_PARAMETER:
		return "truncated or malformed (its header does not match it)";
	case TPM_BAD_VERSION:
		return "written in a format version this build does not read";
	case TPM_BAD_DATASIZE:
		return "a record in it is malformed";
	case TPM_FAIL:
		return "it holds no state data in the expected form (a plain file while a key is configured?)";
	case TPM_KEYNOTFOUND:
		return "it is encrypted, and the key for it is not configured";
	case TPM_DECRYPT_ERROR:
		return "the key does not open it (wrong key, or the data was altered)";
	case TPM_BAD_KEY_PROPERTY:
		return "it was encrypted with a key of the other size (check the key's mode)";
	case TPM_ENCRYPT_ERROR:
		return "encryption failed";
	case TPM_SIZE:
		return "out of memory";
	}
	return "unexpected error";
}
