/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_opts.h - vtpm-setup's command line, spelled as swtpm_setup spells
 * it where swtpm_setup has the option, parsed into one plain struct.
 * Strings point into argv; nothing is allocated.
 */
#ifndef VTPMD_SETUP_OPTS_H
#define VTPMD_SETUP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vtpm-setup/setup_ca.h"
#include "vtpm-setup/setup_tpm.h"

enum setup_action {
	SETUP_RUN = 0,
	SETUP_HELP,
	SETUP_VERSION,
	SETUP_PRINT_CAPABILITIES,
};

/* What to do when DIR already holds TPM state. */
enum setup_existing {
	EXISTING_REFUSE = 0,    /* neither option: refuse, touch nothing */
	EXISTING_OVERWRITE,     /* --overwrite: manufacture a new TPM */
	EXISTING_KEEP,          /* --not-overwrite: leave it, exit 0 */
};

#define SETUP_MAX_BANKS 8
#define SETUP_MAX_EK_CERTS 2
/* swtpm_setup takes any --vmid whose certificates fit their NV index; no
 * longer one can (libtpms' MAX_NV_INDEX_SIZE). */
#define SETUP_VMID_MAX 2048

struct setup_options {
	enum setup_action action;
	const char *state_dir;          /* --tpmstate DIR or dir://DIR, or
					 * file://PATH (then state_linear) */
	bool state_linear;              /* a linear state file: setup_linear.h */
	bool create_ek;                 /* --createek (implied by the certs) */
	bool create_ek_cert;            /* --create-ek-cert */
	bool create_platform_cert;      /* --create-platform-cert */
	bool create_spk;                /* --create-spk */
	bool ecc_spk;                   /* --ecc: the SPK is ECC P-384 */
	unsigned rsa_bits;              /* --rsa-keysize: 2048 or 3072 */
	bool lock_nvram;                /* --lock-nvram */
	bool pcr_banks_keep;            /* --pcr-banks - */
	uint16_t pcr_banks[SETUP_MAX_BANKS];
	size_t n_pcr_banks;             /* default: sha256 */
	enum setup_existing existing;
	struct setup_state_key key;     /* --keyfile ... --cipher */
	const char *vmid;               /* --vmid: certificate subject CN */
	const char *logfile;            /* --logfile */
	const char *runas;              /* --runas: the state's user */
	struct setup_ca_options ca;     /* --ca-dir / --ca-key ... */
	int days;                       /* --days, CERT_NO_EXPIRY by default */
	const char *ek_pub;             /* --ek-pub FILE */
	const char *ek_cert[SETUP_MAX_EK_CERTS]; /* --ek-cert FILE */
	size_t n_ek_cert;
	const char *platform_manufacturer;
	const char *platform_model;
	const char *platform_version;
};

/*
 * Parse ARGV. Returns 0, or -EINVAL with one line (no newline) in ERR saying
 * what is wrong; nothing has been read or written then.
 */
int setup_opts_parse(struct setup_options *o, int argc, char **argv,
		     char *err, size_t errlen);
void setup_opts_usage(FILE *out, const char *prog);

/* Whether this run makes a new TPM (as opposed to amending one with
 * --ek-cert, or only exporting its EKs with --ek-pub). */
bool setup_opts_manufactures(const struct setup_options *o);

#endif
