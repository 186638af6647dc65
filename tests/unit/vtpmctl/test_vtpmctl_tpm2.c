/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vtpmctl_tpm2.c - the bytes "vtpmctl bios" sends are the TPM 2 commands
 * the spec defines (checked against hand-assembled packets, and executed by
 * a real libtpms), and responses are accepted only when whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_library.h>
#include <libtpms/tpm_error.h>

#include "vtpmctl/ctl_tpm2.h"

static void test_startup_bytes(void **state)
{
	static const uint8_t clear[] = { 0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t st[] = { 0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 1 };
	uint8_t buf[64];

	(void)state;
	assert_int_equal(tpm2_build_startup(buf, sizeof(buf), TPM2_SU_CLEAR), sizeof(clear));
	assert_memory_equal(buf, clear, sizeof(clear));
	assert_int_equal(tpm2_build_startup(buf, sizeof(buf), TPM2_SU_STATE), sizeof(st));
	assert_memory_equal(buf, st, sizeof(st));
	assert_int_equal(tpm2_build_startup(buf, 11, TPM2_SU_CLEAR), 0);
}

static void test_selftest_bytes(void **state)
{
	static const uint8_t want[] = {
		0x80, 0x01, 0, 0, 0, 0x10, 0, 0, 0x01, 0x42,
		0, 0, 0, 1, 0, 0x0b,
	};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(tpm2_build_incremental_selftest(buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_change_auth_bytes(void **state)
{
	uint8_t auth[TPM2_PLATFORM_AUTH_LEN], buf[128];
	size_t len;

	(void)state;
	memset(auth, 0xa5, sizeof(auth));
	len = tpm2_build_change_platform_auth(buf, sizeof(buf), auth, sizeof(auth));
	assert_int_equal(len, 10 + 4 + 4 + 9 + 2 + sizeof(auth));
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[1], 0x02);                 /* ST_SESSIONS */
	assert_int_equal(buf[5], len);
	assert_int_equal(buf[9], 0x29);                 /* CC 0x129 */
	assert_int_equal(buf[10], 0x40);                /* TPM_RH_PLATFORM */
	assert_int_equal(buf[13], 0x0c);
	assert_int_equal(buf[17], 9);                   /* auth area size */
	assert_int_equal(buf[21], 0x09);                /* TPM_RS_PW */
	assert_int_equal(buf[24], 1);                   /* continueSession */
	assert_int_equal(buf[28], sizeof(auth));        /* newAuth size */
	assert_memory_equal(buf + 29, auth, sizeof(auth));
	assert_int_equal(tpm2_build_change_platform_auth(buf, 40, auth, sizeof(auth)), 0);
}

static void test_parse_response(void **state)
{
	static const uint8_t ok[] = { 0x80, 0x01, 0, 0, 0, 0x0a, 0, 0, 0, 0 };
	static const uint8_t init[] = { 0x80, 0x01, 0, 0, 0, 0x0a, 0, 0, 0x01, 0 };
	static const uint8_t long_hdr[] = { 0x80, 0x01, 0, 0, 0, 0x0e, 0, 0, 0, 0 };
	uint16_t tag;
	uint32_t rc;

	(void)state;
	assert_int_equal(tpm2_parse_response(ok, sizeof(ok), &tag, &rc), 0);
	assert_int_equal(tag, 0x8001);
	assert_int_equal(rc, 0);
	assert_int_equal(tpm2_parse_response(init, sizeof(init), &tag, &rc), 0);
	assert_int_equal(rc, TPM2_RC_INITIALIZE);
	/* header says 14 bytes, 10 arrived: a short read */
	assert_int_equal(tpm2_parse_response(long_hdr, sizeof(long_hdr), &tag, &rc), -EBADMSG);
	assert_int_equal(tpm2_parse_response(ok, 9, &tag, &rc), -EBADMSG);
}

/* The real libtpms accepts the packets: Startup, then the self-test, then
 * HierarchyChangeAuth (which only succeeds when parsed correctly). */
static TPM_RESULT process(const uint8_t *cmd, size_t len, uint32_t *rc)
{
	unsigned char *resp = NULL;
	uint32_t resp_len = 0, resp_size = 0;
	uint16_t tag;
	TPM_RESULT r;

	r = TPMLIB_Process(&resp, &resp_len, &resp_size, (unsigned char *)cmd, (uint32_t)len);
	if (r == TPM_SUCCESS && tpm2_parse_response(resp, resp_len, &tag, rc) < 0)
		r = TPM_FAIL;
	free(resp);
	return r;
}

/* NVRAM callbacks that keep nothing: without them libtpms would write a
 * file into the current directory. */
static TPM_RESULT nv_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number,
			  const char *name)
{
	(void)data, (void)length, (void)tpm_number, (void)name;
	return TPM_RETRY;       /* "no such state": the TPM manufactures itself */
}

static TPM_RESULT nv_store(const unsigned char *data, uint32_t length,
			   uint32_t tpm_number, const char *name)
{
	(void)data, (void)length, (void)tpm_number, (void)name;
	return TPM_SUCCESS;
}

static TPM_RESULT nv_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	(void)tpm_number, (void)name, (void)must_exist;
	return TPM_SUCCESS;
}

static void test_libtpms_runs_them(void **state)
{
	struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(cbs),
		.tpm_nvram_init = nv_init,
		.tpm_nvram_loaddata = nv_load,
		.tpm_nvram_storedata = nv_store,
		.tpm_nvram_deletename = nv_delete,
	};
	uint8_t cmd[128], auth[TPM2_PLATFORM_AUTH_LEN];
	uint32_t rc;
	size_t len;

	(void)state;
	assert_int_equal(TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2), TPM_SUCCESS);
	assert_int_equal(TPMLIB_RegisterCallbacks(&cbs), TPM_SUCCESS);
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);

	len = tpm2_build_startup(cmd, sizeof(cmd), TPM2_SU_CLEAR);
	assert_int_equal(process(cmd, len, &rc), TPM_SUCCESS);
	assert_int_equal(rc, 0);
	assert_int_equal(process(cmd, len, &rc), TPM_SUCCESS);
	assert_int_equal(rc, TPM2_RC_INITIALIZE);       /* second Startup */

	len = tpm2_build_incremental_selftest(cmd, sizeof(cmd));
	assert_int_equal(process(cmd, len, &rc), TPM_SUCCESS);
	assert_int_equal(rc, 0);

	memset(auth, 0x5a, sizeof(auth));
	len = tpm2_build_change_platform_auth(cmd, sizeof(cmd), auth, sizeof(auth));
	assert_int_equal(process(cmd, len, &rc), TPM_SUCCESS);
	assert_int_equal(rc, 0);
	/* The empty password no longer works for the platform hierarchy. */
	assert_int_equal(process(cmd, len, &rc), TPM_SUCCESS);
	assert_int_not_equal(rc, 0);

	TPMLIB_Terminate();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_bytes),
		cmocka_unit_test(test_selftest_bytes),
		cmocka_unit_test(test_change_auth_bytes),
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test(test_libtpms_runs_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
