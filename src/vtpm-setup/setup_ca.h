/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_ca.h - the CA that signs vtpm-setup's certificates.
 *
 * The local CA lives in a directory (--ca-dir, default /var/lib/vtpmd/ca):
 * a self-signed root and an intermediate that signs, both ECDSA P-384,
 * private keys mode 0600, and a serial counter in swtpm_localca's format
 * (the last serial number issued, decimal, no newline), so that
 * swtpm_localca pointed at these files goes on where vtpm-setup stopped:
 *
 *   rootca-key.pem  rootca-cert.pem   the root ("vtpmd-localca-rootca")
 *   signkey.pem     issuercert.pem    the intermediate ("vtpmd-localca")
 *   certserial                        the last serial number issued
 *   .lock                             an open file description write lock
 *   .lock.swtpm-localca               swtpm_localca's flock(), also taken
 *                                     when it exists
 *
 * A run writes nothing of it until it has a TPM to certify:
 * setup_ca_open() takes the lock (held until setup_ca_close(): setups
 * signing with one CA run one after another), loads the CA, or makes a new
 * one in memory, and reads the counter; setup_ca_commit() writes a new CA
 * and the counter; setup_ca_rollback() takes that back for a run that
 * fails after it. setup_ca_close() without a commit leaves the CA as it
 * was, and removes the directories setup_ca_open() made for the lock.
 *
 * Or the user's own CA: a PEM private key (encrypted with a passphrase or
 * not) and the PEM certificate that goes with it; its certificates get
 * random 128-bit serial numbers. Either CA's certificate must be valid now.
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_CA_H
#define VTPMD_SETUP_CA_H

#include <limits.h>
#include <signal.h>
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
	/* the local CA */
	char dir[PATH_MAX];
	int dirfd, lockfd;
	int swtpm_lockfd;       /* .lock.swtpm-localca, if there */
	char made[PATH_MAX];    /* the topmost directory open made, or "" */
	struct cert_issuer root; /* a CA made by this run, until the commit */
	bool counter_found;     /* certserial existed */
	uint64_t last_serial;   /* what it held */
	uint64_t next_serial;   /* reserved range */
	size_t serials_left;
	bool committed;
};

/* Load the CA (or make the local one, in memory) and reserve N serial
 * numbers. */
int setup_ca_open(struct setup_ca *ca, const struct setup_ca_options *opt,
		  size_t n, char *err, size_t errlen);
int setup_ca_next_serial(struct setup_ca *ca, uint8_t *serial, size_t *len);
/* Write the local CA (if made) and the serial numbers used. */
int setup_ca_commit(struct setup_ca *ca, char *err, size_t errlen);
/* Undo setup_ca_commit(). */
void setup_ca_rollback(struct setup_ca *ca);
void setup_ca_close(struct setup_ca *ca);

/* Once *FLAG is non-zero (a signal arrived), waiting for the CA's lock
 * ends with -EINTR. */
void setup_ca_stop_on(const volatile sig_atomic_t *flag);

#endif
