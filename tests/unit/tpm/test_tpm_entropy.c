/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm_entropy.c - libtpms' randomness comes from the kernel, not from
 * OpenSSL's DRBGs. The process's OpenSSL configuration names a DRBG that
 * no provider has: OpenSSL's own RAND_bytes() fails there (checked in a
 * child), yet once a TPM is opened RAND_bytes() and RAND_priv_bytes()
 * work, and the TPM starts and answers GetRandom. (That the TPM starts
 * proves nothing alone: libtpms quietly falls back to libc's rand() when
 * RAND_bytes() fails.) A kernel in FIPS mode keeps OpenSSL's DRBG: skipped
 * there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <openssl/rand.h>

#include "mem/bytes.h"
#include "tpm/tpm_internal.h"
#include "test_files.h"
#include "state_dir.h"
#include "tpm_fixture.h"

/* OpenSSL reads its configuration once, at its first use: set it first. */
static int setup_group(void **state)
{
	static char conf[256];
	FILE *f;

	(void)state;
	snprintf(conf, sizeof(conf), "/tmp/test_tpm_entropy.%d.cnf", (int)getpid());
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fputs("openssl_conf = init\n[init]\nrandom = rand\n"
	      "[rand]\nrandom = NO-SUCH-DRBG\n", f);
	fclose(f);
	return setenv("OPENSSL_CONF", conf, 1);
}

static int teardown_group(void **state)
{
	(void)state;
	return unlink(getenv("OPENSSL_CONF"));
}

/* Send a TPM 2 command; its response (RESP, RESP_LEN) and code. */
static uint32_t tpm2_cmd(const uint8_t *cmd, uint32_t len, uint8_t *out, size_t cap)
{
	unsigned char *resp = NULL;
	uint32_t resp_len = 0, resp_size = 0, rc;

	assert_int_equal(TPMLIB_Process(&resp, &resp_len, &resp_size,
					(unsigned char *)cmd, len), TPM_SUCCESS);
	assert_true(resp_len >= 10 && resp_len <= cap);
	memcpy(out, resp, resp_len);
	rc = get_be32(resp + 6);
	free(resp);
	return rc;
}

static bool fips_kernel(void)
{
	FILE *f = fopen("/proc/sys/crypto/fips_enabled", "r");
	int c = f ? fgetc(f) : '0';

	if (f)
		fclose(f);
	return c == '1';
}

static void test_kernel_entropy(void **state)
{
	static const uint8_t startup[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t getrandom32[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 32 };
	const struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = { .dir = sdir, .file_mode = STORE_MODE_DEFAULT },
	};
	uint8_t a[64], b[64], zero[32] = { 0 };
	int status;
	pid_t pid;

	(void)state;
	if (fips_kernel())
		skip();         /* there OpenSSL's approved DRBG stays */
	/* OpenSSL's own RAND, under this configuration, has no DRBG */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(RAND_bytes(a, 16) == 1 ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_false(tpm_entropy_is_kernel());
	assert_int_equal(tpm_open(&T, &opt), 0);
	assert_true(tpm_entropy_is_kernel());
	assert_int_equal(RAND_bytes(a, 32), 1);
	assert_int_equal(RAND_priv_bytes(b, 32), 1);
	assert_memory_not_equal(a, b, 32);

	/* libtpms manufactures, starts and answers on it */
	assert_int_equal(tpm_start(&T), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup, sizeof(startup), a, sizeof(a)), 0);
	assert_int_equal(tpm2_cmd(getrandom32, sizeof(getrandom32), a, sizeof(a)), 0);
	assert_int_equal(get_be16(a + 10), 32);
	assert_memory_not_equal(a + 12, zero, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_entropy, tpm_test_setup, tpm_test_teardown),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
