/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob.c - swtpm's state blob format, plain and encrypted.
 *
 *   header, 10 bytes big-endian:
 *     version u8 | min_version u8 | hdrsize u16 | flags u16 | totlen u32
 *   body, header version >= 2: TLV records, tag u16 | length u32 | value
 *   body, header version 1 (legacy, read only): the payload itself, or
 *     AES-CBC (zero IV) of SHA-256(payload) || payload
 *
 * An encrypted layer is three records: the ciphertext, an HMAC-SHA256 (keyed
 * with the AES key) over ciphertext || IV, and the IV. The payload is padded
 * PKCS#7-style to a multiple of the KEY length (not the AES block), as swtpm
 * does, and the IV is as long as the key (swtpm <= 0.10 insists on that);
 * only its first 16 bytes seed CBC. Encrypt-then-MAC: the MAC is checked, in
 * constant time, before a byte is decrypted.
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
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "store/blob.h"

#define TLV_HEADER_SIZE   6
#define BLOB_MIN_VERSION  1     /* the min_version we write, as swtpm does */
#define AES_BLOCK         16
#define MAC_SIZE          32    /* HMAC-SHA256 */
/* totlen is 32 bits; leave room for the header, records, padding and IV. */
#define BLOB_MAX_PAYLOAD  ((size_t)UINT32_MAX - 256)

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

/* One level of the format: where the plain value sits, where the encrypted
 * one and its IV would, and which header flags describe that encryption. */
struct blob_layer {
	uint16_t tag_plain;
	uint16_t tag_encrypted;
	uint16_t tag_iv;
	uint16_t flag_encrypted;
	uint16_t flag_256bit;
};

static const struct blob_layer layer_state = {
	BLOB_TAG_DATA, BLOB_TAG_ENCRYPTED_DATA, BLOB_TAG_IVEC_ENCRYPTED_DATA,
	BLOB_FLAG_ENCRYPTED, BLOB_FLAG_ENCRYPTED_256BIT_KEY,
};
static const struct blob_layer layer_migration = {
	BLOB_TAG_MIGRATION_DATA, BLOB_TAG_ENCRYPTED_MIGRATION_DATA,
	BLOB_TAG_IVEC_ENCRYPTED_MIGRATION_DATA,
	BLOB_FLAG_MIGRATION_ENCRYPTED, BLOB_FLAG_MIGRATION_256BIT_KEY,
};

/* A malloc'ed byte string; wiped when freed, since it may hold state. */
struct bytes {
	uint8_t *data;
	size_t len;
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
		OPENSSL_cleanse(p, len);
	free(p);
}

static void bytes_free(struct bytes *b)
{
	free_secret(b->data, b->len);
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
	free_secret(b->data, b->len);
	b->data = p;
	*at = p + b->len;
	b->len += len;
	return TPM_SUCCESS;
}

/* Append one TLV record. */
static TPM_RESULT tlv_append(struct bytes *b, uint16_t tag,
			     const uint8_t *val, size_t len)
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

/* HMAC-SHA256 keyed with KEY over DATA || IV (IV may be absent). */
static bool mac_compute(const struct state_key *key,
			const uint8_t *data, size_t len,
			const uint8_t *iv, size_t ivlen, uint8_t out[MAC_SIZE])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t outl = 0;
	bool ok = false;

	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!mac)
		return false;
	ctx = EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && EVP_MAC_init(ctx, key->bytes, key->len, params) == 1 &&
	    EVP_MAC_update(ctx, data, len) == 1 &&
	    (!iv || EVP_MAC_update(ctx, iv, ivlen) == 1) &&
	    EVP_MAC_final(ctx, out, &outl, MAC_SIZE) == 1 && outl == MAC_SIZE)
		ok = true;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

/* AES-CBC without OpenSSL's padding over LEN bytes (a multiple of 16). */
static bool aes_cbc(const struct state_key *key, bool encrypt,
		    const uint8_t iv[AES_BLOCK],
		    const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *cipher = key->len == 32 ? EVP_aes_256_cbc() :
						    EVP_aes_128_cbc();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	bool ok;

	if (!ctx || len > INT32_MAX) {
		EVP_CIPHER_CTX_free(ctx);
		return false;
	}
	ok = EVP_CipherInit_ex(ctx, cipher, NULL, key->bytes, iv,
			       encrypt ? 1 : 0) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n1, in, (int)len) == 1 &&
	     EVP_CipherFinal_ex(ctx, out + n1, &n2) == 1 &&
	     (size_t)n1 + (size_t)n2 == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/*
 * The three records of an encrypted layer holding PLAIN, appended to OUT:
 * TLV(LAYER->tag_encrypted) | TLV(HMAC) | TLV(LAYER->tag_iv).
 */
static TPM_RESULT layer_seal(const struct state_key *key,
			     const struct blob_layer *layer,
			     const uint8_t *plain, size_t len, struct bytes *out)
{
	uint8_t iv[KEY_MAX_BYTES], mac[MAC_SIZE];
	size_t pad = key->len - len % key->len;
	uint8_t *padded = NULL, *ct = NULL;
	size_t total;
	TPM_RESULT rc;

	if (len > UINT32_MAX - KEY_MAX_BYTES)
		return TPM_BAD_DATASIZE;
	total = len + pad;
	padded = malloc(total);
	ct = malloc(total);
	if (!padded || !ct) {
		rc = TPM_SIZE;
		goto out;
	}
	if (len)
		memcpy(padded, plain, len);
	memset(padded + len, (int)pad, pad);

	if (RAND_bytes(iv, (int)key->len) != 1 ||
	    !aes_cbc(key, true, iv, padded, total, ct) ||
	    !mac_compute(key, ct, total, iv, key->len, mac)) {
		rc = TPM_ENCRYPT_ERROR;
		goto out;
	}
	rc = tlv_append(out, layer->tag_encrypted, ct, total);
	if (rc == TPM_SUCCESS)
		rc = tlv_append(out, BLOB_TAG_HMAC, mac, sizeof(mac));
	if (rc == TPM_SUCCESS)
		rc = tlv_append(out, layer->tag_iv, iv, key->len);
out:
	free_secret(padded, padded ? total : 0);
	free(ct);
	OPENSSL_cleanse(iv, sizeof(iv));
	return rc;
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

/* Decrypt CT with IV (first 16 bytes used; all zero if absent) and strip
 * swtpm's padding: 1..keylen bytes, each holding the pad length. */
static TPM_RESULT cbc_open(const struct state_key *key,
			   const uint8_t *ct, size_t ctlen,
			   const uint8_t *iv, struct bytes *plain)
{
	uint8_t iv16[AES_BLOCK] = { 0 };
	uint8_t *buf;
	size_t pad, i;

	if (ctlen < key->len || ctlen % AES_BLOCK)
		return TPM_DECRYPT_ERROR;
	if (iv)
		memcpy(iv16, iv, AES_BLOCK);
	buf = malloc(ctlen);
	if (!buf)
		return TPM_SIZE;
	if (!aes_cbc(key, false, iv16, ct, ctlen, buf)) {
		free_secret(buf, ctlen);
		return TPM_DECRYPT_ERROR;
	}
	pad = buf[ctlen - 1];
	if (pad == 0 || pad > key->len) {
		free_secret(buf, ctlen);
		return TPM_DECRYPT_ERROR;
	}
	for (i = ctlen - pad; i < ctlen; i++) {
		if (buf[i] != pad) {
			free_secret(buf, ctlen);
			return TPM_DECRYPT_ERROR;
		}
	}
	plain->data = buf;
	plain->len = ctlen - pad;       /* the tail stays until freed; wiped then */
	OPENSSL_cleanse(buf + plain->len, pad);
	return TPM_SUCCESS;
}

/* Legacy v1: AES-CBC with a zero IV over SHA-256(payload) || payload. */
static TPM_RESULT layer_open_v1(const struct state_key *key,
				const uint8_t *body, size_t len,
				struct bytes *plain)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	struct bytes dec = { NULL, 0 };
	TPM_RESULT rc;

	rc = cbc_open(key, body, len, NULL, &dec);
	if (rc != TPM_SUCCESS)
		return rc;
	if (dec.len < MAC_SIZE ||
	    EVP_Digest(dec.data + MAC_SIZE, dec.len - MAC_SIZE, digest, &dlen,
		       EVP_sha256(), NULL) != 1 || dlen != MAC_SIZE ||
	    CRYPTO_memcmp(digest, dec.data, MAC_SIZE) != 0) {
		bytes_free(&dec);
		return TPM_DECRYPT_ERROR;
	}
	memmove(dec.data, dec.data + MAC_SIZE, dec.len - MAC_SIZE);
	OPENSSL_cleanse(dec.data + dec.len - MAC_SIZE, MAC_SIZE);
	dec.len -= MAC_SIZE;
	*plain = dec;
	return TPM_SUCCESS;
}

/*
 * Open the encrypted layer in BODY with KEY, giving the value the plain
 * record would have held, in *PLAIN (malloc'ed, wiped by bytes_free).
 */
static TPM_RESULT layer_decrypt(const struct state_key *key,
				const struct blob_layer *layer,
				const struct blob_header *h,
				const uint8_t *body, size_t len,
				struct bytes *plain)
{
	const uint8_t *ct, *mac, *iv;
	size_t ctlen, maclen, ivlen;
	uint8_t want[MAC_SIZE];
	TPM_RESULT rc;

	if (!key_present(key))
		return TPM_KEYNOTFOUND;
	if (h->version == 1)
		return layer_open_v1(key, body, len, plain);

	if (key->len != ((h->flags & layer->flag_256bit) ? 32u : 16u))
		return TPM_BAD_KEY_PROPERTY;
	rc = tlv_find(body, len, layer->tag_encrypted, &ct, &ctlen);
	if (rc == TPM_SUCCESS)
		rc = tlv_find(body, len, BLOB_TAG_HMAC, &mac, &maclen);
	if (rc == TPM_SUCCESS)
		rc = tlv_find(body, len, layer->tag_iv, &iv, &ivlen);
	if (rc != TPM_SUCCESS)
		return rc;
	if (!ct || !mac)
		return TPM_FAIL;                /* swtpm: nothing to decrypt */
	if (maclen != MAC_SIZE || (iv && ivlen < AES_BLOCK))
		return TPM_BAD_DATASIZE;

	if (!mac_compute(key, ct, ctlen, iv, ivlen, want))
		return TPM_FAIL;
	if (CRYPTO_memcmp(want, mac, MAC_SIZE) != 0)
		return TPM_DECRYPT_ERROR;       /* wrong key, or altered data */
	return cbc_open(key, ct, ctlen, iv, plain);
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
		rc = layer_decrypt(key, layer, h, body, len, owned);
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
	return layer_seal(key, layer, payload, len, out);
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
