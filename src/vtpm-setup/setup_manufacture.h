/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_manufacture.h - the TPM 2 sequences of vtpm-setup, run on the TPM
 * setup_tpm_open() opened.
 *
 * Manufacture, in swtpm_setup's order: TPM2_Startup(CLEAR); the SPK
 * (CreatePrimary in the owner hierarchy, EvictControl to 0x81000001); the
 * RSA EK and then the ECC P-384 EK (CreatePrimary in the endorsement
 * hierarchy from the TCG templates, EvictControl), each followed by its
 * certificate (NV_DefineSpace with platform authorization, NV_Write,
 * NV_WriteLock with --lock-nvram), the platform certificate after the RSA
 * EK's; TPM2_PCR_Allocate; TPM2_Shutdown(CLEAR). Then the TPM is powered
 * off and on again and the PCR banks are checked, since an allocation
 * takes effect only at the next TPM2_Startup.
 *
 * Amend (--ek-cert, and --ek-pub on an existing TPM): read the persistent
 * EKs, store each given certificate in its EK's index after checking its
 * public key is that EK.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_MANUFACTURE_H
#define VTPMD_SETUP_MANUFACTURE_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "vtpm-setup/setup_ca.h"
#include "vtpm-setup/setup_cert.h"
#include "vtpm-setup/setup_keys.h"
#include "vtpm-setup/setup_opts.h"

/* The TPM's EKs, for --ek-pub. */
struct setup_eks {
	struct {
		enum setup_key key;
		EVP_PKEY *pub;
	} ek[2];
	size_t n;
};

/* Everything a manufacture needs besides the options. */
struct manufacture_env {
	struct setup_ca *ca;                    /* NULL when no certificate is made */
	const struct cert_tpm_info *tpm_info;   /* for the EK certificates */
	time_t now;
};

int setup_manufacture(const struct setup_options *o,
		      const struct manufacture_env *env, struct setup_eks *eks,
		      char *err, size_t errlen);

int setup_amend(const struct setup_options *o, struct setup_eks *eks,
		char *err, size_t errlen);

/* The EKs as PEM public keys, each after a line naming it. *OUT is
 * malloc'ed. */
int setup_eks_pem(const struct setup_eks *eks, char **out, size_t *len);
void setup_eks_free(struct setup_eks *eks);

/* The number of certificates O makes (serial numbers to reserve). */
size_t setup_cert_count(const struct setup_options *o);

#endif
