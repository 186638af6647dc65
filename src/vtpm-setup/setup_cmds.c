/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_cmds.c - the TPM 2 commands of vtpm-setup (see setup_cmds.h). */
#include <string.h>

#include "tpm/tpm2_marshal.h"
#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_tpm.h"

/* TPM2_NV_Write carries at most MAX_NV_BUFFER_SIZE (1024 in libtpms). */
#define NV_WRITE_CHUNK 1024
#define BUF_SIZE 4096

/* The authorization area of one empty-password session. */
static void password_session(struct tpm2_writer *w)
{
	tpm2_cmd_password(w, 0, NULL, 0);
}

/*
 * Finish W, run it, check the response header. On success R reads the
 * response after its header.
 */
static uint32_t run(struct tpm2_writer *w, uint8_t *resp, struct tpm2_reader *r)
{
	size_t cmd_len, resp_len;
	uint16_t tag;
	uint32_t rc;

	if (tpm2_cmd_end(w, &cmd_len) < 0)
		return SETUP_RC_LOCAL;
	if (setup_tpm_transact(w->buf, cmd_len, resp, BUF_SIZE, &resp_len) < 0)
		return SETUP_RC_LOCAL;
	if (tpm2_rsp_begin(r, resp, resp_len, &tag, &rc) < 0)
		return SETUP_RC_LOCAL;
	return rc;
}

/* Commands whose response carries nothing vtpm-setup needs. */
static uint32_t run_plain(struct tpm2_writer *w)
{
	uint8_t resp[BUF_SIZE];
	struct tpm2_reader r;

	return run(w, resp, &r);
}

uint32_t tpm2cmd_startup(uint16_t type)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_NO_SESSIONS, TPM2_CC_Startup);
	tpm2w_u16(&w, type);
	return run_plain(&w);
}

uint32_t tpm2cmd_shutdown(uint16_t type)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_NO_SESSIONS, TPM2_CC_Shutdown);
	tpm2w_u16(&w, type);
	return run_plain(&w);
}

/* Skip a TPMT_SYM_DEF_OBJECT. */
static void skip_symmetric(struct tpm2_reader *r)
{
	if (tpm2r_u16(r) != TPM2_ALG_NULL)
		tpm2r_skip(r, 4);       /* keyBits, mode */
}

/* Skip a TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME: every
 * scheme's details start with a hash, but RSAES has none and ECDAA adds
 * a count. */
static void skip_scheme(struct tpm2_reader *r)
{
	uint16_t alg = tpm2r_u16(r);

	if (alg == TPM2_ALG_NULL || alg == TPM2_ALG_RSAES)
		return;
	tpm2r_skip(r, alg == TPM2_ALG_ECDAA ? 4 : 2);
}

/* Parse a TPM2B_PUBLIC holding an RSA or ECC key. */
static bool parse_public(struct tpm2_reader *r, struct tpm2_pubkey *pub)
{
	struct tpm2_reader p;
	size_t n;

	memset(pub, 0, sizeof(*pub));
	tpm2r_sized(r, &p);
	pub->type = tpm2r_u16(&p);
	pub->name_alg = tpm2r_u16(&p);
	pub->attributes = tpm2r_u32(&p);
	(void)tpm2r_tpm2b(&p, &n);              /* authPolicy */
	skip_symmetric(&p);
	skip_scheme(&p);
	if (pub->type == TPM2_ALG_RSA) {
		pub->rsa_bits = tpm2r_u16(&p);
		pub->rsa_exponent = tpm2r_u32(&p);
		tpm2r_tpm2b_copy(&p, pub->rsa_n, sizeof(pub->rsa_n), &pub->rsa_n_len);
	} else if (pub->type == TPM2_ALG_ECC) {
		pub->ecc_curve = tpm2r_u16(&p);
		skip_scheme(&p);        /* kdf */
		tpm2r_tpm2b_copy(&p, pub->ecc_x, sizeof(pub->ecc_x), &pub->ecc_x_len);
		tpm2r_tpm2b_copy(&p, pub->ecc_y, sizeof(pub->ecc_y), &pub->ecc_y_len);
	} else {
		return false;
	}
	return tpm2r_done(&p) && !tpm2r_failed(r);
}

uint32_t tpm2cmd_create_primary(uint32_t hierarchy, const uint8_t *tmpl,
				size_t tmpl_len, uint32_t *handle,
				struct tpm2_pubkey *pub)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct tpm2_writer w;
	struct tpm2_reader r;
	uint32_t rc;
	size_t at;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_CreatePrimary);
	tpm2w_u32(&w, hierarchy);
	password_session(&w);
	at = tpm2w_size16_begin(&w);    /* inSensitive: empty userAuth and data */
	tpm2w_u16(&w, 0);
	tpm2w_u16(&w, 0);
	tpm2w_size16_end(&w, at);
	tpm2w_tpm2b(&w, tmpl, tmpl_len);
	tpm2w_u16(&w, 0);               /* outsideInfo */
	tpm2w_u32(&w, 0);               /* creationPCR: none */
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	*handle = tpm2r_u32(&r);
	(void)tpm2r_u32(&r);            /* parameterSize */
	return parse_public(&r, pub) ? TPM2_RC_SUCCESS : SETUP_RC_LOCAL;
}

uint32_t tpm2cmd_read_public(uint32_t handle, struct tpm2_pubkey *pub)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct tpm2_writer w;
	struct tpm2_reader r;
	uint32_t rc;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_NO_SESSIONS, TPM2_CC_ReadPublic);
	tpm2w_u32(&w, handle);
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	return parse_public(&r, pub) ? TPM2_RC_SUCCESS : SETUP_RC_LOCAL;
}

uint32_t tpm2cmd_evict_control(uint32_t object, uint32_t persistent)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_EvictControl);
	tpm2w_u32(&w, TPM2_RH_OWNER);
	tpm2w_u32(&w, object);
	password_session(&w);
	tpm2w_u32(&w, persistent);
	return run_plain(&w);
}

uint32_t tpm2cmd_flush_context(uint32_t handle)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_NO_SESSIONS, TPM2_CC_FlushContext);
	tpm2w_u32(&w, handle);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_define_space(uint32_t index, uint32_t attributes,
				 uint16_t size)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;
	size_t at;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_NV_DefineSpace);
	tpm2w_u32(&w, TPM2_RH_PLATFORM);
	password_session(&w);
	tpm2w_u16(&w, 0);               /* auth: none */
	at = tpm2w_size16_begin(&w);    /* TPM2B_NV_PUBLIC */
	tpm2w_u32(&w, index);
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	tpm2w_u32(&w, attributes);
	tpm2w_u16(&w, 0);               /* authPolicy: none */
	tpm2w_u16(&w, size);
	tpm2w_size16_end(&w, at);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_undefine_space(uint32_t index)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_NV_UndefineSpace);
	tpm2w_u32(&w, TPM2_RH_PLATFORM);
	tpm2w_u32(&w, index);
	password_session(&w);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_write(uint32_t index, const uint8_t *data, size_t len)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;
	size_t off, n;
	uint32_t rc;

	if (len > UINT16_MAX)
		return SETUP_RC_LOCAL;
	for (off = 0; off < len; off += n) {
		n = len - off < NV_WRITE_CHUNK ? len - off : NV_WRITE_CHUNK;
		tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_NV_Write);
		tpm2w_u32(&w, TPM2_RH_PLATFORM);
		tpm2w_u32(&w, index);
		password_session(&w);
		tpm2w_tpm2b(&w, data + off, n);
		tpm2w_u16(&w, (uint16_t)off);
		rc = run_plain(&w);
		if (rc != TPM2_RC_SUCCESS)
			return rc;
	}
	return TPM2_RC_SUCCESS;
}

uint32_t tpm2cmd_nv_write_lock(uint32_t index)
{
	uint8_t buf[BUF_SIZE];
	struct tpm2_writer w;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_NV_WriteLock);
	tpm2w_u32(&w, TPM2_RH_PLATFORM);
	tpm2w_u32(&w, index);
	password_session(&w);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_read_public(uint32_t index, uint32_t *attributes,
				uint16_t *size)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct tpm2_writer w;
	struct tpm2_reader r, p;
	uint32_t rc;
	size_t n;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_NO_SESSIONS, TPM2_CC_NV_ReadPublic);
	tpm2w_u32(&w, index);
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	tpm2r_sized(&r, &p);                    /* TPM2B_NV_PUBLIC */
	if (tpm2r_u32(&p) != index)
		return SETUP_RC_LOCAL;
	(void)tpm2r_u16(&p);                    /* nameAlg */
	*attributes = tpm2r_u32(&p);
	(void)tpm2r_tpm2b(&p, &n);              /* authPolicy */
	*size = tpm2r_u16(&p);
	return tpm2r_failed(&p) ? SETUP_RC_LOCAL : TPM2_RC_SUCCESS;
}

uint32_t tpm2cmd_pcr_banks(struct tpm2_pcr_bank *banks, size_t cap, size_t *n)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct tpm2_writer w;
	struct tpm2_reader r;
	uint32_t rc, count, i, j;

	*n = 0;
	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_NO_SESSIONS, TPM2_CC_GetCapability);
	tpm2w_u32(&w, TPM2_CAP_PCRS);
	tpm2w_u32(&w, 0);
	tpm2w_u32(&w, 64);
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	(void)tpm2r_u8(&r);                     /* moreData */
	if (tpm2r_u32(&r) != TPM2_CAP_PCRS)
		return SETUP_RC_LOCAL;
	count = tpm2r_u32(&r);
	if (count > cap)
		return SETUP_RC_LOCAL;
	for (i = 0; i < count; i++) {
		uint8_t select_len;
		const uint8_t *select;

		banks[i].alg = tpm2r_u16(&r);
		select_len = tpm2r_u8(&r);
		select = tpm2r_bytes(&r, select_len);
		banks[i].active = false;
		for (j = 0; select && j < select_len; j++)
			banks[i].active |= select[j] != 0;
	}
	if (tpm2r_failed(&r))
		return SETUP_RC_LOCAL;
	*n = count;
	return TPM2_RC_SUCCESS;
}

uint32_t tpm2cmd_pcr_allocate(const uint16_t *want, size_t n_want,
			      const struct tpm2_pcr_bank *all, size_t n_all)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct tpm2_writer w;
	struct tpm2_reader r;
	size_t i, j;
	uint32_t rc;

	tpm2_cmd_begin(&w, buf, sizeof(buf), TPM2_ST_SESSIONS, TPM2_CC_PCR_Allocate);
	tpm2w_u32(&w, TPM2_RH_PLATFORM);
	password_session(&w);
	tpm2w_u32(&w, (uint32_t)n_all);
	for (i = 0; i < n_all; i++) {
		bool on = false;

		for (j = 0; j < n_want; j++)
			on |= want[j] == all[i].alg;
		/* 24 PCRs, three bytes of select bits */
		tpm2w_u16(&w, all[i].alg);
		tpm2w_u8(&w, 3);
		tpm2w_u8(&w, on ? 0xff : 0);
		tpm2w_u8(&w, on ? 0xff : 0);
		tpm2w_u8(&w, on ? 0xff : 0);
	}
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	(void)tpm2r_u32(&r);                    /* parameterSize */
	if (tpm2r_u8(&r) != 1)                  /* allocationSuccess */
		return tpm2r_failed(&r) ? SETUP_RC_LOCAL : TPM2_RC_FAILURE;
	return TPM2_RC_SUCCESS;
}

static const struct {
	uint16_t alg;
	const char *name;
} banks[] = {
	{ TPM2_ALG_SHA1, "sha1" },
	{ TPM2_ALG_SHA256, "sha256" },
	{ TPM2_ALG_SHA384, "sha384" },
	{ TPM2_ALG_SHA512, "sha512" },
	{ TPM2_ALG_SM3_256, "sm3-256" },
	{ TPM2_ALG_SHA3_256, "sha3-256" },
	{ TPM2_ALG_SHA3_384, "sha3-384" },
	{ TPM2_ALG_SHA3_512, "sha3-512" },
};

const char *tpm2_bank_name(uint16_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return banks[i].name;
	return NULL;
}

uint16_t tpm2_bank_alg(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (strcmp(banks[i].name, name) == 0)
			return banks[i].alg;
	return 0;
}

const char *tpm2_rc_name(uint32_t rc)
{
	static const struct {
		uint32_t rc;
		const char *name;
	} names[] = {
		{ TPM2_RC_VALUE, "TPM_RC_VALUE" }, { TPM2_RC_HIERARCHY, "TPM_RC_HIERARCHY" },
		{ TPM2_RC_KEY_SIZE, "TPM_RC_KEY_SIZE" }, { TPM2_RC_TYPE, "TPM_RC_TYPE" },
		{ TPM2_RC_HANDLE, "TPM_RC_HANDLE" }, { TPM2_RC_AUTH_FAIL, "TPM_RC_AUTH_FAIL" },
		{ TPM2_RC_SIZE, "TPM_RC_SIZE" }, { TPM2_RC_SYMMETRIC, "TPM_RC_SYMMETRIC" },
		{ TPM2_RC_BAD_AUTH, "TPM_RC_BAD_AUTH" }, { TPM2_RC_CURVE, "TPM_RC_CURVE" },
		{ TPM2_RC_INITIALIZE, "TPM_RC_INITIALIZE" }, { TPM2_RC_FAILURE, "TPM_RC_FAILURE" },
		{ TPM2_RC_DISABLED, "TPM_RC_DISABLED" }, { TPM2_RC_AUTH_MISSING, "TPM_RC_AUTH_MISSING" },
		{ TPM2_RC_COMMAND_CODE, "TPM_RC_COMMAND_CODE" }, { TPM2_RC_NV_RANGE, "TPM_RC_NV_RANGE" },
		{ TPM2_RC_NV_SIZE, "TPM_RC_NV_SIZE" }, { TPM2_RC_NV_LOCKED, "TPM_RC_NV_LOCKED" },
		{ TPM2_RC_NV_AUTHORIZATION, "TPM_RC_NV_AUTHORIZATION" },
		{ TPM2_RC_NV_UNINITIALIZED, "TPM_RC_NV_UNINITIALIZED" }, { TPM2_RC_NV_SPACE, "TPM_RC_NV_SPACE" },
		{ TPM2_RC_NV_DEFINED, "TPM_RC_NV_DEFINED" }, { TPM2_RC_OBJECT_MEMORY, "TPM_RC_OBJECT_MEMORY" },
		{ TPM2_RC_NV_RATE, "TPM_RC_NV_RATE" }, { TPM2_RC_LOCKOUT, "TPM_RC_LOCKOUT" },
		{ TPM2_RC_NV_UNAVAILABLE, "TPM_RC_NV_UNAVAILABLE" },
	};
	/* Format-one codes carry a parameter, handle or session number in
	 * bits 6 and 8-11: strip it to name the error itself. */
	uint32_t base = (rc & 0x80) ? (rc & 0xbf) : rc;
	size_t i;

	if (rc == SETUP_RC_LOCAL)
		return "no usable response from libtpms";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rc == base)
			return names[i].name;
	return NULL;
}
