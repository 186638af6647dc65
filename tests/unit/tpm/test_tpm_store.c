/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm_store.c - libtpms on swtpm's state through the TPM's store and
 * callback adapter: swtpm 0.7.1's files load and are written back byte for
 * byte, libtpms runs and saves through it, manufactures into an empty
 * directory, and only one TPM (so one store) is open per process.
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

int main(void)
{
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, tpm_test_setup, tpm_test_teardown)
	const struct CMUnitTest tests[] = {
		TEST(test_one_tpm_per_process),
		TEST(test_swtpm_state_loads_into_libtpms),
		TEST(test_libtpms_runs_on_the_store),
		TEST(test_libtpms_manufactures_into_empty_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
