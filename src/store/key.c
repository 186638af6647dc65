/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * key.c - loading --key / --migration-key material the way swtpm reads it,
 * so that one key file or passphrase opens the same state in both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "os/io.h"
#include "os/log.h"
#include "mem/secret.h"
#include "store/key.h"

#define KEY_SALT          "swtpm"
#define KEY_PBKDF2_ROUNDS 1000
/* More than any key file holds; a passphrase longer than this is a mistake. */
#define KEY_INPUT_MAX     (64 * 1024)
/* swtpm warns about passphrases this short. */
#define KEY_SHORT_PASSPHRASE 6

size_t key_cipher_len(enum key_cipher cipher)
{
	return cipher == KEY_AES_256_CBC ? 32 : 16;
}

void key_wipe(struct state_key *key)
{
	if (key)
		secret_wipe(key, sizeof(*key));
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

int key_from_hex(const uint8_t *in, size_t len, size_t keylen,
		 struct state_key *key, char *err, size_t errlen)
{
	size_t i = 0, digits = 0, end;

	key_wipe(key);
	if (keylen != 16 && keylen != 32)
		return log_errline(err, errlen, -EINVAL,
				   "unsupported key length %zu", keylen);
	if (len >= 2 && in[0] == '0' && in[1] == 'x')
		i = 2;
	for (end = i; end < len && !is_space(in[end]); end++) {
		if (hex_value(in[end]) < 0)
			return log_errline(err, errlen, -EINVAL,
					   "the key is not a hex string (a non-hex character at offset %zu)",
					   end);
	}
	digits = end - i;
	if (digits != 2 * keylen)
		return log_errline(err, errlen, -EINVAL,
				   "the key has %zu hex digits; this mode needs %zu",
				   digits, 2 * keylen);
	for (; i < end; i += 2)
		key->bytes[key->len++] = (uint8_t)(hex_value(in[i]) << 4 |
						   hex_value(in[i + 1]));
	return 0;
}

int key_from_passphrase(const uint8_t *pass, size_t len, size_t keylen,
			enum key_kdf kdf, struct state_key *key,
			char *err, size_t errlen)
{
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	static const uint8_t empty[1];

	key_wipe(key);
	if (keylen != 16 && keylen != 32)
		return log_errline(err, errlen, -EINVAL,
				   "unsupported key length %zu", keylen);
	if (len > INT32_MAX)
		return log_errline(err, errlen, -EFBIG, "the passphrase is too long");
	if (!pass)
		pass = empty;

	if (kdf == KEY_KDF_SHA512) {
		if (EVP_Digest(pass, len, digest, &dlen, EVP_sha512(), NULL) != 1 ||
		    dlen < keylen) {
			secret_wipe(digest, sizeof(digest));
			return log_errline(err, errlen, -EIO,
					   "SHA-512 of the passphrase failed");
		}
		memcpy(key->bytes, digest, keylen);
		secret_wipe(digest, sizeof(digest));
	} else if (PKCS5_PBKDF2_HMAC((const char *)pass, (int)len,
				     (const unsigned char *)KEY_SALT,
				     (int)strlen(KEY_SALT), KEY_PBKDF2_ROUNDS,
				     EVP_sha512(), (int)keylen, key->bytes) != 1) {
		key_wipe(key);
		return log_errline(err, errlen, -EIO, "PBKDF2 of the passphrase failed");
	}
	key->len = keylen;
	return 0;
}

/* What the user named, for error lines. */
static void describe_source(const struct key_source *src, char *buf, size_t len)
{
	if (src->file)
		snprintf(buf, len, "%s '%s'", src->passphrase ? "pwdfile" : "file", src->file);
	else
		snprintf(buf, len, "%s %d", src->passphrase ? "pwdfd" : "fd", src->fd);
}

int key_load(const struct key_source *src, struct state_key *key,
	     char *err, size_t errlen)
{
	size_t keylen = key_cipher_len(src->cipher);
	char what[300], why[200];
	uint8_t *in = NULL;
	size_t inlen = 0;
	int fd, ret;

	key_wipe(key);
	describe_source(src, what, sizeof(what));
	if (src->file) {
		fd = open(src->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return log_errline(err, errlen, -errno, "cannot open %s: %s",
					   what, strerror(errno));
	} else if (src->fd >= 0) {
		fd = src->fd;
	} else {
		return log_errline(err, errlen, -EINVAL, "no key file or fd given");
	}
	ret = io_read_all(fd, KEY_INPUT_MAX, &in, &inlen);
	close(fd);
	if (ret < 0)
		return log_errline(err, errlen, ret, "cannot read %s: %s", what,
				   ret == -EFBIG ? "larger than 64 KiB" : strerror(-ret));

	why[0] = '\0';
	if (src->passphrase) {
		if (inlen <= KEY_SHORT_PASSPHRASE)
			log_error("warning: the passphrase in %s is only %zu bytes long",
				  what, inlen);
		ret = key_from_passphrase(in, inlen, keylen, src->kdf, key,
					  why, sizeof(why));
	} else if (src->format == KEY_FORMAT_BINARY) {
		if (inlen != keylen) {
			ret = log_errline(why, sizeof(why), -EINVAL,
					  "a binary key must be %zu bytes for this mode, it is %zu",
					  keylen, inlen);
		} else {
			memcpy(key->bytes, in, keylen);
			key->len = keylen;
			ret = 0;
		}
	} else {
		ret = key_from_hex(in, inlen, keylen, key, why, sizeof(why));
	}
	secret_free(in, inlen);
	if (ret < 0) {
		key_wipe(key);
		return log_errline(err, errlen, ret, "%s: %s", what, why);
	}
	if (src->remove && src->file && unlink(src->file) < 0) {
		int e = errno;

		key_wipe(key);
		return log_errline(err, errlen, -e, "cannot remove %s: %s", what, strerror(e));
	}
	return 0;
}
