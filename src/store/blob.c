/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob.c - swtpm's state blob format.
 *
 *   header, 10 bytes big-endian:
 *     version u8 | min_version u8 | hdrsize u16 | flags u16 | totlen u32
 *   body, header version >= 2: TLV records, tag u16 | length u32 | value
 *   body, header version 1 (legacy, read only): the payload itself
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

#include "store/blob.h"

#define TLV_HEADER_SIZE   6
#define BLOB_MIN_VERSION  1     /* the min_version we write, as swtpm does */

/* Flags that only make sense on a migration blob, never on a state file. */
#define BLOB_MIGRATION_FLAGS (BLOB_FLAG_MIGRATION_ENCRYPTED | \
			      BLOB_FLAG_MIGRATION_DATA | \
			      BLOB_FLAG_MIGRATION_256BIT_KEY)

struct blob_header {
	uint8_t version;
	uint8_t min_version;
	uint16_t hdrsize;
	uint16_t flags;
	uint32_t totlen;
};

/* Which key opens an encrypted layer. */
enum blob_key {
	BLOB_KEY_FILE,          /* --key: the state file key */
	BLOB_KEY_MIGRATION,     /* --migration-key */
};

/* One level of the format: where the plain value sits, where the encrypted
 * one would, and which key opens that. */
struct blob_layer {
	uint16_t tag_plain;
	uint16_t tag_encrypted;
	enum blob_key key;
};

static const struct blob_layer layer_state = {
	BLOB_TAG_DATA, BLOB_TAG_ENCRYPTED_DATA, BLOB_KEY_FILE,
};
static const struct blob_layer layer_migration = {
	BLOB_TAG_MIGRATION_DATA, BLOB_TAG_ENCRYPTED_MIGRATION_DATA,
	BLOB_KEY_MIGRATION,
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Decrypted state is a secret: wipe it before it goes back to malloc. */
static void free_secret(uint8_t *p, size_t len)
{
	if (p)
		explicit_bzero(p, len);
	free(p);
}

/*
 * The seam where state encryption plugs in (a later issue): open the
 * encrypted layer in BODY with KEY, giving the value the plain record would
 * have held, malloc'ed. No keys exist yet, so there is nothing to open with.
 */
static TPM_RESULT blob_decrypt(enum blob_key key, const struct blob_header *h,
			       const uint8_t *body, size_t len,
			       uint8_t **plain, size_t *plen)
{
	(void)key;
	(void)h;
	(void)body;
	(void)len;
	*plain = NULL;
	*plen = 0;
	return TPM_KEYNOTFOUND;
}

/*
 * Header + nested TLVs around PAYLOAD: TAGS[0] is outermost, each record
 * holding the next, the last one holding the payload.
 */
static TPM_RESULT blob_build(uint16_t flags, const uint16_t *tags,
			     size_t ntags, const uint8_t *payload, size_t len,
			     uint8_t **out, size_t *outlen)
{
	size_t overhead = BLOB_HEADER_SIZE + ntags * TLV_HEADER_SIZE;
	uint8_t *buf, *p;
	size_t total, i;

	*out = NULL;
	*outlen = 0;
	if (len > 0 && !payload)
		return TPM_BAD_PARAMETER;
	if (len > UINT32_MAX - overhead)
		return TPM_BAD_DATASIZE;        /* totlen is 32 bits */
	total = overhead + len;

	buf = malloc(total);
	if (!buf)
		return TPM_SIZE;

	buf[0] = BLOB_VERSION;
	buf[1] = BLOB_MIN_VERSION;
	put_be16(buf + 2, BLOB_HEADER_SIZE);
	put_be16(buf + 4, flags);
	put_be32(buf + 6, (uint32_t)total);

	p = buf + BLOB_HEADER_SIZE;
	for (i = 0; i < ntags; i++) {
		size_t inner = (ntags - 1 - i) * TLV_HEADER_SIZE + len;

		put_be16(p, tags[i]);
		put_be32(p + 2, (uint32_t)inner);
		p += TLV_HEADER_SIZE;
	}
	if (len > 0)
		memcpy(p, payload, len);

	*out = buf;
	*outlen = total;
	return TPM_SUCCESS;
}

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
 * Walk every record in BUF (all must fit exactly, no trailing bytes) and
 * find the one with TAG: *VAL, *VLEN point into BUF, or *VAL is NULL if there
 * is none. Two records with TAG are ambiguous and rejected.
 */
static TPM_RESULT tlv_find(const uint8_t *buf, size_t len, uint16_t tag,
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

/*
 * Open one layer of BODY: the value of its plain record, or of its
 * encrypted record once decrypted. *VAL, *VLEN point into BODY, or into
 * *OWNED, which the caller releases with free_secret(*OWNED, *VLEN).
 */
static TPM_RESULT layer_open(const struct blob_layer *layer,
			     const struct blob_header *h, bool encrypted,
			     const uint8_t *body, size_t len,
			     const uint8_t **val, size_t *vlen, uint8_t **owned)
{
	const uint8_t *enc;
	size_t enclen;
	TPM_RESULT rc;

	*owned = NULL;
	*val = NULL;
	*vlen = 0;

	if (encrypted) {
		rc = blob_decrypt(layer->key, h, body, len, owned, vlen);
		*val = *owned;
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

TPM_RESULT blob_file_encode(const uint8_t *payload, size_t len,
			    uint8_t **out, size_t *outlen)
{
	static const uint16_t tags[] = { BLOB_TAG_DATA };

	return blob_build(0, tags, 1, payload, len, out, outlen);
}

TPM_RESULT blob_file_decode(const uint8_t *file, size_t len,
			    uint8_t **payload, size_t *plen)
{
	struct blob_header h;
	const uint8_t *val;
	uint8_t *owned;
	size_t vlen;
	TPM_RESULT rc;

	*payload = NULL;
	*plen = 0;

	rc = header_parse(file, len, &h);
	if (rc != TPM_SUCCESS)
		return rc;
	if (h.flags & BLOB_MIGRATION_FLAGS)
		return TPM_BAD_PARAMETER;       /* a migration blob, not a file */

	rc = layer_open(&layer_state, &h, h.flags & BLOB_FLAG_ENCRYPTED,
			file + BLOB_HEADER_SIZE, len - BLOB_HEADER_SIZE,
			&val, &vlen, &owned);
	if (rc == TPM_SUCCESS)
		rc = payload_copy(val, vlen, payload, plen);
	free_secret(owned, vlen);
	return rc;
}

TPM_RESULT blob_migration_encode(const uint8_t *payload, size_t len,
				 uint8_t **out, size_t *outlen)
{
	static const uint16_t tags[] = {
		BLOB_TAG_MIGRATION_DATA, BLOB_TAG_DATA,
	};

	return blob_build(BLOB_FLAG_MIGRATION_DATA, tags, 2, payload, len,
			  out, outlen);
}

TPM_RESULT blob_migration_decode(const uint8_t *blob, size_t len,
				 int encrypted_flag,
				 uint8_t **payload, size_t *plen)
{
	struct blob_header h;
	const uint8_t *inner, *val;
	uint8_t *owned_outer = NULL, *owned_inner = NULL;
	size_t inner_len = 0, vlen = 0;
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
	if (len == BLOB_HEADER_SIZE)
		return TPM_SUCCESS;

	rc = layer_open(&layer_migration, &h,
			h.flags & BLOB_FLAG_MIGRATION_ENCRYPTED,
			blob + BLOB_HEADER_SIZE, len - BLOB_HEADER_SIZE,
			&inner, &inner_len, &owned_outer);
	if (rc != TPM_SUCCESS)
		goto out;

	state_encrypted = encrypted_flag || (h.flags & BLOB_FLAG_ENCRYPTED);
	rc = layer_open(&layer_state, &h, state_encrypted, inner, inner_len,
			&val, &vlen, &owned_inner);
	if (rc == TPM_SUCCESS)
		rc = payload_copy(val, vlen, payload, plen);
	free_secret(owned_inner, vlen);
out:
	free_secret(owned_outer, inner_len);
	return rc;
}
