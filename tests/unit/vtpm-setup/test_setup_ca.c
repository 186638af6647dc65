/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_ca.c - the CA behind vtpm-setup's certificates: the local CA
 * made on first use (files, modes, chain), reused afterwards, serial
 * numbers that stay unique when setups run at once; the user's CA with and
 * without a passphrase; and the refusals, each one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vtpm-setup/setup_ca.h"
#include "test_files.h"

static char base[256];
static char cadir[300];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/vtpmd-test-ca.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	path_in(cadir, sizeof(cadir), base, "ca");
	umask(022);
	return 0;
}

static int teardown(void **state)
{
	char cmd[2 * sizeof(base) + 32];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static mode_t mode_of(const char *dir, const char *name)
{
	char path[400];
	struct stat sb;

	path_in(path, sizeof(path), dir, name);
	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static X509 *read_cert(const char *dir, const char *name)
{
	char path[400];
	FILE *f;
	X509 *x;

	path_in(path, sizeof(path), dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static uint64_t serial_value(const uint8_t *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		v = v << 8 | s[i];
	return v;
}

/* A local CA as a run that worked leaves it. */
static void make_committed_ca(const struct setup_ca_options *opt)
{
	struct setup_ca ca;
	char err[256];

	if (setup_ca_open(&ca, opt, 1, err, sizeof(err)) != 0 ||
	    setup_ca_commit(&ca, err, sizeof(err)) != 0)
		fail_msg("local CA: %s", err);
	setup_ca_close(&ca);
}

static void test_local_ca_first_use(void **state)
{
	struct setup_ca_options opt = { .dir = cadir, .pwd_fd = -1 };
	struct setup_ca ca, again;
	uint8_t s[CERT_SERIAL_MAX];
	size_t len, n;
	char err[256], path[400];
	X509 *root;
	uint8_t *text;

	(void)state;
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), 0);
	assert_true(ca.local);
	/* nothing but the lock is written before the commit */
	path_in(path, sizeof(path), cadir, "issuercert.pem");
	assert_int_equal(access(path, F_OK), -1);
	path_in(path, sizeof(path), cadir, "certserial");
	assert_int_equal(access(path, F_OK), -1);
	/* serials 1, 2, 3, then no more than reserved */
	for (n = 1; n <= 3; n++) {
		assert_int_equal(setup_ca_next_serial(&ca, s, &len), 0);
		assert_true(serial_value(s, len) == n);
	}
	assert_int_equal(setup_ca_next_serial(&ca, s, &len), -ERANGE);
	assert_int_equal(setup_ca_commit(&ca, err, sizeof(err)), 0);
	/* the files, private keys readable by the owner only */
	assert_int_equal(mode_of(base, "ca"), 0750);
	assert_int_equal(mode_of(cadir, "rootca-key.pem"), 0600);
	assert_int_equal(mode_of(cadir, "signkey.pem"), 0600);
	assert_int_equal(mode_of(cadir, "rootca-cert.pem"), 0644);
	assert_int_equal(mode_of(cadir, "issuercert.pem"), 0644);
	/* the root is self-signed and signed the intermediate that signs */
	root = read_cert(cadir, "rootca-cert.pem");
	assert_int_equal(X509_check_issued(root, root), X509_V_OK);
	assert_int_equal(X509_check_issued(root, ca.issuer.cert), X509_V_OK);
	assert_int_equal(X509_verify(ca.issuer.cert, X509_get0_pubkey(root)), 1);
	assert_int_equal(X509_check_ca(ca.issuer.cert), 1);
	assert_int_equal(X509_check_private_key(ca.issuer.cert, ca.issuer.key), 1);
	X509_free(root);
	/* the counter holds the last serial issued, as swtpm_localca writes
	 * it: decimal, no newline */
	path_in(path, sizeof(path), cadir, "certserial");
	text = read_file_at(path, &len);
	assert_int_equal(len, 1);
	assert_memory_equal(text, "3", 1);
	free(text);
	setup_ca_close(&ca);

	/* second use: the same CA, serials go on */
	assert_int_equal(setup_ca_open(&again, &opt, 2, err, sizeof(err)), 0);
	assert_int_equal(setup_ca_next_serial(&again, s, &len), 0);
	assert_true(serial_value(s, len) == 4);
	root = read_cert(cadir, "issuercert.pem");
	assert_int_equal(X509_cmp(again.issuer.cert, root), 0);
	X509_free(root);
	setup_ca_close(&again);
}

/* A run that fails creates nothing of the CA and spends no serial number:
 * the directories made for the lock go again, the counter stays. */
static void test_local_ca_failed_run(void **state)
{
	char deep[400], path[500], err[256];
	struct setup_ca_options opt = { .dir = deep, .pwd_fd = -1 };
	struct setup_ca ca;
	uint8_t s[CERT_SERIAL_MAX], *text;
	size_t len;

	(void)state;
	path_in(deep, sizeof(deep), base, "lib/vtpmd/ca");
	assert_int_equal(setup_ca_open(&ca, &opt, 2, err, sizeof(err)), 0);
	assert_int_equal(setup_ca_next_serial(&ca, s, &len), 0);
	setup_ca_close(&ca);
	path_in(path, sizeof(path), base, "lib");
	assert_int_equal(access(path, F_OK), -1);

	/* an existing CA: the serials a failed run took are given again */
	assert_int_equal(setup_ca_open(&ca, &opt, 2, err, sizeof(err)), 0);
	assert_int_equal(setup_ca_next_serial(&ca, s, &len), 0);
	assert_int_equal(setup_ca_commit(&ca, err, sizeof(err)), 0);
	setup_ca_close(&ca);
	assert_int_equal(setup_ca_open(&ca, &opt, 2, err, sizeof(err)), 0);
	assert_int_equal(setup_ca_next_serial(&ca, s, &len), 0);
	assert_true(serial_value(s, len) == 2);
	setup_ca_close(&ca);
	/* ... also when the run failed after the commit (rolled back) */
	assert_int_equal(setup_ca_open(&ca, &opt, 2, err, sizeof(err)), 0);
	assert_int_equal(setup_ca_next_serial(&ca, s, &len), 0);
	assert_true(serial_value(s, len) == 2);
	assert_int_equal(setup_ca_commit(&ca, err, sizeof(err)), 0);
	setup_ca_rollback(&ca);
	setup_ca_close(&ca);
	path_in(path, sizeof(path), deep, "certserial");
	text = read_file_at(path, &len);
	assert_int_equal(len, 1);
	assert_memory_equal(text, "1", 1);
	free(text);
	/* and a CA made by a run that rolled back is gone again */
	path_in(deep, sizeof(deep), base, "ca2");
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), 0);
	assert_int_equal(setup_ca_commit(&ca, err, sizeof(err)), 0);
	path_in(path, sizeof(path), deep, "signkey.pem");
	assert_int_equal(access(path, F_OK), 0);
	setup_ca_rollback(&ca);
	setup_ca_close(&ca);
	assert_int_equal(access(path, F_OK), -1);
}

/* swtpm_localca's counter ("7", the last serial it issued) and vtpm-setup
 * 0.1's ("7\n") both go on at 8. */
static void test_local_ca_counter_format(void **state)
{
	static const char *const forms[] = { "7", "7\n" };
	struct setup_ca_options opt = { .dir = cadir, .pwd_fd = -1 };
	struct setup_ca ca;
	uint8_t s[CERT_SERIAL_MAX], *text;
	char err[256], path[400];
	size_t len, i;

	(void)state;
	make_committed_ca(&opt);
	path_in(path, sizeof(path), cadir, "certserial");
	for (i = 0; i < 2; i++) {
		write_file_at(path, forms[i], strlen(forms[i]), 0644);
		assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), 0);
		assert_int_equal(setup_ca_next_serial(&ca, s, &len), 0);
		assert_true(serial_value(s, len) == 8);
		assert_int_equal(setup_ca_commit(&ca, err, sizeof(err)), 0);
		setup_ca_close(&ca);
		text = read_file_at(path, &len);
		assert_int_equal(len, 1);
		assert_memory_equal(text, "8", 1);
		free(text);
	}
}

/* Eight setups at once on a CA that does not exist yet: one CA is made,
 * and the serial numbers they get are all different. */
static void test_local_ca_concurrent(void **state)
{
	enum { CHILDREN = 8, EACH = 3 };
	struct setup_ca_options opt = { .dir = cadir, .pwd_fd = -1 };
	int go[2], out[2], i, committed = -1;
	uint64_t seen[CHILDREN * EACH], v;
	unsigned char fp[CHILDREN][EVP_MAX_MD_SIZE];
	size_t got = 0, j;

	(void)state;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(out), 0);
	for (i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct setup_ca ca;
			uint8_t s[CERT_SERIAL_MAX];
			unsigned char md[EVP_MAX_MD_SIZE];
			unsigned int mdlen;
			char err[256], c;
			size_t len;
			int k;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)    /* start together (EOF) */
				_exit(5);
			if (setup_ca_open(&ca, &opt, EACH, err, sizeof(err)) != 0)
				_exit(2);
			X509_digest(ca.issuer.cert, EVP_sha256(), md, &mdlen);
			if (write(out[1], md, 32) != 32)
				_exit(3);
			for (k = 0; k < EACH; k++) {
				uint64_t sv;

				if (setup_ca_next_serial(&ca, s, &len) != 0)
					_exit(4);
				/* every third run fails: its serials are not spent */
				sv = i % 3 == 2 ? 0 : serial_value(s, len);
				if (write(out[1], &sv, sizeof(sv)) != sizeof(sv))
					_exit(3);
			}
			if (i % 3 != 2 && setup_ca_commit(&ca, err, sizeof(err)) != 0)
				_exit(6);
			setup_ca_close(&ca);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);                   /* go */
	close(out[1]);
	for (i = 0; i < CHILDREN; i++) {
		int status;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* records (in lock order): 32 bytes of issuer fingerprint, then EACH
	 * serials, 0 for a run that failed */
	for (i = 0; i < CHILDREN; i++) {
		int k;

		assert_int_equal(read(out[0], fp[i], 32), 32);
		for (k = 0; k < EACH; k++) {
			assert_int_equal(read(out[0], &v, sizeof(v)), sizeof(v));
			if (v == 0)
				continue;
			/* every run that committed signed with one CA (a
			 * failed run before the first commit made its own,
			 * in memory only) */
			if (committed < 0)
				committed = i;
			assert_memory_equal(fp[i], fp[committed], 32);
			for (j = 0; j < got; j++)
				if (seen[j] == v)
					fail_msg("serial %llu handed out twice",
						 (unsigned long long)v);
			seen[got++] = v;
		}
	}
	close(out[0]);
	/* the committed runs' serials are 1..got: none was skipped */
	for (j = 0; j < got; j++)
		assert_true(seen[j] >= 1 && seen[j] <= got);
}

static void test_local_ca_refusals(void **state)
{
	struct setup_ca_options opt = { .dir = cadir, .pwd_fd = -1 };
	struct setup_ca ca;
	char err[256], path[400], blocker[300];
	size_t len;
	uint8_t *text;

	(void)state;
	/* a serial counter that is not a number is not started over */
	make_committed_ca(&opt);
	path_in(path, sizeof(path), cadir, "certserial");
	write_file_at(path, "twelve\n", 7, 0644);
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not hold a serial number"));
	assert_null(strchr(err, '\n'));
	text = read_file_at(path, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(text, "twelve\n", 7);
	free(text);

	/* a CA directory that cannot be made */
	path_in(blocker, sizeof(blocker), base, "file");
	write_file_at(blocker, "x", 1, 0644);
	opt.dir = strcat(blocker, "/ca");
	assert_true(setup_ca_open(&ca, &opt, 1, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "local CA in"));
	assert_non_null(strstr(err, "Not a directory"));

	/* an intermediate certificate that is not for the signing key */
	opt.dir = cadir;
	path_in(path, sizeof(path), cadir, "signkey.pem");
	assert_int_equal(unlink(path), 0);
	{
		EVP_PKEY *other = EVP_EC_gen("P-256");
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(PEM_write_PrivateKey(f, other, NULL, NULL, 0, NULL, NULL), 1);
		fclose(f);
		EVP_PKEY_free(other);
	}
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not belong to the CA key"));
}

/* swtpm_localca with this directory as its statedir flock()s
 * .lock.swtpm-localca while it takes a serial: vtpm-setup waits for it. */
static void test_local_ca_swtpm_lock(void **state)
{
	struct setup_ca_options opt = { .dir = cadir, .pwd_fd = -1 };
	struct setup_ca ca;
	struct timespec a, b;
	char err[256], path[400], c;
	int fds[2], fd;
	pid_t pid;

	(void)state;
	make_committed_ca(&opt);
	path_in(path, sizeof(path), cadir, ".lock.swtpm-localca");
	write_file_at(path, "", 0, 0755);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_RDWR);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(fds[1], "l", 1) != 1)
			_exit(1);
		usleep(300000);
		_exit(0);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	setup_ca_close(&ca);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 200);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
}

/* BASE/user.key (encrypted with PASS when given) and BASE/user.crt. */
static void write_user_ca(EVP_PKEY *key, const char *pass, X509 *cert)
{
	char kpath[400], cpath[400];
	FILE *f;

	path_in(kpath, sizeof(kpath), base, "user.key");
	path_in(cpath, sizeof(cpath), base, "user.crt");
	f = fopen(kpath, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, key, pass ? EVP_aes_256_cbc() : NULL,
					      NULL, 0, NULL, (void *)pass), 1);
	fclose(f);
	f = fopen(cpath, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, cert), 1);
	fclose(f);
}

/* A user CA in BASE: key (encrypted with PASS when given) and certificate;
 * CA false makes an end-entity certificate instead. */
static void make_user_ca(const char *pass, bool ca_cert, EVP_PKEY **key_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	char err[256];
	X509 *cert;

	assert_non_null(key);
	if (ca_cert) {
		assert_int_equal(cert_build_ca(key, "Corp CA", NULL, &cert, err,
					       sizeof(err)), 0);
	} else {
		cert = X509_new();
		assert_non_null(cert);
		X509_set_version(cert, X509_VERSION_3);
		ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
		X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN",
					   MBSTRING_UTF8, (const unsigned char *)"leaf",
					   -1, -1, 0);
		X509_set_issuer_name(cert, X509_get_subject_name(cert));
		X509_gmtime_adj(X509_getm_notBefore(cert), 0);
		X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
		X509_set_pubkey(cert, key);
		assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	}
	write_user_ca(key, pass, cert);
	X509_free(cert);
	if (key_out)
		*key_out = key;
	else
		EVP_PKEY_free(key);
}

static void test_user_ca(void **state)
{
	char kpath[400], cpath[400], ppath[400], err[256];
	struct setup_ca_options opt = { .pwd_fd = -1 };
	struct setup_ca ca;
	uint8_t s1[CERT_SERIAL_MAX], s2[CERT_SERIAL_MAX];
	size_t l1, l2;
	EVP_PKEY *key;
	int fds[2];

	(void)state;
	path_in(kpath, sizeof(kpath), base, "user.key");
	path_in(cpath, sizeof(cpath), base, "user.crt");
	path_in(ppath, sizeof(ppath), base, "pass");
	opt.key_file = kpath;
	opt.cert_file = cpath;

	/* plain key */
	make_user_ca(NULL, true, &key);
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), 0);
	assert_false(ca.local);
	assert_int_equal(EVP_PKEY_eq(ca.issuer.key, key), 1);
	/* random 128-bit serials, never the same */
	assert_int_equal(setup_ca_next_serial(&ca, s1, &l1), 0);
	assert_int_equal(setup_ca_next_serial(&ca, s2, &l2), 0);
	assert_int_equal(l1, 16);
	assert_true(memcmp(s1, s2, 16) != 0);
	setup_ca_close(&ca);
	EVP_PKEY_free(key);

	/* encrypted key: the passphrase is the file's first line */
	make_user_ca("s3cret pass", true, NULL);
	write_file_at(ppath, "s3cret pass\nignored\n", 20, 0600);
	opt.pwd_file = ppath;
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), 0);
	setup_ca_close(&ca);
	/* ... or comes through a descriptor */
	opt.pwd_file = NULL;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "s3cret pass", 11), 11);
	close(fds[1]);
	opt.pwd_fd = fds[0];
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), 0);
	setup_ca_close(&ca);
	assert_int_equal(fcntl(fds[0], F_GETFD), -1);   /* read and closed */

	/* the wrong passphrase */
	opt.pwd_fd = -1;
	opt.pwd_file = ppath;
	write_file_at(ppath, "wrong\n", 6, 0600);
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot decrypt CA key"));
	assert_null(strchr(err, '\n'));
	/* none: no prompt on a terminal, one line saying what to do */
	opt.pwd_file = NULL;
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "see --ca-pwdfile"));
	/* a passphrase file that cannot be read */
	opt.pwd_file = "/nonexistent/pass";
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read the CA passphrase"));
	opt.pwd_file = NULL;

	/* a certificate of another key */
	make_user_ca(NULL, true, NULL);
	{
		EVP_PKEY *k2 = EVP_EC_gen("P-256");
		FILE *f = fopen(kpath, "w");

		assert_non_null(f);
		PEM_write_PrivateKey(f, k2, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		EVP_PKEY_free(k2);
	}
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not belong to the CA key"));
	/* a certificate that is not a CA's */
	make_user_ca(NULL, false, NULL);
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a CA certificate"));
	/* files that are not PEM, or not there */
	write_file_at(kpath, "not a key\n", 10, 0600);
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot load CA key"));
	opt.key_file = "/nonexistent/key.pem";
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read CA key /nonexistent/key.pem"));
	make_user_ca(NULL, true, NULL);
	opt.key_file = kpath;
	write_file_at(cpath, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		      58, 0644);
	assert_int_equal(setup_ca_open(&ca, &opt, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot load CA certificate"));
}

/* A CA certificate valid from FROM to UNTIL seconds from now, with its key,
 * as the user's CA files. */
static void make_dated_ca(long from, long until)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	X509 *cert = X509_new();

	assert_non_null(key);
	assert_non_null(cert);
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
				   (const unsigned char *)"Dated CA", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_gmtime_adj(X509_getm_notBefore(cert), from);
	X509_gmtime_adj(X509_getm_notAfter(cert), until);
	X509_set_pubkey(cert, key);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	assert_non_null(ext);
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	write_user_ca(key, NULL, cert);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* A CA certificate that expired, or is not valid yet, signs nothing. */
static void test_user_ca_validity(void **state)
{
	char kpath[400], cpath[400], err[256];
	struct setup_ca_options opt = { .pwd_fd = -1, .key_file = kpath, .cert_file = cpath };
	struct setup_ca ca;

	(void)state;
	path_in(kpath, sizeof(kpath), base, "user.key");
	path_in(cpath, sizeof(cpath), base, "user.crt");
	make_dated_ca(-2 * 86400, -86400);
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), -EKEYEXPIRED);
	assert_non_null(strstr(err, "user.crt expired on "));
	assert_null(strchr(err, '\n'));
	make_dated_ca(86400, 2 * 86400);
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), -EKEYREJECTED);
	assert_non_null(strstr(err, "user.crt is not valid before "));
	make_dated_ca(-60, 86400);
	assert_int_equal(setup_ca_open(&ca, &opt, 1, err, sizeof(err)), 0);
	setup_ca_close(&ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_ca_first_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_ca_failed_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_ca_counter_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_ca_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_ca_swtpm_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_ca_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_ca_validity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
