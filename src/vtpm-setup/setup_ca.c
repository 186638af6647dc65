/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_ca.c - the local CA and the user's CA (see setup_ca.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
#define SWTPM_LOCK_FILE ".lock.swtpm-localca"
#define ROOT_CN     "vtpmd-localca-rootca"
#define ISSUER_CN   "vtpmd-localca"
#define PEM_MAX     (64u << 10)
#define PASS_MAX    1024

static const volatile sig_atomic_t *ca_stop;

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

/* AT/NAME (AT_FDCWD: a path), not through a symbolic link when AT is a
 * directory of ours. */
static int read_pem(int at, const char *name, uint8_t **pem, size_t *len)
{
	int fd = openat(at, name, O_RDONLY | O_CLOEXEC | (at == AT_FDCWD ? 0 : O_NOFOLLOW));

	if (fd < 0)
		return -errno;
	return files_read(NULL, fd, PEM_MAX, pem, len);
}

static int load_key(int at, const char *name, const char *path, const char *pass,
		    EVP_PKEY **key, char *err, size_t errlen)
{
	uint8_t *pem;
	size_t len;
	BIO *bio;
	int ret = read_pem(at, name, &pem, &len);

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

static int load_cert(int at, const char *name, const char *path, X509 **cert,
		     char *err, size_t errlen)
{
	uint8_t *pem;
	size_t len;
	BIO *bio;
	int ret = read_pem(at, name, &pem, &len);

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

/* "2021-01-01 00:00:00 UTC" */
static void asn1_time_text(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, len, "(unreadable)");
}

/* A CA certificate that is not valid now signs nothing a verifier accepts. */
static int check_validity(X509 *cert, const char *cert_path, char *err, size_t errlen)
{
	const ASN1_TIME *from = X509_get0_notBefore(cert), *until = X509_get0_notAfter(cert);
	char when[64];

	if (X509_cmp_current_time(from) > 0) {
		asn1_time_text(from, when, sizeof(when));
		snprintf(err, errlen, "CA certificate %s is not valid before %s", cert_path,
			 when);
		return -EKEYREJECTED;
	}
	if (X509_cmp_current_time(until) < 0) {
		asn1_time_text(until, when, sizeof(when));
		snprintf(err, errlen, "CA certificate %s expired on %s", cert_path, when);
		return -EKEYEXPIRED;
	}
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
	return check_validity(iss->cert, cert_path, err, errlen);
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
	ret = load_key(AT_FDCWD, opt->key_file, opt->key_file, pass, &ca->issuer.key,
		       err, errlen);
	if (pass)
		files_free((uint8_t *)pass, strlen(pass));
	if (ret == 0)
		ret = load_cert(AT_FDCWD, opt->cert_file, opt->cert_file, &ca->issuer.cert,
				err, errlen);
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

/* The root and the intermediate, in memory until the commit. */
static int make_local_ca(struct setup_ca *ca, char *err, size_t errlen)
{
	int ret;

	ca->root.key = EVP_EC_gen("P-384");
	ca->issuer.key = EVP_EC_gen("P-384");
	if (!ca->root.key || !ca->issuer.key)
		return openssl_fail(err, errlen, "cannot make the local CA's keys for",
				    ca->dir);
	ret = cert_build_ca(ca->root.key, ROOT_CN, NULL, &ca->root.cert, err, errlen);
	if (ret == 0)
		ret = cert_build_ca(ca->issuer.key, ISSUER_CN, &ca->root, &ca->issuer.cert,
				    err, errlen);
	return ret;
}

/* The intermediate's certificate is written last: its presence says the
 * CA is complete. */
static int write_local_ca(struct setup_ca *ca)
{
	int ret = write_pem(ca->dirfd, ROOT_KEY, ca->root.key, NULL);

	if (ret == 0)
		ret = write_pem(ca->dirfd, ROOT_CERT, NULL, ca->root.cert);
	if (ret == 0)
		ret = write_pem(ca->dirfd, SIGN_KEY, ca->issuer.key, NULL);
	if (ret == 0)
		ret = write_pem(ca->dirfd, ISSUER_CERT, NULL, ca->issuer.cert);
	return ret;
}

static void unlink_local_ca(struct setup_ca *ca)
{
	static const char *const names[] = { ISSUER_CERT, SIGN_KEY, ROOT_CERT, ROOT_KEY };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)unlinkat(ca->dirfd, names[i], 0);
}

/* The counter: swtpm_localca's format, the last serial issued in decimal,
 * with or without a newline (vtpm-setup before 0.2 wrote one). */
static int read_counter(struct setup_ca *ca, char *err, size_t errlen)
{
	char text[32];
	ssize_t got;
	int fd, ret;

	ca->counter_found = false;
	ca->last_serial = 0;
	fd = openat(ca->dirfd, SERIAL_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s/%s: %s", ca->dir, SERIAL_FILE, strerror(-ret));
		return ret;
	}
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got < 0) {
		snprintf(err, errlen, "%s/%s cannot be read", ca->dir, SERIAL_FILE);
		return -EIO;
	}
	text[got] = '\0';
	if (got > 0 && text[got - 1] == '\n')
		text[got - 1] = '\0';
	if (number_parse(text, NUMBER_DEC, UINT64_MAX / 2, &ca->last_serial) < 0) {
		/* starting over could repeat serial numbers */
		snprintf(err, errlen, "%s/%s does not hold a serial number", ca->dir,
			 SERIAL_FILE);
		return -EINVAL;
	}
	ca->counter_found = true;
	return 0;
}

static int write_counter(struct setup_ca *ca, uint64_t last)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64, last);
	return files_write_atomic(ca->dirfd, SERIAL_FILE, text, strlen(text), 0644);
}

/* The topmost directory of PATH that does not exist yet, into MADE (""
 * when PATH exists). */
static void first_missing(const char *path, char *made, size_t len)
{
	char cur[PATH_MAX], *slash;
	struct stat st;

	made[0] = '\0';
	snprintf(cur, sizeof(cur), "%s", path);
	while (cur[0] && lstat(cur, &st) < 0 && errno == ENOENT) {
		snprintf(made, len, "%s", cur);
		slash = strrchr(cur, '/');
		if (!slash || slash == cur)
			break;
		*slash = '\0';
	}
}

/* What open made for the lock, when nothing was committed. */
static void remove_made_dirs(struct setup_ca *ca)
{
	char cur[PATH_MAX], *slash;

	if (!ca->made[0])
		return;
	(void)unlinkat(ca->dirfd, LOCK_FILE, 0);
	snprintf(cur, sizeof(cur), "%s", ca->dir);
	while (rmdir(cur) == 0 && strcmp(cur, ca->made) != 0) {
		slash = strrchr(cur, '/');
		if (!slash || slash == cur)
			break;
		*slash = '\0';
	}
	ca->made[0] = '\0';
}

/* swtpm_localca, pointed at this directory as its statedir, flock()s
 * .lock.swtpm-localca around each serial it takes: so does vtpm-setup,
 * when the file is there. */
static int lock_swtpm_localca(struct setup_ca *ca, char *err, size_t errlen)
{
	int ret = 0;

	ca->swtpm_lockfd = openat(ca->dirfd, SWTPM_LOCK_FILE,
				  O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (ca->swtpm_lockfd < 0)
		return 0;
	while (flock(ca->swtpm_lockfd, LOCK_EX) < 0)
		if (errno != EINTR || (ca_stop && *ca_stop)) {
			ret = -errno;
			snprintf(err, errlen, "local CA in %s: %s: %s", ca->dir, SWTPM_LOCK_FILE,
				 strerror(-ret));
			break;
		}
	return ret;
}

static int lock_local_ca(struct setup_ca *ca, char *err, size_t errlen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat d, l;
	int tries, ret = 0;

	for (tries = 0; tries < 16; tries++) {
		first_missing(ca->dir, ca->made, sizeof(ca->made));
		ret = io_mkdir_p(ca->dir, 0755, 0750);
		if (ret == 0) {
			ca->dirfd = open(ca->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			ret = ca->dirfd < 0 ? -errno : 0;
		}
		if (ret == 0) {
			ca->lockfd = openat(ca->dirfd, LOCK_FILE,
					    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
			ret = ca->lockfd < 0 ? -errno : 0;
		}
		while (ret == 0 && fcntl(ca->lockfd, F_OFD_SETLKW, &lk) < 0)
			if (errno != EINTR || (ca_stop && *ca_stop))
				ret = -errno;
		if (ret < 0)
			break;
		/* a run that made the directory and failed removed it while
		 * this one waited: take the new one */
		if (fstat(ca->dirfd, &d) == 0 && d.st_nlink > 0 &&
		    fstat(ca->lockfd, &l) == 0 && l.st_nlink > 0)
			return lock_swtpm_localca(ca, err, errlen);
		close(ca->lockfd);
		close(ca->dirfd);
		ca->lockfd = ca->dirfd = -1;
		ca->made[0] = '\0';
	}
	if (ret == 0)
		ret = -EAGAIN;
	snprintf(err, errlen, "local CA in %s: %s (see --ca-dir)", ca->dir, strerror(-ret));
	return ret;
}

static int open_local_ca(struct setup_ca *ca, const char *dir, size_t n,
			 char *err, size_t errlen)
{
	char cert_path[PATH_MAX + 32];
	int ret;

	if (snprintf(ca->dir, sizeof(ca->dir), "%s", dir) >= (int)sizeof(ca->dir)) {
		snprintf(err, errlen, "--ca-dir %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	ret = lock_local_ca(ca, err, errlen);
	if (ret < 0)
		return ret;
	snprintf(cert_path, sizeof(cert_path), "%s/%s", ca->dir, ISSUER_CERT);
	if (faccessat(ca->dirfd, ISSUER_CERT, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		ret = make_local_ca(ca, err, errlen);
	} else {
		char key_path[PATH_MAX + 32];

		snprintf(key_path, sizeof(key_path), "%s/%s", ca->dir, SIGN_KEY);
		ret = load_key(ca->dirfd, SIGN_KEY, key_path, NULL, &ca->issuer.key, err,
			       errlen);
		if (ret == 0)
			ret = load_cert(ca->dirfd, ISSUER_CERT, cert_path, &ca->issuer.cert,
					err, errlen);
	}
	if (ret == 0)
		ret = check_issuer(&ca->issuer, cert_path, err, errlen);
	if (ret == 0)
		ret = read_counter(ca, err, errlen);
	if (ret == 0) {
		ca->next_serial = ca->last_serial + 1;
		ca->serials_left = n;
	}
	return ret;
}

int setup_ca_open(struct setup_ca *ca, const struct setup_ca_options *opt,
		  size_t n, char *err, size_t errlen)
{
	int ret;

	memset(ca, 0, sizeof(*ca));
	ca->dirfd = ca->lockfd = ca->swtpm_lockfd = -1;
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

int setup_ca_commit(struct setup_ca *ca, char *err, size_t errlen)
{
	int ret = 0;

	if (!ca->local || ca->committed)
		return 0;
	if (ca->root.key)
		ret = write_local_ca(ca);
	if (ret == 0 && ca->next_serial - 1 != ca->last_serial)
		ret = write_counter(ca, ca->next_serial - 1);
	ca->committed = true;   /* a rollback takes back whatever got written */
	if (ret < 0) {
		setup_ca_rollback(ca);
		snprintf(err, errlen, "cannot write the local CA in %s: %s", ca->dir,
			 strerror(-ret));
	}
	return ret;
}

void setup_ca_rollback(struct setup_ca *ca)
{
	if (!ca->local || !ca->committed)
		return;
	if (ca->counter_found)
		(void)write_counter(ca, ca->last_serial);
	else
		(void)unlinkat(ca->dirfd, SERIAL_FILE, 0);
	if (ca->root.key)
		unlink_local_ca(ca);
	(void)fsync(ca->dirfd);
	ca->committed = false;
}

void setup_ca_close(struct setup_ca *ca)
{
	if (ca->dirfd >= 0 && !ca->committed)
		remove_made_dirs(ca);
	EVP_PKEY_free(ca->issuer.key);
	X509_free(ca->issuer.cert);
	EVP_PKEY_free(ca->root.key);
	X509_free(ca->root.cert);
	ca->issuer.key = ca->root.key = NULL;
	ca->issuer.cert = ca->root.cert = NULL;
	if (ca->swtpm_lockfd >= 0)
		close(ca->swtpm_lockfd);
	if (ca->lockfd >= 0)
		close(ca->lockfd);      /* releases the lock */
	if (ca->dirfd >= 0)
		close(ca->dirfd);
	ca->lockfd = ca->dirfd = ca->swtpm_lockfd = -1;
}

void setup_ca_stop_on(const volatile sig_atomic_t *flag)
{
	ca_stop = flag;
}
