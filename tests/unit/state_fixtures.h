/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state_fixtures.h - reading tests/unit/data/swtpm-0.7.1-states/ (made by
 * its make-fixtures script with Debian's swtpm 0.7.1) from the unit tests.
 * Tests run from the top of the tree (make unit); VTPMD_TEST_DATA, when set,
 * names the swtpm-0.7.1 fixture directory next to it, as for test_blob.
 */
#ifndef VTPMD_TEST_STATE_FIXTURES_H
#define VTPMD_TEST_STATE_FIXTURES_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/key.h"

#define STATE_FIXTURE_DIR "tests/unit/data/swtpm-0.7.1-states"

static inline void fixture_path(char *buf, size_t len, const char *name)
{
	const char *d = getenv("VTPMD_TEST_DATA");
	int n = d ? snprintf(buf, len, "%s/../swtpm-0.7.1-states/%s", d, name)
		  : snprintf(buf, len, "%s/%s", STATE_FIXTURE_DIR, name);

	assert_true(n > 0 && (size_t)n < len);
}

/* The whole fixture NAME, malloc'ed with exactly its length (ASan sees
 * any over-read). */
static inline uint8_t *read_fixture(const char *name, size_t *len)
{
	char path[512];
	struct stat sb;
	uint8_t *buf;
	int fd;

	fixture_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("cannot open %s (run from the top of the tree): %s", path,
			 strerror(errno));
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size ? (size_t)sb.st_size : 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

/* A key as vtpmd loads it from a fixture key source. */
static inline void load_key(const char *file, bool passphrase,
			    enum key_format fmt, enum key_kdf kdf,
			    enum key_cipher cipher, struct state_key *k)
{
	char path[512], err[300];
	struct key_source src = {
		.given = true, .passphrase = passphrase, .file = path, .fd = -1,
		.cipher = cipher, .format = fmt, .kdf = kdf,
	};

	fixture_path(path, sizeof(path), file);
	if (key_load(&src, k, err, sizeof(err)) != 0)
		fail_msg("key %s: %s", file, err);
}

static inline void key128(struct state_key *k)
{
	load_key("key128.hex", false, KEY_FORMAT_HEX, 0, KEY_AES_128_CBC, k);
}

static inline void key256(struct state_key *k)
{
	load_key("key256.hex", false, KEY_FORMAT_HEX, 0, KEY_AES_256_CBC, k);
}

static inline void pass128(struct state_key *k)
{
	load_key("pass.txt", true, 0, KEY_KDF_PBKDF2, KEY_AES_128_CBC, k);
}

/* A 128-bit key that is not the fixtures' key. */
static inline void other128(struct state_key *k)
{
	char err[200];

	assert_int_equal(key_from_hex((const uint8_t *)"ffeeddccbbaa99887766554433221100",
				      32, 16, k, err, sizeof(err)), 0);
}

#endif
