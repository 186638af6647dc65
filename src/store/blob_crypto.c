/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob_crypto.c - the encrypted layers of swtpm's state blobs.
 *
 * A layer is three records: the ciphertext, an HMAC-SHA256 (keyed with the
 * AES key) over ciphertext || IV, and the IV. The payload is padded
 * PKCS#7-style to a multiple of the KEY length (not the AES block), as swtpm
 * does, and the IV is as long as the key (swtpm <= 0.10 insists on that);
 * only its first 16 bytes seed CBC. Encrypt-then-MAC: the MAC is checked, in
 * constant time, before a byte is decrypted. Legacy version-1 files are
 * AES-CBC with a zero IV over SHA-256(payload) || payload, without a MAC:
 * read from disk only, and checked in constant time (layer_open_v1()).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "mem/secret.h"
#include "store/blob_crypto.h"
#include "store/blob_tlv.h"

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

TPM_RESULT blob_layer_seal(const struct state_key *key,
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
	secret_free(padded, padded ? total : 0);
	free(ct);
	secret_wipe(iv, sizeof(iv));
	return rc;
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
		secret_free(buf, ctlen);
		return TPM_DECRYPT_ERROR;
	}
	pad = buf[ctlen - 1];
	if (pad == 0 || pad > key->len) {
		secret_free(buf, ctlen);
		return TPM_DECRYPT_ERROR;
	}
	for (i = ctlen - pad; i < ctlen; i++) {
		if (buf[i] != pad) {
			secret_free(buf, ctlen);
			return TPM_DECRYPT_ERROR;
		}
	}
	plain->data = buf;
	plain->len = ctlen - pad;       /* the tail stays until freed; wiped then */
	secret_wipe(buf + plain->len, pad);
	return TPM_SUCCESS;
}

/* 0xff if A == B, else 0; without a branch on either. */
static uint8_t ct_eq(size_t a, size_t b)
{
	size_t d = a ^ b;

	/* d | -d has its top bit set exactly when d != 0 */
	return (uint8_t)(((d | (0 - d)) >> (sizeof(size_t) * 8 - 1)) - 1);
}

/* 0xff if A <= B, else 0 (A, B well below SIZE_MAX / 2). */
static uint8_t ct_le(size_t a, size_t b)
{
	return (uint8_t)(((b - a) >> (sizeof(size_t) * 8 - 1)) - 1);
}

/*
 * Legacy v1: AES-CBC with a zero IV over SHA-256(payload) || payload ||
 * padding (1..key length bytes, each holding the count). There is no MAC,
 * so the padding and the digest are checked without telling which of them
 * failed, in time that does not depend on either: every candidate padding
 * length is hashed (a fixed amount of work for a given file length), the
 * digest of the one the last byte names is picked with masks, and padding
 * and digest fold into one result. Only files from disk reach this
 * (blob_migration_decode() refuses version 1): see README, "State".
 */
static TPM_RESULT layer_open_v1(const struct state_key *key,
				const uint8_t *body, size_t len,
				struct bytes *plain)
{
	uint8_t iv[AES_BLOCK] = { 0 }, digest[MAC_SIZE], chosen[MAC_SIZE] = { 0 };
	EVP_MD_CTX *prefix = NULL, *tail = NULL;
	size_t klen = key->len, body_len, minlen, pad, p;
	uint8_t bad = 0, *buf;
	bool ok = false;

	/* Public facts only: the length, a multiple of the block, room for the
	 * digest and at least one block of payload and padding. */
	if (len < MAC_SIZE + AES_BLOCK || len % AES_BLOCK || len > INT32_MAX)
		return TPM_DECRYPT_ERROR;
	buf = malloc(len);
	if (!buf)
		return TPM_SIZE;
	if (!aes_cbc(key, false, iv, body, len, buf)) {
		secret_free(buf, len);
		return TPM_DECRYPT_ERROR;
	}
	body_len = len - MAC_SIZE;              /* payload and padding */
	pad = buf[len - 1];
	bad |= (uint8_t)~ct_le(1, pad) | (uint8_t)~ct_le(pad, klen) |
	       (uint8_t)~ct_le(pad, body_len);
	for (size_t i = 1; i <= klen; i++)
		bad |= ct_le(i, pad) & (buf[len - i] ^ (uint8_t)pad);

	/* The digest of every candidate payload: the common part once, then
	 * each candidate's own tail. */
	minlen = body_len > klen ? body_len - klen : 0;
	prefix = EVP_MD_CTX_new();
	tail = EVP_MD_CTX_new();
	if (!prefix || !tail || EVP_DigestInit_ex(prefix, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(prefix, buf + MAC_SIZE, minlen) != 1)
		goto out;
	for (p = 1; p <= klen; p++) {
		unsigned int dlen = 0;

		if (p > body_len)
			break;          /* public: this file is too short for P */
		if (EVP_MD_CTX_copy_ex(tail, prefix) != 1 ||
		    EVP_DigestUpdate(tail, buf + MAC_SIZE + minlen, body_len - p - minlen) != 1 ||
		    EVP_DigestFinal_ex(tail, digest, &dlen) != 1 || dlen != MAC_SIZE)
			goto out;
		for (size_t i = 0; i < MAC_SIZE; i++)
			chosen[i] |= digest[i] & ct_eq(p, pad);
	}
	bad |= (uint8_t)(CRYPTO_memcmp(chosen, buf, MAC_SIZE) != 0);
	ok = bad == 0;
out:
	EVP_MD_CTX_free(prefix);
	EVP_MD_CTX_free(tail);
	secret_wipe(digest, sizeof(digest));
	secret_wipe(chosen, sizeof(chosen));
	if (!ok) {
		secret_free(buf, len);
		return TPM_DECRYPT_ERROR;
	}
	memmove(buf, buf + MAC_SIZE, body_len - pad);
	plain->data = buf;
	plain->len = body_len - pad;    /* the tail stays until freed; wiped then */
	secret_wipe(buf + plain->len, len - plain->len);
	return TPM_SUCCESS;
}

TPM_RESULT blob_layer_decrypt(const struct state_key *key,
			      const struct blob_layer *layer,
			      const struct blob_header *h,
			      const uint8_t *body, size_t len, struct bytes *plain)
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
