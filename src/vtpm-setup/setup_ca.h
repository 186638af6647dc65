/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_ca.h - the CA that signs vtpm-setup's certificates.
 *
 * The local CA lives in a directory (--ca-dir, default /var/lib/vtpmd/ca):
 * a self-signed root and an intermediate that signs, both ECDSA P-384 and
 * made on first use, private keys mode 0600, and a serial counter. A lock
 * (an open file description write lock on DIR/.lock, waited for) makes
 * creation and serial numbers safe for setups running at once:
 *
 *   rootca-key.pem  rootca-cert.pem   the root ("vtpmd-localca-rootca")
 *   signkey.pem     issuercert.pem    the intermediate ("vtpmd-localca")
 *   certserial                        the last serial number issued
 *
 * Or the user's own CA: a PEM private key (encrypted with a passphrase or
 * not) and the PEM certificate that goes with it; its certificates get
 * random 128-bit serial numbers.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_CA_H
#define VTPMD_SETUP_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtpm-setup/setup_cert.h"

#define SETUP_CA_DIR_DEFAULT "/var/lib/vtpmd/ca"

struct setup_ca_options {
	const char *dir;        /* local CA directory */
	const char *key_file;   /* user CA: --ca-key */
	const char *cert_file;  /* user CA: --ca-cert */
	const char *pwd_file;   /* --ca-pwdfile, or */
	int pwd_fd;             /* --ca-pwdfile-fd (-1: none) */
};

struct setup_ca {
	struct cert_issuer issuer;
	bool local;
	uint64_t next_serial;   /* local CA: reserved range */
	size_t serials_left;
};

/* Load the CA (creating the local one if needed) and reserve N serial
 * numbers. */
int setup_ca_open(struct setup_ca *ca, const struct setup_ca_options *opt,
		  size_t n, char *err, size_t errlen);
int setup_ca_next_serial(struct setup_ca *ca, uint8_t *serial, size_t *len);
void setup_ca_close(struct setup_ca *ca);

#endif
