/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_tpm.c - vtpm-setup's TPM work on a real libtpms, where it
 * meets what users do: a certificate stored with --ek-cert in an index an
 * earlier --lock-nvram locked stays locked; a state directory on a full
 * filesystem fails with the store's errno, which main() puts on its one
 * stderr line (libtpms itself only says TPM_RC_FAILURE).
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtpm-setup/setup_cert.h"
#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_keys.h"
#include "vtpm-setup/setup_manufacture.h"
#include "vtpm-setup/setup_opts.h"
#include "vtpm-setup/setup_tpm.h"
#include "test_files.h"
#include "state_dir.h"

static const struct cert_tpm_info tpm_info = {
	.family = "2.0", .level = 0, .revision = 164,
	.manufacturer = "id:00001014", .model = "swtpm", .version = "id:20191023",
};

static int setup(void **state)
{
	(void)state;
	return state_dir_setup();
}

static int teardown(void **state)
{
	(void)state;
	umount2(sdir, MNT_DETACH);
	return state_dir_teardown();
}

static void parse_opts(struct setup_options *o, char **argv)
{
	char err[256];
	int argc = 0;

	while (argv[argc])
		argc++;
	if (setup_opts_parse(o, argc, argv, err, sizeof(err)) != 0)
		fail_msg("options: %s", err);
}

/* Manufacture (or amend) the TPM in SDIR with ARGV's options. */
static int run_tpm(char **argv, const struct setup_ca *ca, struct setup_eks *eks,
		   char *err, size_t errlen)
{
	struct setup_options o;
	const struct manufacture_env env = {
		.ca = (struct setup_ca *)ca, .tpm_info = &tpm_info, .now = time(NULL),
	};
	int fd = open(sdir, O_RDONLY | O_DIRECTORY), ret;

	assert_true(fd >= 0);
	parse_opts(&o, argv);
	ret = setup_tpm_open(fd, sdir, &o.key, err, errlen);
	close(fd);
	if (ret == 0)
		ret = setup_opts_manufactures(&o) ? setup_manufacture(&o, &env, eks, err, errlen) :
			setup_amend(&o, eks, err, errlen);
	setup_tpm_close();
	return ret;
}

static uint32_t nv_attributes(uint32_t index)
{
	char err[256];
	uint32_t attrs = 0;
	uint16_t size;
	int fd = open(sdir, O_RDONLY | O_DIRECTORY);

	assert_int_equal(setup_tpm_open(fd, sdir, NULL, err, sizeof(err)), 0);
	close(fd);
	assert_int_equal(setup_tpm_power_on(err, sizeof(err)), 0);
	assert_int_equal(tpm2cmd_startup(0), 0);
	assert_int_equal(tpm2cmd_nv_read_public(index, &attrs, &size), 0);
	setup_tpm_close();
	return attrs;
}

/* --ek-cert into an index --lock-nvram locked: the new certificate is
 * locked too (it used to be stored unlocked, silently). */
static void test_locked_index_stays_locked(void **state)
{
	struct setup_eks eks = { .n = 0 }, again = { .n = 0 };
	struct setup_ca ca = { .local = false };
	struct cert_request req = {
		.kind = CERT_EK, .subject_cn = "vm", .not_before = time(NULL),
		.days = CERT_NO_EXPIRY, .tpm = &tpm_info,
	};
	char certfile[400], err[256];
	char *make[] = { "vtpm-setup", "--tpmstate", sdir, "--create-ek-cert", "--lock-nvram",
			 NULL };
	char *amend[] = { "vtpm-setup", "--tpmstate", sdir, "--ek-cert", certfile, NULL };
	uint8_t *der;
	size_t len;
	char name[64];

	(void)state;
	ca.issuer.key = EVP_EC_gen("P-384");
	assert_non_null(ca.issuer.key);
	assert_int_equal(cert_build_ca(ca.issuer.key, "test CA", NULL, &ca.issuer.cert, err,
				       sizeof(err)), 0);
	assert_int_equal(mkdir(sdir, 0700), 0);
	if (run_tpm(make, &ca, &eks, err, sizeof(err)) != 0)
		fail_msg("manufacture: %s", err);
	assert_true(nv_attributes(0x01c00002) & TPMA_NV_WRITELOCKED);

	/* a certificate for the RSA EK from elsewhere, stored without
	 * --lock-nvram */
	req.subject_key = eks.ek[0].pub;
	cert_serial_from_u64(77, req.serial, &req.serial_len);
	assert_int_equal(cert_build(&req, &ca.issuer, &der, &len, err, sizeof(err)), 0);
	path_in(certfile, sizeof(certfile), base, "ek.der");
	write_file_at(certfile, der, len, 0644);
	free(der);
	if (run_tpm(amend, NULL, &again, err, sizeof(err)) != 0)
		fail_msg("--ek-cert: %s", err);
	assert_true(nv_attributes(0x01c00002) & TPMA_NV_WRITELOCKED);
	snprintf(name, sizeof(name), "%s", setup_key_info(again.ek[0].key)->name);
	assert_string_equal(name, "rsa2048");
	setup_eks_free(&eks);
	setup_eks_free(&again);
	EVP_PKEY_free(ca.issuer.key);
	X509_free(ca.issuer.cert);
}

/* A full filesystem: the manufacture fails, and the store's errno is
 * there for the message. */
static void test_full_filesystem(void **state)
{
	char *make[] = { "vtpm-setup", "--tpmstate", sdir, "--createek", NULL };
	struct setup_eks eks = { .n = 0 };
	char err[256], fill[400];
	static char block[4096];
	int fd;

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	if (mount("tmpfs", sdir, "tmpfs", 0, "size=64k") < 0)
		skip();
	path_in(fill, sizeof(fill), sdir, "fill");
	fd = open(fill, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
	assert_int_equal(run_tpm(make, NULL, &eks, err, sizeof(err)), -EIO);
	assert_int_equal(setup_tpm_write_error(), ENOSPC);
	setup_eks_free(&eks);
	/* with room, the next run has no error to tell */
	assert_int_equal(unlink(fill), 0);
	if (run_tpm(make, NULL, &eks, err, sizeof(err)) != 0)
		fail_msg("manufacture: %s", err);
	assert_int_equal(setup_tpm_write_error(), 0);
	setup_eks_free(&eks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_locked_index_stays_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_filesystem, setup, teardown),
	};

	setup_tpm_log_to(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
