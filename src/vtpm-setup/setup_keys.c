/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_keys.c - EK and SPK templates (see setup_keys.h). */
#include "tpm/tpm2_marshal.h"
#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_keys.h"

/* TCG EK templates: a restricted decryption key that only
 * PolicySecret(TPM_RH_ENDORSEMENT) may administer. */
#define EK_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY | \
		  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
/* The high-range templates also allow the empty user auth. */
#define EK_ATTRS_HIGH (EK_ATTRS | TPMA_OBJECT_USERWITHAUTH)
/* swtpm_setup's storage primary key. */
#define SPK_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		   TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
		   TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)

/* PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256 ("policy A") and SHA-384
 * ("policy B"), from the TCG EK Credential Profile. */
static const uint8_t policy_a_sha256[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d,
	0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
	0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};
static const uint8_t policy_b_sha384[48] = {
	0xb2, 0x6e, 0x7d, 0x28, 0xd1, 0x1a, 0x50, 0xbc, 0x53, 0xd8, 0x82, 0xbc,
	0xf5, 0xfd, 0x3a, 0x1a, 0x07, 0x41, 0x48, 0xbb, 0x35, 0xd3, 0xb4, 0xe4,
	0xcb, 0x1c, 0x0a, 0xd9, 0xbd, 0xe4, 0x19, 0xca, 0xcb, 0x47, 0xba, 0x09,
	0x69, 0x96, 0x46, 0x15, 0x0f, 0x9f, 0xc0, 0x00, 0xf3, 0xf8, 0x0e, 0x12,
};

static const struct template_def {
	struct setup_key_info info;
	uint16_t type;
	uint16_t name_alg;
	uint32_t attrs;
	const uint8_t *policy;
	size_t policy_len;
	uint16_t aes_bits;
	uint16_t rsa_bits;      /* RSA: key size; ECC: 0 */
	size_t unique_len;      /* zero bytes of unique (each coordinate for ECC) */
} defs[] = {
	[KEY_EK_RSA2048] = {
		{ "rsa2048", TPM2_RH_ENDORSEMENT, 0x81010001u, 0x01c00002u },
		TPM2_ALG_RSA, TPM2_ALG_SHA256, EK_ATTRS,
		policy_a_sha256, sizeof(policy_a_sha256), 128, 2048, 256,
	},
	[KEY_EK_RSA3072] = {
		{ "rsa3072", TPM2_RH_ENDORSEMENT, 0x8101001cu, 0x01c0001cu },
		TPM2_ALG_RSA, TPM2_ALG_SHA384, EK_ATTRS_HIGH,
		policy_b_sha384, sizeof(policy_b_sha384), 256, 3072, 0,
	},
	[KEY_EK_ECC384] = {
		{ "secp384r1", TPM2_RH_ENDORSEMENT, 0x81010016u, 0x01c00016u },
		TPM2_ALG_ECC, TPM2_ALG_SHA384, EK_ATTRS_HIGH,
		policy_b_sha384, sizeof(policy_b_sha384), 256, 0, 0,
	},
	[KEY_SPK_RSA2048] = {
		{ "rsa2048", TPM2_RH_OWNER, 0x81000001u, 0 },
		TPM2_ALG_RSA, TPM2_ALG_SHA256, SPK_ATTRS, NULL, 0, 128, 2048, 256,
	},
	[KEY_SPK_RSA3072] = {
		{ "rsa3072", TPM2_RH_OWNER, 0x81000001u, 0 },
		TPM2_ALG_RSA, TPM2_ALG_SHA384, SPK_ATTRS, NULL, 0, 256, 3072, 384,
	},
	[KEY_SPK_ECC384] = {
		{ "secp384r1", TPM2_RH_OWNER, 0x81000001u, 0 },
		TPM2_ALG_ECC, TPM2_ALG_SHA384, SPK_ATTRS, NULL, 0, 256, 0, 48,
	},
};

const struct setup_key_info *setup_key_info(enum setup_key key)
{
	return &defs[key].info;
}

size_t setup_key_template(enum setup_key key, uint8_t *buf, size_t cap)
{
	const struct template_def *d = &defs[key];
	struct tpm2_writer w;

	tpm2w_init(&w, buf, cap);
	tpm2w_u16(&w, d->type);
	tpm2w_u16(&w, d->name_alg);
	tpm2w_u32(&w, d->attrs);
	tpm2w_tpm2b(&w, d->policy, d->policy_len);
	tpm2w_u16(&w, TPM2_ALG_AES);            /* symmetric: AES-CFB */
	tpm2w_u16(&w, d->aes_bits);
	tpm2w_u16(&w, TPM2_ALG_CFB);
	tpm2w_u16(&w, TPM2_ALG_NULL);           /* scheme */
	if (d->type == TPM2_ALG_RSA) {
		tpm2w_u16(&w, d->rsa_bits);
		tpm2w_u32(&w, 0);               /* exponent: the default 65537 */
		tpm2w_u16(&w, (uint16_t)d->unique_len);
		tpm2w_zeros(&w, d->unique_len);
	} else {
		tpm2w_u16(&w, TPM2_ECC_NIST_P384);
		tpm2w_u16(&w, TPM2_ALG_NULL);   /* kdf */
		tpm2w_u16(&w, (uint16_t)d->unique_len);         /* x */
		tpm2w_zeros(&w, d->unique_len);
		tpm2w_u16(&w, (uint16_t)d->unique_len);         /* y */
		tpm2w_zeros(&w, d->unique_len);
	}
	return tpm2w_failed(&w) ? 0 : w.len;
}
