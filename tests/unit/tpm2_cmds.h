/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm2_cmds.h - TPM 2 commands as bytes, for the resource manager's tests,
 * fuzzer, test clients and bench: what a client sends to /dev/vtpmrmN,
 * built with tpm/tpm2_marshal. Each builder writes one whole command into
 * OUT (at least T2_CMD_MAX bytes) and returns its length. Authorization is
 * the empty password (TPM_RS_PW) unless a session handle is given.
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
#include "tpm/tpm2_marshal.h"

#define T2_CMD_MAX 4096

/* Start a command in OUT (T2_CMD_MAX bytes). */
static inline void t2_begin(struct tpm2_writer *w, uint8_t *out, uint16_t tag, uint32_t cc)
{
	tpm2_cmd_begin(w, out, T2_CMD_MAX, tag, cc);
}

/* Its length (0 if it did not fit, which no builder here does). */
static inline uint32_t t2_end(struct tpm2_writer *w)
{
	size_t len = 0;

	return tpm2_cmd_end(w, &len) == 0 ? (uint32_t)len : 0;
}

/* One session in the authorization area: the empty password, or SESSION
 * (a policy session needs no HMAC) with continueSession. */
static inline void t2_auth(struct tpm2_writer *w, uint32_t session)
{
	size_t at;

	if (!session) {
		tpm2_cmd_password(w, 0, NULL, 0);
		return;
	}
	at = tpm2w_size32_begin(w);
	tpm2w_u32(w, session);
	tpm2w_tpm2b(w, NULL, 0);
	tpm2w_u8(w, TPMA_SESSION_CONTINUESESSION);
	tpm2w_tpm2b(w, NULL, 0);
	tpm2w_size32_end(w, at);
}

/* A command with no sessions whose whole body is one 32-bit handle. */
static inline uint32_t t2_one_handle(uint8_t *out, uint32_t cc, uint32_t handle)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, cc);
	tpm2w_u32(&w, handle);
	return t2_end(&w);
}

static inline uint32_t t2_startup_clear(uint8_t *out)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_Startup);
	tpm2w_u16(&w, TPM2_SU_CLEAR);
	return t2_end(&w);
}

static inline uint32_t t2_get_random(uint8_t *out, uint16_t n)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_GetRandom);
	tpm2w_u16(&w, n);
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
	struct tpm2_writer w;
	size_t pub;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_CreatePrimary);
	tpm2w_u32(&w, TPM2_RH_OWNER);
	t2_auth(&w, 0);
	tpm2w_u16(&w, 4);          /* TPM2B_SENSITIVE_CREATE: empty auth, data */
	tpm2w_u16(&w, 0);
	tpm2w_u16(&w, 0);
	pub = tpm2w_size16_begin(&w);
	tpm2w_u16(&w, TPM2_ALG_ECC);
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	tpm2w_u32(&w, attrs);
	tpm2w_u16(&w, policy ? 32 : 0);
	if (policy)
		tpm2w_bytes(&w, policy, 32);
	if (sign) {
		tpm2w_u16(&w, TPM2_ALG_NULL);      /* symmetric */
		tpm2w_u16(&w, TPM2_ALG_ECDSA);
		tpm2w_u16(&w, TPM2_ALG_SHA256);
	} else {
		tpm2w_u16(&w, TPM2_ALG_AES);
		tpm2w_u16(&w, 128);
		tpm2w_u16(&w, TPM2_ALG_CFB);
		tpm2w_u16(&w, TPM2_ALG_NULL);
	}
	tpm2w_u16(&w, TPM2_ECC_NIST_P256);
	tpm2w_u16(&w, TPM2_ALG_NULL);      /* kdf */
	tpm2w_tpm2b(&w, &unique, 1);      /* unique.x */
	tpm2w_u16(&w, 0);                  /* unique.y */
	tpm2w_size16_end(&w, pub);
	tpm2w_u16(&w, 0);                  /* outsideInfo */
	tpm2w_u32(&w, 0);                  /* creationPCR */
	return t2_end(&w);
}

/* The public template of an ECC NIST P-256 ECDSA/SHA-256 signing key with
 * no dictionary-attack protection, as a TPM2B_PUBLIC. */
static inline void t2_ecc_sign_template(struct tpm2_writer *w)
{
	size_t pub = tpm2w_size16_begin(w);

	tpm2w_u16(w, TPM2_ALG_ECC);
	tpm2w_u16(w, TPM2_ALG_SHA256);
	tpm2w_u32(w, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		  TPMA_OBJECT_NODA | TPMA_OBJECT_SIGN_ENCRYPT);
	tpm2w_u16(w, 0);                   /* authPolicy */
	tpm2w_u16(w, TPM2_ALG_NULL);       /* symmetric */
	tpm2w_u16(w, TPM2_ALG_ECDSA);
	tpm2w_u16(w, TPM2_ALG_SHA256);
	tpm2w_u16(w, TPM2_ECC_NIST_P256);
	tpm2w_u16(w, TPM2_ALG_NULL);       /* kdf */
	tpm2w_u16(w, 0);                   /* unique.x */
	tpm2w_u16(w, 0);                   /* unique.y */
	tpm2w_size16_end(w, pub);
}

/* Create an ECC signing key (t2_ecc_sign_template) under PARENT. */
static inline uint32_t t2_create(uint8_t *out, uint32_t parent)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_Create);
	tpm2w_u32(&w, parent);
	t2_auth(&w, 0);
	tpm2w_u16(&w, 4);                  /* TPM2B_SENSITIVE_CREATE: empty */
	tpm2w_u16(&w, 0);
	tpm2w_u16(&w, 0);
	t2_ecc_sign_template(&w);
	tpm2w_u16(&w, 0);                  /* outsideInfo */
	tpm2w_u32(&w, 0);                  /* creationPCR */
	return t2_end(&w);
}

/* Load under PARENT the private and public parts (TPM2Bs, as Create
 * returned them: PRIV_LEN and PUB_LEN bytes each, sizes included). */
static inline uint32_t t2_load(uint8_t *out, uint32_t parent, const uint8_t *priv,
			       uint32_t priv_len, const uint8_t *pub, uint32_t pub_len)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_Load);
	tpm2w_u32(&w, parent);
	t2_auth(&w, 0);
	tpm2w_bytes(&w, priv, priv_len);
	tpm2w_bytes(&w, pub, pub_len);
	return t2_end(&w);
}

static inline uint32_t t2_read_public(uint8_t *out, uint32_t handle)
{
	return t2_one_handle(out, TPM2_CC_ReadPublic, handle);
}

/* Sign the SHA-256 DIGEST with KEY (ECDSA), authorized by SESSION (0:
 * the empty password). */
static inline uint32_t t2_sign_digest(uint8_t *out, uint32_t key, const uint8_t digest[32],
				      uint32_t session)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_SESSIONS, TPM2_CC_Sign);
	tpm2w_u32(&w, key);
	t2_auth(&w, session);
	tpm2w_u16(&w, 32);
	tpm2w_bytes(&w, digest, 32);
	tpm2w_u16(&w, TPM2_ALG_ECDSA);
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	tpm2w_u16(&w, TPM2_ST_HASHCHECK);  /* validation: a NULL ticket */
	tpm2w_u32(&w, TPM2_RH_NULL);
	tpm2w_u16(&w, 0);
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
	return t2_one_handle(out, TPM2_CC_FlushContext, handle);
}

static inline uint32_t t2_context_save(uint8_t *out, uint32_t handle)
{
	return t2_one_handle(out, TPM2_CC_ContextSave, handle);
}

/* CTX: the TPMS_CONTEXT a ContextSave response carried after its header. */
static inline uint32_t t2_context_load(uint8_t *out, const uint8_t *ctx, uint32_t len)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_ContextLoad);
	tpm2w_bytes(&w, ctx, len);
	return t2_end(&w);
}

/* An unbound, unsalted session of TYPE (TPM2_SE_HMAC, _POLICY, _TRIAL). */
static inline uint32_t t2_start_session(uint8_t *out, uint8_t type)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_StartAuthSession);
	tpm2w_u32(&w, TPM2_RH_NULL);       /* tpmKey */
	tpm2w_u32(&w, TPM2_RH_NULL);       /* bind */
	tpm2w_tpm2b(&w, "ZZZZZZZZZZZZZZZZ", 16);  /* nonceCaller */
	tpm2w_u16(&w, 0);                  /* encryptedSalt */
	tpm2w_u8(&w, type);
	tpm2w_u16(&w, TPM2_ALG_NULL);      /* symmetric */
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	return t2_end(&w);
}

/* PolicyPCR on PCR 0 (SHA-256), the TPM's current value. */
static inline uint32_t t2_policy_pcr(uint8_t *out, uint32_t session)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_PolicyPCR);
	tpm2w_u32(&w, session);
	tpm2w_u16(&w, 0);                  /* pcrDigest: the TPM's */
	tpm2w_u32(&w, 1);
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	tpm2w_u8(&w, 3);
	tpm2w_u8(&w, 1);
	tpm2w_u8(&w, 0);
	tpm2w_u8(&w, 0);
	return t2_end(&w);
}

static inline uint32_t t2_policy_get_digest(uint8_t *out, uint32_t session)
{
	return t2_one_handle(out, TPM2_CC_PolicyGetDigest, session);
}

static inline uint32_t t2_get_cap(uint8_t *out, uint32_t cap, uint32_t property,
				  uint32_t count)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_GetCapability);
	tpm2w_u32(&w, cap);
	tpm2w_u32(&w, property);
	tpm2w_u32(&w, count);
	return t2_end(&w);
}

static inline uint32_t t2_hash_sequence_start(uint8_t *out)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_NO_SESSIONS, TPM2_CC_HashSequenceStart);
	tpm2w_u16(&w, 0);                  /* auth */
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	return t2_end(&w);
}

/* SequenceUpdate, or SequenceComplete (in the owner hierarchy), of LEN
 * bytes of DATA. */
static inline uint32_t t2_sequence(uint8_t *out, uint32_t seq, bool complete,
				   const void *data, uint16_t len)
{
	struct tpm2_writer w;

	t2_begin(&w, out, TPM2_ST_SESSIONS,
		 complete ? TPM2_CC_SequenceComplete : TPM2_CC_SequenceUpdate);
	tpm2w_u32(&w, seq);
	t2_auth(&w, 0);
	tpm2w_u16(&w, len);
	tpm2w_bytes(&w, data, len);
	if (complete)
		tpm2w_u32(&w, TPM2_RH_OWNER);
	return t2_end(&w);
}

static inline uint32_t t2_rc(const uint8_t *resp, uint32_t len)
{
	return len >= 10 ? get_be32(resp + 6) : 0xffffffffu;
}

#endif
