/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_opts.c - vtpm-setup's command line: swtpm_setup's spellings
 * and their effect, the defaults, and every refusal (one line naming the
 * problem).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vtpm-setup/setup_cert.h"
#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_opts.h"

#define MAX_ARGS 32

static struct setup_options o;
static char err[512];

/* Parse the NULL-terminated arguments after the program name. */
static int parse_v(const char *first, va_list ap)
{
	char *argv[MAX_ARGS] = { (char *)"vtpm-setup" };
	int argc = 1;
	const char *a;

	for (a = first; a; a = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS - 1);
		argv[argc++] = (char *)a;
	}
	argv[argc] = NULL;
	err[0] = '\0';
	return setup_opts_parse(&o, argc, argv, err, sizeof(err));
}

static int parse(const char *first, ...)
{
	va_list ap;
	int ret;

	va_start(ap, first);
	ret = parse_v(first, ap);
	va_end(ap);
	return ret;
}

/* The arguments are refused with a line containing WANT. */
static void refused(const char *want, const char *first, ...)
{
	va_list ap;
	int ret;

	va_start(ap, first);
	ret = parse_v(first, ap);
	va_end(ap);
	assert_int_equal(ret, -EINVAL);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
	assert_null(strchr(err, '\n'));
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("--tpmstate", "/tmp/x", NULL), 0);
	assert_int_equal(o.action, SETUP_RUN);
	assert_string_equal(o.state_dir, "/tmp/x");
	assert_false(o.create_ek);
	assert_false(o.create_ek_cert);
	assert_false(o.create_platform_cert);
	assert_false(o.create_spk);
	assert_false(o.lock_nvram);
	assert_int_equal(o.rsa_bits, 2048);
	assert_int_equal(o.existing, EXISTING_REFUSE);
	assert_false(o.pcr_banks_keep);
	assert_int_equal(o.n_pcr_banks, 1);     /* swtpm_setup's default: sha256 */
	assert_int_equal(o.pcr_banks[0], TPM2_ALG_SHA256);
	assert_false(o.key.given);
	assert_int_equal(o.days, CERT_NO_EXPIRY);
	assert_null(o.vmid);
	assert_null(o.ca.dir);
	assert_null(o.ca.key_file);
	assert_int_equal(o.ca.pwd_fd, -1);
	assert_true(setup_opts_manufactures(&o));
}

/* The command line libvirt and the issue use. */
static void test_swtpm_setup_spelling(void **state)
{
	(void)state;
	assert_int_equal(parse("--tpm2", "--tpmstate", "dir:///var/lib/x", "--createek",
			       "--create-ek-cert", "--create-platform-cert", "--create-spk",
			       "--ecc", "--rsa-keysize", "3072", "--lock-nvram",
			       "--pcr-banks", "sha1,sha384", "--overwrite", "--vmid", "vm1",
			       "--logfile", "/tmp/log", "--pwdfile-fd", "7", "--cipher",
			       "aes-256-cbc", "--runas", "tss", NULL), 0);
	assert_string_equal(o.runas, "tss");
	assert_string_equal(o.state_dir, "/var/lib/x");
	assert_false(o.state_linear);
	assert_true(o.create_ek && o.create_ek_cert && o.create_platform_cert);
	assert_true(o.create_spk && o.ecc_spk && o.lock_nvram);
	assert_int_equal(o.rsa_bits, 3072);
	assert_int_equal(o.n_pcr_banks, 2);
	assert_int_equal(o.pcr_banks[0], TPM2_ALG_SHA1);
	assert_int_equal(o.pcr_banks[1], TPM2_ALG_SHA384);
	assert_int_equal(o.existing, EXISTING_OVERWRITE);
	assert_string_equal(o.vmid, "vm1");
	assert_string_equal(o.logfile, "/tmp/log");
	assert_true(o.key.given && o.key.passphrase && o.key.aes256);
	assert_int_equal(o.key.fd, 7);
	assert_null(o.key.file);

	/* a linear state file, as swtpm_setup takes it */
	assert_int_equal(parse("--tpmstate", "file:///dev/vg/tpm0", NULL), 0);
	assert_string_equal(o.state_dir, "/dev/vg/tpm0");
	assert_true(o.state_linear);

	/* --tpm-state is swtpm_setup's other name; --rsa-keysize max is 3072 */
	assert_int_equal(parse("--tpm-state", "d", "--rsa-keysize", "max",
			       "--not-overwrite", "--keyfile", "k", NULL), 0);
	assert_string_equal(o.state_dir, "d");
	assert_false(o.state_linear);
	assert_int_equal(o.rsa_bits, 3072);
	assert_int_equal(o.existing, EXISTING_KEEP);
	assert_true(o.key.given && !o.key.passphrase && !o.key.aes256);
	assert_string_equal(o.key.file, "k");
	assert_int_equal(parse("--tpmstate", "d", "--keyfile-fd", "0", "--cipher",
			       "aes-cbc", NULL), 0);
	assert_int_equal(o.key.fd, 0);
	assert_false(o.key.aes256);
	assert_int_equal(parse("--tpmstate", "d", "--pwdfile", "p", NULL), 0);
	assert_true(o.key.passphrase);
	assert_string_equal(o.key.file, "p");
}

static void test_implications(void **state)
{
	(void)state;
	/* a platform certificate implies the EK certificate, which implies the EK */
	assert_int_equal(parse("--tpmstate", "d", "--create-platform-cert", NULL), 0);
	assert_true(o.create_ek_cert && o.create_ek);
	assert_int_equal(parse("--tpmstate", "d", "--create-ek-cert", NULL), 0);
	assert_true(o.create_ek);
	assert_false(o.create_platform_cert);
}

static void test_pcr_banks(void **state)
{
	(void)state;
	/* repeated options add up; blanks and duplicates are dropped */
	assert_int_equal(parse("--tpmstate", "d", "--pcr-banks", " sha512 , sha1",
			       "--pcr-banks", "sha1,sm3-256", NULL), 0);
	assert_int_equal(o.n_pcr_banks, 3);
	assert_int_equal(o.pcr_banks[0], TPM2_ALG_SHA512);
	assert_int_equal(o.pcr_banks[1], TPM2_ALG_SHA1);
	assert_int_equal(o.pcr_banks[2], TPM2_ALG_SM3_256);
	assert_int_equal(parse("--tpmstate", "d", "--pcr-banks", "-", NULL), 0);
	assert_true(o.pcr_banks_keep);
	assert_int_equal(o.n_pcr_banks, 0);
	assert_int_equal(parse("--tpmstate", "d", "--pcr-banks",
			       "sha3-256,sha3-384,sha3-512,sha256", NULL), 0);
	assert_int_equal(o.n_pcr_banks, 4);
}

static void test_certificate_options(void **state)
{
	(void)state;
	assert_int_equal(parse("--tpmstate", "d", "--create-ek-cert", "--ca-dir", "/ca",
			       "--days", "365", "--platform-manufacturer", "ACME",
			       "--platform-model", "M1", "--platform-version", "1.0",
			       "--ek-pub", "ek.pem", NULL), 0);
	assert_string_equal(o.ca.dir, "/ca");
	assert_int_equal(o.days, 365);
	assert_string_equal(o.platform_manufacturer, "ACME");
	assert_string_equal(o.platform_model, "M1");
	assert_string_equal(o.platform_version, "1.0");
	assert_string_equal(o.ek_pub, "ek.pem");
	assert_int_equal(parse("--tpmstate", "d", "--create-ek-cert", "--ca-key", "k.pem",
			       "--ca-cert", "c.pem", "--ca-pwdfile-fd", "5", "--days", "-1",
			       NULL), 0);
	assert_string_equal(o.ca.key_file, "k.pem");
	assert_string_equal(o.ca.cert_file, "c.pem");
	assert_int_equal(o.ca.pwd_fd, 5);
	assert_int_equal(o.days, CERT_NO_EXPIRY);

	/* --ek-cert amends an existing TPM */
	assert_int_equal(parse("--tpmstate", "d", "--ek-cert", "a.der", "--ek-cert",
			       "b.pem", "--lock-nvram", "--ek-pub", "ek.pem", NULL), 0);
	assert_int_equal(o.n_ek_cert, 2);
	assert_string_equal(o.ek_cert[1], "b.pem");
	assert_false(setup_opts_manufactures(&o));
}

static void test_actions(void **state)
{
	(void)state;
	/* these need no --tpmstate and ignore the rest */
	assert_int_equal(parse("--help", NULL), 0);
	assert_int_equal(o.action, SETUP_HELP);
	assert_int_equal(parse("-h", NULL), 0);
	assert_int_equal(o.action, SETUP_HELP);
	assert_int_equal(parse("--version", NULL), 0);
	assert_int_equal(o.action, SETUP_VERSION);
	assert_int_equal(parse("--tpm2", "--print-capabilities", NULL), 0);
	assert_int_equal(o.action, SETUP_PRINT_CAPABILITIES);
}

static void test_refusals(void **state)
{
	char vmid[SETUP_VMID_MAX + 2];
	char platform[300];

	(void)state;
	refused("--tpmstate DIR is required", "--createek", NULL);
	refused("needs an argument", "--tpmstate", NULL);
	refused("unknown option '--bogus'", "--tpmstate", "d", "--bogus", NULL);
	refused("unknown option '-x'", "-x", NULL);
	refused("unexpected argument 'extra'", "--tpmstate", "d", "extra", NULL);
	refused("empty file name", "--tpmstate", "file://", NULL);
	refused("empty directory name", "--tpmstate", "dir://", NULL);
	refused("empty directory name", "--tpmstate", "", NULL);

	/* TPM 1.2: one line, whichever of its options */
	refused("TPM 1.2 is not supported", "--tpm12", "--tpmstate", "d", NULL);
	refused("--take-ownership: TPM 1.2 is not supported", "--take-ownership", NULL);
	refused("TPM 1.2 is not supported", "--ownerpass=x", NULL);
	refused("TPM 1.2 is not supported", "--owner-well-known", NULL);
	refused("TPM 1.2 is not supported", "--srkpass", "x", NULL);
	refused("TPM 1.2 is not supported", "--srk-well-known", NULL);
	/* swtpm_setup options this tool does not have */
	refused("--runas: empty user name", "--tpmstate", "d", "--runas", "", NULL);
	refused("--config: this swtpm_setup option is not supported", "--config=/x", NULL);
	refused("not supported", "--tpm", NULL);
	refused("not supported", "--allow-signing", NULL);
	refused("not supported", "--decryption", NULL);
	refused("not supported", "--write-ek-cert-files", NULL);
	refused("not supported", "--create-config-files", NULL);
	refused("not supported", "--reconfigure", NULL);
	refused("not supported", "--display", NULL);
	refused("not supported", "--swtpm_ioctl", NULL);
	refused("not supported", "--tcsd-system-ps-file", NULL);

	refused("--rsa-keysize: '4096' is not 2048, 3072 or max",
		"--tpmstate", "d", "--rsa-keysize", "4096", NULL);
	refused("--rsa-keysize", "--tpmstate", "d", "--rsa-keysize", "2048x", NULL);
	refused("unknown PCR bank 'md5'", "--tpmstate", "d", "--pcr-banks", "sha1,md5", NULL);
	refused("empty or overlong bank name", "--tpmstate", "d", "--pcr-banks", "sha1,,sha256", NULL);
	refused("empty or overlong bank name", "--tpmstate", "d", "--pcr-banks", "", NULL);
	refused("cannot be combined", "--tpmstate", "d", "--pcr-banks", "-,sha1", NULL);
	refused("cannot be combined", "--tpmstate", "d", "--pcr-banks", "sha1",
		"--pcr-banks", "-", NULL);
	refused("contradict", "--tpmstate", "d", "--overwrite", "--not-overwrite", NULL);
	refused("contradict", "--tpmstate", "d", "--not-overwrite", "--overwrite", NULL);

	refused("only one of --keyfile", "--tpmstate", "d", "--keyfile", "a",
		"--pwdfile", "b", NULL);
	refused("only one of --keyfile", "--tpmstate", "d", "--keyfile", "a",
		"--keyfile", "b", NULL);
	refused("only one of --keyfile", "--tpmstate", "d", "--keyfile-fd", "3",
		"--pwdfile-fd", "4", NULL);
	refused("--keyfile-fd: 'x' is not a file descriptor", "--tpmstate", "d",
		"--keyfile-fd", "x", NULL);
	refused("--pwdfile-fd: '-1' is not a file descriptor", "--tpmstate", "d",
		"--pwdfile-fd", "-1", NULL);
	refused("is not a file descriptor", "--tpmstate", "d", "--pwdfile-fd",
		"99999999999", NULL);
	refused("--keyfile: empty file name", "--tpmstate", "d", "--keyfile", "", NULL);
	refused("--cipher: 'aes-192-cbc'", "--tpmstate", "d", "--keyfile", "k",
		"--cipher", "aes-192-cbc", NULL);
	refused("--cipher needs --keyfile", "--tpmstate", "d", "--cipher", "aes-256-cbc", NULL);

	memset(vmid, 'v', sizeof(vmid) - 1);
	vmid[sizeof(vmid) - 1] = '\0';
	refused("--vmid: must be 1 to 2048 bytes", "--tpmstate", "d", "--vmid", vmid, NULL);
	refused("--vmid: must be 1 to 2048 bytes", "--tpmstate", "d", "--vmid", "", NULL);
	/* libvirt's NAME:UUID, longer than X.520's 64 characters, and the
	 * longest that could fit an NV index */
	vmid[SETUP_VMID_MAX] = '\0';
	assert_int_equal(parse("--tpmstate", "d", "--vmid", vmid, NULL), 0);
	assert_int_equal(parse("--tpmstate", "d", "--vmid",
			       "instance-0000002a:6a1f4d3e-1c2b-4e5f-8a9b-0c1d2e3f4a5b", NULL), 0);
	refused("--vmid: control characters", "--tpmstate", "d", "--vmid", "a\nb", NULL);
	memset(platform, 'p', sizeof(platform) - 1);
	platform[sizeof(platform) - 1] = '\0';
	refused("--platform-model: must be 1 to 255", "--tpmstate", "d",
		"--platform-model", platform, NULL);
	refused("--platform-version: control", "--tpmstate", "d",
		"--platform-version", "1\x1b[0m", NULL);
	refused("--logfile: empty file name", "--tpmstate", "d", "--logfile", "", NULL);

	refused("--days: '0'", "--tpmstate", "d", "--days", "0", NULL);
	refused("--days: '36501'", "--tpmstate", "d", "--days", "36501", NULL);
	refused("--days: '-2'", "--tpmstate", "d", "--days", "-2", NULL);
	refused("--days", "--tpmstate", "d", "--days", "ten", NULL);
	refused("--ca-key and --ca-cert go together", "--tpmstate", "d",
		"--ca-key", "k", NULL);
	refused("--ca-key and --ca-cert go together", "--tpmstate", "d",
		"--ca-cert", "c", NULL);
	refused("need --ca-key", "--tpmstate", "d", "--ca-pwdfile", "p", NULL);
	refused("need --ca-key", "--tpmstate", "d", "--ca-pwdfile-fd", "3", NULL);
	refused("only one of --ca-pwdfile", "--tpmstate", "d", "--ca-key", "k",
		"--ca-cert", "c", "--ca-pwdfile", "p", "--ca-pwdfile-fd", "3", NULL);
	refused("--ca-pwdfile-fd: 'x'", "--tpmstate", "d", "--ca-pwdfile-fd", "x", NULL);
	refused("are alternatives", "--tpmstate", "d", "--ca-dir", "/ca", "--ca-key", "k",
		"--ca-cert", "c", NULL);
	refused("--ca-dir: empty", "--tpmstate", "d", "--ca-dir", "", NULL);
	refused("--ca-key: empty", "--tpmstate", "d", "--ca-key", "", NULL);

	refused("--ek-pub needs --createek", "--tpmstate", "d", "--ek-pub", "ek.pem", NULL);
	refused("--ek-pub: empty", "--tpmstate", "d", "--ek-pub", "", NULL);
	refused("--ek-cert: empty", "--tpmstate", "d", "--ek-cert", "", NULL);
	refused("at most 2 certificates", "--tpmstate", "d", "--ek-cert", "a",
		"--ek-cert", "b", "--ek-cert", "c", NULL);
	refused("--ek-cert stores a certificate in an existing TPM", "--tpmstate", "d",
		"--ek-cert", "a", "--createek", NULL);
	refused("--ek-cert stores", "--tpmstate", "d", "--ek-cert", "a",
		"--create-platform-cert", NULL);
	refused("--ek-cert stores", "--tpmstate", "d", "--ek-cert", "a", "--create-spk", NULL);
	refused("--ek-cert stores", "--tpmstate", "d", "--ek-cert", "a",
		"--pcr-banks", "sha1", NULL);
	refused("--ek-cert stores", "--tpmstate", "d", "--ek-cert", "a", "--overwrite", NULL);
	refused("--ek-cert stores", "--tpmstate", "d", "--ek-cert", "a", "--not-overwrite", NULL);
}

/* The help text names every option the parser knows. */
static void test_usage_lists_options(void **state)
{
	static const char *const names[] = {
		"--tpm2", "--tpmstate", "--createek", "--create-ek-cert",
		"--create-platform-cert", "--create-spk", "--ecc", "--rsa-keysize",
		"--lock-nvram", "--pcr-banks", "--overwrite", "--not-overwrite",
		"--keyfile", "--keyfile-fd", "--pwdfile", "--pwdfile-fd", "--cipher",
		"--vmid", "--logfile", "--print-capabilities", "--help", "--version",
		"--ca-dir", "--ca-key", "--ca-cert", "--ca-pwdfile", "--ca-pwdfile-fd",
		"--days", "--ek-pub", "--ek-cert", "--platform-manufacturer",
		"--platform-model", "--platform-version",
	};
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	setup_opts_usage(f, "vtpm-setup");
	fclose(f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(text, names[i]))
			fail_msg("--help does not mention %s", names[i]);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_swtpm_setup_spelling),
		cmocka_unit_test(test_implications),
		cmocka_unit_test(test_pcr_banks),
		cmocka_unit_test(test_certificate_options),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_usage_lists_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
