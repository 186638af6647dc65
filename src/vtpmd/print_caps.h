/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * print_caps.h - --print-capabilities and --print-info: what this build can
 * do, as JSON on stdout, for tools (libvirt, swtpm_setup-like scripts) that
 * probe a TPM daemon before using it.
 *
 * Both return 0, or -1 after one line on stderr.
 */
#ifndef VTPMD_PRINT_CAPS_H
#define VTPMD_PRINT_CAPS_H

#include <stdint.h>
#include <stdio.h>

#include "vtpmd/config.h"

/* swtpm's capabilities document: { "type": "swtpm", "features": [ ... ],
 * "version": "..." } on one line. VERSION picks the libtpms flavour whose
 * RSA key sizes are listed. */
int print_capabilities(FILE *out, enum tpm_version version);

/* libtpms' TPMLIB_GetInfo(FLAGS) JSON for the chosen TPM version. */
int print_info(FILE *out, enum tpm_version version, uint64_t flags);

#endif
