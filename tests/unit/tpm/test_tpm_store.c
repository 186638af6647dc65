/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm_store.c - libtpms on swtpm's state through the TPM's store and
 * callback adapter: swtpm 0.7.1's files load and are written back byte for
 * byte, libtpms runs and saves through it, manufactures into an empty
 * directory, and only one TPM (so one store) is open per process; swtpm's
 * linear files (plain, encrypted, TPM 1.2) load, and libtpms runs on a new
 * one.
 *
 * Tests run from the top of the tree (make unit), or set VTPMD_TEST_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "mem/bytes.h"
#include "tpm/tpm.h"
#include "test_files.h"
#include "state_dir.h"
#include "tpm_fixture.h"

/* ---- libtpms on swtpm's state, through the store ---- */

/* The TPM's state in SDIR, with libtpms' callbacks pointed at it; the
 * tests below drive libtpms themselves. */
static void open_tpm(void)
{
	const struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = { .dir = sdir, .file_mode = STORE_MODE_DEFAULT },
	};

	assert_int_equal(tpm_open(&T, &opt), 0);
}

/* One TPM per process: libtpms has one, and its callbacks no context. */
static void test_one_tpm_per_process(void **state)
{
	const struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = { .dir = base, .file_mode = STORE_MODE_DEFAULT },
	};
	struct tpm other;

	(void)state;
	open_tpm();
	assert_true(store_locked(&T.store));
	assert_int_equal(tpm_open(&other, &opt), -EBUSY);
	assert_false(exists(base, ".lock"));
	tpm_close(&T);
	assert_false(store_locked(&T.store));
	/* closed: the next one may open */
	assert_int_equal(tpm_open(&other, &opt), 0);
	assert_true(exists(base, ".lock"));
	tpm_close(&other);
}

/* Send a TPM 2 command; return its response code. */
static uint32_t tpm2_cmd(const uint8_t *cmd, uint32_t len)
{
	unsigned char *resp = NULL;
	uint32_t resp_len = 0, resp_size = 0, rc;

	assert_int_equal(TPMLIB_Process(&resp, &resp_len, &resp_size,
					(unsigned char *)cmd, len),
			 TPM_SUCCESS);
	assert_true(resp_len >= 10);
	rc = get_be32(resp + 6);
	free(resp);
	return rc;
}

static void test_swtpm_state_loads_into_libtpms(void **state)
{
	unsigned char *perm, *vol;
	uint32_t perm_len, vol_len;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	copy_fixture("tpm2-00.permall", sdir);
	copy_fixture("tpm2-00.volatilestate", sdir);
	open_tpm();

	/* libtpms reads swtpm's files through the store and accepts them */
	assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT |
					      TPMLIB_STATE_VOLATILE, 0),
			 TPM_SUCCESS);

	/* the payloads as SET_STATEBLOB would hand them over */
	assert_int_equal(store_load(&T.store, TPM_PERMANENT_ALL_NAME, &perm, &perm_len),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_PERMANENT, perm,
					 perm_len), TPM_SUCCESS);
	assert_int_equal(store_load(&T.store, TPM_VOLATILESTATE_NAME, &vol, &vol_len),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_VOLATILE, vol, vol_len),
			 TPM_SUCCESS);
	/* (libtpms does look: half a state is refused) */
	assert_int_not_equal(TPMLIB_SetState(TPMLIB_STATE_PERMANENT, perm,
					     perm_len / 2), TPM_SUCCESS);
	/* drop libtpms' cached copies again */
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_PERMANENT, NULL, 0),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_VOLATILE, NULL, 0),
			 TPM_SUCCESS);

	/* and what we write for that payload is swtpm's file, byte for byte */
	{
		uint8_t *orig, *ours;
		size_t olen, ourlen;

		orig = read_file(sdir, "tpm2-00.permall", &olen);
		assert_int_equal(store_save(&T.store, TPM_PERMANENT_ALL_NAME, perm,
					    perm_len), TPM_SUCCESS);
		ours = read_file(sdir, "tpm2-00.permall", &ourlen);
		assert_int_equal(ourlen, olen);
		assert_memory_equal(ours, orig, olen);
		free(ours);
		free(orig);
	}
	free(perm);
	free(vol);
}

static void test_libtpms_runs_on_the_store(void **state)
{
	static const uint8_t startup_clear[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
	};
	static const uint8_t get_random8[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8,
	};
	static const uint8_t shutdown_state[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 1,
	};
	uint8_t *before, *after;
	size_t blen, alen;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	copy_fixture("tpm2-00.permall", sdir);
	open_tpm();
	before = read_file(sdir, "tpm2-00.permall", &blen);

	/* boot from swtpm's permanent state; run; save state back */
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	assert_int_equal(tpm2_cmd(get_random8, sizeof(get_random8)), 0);
	assert_int_equal(tpm2_cmd(shutdown_state, sizeof(shutdown_state)), 0);
	{
		unsigned char *buf;
		uint32_t len;

		assert_int_equal(TPMLIB_VolatileAll_Store(&buf, &len),
				 TPM_SUCCESS);
		assert_int_equal(store_save(&T.store, TPM_VOLATILESTATE_NAME, buf, len),
				 TPM_SUCCESS);
		free(buf);
	}
	TPMLIB_Terminate();
	assert_no_temp(sdir);

	/* libtpms wrote permall through the store, and it still validates */
	after = read_file(sdir, "tpm2-00.permall", &alen);
	assert_false(alen == blen && memcmp(after, before, alen) == 0);
	assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT |
					      TPMLIB_STATE_VOLATILE, 0),
			 TPM_SUCCESS);
	free(after);
	free(before);
}

/* No files yet: TPM_RETRY tells libtpms to manufacture a TPM, which it
 * then saves through the store. */
static void test_libtpms_manufactures_into_empty_store(void **state)
{
	static const uint8_t startup_clear[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
	};

	(void)state;
	open_tpm();
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	TPMLIB_Terminate();

	assert_true(exists(sdir, "tpm2-00.permall"));
	assert_no_temp(sdir);
	assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT, 0),
			 TPM_SUCCESS);
}

/* ---- the same on swtpm's linear files ---- */

/* A TPM of VERSION on the linear file FILE in base/ (a copy of swtpm
 * 0.7.1's fixture NAME, unless NULL), with KEY. */
static void open_linear_tpm(enum tpm_version version, const char *name,
			    const struct state_key *key, char *file, size_t len)
{
	const struct tpm_options opt = {
		.version = version,
		.store = {
			.file = file, .file_mode = STORE_MODE_DEFAULT,
			.file_key = key,
		},
	};

	path_in(file, len, base, "tpm.linear");
	if (name) {
		char src[512];
		uint8_t *buf;
		size_t blen;

		path_in(src, sizeof(src), "tests/unit/data/swtpm-0.7.1-linear", name);
		buf = read_file_at(src, &blen);
		assert_non_null(buf);
		write_file_at(file, buf, blen, 0640);
		free(buf);
	}
	assert_int_equal(tpm_open(&T, &opt), 0);
}

/* Every kind of swtpm 0.7.1 linear file: libtpms takes its permanent and
 * volatile state (plain and AES-256, TPM 2 and 1.2), and starts on it. */
static void test_swtpm_linear_files_load_into_libtpms(void **state)
{
	static const struct {
		const char *name;
		enum tpm_version version;
		bool key;
	} cases[] = {
		{ "tpm2.linear", TPM_VERSION_2, false },
		{ "tpm2-aes256.linear", TPM_VERSION_2, true },
		{ "tpm12.linear", TPM_VERSION_12, false },
	};
	struct state_key key = { .len = 0 };
	char file[400], why[128];
	size_t i;

	(void)state;
	{
		static const uint8_t hex[] =
			"0x00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";

		assert_int_equal(key_from_hex(hex, sizeof(hex) - 1, 32, &key, why,
					      sizeof(why)), 0);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		open_linear_tpm(cases[i].version, cases[i].name,
				cases[i].key ? &key : NULL, file, sizeof(file));
		assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT |
						      TPMLIB_STATE_VOLATILE, 0),
				 TPM_SUCCESS);
		assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
		TPMLIB_Terminate();
		tpm_close(&T);
	}
	/* without the key the encrypted one is refused */
	open_linear_tpm(TPM_VERSION_2, "tpm2-aes256.linear", NULL, file, sizeof(file));
	assert_int_not_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	TPMLIB_Terminate();
	key_wipe(&key);
}

/* A new file: libtpms manufactures into it, runs, and starts again from it. */
static void test_libtpms_on_a_new_linear_file(void **state)
{
	static const uint8_t startup_clear[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
	};
	static const uint8_t shutdown_clear[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 0,
	};
	struct linear_header h;
	char file[400], why[256];
	uint8_t *img;
	size_t len;

	(void)state;
	open_linear_tpm(TPM_VERSION_2, NULL, NULL, file, sizeof(file));
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	assert_int_equal(tpm2_cmd(shutdown_clear, sizeof(shutdown_clear)), 0);
	TPMLIB_Terminate();
	img = read_file_at(file, &len);
	assert_int_equal(linear_parse(img, len, len, &h, why, sizeof(why)), 1);
	assert_true(h.slot[LINEAR_SLOT_PERMANENT].offset != 0);
	free(img);
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	TPMLIB_Terminate();
}

int main(void)
{
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, tpm_test_setup, tpm_test_teardown)
	const struct CMUnitTest tests[] = {
		TEST(test_one_tpm_per_process),
		TEST(test_swtpm_state_loads_into_libtpms),
		TEST(test_libtpms_runs_on_the_store),
		TEST(test_libtpms_manufactures_into_empty_store),
		TEST(test_swtpm_linear_files_load_into_libtpms),
		TEST(test_libtpms_on_a_new_linear_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
