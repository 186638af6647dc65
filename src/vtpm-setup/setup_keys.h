/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_keys.h - the keys vtpm-setup makes: the TCG default EK templates
 * (EK Credential Profile 2.x: RSA-2048 low range, RSA-3072 and ECC NIST
 * P-384 high range) and swtpm_setup's storage primary keys, with the
 * persistent handles and NV indices that go with them.
 */
#ifndef VTPMD_SETUP_KEYS_H
#define VTPMD_SETUP_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

enum setup_key {
	KEY_EK_RSA2048,
	KEY_EK_RSA3072,
	KEY_EK_ECC384,
	KEY_SPK_RSA2048,
	KEY_SPK_RSA3072,
	KEY_SPK_ECC384,
};

struct setup_key_info {
	const char *name;       /* "rsa2048", "secp384r1": for messages, --ek-pub */
	uint32_t hierarchy;     /* where CreatePrimary makes it */
	uint32_t persistent;    /* its handle after EvictControl */
	uint32_t cert_index;    /* NV index of its certificate, 0 for none */
};

#define NV_INDEX_PLATFORM_CERT 0x01c08000u

/* Attributes of the certificate indices, as swtpm_setup defines them
 * (0x42072001: written with platform authorization, readable by all). */
#define NV_CERT_ATTRIBUTES (TPMA_NV_PLATFORMCREATE | TPMA_NV_AUTHREAD | \
			    TPMA_NV_OWNERREAD | TPMA_NV_PPREAD | TPMA_NV_PPWRITE | \
			    TPMA_NV_NO_DA | TPMA_NV_WRITEDEFINE)

const struct setup_key_info *setup_key_info(enum setup_key key);

/* The key's TPMT_PUBLIC template into BUF; its length, or 0 if CAP is too
 * small. */
size_t setup_key_template(enum setup_key key, uint8_t *buf, size_t cap);

#endif
