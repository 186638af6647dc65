/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_cert.c - the certificate builder, each certificate parsed back
 * with OpenSSL and every field and extension checked: the TCG content of
 * EK and platform certificates (byte for byte against what Debian's
 * swtpm_cert 0.7.1 writes for the same TPM), criticality, key usages, key
 * identifiers, validity, serials, the signature and the chain; the CA
 * certificates; public keys from TPM public areas; refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vtpm-setup/setup_cert.h"

/* Extension values from an EK and a platform certificate Debian's
 * swtpm_setup 0.7.1 made (libtpms 0.9.2; platform options of Debian's
 * /etc/swtpm-localca.options): the same TPM must get the same bytes. */
static const char SAN_EK_HEX[] =
	"3046A444304231163014060567810502010C0B69643A303030303130313431"
	"10300E060567810502020C05737774706D31163014060567810502030C0B69"
	"643A3230313931303233";
static const char SDA_HEX[] =
	"3019301706056781050210310E300C0C03322E30020100020200A4";
static const char SAN_PLATFORM_HEX[] =
	"303BA43930373112301006066781050501010C064665646F72613110300E06"
	"066781050501040C0451454D55310F300D06066781050501050C03322E31";

static const struct cert_tpm_info tpm_info = {
	.family = "2.0", .level = 0, .revision = 164,
	.manufacturer = "id:00001014", .model = "swtpm", .version = "id:20191023",
};
static const struct cert_platform_info platform_info = {
	"Fedora", "QEMU", "2.1",
};

static struct {
	struct cert_issuer root;
	struct cert_issuer issuer;
	EVP_PKEY *rsa;          /* stands in for an RSA EK */
	EVP_PKEY *ecc;          /* ... and an ECC P-384 EK */
} k;

static int group_setup(void **state)
{
	char err[256];

	(void)state;
	k.root.key = EVP_EC_gen("P-384");
	k.issuer.key = EVP_EC_gen("P-384");
	k.rsa = EVP_RSA_gen(2048);
	k.ecc = EVP_EC_gen("P-384");
	if (!k.root.key || !k.issuer.key || !k.rsa || !k.ecc)
		return -1;
	if (cert_build_ca(k.root.key, "test-root", NULL, &k.root.cert, err, sizeof(err)) ||
	    cert_build_ca(k.issuer.key, "test-issuer", &k.root, &k.issuer.cert, err,
			  sizeof(err)))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(k.root.key);
	X509_free(k.root.cert);
	EVP_PKEY_free(k.issuer.key);
	X509_free(k.issuer.cert);
	EVP_PKEY_free(k.rsa);
	EVP_PKEY_free(k.ecc);
	return 0;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	assert_true(n <= cap);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Build a certificate of KIND for KEY and parse it back. */
static X509 *build(enum cert_kind kind, EVP_PKEY *key, uint64_t serial, int days,
		   time_t now)
{
	struct cert_request req = {
		.kind = kind, .subject_key = key, .subject_cn = "vm-42",
		.not_before = now, .days = days, .tpm = &tpm_info,
		.platform = &platform_info,
	};
	const unsigned char *p;
	uint8_t *der;
	size_t len;
	char err[256];
	X509 *x;

	cert_serial_from_u64(serial, req.serial, &req.serial_len);
	if (cert_build(&req, &k.issuer, &der, &len, err, sizeof(err)) != 0)
		fail_msg("cert_build: %s", err);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	assert_ptr_equal(p, der + len);         /* nothing trailing */
	free(der);
	return x;
}

/* The extension NID of X: its DER value and criticality. */
static X509_EXTENSION *ext(X509 *x, int nid)
{
	int idx = X509_get_ext_by_NID(x, nid, -1);

	if (idx < 0)
		fail_msg("extension %s is missing", OBJ_nid2sn(nid));
	assert_int_equal(X509_get_ext_by_NID(x, nid, idx), -1);        /* once */
	return X509_get_ext(x, idx);
}

static void assert_ext_bytes(X509 *x, int nid, const char *hex, bool critical)
{
	X509_EXTENSION *e = ext(x, nid);
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);
	uint8_t want[256];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(X509_EXTENSION_get_critical(e), critical);
	assert_int_equal(ASN1_STRING_length(v), n);
	assert_memory_equal(ASN1_STRING_get0_data(v), want, n);
}

static void assert_eku(X509 *x, const char *oid)
{
	EXTENDED_KEY_USAGE *eku;
	char text[64];

	assert_int_equal(X509_EXTENSION_get_critical(ext(x, NID_ext_key_usage)), 0);
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	assert_non_null(eku);
	assert_int_equal(sk_ASN1_OBJECT_num(eku), 1);
	OBJ_obj2txt(text, sizeof(text), sk_ASN1_OBJECT_value(eku, 0), 1);
	assert_string_equal(text, oid);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}

/* What every certificate the builder issues has. */
static void assert_common(X509 *x, EVP_PKEY *key, uint64_t serial, unsigned usage)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	X509_NAME *subject = X509_get_subject_name(x);
	BASIC_CONSTRAINTS *bc;
	ASN1_OBJECT *alg;
	uint64_t got;
	char cn[64];

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(ASN1_INTEGER_get_uint64(&got, sn), 1);
	assert_true(got == serial);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x),
				       X509_get_subject_name(k.issuer.cert)), 0);
	assert_int_equal(X509_NAME_entry_count(subject), 1);
	assert_int_equal(X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof(cn)), 5);
	assert_string_equal(cn, "vm-42");
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
	/* RSA EKs are plain rsaEncryption keys (not RSAES-OAEP), as
	 * swtpm_cert writes them; ECC EKs id-ecPublicKey */
	assert_int_equal(X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL,
						X509_get_X509_PUBKEY(x)), 1);
	assert_int_equal(OBJ_obj2nid(alg), EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
			 NID_rsaEncryption : NID_X9_62_id_ecPublicKey);

	/* basicConstraints: critical, CA:FALSE */
	assert_int_equal(X509_EXTENSION_get_critical(ext(x, NID_basic_constraints)), 1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_int_equal(bc->ca, 0);
	assert_null(bc->pathlen);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_check_ca(x), 0);

	/* keyUsage: critical, exactly USAGE */
	assert_int_equal(X509_EXTENSION_get_critical(ext(x, NID_key_usage)), 1);
	assert_int_equal(X509_get_key_usage(x), usage);

	/* authorityKeyIdentifier = the issuer's subjectKeyIdentifier; no SKI
	 * of its own (the profile says it should not be included) */
	assert_int_equal(X509_EXTENSION_get_critical(ext(x, NID_authority_key_identifier)), 0);
	assert_non_null(X509_get0_authority_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
					       X509_get0_subject_key_id(k.issuer.cert)), 0);
	assert_null(X509_get0_subject_key_id(x));
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_key_identifier, -1), -1);

	/* signed by the issuer, and the chain verifies */
	assert_int_equal(X509_verify(x, k.issuer.key), 1);
	assert_int_equal(X509_verify(x, k.root.key), 0);
}

static void assert_chain_verifies(X509 *x)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();

	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, k.root.cert), 1);
	assert_true(sk_X509_push(untrusted, k.issuer.cert) > 0);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, untrusted), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("chain: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
}

static void test_ek_rsa(void **state)
{
	time_t now = time(NULL);
	X509 *x = build(CERT_EK, k.rsa, 7, CERT_NO_EXPIRY, now);
	const ASN1_TIME *na = X509_get0_notAfter(x);

	(void)state;
	assert_common(x, k.rsa, 7, KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_ext_count(x), 6);
	assert_ext_bytes(x, NID_subject_alt_name, SAN_EK_HEX, true);
	assert_ext_bytes(x, NID_subject_directory_attributes, SDA_HEX, false);
	assert_eku(x, "2.23.133.8.1");
	/* no expiry: GeneralizedTime 99991231235959Z, from now on */
	assert_int_equal(ASN1_STRING_type(na), V_ASN1_GENERALIZEDTIME);
	assert_memory_equal(ASN1_STRING_get0_data(na), "99991231235959Z", 15);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), now), 0);
	assert_chain_verifies(x);
	X509_free(x);
}

static void test_ek_ecc(void **state)
{
	time_t now = time(NULL);
	X509 *x = build(CERT_EK, k.ecc, 8, 30, now);
	int days, secs;

	(void)state;
	assert_common(x, k.ecc, 8, KU_KEY_AGREEMENT);
	assert_int_equal(X509_get_ext_count(x), 6);
	assert_ext_bytes(x, NID_subject_alt_name, SAN_EK_HEX, true);
	assert_ext_bytes(x, NID_subject_directory_attributes, SDA_HEX, false);
	assert_eku(x, "2.23.133.8.1");
	/* --days 30 */
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
					X509_get0_notAfter(x)), 1);
	assert_int_equal(days, 30);
	assert_int_equal(secs, 0);
	assert_chain_verifies(x);
	X509_free(x);
}

static void test_platform(void **state)
{
	X509 *x = build(CERT_PLATFORM, k.rsa, 9, CERT_NO_EXPIRY, time(NULL));

	(void)state;
	assert_common(x, k.rsa, 9, KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_ext_count(x), 5);
	assert_ext_bytes(x, NID_subject_alt_name, SAN_PLATFORM_HEX, true);
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_directory_attributes, -1), -1);
	assert_eku(x, "2.23.133.8.2");
	assert_chain_verifies(x);
	X509_free(x);
}

/* Serial numbers as big integers, and a large one stays positive. */
static void test_serials(void **state)
{
	uint8_t s[CERT_SERIAL_MAX];
	size_t len;
	X509 *x;

	(void)state;
	cert_serial_from_u64(1, s, &len);
	assert_int_equal(len, 9);
	assert_int_equal(s[0], 0);
	assert_int_equal(s[8], 1);
	x = build(CERT_EK, k.ecc, UINT64_MAX / 2 + 5, CERT_NO_EXPIRY, time(NULL));
	assert_common(x, k.ecc, UINT64_MAX / 2 + 5, KU_KEY_AGREEMENT);
	X509_free(x);
	assert_int_equal(cert_random_serial(s, &len), 0);
	assert_int_equal(len, 16);
	assert_int_equal(s[0] & 0xc0, 0x40);    /* positive, and 16 bytes long */
}

static void test_ca_certs(void **state)
{
	BASIC_CONSTRAINTS *bc;

	(void)state;
	/* root: self-signed CA, no path length, keyCertSign | cRLSign */
	assert_int_equal(X509_check_issued(k.root.cert, k.root.cert), X509_V_OK);
	assert_int_equal(X509_verify(k.root.cert, k.root.key), 1);
	assert_int_equal(X509_check_ca(k.root.cert), 1);
	assert_int_equal(X509_EXTENSION_get_critical(ext(k.root.cert, NID_basic_constraints)), 1);
	bc = X509_get_ext_d2i(k.root.cert, NID_basic_constraints, NULL, NULL);
	assert_true(bc && bc->ca && !bc->pathlen);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(k.root.cert), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_EXTENSION_get_critical(ext(k.root.cert, NID_key_usage)), 1);
	assert_non_null(X509_get0_subject_key_id(k.root.cert));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(k.root.cert),
					       X509_get0_subject_key_id(k.root.cert)), 0);
	/* intermediate: signed by the root, path length 0 */
	assert_int_equal(X509_check_issued(k.root.cert, k.issuer.cert), X509_V_OK);
	assert_int_equal(X509_verify(k.issuer.cert, k.root.key), 1);
	bc = X509_get_ext_d2i(k.issuer.cert, NID_basic_constraints, NULL, NULL);
	assert_true(bc && bc->ca && bc->pathlen);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(k.issuer.cert),
					       X509_get0_subject_key_id(k.root.cert)), 0);
	assert_memory_equal(ASN1_STRING_get0_data(X509_get0_notAfter(k.issuer.cert)),
			    "99991231235959Z", 15);
}

/* Public areas as the TPM returns them make the same OpenSSL keys. */
static void test_pubkey_from_tpm(void **state)
{
	struct tpm2_pubkey pub = { .type = TPM2_ALG_RSA, .rsa_bits = 2048 };
	BIGNUM *n = NULL, *x = NULL, *y = NULL;
	EVP_PKEY *out;
	char err[256];

	(void)state;
	assert_int_equal(EVP_PKEY_get_bn_param(k.rsa, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	pub.rsa_n_len = (size_t)BN_bn2bin(n, pub.rsa_n);
	assert_int_equal(cert_pubkey_from_tpm(&pub, &out, err, sizeof(err)), 0);
	assert_int_equal(EVP_PKEY_eq(out, k.rsa), 1);       /* exponent 0 = 65537 */
	EVP_PKEY_free(out);

	memset(&pub, 0, sizeof(pub));
	pub.type = TPM2_ALG_ECC;
	pub.ecc_curve = TPM2_ECC_NIST_P384;
	assert_int_equal(EVP_PKEY_get_bn_param(k.ecc, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k.ecc, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
	assert_int_equal(BN_bn2binpad(x, pub.ecc_x, 48), 48);
	assert_int_equal(BN_bn2binpad(y, pub.ecc_y, 48), 48);
	pub.ecc_x_len = pub.ecc_y_len = 48;
	assert_int_equal(cert_pubkey_from_tpm(&pub, &out, err, sizeof(err)), 0);
	assert_int_equal(EVP_PKEY_eq(out, k.ecc), 1);
	EVP_PKEY_free(out);

	/* a point not on the curve, another curve, another algorithm */
	pub.ecc_y[47] ^= 1;
	assert_true(cert_pubkey_from_tpm(&pub, &out, err, sizeof(err)) < 0);
	assert_null(strchr(err, '\n'));
	pub.ecc_curve = 0x0003; /* NIST P-256 */
	assert_true(cert_pubkey_from_tpm(&pub, &out, err, sizeof(err)) < 0);
	pub.type = 0x0008;      /* keyedhash */
	assert_true(cert_pubkey_from_tpm(&pub, &out, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot use the TPM's public key"));
	BN_free(n);
	BN_free(x);
	BN_free(y);
}

static void test_refusals(void **state)
{
	struct cert_request req = {
		.kind = CERT_EK, .subject_key = k.rsa, .subject_cn = "vm",
		.not_before = time(NULL), .days = CERT_NO_EXPIRY, .tpm = NULL,
	};
	uint8_t *der = (uint8_t *)1;
	size_t len = 1;
	char err[256];

	(void)state;
	cert_serial_from_u64(1, req.serial, &req.serial_len);
	/* an EK certificate needs the TPM's description */
	assert_int_equal(cert_build(&req, &k.issuer, &der, &len, err, sizeof(err)), -EINVAL);
	assert_null(der);
	assert_int_equal(len, 0);
	/* a platform certificate its platform's */
	req.kind = CERT_PLATFORM;
	assert_int_equal(cert_build(&req, &k.issuer, &der, &len, err, sizeof(err)), -EINVAL);
	/* a subject that is not UTF-8 */
	req.kind = CERT_EK;
	req.tpm = &tpm_info;
	req.subject_cn = "\xff\xfe";
	assert_true(cert_build(&req, &k.issuer, &der, &len, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot build the EK certificate"));
	assert_null(strchr(err, '\n'));
	/* serial zero is not a serial */
	req.subject_cn = "vm";
	cert_serial_from_u64(0, req.serial, &req.serial_len);
	assert_true(cert_build(&req, &k.issuer, &der, &len, err, sizeof(err)) < 0);
	assert_null(der);
}

/* libvirt's --vmid (NAME:UUID) and longer: the CN is a UTF8String of
 * that length, not cut at X.520's 64 characters. */
static void test_long_subject(void **state)
{
	char cn[1025];
	struct cert_request req = {
		.kind = CERT_EK, .subject_key = k.rsa, .subject_cn = cn,
		.not_before = time(NULL), .days = CERT_NO_EXPIRY, .tpm = &tpm_info,
	};
	const unsigned char *p;
	const ASN1_STRING *got;
	uint8_t *der;
	size_t len;
	char err[256];
	X509 *x;
	X509_NAME_ENTRY *e;

	(void)state;
	memset(cn, 'v', sizeof(cn) - 1);
	memcpy(cn, "instance-0000002a:", 18);
	cn[sizeof(cn) - 1] = '\0';
	cert_serial_from_u64(9, req.serial, &req.serial_len);
	if (cert_build(&req, &k.issuer, &der, &len, err, sizeof(err)) != 0)
		fail_msg("cert_build: %s", err);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	free(der);
	e = X509_NAME_get_entry(X509_get_subject_name(x), 0);
	assert_non_null(e);
	assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), NID_commonName);
	got = X509_NAME_ENTRY_get_data(e);
	assert_int_equal(ASN1_STRING_type(got), V_ASN1_UTF8STRING);
	assert_int_equal(ASN1_STRING_length(got), 1024);
	assert_memory_equal(ASN1_STRING_get0_data(got), cn, 1024);
	assert_int_equal(X509_verify(x, k.issuer.key), 1);
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ek_rsa),
		cmocka_unit_test(test_ek_ecc),
		cmocka_unit_test(test_platform),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_ca_certs),
		cmocka_unit_test(test_pubkey_from_tpm),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_long_subject),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
