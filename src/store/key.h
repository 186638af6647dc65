/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * key.h - the AES keys behind --key and --migration-key, loaded from the
 * sources swtpm accepts (a key file or fd in hex or binary, or a passphrase
 * file or fd run through a KDF).
 *
 * A key's length is its mode's: 16 bytes for aes-cbc / aes-128-cbc, 32 for
 * aes-256-cbc. Key material lives only in struct state_key and is wiped by
 * key_wipe(); everything read on the way is wiped before it is freed.
 */
#ifndef VTPMD_KEY_H
#define VTPMD_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_MAX_BYTES 32

enum key_cipher {
	KEY_AES_128_CBC = 0,    /* default, "aes-cbc" / "aes-128-cbc" */
	KEY_AES_256_CBC,
};

enum key_format {
	KEY_FORMAT_HEX = 0,     /* default */
	KEY_FORMAT_BINARY,
};

enum key_kdf {
	KEY_KDF_PBKDF2 = 0,     /* default */
	KEY_KDF_SHA512,
};

/* --key / --migration-key: where a key comes from, never the key itself. */
struct key_source {
	bool given;
	bool passphrase;        /* pwdfile=/pwdfd=: the key is derived */
	char *file;             /* file= or pwdfile= */
	int fd;                 /* fd= or pwdfd=, -1 when not given */
	enum key_cipher cipher;
	enum key_format format;
	enum key_kdf kdf;
	bool remove;            /* unlink the file once read */
};

struct state_key {
	uint8_t bytes[KEY_MAX_BYTES];
	size_t len;             /* 0: no key; else 16 or 32 */
};

/* Key length in bytes for a mode. */
size_t key_cipher_len(enum key_cipher cipher);

/*
 * Load the key SRC describes into KEY. Hex: 32 or 64 hex digits (as the mode
 * needs), an optional leading "0x", ended by whitespace or the end of the
 * input. Binary: exactly the mode's key length. Passphrase: the whole input
 * as it is (a trailing newline counts), through PBKDF2-HMAC-SHA512 (salt
 * "swtpm", 1000 iterations) or the first bytes of its SHA-512. An fd= / pwdfd=
 * is read to its end and closed. remove=true unlinks the file once read.
 *
 * Returns 0, or -errno with one line (no newline) saying what is wrong in
 * ERR; KEY is then all zero. Never puts key material into ERR.
 */
int key_load(const struct key_source *src, struct state_key *key,
	     char *err, size_t errlen);

/* Parse the key formats from memory (what key_load() does after reading);
 * same results. Exposed for the unit tests. */
int key_from_hex(const uint8_t *in, size_t len, size_t keylen,
		 struct state_key *key, char *err, size_t errlen);
int key_from_passphrase(const uint8_t *pass, size_t len, size_t keylen,
			enum key_kdf kdf, struct state_key *key,
			char *err, size_t errlen);

void key_wipe(struct state_key *key);

static inline bool key_present(const struct state_key *key)
{
	return key && key->len > 0;
}

#endif
