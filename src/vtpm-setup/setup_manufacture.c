/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_manufacture.c - vtpm-setup's TPM 2 sequences (see setup_manufacture.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_files.h"
#include "vtpm-setup/setup_log.h"
#include "vtpm-setup/setup_manufacture.h"
#include "vtpm-setup/setup_tpm.h"

#define TEMPLATE_MAX 1024
#define CERT_FILE_MAX (64u << 10)

/* One line for a TPM command that failed: "what: TPM_RC_X (0x...)". */
static int tpm_fail(char *err, size_t errlen, uint32_t rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int tpm_fail(char *err, size_t errlen, uint32_t rc, const char *fmt, ...)
{
	const char *name = tpm2_rc_name(rc);
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (name)
		snprintf(err, errlen, "%s: %s (0x%x)", what, name, rc);
	else
		snprintf(err, errlen, "%s: TPM error 0x%x", what, rc);
	return -EIO;
}

size_t setup_cert_count(const struct setup_options *o)
{
	if (!o->create_ek_cert)
		return 0;
	return 2 + (o->create_platform_cert ? 1 : 0);
}

void setup_eks_free(struct setup_eks *eks)
{
	size_t i;

	for (i = 0; i < eks->n; i++)
		EVP_PKEY_free(eks->ek[i].pub);
	eks->n = 0;
}

static int add_ek(struct setup_eks *eks, enum setup_key key,
		  const struct tpm2_pubkey *pub, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	int ret = cert_pubkey_from_tpm(pub, &pkey, err, errlen);

	if (ret < 0)
		return ret;
	eks->ek[eks->n].key = key;
	eks->ek[eks->n].pub = pkey;
	eks->n++;
	return 0;
}

/* NV_DefineSpace + NV_Write (+ NV_WriteLock) of a certificate. */
static int store_cert(uint32_t index, const uint8_t *der, size_t len, bool lock,
		      const char *what, char *err, size_t errlen)
{
	uint32_t rc;

	if (len > UINT16_MAX) {
		snprintf(err, errlen, "%s is too large for an NV index (%zu bytes)",
			 what, len);
		return -EFBIG;
	}
	rc = tpm2cmd_nv_define_space(index, NV_CERT_ATTRIBUTES, (uint16_t)len);
	if (rc)
		return tpm_fail(err, errlen, rc, "cannot define NV index 0x%08x for "
				"the %s (%zu bytes)", index, what, len);
	rc = tpm2cmd_nv_write(index, der, len);
	if (rc)
		return tpm_fail(err, errlen, rc, "cannot write the %s into NV index 0x%08x",
				what, index);
	if (lock) {
		rc = tpm2cmd_nv_write_lock(index);
		if (rc)
			return tpm_fail(err, errlen, rc, "cannot lock NV index 0x%08x", index);
	}
	slog("Stored the %s (%zu bytes) in NV index 0x%08x%s.", what, len, index,
	     lock ? ", write-locked" : "");
	return 0;
}

/* CreatePrimary from KEY's template, made persistent, transient copy
 * flushed. */
static int create_persistent(enum setup_key key, struct tpm2_pubkey *pub,
			     const char *what, char *err, size_t errlen)
{
	const struct setup_key_info *info = setup_key_info(key);
	uint8_t tmpl[TEMPLATE_MAX];
	size_t tmpl_len = setup_key_template(key, tmpl, sizeof(tmpl));
	uint32_t handle, rc;

	rc = tpm2cmd_create_primary(info->hierarchy, tmpl, tmpl_len, &handle, pub);
	if (rc)
		return tpm_fail(err, errlen, rc, "cannot create the %s %s", info->name, what);
	rc = tpm2cmd_evict_control(handle, info->persistent);
	if (rc == TPM2_RC_SUCCESS)
		rc = tpm2cmd_flush_context(handle);
	if (rc)
		return tpm_fail(err, errlen, rc, "cannot make the %s %s persistent at 0x%08x",
				info->name, what, info->persistent);
	slog("Created the %s %s at 0x%08x.", info->name, what, info->persistent);
	return 0;
}

static int make_cert(const struct setup_options *o, const struct manufacture_env *env,
		     enum cert_kind kind, EVP_PKEY *pub, uint8_t **der, size_t *len,
		     char *err, size_t errlen)
{
	const struct cert_platform_info platform = {
		o->platform_manufacturer, o->platform_model, o->platform_version,
	};
	struct cert_request req = {
		.kind = kind,
		.subject_key = pub,
		.subject_cn = o->vmid ? o->vmid : "unknown",
		.not_before = env->now,
		.days = o->days,
		.tpm = env->tpm_info,
		.platform = &platform,
	};
	int ret = setup_ca_next_serial(env->ca, req.serial, &req.serial_len);

	if (ret < 0) {
		snprintf(err, errlen, "no serial number for the certificate: %s",
			 strerror(-ret));
		return ret;
	}
	return cert_build(&req, &env->ca->issuer, der, len, err, errlen);
}

/* One EK with its certificates. */
static int make_ek(const struct setup_options *o, const struct manufacture_env *env,
		   enum setup_key key, bool platform_cert, struct setup_eks *eks,
		   char *err, size_t errlen)
{
	const struct setup_key_info *info = setup_key_info(key);
	struct tpm2_pubkey pub;
	EVP_PKEY *pkey;
	uint8_t *der;
	size_t len;
	int ret = create_persistent(key, &pub, "EK", err, errlen);

	if (ret == 0)
		ret = add_ek(eks, key, &pub, err, errlen);
	if (ret < 0 || !o->create_ek_cert)
		return ret;
	pkey = eks->ek[eks->n - 1].pub;
	ret = make_cert(o, env, CERT_EK, pkey, &der, &len, err, errlen);
	if (ret < 0)
		return ret;
	ret = store_cert(info->cert_index, der, len, o->lock_nvram,
			 "EK certificate", err, errlen);
	free(der);
	if (ret < 0 || !platform_cert)
		return ret;
	ret = make_cert(o, env, CERT_PLATFORM, pkey, &der, &len, err, errlen);
	if (ret < 0)
		return ret;
	ret = store_cert(NV_INDEX_PLATFORM_CERT, der, len, o->lock_nvram,
			 "platform certificate", err, errlen);
	free(der);
	return ret;
}

static void bank_list(char *buf, size_t len, const struct tpm2_pcr_bank *b,
		      size_t n, bool active_only)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		const char *name = tpm2_bank_name(b[i].alg);

		if (active_only && !b[i].active)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 used ? "," : "", name ? name : "?");
	}
}

static int allocate_banks(const struct setup_options *o, char *err, size_t errlen)
{
	struct tpm2_pcr_bank all[TPM2_MAX_BANKS];
	char have[128];
	size_t n, i, j;
	uint32_t rc = tpm2cmd_pcr_banks(all, TPM2_MAX_BANKS, &n);

	if (rc)
		return tpm_fail(err, errlen, rc, "cannot read the PCR banks");
	bank_list(have, sizeof(have), all, n, false);
	for (i = 0; i < o->n_pcr_banks; i++) {
		for (j = 0; j < n && all[j].alg != o->pcr_banks[i]; j++)
			;
		if (j == n) {
			snprintf(err, errlen, "PCR bank %s is not available in this TPM "
				 "(it has %s)", tpm2_bank_name(o->pcr_banks[i]), have);
			return -EINVAL;
		}
	}
	rc = tpm2cmd_pcr_allocate(o->pcr_banks, o->n_pcr_banks, all, n);
	if (rc)
		return tpm_fail(err, errlen, rc, "TPM2_PCR_Allocate failed");
	return 0;
}

/* After the restart: exactly the banks asked for are allocated. */
static int check_banks(const struct setup_options *o, char *err, size_t errlen)
{
	struct tpm2_pcr_bank all[TPM2_MAX_BANKS];
	char active[128];
	size_t n, i, j;
	uint32_t rc = tpm2cmd_pcr_banks(all, TPM2_MAX_BANKS, &n);

	if (rc)
		return tpm_fail(err, errlen, rc, "cannot read the PCR banks");
	bank_list(active, sizeof(active), all, n, true);
	for (i = 0; i < n; i++) {
		bool want = false;

		for (j = 0; j < o->n_pcr_banks; j++)
			want |= o->pcr_banks[j] == all[i].alg;
		if (want != all[i].active) {
			snprintf(err, errlen, "the TPM came back with PCR banks %s", active);
			return -EIO;
		}
	}
	slog("Allocated PCR banks %s.", active);
	return 0;
}

static int power_on_started(char *err, size_t errlen)
{
	uint32_t rc;
	int ret = setup_tpm_power_on(err, errlen);

	if (ret < 0)
		return ret;
	rc = tpm2cmd_startup(TPM2_SU_CLEAR);
	if (rc)
		return tpm_fail(err, errlen, rc, "TPM2_Startup failed");
	return 0;
}

/* TPM2_Shutdown(CLEAR) and off: the state a fresh TPM is handed over in. */
static int shutdown_off(char *err, size_t errlen)
{
	uint32_t rc = tpm2cmd_shutdown(TPM2_SU_CLEAR);

	setup_tpm_power_off();
	if (rc)
		return tpm_fail(err, errlen, rc, "TPM2_Shutdown failed");
	return 0;
}

int setup_manufacture(const struct setup_options *o,
		      const struct manufacture_env *env, struct setup_eks *eks,
		      char *err, size_t errlen)
{
	enum setup_key spk = o->ecc_spk ? KEY_SPK_ECC384 :
		o->rsa_bits == 3072 ? KEY_SPK_RSA3072 : KEY_SPK_RSA2048;
	enum setup_key rsa_ek = o->rsa_bits == 3072 ? KEY_EK_RSA3072 : KEY_EK_RSA2048;
	struct tpm2_pubkey pub;
	int ret = power_on_started(err, errlen);

	if (ret == 0 && o->create_spk)
		ret = create_persistent(spk, &pub, "storage primary key", err, errlen);
	if (ret == 0 && o->create_ek)
		ret = make_ek(o, env, rsa_ek, o->create_platform_cert, eks, err, errlen);
	if (ret == 0 && o->create_ek)
		ret = make_ek(o, env, KEY_EK_ECC384, false, eks, err, errlen);
	if (ret == 0 && !o->pcr_banks_keep)
		ret = allocate_banks(o, err, errlen);
	if (ret < 0) {
		setup_tpm_power_off();
		return ret;
	}
	ret = shutdown_off(err, errlen);
	if (ret < 0 || o->pcr_banks_keep)
		return ret;
	/* the allocation holds from the next Startup: check it did */
	ret = power_on_started(err, errlen);
	if (ret == 0)
		ret = check_banks(o, err, errlen);
	if (ret < 0) {
		setup_tpm_power_off();
		return ret;
	}
	return shutdown_off(err, errlen);
}

/* An EK certificate file, PEM or DER. */
static int load_cert_file(const char *path, X509 **cert, char *err, size_t errlen)
{
	const unsigned char *p;
	uint8_t *buf;
	size_t len;
	BIO *bio;
	int ret = files_read(path, -1, CERT_FILE_MAX, &buf, &len);

	if (ret < 0) {
		snprintf(err, errlen, "--ek-cert %s: %s", path,
			 ret == -EFBIG ? "larger than 64 KiB" : strerror(-ret));
		return ret;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	*cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!*cert) {
		p = buf;
		*cert = d2i_X509(NULL, &p, (long)len);
		if (*cert && p != buf + len) {
			X509_free(*cert);
			*cert = NULL;
		}
	}
	ERR_clear_error();
	files_free(buf, len);
	if (!*cert) {
		snprintf(err, errlen, "--ek-cert %s: not an X.509 certificate (PEM or DER)",
			 path);
		return -EINVAL;
	}
	return 0;
}

/* Whichever EK index already holds a certificate gets it replaced. */
static int replace_cert(uint32_t index, const uint8_t *der, size_t len, bool lock,
			char *err, size_t errlen)
{
	uint32_t attrs, rc;
	uint16_t size;

	if (tpm2cmd_nv_read_public(index, &attrs, &size) == TPM2_RC_SUCCESS) {
		rc = tpm2cmd_nv_undefine_space(index);
		if (rc)
			return tpm_fail(err, errlen, rc, "cannot remove the old certificate "
					"in NV index 0x%08x", index);
	}
	return store_cert(index, der, len, lock, "EK certificate", err, errlen);
}

static int store_ek_cert(const char *path, const struct setup_eks *eks, bool lock,
			 char *err, size_t errlen)
{
	unsigned char *der = NULL;
	X509 *cert;
	EVP_PKEY *key;
	size_t i;
	int len, ret = load_cert_file(path, &cert, err, errlen);

	if (ret < 0)
		return ret;
	key = X509_get0_pubkey(cert);
	for (i = 0; key && i < eks->n; i++)
		if (EVP_PKEY_eq(key, eks->ek[i].pub) == 1)
			break;
	ERR_clear_error();
	if (!key || i == eks->n) {
		snprintf(err, errlen, "--ek-cert %s: its public key is not one of this "
			 "TPM's EKs", path);
		X509_free(cert);
		return -EINVAL;
	}
	len = i2d_X509(cert, &der);
	X509_free(cert);
	if (len <= 0) {
		snprintf(err, errlen, "--ek-cert %s: cannot encode it as DER", path);
		return -EINVAL;
	}
	ret = replace_cert(setup_key_info(eks->ek[i].key)->cert_index, der, (size_t)len,
			   lock, err, errlen);
	OPENSSL_free(der);
	return ret;
}

/* The persistent EKs this TPM has. */
static int read_eks(struct setup_eks *eks, char *err, size_t errlen)
{
	static const enum setup_key keys[] = {
		KEY_EK_RSA2048, KEY_EK_RSA3072, KEY_EK_ECC384,
	};
	struct tpm2_pubkey pub;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && eks->n < 2; i++) {
		uint32_t rc = tpm2cmd_read_public(setup_key_info(keys[i])->persistent, &pub);

		if ((rc & 0xbf) == TPM2_RC_HANDLE)     /* no such key */
			continue;
		if (rc)
			return tpm_fail(err, errlen, rc, "cannot read the EK at 0x%08x",
					setup_key_info(keys[i])->persistent);
		ret = add_ek(eks, keys[i], &pub, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (eks->n == 0) {
		snprintf(err, errlen, "this TPM has no persistent EK (make one with "
			 "--createek)");
		return -ENOENT;
	}
	return 0;
}

int setup_amend(const struct setup_options *o, struct setup_eks *eks,
		char *err, size_t errlen)
{
	size_t i;
	int ret = power_on_started(err, errlen);

	if (ret == 0)
		ret = read_eks(eks, err, errlen);
	for (i = 0; ret == 0 && i < o->n_ek_cert; i++)
		ret = store_ek_cert(o->ek_cert[i], eks, o->lock_nvram, err, errlen);
	if (ret < 0) {
		setup_tpm_power_off();
		return ret;
	}
	return shutdown_off(err, errlen);
}

int setup_eks_pem(const struct setup_eks *eks, char **out, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	size_t i;
	int ret = 0;

	*out = NULL;
	*len = 0;
	if (!bio)
		return -ENOMEM;
	for (i = 0; i < eks->n && ret == 0; i++) {
		const struct setup_key_info *info = setup_key_info(eks->ek[i].key);

		if (BIO_printf(bio, "EK %s, persistent handle 0x%08x\n", info->name,
			       info->persistent) <= 0 ||
		    PEM_write_bio_PUBKEY(bio, eks->ek[i].pub) != 1)
			ret = -ENOMEM;
	}
	n = BIO_get_mem_data(bio, &data);
	if (ret == 0 && n > 0 && (*out = malloc((size_t)n)) != NULL) {
		memcpy(*out, data, (size_t)n);
		*len = (size_t)n;
	} else if (ret == 0) {
		ret = -ENOMEM;
	}
	BIO_free(bio);
	return ret;
}
