/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm2_cmds.h - TPM 2 commands as bytes, for the resource manager's tests
 * and fuzzer: what a client sends to /dev/vtpmrmN. Each builder writes one
 * whole command into OUT (at least T2_CMD_MAX bytes) and returns its
 * length. Authorization is the empty password (TPM_RS_PW) unless a
 * session handle is given.
 *
 * Test code: static functions.
 */
#ifndef VTPMD_TEST_TPM2_CMDS_H
#define VTPMD_TEST_TPM2_CMDS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

#include "mem/bytes.h"

#define T2_CMD_MAX 4096

struct t2w {
	uint8_t *p;
	uint32_t n;
};

static inline void t2_u8(struct t2w *w, uint8_t v) { w->p[w->n++] = v; }
static inline void t2_u16(struct t2w *w, uint16_t v) { put_be16(w->p + w->n, v); w->n += 2; }
static inline void t2_u32(struct t2w *w, uint32_t v) { put_be32(w->p + w->n, v); w->n += 4; }

static inline void t2_bytes(struct t2w *w, const void *b, uint32_t len)
{
	memcpy(w->p + w->n, b, len);
	w->n += len;
}

static inline void t2_begin(struct t2w *w, uint8_t *out, uint16_t tag, uint32_t cc)
{
	w->p = out;
	w->n = 0;
	t2_u16(w, tag);
	t2_u32(w, 0);
	t2_u32(w, cc);
}

static inline uint32_t t2_end(struct t2w *w)
{
	put_be32(w->p + 2, w->n);
	return w->n;
}

/* One session in the authorization area: the empty password, or SESSION
 * (a policy session needs no HMAC) with continueSession. */
static inline void t2_auth(struct t2w *w, uint32_t session)
{
	t2_u32(w, 9);
	t2_u32(w, session ? session : TPM2_RS_PW);
	t2_u16(w, 0);
	t2_u8(w, session ? TPMA_SESSION_CONTINUESESSION : 0);
	t2_u16(w, 0);
}

static inline uint32_t t2_startup_clear(uint8_t *out)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_Startup);
	t2_u16(&w, TPM2_SU_CLEAR);
	return t2_end(&w);
}

static inline uint32_t t2_get_random(uint8_t *out, uint16_t n)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_GetRandom);
	t2_u16(&w, n);
	return t2_end(&w);
}

/*
 * CreatePrimary in the owner hierarchy of an ECC NIST P-256 key: a signing
 * key (ECDSA, SHA-256) or a storage key. POLICY (32 bytes, or NULL) is its
 * authPolicy; with one the key takes only policy sessions. UNIQUE tells
 * primaries of one template apart (the TPM derives them from it). No
 * dictionary-attack protection: its first use is not a TPM_RC_RETRY.
 */
static inline uint32_t t2_create_primary(uint8_t *out, bool sign, const uint8_t *policy,
					 uint8_t unique)
{
	uint32_t attrs = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA |
			 (policy ? 0 : TPMA_OBJECT_USERWITHAUTH) |
			 (sign ? TPMA_OBJECT_SIGN_ENCRYPT :
				 TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT);
	struct t2w w;
	uint32_t start;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_CreatePrimary);
	t2_u32(&w, TPM2_RH_OWNER);
	t2_auth(&w, 0);
	t2_u16(&w, 4);          /* TPM2B_SENSITIVE_CREATE: empty auth, data */
	t2_u16(&w, 0);
	t2_u16(&w, 0);
	t2_u16(&w, 0);          /* TPM2B_PUBLIC size, below */
	start = w.n;
	t2_u16(&w, TPM2_ALG_ECC);
	t2_u16(&w, TPM2_ALG_SHA256);
	t2_u32(&w, attrs);
	t2_u16(&w, policy ? 32 : 0);
	if (policy)
		t2_bytes(&w, policy, 32);
	if (sign) {
		t2_u16(&w, TPM2_ALG_NULL);      /* symmetric */
		t2_u16(&w, TPM2_ALG_ECDSA);
		t2_u16(&w, TPM2_ALG_SHA256);
	} else {
		t2_u16(&w, TPM2_ALG_AES);
		t2_u16(&w, 128);
		t2_u16(&w, TPM2_ALG_CFB);
		t2_u16(&w, TPM2_ALG_NULL);
	}
	t2_u16(&w, TPM2_ECC_NIST_P256);
	t2_u16(&w, TPM2_ALG_NULL);      /* kdf */
	t2_u16(&w, 1);                  /* unique.x */
	t2_u8(&w, unique);
	t2_u16(&w, 0);                  /* unique.y */
	put_be16(out + start - 2, (uint16_t)(w.n - start));
	t2_u16(&w, 0);                  /* outsideInfo */
	t2_u32(&w, 0);                  /* creationPCR */
	return t2_end(&w);
}

/* The public template of an ECC NIST P-256 ECDSA/SHA-256 signing key with
 * no dictionary-attack protection, as a TPM2B_PUBLIC. */
static inline void t2_ecc_sign_template(struct t2w *w)
{
	uint32_t start;

	t2_u16(w, 0);
	start = w->n;
	t2_u16(w, TPM2_ALG_ECC);
	t2_u16(w, TPM2_ALG_SHA256);
	t2_u32(w, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		  TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT);
	t2_u16(w, 0);                   /* authPolicy */
	t2_u16(w, TPM2_ALG_NULL);       /* symmetric */
	t2_u16(w, TPM2_ALG_ECDSA);
	t2_u16(w, TPM2_ALG_SHA256);
	t2_u16(w, TPM2_ECC_NIST_P256);
	t2_u16(w, TPM2_ALG_NULL);       /* kdf */
	t2_u16(w, 0);                   /* unique.x */
	t2_u16(w, 0);                   /* unique.y */
	put_be16(w->p + start - 2, (uint16_t)(w->n - start));
}

/* Create an ECC signing key (t2_ecc_sign_template) under PARENT. */
static inline uint32_t t2_create(uint8_t *out, uint32_t parent)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_Create);
	t2_u32(&w, parent);
	t2_auth(&w, 0);
	t2_u16(&w, 4);                  /* TPM2B_SENSITIVE_CREATE: empty */
	t2_u16(&w, 0);
	t2_u16(&w, 0);
	t2_ecc_sign_template(&w);
	t2_u16(&w, 0);                  /* outsideInfo */
	t2_u32(&w, 0);                  /* creationPCR */
	return t2_end(&w);
}

/* Load under PARENT the private and public parts (TPM2Bs, as Create
 * returned them: PRIV_LEN and PUB_LEN bytes each, sizes included). */
static inline uint32_t t2_load(uint8_t *out, uint32_t parent, const uint8_t *priv,
			       uint32_t priv_len, const uint8_t *pub, uint32_t pub_len)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_Load);
	t2_u32(&w, parent);
	t2_auth(&w, 0);
	t2_bytes(&w, priv, priv_len);
	t2_bytes(&w, pub, pub_len);
	return t2_end(&w);
}

static inline uint32_t t2_read_public(uint8_t *out, uint32_t handle)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_ReadPublic);
	t2_u32(&w, handle);
	return t2_end(&w);
}

/* Sign the SHA-256 DIGEST with KEY (ECDSA), authorized by SESSION (0:
 * the empty password). */
static inline uint32_t t2_sign_digest(uint8_t *out, uint32_t key, const uint8_t digest[32],
				      uint32_t session)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_Sign);
	t2_u32(&w, key);
	t2_auth(&w, session);
	t2_u16(&w, 32);
	t2_bytes(&w, digest, 32);
	t2_u16(&w, TPM2_ALG_ECDSA);
	t2_u16(&w, TPM2_ALG_SHA256);
	t2_u16(&w, TPM2_ST_HASHCHECK);  /* validation: a NULL ticket */
	t2_u32(&w, TPM2_RH_NULL);
	t2_u16(&w, 0);
	return t2_end(&w);
}

/* The same with a digest of 32 bytes FILL. */
static inline uint32_t t2_sign(uint8_t *out, uint32_t key, uint8_t fill, uint32_t session)
{
	uint8_t digest[32];

	memset(digest, fill, sizeof(digest));
	return t2_sign_digest(out, key, digest, session);
}

static inline uint32_t t2_flush(uint8_t *out, uint32_t handle)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_FlushContext);
	t2_u32(&w, handle);
	return t2_end(&w);
}

static inline uint32_t t2_context_save(uint8_t *out, uint32_t handle)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_ContextSave);
	t2_u32(&w, handle);
	return t2_end(&w);
}

/* CTX: the TPMS_CONTEXT a ContextSave response carried after its header. */
static inline uint32_t t2_context_load(uint8_t *out, const uint8_t *ctx, uint32_t len)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_ContextLoad);
	t2_bytes(&w, ctx, len);
	return t2_end(&w);
}

/* An unbound, unsalted session of TYPE (TPM2_SE_HMAC, _POLICY, _TRIAL). */
static inline uint32_t t2_start_session(uint8_t *out, uint8_t type)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_StartAuthSession);
	t2_u32(&w, TPM2_RH_NULL);       /* tpmKey */
	t2_u32(&w, TPM2_RH_NULL);       /* bind */
	t2_u16(&w, 16);                 /* nonceCaller */
	memset(w.p + w.n, 0x5a, 16);
	w.n += 16;
	t2_u16(&w, 0);                  /* encryptedSalt */
	t2_u8(&w, type);
	t2_u16(&w, TPM2_ALG_NULL);      /* symmetric */
	t2_u16(&w, TPM2_ALG_SHA256);
	return t2_end(&w);
}

/* PolicyPCR on PCR 0 (SHA-256), the TPM's current value. */
static inline uint32_t t2_policy_pcr(uint8_t *out, uint32_t session)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_PolicyPCR);
	t2_u32(&w, session);
	t2_u16(&w, 0);                  /* pcrDigest: the TPM's */
	t2_u32(&w, 1);
	t2_u16(&w, TPM2_ALG_SHA256);
	t2_u8(&w, 3);
	t2_u8(&w, 1);
	t2_u8(&w, 0);
	t2_u8(&w, 0);
	return t2_end(&w);
}

static inline uint32_t t2_policy_get_digest(uint8_t *out, uint32_t session)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_PolicyGetDigest);
	t2_u32(&w, session);
	return t2_end(&w);
}

static inline uint32_t t2_get_cap(uint8_t *out, uint32_t cap, uint32_t property,
				  uint32_t count)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_GetCapability);
	t2_u32(&w, cap);
	t2_u32(&w, property);
	t2_u32(&w, count);
	return t2_end(&w);
}

static inline uint32_t t2_hash_sequence_start(uint8_t *out)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_HashSequenceStart);
	t2_u16(&w, 0);                  /* auth */
	t2_u16(&w, TPM2_ALG_SHA256);
	return t2_end(&w);
}

/* SequenceUpdate, or SequenceComplete (in the owner hierarchy), of LEN
 * bytes of DATA. */
static inline uint32_t t2_sequence(uint8_t *out, uint32_t seq, bool complete,
				   const void *data, uint16_t len)
{
	struct t2w w;

	t2_begin(&w, out, TPM2_ST_SESSIONS,
		 complete ? TPM2_CC_SequenceComplete : TPM2_CC_SequenceUpdate);
	t2_u32(&w, seq);
	t2_auth(&w, 0);
	t2_u16(&w, len);
	t2_bytes(&w, data, len);
	if (complete)
		t2_u32(&w, TPM2_RH_OWNER);
	return t2_end(&w);
}

static inline uint32_t t2_rc(const uint8_t *resp, uint32_t len)
{
	return len >= 10 ? get_be32(resp + 6) : 0xffffffffu;
}

#endif
