/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_cert.h - X.509 certificates with OpenSSL's libcrypto: the EK and
 * platform certificates of the TCG EK Credential Profile (the content
 * swtpm_cert writes), and the certificates of vtpm-setup's local CA.
 *
 * EK certificate: v3, issuer = the CA certificate's subject, subject
 * CN=<vmid>, the EK's public key (rsaEncryption or id-ecPublicKey);
 * extensions subjectAltName (critical) = directoryName with the TPM
 * manufacturer, model and version (2.23.133.2.1-3, UTF8String);
 * subjectDirectoryAttributes = the TPM specification (2.23.133.2.16:
 * family, level, revision); basicConstraints (critical) CA:FALSE; keyUsage
 * (critical) keyEncipherment (RSA) or keyAgreement (ECC); extendedKeyUsage
 * tcg-kp-EKCertificate (2.23.133.8.1); authorityKeyIdentifier.
 * Platform certificate: the same for the platform (2.23.133.5.1.1/.4/.5 in
 * the SAN), no subjectDirectoryAttributes, extendedKeyUsage
 * tcg-kp-PlatformCertificate (2.23.133.8.2).
 *
 * Return values: 0 or -errno; on failure ERR holds one line.
 */
#ifndef VTPMD_SETUP_CERT_H
#define VTPMD_SETUP_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vtpm-setup/setup_cmds.h"

#define CERT_SERIAL_MAX 20      /* RFC 5280: at most 20 octets */
#define CERT_NO_EXPIRY (-1)     /* notAfter 99991231235959Z */

/* What libtpms reports about the TPM (TPMLIB_GetInfo). */
struct cert_tpm_info {
	char family[16];        /* "2.0" */
	unsigned level;
	unsigned revision;      /* 164 for 1.64 */
	char manufacturer[64];  /* "id:00001014" */
	char model[64];
	char version[64];
};

struct cert_platform_info {
	const char *manufacturer;
	const char *model;
	const char *version;
};

/* The CA that signs: its private key and its certificate. */
struct cert_issuer {
	EVP_PKEY *key;
	X509 *cert;
};

enum cert_kind {
	CERT_EK,
	CERT_PLATFORM,
};

struct cert_request {
	enum cert_kind kind;
	EVP_PKEY *subject_key;          /* the EK's public key */
	const char *subject_cn;         /* --vmid, or "unknown" */
	uint8_t serial[CERT_SERIAL_MAX]; /* big-endian, positive */
	size_t serial_len;
	time_t not_before;
	int days;                       /* validity, or CERT_NO_EXPIRY */
	const struct cert_tpm_info *tpm;          /* CERT_EK */
	const struct cert_platform_info *platform; /* CERT_PLATFORM */
};

/* Build and sign; *DER is malloc'ed (*DER_LEN bytes). */
int cert_build(const struct cert_request *req, const struct cert_issuer *issuer,
	       uint8_t **der, size_t *der_len, char *err, size_t errlen);

/*
 * A CA certificate for SUBJECT_KEY named CN: self-signed when ISSUER is
 * NULL, else signed by it. CA:TRUE (pathlen 0 when not self-signed),
 * keyCertSign and cRLSign, subject and authority key identifiers, no expiry.
 */
int cert_build_ca(EVP_PKEY *subject_key, const char *cn,
		  const struct cert_issuer *issuer, X509 **out,
		  char *err, size_t errlen);

/* An OpenSSL public key from a TPM public area (RSA, or ECC NIST P-384). */
int cert_pubkey_from_tpm(const struct tpm2_pubkey *pub, EVP_PKEY **out,
			 char *err, size_t errlen);

/* SERIAL_LEN random bytes of a positive serial number. */
int cert_random_serial(uint8_t *serial, size_t *serial_len);
/* N as a big-endian serial. */
void cert_serial_from_u64(uint64_t n, uint8_t *serial, size_t *serial_len);

#endif
