/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_cmds.c - the TPM 2 commands of vtpm-setup (see setup_cmds.h). */
#include <string.h>

#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_tpm.h"
#include "vtpm-setup/setup_wire.h"

#define TPM2_ST_SESSIONS    0x8002
#define TPM2_RS_PW          0x40000009u
#define TPM2_CAP_PCRS       0x00000005u

#define CC_NV_UNDEFINE_SPACE 0x00000122u
#define CC_EVICT_CONTROL     0x00000120u
#define CC_NV_DEFINE_SPACE   0x0000012au
#define CC_PCR_ALLOCATE      0x0000012bu
#define CC_CREATE_PRIMARY    0x00000131u
#define CC_NV_WRITE          0x00000137u
#define CC_NV_WRITE_LOCK     0x00000138u
#define CC_FLUSH_CONTEXT     0x00000165u
#define CC_NV_READ_PUBLIC    0x00000169u
#define CC_READ_PUBLIC       0x00000173u
#define CC_GET_CAPABILITY    0x0000017au

/* TPM2_NV_Write carries at most MAX_NV_BUFFER_SIZE (1024 in libtpms). */
#define NV_WRITE_CHUNK 1024
#define BUF_SIZE 4096

/* A command being built: header first, size patched in at the end. */
static void begin(struct wire_out *w, uint8_t *buf, uint16_t tag, uint32_t cc)
{
	wo_init(w, buf, BUF_SIZE);
	wo_u16(w, tag);
	wo_u32(w, 0);
	wo_u32(w, cc);
}

/* The authorization area of one empty-password session. */
static void password_session(struct wire_out *w)
{
	wo_u32(w, 9);           /* authorizationSize */
	wo_u32(w, TPM2_RS_PW);
	wo_u16(w, 0);           /* nonce */
	wo_u8(w, 0);            /* sessionAttributes */
	wo_u16(w, 0);           /* hmac: the empty password */
}

/*
 * Finish W, run it, check the response header. On success R reads the
 * response after its header.
 */
static uint32_t run(struct wire_out *w, uint8_t *resp, struct wire_in *r)
{
	size_t resp_len;
	uint32_t size, rc;

	wo_patch_u32(w, 2, (uint32_t)w->len);
	if (w->overflow)
		return SETUP_RC_LOCAL;
	if (setup_tpm_transact(w->buf, w->len, resp, BUF_SIZE, &resp_len) < 0)
		return SETUP_RC_LOCAL;
	wi_init(r, resp, resp_len);
	(void)wi_u16(r);
	size = wi_u32(r);
	rc = wi_u32(r);
	if (r->bad || size != resp_len)
		return SETUP_RC_LOCAL;
	return rc;
}

/* Commands whose response carries nothing vtpm-setup needs. */
static uint32_t run_plain(struct wire_out *w)
{
	uint8_t resp[BUF_SIZE];
	struct wire_in r;

	return run(w, resp, &r);
}

uint32_t tpm2cmd_startup(uint16_t type)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_NO_SESSIONS, TPM2_CC_STARTUP);
	wo_u16(&w, type);
	return run_plain(&w);
}

uint32_t tpm2cmd_shutdown(uint16_t type)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_NO_SESSIONS, TPM2_CC_SHUTDOWN);
	wo_u16(&w, type);
	return run_plain(&w);
}

/* Skip a TPMT_SYM_DEF_OBJECT. */
static void skip_symmetric(struct wire_in *r)
{
	if (wi_u16(r) != TPM2_ALG_NULL) {
		(void)wi_u16(r);        /* keyBits */
		(void)wi_u16(r);        /* mode */
	}
}

/* Skip a TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME: every
 * scheme's details start with a hash, but RSAES has none and ECDAA adds
 * a count. */
static void skip_scheme(struct wire_in *r)
{
	uint16_t alg = wi_u16(r);

	if (alg == TPM2_ALG_NULL || alg == 0x0015 /* RSAES */)
		return;
	(void)wi_u16(r);
	if (alg == 0x001a /* ECDAA */)
		(void)wi_u16(r);
}

static bool copy_2b(struct wire_in *r, uint8_t *dst, size_t cap, size_t *len)
{
	size_t n;
	const uint8_t *p = wi_tpm2b(r, &n);

	if (!p || n > cap)
		return false;
	memcpy(dst, p, n);
	*len = n;
	return true;
}

/* Parse a TPM2B_PUBLIC holding an RSA or ECC key. */
static bool parse_public(struct wire_in *r, struct tpm2_pubkey *pub)
{
	size_t size = wi_u16(r), start = r->pos;

	memset(pub, 0, sizeof(*pub));
	pub->type = wi_u16(r);
	pub->name_alg = wi_u16(r);
	pub->attributes = wi_u32(r);
	(void)wi_tpm2b(r, &(size_t){0});        /* authPolicy */
	skip_symmetric(r);
	skip_scheme(r);
	if (pub->type == TPM2_ALG_RSA) {
		pub->rsa_bits = wi_u16(r);
		pub->rsa_exponent = wi_u32(r);
		if (!copy_2b(r, pub->rsa_n, sizeof(pub->rsa_n), &pub->rsa_n_len))
			return false;
	} else if (pub->type == TPM2_ALG_ECC) {
		pub->ecc_curve = wi_u16(r);
		skip_scheme(r);         /* kdf */
		if (!copy_2b(r, pub->ecc_x, sizeof(pub->ecc_x), &pub->ecc_x_len) ||
		    !copy_2b(r, pub->ecc_y, sizeof(pub->ecc_y), &pub->ecc_y_len))
			return false;
	} else {
		return false;
	}
	return !r->bad && r->pos - start == size;
}

uint32_t tpm2cmd_create_primary(uint32_t hierarchy, const uint8_t *tmpl,
				size_t tmpl_len, uint32_t *handle,
				struct tpm2_pubkey *pub)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct wire_out w;
	struct wire_in r;
	uint32_t rc;

	begin(&w, buf, TPM2_ST_SESSIONS, CC_CREATE_PRIMARY);
	wo_u32(&w, hierarchy);
	password_session(&w);
	wo_u16(&w, 4);          /* inSensitive: empty userAuth and data */
	wo_u16(&w, 0);
	wo_u16(&w, 0);
	wo_tpm2b(&w, tmpl, tmpl_len);
	wo_u16(&w, 0);          /* outsideInfo */
	wo_u32(&w, 0);          /* creationPCR: none */
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	*handle = wi_u32(&r);
	(void)wi_u32(&r);       /* parameterSize */
	return parse_public(&r, pub) ? TPM2_RC_SUCCESS : SETUP_RC_LOCAL;
}

uint32_t tpm2cmd_read_public(uint32_t handle, struct tpm2_pubkey *pub)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct wire_out w;
	struct wire_in r;
	uint32_t rc;

	begin(&w, buf, TPM2_ST_NO_SESSIONS, CC_READ_PUBLIC);
	wo_u32(&w, handle);
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	return parse_public(&r, pub) ? TPM2_RC_SUCCESS : SETUP_RC_LOCAL;
}

uint32_t tpm2cmd_evict_control(uint32_t object, uint32_t persistent)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_SESSIONS, CC_EVICT_CONTROL);
	wo_u32(&w, TPM2_RH_OWNER);
	wo_u32(&w, object);
	password_session(&w);
	wo_u32(&w, persistent);
	return run_plain(&w);
}

uint32_t tpm2cmd_flush_context(uint32_t handle)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_NO_SESSIONS, CC_FLUSH_CONTEXT);
	wo_u32(&w, handle);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_define_space(uint32_t index, uint32_t attributes,
				 uint16_t size)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_SESSIONS, CC_NV_DEFINE_SPACE);
	wo_u32(&w, TPM2_RH_PLATFORM);
	password_session(&w);
	wo_u16(&w, 0);          /* auth: none */
	wo_u16(&w, 14);         /* TPM2B_NV_PUBLIC */
	wo_u32(&w, index);
	wo_u16(&w, TPM2_ALG_SHA256);
	wo_u32(&w, attributes);
	wo_u16(&w, 0);          /* authPolicy: none */
	wo_u16(&w, size);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_undefine_space(uint32_t index)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_SESSIONS, CC_NV_UNDEFINE_SPACE);
	wo_u32(&w, TPM2_RH_PLATFORM);
	wo_u32(&w, index);
	password_session(&w);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_write(uint32_t index, const uint8_t *data, size_t len)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;
	size_t off, n;
	uint32_t rc;

	if (len > UINT16_MAX)
		return SETUP_RC_LOCAL;
	for (off = 0; off < len; off += n) {
		n = len - off < NV_WRITE_CHUNK ? len - off : NV_WRITE_CHUNK;
		begin(&w, buf, TPM2_ST_SESSIONS, CC_NV_WRITE);
		wo_u32(&w, TPM2_RH_PLATFORM);
		wo_u32(&w, index);
		password_session(&w);
		wo_tpm2b(&w, data + off, n);
		wo_u16(&w, (uint16_t)off);
		rc = run_plain(&w);
		if (rc != TPM2_RC_SUCCESS)
			return rc;
	}
	return TPM2_RC_SUCCESS;
}

uint32_t tpm2cmd_nv_write_lock(uint32_t index)
{
	uint8_t buf[BUF_SIZE];
	struct wire_out w;

	begin(&w, buf, TPM2_ST_SESSIONS, CC_NV_WRITE_LOCK);
	wo_u32(&w, TPM2_RH_PLATFORM);
	wo_u32(&w, index);
	password_session(&w);
	return run_plain(&w);
}

uint32_t tpm2cmd_nv_read_public(uint32_t index, uint32_t *attributes,
				uint16_t *size)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct wire_out w;
	struct wire_in r;
	uint32_t rc;

	begin(&w, buf, TPM2_ST_NO_SESSIONS, CC_NV_READ_PUBLIC);
	wo_u32(&w, index);
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	(void)wi_u16(&r);       /* TPM2B_NV_PUBLIC size */
	if (wi_u32(&r) != index)
		return SETUP_RC_LOCAL;
	(void)wi_u16(&r);       /* nameAlg */
	*attributes = wi_u32(&r);
	(void)wi_tpm2b(&r, &(size_t){0});
	*size = wi_u16(&r);
	return r.bad ? SETUP_RC_LOCAL : TPM2_RC_SUCCESS;
}

uint32_t tpm2cmd_pcr_banks(struct tpm2_pcr_bank *banks, size_t cap, size_t *n)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct wire_out w;
	struct wire_in r;
	uint32_t rc, count, i, j;

	*n = 0;
	begin(&w, buf, TPM2_ST_NO_SESSIONS, CC_GET_CAPABILITY);
	wo_u32(&w, TPM2_CAP_PCRS);
	wo_u32(&w, 0);
	wo_u32(&w, 64);
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	(void)wi_u8(&r);        /* moreData */
	if (wi_u32(&r) != TPM2_CAP_PCRS)
		return SETUP_RC_LOCAL;
	count = wi_u32(&r);
	if (count > cap)
		return SETUP_RC_LOCAL;
	for (i = 0; i < count; i++) {
		uint8_t select_len;
		const uint8_t *select;

		banks[i].alg = wi_u16(&r);
		select_len = wi_u8(&r);
		select = wi_bytes(&r, select_len);
		banks[i].active = false;
		for (j = 0; select && j < select_len; j++)
			banks[i].active |= select[j] != 0;
	}
	if (r.bad)
		return SETUP_RC_LOCAL;
	*n = count;
	return TPM2_RC_SUCCESS;
}

uint32_t tpm2cmd_pcr_allocate(const uint16_t *want, size_t n_want,
			      const struct tpm2_pcr_bank *all, size_t n_all)
{
	uint8_t buf[BUF_SIZE], resp[BUF_SIZE];
	struct wire_out w;
	struct wire_in r;
	size_t i, j;
	uint32_t rc;

	begin(&w, buf, TPM2_ST_SESSIONS, CC_PCR_ALLOCATE);
	wo_u32(&w, TPM2_RH_PLATFORM);
	password_session(&w);
	wo_u32(&w, (uint32_t)n_all);
	for (i = 0; i < n_all; i++) {
		bool on = false;

		for (j = 0; j < n_want; j++)
			on |= want[j] == all[i].alg;
		/* 24 PCRs, three bytes of select bits */
		wo_u16(&w, all[i].alg);
		wo_u8(&w, 3);
		wo_u8(&w, on ? 0xff : 0);
		wo_u8(&w, on ? 0xff : 0);
		wo_u8(&w, on ? 0xff : 0);
	}
	rc = run(&w, resp, &r);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	(void)wi_u32(&r);       /* parameterSize */
	if (wi_u8(&r) != 1)     /* allocationSuccess */
		return r.bad ? SETUP_RC_LOCAL : 0x101 /* TPM_RC_FAILURE */;
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
		{ 0x084, "TPM_RC_VALUE" }, { 0x085, "TPM_RC_HIERARCHY" },
		{ 0x087, "TPM_RC_KEY_SIZE" }, { 0x08a, "TPM_RC_TYPE" },
		{ 0x08b, "TPM_RC_HANDLE" }, { 0x08e, "TPM_RC_AUTH_FAIL" },
		{ 0x095, "TPM_RC_SIZE" }, { 0x096, "TPM_RC_SYMMETRIC" },
		{ 0x0a2, "TPM_RC_BAD_AUTH" }, { 0x0a6, "TPM_RC_CURVE" },
		{ 0x100, "TPM_RC_INITIALIZE" }, { 0x101, "TPM_RC_FAILURE" },
		{ 0x120, "TPM_RC_DISABLED" }, { 0x125, "TPM_RC_AUTH_MISSING" },
		{ 0x143, "TPM_RC_COMMAND_CODE" }, { 0x146, "TPM_RC_NV_RANGE" },
		{ 0x147, "TPM_RC_NV_SIZE" }, { 0x148, "TPM_RC_NV_LOCKED" },
		{ 0x149, "TPM_RC_NV_AUTHORIZATION" },
		{ 0x14a, "TPM_RC_NV_UNINITIALIZED" }, { 0x14b, "TPM_RC_NV_SPACE" },
		{ 0x14c, "TPM_RC_NV_DEFINED" }, { 0x902, "TPM_RC_OBJECT_MEMORY" },
		{ 0x920, "TPM_RC_NV_RATE" }, { 0x921, "TPM_RC_LOCKOUT" },
		{ 0x923, "TPM_RC_NV_UNAVAILABLE" },
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
