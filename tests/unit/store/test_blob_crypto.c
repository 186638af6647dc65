/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_blob_crypto.c - encrypted state files and migration blobs: swtpm
 * 0.7.1's own encrypted files open with the same key sources (hex, binary,
 * PBKDF2 and SHA-512 passphrases, AES-128 and AES-256), what we write has
 * swtpm's layout, and every wrong key, truncation and flipped bit is refused
 * -- a decode never yields anything but the original payload.
 *
 * Fixtures: tests/unit/data/swtpm-0.7.1-states/, made by its make-fixtures
 * script. Each NAME.migration is the same permanent state, taken out through
 * swtpm's control channel decrypted from the file key, so it is the known
 * plaintext for NAME.permall. Inputs are copied into heap buffers of exactly
 * their length, so ASan catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <openssl/evp.h>

#include "store/blob.h"
#include "store/key.h"
#include "state_fixtures.h"

static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	if (len)
		memcpy(d, p, len);
	return d;
}

static TPM_RESULT file_decode(const struct state_key *k, const uint8_t *in,
			      size_t len, uint8_t **payload, size_t *plen)
{
	uint8_t *copy = dup_exact(in, len);
	TPM_RESULT rc = blob_file_decode(k, copy, len, payload, plen);

	free(copy);
	if (rc != TPM_SUCCESS) {
		assert_null(*payload);
		assert_int_equal(*plen, 0);
	}
	return rc;
}

static TPM_RESULT mig_decode(const struct blob_keys *keys, const uint8_t *in,
			     size_t len, int enc, uint8_t **payload, size_t *plen)
{
	uint8_t *copy = dup_exact(in, len);
	TPM_RESULT rc = blob_migration_decode(keys, copy, len, enc, payload, plen);

	free(copy);
	if (rc != TPM_SUCCESS) {
		assert_null(*payload);
		assert_int_equal(*plen, 0);
	}
	return rc;
}

static TPM_RESULT file_rc(const struct state_key *k, const uint8_t *in, size_t len)
{
	uint8_t *p;
	size_t n;
	TPM_RESULT rc = file_decode(k, in, len, &p, &n);

	free(p);
	return rc;
}

/* The plain payload of NAME.migration, a blob without migration key. */
static uint8_t *known_plaintext(const char *name, size_t *len)
{
	char fname[128];
	uint8_t *blob, *p = NULL;
	size_t blen;

	snprintf(fname, sizeof(fname), "%s.migration", name);
	blob = read_fixture(fname, &blen);
	assert_int_equal(mig_decode(NULL, blob, blen, 0, &p, len), TPM_SUCCESS);
	assert_true(*len > 1000);
	free(blob);
	return p;
}

static void check_opens(const char *name, const struct state_key *k)
{
	uint8_t *file, *want, *got;
	size_t flen, wlen, glen;
	char fname[128];

	snprintf(fname, sizeof(fname), "%s.permall", name);
	file = read_fixture(fname, &flen);
	want = known_plaintext(name, &wlen);
	if (file_decode(k, file, flen, &got, &glen) != TPM_SUCCESS)
		fail_msg("%s does not open with its key", fname);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	free(got);
	free(want);
	free(file);
}

/* ---- swtpm's files open with the same key sources ---- */

static void test_swtpm_files_open(void **state)
{
	struct state_key k;

	(void)state;
	key128(&k);
	check_opens("aes128", &k);
	key256(&k);
	check_opens("aes256", &k);
	load_key("key256.bin", false, KEY_FORMAT_BINARY, 0, KEY_AES_256_CBC, &k);
	check_opens("aes256bin", &k);
	pass128(&k);
	check_opens("pbkdf2-128", &k);
	load_key("pass.txt", true, 0, KEY_KDF_PBKDF2, KEY_AES_256_CBC, &k);
	check_opens("pbkdf2-256", &k);
	load_key("pass.txt", true, 0, KEY_KDF_SHA512, KEY_AES_128_CBC, &k);
	check_opens("sha512-128", &k);
	load_key("pass.txt", true, 0, KEY_KDF_SHA512, KEY_AES_256_CBC, &k);
	check_opens("sha512-256", &k);
	key_wipe(&k);
}

static void test_swtpm_migration_blobs_open(void **state)
{
	static const struct {
		const char *name;
		void (*mkey)(struct state_key *);
		void (*fkey)(struct state_key *);
	} cases[] = {
		{ "mig128", key128, NULL },
		{ "mig256", key256, NULL },
		{ "both128", pass128, key128 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct state_key mk = { .len = 0 }, fk = { .len = 0 };
		struct blob_keys keys = { &fk, &mk };
		uint8_t *file, *blob, *want, *got;
		size_t flen, blen, wlen, glen;
		char fname[128];

		cases[i].mkey(&mk);
		if (cases[i].fkey)
			cases[i].fkey(&fk);
		snprintf(fname, sizeof(fname), "%s.permall", cases[i].name);
		file = read_fixture(fname, &flen);
		assert_int_equal(file_decode(&fk, file, flen, &want, &wlen),
				 TPM_SUCCESS);
		snprintf(fname, sizeof(fname), "%s.migration", cases[i].name);
		blob = read_fixture(fname, &blen);
		assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen),
				 TPM_SUCCESS);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		free(got);
		/* without the migration key: refused */
		keys.migration = NULL;
		assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen),
				 TPM_KEYNOTFOUND);
		free(blob);
		free(want);
		free(file);
	}
}

/* swtpm's GET_STATEBLOB without DECRYPTED: both layers encrypted. */
static void test_swtpm_doubly_encrypted_blob(void **state)
{
	struct state_key mk, fk, other;
	struct blob_keys keys = { &fk, &mk };
	uint8_t *blob, *dblob, *want, *got;
	size_t blen, dlen, wlen, glen;

	(void)state;
	pass128(&mk);
	key128(&fk);
	blob = read_fixture("both128.encrypted.migration", &blen);
	assert_int_equal(blob[5], BLOB_FLAG_MIGRATION_DATA | BLOB_FLAG_ENCRYPTED |
				  BLOB_FLAG_MIGRATION_ENCRYPTED);
	/* the decrypted export of the same state is the known plaintext */
	dblob = read_fixture("both128.migration", &dlen);
	assert_int_equal(mig_decode(&keys, dblob, dlen, 0, &want, &wlen),
			 TPM_SUCCESS);
	free(dblob);

	assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen), TPM_SUCCESS);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	free(got);
	/* the ioctl's ENCRYPTED flag says the same as the header */
	assert_int_equal(mig_decode(&keys, blob, blen, 1, &got, &glen), TPM_SUCCESS);
	free(got);

	/* the inner layer needs the file key, and the right one */
	keys.file = NULL;
	assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen),
			 TPM_KEYNOTFOUND);
	key256(&other);
	keys.file = &other;
	assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen),
			 TPM_BAD_KEY_PROPERTY);
	other128(&other);
	assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen),
			 TPM_DECRYPT_ERROR);
	/* ... and so does the outer one */
	keys.file = &fk;
	keys.migration = &other;
	assert_int_equal(mig_decode(&keys, blob, blen, 0, &got, &glen),
			 TPM_DECRYPT_ERROR);
	free(want);
	free(blob);
}

/* ---- wrong keys ---- */

static void test_wrong_keys(void **state)
{
	struct state_key k;
	uint8_t *file, *plainfile;
	size_t flen, plen;

	(void)state;
	file = read_fixture("aes128.permall", &flen);
	assert_int_equal(file_rc(NULL, file, flen), TPM_KEYNOTFOUND);
	other128(&k);
	assert_int_equal(file_rc(&k, file, flen), TPM_DECRYPT_ERROR);
	pass128(&k);                    /* right size, wrong derivation */
	assert_int_equal(file_rc(&k, file, flen), TPM_DECRYPT_ERROR);
	key256(&k);                     /* wrong mode */
	assert_int_equal(file_rc(&k, file, flen), TPM_BAD_KEY_PROPERTY);
	free(file);

	file = read_fixture("aes256.permall", &flen);
	key128(&k);
	assert_int_equal(file_rc(&k, file, flen), TPM_BAD_KEY_PROPERTY);
	load_key("key256.bin", false, KEY_FORMAT_BINARY, 0, KEY_AES_256_CBC, &k);
	assert_int_equal(file_rc(&k, file, flen), TPM_DECRYPT_ERROR);
	free(file);

	/* a plain file while a key is configured: refused, as swtpm does */
	plainfile = read_fixture("mig128.permall", &plen);
	key128(&k);
	assert_int_equal(file_rc(&k, plainfile, plen), TPM_FAIL);
	key256(&k);
	assert_int_equal(file_rc(&k, plainfile, plen), TPM_BAD_KEY_PROPERTY);
	assert_int_equal(file_rc(NULL, plainfile, plen), TPM_SUCCESS);
	free(plainfile);
	key_wipe(&k);
}

/* ---- what we write ---- */

static const uint8_t *tlv_at(const uint8_t *p, uint16_t *tag, uint32_t *len)
{
	*tag = (uint16_t)(p[0] << 8 | p[1]);
	*len = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
	       (uint32_t)p[4] << 8 | p[5];
	return p + 6;
}

/* header flags FLAGS, then records (ENC, HMAC 32, IV keylen) exactly. */
static void assert_sealed_layout(const uint8_t *buf, size_t len, size_t plen,
				 size_t keylen, uint16_t enc_tag, uint16_t iv_tag)
{
	const uint8_t *p = buf;
	uint16_t tag;
	uint32_t l;
	size_t ctlen = plen + (keylen - plen % keylen);

	p = tlv_at(p, &tag, &l);
	assert_int_equal(tag, enc_tag);
	assert_int_equal(l, ctlen);     /* padded to the KEY length */
	p += l;
	p = tlv_at(p, &tag, &l);
	assert_int_equal(tag, BLOB_TAG_HMAC);
	assert_int_equal(l, 32);
	p += l;
	p = tlv_at(p, &tag, &l);
	assert_int_equal(tag, iv_tag);
	assert_int_equal(l, keylen);    /* swtpm <= 0.10 wants IV = key length */
	p += l;
	assert_ptr_equal(p, buf + len);
}

static void test_encode_layout_and_round_trip(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 31, 32, 33, 1000 };
	struct state_key k128, k256;
	const struct state_key *keys[] = { &k128, &k256 };
	uint8_t payload[1000];
	size_t i, j;

	(void)state;
	key128(&k128);
	key256(&k256);
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);

	for (j = 0; j < 2; j++) {
		const struct state_key *k = keys[j];

		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint8_t *out, *again, *back;
			size_t olen, alen, blen;

			assert_int_equal(blob_file_encode(k, payload, lens[i], &out,
							  &olen), TPM_SUCCESS);
			assert_int_equal(out[4], 0);
			assert_int_equal(out[5], k->len == 32 ?
					 BLOB_FLAG_ENCRYPTED | BLOB_FLAG_ENCRYPTED_256BIT_KEY :
					 BLOB_FLAG_ENCRYPTED);
			assert_sealed_layout(out + BLOB_HEADER_SIZE,
					     olen - BLOB_HEADER_SIZE, lens[i], k->len,
					     BLOB_TAG_ENCRYPTED_DATA,
					     BLOB_TAG_IVEC_ENCRYPTED_DATA);
			assert_int_equal(file_decode(k, out, olen, &back, &blen),
					 TPM_SUCCESS);
			assert_int_equal(blen, lens[i]);
			if (blen)
				assert_memory_equal(back, payload, blen);
			free(back);
			/* a fresh IV every time: never the same bytes twice */
			assert_int_equal(blob_file_encode(k, payload, lens[i], &again,
							  &alen), TPM_SUCCESS);
			assert_int_equal(alen, olen);
			assert_memory_not_equal(again + BLOB_HEADER_SIZE,
						out + BLOB_HEADER_SIZE,
						olen - BLOB_HEADER_SIZE);
			free(again);
			free(out);
		}
	}
}

static void test_migration_encode_flags(void **state)
{
	struct state_key k128, k256;
	static const uint8_t payload[] = "a small permanent state";
	const size_t plen = sizeof(payload);
	static const struct {
		bool file, mig256, mig, decrypted;
		uint16_t flags;
		bool encrypted;
	} cases[] = {
		{ false, false, false, false, 0x04, false },
		{ true, false, false, false, 0x04 | 0x01, true },
		{ true, false, false, true, 0x04, false },
		{ false, false, true, false, 0x04 | 0x02, false },
		{ false, true, true, false, 0x04 | 0x02 | 0x10, false },
		{ true, true, true, false, 0x04 | 0x01 | 0x02 | 0x10, true },
		{ true, true, true, true, 0x04 | 0x02 | 0x10, false },
	};
	size_t i;

	(void)state;
	key128(&k128);
	key256(&k256);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct blob_keys keys = {
			cases[i].file ? &k128 : NULL,
			!cases[i].mig ? NULL : cases[i].mig256 ? &k256 : &k128,
		};
		uint8_t *out, *back;
		size_t olen, blen;
		bool enc = !cases[i].encrypted;

		assert_int_equal(blob_migration_encode(&keys, cases[i].decrypted,
						       payload, plen, &out, &olen,
						       &enc), TPM_SUCCESS);
		assert_int_equal(out[4] << 8 | out[5], cases[i].flags);
		assert_int_equal(enc, cases[i].encrypted);
		if (cases[i].mig)
			assert_sealed_layout(out + BLOB_HEADER_SIZE,
					     olen - BLOB_HEADER_SIZE,
					     enc ? 6 + (plen + 16 - plen % 16) + 6 + 32 + 6 + 16
						 : 6 + plen,
					     keys.migration->len,
					     BLOB_TAG_ENCRYPTED_MIGRATION_DATA,
					     BLOB_TAG_IVEC_ENCRYPTED_MIGRATION_DATA);
		assert_int_equal(mig_decode(&keys, out, olen, 0, &back, &blen),
				 TPM_SUCCESS);
		assert_int_equal(blen, plen);
		assert_memory_equal(back, payload, plen);
		free(back);
		free(out);
	}
}

/* SET_STATEBLOB of a plain blob into a device with a migration key: the
 * "upgrade" path; and the ioctl's ENCRYPTED flag on plain data refused. */
static void test_upgrade_path(void **state)
{
	struct state_key mk, fk;
	struct blob_keys keys = { &fk, &mk };
	uint8_t *blob, *p;
	size_t blen, plen;

	(void)state;
	key256(&mk);
	key128(&fk);
	blob = read_fixture("aes128.migration", &blen);
	assert_int_equal(mig_decode(&keys, blob, blen, 0, &p, &plen), TPM_SUCCESS);
	free(p);
	assert_int_equal(mig_decode(&keys, blob, blen, 1, &p, &plen), TPM_FAIL);
	free(blob);
}

/* ---- damage ---- */

static void test_every_truncation(void **state)
{
	struct state_key k;
	uint8_t *file, *cut;
	size_t flen, n;

	(void)state;
	key128(&k);
	file = read_fixture("aes128.permall", &flen);
	cut = malloc(flen);
	assert_non_null(cut);
	for (n = 0; n < flen; n++) {
		TPM_RESULT rc;

		/* as cut off on disk */
		assert_int_not_equal(file_rc(&k, file, n), TPM_SUCCESS);
		/* and with totlen patched to match, so the records are judged */
		if (n < BLOB_HEADER_SIZE)
			continue;
		memcpy(cut, file, n);
		cut[6] = (uint8_t)(n >> 24);
		cut[7] = (uint8_t)(n >> 16);
		cut[8] = (uint8_t)(n >> 8);
		cut[9] = (uint8_t)n;
		rc = file_rc(&k, cut, n);
		if (rc != TPM_BAD_DATASIZE && rc != TPM_FAIL &&
		    rc != TPM_DECRYPT_ERROR)
			fail_msg("cut to %zu bytes: 0x%x", n, rc);
	}
	free(cut);
	free(file);
}

/* Every single bit flipped: refused, or (header bits a reader ignores) the
 * very same payload -- never different data. */
static void test_every_bit_flip(void **state)
{
	struct state_key k;
	uint8_t *file, *want, *got;
	size_t flen, wlen, glen, i;
	int bit;
	unsigned accepted = 0;

	(void)state;
	key256(&k);
	file = read_fixture("aes256.permall", &flen);
	assert_int_equal(file_decode(&k, file, flen, &want, &wlen), TPM_SUCCESS);
	for (i = 0; i < flen; i++) {
		for (bit = 0; bit < 8; bit++) {
			TPM_RESULT rc;

			file[i] ^= (uint8_t)(1u << bit);
			rc = file_decode(&k, file, flen, &got, &glen);
			file[i] ^= (uint8_t)(1u << bit);
			if (rc == TPM_SUCCESS) {
				/* only the version bytes and unknown flags */
				assert_true(i < BLOB_HEADER_SIZE);
				assert_int_equal(glen, wlen);
				assert_memory_equal(got, want, wlen);
				free(got);
				accepted++;
				continue;
			}
			/* past the record headers, only the MAC can say it */
			if (i >= BLOB_HEADER_SIZE + 6 &&
			    !(i >= flen - 32 - 6 - 6 - 32 && i < flen - 32 - 6 - 32) &&
			    !(i >= flen - 32 - 6 && i < flen - 32) &&
			    rc != TPM_DECRYPT_ERROR)
				fail_msg("bit %d of byte %zu: 0x%x", bit, i, rc);
		}
	}
	assert_true(accepted > 0 && accepted < 40);
	free(want);
	free(file);
	key_wipe(&k);
}

/* ---- legacy version 1: no MAC, read from disk only ---- */

/*
 * A version-1 state file as old swtpm wrote it: header(1, 1, ENCRYPTED) |
 * AES-CBC(zero IV) of SHA-256(payload) || payload || PAD bytes of PAD_BYTE.
 * PAD 0 means "the right padding" (1..key length); PAD_BYTE -1 the count
 * in every padding byte, -2 the count in the last one only. DIGEST_OK false
 * spoils the digest.
 */
static uint8_t *make_v1(const struct state_key *k, const uint8_t *payload, size_t len,
			size_t pad, int pad_byte, bool digest_ok, size_t *outlen)
{
	uint8_t iv[16] = { 0 }, *plain, *out;
	size_t body, total;
	unsigned int dlen;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;

	if (!pad)
		pad = k->len - (32 + len) % k->len;
	body = 32 + len + pad;
	assert_int_equal(body % 16, 0);
	plain = malloc(body);
	out = malloc(10 + body);
	assert_non_null(plain);
	assert_non_null(out);
	assert_int_equal(EVP_Digest(payload, len, plain, &dlen, EVP_sha256(), NULL), 1);
	if (!digest_ok)
		plain[5] ^= 0x40;
	memcpy(plain + 32, payload, len);
	memset(plain + 32 + len, pad_byte == -1 ? (int)pad : pad_byte == -2 ? 0 : pad_byte, pad);
	if (pad_byte == -2)             /* the count last, the bytes before it wrong */
		plain[body - 1] = (uint8_t)pad;
	assert_int_equal(EVP_CipherInit_ex(c, k->len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(),
					   NULL, k->bytes, iv, 1), 1);
	EVP_CIPHER_CTX_set_padding(c, 0);
	assert_int_equal(EVP_CipherUpdate(c, out + 10, &n1, plain, (int)body), 1);
	assert_int_equal(EVP_CipherFinal_ex(c, out + 10 + n1, &n2), 1);
	EVP_CIPHER_CTX_free(c);
	total = 10 + body;
	out[0] = 1;
	out[1] = 1;
	out[2] = 0;
	out[3] = 10;
	out[4] = 0;
	out[5] = BLOB_FLAG_ENCRYPTED;
	out[6] = (uint8_t)(total >> 24);
	out[7] = (uint8_t)(total >> 16);
	out[8] = (uint8_t)(total >> 8);
	out[9] = (uint8_t)total;
	free(plain);
	*outlen = total;
	return out;
}

static void test_legacy_v1_encrypted(void **state)
{
	uint8_t payload[80], *b, *p;
	struct state_key keys[2];
	size_t len, plen;

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	key128(&keys[0]);
	key256(&keys[1]);
	for (int ki = 0; ki < 2; ki++) {
		const struct state_key *k = &keys[ki];

		/* every payload length opens to exactly its payload */
		for (size_t n = 0; n <= sizeof(payload); n++) {
			b = make_v1(k, payload, n, 0, -1, true, &len);
			if (file_decode(k, b, len, &p, &plen) != TPM_SUCCESS)
				fail_msg("key %d, %zu bytes: refused", ki, n);
			assert_int_equal(plen, n);
			if (n)
				assert_memory_equal(p, payload, n);
			free(p);
			/* never through SET_STATEBLOB */
			assert_int_equal(mig_decode(&(struct blob_keys){ k, k }, b, len, 1, &p, &plen),
					 TPM_BAD_VERSION);
			/* a wrong digest with right padding: refused */
			free(b);
			b = make_v1(k, payload, n, 0, -1, false, &len);
			assert_int_equal(file_rc(k, b, len), TPM_DECRYPT_ERROR);
			free(b);
		}
		/* every last byte that is not the padding's count, and padding
		 * bytes that do not all say the count: one answer for all */
		for (int v = 0; v < 256; v++) {
			size_t pad = k->len - (32 + 16) % k->len;

			if ((size_t)v == pad)
				continue;
			b = make_v1(k, payload, 16, pad, v, true, &len);
			assert_int_equal(file_rc(k, b, len), TPM_DECRYPT_ERROR);
			free(b);
		}
		for (size_t pad = 2; pad <= k->len; pad++) {
			b = make_v1(k, payload, 16 * 4 - 32 - pad + k->len, pad, -2, true, &len);
			assert_int_equal(file_rc(k, b, len), TPM_DECRYPT_ERROR);
			free(b);
		}
		b = make_v1(k, payload, 3, 0, -1, true, &len);
		assert_int_equal(file_rc(k, b, len), TPM_SUCCESS);
		/* the other key size, and a flipped bit anywhere in the body */
		assert_int_equal(file_rc(&keys[1 - ki], b, len), TPM_DECRYPT_ERROR);
		for (size_t bit = 10 * 8; bit < len * 8; bit += 13) {
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(file_rc(k, b, len), TPM_DECRYPT_ERROR);
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* lengths that cannot hold a digest and a block */
		for (size_t cut = 16; cut <= len - 10; cut += 16) {
			uint8_t *t = dup_exact(b, len - cut);

			t[6] = 0, t[7] = 0, t[8] = (uint8_t)((len - cut) >> 8), t[9] = (uint8_t)(len - cut);
			if (len - cut - 10 < 48)
				assert_int_equal(file_rc(k, t, len - cut), TPM_DECRYPT_ERROR);
			free(t);
		}
		free(b);
	}
	key_wipe(&keys[0]);
	key_wipe(&keys[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swtpm_files_open),
		cmocka_unit_test(test_swtpm_migration_blobs_open),
		cmocka_unit_test(test_swtpm_doubly_encrypted_blob),
		cmocka_unit_test(test_wrong_keys),
		cmocka_unit_test(test_encode_layout_and_round_trip),
		cmocka_unit_test(test_migration_encode_flags),
		cmocka_unit_test(test_upgrade_path),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_legacy_v1_encrypted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
