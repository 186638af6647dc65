/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_key.c - --key / --migration-key sources: hex and binary key files,
 * passphrases through PBKDF2 or SHA-512 (known answers computed with
 * Python's hashlib), fds, remove=true, and every malformed input refused
 * with a message that does not echo the key.
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

#include "store/key.h"
#include "test_files.h"

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/vtpmd-test-key.XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

/* hex string -> bytes, for expected values */
static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;

		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void assert_key(const struct state_key *k, const char *hex)
{
	uint8_t want[KEY_MAX_BYTES];
	size_t n = unhex(hex, want);

	assert_int_equal(k->len, n);
	assert_memory_equal(k->bytes, want, n);
}

static const char hex128[] = "000102030405060708090a0b0c0d0e0f";
static const char hex256[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static int hex(const char *s, size_t keylen, struct state_key *k)
{
	char err[200];

	return key_from_hex((const uint8_t *)s, strlen(s), keylen, k, err,
			    sizeof(err));
}

static void test_hex_formats(void **state)
{
	struct state_key k;
	char buf[100];

	(void)state;
	assert_int_equal(hex(hex128, 16, &k), 0);
	assert_key(&k, hex128);
	assert_int_equal(hex(hex256, 32, &k), 0);
	assert_key(&k, hex256);

	/* 0x prefix, upper case, ended by a newline or by whitespace + words */
	snprintf(buf, sizeof(buf), "0x%s\n", "000102030405060708090A0B0C0D0E0F");
	assert_int_equal(hex(buf, 16, &k), 0);
	assert_key(&k, hex128);
	snprintf(buf, sizeof(buf), "%s trailing words", hex128);
	assert_int_equal(hex(buf, 16, &k), 0);
	assert_key(&k, hex128);
	snprintf(buf, sizeof(buf), "%s\r\n", hex256);
	assert_int_equal(hex(buf, 32, &k), 0);
	assert_key(&k, hex256);
}

static void test_hex_refusals(void **state)
{
	struct state_key k;
	char buf[100], err[200];

	(void)state;
	/* the digit count must match the mode, as swtpm insists */
	assert_int_equal(hex(hex256, 16, &k), -EINVAL);
	assert_int_equal(hex(hex128, 32, &k), -EINVAL);
	assert_int_equal(hex("000102030405060708090a0b0c0d0e", 16, &k), -EINVAL);
	snprintf(buf, sizeof(buf), "%s10", hex128);
	assert_int_equal(hex(buf, 16, &k), -EINVAL);
	/* junk glued to the digits, odd or empty input */
	snprintf(buf, sizeof(buf), "%sxx", hex128);
	assert_int_equal(hex(buf, 16, &k), -EINVAL);
	snprintf(buf, sizeof(buf), " %s", hex128);
	assert_int_equal(hex(buf, 16, &k), -EINVAL);
	assert_int_equal(hex("", 16, &k), -EINVAL);
	assert_int_equal(hex("0x", 16, &k), -EINVAL);
	assert_int_equal(hex("0X000102030405060708090a0b0c0d0e0f", 16, &k), -EINVAL);
	/* a failure leaves no partial key, and never echoes the key */
	assert_int_equal(k.len, 0);
	snprintf(buf, sizeof(buf), "%sZZ", hex128);
	assert_int_equal(key_from_hex((const uint8_t *)buf, strlen(buf), 16, &k,
				      err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "0102"));
	assert_true(strlen(err) > 10);
}

static void test_passphrase_known_answers(void **state)
{
	static const struct {
		const char *pass;
		enum key_kdf kdf;
		size_t keylen;
		const char *want;
	} cases[] = {
		{ "secret", KEY_KDF_PBKDF2, 16, "a1fe2452f0008e5d0f231019b748120f" },
		{ "secret", KEY_KDF_PBKDF2, 32,
		  "a1fe2452f0008e5d0f231019b748120fd1510b9b1f127d6c67207583b8e13bdf" },
		{ "secret", KEY_KDF_SHA512, 16, "bd2b1aaf7ef4f09be9f52ce2d8d59967" },
		{ "secret", KEY_KDF_SHA512, 32,
		  "bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d68" },
		/* the trailing newline is part of the passphrase */
		{ "correct horse battery staple\n", KEY_KDF_PBKDF2, 16,
		  "a1d3850e5a1805f07bc139ea1ef5b740" },
		{ "", KEY_KDF_PBKDF2, 16, "c55dfd0c4fbdffdf11d67b7016497837" },
		{ "", KEY_KDF_SHA512, 32,
		  "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" },
	};
	struct state_key k;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(key_from_passphrase((const uint8_t *)cases[i].pass,
						     strlen(cases[i].pass),
						     cases[i].keylen, cases[i].kdf,
						     &k, err, sizeof(err)), 0);
		assert_key(&k, cases[i].want);
	}
}

static void test_load_from_files(void **state)
{
	struct key_source src = { .given = true, .fd = -1 };
	char path[128], err[300];
	struct state_key k;
	uint8_t bin[32];
	struct stat sb;

	(void)state;
	snprintf(path, sizeof(path), "%s/key", base);
	src.file = path;

	/* hex, the default format; aes-cbc, the default mode */
	write_file_at(path, "0x000102030405060708090a0b0c0d0e0f\n", 35, 0600);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_key(&k, hex128);
	src.cipher = KEY_AES_256_CBC;
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), -EINVAL);
	assert_int_equal(k.len, 0);
	assert_non_null(strstr(err, path));

	/* binary: exactly the mode's length */
	src.format = KEY_FORMAT_BINARY;
	unhex(hex256, bin);
	write_file_at(path, bin, 32, 0600);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_key(&k, hex256);
	src.cipher = KEY_AES_128_CBC;
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), -EINVAL);
	write_file_at(path, bin, 16, 0600);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_key(&k, hex128);
	write_file_at(path, bin, 15, 0600);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), -EINVAL);
	write_file_at(path, bin, 17, 0600);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), -EINVAL);

	/* passphrase file, as-is */
	src = (struct key_source){ .given = true, .passphrase = true,
				   .file = path, .fd = -1, .kdf = KEY_KDF_SHA512 };
	write_file_at(path, "secret", 6, 0600);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_key(&k, "bd2b1aaf7ef4f09be9f52ce2d8d59967");

	/* remove=true unlinks the file once read; a missing file is an error */
	src.remove = true;
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(k.len, 0);
}

static void test_load_from_fd(void **state)
{
	struct key_source src = { .given = true };
	struct state_key k;
	char err[200];
	int p[2];

	(void)state;
	/* fd=: read to the end, then closed */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], hex256, 64), 64);
	close(p[1]);
	src.fd = p[0];
	src.cipher = KEY_AES_256_CBC;
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_key(&k, hex256);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);

	/* pwdfd= with PBKDF2 */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "secret", 6), 6);
	close(p[1]);
	src = (struct key_source){ .given = true, .passphrase = true, .fd = p[0] };
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), 0);
	assert_key(&k, "a1fe2452f0008e5d0f231019b748120f");

	/* a bad fd is an error, not a key */
	src.fd = 999;
	assert_int_equal(key_load(&src, &k, err, sizeof(err)), -EBADF);
	assert_int_equal(k.len, 0);
}

static void test_wipe(void **state)
{
	static const uint8_t zero[sizeof(struct state_key)];
	struct state_key k;

	(void)state;
	assert_int_equal(hex(hex256, 32, &k), 0);
	key_wipe(&k);
	assert_memory_equal(&k, zero, sizeof(k));
	assert_false(key_present(&k));
	assert_false(key_present(NULL));
	assert_int_equal(key_cipher_len(KEY_AES_128_CBC), 16);
	assert_int_equal(key_cipher_len(KEY_AES_256_CBC), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_formats),
		cmocka_unit_test(test_hex_refusals),
		cmocka_unit_test(test_passphrase_known_answers),
		cmocka_unit_test_setup_teardown(test_load_from_files, setup, teardown),
		cmocka_unit_test(test_load_from_fd),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
