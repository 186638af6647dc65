/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_cmds.c - TPM 2.0 command bytes for the bench (see tpm_cmds.h), built
 * with vtpmd's own marshalling (tpm/tpm2_marshal.h). */
#include <string.h>

#include "mem/bytes.h"
#include "tpm/tpm2_marshal.h"
#include "tpm_cmds.h"

/* Every command here is a fixed layout far below CMD_MAX: a builder that
 * did not fit is a bug in this file, and gives length 0. */
static size_t end(struct tpm2_writer *w)
{
	size_t len;

	return tpm2_cmd_end(w, &len) < 0 ? 0 : len;
}

/* Authorization area: one empty password session. */
static void put_pw_session(struct tpm2_writer *w)
{
	tpm2_cmd_password(w, 0, NULL, 0);
}

size_t cmd_startup_clear(uint8_t *out)
{
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, out, CMD_MAX, TPM2_ST_NO_SESSIONS, TPM2_CC_Startup);
	tpm2w_u16(&w, TPM2_SU_CLEAR);
	return end(&w);
}

size_t cmd_getrandom(uint8_t *out, uint16_t bytes)
{
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, out, CMD_MAX, TPM2_ST_NO_SESSIONS, TPM2_CC_GetRandom);
	tpm2w_u16(&w, bytes);
	return end(&w);
}

size_t cmd_pcr_extend(uint8_t *out, uint8_t fill)
{
	struct tpm2_writer w;
	uint8_t digest[32];

	memset(digest, fill, sizeof(digest));
	tpm2_cmd_begin(&w, out, CMD_MAX, TPM2_ST_SESSIONS, TPM2_CC_PCR_Extend);
	tpm2w_u32(&w, 16);              /* pcrHandle */
	put_pw_session(&w);
	tpm2w_u32(&w, 1);               /* TPML_DIGEST_VALUES.count */
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	tpm2w_bytes(&w, digest, sizeof(digest));
	return end(&w);
}

size_t cmd_nv_define_counter(uint8_t *out)
{
	struct tpm2_writer w;
	size_t at;

	tpm2_cmd_begin(&w, out, CMD_MAX, TPM2_ST_SESSIONS, TPM2_CC_NV_DefineSpace);
	tpm2w_u32(&w, TPM2_RH_OWNER);
	put_pw_session(&w);
	tpm2w_u16(&w, 0);               /* auth: empty */
	at = tpm2w_size16_begin(&w);    /* TPM2B_NV_PUBLIC */
	tpm2w_u32(&w, BENCH_NV_INDEX);
	tpm2w_u16(&w, TPM2_ALG_SHA256); /* nameAlg */
	/* a counter, the empty password works and never locks out */
	tpm2w_u32(&w, TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT | TPMA_NV_AUTHWRITE |
		  TPMA_NV_AUTHREAD | TPMA_NV_NO_DA);
	tpm2w_u16(&w, 0);               /* authPolicy: empty */
	tpm2w_u16(&w, 8);               /* dataSize */
	tpm2w_size16_end(&w, at);
	return end(&w);
}

size_t cmd_nv_increment(uint8_t *out)
{
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, out, CMD_MAX, TPM2_ST_SESSIONS, TPM2_CC_NV_Increment);
	tpm2w_u32(&w, BENCH_NV_INDEX);  /* authHandle: the index itself */
	tpm2w_u32(&w, BENCH_NV_INDEX);
	put_pw_session(&w);
	return end(&w);
}

/* CreatePrimary up to the type-specific parameters; returns where
 * TPM2B_PUBLIC starts (the tail sets its size). */
static size_t create_primary_head(struct tpm2_writer *w, uint8_t *out,
				  uint16_t type)
{
	size_t at;

	tpm2_cmd_begin(w, out, CMD_MAX, TPM2_ST_SESSIONS, TPM2_CC_CreatePrimary);
	tpm2w_u32(w, TPM2_RH_OWNER);
	put_pw_session(w);
	at = tpm2w_size16_begin(w);     /* TPM2B_SENSITIVE_CREATE */
	tpm2w_u16(w, 0);                /* userAuth */
	tpm2w_u16(w, 0);                /* data */
	tpm2w_size16_end(w, at);
	at = tpm2w_size16_begin(w);     /* TPM2B_PUBLIC */
	tpm2w_u16(w, type);
	tpm2w_u16(w, TPM2_ALG_SHA256);  /* nameAlg */
	/* a storage root key */
	tpm2w_u32(w, TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
		  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT);
	tpm2w_u16(w, 0);                /* authPolicy */
	tpm2w_u16(w, TPM2_ALG_AES);     /* symmetric */
	tpm2w_u16(w, 128);
	tpm2w_u16(w, TPM2_ALG_CFB);
	tpm2w_u16(w, TPM2_ALG_NULL);    /* scheme */
	return at;
}

static size_t create_primary_tail(struct tpm2_writer *w, size_t public_at)
{
	tpm2w_size16_end(w, public_at);
	tpm2w_u16(w, 0);                /* outsideInfo */
	tpm2w_u32(w, 0);                /* creationPCR: no selections */
	return end(w);
}

size_t cmd_create_primary_rsa2048(uint8_t *out)
{
	struct tpm2_writer w;
	size_t at;

	at = create_primary_head(&w, out, TPM2_ALG_RSA);
	tpm2w_u16(&w, 2048);            /* keyBits */
	tpm2w_u32(&w, 0);               /* exponent: default */
	tpm2w_u16(&w, 0);               /* unique: empty */
	return create_primary_tail(&w, at);
}

size_t cmd_create_primary_ecc_p256(uint8_t *out)
{
	struct tpm2_writer w;
	size_t at;

	at = create_primary_head(&w, out, TPM2_ALG_ECC);
	tpm2w_u16(&w, TPM2_ECC_NIST_P256);
	tpm2w_u16(&w, TPM2_ALG_NULL);   /* kdf */
	tpm2w_u16(&w, 0);               /* unique.x */
	tpm2w_u16(&w, 0);               /* unique.y */
	return create_primary_tail(&w, at);
}

size_t cmd_flush_context(uint8_t *out, uint32_t handle)
{
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, out, CMD_MAX, TPM2_ST_NO_SESSIONS, TPM2_CC_FlushContext);
	tpm2w_u32(&w, handle);
	return end(&w);
}

uint32_t resp_rc(const uint8_t *resp, size_t len)
{
	return len >= 10 ? get_be32(resp + 6) : 0xffffffffu;
}

uint32_t resp_handle(const uint8_t *resp, size_t len)
{
	return len >= 14 && resp_rc(resp, len) == 0 ? get_be32(resp + 10) : 0;
}
