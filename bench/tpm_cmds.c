/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_cmds.c - TPM 2.0 command bytes for the bench (see tpm_cmds.h). */
#include <string.h>

#include "tpm_cmds.h"

#define ST_NO_SESSIONS 0x8001
#define ST_SESSIONS    0x8002
#define RH_OWNER       0x40000001u
#define RS_PW          0x40000009u

#define CC_NV_DEFINE_SPACE 0x0000012au
#define CC_CREATE_PRIMARY  0x00000131u
#define CC_NV_INCREMENT    0x00000134u
#define CC_STARTUP         0x00000144u
#define CC_FLUSH_CONTEXT   0x00000165u
#define CC_GET_RANDOM      0x0000017bu
#define CC_PCR_EXTEND      0x00000182u

/* A little writer: every put checks nothing because every command here is
 * far below CMD_MAX; the builders are fixed layouts. */
struct w {
	uint8_t *p;
	size_t n;
};

static void put8(struct w *w, uint8_t v) { w->p[w->n++] = v; }
static void put16(struct w *w, uint16_t v) { put8(w, v >> 8); put8(w, v & 0xff); }
static void put32(struct w *w, uint32_t v) { put16(w, v >> 16); put16(w, v & 0xffff); }

static void begin(struct w *w, uint8_t *out, uint16_t tag, uint32_t cc)
{
	w->p = out;
	w->n = 0;
	put16(w, tag);
	put32(w, 0);            /* size, patched by end() */
	put32(w, cc);
}

static size_t end(struct w *w)
{
	w->p[2] = (uint8_t)(w->n >> 24);
	w->p[3] = (uint8_t)(w->n >> 16);
	w->p[4] = (uint8_t)(w->n >> 8);
	w->p[5] = (uint8_t)w->n;
	return w->n;
}

/* Authorization area: one empty password session. */
static void put_pw_session(struct w *w)
{
	put32(w, 9);            /* authorizationSize */
	put32(w, RS_PW);
	put16(w, 0);            /* nonce */
	put8(w, 0);             /* session attributes */
	put16(w, 0);            /* hmac (the password) */
}

size_t cmd_startup_clear(uint8_t *out)
{
	struct w w;

	begin(&w, out, ST_NO_SESSIONS, CC_STARTUP);
	put16(&w, 0);           /* TPM_SU_CLEAR */
	return end(&w);
}

size_t cmd_getrandom(uint8_t *out, uint16_t bytes)
{
	struct w w;

	begin(&w, out, ST_NO_SESSIONS, CC_GET_RANDOM);
	put16(&w, bytes);
	return end(&w);
}

size_t cmd_pcr_extend(uint8_t *out, uint8_t fill)
{
	struct w w;

	begin(&w, out, ST_SESSIONS, CC_PCR_EXTEND);
	put32(&w, 16);          /* pcrHandle */
	put_pw_session(&w);
	put32(&w, 1);           /* TPML_DIGEST_VALUES.count */
	put16(&w, 0x000b);      /* TPM_ALG_SHA256 */
	memset(w.p + w.n, fill, 32);
	w.n += 32;
	return end(&w);
}

size_t cmd_nv_define_counter(uint8_t *out)
{
	struct w w;

	begin(&w, out, ST_SESSIONS, CC_NV_DEFINE_SPACE);
	put32(&w, RH_OWNER);
	put_pw_session(&w);
	put16(&w, 0);           /* auth: empty */
	put16(&w, 14);          /* TPM2B_NV_PUBLIC.size */
	put32(&w, BENCH_NV_INDEX);
	put16(&w, 0x000b);      /* nameAlg SHA256 */
	/* TPM_NT_COUNTER (1 << 4) | AUTHWRITE (1 << 2) | AUTHREAD (1 << 18) |
	 * NO_DA (1 << 25): so the empty password works and never locks out. */
	put32(&w, 0x10u | 0x4u | 0x40000u | 0x2000000u);
	put16(&w, 0);           /* authPolicy: empty */
	put16(&w, 8);           /* dataSize */
	return end(&w);
}

size_t cmd_nv_increment(uint8_t *out)
{
	struct w w;

	begin(&w, out, ST_SESSIONS, CC_NV_INCREMENT);
	put32(&w, BENCH_NV_INDEX); /* authHandle: the index itself */
	put32(&w, BENCH_NV_INDEX);
	put_pw_session(&w);
	return end(&w);
}

/* CreatePrimary up to the type-specific parameters; returns where
 * TPM2B_PUBLIC's contents start (its size is patched by the tail). */
static size_t create_primary_head(struct w *w, uint8_t *out, uint16_t type)
{
	size_t public_start;

	begin(w, out, ST_SESSIONS, CC_CREATE_PRIMARY);
	put32(w, RH_OWNER);
	put_pw_session(w);
	put16(w, 4);            /* TPM2B_SENSITIVE_CREATE.size */
	put16(w, 0);            /* userAuth */
	put16(w, 0);            /* data */
	put16(w, 0);            /* TPM2B_PUBLIC.size, patched by the tail */
	public_start = w->n;
	put16(w, type);
	put16(w, 0x000b);       /* nameAlg SHA256 */
	/* fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth,
	 * restricted, decrypt: a storage root key. */
	put32(w, 0x00030072);
	put16(w, 0);            /* authPolicy */
	put16(w, 0x0006);       /* symmetric: AES */
	put16(w, 128);
	put16(w, 0x0043);       /* CFB */
	put16(w, 0x0010);       /* scheme: NULL */
	return public_start;
}

static size_t create_primary_tail(struct w *w, size_t public_start)
{
	size_t public_len = w->n - public_start;

	w->p[public_start - 2] = (uint8_t)(public_len >> 8);
	w->p[public_start - 1] = (uint8_t)public_len;
	put16(w, 0);            /* outsideInfo */
	put32(w, 0);            /* creationPCR: no selections */
	return end(w);
}

size_t cmd_create_primary_rsa2048(uint8_t *out)
{
	struct w w;
	size_t start;

	start = create_primary_head(&w, out, 0x0001);
	put16(&w, 2048);        /* keyBits */
	put32(&w, 0);           /* exponent: default */
	put16(&w, 0);           /* unique: empty */
	return create_primary_tail(&w, start);
}

size_t cmd_create_primary_ecc_p256(uint8_t *out)
{
	struct w w;
	size_t start;

	start = create_primary_head(&w, out, 0x0023);
	put16(&w, 0x0003);      /* TPM_ECC_NIST_P256 */
	put16(&w, 0x0010);      /* kdf: NULL */
	put16(&w, 0);           /* unique.x */
	put16(&w, 0);           /* unique.y */
	return create_primary_tail(&w, start);
}

size_t cmd_flush_context(uint8_t *out, uint32_t handle)
{
	struct w w;

	begin(&w, out, ST_NO_SESSIONS, CC_FLUSH_CONTEXT);
	put32(&w, handle);
	return end(&w);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint32_t resp_rc(const uint8_t *resp, size_t len)
{
	return len >= 10 ? be32(resp + 6) : 0xffffffffu;
}

uint32_t resp_handle(const uint8_t *resp, size_t len)
{
	return len >= 14 && resp_rc(resp, len) == 0 ? be32(resp + 10) : 0;
}
