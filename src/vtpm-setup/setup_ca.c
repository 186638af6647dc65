/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_ca.c - the local CA and the user's CA (see setup_ca.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mem/secret.h"
#include "os/io.h"
#include "text/number.h"
#include "vtpm-setup/setup_ca.h"
#include "vtpm-setup/setup_files.h"

#define ROOT_KEY    "rootca-key.pem"
#define ROOT_CERT   "rootca-cert.pem"
#define SIGN_KEY    "signkey.pem"
#define ISSUER_CERT "issuercert.pem"
#define SERIAL_FILE "certserial"
#define LOCK_FILE   ".lock"
#define ROOT_CN     "vtpmd-localca-rootca"
#define ISSUER_CN   "vtpmd-localca"
#define PEM_MAX     (64u << 10)
#define PASS_MAX    1024

/* Never prompt on a terminal: a key that needs a passphrase we were not
 * given fails to load. */
static int no_prompt(char *buf, int size, int rwflag, void *u)
{
	size_t len;

	(void)rwflag;
	if (!u)
		return -1;
	len = strlen(u);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, u, len);
	return (int)len;
}

static int openssl_fail(char *err, size_t errlen, const char *what,
			const char *path)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	snprintf(err, errlen, "%s %s%s%s", what, path, why ? ": " : "", why ? why : "");
	return -EINVAL;
}

static int load_key(const char *path, const char *pass, EVP_PKEY **key,
		    char *err, size_t errlen)
{
	uint8_t *pem;
	size_t len;
	BIO *bio;
	int ret = files_read(path, -1, PEM_MAX, &pem, &len);

	if (ret < 0) {
		snprintf(err, errlen, "cannot read CA key %s: %s", path, strerror(-ret));
		return ret;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	*key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_prompt, (void *)pass) : NULL;
	BIO_free(bio);
	files_free(pem, len);
	if (!*key)
		return openssl_fail(err, errlen, pass ? "cannot decrypt CA key" :
				    "cannot load CA key (is it encrypted? see --ca-pwdfile)",
				    path);
	return 0;
}

static int load_cert(const char *path, X509 **cert, char *err, size_t errlen)
{
	uint8_t *pem;
	size_t len;
	BIO *bio;
	int ret = files_read(path, -1, PEM_MAX, &pem, &len);

	if (ret < 0) {
		snprintf(err, errlen, "cannot read CA certificate %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	*cert = bio ? PEM_read_bio_X509(bio, NULL, no_prompt, NULL) : NULL;
	BIO_free(bio);
	files_free(pem, len);
	if (!*cert)
		return openssl_fail(err, errlen, "cannot load CA certificate", path);
	return 0;
}

/* The issuer must be a CA whose certificate belongs to its key. */
static int check_issuer(const struct cert_issuer *iss, const char *cert_path,
			char *err, size_t errlen)
{
	if (X509_check_private_key(iss->cert, iss->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "CA certificate %s does not belong to the CA key",
			 cert_path);
		return -EINVAL;
	}
	if (X509_check_ca(iss->cert) < 1) {
		snprintf(err, errlen, "%s is not a CA certificate (no basicConstraints CA:TRUE)",
			 cert_path);
		return -EINVAL;
	}
	return 0;
}

/* The CA key's passphrase: the first line of the file or fd. */
static int read_passphrase(const struct setup_ca_options *opt, char **pass,
			   char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int ret;

	*pass = NULL;
	if (!opt->pwd_file && opt->pwd_fd < 0)
		return 0;
	ret = files_read(opt->pwd_file, opt->pwd_fd, PASS_MAX, &buf, &len);
	if (ret < 0) {
		snprintf(err, errlen, "cannot read the CA passphrase from %s: %s",
			 opt->pwd_file ? opt->pwd_file : "--ca-pwdfile-fd", strerror(-ret));
		return ret;
	}
	buf[strcspn((char *)buf, "\r\n")] = '\0';
	*pass = (char *)buf;
	return 0;
}

static int open_user_ca(struct setup_ca *ca, const struct setup_ca_options *opt,
			char *err, size_t errlen)
{
	char *pass;
	int ret = read_passphrase(opt, &pass, err, errlen);

	if (ret < 0)
		return ret;
	ret = load_key(opt->key_file, pass, &ca->issuer.key, err, errlen);
	if (pass)
		files_free((uint8_t *)pass, strlen(pass));
	if (ret == 0)
		ret = load_cert(opt->cert_file, &ca->issuer.cert, err, errlen);
	if (ret == 0)
		ret = check_issuer(&ca->issuer, opt->cert_file, err, errlen);
	return ret;
}

static int write_pem(int dirfd, const char *name, EVP_PKEY *key, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ret = -ENOMEM;

	if (!bio)
		return -ENOMEM;
	if ((key && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) ||
	    (cert && PEM_write_bio_X509(bio, cert) == 1)) {
		len = BIO_get_mem_data(bio, &data);
		ret = files_write_atomic(dirfd, name, data, (size_t)len,
					 key ? 0600 : 0644);
		secret_wipe(data, (size_t)len);
	}
	BIO_free(bio);
	return ret;
}

/* Make the root and the intermediate; the intermediate's certificate is
 * written last, so its presence says the CA is complete. */
static int create_local_ca(int dirfd, const char *dir, char *err, size_t errlen)
{
	struct cert_issuer root = { NULL, NULL };
	EVP_PKEY *sign_key = NULL;
	X509 *issuer_cert = NULL;
	int ret;

	root.key = EVP_EC_gen("P-384");
	sign_key = EVP_EC_gen("P-384");
	if (!root.key || !sign_key) {
		ret = openssl_fail(err, errlen, "cannot make the local CA's keys in", dir);
		goto out;
	}
	ret = cert_build_ca(root.key, ROOT_CN, NULL, &root.cert, err, errlen);
	if (ret == 0)
		ret = cert_build_ca(sign_key, ISSUER_CN, &root, &issuer_cert, err, errlen);
	if (ret < 0)
		goto out;
	ret = write_pem(dirfd, ROOT_KEY, root.key, NULL);
	if (ret == 0)
		ret = write_pem(dirfd, ROOT_CERT, NULL, root.cert);
	if (ret == 0)
		ret = write_pem(dirfd, SIGN_KEY, sign_key, NULL);
	if (ret == 0)
		ret = write_pem(dirfd, ISSUER_CERT, NULL, issuer_cert);
	if (ret < 0)
		snprintf(err, errlen, "cannot write the local CA in %s: %s", dir,
			 strerror(-ret));
out:
	EVP_PKEY_free(root.key);
	X509_free(root.cert);
	EVP_PKEY_free(sign_key);
	X509_free(issuer_cert);
	return ret;
}

/* Reserve N serial numbers: the counter file holds the last one issued. */
static int reserve_serials(struct setup_ca *ca, int dirfd, const char *dir,
			   size_t n, char *err, size_t errlen)
{
	char text[32];
	uint64_t last = 0;
	ssize_t got;
	int fd, ret;

	fd = openat(dirfd, SERIAL_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		got = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (got <= 0) {
			snprintf(err, errlen, "%s/%s cannot be read", dir, SERIAL_FILE);
			return -EIO;
		}
		text[got] = '\0';
		if (text[got - 1] == '\n')
			text[got - 1] = '\0';  /* the line written below */
		if (number_parse(text, NUMBER_DEC, UINT64_MAX / 2, &last) < 0) {
			/* starting over could repeat serial numbers */
			snprintf(err, errlen, "%s/%s does not hold a serial number",
				 dir, SERIAL_FILE);
			return -EINVAL;
		}
	} else if (errno != ENOENT) {
		ret = -errno;
		snprintf(err, errlen, "%s/%s: %s", dir, SERIAL_FILE, strerror(-ret));
		return ret;
	}
	snprintf(text, sizeof(text), "%" PRIu64 "\n", last + n);
	ret = files_write_atomic(dirfd, SERIAL_FILE, text, strlen(text), 0644);
	if (ret < 0) {
		snprintf(err, errlen, "cannot write %s/%s: %s", dir, SERIAL_FILE,
			 strerror(-ret));
		return ret;
	}
	ca->next_serial = last + 1;
	ca->serials_left = n;
	return 0;
}

static int path_in(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int open_local_ca(struct setup_ca *ca, const char *dir, size_t n,
			 char *err, size_t errlen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char key_path[4096], cert_path[4096];
	int dirfd = -1, lockfd = -1, ret;

	ret = io_mkdir_p(dir, 0755, 0750);
	if (ret == 0) {
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = dirfd < 0 ? -errno : 0;
	}
	if (ret == 0) {
		lockfd = openat(dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				0600);
		ret = lockfd < 0 ? -errno : 0;
	}
	while (ret == 0 && fcntl(lockfd, F_OFD_SETLKW, &lk) < 0)
		if (errno != EINTR)
			ret = -errno;
	if (ret < 0) {
		snprintf(err, errlen, "local CA in %s: %s (see --ca-dir)", dir,
			 strerror(-ret));
		goto out;
	}
	ret = path_in(key_path, sizeof(key_path), dir, SIGN_KEY);
	if (ret == 0)
		ret = path_in(cert_path, sizeof(cert_path), dir, ISSUER_CERT);
	if (ret < 0) {
		snprintf(err, errlen, "--ca-dir %s: path too long", dir);
		goto out;
	}
	if (faccessat(dirfd, ISSUER_CERT, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		ret = create_local_ca(dirfd, dir, err, errlen);
		if (ret < 0)
			goto out;
	}
	ret = load_key(key_path, NULL, &ca->issuer.key, err, errlen);
	if (ret == 0)
		ret = load_cert(cert_path, &ca->issuer.cert, err, errlen);
	if (ret == 0)
		ret = check_issuer(&ca->issuer, cert_path, err, errlen);
	if (ret == 0 && n > 0)
		ret = reserve_serials(ca, dirfd, dir, n, err, errlen);
out:
	if (lockfd >= 0)
		close(lockfd);          /* releases the lock */
	if (dirfd >= 0)
		close(dirfd);
	return ret;
}

int setup_ca_open(struct setup_ca *ca, const struct setup_ca_options *opt,
		  size_t n, char *err, size_t errlen)
{
	int ret;

	memset(ca, 0, sizeof(*ca));
	ca->local = !opt->key_file;
	if (ca->local)
		ret = open_local_ca(ca, opt->dir ? opt->dir : SETUP_CA_DIR_DEFAULT, n,
				    err, errlen);
	else
		ret = open_user_ca(ca, opt, err, errlen);
	if (ret < 0)
		setup_ca_close(ca);
	return ret;
}

int setup_ca_next_serial(struct setup_ca *ca, uint8_t *serial, size_t *len)
{
	if (!ca->local)
		return cert_random_serial(serial, len);
	if (ca->serials_left == 0)
		return -ERANGE;
	cert_serial_from_u64(ca->next_serial++, serial, len);
	ca->serials_left--;
	return 0;
}

void setup_ca_close(struct setup_ca *ca)
{
	EVP_PKEY_free(ca->issuer.key);
	X509_free(ca->issuer.cert);
	ca->issuer.key = NULL;
	ca->issuer.cert = NULL;
}
