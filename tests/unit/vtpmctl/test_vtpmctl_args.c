/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vtpmctl_args.c - vtpmctl reads swtpm_ioctl's command lines the way
 * swtpm_ioctl does (getopt_long_only, one command, device anywhere), and
 * "vtpmctl bios" reads swtpm_bios's.
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
#include <unistd.h>

#include "vtpm/ioctl.h"
#include "vtpmctl/ctl_args.h"
#include "vtpmctl/ctl_bios.h"
#include "vtpmctl/ctl_tpm2.h"

#define MAX_ARGS 16

/* getopt may permute argv, so every parse gets a fresh writable copy. */
static char *argv_buf[MAX_ARGS + 1];

static int split(const char *line)
{
	static char storage[512];
	int argc = 0;
	char *tok, *save = NULL;

	snprintf(storage, sizeof(storage), "vtpmctl %s", line);
	for (tok = strtok_r(storage, " ", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, " ", &save))
		argv_buf[argc++] = tok;
	argv_buf[argc] = NULL;
	return argc;
}

/* The parsers explain refusals on stderr; keep the test output readable. */
static int quiet_begin(void)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	fflush(stderr);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	return saved;
}

static void quiet_end(int saved)
{
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
}

static int parse(const char *line, struct ctl_args *a)
{
	int argc = split(line), saved = quiet_begin(), ret;

	ret = ctl_args_parse(argc, argv_buf, a);
	quiet_end(saved);
	return ret;
}

static int parse_bios(const char *line, struct ctl_bios_args *b)
{
	int argc = split(line), saved = quiet_begin(), ret;

	/* "vtpmctl bios ..." hands over argv starting at "bios" */
	ret = ctl_bios_parse(argc - 1, argv_buf + 1, b);
	quiet_end(saved);
	return ret;
}

static void test_simple_commands(void **state)
{
	static const struct { const char *line; enum ctl_command cmd; } cases[] = {
		{ "-c /dev/vtpm0", CTL_CAPS },
		{ "-i /dev/vtpm0", CTL_INIT },
		{ "--stop /dev/vtpm0", CTL_STOP },
		{ "-s /dev/vtpm0", CTL_SHUTDOWN },
		{ "-e /dev/vtpm0", CTL_GET_ESTABLISHED },
		{ "-v /dev/vtpm0", CTL_STORE_VOLATILE },
		{ "-C /dev/vtpm0", CTL_CANCEL },
		{ "-g /dev/vtpm0", CTL_GET_CONFIG },
		{ "--c /dev/vtpm0", CTL_CAPS },         /* long_only: same option */
		{ "/dev/vtpm0 -c", CTL_CAPS },          /* device first */
		{ "--sto /dev/vtpm0", CTL_STOP },       /* unambiguous prefix */
	};
	struct ctl_args a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line, &a), 0);
		assert_int_equal(a.command, cases[i].cmd);
		assert_string_equal(a.device, "/dev/vtpm0");
	}
}

static void test_arguments(void **state)
{
	struct ctl_args a;

	(void)state;
	assert_int_equal(parse("-l 4 /dev/x", &a), 0);
	assert_int_equal(a.command, CTL_SET_LOCALITY);
	assert_int_equal(a.locality, 4);
	assert_int_equal(parse("-r 3 /dev/x", &a), 0);
	assert_int_equal(a.command, CTL_RESET_ESTABLISHED);
	assert_int_equal(a.locality, 3);
	assert_int_equal(parse("-h abc /dev/x", &a), 0);
	assert_string_equal(a.hash_data, "abc");
	assert_int_equal(parse("-h - /dev/x", &a), 0);
	assert_string_equal(a.hash_data, "-");
	assert_int_equal(parse("-b 3000 /dev/x", &a), 0);
	assert_int_equal(a.buffersize, 3000);
	assert_int_equal(parse("--info 0x1f /dev/x", &a), 0);
	assert_int_equal(a.info_flags, 0x1f);
	assert_int_equal(parse("--info 3 /dev/x", &a), 0);
	assert_int_equal(a.info_flags, 3);
	assert_int_equal(parse("--lock-storage 100 /dev/x", &a), 0);
	assert_int_equal(a.command, CTL_LOCK_STORAGE);
	assert_int_equal(a.retries, 100);
	assert_int_equal(parse("--tpm-device /dev/y -c", &a), 0);
	assert_string_equal(a.device, "/dev/y");
}

static void test_save_load(void **state)
{
	struct ctl_args a;

	(void)state;
	assert_int_equal(parse("--save permanent /tmp/p /dev/x", &a), 0);
	assert_int_equal(a.command, CTL_SAVE);
	assert_int_equal(a.blob_type, PTM_BLOB_TYPE_PERMANENT);
	assert_string_equal(a.blob_file, "/tmp/p");
	assert_string_equal(a.device, "/dev/x");
	assert_int_equal(parse("/dev/x --load volatile v", &a), 0);
	assert_int_equal(a.command, CTL_LOAD);
	assert_int_equal(a.blob_type, PTM_BLOB_TYPE_VOLATILE);
	assert_string_equal(a.blob_file, "v");
	assert_string_equal(a.device, "/dev/x");
	assert_int_equal(parse("--load savestate s --tpm-device /dev/z", &a), 0);
	assert_int_equal(a.blob_type, PTM_BLOB_TYPE_SAVESTATE);
	assert_string_equal(a.device, "/dev/z");
}

static void test_errors(void **state)
{
	static const char *bad[] = {
		"",                             /* no command */
		"-c",                           /* no device */
		"-c -i /dev/x",                 /* two commands */
		"-c -c /dev/x",
		"-l 5 /dev/x",                  /* locality range */
		"-r 9 /dev/x",
		"-l -1 /dev/x",
		"-l two /dev/x",
		"-l 3x /dev/x",
		"-b big /dev/x",
		"-b 4294967296 /dev/x",
		"--info zz /dev/x",
		"--lock-storage -1 /dev/x",
		"--save permanent",             /* no file */
		"--save permanent -c /dev/x",   /* file looks like an option */
		"--save nonsense f /dev/x",     /* unknown type */
		"--load volatil f /dev/x",
		"--tcp :6546 -c",               /* sockets are not supported */
		"--unix /run/s -c",
		"-c /dev/x /dev/y",             /* extra operand */
		"--bogus /dev/x",
		"-h",                           /* -h needs data */
	};
	struct ctl_args a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &a) != -EINVAL)
			fail_msg("accepted: vtpmctl %s", bad[i]);
	}
}

static void test_help_version_need_no_device(void **state)
{
	struct ctl_args a;

	(void)state;
	assert_int_equal(parse("--help", &a), 0);
	assert_int_equal(a.command, CTL_HELP);
	assert_int_equal(parse("--version", &a), 0);
	assert_int_equal(a.command, CTL_VERSION);
}

static void test_blob_types(void **state)
{
	(void)state;
	assert_int_equal(ctl_blob_type("permanent"), PTM_BLOB_TYPE_PERMANENT);
	assert_int_equal(ctl_blob_type("volatile"), PTM_BLOB_TYPE_VOLATILE);
	assert_int_equal(ctl_blob_type("savestate"), PTM_BLOB_TYPE_SAVESTATE);
	assert_int_equal(ctl_blob_type("Permanent"), 0);
	assert_int_equal(ctl_blob_type(""), 0);
}

static void test_bios_options(void **state)
{
	struct ctl_bios_args b;

	(void)state;
	unsetenv("TPM_DEVICE");
	assert_int_equal(parse_bios("bios", &b), 0);
	assert_true(b.startup);
	assert_int_equal(b.startup_type, TPM2_SU_CLEAR);
	assert_false(b.selftest);
	assert_false(b.lock_platform);
	assert_string_equal(b.device, "/dev/tpm0");

	assert_int_equal(parse_bios("bios --tpm2 --tpm-device /dev/v -s -cs -u -o", &b), 0);
	assert_string_equal(b.device, "/dev/v");
	assert_true(b.startup);
	assert_int_equal(b.startup_type, TPM2_SU_STATE);
	assert_true(b.selftest);
	assert_true(b.lock_platform);

	assert_int_equal(parse_bios("bios -n -cs /dev/w", &b), 0);
	assert_false(b.startup);
	assert_true(b.selftest);
	assert_string_equal(b.device, "/dev/w");

	setenv("TPM_DEVICE", "/dev/fromenv", 1);
	assert_int_equal(parse_bios("bios -c", &b), 0);
	assert_string_equal(b.device, "/dev/fromenv");
	unsetenv("TPM_DEVICE");

	assert_int_equal(parse_bios("bios -d", &b), -EINVAL);
	assert_int_equal(parse_bios("bios -ea", &b), -EINVAL);
	assert_int_equal(parse_bios("bios --tcp :1", &b), -EINVAL);
	assert_int_equal(parse_bios("bios /dev/a /dev/b", &b), -EINVAL);
	assert_int_equal(parse_bios("bios -x", &b), -EINVAL);
	assert_int_equal(parse_bios("bios -h", &b), 0);
	assert_true(b.help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_commands),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_version_need_no_device),
		cmocka_unit_test(test_blob_types),
		cmocka_unit_test(test_bios_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
