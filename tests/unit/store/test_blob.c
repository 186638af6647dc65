/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_blob.c - swtpm's blob format: exact bytes, round trips, every
 * malformed header and record refused cleanly, and swtpm's own files.
 *
 * Inputs under test are copied into heap buffers of exactly their length, so
 * ASan catches any read past the end.
 *
 * tests/unit/data/swtpm-0.7.1/ was made with Debian's swtpm 0.7.1 and
 * libtpms 0.9.2:
 *   swtpm_setup --tpm2 --tpmstate D --createek
 *   swtpm socket --tpm2 --tpmstate dir=D --flags not-need-init,startup-clear
 *   tpm2_getrandom 8; swtpm_ioctl -v      -> tpm2-00.permall, .volatilestate
 *   swtpm_ioctl --save permanent F        -> permall.migration
 * Tests run from the top of the tree (make unit), or set VTPMD_TEST_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libtpms/tpm_error.h>

#include "store/blob.h"

#define FIXTURE_DIR "tests/unit/data/swtpm-0.7.1"

static const uint8_t abc[] = { 'a', 'b', 'c' };

/* What swtpm writes for the payload "abc". */
static const uint8_t abc_file[] = {
	0x02, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x03,
	'a', 'b', 'c',
};
static const uint8_t abc_migration[] = {
	0x02, 0x01, 0x00, 0x0a, 0x00, 0x04, 0x00, 0x00, 0x00, 0x19,
	0x00, 0x04, 0x00, 0x00, 0x00, 0x09,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x03,
	'a', 'b', 'c',
};

static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	if (len)
		memcpy(d, p, len);
	return d;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Header + body, with totlen right. Caller frees. */
static uint8_t *make_blob(uint8_t version, uint8_t min_version, uint16_t flags,
			  const uint8_t *body, size_t body_len, size_t *len)
{
	uint8_t *b = malloc(BLOB_HEADER_SIZE + body_len);

	assert_non_null(b);
	b[0] = version;
	b[1] = min_version;
	b[2] = 0;
	b[3] = BLOB_HEADER_SIZE;
	b[4] = (uint8_t)(flags >> 8);
	b[5] = (uint8_t)flags;
	put_be32(b + 6, (uint32_t)(BLOB_HEADER_SIZE + body_len));
	if (body_len)
		memcpy(b + BLOB_HEADER_SIZE, body, body_len);
	*len = BLOB_HEADER_SIZE + body_len;
	return b;
}

static TPM_RESULT file_decode(const uint8_t *in, size_t len,
			      uint8_t **payload, size_t *plen)
{
	uint8_t *copy = dup_exact(in, len);
	TPM_RESULT rc;

	*payload = (uint8_t *)0x1;      /* must be overwritten */
	*plen = 99;
	rc = blob_file_decode(NULL, copy, len, payload, plen);
	free(copy);
	if (rc != TPM_SUCCESS) {
		assert_null(*payload);
		assert_int_equal(*plen, 0);
	}
	return rc;
}

static TPM_RESULT mig_decode(const uint8_t *in, size_t len, int enc,
			     uint8_t **payload, size_t *plen)
{
	uint8_t *copy = dup_exact(in, len);
	TPM_RESULT rc;

	*payload = (uint8_t *)0x1;
	*plen = 99;
	rc = blob_migration_decode(NULL, copy, len, enc, payload, plen);
	free(copy);
	if (rc != TPM_SUCCESS) {
		assert_null(*payload);
		assert_int_equal(*plen, 0);
	}
	return rc;
}

static TPM_RESULT file_rc(const uint8_t *in, size_t len)
{
	uint8_t *p;
	size_t n;
	TPM_RESULT rc = file_decode(in, len, &p, &n);

	free(p);
	return rc;
}

static TPM_RESULT mig_rc(const uint8_t *in, size_t len, int enc)
{
	uint8_t *p;
	size_t n;
	TPM_RESULT rc = mig_decode(in, len, enc, &p, &n);

	free(p);
	return rc;
}

static void read_fixture(const char *name, uint8_t **buf, size_t *len)
{
	const char *dir = getenv("VTPMD_TEST_DATA");
	char path[512];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : FIXTURE_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the top of the tree, "
			 "or set VTPMD_TEST_DATA)", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	*buf = malloc((size_t)size);
	assert_non_null(*buf);
	assert_int_equal(fread(*buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
}

/* ---- encoding ---- */

static void test_file_encode_exact_bytes(void **state)
{
	uint8_t *out;
	size_t outlen;

	(void)state;
	assert_int_equal(blob_file_encode(NULL, abc, sizeof(abc), &out, &outlen),
			 TPM_SUCCESS);
	assert_int_equal(outlen, sizeof(abc_file));
	assert_memory_equal(out, abc_file, sizeof(abc_file));
	free(out);
}

static void test_migration_encode_exact_bytes(void **state)
{
	uint8_t *out;
	size_t outlen;

	(void)state;
	assert_int_equal(blob_migration_encode(NULL, false, abc, sizeof(abc), &out, &outlen, NULL),
			 TPM_SUCCESS);
	assert_int_equal(outlen, sizeof(abc_migration));
	assert_memory_equal(out, abc_migration, sizeof(abc_migration));
	free(out);
}

static void test_round_trips(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 5, 6, 7, 100, 4096, 70000 };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], outlen, plen;
		uint8_t *in = malloc(len ? len : 1), *out, *payload;

		assert_non_null(in);
		for (j = 0; j < len; j++)
			in[j] = (uint8_t)(j * 7 + 3);

		assert_int_equal(blob_file_encode(NULL, len ? in : NULL, len, &out,
						  &outlen), TPM_SUCCESS);
		assert_int_equal(outlen, len + 16);
		assert_int_equal(file_decode(out, outlen, &payload, &plen),
				 TPM_SUCCESS);
		assert_int_equal(plen, len);
		if (len)
			assert_memory_equal(payload, in, len);
		else
			assert_null(payload);
		free(payload);
		free(out);

		assert_int_equal(blob_migration_encode(NULL, false,
						       len ? in : NULL, len,
						       &out, &outlen, NULL),
				 TPM_SUCCESS);
		assert_int_equal(outlen, len + 22);
		assert_int_equal(mig_decode(out, outlen, 0, &payload, &plen),
				 TPM_SUCCESS);
		assert_int_equal(plen, len);
		if (len)
			assert_memory_equal(payload, in, len);
		free(payload);
		free(out);
		free(in);
	}
}

static void test_encode_refuses_oversize_and_null(void **state)
{
	uint8_t *out = (uint8_t *)0x1;
	size_t outlen = 99;

	(void)state;
	/* totlen is 32 bits: refused before any allocation or read */
	assert_int_equal(blob_file_encode(NULL, abc, (size_t)UINT32_MAX - 15, &out,
					  &outlen), TPM_BAD_DATASIZE);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_int_equal(blob_migration_encode(NULL, false, abc,
					       (size_t)UINT32_MAX - 21,
					       &out, &outlen, NULL),
			 TPM_BAD_DATASIZE);
	assert_int_equal(blob_file_encode(NULL, NULL, 3, &out, &outlen),
			 TPM_BAD_PARAMETER);
	assert_null(out);
}

/* ---- header ---- */

static void test_every_truncation_refused(void **state)
{
	size_t cut;

	(void)state;
	for (cut = 0; cut < sizeof(abc_file); cut++)
		assert_int_not_equal(file_rc(abc_file, cut), TPM_SUCCESS);
	for (cut = 0; cut < sizeof(abc_migration); cut++) {
		TPM_RESULT rc = mig_rc(abc_migration, cut, 0);

		/* length 0 is swtpm's "empty blob", not a truncation */
		if (cut == 0)
			assert_int_equal(rc, TPM_SUCCESS);
		else
			assert_int_equal(rc, TPM_BAD_PARAMETER);
	}
}

/* Truncated with totlen patched to match: now the records must catch it. */
static void test_truncation_with_matching_totlen(void **state)
{
	uint8_t buf[64];
	size_t cut;

	(void)state;
	for (cut = BLOB_HEADER_SIZE; cut < sizeof(abc_file); cut++) {
		memcpy(buf, abc_file, cut);
		put_be32(buf + 6, (uint32_t)cut);
		assert_int_equal(file_rc(buf, cut),
				 cut == BLOB_HEADER_SIZE ? TPM_FAIL :
				 TPM_BAD_DATASIZE);
	}
	for (cut = BLOB_HEADER_SIZE + 1; cut < sizeof(abc_migration); cut++) {
		memcpy(buf, abc_migration, cut);
		put_be32(buf + 6, (uint32_t)cut);
		assert_int_equal(mig_rc(buf, cut, 0), TPM_BAD_DATASIZE);
	}
}

static void test_header_fields(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
		TPM_RESULT want;
	} cases[] = {
		{ 0, 0x00, TPM_BAD_VERSION },   /* version 0 */
		{ 1, 0x03, TPM_BAD_VERSION },   /* needs a newer reader */
		{ 1, 0xff, TPM_BAD_VERSION },
		{ 1, 0x00, TPM_SUCCESS },       /* min_version 0 is harmless */
		{ 0, 0x03, TPM_SUCCESS },       /* newer, readable as v2 */
		{ 2, 0x01, TPM_BAD_DATASIZE },  /* hdrsize 0x010a */
		{ 3, 0x09, TPM_BAD_DATASIZE },
		{ 3, 0x0b, TPM_BAD_DATASIZE },
		{ 3, 0x00, TPM_BAD_DATASIZE },
		{ 5, 0x01, TPM_KEYNOTFOUND },   /* encrypted with the file key */
		{ 5, 0x09, TPM_KEYNOTFOUND },   /* ... a 256-bit one */
		{ 5, 0x02, TPM_BAD_PARAMETER }, /* migration flags on a file */
		{ 5, 0x04, TPM_BAD_PARAMETER },
		{ 5, 0x10, TPM_BAD_PARAMETER },
		{ 4, 0x01, TPM_SUCCESS },       /* unknown flag bit: skipped */
		{ 6, 0x01, TPM_BAD_PARAMETER }, /* totlen */
		{ 9, 0x12, TPM_BAD_PARAMETER },
		{ 9, 0x14, TPM_BAD_PARAMETER },
	};
	uint8_t buf[sizeof(abc_file)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, abc_file, sizeof(buf));
		buf[cases[i].off] = cases[i].val;
		if (file_rc(buf, sizeof(buf)) != cases[i].want)
			fail_msg("byte %zu = 0x%02x: got 0x%x, want 0x%x",
				 cases[i].off, cases[i].val,
				 file_rc(buf, sizeof(buf)), cases[i].want);
	}

	/* a version 3 blob that version 2 readers must not read */
	memcpy(buf, abc_file, sizeof(buf));
	buf[0] = 3;
	buf[1] = 3;
	assert_int_equal(file_rc(buf, sizeof(buf)), TPM_BAD_VERSION);

	/* version below its own minimum */
	memcpy(buf, abc_file, sizeof(buf));
	buf[0] = 1;
	buf[1] = 2;
	assert_int_equal(file_rc(buf, sizeof(buf)), TPM_BAD_VERSION);

	/* totlen far beyond the buffer */
	memcpy(buf, abc_file, sizeof(buf));
	put_be32(buf + 6, UINT32_MAX);
	assert_int_equal(file_rc(buf, sizeof(buf)), TPM_BAD_PARAMETER);

	/* a file is not a migration blob and vice versa */
	assert_int_equal(file_rc(abc_migration, sizeof(abc_migration)),
			 TPM_BAD_PARAMETER);
	assert_int_equal(mig_rc(abc_file, sizeof(abc_file), 0), TPM_FAIL);
}

/* ---- TLV records ---- */

static void test_tlv_length_overflow(void **state)
{
	static const uint32_t lens[] = {
		4, 5, 10, 0x7fffffff, 0xfffffffa, 0xfffffff6, 0xffffffff,
	};
	uint8_t buf[sizeof(abc_file)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(buf, abc_file, sizeof(buf));
		put_be32(buf + 12, lens[i]);
		assert_int_equal(file_rc(buf, sizeof(buf)), TPM_BAD_DATASIZE);
	}
	/* a record shorter than its room leaves trailing bytes: refused */
	memcpy(buf, abc_file, sizeof(buf));
	put_be32(buf + 12, 2);
	assert_int_equal(file_rc(buf, sizeof(buf)), TPM_BAD_DATASIZE);

	/* the same on both levels of a migration blob */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t m[sizeof(abc_migration)];

		memcpy(m, abc_migration, sizeof(m));
		put_be32(m + 12, lens[i]);
		assert_int_equal(mig_rc(m, sizeof(m), 0), TPM_BAD_DATASIZE);
		memcpy(m, abc_migration, sizeof(m));
		put_be32(m + 18, lens[i]);
		assert_int_equal(mig_rc(m, sizeof(m), 0), TPM_BAD_DATASIZE);
	}
}

static void test_tlv_records(void **state)
{
	/* tag 1 twice */
	static const uint8_t dup[] = {
		0, 1, 0, 0, 0, 1, 'x', 0, 1, 0, 0, 0, 1, 'y',
	};
	/* an HMAC record only */
	static const uint8_t no_data[] = { 0, 3, 0, 0, 0, 2, 0xaa, 0xbb };
	/* an unknown record first, then the data */
	static const uint8_t unknown_first[] = {
		0x99, 0x99, 0, 0, 0, 2, 1, 2, 0, 1, 0, 0, 0, 3, 'a', 'b', 'c',
	};
	/* swtpm's --key layout: encrypted data, HMAC, IV; flags say 0 */
	static const uint8_t enc_records[] = {
		0, 2, 0, 0, 0, 2, 0x11, 0x22,
		0, 3, 0, 0, 0, 1, 0x33,
		0, 6, 0, 0, 0, 1, 0x44,
	};
	/* empty data record */
	static const uint8_t empty_data[] = { 0, 1, 0, 0, 0, 0 };
	uint8_t *b, *p;
	size_t len, plen;

	(void)state;
	b = make_blob(2, 1, 0, dup, sizeof(dup), &len);
	assert_int_equal(file_rc(b, len), TPM_BAD_PARAMETER);
	free(b);

	b = make_blob(2, 1, 0, no_data, sizeof(no_data), &len);
	assert_int_equal(file_rc(b, len), TPM_FAIL);
	free(b);

	b = make_blob(2, 1, 0, NULL, 0, &len);
	assert_int_equal(file_rc(b, len), TPM_FAIL);
	free(b);

	b = make_blob(2, 1, 0, unknown_first, sizeof(unknown_first), &len);
	assert_int_equal(file_decode(b, len, &p, &plen), TPM_SUCCESS);
	assert_int_equal(plen, 3);
	assert_memory_equal(p, "abc", 3);
	free(p);
	free(b);

	b = make_blob(2, 1, 0, enc_records, sizeof(enc_records), &len);
	assert_int_equal(file_rc(b, len), TPM_KEYNOTFOUND);
	free(b);
	b = make_blob(2, 1, BLOB_FLAG_ENCRYPTED | BLOB_FLAG_ENCRYPTED_256BIT_KEY,
		      enc_records, sizeof(enc_records), &len);
	assert_int_equal(file_rc(b, len), TPM_KEYNOTFOUND);
	free(b);

	b = make_blob(2, 1, 0, empty_data, sizeof(empty_data), &len);
	assert_int_equal(file_decode(b, len, &p, &plen), TPM_SUCCESS);
	assert_null(p);
	assert_int_equal(plen, 0);
	free(b);
}

static void test_legacy_v1(void **state)
{
	static const uint8_t raw[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
	uint8_t *b, *p;
	size_t len, plen;

	(void)state;
	/* version 1: the body is the payload, no records */
	b = make_blob(1, 1, 0, raw, sizeof(raw), &len);
	assert_int_equal(file_decode(b, len, &p, &plen), TPM_SUCCESS);
	assert_int_equal(plen, sizeof(raw));
	assert_memory_equal(p, raw, sizeof(raw));
	free(p);
	/* never as a migration blob (SET_STATEBLOB), even a bare header */
	assert_int_equal(mig_decode(b, len, 0, &p, &plen), TPM_BAD_VERSION);
	free(b);
	b = make_blob(1, 1, BLOB_FLAG_MIGRATION_DATA, NULL, 0, &len);
	assert_int_equal(mig_decode(b, len, 0, &p, &plen), TPM_BAD_VERSION);
	free(b);

	/* encrypted v1 (AES-CBC over SHA256 || data) needs the key */
	b = make_blob(1, 1, BLOB_FLAG_ENCRYPTED, raw, sizeof(raw), &len);
	assert_int_equal(file_rc(b, len), TPM_KEYNOTFOUND);
	free(b);
}

static void test_migration_blobs(void **state)
{
	/* TLV(4, TLV(2, ...)): state encrypted with the file key */
	static const uint8_t inner_enc[] = {
		0, 4, 0, 0, 0, 7, 0, 2, 0, 0, 0, 1, 0x55,
	};
	/* TLV(5, ...) | TLV(3, ...) | TLV(7, ...): migration key */
	static const uint8_t outer_enc[] = {
		0, 5, 0, 0, 0, 1, 0x55, 0, 3, 0, 0, 0, 1, 0x66,
		0, 7, 0, 0, 0, 1, 0x77,
	};
	/* TLV(4) twice */
	static const uint8_t dup4[] = {
		0, 4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0,
	};
	/* TLV(4, nothing) */
	static const uint8_t empty4[] = { 0, 4, 0, 0, 0, 0 };
	uint8_t *b, *p;
	size_t len, plen;

	(void)state;
	/* encryption, said any of three ways, needs a key we do not have */
	assert_int_equal(mig_rc(abc_migration, sizeof(abc_migration), 1),
			 TPM_KEYNOTFOUND);
	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA | BLOB_FLAG_ENCRYPTED,
		      abc_migration + 10, sizeof(abc_migration) - 10, &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_KEYNOTFOUND);
	free(b);
	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA |
		      BLOB_FLAG_MIGRATION_ENCRYPTED, outer_enc,
		      sizeof(outer_enc), &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_KEYNOTFOUND);
	free(b);
	/* ... or by the records alone */
	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA, outer_enc,
		      sizeof(outer_enc), &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_KEYNOTFOUND);
	free(b);
	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA, inner_enc,
		      sizeof(inner_enc), &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_KEYNOTFOUND);
	free(b);

	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA, dup4, sizeof(dup4), &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_BAD_PARAMETER);
	free(b);
	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA, empty4, sizeof(empty4),
		      &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_FAIL);
	free(b);

	/* swtpm does not insist on flag 0x04, neither do we */
	b = make_blob(2, 1, 0, abc_migration + 10, sizeof(abc_migration) - 10,
		      &len);
	assert_int_equal(mig_decode(b, len, 0, &p, &plen), TPM_SUCCESS);
	assert_int_equal(plen, 3);
	free(p);
	free(b);

	/* empty blob and bare header: "no state", as swtpm passes it on */
	assert_int_equal(mig_decode(abc_migration, 0, 0, &p, &plen),
			 TPM_SUCCESS);
	assert_null(p);
	assert_int_equal(plen, 0);
	b = make_blob(2, 1, BLOB_FLAG_MIGRATION_DATA, NULL, 0, &len);
	assert_int_equal(mig_decode(b, len, 0, &p, &plen), TPM_SUCCESS);
	assert_null(p);
	free(b);
	/* ... but a bare header must still be a valid one */
	b = make_blob(2, 3, BLOB_FLAG_MIGRATION_DATA, NULL, 0, &len);
	assert_int_equal(mig_rc(b, len, 0), TPM_BAD_VERSION);
	free(b);
}

/* Random damage never crashes, over-reads or leaks (ASan), and a success
 * never returns more than was given. */
static void test_random_damage(void **state)
{
	const uint8_t *src[] = { abc_file, abc_migration };
	const size_t srclen[] = { sizeof(abc_file), sizeof(abc_migration) };
	uint8_t buf[64];
	unsigned seed = 12345;
	int i, k;

	(void)state;
	for (i = 0; i < 40000; i++) {
		int which = i & 1;
		size_t len = srclen[which], plen;
		uint8_t *p;
		TPM_RESULT rc;

		memcpy(buf, src[which], len);
		for (k = 0; k < 1 + i % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0)
			len = (seed >> 4) % (len + 1);

		rc = file_decode(buf, len, &p, &plen);
		if (rc == TPM_SUCCESS) {
			assert_true(plen <= len);
			free(p);
		}
		rc = mig_decode(buf, len, 0, &p, &plen);
		if (rc == TPM_SUCCESS) {
			assert_true(plen <= len);
			free(p);
		}
	}
}

/* ---- swtpm's own files ---- */

static void test_swtpm_state_files(void **state)
{
	static const char *const names[] = {
		"tpm2-00.permall", "tpm2-00.volatilestate",
	};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint8_t *file, *payload, *again;
		size_t flen, plen, alen;

		read_fixture(names[i], &file, &flen);
		assert_int_equal(file_decode(file, flen, &payload, &plen),
				 TPM_SUCCESS);
		assert_int_equal(plen, flen - 16);
		assert_int_equal(blob_file_encode(NULL, payload, plen, &again, &alen),
				 TPM_SUCCESS);
		assert_int_equal(alen, flen);
		assert_memory_equal(again, file, flen);
		free(again);
		free(payload);
		free(file);
	}
}

static void test_swtpm_migration_blob(void **state)
{
	uint8_t *file, *mig, *from_file, *from_mig, *again;
	size_t flen, mlen, plen_file, plen_mig, alen;

	(void)state;
	read_fixture("tpm2-00.permall", &file, &flen);
	read_fixture("permall.migration", &mig, &mlen);

	assert_int_equal(file_decode(file, flen, &from_file, &plen_file),
			 TPM_SUCCESS);
	assert_int_equal(mig_decode(mig, mlen, 0, &from_mig, &plen_mig),
			 TPM_SUCCESS);
	assert_int_equal(plen_mig, plen_file);
	assert_memory_equal(from_mig, from_file, plen_file);

	/* what GET_STATEBLOB gives is byte for byte what swtpm gives */
	assert_int_equal(blob_migration_encode(NULL, false, from_file,
					       plen_file, &again, &alen, NULL), TPM_SUCCESS);
	assert_int_equal(alen, mlen);
	assert_memory_equal(again, mig, mlen);

	free(again);
	free(from_mig);
	free(from_file);
	free(mig);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_encode_exact_bytes),
		cmocka_unit_test(test_migration_encode_exact_bytes),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_encode_refuses_oversize_and_null),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_truncation_with_matching_totlen),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_tlv_length_overflow),
		cmocka_unit_test(test_tlv_records),
		cmocka_unit_test(test_legacy_v1),
		cmocka_unit_test(test_migration_blobs),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_swtpm_state_files),
		cmocka_unit_test(test_swtpm_migration_blob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
