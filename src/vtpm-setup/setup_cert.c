/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_cert.c - EK, platform and CA certificates (see setup_cert.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "vtpm-setup/setup_cert.h"

/* TCG object identifiers */
#define OID_TPM_MANUFACTURER      "2.23.133.2.1"
#define OID_TPM_MODEL             "2.23.133.2.2"
#define OID_TPM_VERSION           "2.23.133.2.3"
#define OID_TPM_SPECIFICATION     "2.23.133.2.16"
#define OID_PLATFORM_MANUFACTURER "2.23.133.5.1.1"
#define OID_PLATFORM_MODEL        "2.23.133.5.1.4"
#define OID_PLATFORM_VERSION      "2.23.133.5.1.5"
#define OID_KP_EK_CERTIFICATE     "2.23.133.8.1"
#define OID_KP_PLATFORM_CERT      "2.23.133.8.2"

/* keyUsage bit numbers (RFC 5280) */
#define KUBIT_KEY_ENCIPHERMENT 2
#define KUBIT_KEY_AGREEMENT    4
#define KUBIT_KEY_CERT_SIGN    5
#define KUBIT_CRL_SIGN         6

/* TPMSpecification ::= SEQUENCE { family UTF8String, level INTEGER,
 * revision INTEGER } (TCG EK Credential Profile) */
typedef struct {
	ASN1_UTF8STRING *family;
	ASN1_INTEGER *level;
	ASN1_INTEGER *revision;
} TPM_SPECIFICATION;

ASN1_SEQUENCE(TPM_SPECIFICATION) = {
	ASN1_SIMPLE(TPM_SPECIFICATION, family, ASN1_UTF8STRING),
	ASN1_SIMPLE(TPM_SPECIFICATION, level, ASN1_INTEGER),
	ASN1_SIMPLE(TPM_SPECIFICATION, revision, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(TPM_SPECIFICATION)

IMPLEMENT_STATIC_ASN1_ALLOC_FUNCTIONS(TPM_SPECIFICATION)

/* SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute */
typedef STACK_OF(X509_ATTRIBUTE) SUBJECT_DIR_ATTRS;

ASN1_ITEM_TEMPLATE(SUBJECT_DIR_ATTRS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, SubjectDirectoryAttributes,
			      X509_ATTRIBUTE)
static_ASN1_ITEM_TEMPLATE_END(SUBJECT_DIR_ATTRS)

/* Put OpenSSL's reason for the last failure after WHAT. */
static int fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char why[200] = "";

	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	snprintf(err, errlen, "%s%s%s", what, *why ? ": " : "", why);
	return -EINVAL;
}

/* The digest vtpm-setup signs with for KEY (NULL for EdDSA keys). */
static const EVP_MD *cert_digest_for(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_bits(key) > 384)
			return EVP_sha512();
		return EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() : EVP_sha256();
	default:
		return EVP_sha256();
	}
}

int cert_random_serial(uint8_t *serial, size_t *serial_len)
{
	/* 16 random bytes, top bit clear (positive), never zero */
	if (RAND_bytes(serial, 16) != 1)
		return -EIO;
	serial[0] = (serial[0] & 0x7f) | 0x40;
	*serial_len = 16;
	return 0;
}

void cert_serial_from_u64(uint64_t n, uint8_t *serial, size_t *serial_len)
{
	size_t i;

	for (i = 0; i < 9; i++)
		serial[i] = (uint8_t)(i == 0 ? 0 : n >> (8 * (8 - i)));
	*serial_len = 9;        /* a leading zero keeps it positive */
}

/* Append an extension built from the OpenSSL structure VALUE. */
static bool add_ext(X509 *x, int nid, void *value, bool critical)
{
	return value && X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0,
				      X509V3_ADD_DEFAULT) == 1;
}

static bool add_key_usage(X509 *x, const int *bits, size_t n)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	bool ok = ku != NULL;
	size_t i;

	for (i = 0; ok && i < n; i++)
		ok = ASN1_BIT_STRING_set_bit(ku, bits[i], 1) == 1;
	ok = ok && add_ext(x, NID_key_usage, ku, true);
	ASN1_BIT_STRING_free(ku);
	return ok;
}

static bool add_basic_constraints(X509 *x, bool ca, long pathlen)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bool ok = bc != NULL;

	if (ok && ca) {
		bc->ca = 0xff;
		if (pathlen >= 0) {
			bc->pathlen = ASN1_INTEGER_new();
			ok = bc->pathlen && ASN1_INTEGER_set(bc->pathlen, pathlen) == 1;
		}
	}
	ok = ok && add_ext(x, NID_basic_constraints, bc, true);
	BASIC_CONSTRAINTS_free(bc);
	return ok;
}

static bool add_ext_key_usage(X509 *x, const char *oid)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	bool ok = eku && obj && sk_ASN1_OBJECT_push(eku, obj) > 0;

	if (ok)
		obj = NULL;     /* the stack owns it */
	ok = ok && add_ext(x, NID_ext_key_usage, eku, false);
	ASN1_OBJECT_free(obj);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return ok;
}

/* SHA-1 of the subject public key, RFC 5280's method 1. */
static bool key_id_of(X509 *x, ASN1_OCTET_STRING **id)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;

	*id = NULL;
	if (X509_pubkey_digest(x, EVP_sha1(), md, &len) != 1)
		return false;
	*id = ASN1_OCTET_STRING_new();
	return *id && ASN1_OCTET_STRING_set(*id, md, (int)len) == 1;
}

static bool add_subject_key_id(X509 *x)
{
	ASN1_OCTET_STRING *id;
	bool ok = key_id_of(x, &id) && add_ext(x, NID_subject_key_identifier, id, false);

	ASN1_OCTET_STRING_free(id);
	return ok;
}

/* The issuer's subject key identifier, or one computed from its key (also
 * for a self-signed X: asking X itself would make OpenSSL cache its
 * extensions before they are complete). */
static bool add_authority_key_id(X509 *x, X509 *issuer)
{
	const ASN1_OCTET_STRING *ski = issuer == x ? NULL :
		X509_get0_subject_key_id(issuer);
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	bool ok = akid != NULL;

	if (ok && ski)
		ok = (akid->keyid = ASN1_OCTET_STRING_dup(ski)) != NULL;
	else if (ok)
		ok = key_id_of(issuer, &akid->keyid);
	ok = ok && add_ext(x, NID_authority_key_identifier, akid, false);
	AUTHORITY_KEYID_free(akid);
	return ok;
}

/* subjectAltName: one directoryName of three UTF8String attributes. */
static bool add_san_dirname(X509 *x, const char *const oids[3],
			    const char *const values[3])
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	X509_NAME *dn = X509_NAME_new();
	bool ok = names && gn && dn;
	size_t i;

	for (i = 0; ok && i < 3; i++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(oids[i], 1);

		ok = obj && X509_NAME_add_entry_by_OBJ(dn, obj, V_ASN1_UTF8STRING,
						       (const unsigned char *)values[i],
						       -1, -1, 0) == 1;
		ASN1_OBJECT_free(obj);
	}
	if (ok) {
		GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
		dn = NULL;
		ok = sk_GENERAL_NAME_push(names, gn) > 0;
		if (ok)
			gn = NULL;
	}
	ok = ok && add_ext(x, NID_subject_alt_name, names, true);
	X509_NAME_free(dn);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	return ok;
}

/* subjectDirectoryAttributes (2.5.29.9) holding the TPM specification. */
static bool add_tpm_specification(X509 *x, const struct cert_tpm_info *tpm)
{
	TPM_SPECIFICATION *spec = TPM_SPECIFICATION_new();
	SUBJECT_DIR_ATTRS *attrs = sk_X509_ATTRIBUTE_new_null();
	ASN1_OBJECT *oid = OBJ_txt2obj(OID_TPM_SPECIFICATION, 1);
	X509_ATTRIBUTE *attr = NULL;
	ASN1_OCTET_STRING *value = NULL;
	unsigned char *spec_der = NULL, *ext_der = NULL;
	int spec_len = -1, ext_len = -1;
	bool ok = spec && attrs && oid;

	ok = ok && ASN1_STRING_set(spec->family, tpm->family, -1) == 1 &&
	     ASN1_INTEGER_set_uint64(spec->level, tpm->level) == 1 &&
	     ASN1_INTEGER_set_uint64(spec->revision, tpm->revision) == 1;
	if (ok)
		spec_len = ASN1_item_i2d((ASN1_VALUE *)spec, &spec_der,
					 ASN1_ITEM_rptr(TPM_SPECIFICATION));
	ok = ok && spec_len > 0;
	if (ok)
		attr = X509_ATTRIBUTE_create_by_OBJ(NULL, oid, V_ASN1_SEQUENCE,
						    spec_der, spec_len);
	ok = ok && attr && sk_X509_ATTRIBUTE_push(attrs, attr) > 0;
	if (ok) {
		attr = NULL;
		ext_len = ASN1_item_i2d((ASN1_VALUE *)attrs, &ext_der,
					ASN1_ITEM_rptr(SUBJECT_DIR_ATTRS));
	}
	ok = ok && ext_len > 0 && (value = ASN1_OCTET_STRING_new()) != NULL &&
	     ASN1_OCTET_STRING_set(value, ext_der, ext_len) == 1;
	if (ok) {
		ASN1_OBJECT *ext_oid = OBJ_nid2obj(NID_subject_directory_attributes);
		X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, ext_oid, 0, value);

		ok = ext && X509_add_ext(x, ext, -1) == 1;
		X509_EXTENSION_free(ext);
	}
	ASN1_OCTET_STRING_free(value);
	OPENSSL_free(ext_der);
	OPENSSL_free(spec_der);
	X509_ATTRIBUTE_free(attr);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	ASN1_OBJECT_free(oid);
	TPM_SPECIFICATION_free(spec);
	return ok;
}

static bool set_serial(X509 *x, const uint8_t *serial, size_t len)
{
	BIGNUM *bn = BN_bin2bn(serial, (int)len, NULL);
	ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	bool ok = ai && !BN_is_zero(bn) && X509_set_serialNumber(x, ai) == 1;

	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ok;
}

static bool set_validity(X509 *x, time_t not_before, int days)
{
	if (!ASN1_TIME_set(X509_getm_notBefore(x), not_before))
		return false;
	if (days == CERT_NO_EXPIRY)
		return ASN1_TIME_set_string_X509(X509_getm_notAfter(x),
						 "99991231235959Z") == 1;
	return ASN1_TIME_adj(X509_getm_notAfter(x), not_before, days, 0) != NULL;
}

static bool set_subject_cn(X509 *x, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);

	return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					  (const unsigned char *)cn, -1, -1, 0) == 1;
}

static int sign_and_export(X509 *x, EVP_PKEY *key, uint8_t **der,
			   size_t *der_len, char *err, size_t errlen)
{
	unsigned char *out = NULL;
	int len;

	if (X509_sign(x, key, cert_digest_for(key)) <= 0)
		return fail(err, errlen, "cannot sign the certificate");
	len = i2d_X509(x, &out);
	if (len <= 0)
		return fail(err, errlen, "cannot encode the certificate");
	*der = malloc((size_t)len);
	if (!*der) {
		OPENSSL_free(out);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(*der, out, (size_t)len);
	*der_len = (size_t)len;
	OPENSSL_free(out);
	return 0;
}

int cert_build(const struct cert_request *req, const struct cert_issuer *issuer,
	       uint8_t **der, size_t *der_len, char *err, size_t errlen)
{
	static const char *const tpm_oids[3] = {
		OID_TPM_MANUFACTURER, OID_TPM_MODEL, OID_TPM_VERSION,
	};
	static const char *const platform_oids[3] = {
		OID_PLATFORM_MANUFACTURER, OID_PLATFORM_MODEL, OID_PLATFORM_VERSION,
	};
	const bool ek = req->kind == CERT_EK;
	const char *values[3];
	int usage;
	X509 *x;
	int ret;

	*der = NULL;
	*der_len = 0;
	if ((ek && !req->tpm) || (!ek && !req->platform) || !req->subject_key) {
		snprintf(err, errlen, "internal error: incomplete certificate request");
		return -EINVAL;
	}
	if (ek) {
		values[0] = req->tpm->manufacturer;
		values[1] = req->tpm->model;
		values[2] = req->tpm->version;
	} else {
		values[0] = req->platform->manufacturer;
		values[1] = req->platform->model;
		values[2] = req->platform->version;
	}
	usage = EVP_PKEY_get_base_id(req->subject_key) == EVP_PKEY_EC ?
		KUBIT_KEY_AGREEMENT : KUBIT_KEY_ENCIPHERMENT;

	x = X509_new();
	if (!x ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    !set_serial(x, req->serial, req->serial_len) ||
	    X509_set_issuer_name(x, X509_get_subject_name(issuer->cert)) != 1 ||
	    !set_validity(x, req->not_before, req->days) ||
	    !set_subject_cn(x, req->subject_cn) ||
	    X509_set_pubkey(x, req->subject_key) != 1 ||
	    !add_san_dirname(x, ek ? tpm_oids : platform_oids, values) ||
	    !add_basic_constraints(x, false, -1) ||
	    (ek && !add_tpm_specification(x, req->tpm)) ||
	    !add_authority_key_id(x, issuer->cert) ||
	    !add_key_usage(x, &usage, 1) ||
	    !add_ext_key_usage(x, ek ? OID_KP_EK_CERTIFICATE : OID_KP_PLATFORM_CERT)) {
		X509_free(x);
		return fail(err, errlen, ek ? "cannot build the EK certificate" :
			    "cannot build the platform certificate");
	}
	ret = sign_and_export(x, issuer->key, der, der_len, err, errlen);
	X509_free(x);
	return ret;
}

int cert_build_ca(EVP_PKEY *subject_key, const char *cn,
		  const struct cert_issuer *issuer, X509 **out,
		  char *err, size_t errlen)
{
	static const int usage[2] = { KUBIT_KEY_CERT_SIGN, KUBIT_CRL_SIGN };
	uint8_t serial[CERT_SERIAL_MAX];
	size_t serial_len;
	X509 *x = X509_new();
	X509 *signer_cert;
	EVP_PKEY *signer_key = issuer ? issuer->key : subject_key;

	*out = NULL;
	if (!x || cert_random_serial(serial, &serial_len) < 0 ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    !set_serial(x, serial, serial_len) ||
	    !set_validity(x, time(NULL), CERT_NO_EXPIRY) ||
	    !set_subject_cn(x, cn) ||
	    X509_set_pubkey(x, subject_key) != 1)
		goto fail;
	signer_cert = issuer ? issuer->cert : x;
	if (X509_set_issuer_name(x, X509_get_subject_name(signer_cert)) != 1 ||
	    !add_basic_constraints(x, true, issuer ? 0 : -1) ||
	    !add_key_usage(x, usage, 2) ||
	    !add_subject_key_id(x) ||
	    !add_authority_key_id(x, signer_cert))
		goto fail;
	if (X509_sign(x, signer_key, cert_digest_for(signer_key)) <= 0)
		goto fail;
	/* hand back the certificate as a verifier will read it, not the object
	 * it was built in */
	*out = X509_dup(x);
	if (!*out)
		goto fail;
	X509_free(x);
	return 0;
fail:
	X509_free(x);
	return fail(err, errlen, "cannot build the CA certificate");
}

/* An RSA public key from its modulus and exponent. */
static EVP_PKEY *rsa_pubkey(const uint8_t *n, size_t n_len, uint32_t e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;

	if (bld && bn_n && bn_e && ctx && BN_set_word(bn_e, e ? e : 65537) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn_e);
	BN_free(bn_n);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

/* A P-384 public key from its coordinates (each padded to 48 bytes). */
static EVP_PKEY *p384_pubkey(const uint8_t *x, size_t x_len, const uint8_t *y,
			     size_t y_len)
{
	uint8_t point[1 + 2 * 48] = { 0x04 };   /* uncompressed */
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM params[3];
	EVP_PKEY *key = NULL;

	if (x_len > 48 || y_len > 48)
		return NULL;
	memcpy(point + 1 + 48 - x_len, x, x_len);
	memcpy(point + 1 + 96 - y_len, y, y_len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"secp384r1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int cert_pubkey_from_tpm(const struct tpm2_pubkey *pub, EVP_PKEY **out,
			 char *err, size_t errlen)
{
	if (pub->type == TPM2_ALG_RSA)
		*out = rsa_pubkey(pub->rsa_n, pub->rsa_n_len, pub->rsa_exponent);
	else if (pub->type == TPM2_ALG_ECC && pub->ecc_curve == TPM2_ECC_NIST_P384)
		*out = p384_pubkey(pub->ecc_x, pub->ecc_x_len, pub->ecc_y, pub->ecc_y_len);
	else
		*out = NULL;
	if (!*out)
		return fail(err, errlen, "cannot use the TPM's public key");
	return 0;
}
