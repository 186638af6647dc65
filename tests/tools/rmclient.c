/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmclient - one client of a resource-managed TPM node, in one process, so
 * that many of them can run at once under an emulated CPU.
 *
 *   rmclient DEVICE flow SIGNS
 *       on one open file: a storage primary, a signing key created and
 *       loaded under it, SIGNS signatures over distinct messages, each
 *       verified with OpenSSL against the key's public part, a policy
 *       session (PolicyPCR) and its digest, the file's transient handles
 *       (exactly its own two), everything flushed, none left listed.
 *       Prints "ok SIGNS POLICY-DIGEST-HEX"; exit 1 with one line saying
 *       which step failed.
 *   rmclient DEVICE hold OBJECTS SESSIONS
 *       make OBJECTS primaries and SESSIONS policy sessions, print
 *       "holding", then wait to be killed.
 *   rmclient DEVICE fill
 *       make primaries, then sessions, until the node says no; print
 *       "objects N rc=0xRC sessions M rc=0xRC".
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "../unit/tpm2_cmds.h"

static uint8_t cmd[T2_CMD_MAX], resp[4096];
static uint32_t resp_len;
static int fd;

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rmclient: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* Send LEN bytes of cmd; the response code (the process ends on I/O
 * errors). */
static uint32_t xfer(const char *what, uint32_t len)
{
	ssize_t n;

	if (write(fd, cmd, len) != (ssize_t)len)
		die("%s: write: %s", what, strerror(errno));
	n = read(fd, resp, sizeof(resp));
	if (n < 10 || get_be32(resp + 2) != (uint32_t)n)
		die("%s: read: %zd (%s)", what, n, n < 0 ? strerror(errno) : "short");
	resp_len = (uint32_t)n;
	return get_be32(resp + 6);
}

static void must(const char *what, uint32_t len)
{
	uint32_t rc = xfer(what, len);

	if (rc != 0)
		die("%s: TPM rc 0x%x", what, rc);
}

/* A TPM2B at P within the response: its size field's offset moves on. */
static const uint8_t *tpm2b(uint32_t *off, uint16_t *size)
{
	const uint8_t *p;

	if (*off + 2 > resp_len)
		die("parse: response too short at %u", *off);
	*size = get_be16(resp + *off);
	p = resp + *off + 2;
	if (*off + 2 + *size > resp_len)
		die("parse: TPM2B past the end at %u", *off);
	*off += 2 + *size;
	return p;
}

/* The key's public point, from the unique field of a TPMT_PUBLIC made
 * from t2_ecc_sign_template(). */
static EVP_PKEY *public_key(const uint8_t *pub, uint16_t len)
{
	/* type, nameAlg, attributes, authPolicy (empty), ECC parameters */
	uint32_t off = 2 + 2 + 4 + 2 + 2 + 4 + 2 + 2;
	uint8_t point[65];
	uint16_t xl, yl;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;

	if (len < off + 4 || (xl = get_be16(pub + off)) != 32 || len < off + 2 + 32 + 2 ||
	    (yl = get_be16(pub + off + 34)) != 32 || len < off + 2 + 32 + 2 + 32)
		die("create: not a P-256 public key (%u bytes)", len);
	point[0] = 4;
	memcpy(point + 1, pub + off + 2, 32);
	memcpy(point + 33, pub + off + 36, 32);
	if (!b || !ctx ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) ||
	    !(params = OSSL_PARAM_BLD_to_param(b)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		die("create: OpenSSL refused the public key");
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* The signature in resp (a Sign response) verifies over DIGEST with KEY. */
static bool verify(EVP_PKEY *key, const uint8_t digest[32])
{
	uint32_t off = 10 + 4 + 2 + 2;  /* header, parameterSize, sigAlg, hash */
	const uint8_t *r, *s;
	uint16_t rl, sl;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	EVP_PKEY_CTX *ctx;
	int derlen, ok;

	r = tpm2b(&off, &rl);
	s = tpm2b(&off, &sl);
	if (!sig || !ECDSA_SIG_set0(sig, BN_bin2bn(r, rl, NULL), BN_bin2bn(s, sl, NULL)))
		return false;
	derlen = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_PKEY_CTX_new(key, NULL);
	ok = derlen > 0 && ctx && EVP_PKEY_verify_init(ctx) > 0 &&
	     EVP_PKEY_verify(ctx, der, (size_t)derlen, digest, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return ok;
}

static unsigned transients(uint32_t *out, unsigned max)
{
	unsigned n;

	must("getcap", t2_get_cap(cmd, TPM2_CAP_HANDLES, 0x80000000u, 64));
	n = resp_len >= 19 ? get_be32(resp + 15) : 0;
	if (n > max || resp_len != 19 + 4 * n)
		die("getcap: %u handles", n);
	for (unsigned i = 0; i < n; i++)
		out[i] = get_be32(resp + 19 + 4 * i);
	return n;
}

static int flow(unsigned signs)
{
	uint8_t priv[1024], pub[1024], digest[32], policy[32];
	uint32_t parent, key, session, off, priv_len, pub_len, listed[8];
	uint16_t size;
	const uint8_t *p;
	EVP_PKEY *pk;
	char msg[64];

	must("createprimary", t2_create_primary(cmd, false, NULL, 0));
	parent = get_be32(resp + 10);
	must("create", t2_create(cmd, parent));
	off = 10 + 4;
	p = tpm2b(&off, &size);
	priv_len = size + 2u;
	memcpy(priv, p - 2, priv_len);
	p = tpm2b(&off, &size);
	pub_len = size + 2u;
	memcpy(pub, p - 2, pub_len);
	pk = public_key(pub + 2, (uint16_t)(pub_len - 2));
	must("load", t2_load(cmd, parent, priv, priv_len, pub, pub_len));
	key = get_be32(resp + 10);
	for (unsigned i = 0; i < signs; i++) {
		int n = snprintf(msg, sizeof(msg), "message %u of pid %d", i, (int)getpid());

		SHA256((const unsigned char *)msg, (size_t)n, digest);
		must("sign", t2_sign_digest(cmd, key, digest, 0));
		if (!verify(pk, digest))
			die("sign: signature %u does not verify", i);
	}
	EVP_PKEY_free(pk);
	must("startauthsession", t2_start_session(cmd, TPM2_SE_POLICY));
	session = get_be32(resp + 10);
	must("policypcr", t2_policy_pcr(cmd, session));
	must("policygetdigest", t2_policy_get_digest(cmd, session));
	memcpy(policy, resp + 12, 32);
	if (transients(listed, 8) != 2 || !((listed[0] == parent && listed[1] == key) ||
					     (listed[0] == key && listed[1] == parent)))
		die("getcap: not exactly its own two transient handles");
	must("flush key", t2_flush(cmd, key));
	must("flush parent", t2_flush(cmd, parent));
	must("flush session", t2_flush(cmd, session));
	if (transients(listed, 8) != 0)
		die("getcap: handles left after flushing");
	printf("ok %u ", signs);
	for (unsigned i = 0; i < 32; i++)
		printf("%02x", policy[i]);
	printf("\n");
	return 0;
}

__attribute__((noreturn))
static void hold(unsigned objects, unsigned sessions)
{
	for (unsigned i = 0; i < objects; i++)
		must("createprimary", t2_create_primary(cmd, true, NULL, (uint8_t)i));
	for (unsigned i = 0; i < sessions; i++)
		must("startauthsession", t2_start_session(cmd, TPM2_SE_POLICY));
	printf("holding\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int fill(void)
{
	unsigned objects = 0, sessions = 0;
	uint32_t orc, src;

	while ((orc = xfer("createprimary", t2_create_primary(cmd, true, NULL,
							      (uint8_t)objects))) == 0 &&
	       objects < 4096)
		objects++;
	while ((src = xfer("startauthsession", t2_start_session(cmd, TPM2_SE_HMAC))) == 0 &&
	       sessions < 4096)
		sessions++;
	printf("objects %u rc=0x%x sessions %u rc=0x%x\n", objects, orc, sessions, src);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rmclient DEVICE flow SIGNS | hold OBJECTS SESSIONS | fill\n");
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (strcmp(argv[2], "flow") == 0 && argc == 4)
		return flow((unsigned)atoi(argv[3]));
	if (strcmp(argv[2], "hold") == 0 && argc == 5)
		hold((unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (strcmp(argv[2], "fill") == 0)
		return fill();
	fprintf(stderr, "rmclient: unknown mode '%s'\n", argv[2]);
	return 1;
}
