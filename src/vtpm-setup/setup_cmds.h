/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_cmds.h - the TPM 2 commands vtpm-setup sends, marshalled here
 * (tpm/tpm2_marshal.h) and run through setup_tpm_transact(). TPM 2 numbers
 * (TPM2_ALG_, TPM2_RH_, TPM2_RC_ ...) are tpm2-tss' <tss2/tss2_tpm2_types.h>.
 *
 * Hierarchy and NV commands authorize with the empty password of the
 * hierarchy (a TPM2_RS_PW session), as swtpm_setup does on a fresh TPM.
 *
 * Return values: a TPM response code (0 = success), or SETUP_RC_LOCAL when
 * no usable response came back (command did not fit, libtpms failed, the
 * response was malformed). Never an errno.
 */
#ifndef VTPMD_SETUP_CMDS_H
#define VTPMD_SETUP_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#define SETUP_RC_LOCAL  0x80000000u

/* The public part of a key the TPM made, as far as certificates need it. */
struct tpm2_pubkey {
	uint16_t type;          /* TPM2_ALG_RSA or TPM2_ALG_ECC */
	uint16_t name_alg;
	uint32_t attributes;
	uint16_t rsa_bits;
	uint32_t rsa_exponent;  /* 0 means 65537 */
	uint16_t ecc_curve;
	uint8_t rsa_n[512];     /* modulus, big-endian */
	size_t rsa_n_len;
	uint8_t ecc_x[66], ecc_y[66];
	size_t ecc_x_len, ecc_y_len;
};

/* One PCR bank of TPM2_GetCapability(TPM_CAP_PCRS). */
struct tpm2_pcr_bank {
	uint16_t alg;
	bool active;            /* any PCR selected */
};
#define TPM2_MAX_BANKS 16

uint32_t tpm2cmd_startup(uint16_t type);
uint32_t tpm2cmd_shutdown(uint16_t type);

/* TPM2_CreatePrimary in HIERARCHY from the TPMT_PUBLIC template TMPL;
 * the transient handle and the public key come back. */
uint32_t tpm2cmd_create_primary(uint32_t hierarchy, const uint8_t *tmpl,
				size_t tmpl_len, uint32_t *handle,
				struct tpm2_pubkey *pub);
uint32_t tpm2cmd_read_public(uint32_t handle, struct tpm2_pubkey *pub);
/* Make OBJECT persistent at PERSISTENT (owner authorization). */
uint32_t tpm2cmd_evict_control(uint32_t object, uint32_t persistent);
uint32_t tpm2cmd_flush_context(uint32_t handle);

/* NV indices, platform authorization; nameAlg SHA-256, no policy. */
uint32_t tpm2cmd_nv_define_space(uint32_t index, uint32_t attributes,
				 uint16_t size);
uint32_t tpm2cmd_nv_undefine_space(uint32_t index);
/* Writes in chunks the TPM accepts. */
uint32_t tpm2cmd_nv_write(uint32_t index, const uint8_t *data, size_t len);
uint32_t tpm2cmd_nv_write_lock(uint32_t index);
uint32_t tpm2cmd_nv_read_public(uint32_t index, uint32_t *attributes,
				uint16_t *size);

/* The TPM's PCR banks (at most CAP) and whether each is allocated. */
uint32_t tpm2cmd_pcr_banks(struct tpm2_pcr_bank *banks, size_t cap, size_t *n);
/* Allocate all PCRs of the banks WANT, none of the other banks in ALL.
 * Takes effect at the next TPM2_Startup after a power cycle. */
uint32_t tpm2cmd_pcr_allocate(const uint16_t *want, size_t n_want,
			      const struct tpm2_pcr_bank *all, size_t n_all);

/* "TPM_RC_NV_DEFINED" etc. for the codes vtpm-setup may meet, else NULL. */
const char *tpm2_rc_name(uint32_t rc);
/* PCR bank names as swtpm_setup spells them ("sha256", "sm3-256"), and
 * back; NULL / 0 when unknown. */
const char *tpm2_bank_name(uint16_t alg);
uint16_t tpm2_bank_alg(const char *name);

#endif
