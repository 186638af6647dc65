/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm2_marshal.c - the TPM 2 writer and reader: exact bytes out, the
 * same values back; every write that does not fit and every read past the
 * data fails the cursor without touching a byte outside its buffer (guard
 * bytes around it); truncated inputs at every length and oversized sizes
 * are refused; and a command built with it runs on a real libtpms whose
 * response it parses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm/tpm.h"
#include "tpm/tpm2_marshal.h"
#include "test_files.h"
#include "state_dir.h"
#include "tpm_fixture.h"

#define GUARD 0xa5

/* A buffer of CAP bytes with guard bytes on both sides. */
struct guarded {
	uint8_t mem[8 + 256 + 8];
	size_t cap;
};

static uint8_t *guarded_init(struct guarded *g, size_t cap)
{
	assert_true(cap <= 256);
	memset(g->mem, GUARD, sizeof(g->mem));
	g->cap = cap;
	return g->mem + 8;
}

static void assert_guards_intact(const struct guarded *g)
{
	size_t i;

	for (i = 0; i < 8; i++)
		assert_int_equal(g->mem[i], GUARD);
	for (i = 8 + g->cap; i < sizeof(g->mem); i++)
		assert_int_equal(g->mem[i], GUARD);
}

/* The writer under test: every kind of field once (25 bytes). */
static void write_sample(struct tpm2_writer *w)
{
	static const uint8_t two[] = { 0xde, 0xad };
	size_t at;

	tpm2w_u8(w, 0x01);
	tpm2w_u16(w, 0x0203);
	tpm2w_u32(w, 0x04050607);
	tpm2w_u64(w, 0x08090a0b0c0d0e0full);
	tpm2w_tpm2b(w, two, sizeof(two));       /* 00 02 de ad */
	at = tpm2w_size16_begin(w);
	tpm2w_zeros(w, 2);
	tpm2w_u8(w, 0x33);
	tpm2w_size16_end(w, at);                /* 00 03 00 00 33 */
}

static const uint8_t sample[] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x00, 0x02, 0xde, 0xad,
	0x00, 0x03, 0x00, 0x00, 0x33,
};

static void test_writer_bytes(void **state)
{
	struct guarded g;
	struct tpm2_writer w;

	(void)state;
	tpm2w_init(&w, guarded_init(&g, sizeof(sample)), sizeof(sample));
	write_sample(&w);
	assert_false(tpm2w_failed(&w));
	assert_int_equal(w.len, sizeof(sample));
	assert_memory_equal(g.mem + 8, sample, sizeof(sample));
	assert_guards_intact(&g);
}

/* Any buffer one byte or more too small fails, and writes nothing beyond
 * it. */
static void test_writer_too_small(void **state)
{
	struct guarded g;
	struct tpm2_writer w;
	size_t cap;

	(void)state;
	for (cap = 0; cap < sizeof(sample); cap++) {
		tpm2w_init(&w, guarded_init(&g, cap), cap);
		write_sample(&w);
		assert_true(tpm2w_failed(&w));
		assert_true(w.len <= cap);
		assert_guards_intact(&g);
	}
}

/* After a failure, later writes do nothing, even ones that would fit. */
static void test_writer_sticky(void **state)
{
	uint8_t buf[8];
	struct tpm2_writer w;

	(void)state;
	tpm2w_init(&w, buf, sizeof(buf));
	tpm2w_u64(&w, 1);
	tpm2w_u8(&w, 2);
	assert_true(tpm2w_failed(&w));
	w.len = 0;              /* room again, but the error stays */
	tpm2w_u8(&w, 3);
	assert_int_equal(w.len, 0);
	assert_true(tpm2w_failed(&w));
}

/* Sizes that do not fit their field, and offsets that were never written. */
static void test_writer_oversized(void **state)
{
	static uint8_t big[70000];
	static uint8_t buf[70010];
	struct tpm2_writer w;
	size_t at;

	(void)state;
	tpm2w_init(&w, buf, sizeof(buf));
	tpm2w_tpm2b(&w, big, 65536);
	assert_true(tpm2w_failed(&w));
	assert_int_equal(w.len, 0);

	tpm2w_init(&w, buf, sizeof(buf));
	tpm2w_tpm2b(&w, big, 65535);
	assert_false(tpm2w_failed(&w));
	assert_int_equal(w.len, 65537);

	tpm2w_init(&w, buf, sizeof(buf));
	at = tpm2w_size16_begin(&w);
	tpm2w_bytes(&w, big, 65536);
	tpm2w_size16_end(&w, at);
	assert_true(tpm2w_failed(&w));

	tpm2w_init(&w, buf, sizeof(buf));
	tpm2w_u16(&w, 0);
	tpm2w_size32_end(&w, 0);        /* no 32-bit field there */
	assert_true(tpm2w_failed(&w));

	tpm2w_init(&w, buf, sizeof(buf));
	tpm2w_u32(&w, 0);
	tpm2w_patch_u16(&w, 3, 1);      /* would reach past what was written */
	assert_true(tpm2w_failed(&w));

	tpm2w_init(&w, buf, sizeof(buf));
	tpm2w_patch_u32(&w, SIZE_MAX, 1);
	assert_true(tpm2w_failed(&w));
}

/* The reader gives back what the writer wrote, and ends exactly. */
static void test_reader_values(void **state)
{
	struct tpm2_reader r, sub;
	const uint8_t *p;
	size_t n;

	(void)state;
	tpm2r_init(&r, sample, sizeof(sample));
	assert_int_equal(tpm2r_remaining(&r), sizeof(sample));
	assert_int_equal(tpm2r_u8(&r), 0x01);
	assert_int_equal(tpm2r_u16(&r), 0x0203);
	assert_int_equal(tpm2r_u32(&r), 0x04050607);
	assert_true(tpm2r_u64(&r) == 0x08090a0b0c0d0e0full);
	p = tpm2r_tpm2b(&r, &n);
	assert_non_null(p);
	assert_int_equal(n, 2);
	assert_int_equal(p[0], 0xde);
	assert_false(tpm2r_done(&r));
	tpm2r_sized(&r, &sub);
	assert_int_equal(tpm2r_remaining(&sub), 3);
	tpm2r_skip(&sub, 2);
	assert_int_equal(tpm2r_u8(&sub), 0x33);
	assert_true(tpm2r_done(&sub));
	assert_true(tpm2r_done(&r));
	/* one more byte is one too many */
	assert_int_equal(tpm2r_u8(&r), 0);
	assert_true(tpm2r_failed(&r));
	assert_int_equal(tpm2r_remaining(&r), 0);
}

/* Read the sample's fields; true when all were there. */
static bool read_sample(const uint8_t *buf, size_t len)
{
	struct tpm2_reader r, sub;
	size_t n;

	tpm2r_init(&r, buf, len);
	(void)tpm2r_u8(&r);
	(void)tpm2r_u16(&r);
	(void)tpm2r_u32(&r);
	(void)tpm2r_u64(&r);
	(void)tpm2r_tpm2b(&r, &n);
	tpm2r_sized(&r, &sub);
	tpm2r_skip(&sub, 3);
	return tpm2r_done(&r) && tpm2r_done(&sub);
}

/* Every truncation of the input fails (each cut in a copy of exactly that
 * length, so ASan sees any read past it). */
static void test_reader_truncated(void **state)
{
	size_t len;

	(void)state;
	assert_true(read_sample(sample, sizeof(sample)));
	for (len = 0; len < sizeof(sample); len++) {
		uint8_t *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, sample, len);
		assert_false(read_sample(copy, len));
		free(copy);
	}
}

/* Size fields larger than the data, or than the caller's room. */
static void test_reader_oversized(void **state)
{
	static const uint8_t claims_more[] = { 0x00, 0x05, 1, 2, 3, 4 };
	static const uint8_t claims_max[] = { 0xff, 0xff, 1 };
	static const uint8_t four[] = { 0x00, 0x04, 1, 2, 3, 4 };
	struct tpm2_reader r, sub;
	uint8_t dst[3 + 1];
	size_t n = 99;

	(void)state;
	tpm2r_init(&r, claims_more, sizeof(claims_more));
	assert_null(tpm2r_tpm2b(&r, &n));
	assert_int_equal(n, 0);
	assert_true(tpm2r_failed(&r));

	tpm2r_init(&r, claims_max, sizeof(claims_max));
	tpm2r_sized(&r, &sub);
	assert_true(tpm2r_failed(&sub));
	assert_int_equal(tpm2r_u8(&sub), 0);
	assert_true(tpm2r_failed(&r));

	/* four bytes into room for three: refused, the guard byte kept */
	dst[3] = GUARD;
	tpm2r_init(&r, four, sizeof(four));
	tpm2r_tpm2b_copy(&r, dst, 3, &n);
	assert_true(tpm2r_failed(&r));
	assert_int_equal(n, 0);
	assert_int_equal(dst[3], GUARD);

	tpm2r_init(&r, four, sizeof(four));
	tpm2r_tpm2b_copy(&r, dst, 4, &n);
	assert_true(tpm2r_done(&r));
	assert_int_equal(n, 4);
	assert_memory_equal(dst, four + 2, 4);

	tpm2r_init(&r, four, sizeof(four));
	tpm2r_skip(&r, SIZE_MAX);
	assert_true(tpm2r_failed(&r));
	assert_null(tpm2r_bytes(&r, 0));

	/* no buffer at all: failed from the start, for reads and writes */
	tpm2r_init(&r, NULL, 4);
	assert_true(tpm2r_failed(&r));
	assert_int_equal(tpm2r_remaining(&r), 0);
}

static void test_command_header(void **state)
{
	static const uint8_t auth[] = { 'p', 'w' };
	static const uint8_t want[] = {
		0x80, 0x02, 0, 0, 0, 0x1d, 0, 0, 0x01, 0x29,    /* header */
		0x40, 0x00, 0x00, 0x0c,                         /* RH_PLATFORM */
		0, 0, 0, 11,                                    /* auth size */
		0x40, 0x00, 0x00, 0x09, 0, 0, 0x01, 0, 2, 'p', 'w',
	};
	struct guarded g;
	struct tpm2_writer w;
	size_t len = 0, cap;

	(void)state;
	tpm2_cmd_begin(&w, guarded_init(&g, sizeof(want)), sizeof(want),
		       TPM2_ST_SESSIONS, TPM2_CC_HierarchyChangeAuth);
	tpm2w_u32(&w, TPM2_RH_PLATFORM);
	tpm2_cmd_password(&w, TPMA_SESSION_CONTINUESESSION, auth, sizeof(auth));
	assert_int_equal(tpm2_cmd_end(&w, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(g.mem + 8, want, sizeof(want));
	assert_guards_intact(&g);

	for (cap = 0; cap < sizeof(want); cap++) {
		tpm2_cmd_begin(&w, guarded_init(&g, cap), cap,
			       TPM2_ST_SESSIONS, TPM2_CC_HierarchyChangeAuth);
		tpm2w_u32(&w, TPM2_RH_PLATFORM);
		tpm2_cmd_password(&w, 1, auth, sizeof(auth));
		assert_int_equal(tpm2_cmd_end(&w, &len), -EMSGSIZE);
		assert_guards_intact(&g);
	}
	tpm2w_init(&w, NULL, 16);
	tpm2w_zeros(&w, 0);
	assert_true(tpm2w_failed(&w));
	/* a writer without a header is no command */
	tpm2w_init(&w, g.mem, 4);
	tpm2w_u32(&w, 0);
	assert_int_equal(tpm2_cmd_end(&w, &len), -EMSGSIZE);
}

static void test_response_header(void **state)
{
	uint8_t rsp[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x09, 0x07, 0xab, 0xcd };
	struct tpm2_reader r;
	uint16_t tag = 0;
	uint32_t rc = 0;
	size_t len;

	(void)state;
	assert_int_equal(tpm2_rsp_begin(&r, rsp, sizeof(rsp), &tag, &rc), 0);
	assert_int_equal(tag, TPM2_ST_NO_SESSIONS);
	assert_int_equal(rc, TPM2_RC_LOCALITY);
	assert_int_equal(tpm2r_u16(&r), 0xabcd);
	assert_true(tpm2r_done(&r));
	/* the size field must be the length: shorter and longer both fail */
	for (len = 0; len < sizeof(rsp); len++)
		assert_int_equal(tpm2_rsp_begin(&r, rsp, len, &tag, &rc), -EBADMSG);
	rsp[5] = 11;
	assert_int_equal(tpm2_rsp_begin(&r, rsp, sizeof(rsp), &tag, &rc), -EBADMSG);
	assert_true(tpm2r_failed(&r));
}

/* ---- against a real libtpms ---- */

/* Run the command in W on T; the response in RSP. */
static uint32_t run(struct tpm2_writer *w, uint8_t **rsp, uint32_t *rsp_len,
		    uint32_t *cap)
{
	size_t len;

	assert_int_equal(tpm2_cmd_end(w, &len), 0);
	assert_int_equal(tpm_execute(&T, w->buf, (uint32_t)len, rsp, rsp_len, cap), 0);
	return *rsp_len;
}

/* Startup, then GetCapability(TPM_CAP_TPM_PROPERTIES, PT_MANUFACTURER):
 * built and parsed here, answered by libtpms. */
static void test_real_tpm(void **state)
{
	const struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = { .dir = sdir, .file_mode = STORE_MODE_DEFAULT },
	};
	uint8_t cmd[64], *rsp = NULL;
	uint32_t rsp_len = 0, cap = 0, rc;
	struct tpm2_writer w;
	struct tpm2_reader r;
	uint16_t tag;

	(void)state;
	assert_int_equal(tpm_open(&T, &opt), 0);
	assert_int_equal(tpm_start(&T), TPM_SUCCESS);

	tpm2_cmd_begin(&w, cmd, sizeof(cmd), TPM2_ST_NO_SESSIONS, TPM2_CC_Startup);
	tpm2w_u16(&w, TPM2_SU_CLEAR);
	run(&w, &rsp, &rsp_len, &cap);
	assert_int_equal(tpm2_rsp_begin(&r, rsp, rsp_len, &tag, &rc), 0);
	assert_int_equal(rc, TPM2_RC_SUCCESS);
	assert_true(tpm2r_done(&r));

	tpm2_cmd_begin(&w, cmd, sizeof(cmd), TPM2_ST_NO_SESSIONS,
		       TPM2_CC_GetCapability);
	tpm2w_u32(&w, TPM2_CAP_TPM_PROPERTIES);
	tpm2w_u32(&w, TPM2_PT_MANUFACTURER);
	tpm2w_u32(&w, 1);
	run(&w, &rsp, &rsp_len, &cap);
	assert_int_equal(tpm2_rsp_begin(&r, rsp, rsp_len, &tag, &rc), 0);
	assert_int_equal(rc, TPM2_RC_SUCCESS);
	assert_int_equal(tag, TPM2_ST_NO_SESSIONS);
	(void)tpm2r_u8(&r);                     /* moreData */
	assert_int_equal(tpm2r_u32(&r), TPM2_CAP_TPM_PROPERTIES);
	assert_int_equal(tpm2r_u32(&r), 1);     /* one property */
	assert_int_equal(tpm2r_u32(&r), TPM2_PT_MANUFACTURER);
	assert_int_equal(tpm2r_u32(&r), 0x49424d00);    /* "IBM" */
	assert_true(tpm2r_done(&r));

	/* cut short by one byte, libtpms' answer no longer parses */
	assert_int_equal(tpm2_rsp_begin(&r, rsp, rsp_len - 1, &tag, &rc), -EBADMSG);
	free(rsp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_bytes),
		cmocka_unit_test(test_writer_too_small),
		cmocka_unit_test(test_writer_sticky),
		cmocka_unit_test(test_writer_oversized),
		cmocka_unit_test(test_reader_values),
		cmocka_unit_test(test_reader_truncated),
		cmocka_unit_test(test_reader_oversized),
		cmocka_unit_test(test_command_header),
		cmocka_unit_test(test_response_header),
		cmocka_unit_test_setup_teardown(test_real_tpm, tpm_test_setup, tpm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
