/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_info.h - what libtpms says about the TPM it runs (tpm/'s reading
 * of TPMLIB_GetInfo): the specification and attributes that go into the EK
 * certificate, as swtpm_setup takes them, and the RSA key sizes.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_INFO_H
#define VTPMD_SETUP_INFO_H

#include <stddef.h>

#include "vtpm-setup/setup_cert.h"

int setup_info_tpm(struct cert_tpm_info *info, char *err, size_t errlen);

/* RSA key sizes of 2048 bits and more, ascending (at most CAP). */
int setup_info_rsa_keysizes(unsigned *sizes, size_t cap, size_t *n,
			    char *err, size_t errlen);

#endif
