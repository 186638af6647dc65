/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c - the command line: every accepted form and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vtpmd/config.h"
#include "config_args.h"

#define PARSE(cfg, ...) \
	config_parse_args((cfg), (const char *const[]){ "vtpmd", __VA_ARGS__, NULL }, \
			  errbuf, sizeof(errbuf))

/* Parses fine; the caller looks at cfg, then config_free()s it. */
#define OK(cfg, ...) config_ok(PARSE(cfg, __VA_ARGS__))

/* Fails with one line naming the problem; nothing is left allocated. */
#define ERR(needle, ...) do { \
	struct vtpmd_config c_; \
	config_refused(PARSE(&c_, __VA_ARGS__), (needle)); \
	assert_null(c_.name); \
	assert_null(c_.state_dir); \
	assert_null(c_.log_file); \
	assert_null(c_.log_prefix); \
	assert_null(c_.pid_file); \
	config_free(&c_); \
} while (0)

static int setup(void **state)
{
	(void)state;
	unsetenv("TPM_PATH");
	return 0;
}

static void test_defaults(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "vtpm0", "--tpmstate", "dir=/tmp/st");
	assert_int_equal(c.action, ACTION_RUN);
	assert_string_equal(c.name, "vtpm0");
	assert_string_equal(c.state_dir, "/tmp/st");
	assert_int_equal(c.major, 0);
	assert_int_equal(c.minor, 0);
	assert_false(c.foreground);
	assert_int_equal(c.tpm_version, TPM_VERSION_2);
	assert_false(c.tpm_version_given);
	assert_int_equal(c.state_mode, 0640);
	assert_false(c.state_mode_given);
	assert_false(c.not_need_init);
	assert_int_equal(c.startup, STARTUP_NONE);
	assert_false(c.disable_auto_shutdown);
	assert_false(c.reject_locality_4);
	assert_false(c.allow_set_locality);
	assert_null(c.log_file);
	assert_int_equal(c.log_fd, -1);
	assert_int_equal(c.log_level, 1);
	assert_false(c.log_level_given);
	assert_null(c.log_prefix);
	assert_false(c.log_truncate);
	assert_null(c.pid_file);
	assert_int_equal(c.pid_fd, -1);
	config_free(&c);
	config_free(&c);        /* harmless twice */
}

static void test_short_and_long_forms(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "vtpm1", "-M", "10", "-m", "65535", "-f", "--tpmstate",
	   "dir=/s");
	assert_string_equal(c.name, "vtpm1");
	assert_int_equal(c.major, 10);
	assert_int_equal(c.minor, 65535);
	assert_true(c.foreground);
	config_free(&c);

	OK(&c, "--name=vtpm2", "--maj", "0", "--min=7", "--foreground",
	   "--tpmstate=dir=/s", "--tpm2");
	assert_string_equal(c.name, "vtpm2");
	assert_int_equal(c.major, 0);
	assert_int_equal(c.minor, 7);
	assert_true(c.foreground);
	assert_int_equal(c.tpm_version, TPM_VERSION_2);
	assert_true(c.tpm_version_given);
	config_free(&c);

	/* Unique abbreviations work as with any getopt_long program. */
	OK(&c, "--na", "vtpm3", "--tpm1", "--tpms", "dir=/s");
	assert_string_equal(c.name, "vtpm3");
	assert_int_equal(c.tpm_version, TPM_VERSION_12);
	config_free(&c);

	OK(&c, "-nvtpm4", "-M12", "--tpmstate", "dir=/s");
	assert_string_equal(c.name, "vtpm4");
	assert_int_equal(c.major, 12);
	config_free(&c);
}

static void test_name_forms(void **state)
{
	struct vtpmd_config c;
	char longest[65];

	(void)state;
	memset(longest, 'a', 64);
	longest[64] = '\0';
	OK(&c, "-n", longest, "--tpmstate", "dir=/s");
	assert_string_equal(c.name, longest);
	config_free(&c);

	OK(&c, "-n", "vtpm-a_b.c+1", "--tpmstate", "dir=/s");
	config_free(&c);

	/* as swtpm: the node's path names it too */
	OK(&c, "-n", "/dev/vtpm7", "--tpmstate", "dir=/s");
	assert_string_equal(c.name, "vtpm7");
	config_free(&c);
	OK(&c, "--name=/dev/dev", "--tpmstate", "dir=/s");
	assert_string_equal(c.name, "dev");
	config_free(&c);
}

static void test_tpmstate(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/var/lib/v,mode=0600");
	assert_string_equal(c.state_dir, "/var/lib/v");
	assert_int_equal(c.state_mode, 0600);
	assert_true(c.state_mode_given);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "mode=600,dir=rel/dir");
	assert_string_equal(c.state_dir, "rel/dir");
	assert_int_equal(c.state_mode, 0600);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d,mode=0");
	assert_int_equal(c.state_mode, 0);
	assert_true(c.state_mode_given);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "backend-uri=dir:///var/x,mode=0777");
	assert_string_equal(c.state_dir, "/var/x");
	assert_null(c.state_file);
	assert_int_equal(c.state_mode, 0777);
	config_free(&c);

	/* swtpm's linear file: a regular file or a block device */
	OK(&c, "-n", "v", "--tpmstate", "backend-uri=file:///var/x.img,mode=0600,lock,fsync");
	assert_string_equal(c.state_file, "/var/x.img");
	assert_null(c.state_dir);
	assert_int_equal(c.state_mode, 0600);
	config_free(&c);
	OK(&c, "-n", "v", "--tpmstate", "backend-uri=file://rel.img");
	assert_string_equal(c.state_file, "rel.img");
	config_free(&c);
	/* the environment does not add a directory to it */
	setenv("TPM_PATH", "/from/env", 1);
	OK(&c, "-n", "v", "--tpmstate", "backend-uri=file:///dev/vg/tpm");
	assert_string_equal(c.state_file, "/dev/vg/tpm");
	assert_null(c.state_dir);
	config_free(&c);
	unsetenv("TPM_PATH");

	OK(&c, "-n", "v", "--tpmstate", "dir=/d,lock");
	config_free(&c);
	OK(&c, "-n", "v", "--tpmstate", "dir=/d,lock=true,fsync=1");
	config_free(&c);
	OK(&c, "-n", "v", "--tpmstate", "dir=/d,fsync");
	config_free(&c);
}

static void test_tpm_path(void **state)
{
	struct vtpmd_config c;

	(void)state;
	setenv("TPM_PATH", "/from/env", 1);
	OK(&c, "-n", "v");
	assert_string_equal(c.state_dir, "/from/env");
	assert_int_equal(c.state_mode, 0640);
	config_free(&c);

	/* --tpmstate wins over the environment. */
	OK(&c, "-n", "v", "--tpmstate", "dir=/opt");
	assert_string_equal(c.state_dir, "/opt");
	config_free(&c);

	/* The environment does not rescue a broken --tpmstate. */
	ERR("dir=DIR, backend-uri=dir://DIR or backend-uri=file://PATH is required",
	    "-n", "v", "--tpmstate", "mode=0600");

	setenv("TPM_PATH", "", 1);
	ERR("no state directory", "-n", "v");
	unsetenv("TPM_PATH");
	ERR("no state directory: give --tpmstate dir=DIR or set TPM_PATH",
	    "-n", "v");
}

static void test_tpm_version(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--tpm12");
	assert_int_equal(c.tpm_version, TPM_VERSION_12);
	assert_true(c.tpm_version_given);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--tpm2", "--tpm2");
	assert_int_equal(c.tpm_version, TPM_VERSION_2);
	config_free(&c);

	ERR("--tpm2 and --tpm12", "-n", "v", "--tpmstate", "dir=/d", "--tpm2",
	    "--tpm12");
	ERR("--tpm2 and --tpm12", "-n", "v", "--tpmstate", "dir=/d", "--tpm12",
	    "--tpm2");
}

static void test_flags(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags", "not-need-init");
	assert_true(c.not_need_init);
	assert_int_equal(c.startup, STARTUP_NONE);
	assert_false(c.disable_auto_shutdown);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags", "startup-clear");
	assert_true(c.not_need_init);
	assert_int_equal(c.startup, STARTUP_CLEAR);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags",
	   "not-need-init,startup-state,disable-auto-shutdown");
	assert_true(c.not_need_init);
	assert_int_equal(c.startup, STARTUP_STATE);
	assert_true(c.disable_auto_shutdown);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags", "startup-none");
	assert_false(c.not_need_init);
	assert_int_equal(c.startup, STARTUP_NONE);
	config_free(&c);

	/* --tpm12 may come after --flags. */
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags",
	   "startup-deactivated", "--tpm12");
	assert_int_equal(c.startup, STARTUP_DEACTIVATED);
	assert_true(c.not_need_init);
	config_free(&c);

	/* A switched-off startup-* does not count. */
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags",
	   "startup-clear=false,startup-state,not-need-init=0");
	assert_int_equal(c.startup, STARTUP_STATE);
	assert_true(c.not_need_init);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--flags",
	   "disable-auto-shutdown=TRUE");
	assert_true(c.disable_auto_shutdown);
	assert_false(c.not_need_init);
	config_free(&c);

	ERR("startup-clear and startup-state exclude each other", "-n", "v",
	    "--tpmstate", "dir=/d", "--flags", "startup-clear,startup-state");
	ERR("exclude each other", "-n", "v", "--tpmstate", "dir=/d", "--flags",
	    "startup-none,startup-clear");
	ERR("startup-deactivated needs --tpm12", "-n", "v", "--tpmstate",
	    "dir=/d", "--flags", "startup-deactivated");
	ERR("startup-deactivated needs --tpm12", "-n", "v", "--tpmstate",
	    "dir=/d", "--flags", "startup-deactivated", "--tpm2");
	ERR("--flags: unknown parameter 'startup-warm'", "-n", "v",
	    "--tpmstate", "dir=/d", "--flags", "startup-warm");
	ERR("--flags: empty value", "-n", "v", "--tpmstate", "dir=/d",
	    "--flags", "");
	ERR("--flags: 'not-need-init' takes true or false, not 'yes'", "-n", "v",
	    "--tpmstate", "dir=/d", "--flags", "not-need-init=yes");
	ERR("--flags: 'startup-clear' given more than once", "-n", "v",
	    "--tpmstate", "dir=/d", "--flags", "startup-clear,startup-clear");
}

static void test_locality(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--locality",
	   "reject-locality-4,allow-set-locality");
	assert_true(c.reject_locality_4);
	assert_true(c.allow_set_locality);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--locality",
	   "allow-set-locality");
	assert_false(c.reject_locality_4);
	assert_true(c.allow_set_locality);
	config_free(&c);

	ERR("--locality: unknown parameter 'reject-locality-3'", "-n", "v",
	    "--tpmstate", "dir=/d", "--locality", "reject-locality-3");
	ERR("--locality: empty value", "-n", "v", "--tpmstate", "dir=/d",
	    "--locality", "");
	ERR("--locality: empty value for 'reject-locality-4'", "-n", "v",
	    "--tpmstate", "dir=/d", "--locality", "reject-locality-4=");
}

static void test_log(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--log",
	   "file=/tmp/v.log,level=3,prefix=vtpm0: ,truncate");
	assert_string_equal(c.log_file, "/tmp/v.log");
	assert_int_equal(c.log_fd, -1);
	assert_int_equal(c.log_level, 3);
	assert_true(c.log_level_given);
	assert_string_equal(c.log_prefix, "vtpm0: ");
	assert_true(c.log_truncate);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--log", "fd=3");
	assert_null(c.log_file);
	assert_int_equal(c.log_fd, 3);
	assert_int_equal(c.log_level, 1);
	assert_false(c.log_level_given);
	assert_false(c.log_truncate);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--log", "file=-");
	assert_string_equal(c.log_file, "-");
	config_free(&c);

	/* As in swtpm: level and prefix alone apply to stderr. */
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--log", "level=20");
	assert_null(c.log_file);
	assert_int_equal(c.log_fd, -1);
	assert_int_equal(c.log_level, 20);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--log",
	   "file=/l,truncate=false,level=0,prefix=a=b");
	assert_false(c.log_truncate);
	assert_int_equal(c.log_level, 0);
	assert_true(c.log_level_given);
	assert_string_equal(c.log_prefix, "a=b");
	config_free(&c);

	ERR("--log: fd 'abc' is not a number", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "fd=abc");
	ERR("--log: fd '-1' is not a number", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "fd=-1");
	ERR("--log: fd '99999999999' is out of range", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "fd=99999999999");
	ERR("--log: give file= or fd=, not both", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "file=/l,fd=3");
	ERR("--log: level 'high' is not a number", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "file=/l,level=high");
	ERR("--log: level '99999999999999999999999' is out of range", "-n", "v",
	    "--tpmstate", "dir=/d", "--log", "level=99999999999999999999999");
	ERR("--log: 'truncate' takes true or false, not 'maybe'", "-n", "v",
	    "--tpmstate", "dir=/d", "--log", "file=/l,truncate=maybe");
	ERR("--log: 'file' needs a value", "-n", "v", "--tpmstate", "dir=/d",
	    "--log", "file");
	ERR("--log: empty value for 'file'", "-n", "v", "--tpmstate", "dir=/d",
	    "--log", "file=");
	ERR("--log: empty value for 'prefix'", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "file=/l,prefix=");
	ERR("--log: 'level' given more than once", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "level=1,file=/l,level=2");
	ERR("--log: unknown parameter 'path'", "-n", "v", "--tpmstate",
	    "dir=/d", "--log", "path=/l");
}

static void test_pid(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--pid", "file=/run/v.pid");
	assert_string_equal(c.pid_file, "/run/v.pid");
	assert_int_equal(c.pid_fd, -1);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--pid", "fd=5");
	assert_null(c.pid_file);
	assert_int_equal(c.pid_fd, 5);
	config_free(&c);

	ERR("--pid: give exactly one of file= or fd=", "-n", "v", "--tpmstate",
	    "dir=/d", "--pid", "file=/p,fd=5");
	ERR("--pid: unknown parameter 'mode'", "-n", "v", "--tpmstate",
	    "dir=/d", "--pid", "mode=0600");
	ERR("--pid: fd 'x1' is not a number", "-n", "v", "--tpmstate", "dir=/d",
	    "--pid", "fd=x1");
	ERR("--pid: empty value", "-n", "v", "--tpmstate", "dir=/d", "--pid",
	    "");
}

static void test_actions(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-h");
	assert_int_equal(c.action, ACTION_HELP);
	config_free(&c);
	OK(&c, "--help");
	assert_int_equal(c.action, ACTION_HELP);
	config_free(&c);
	OK(&c, "-v");
	assert_int_equal(c.action, ACTION_VERSION);
	config_free(&c);
	OK(&c, "--version");
	assert_int_equal(c.action, ACTION_VERSION);
	config_free(&c);

	/* -h/-v stop parsing where they stand, as swtpm's do. */
	OK(&c, "-n", "v", "--version", "--bogus");
	assert_int_equal(c.action, ACTION_VERSION);
	config_free(&c);
	ERR("unknown option '--bogus'", "--bogus", "-h");
}

static void test_last_one_wins(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "first", "-n", "second", "-M", "1", "-M", "2",
	   "--tpmstate", "dir=/a,mode=0600", "--tpmstate", "dir=/b",
	   "--log", "file=/l,level=4", "--log", "fd=3",
	   "--flags", "startup-clear", "--flags", "disable-auto-shutdown");
	assert_string_equal(c.name, "second");
	assert_int_equal(c.major, 2);
	assert_string_equal(c.state_dir, "/b");
	/* The whole earlier --tpmstate is gone, mode included. */
	assert_int_equal(c.state_mode, 0640);
	assert_false(c.state_mode_given);
	assert_null(c.log_file);
	assert_int_equal(c.log_fd, 3);
	assert_false(c.log_level_given);
	assert_int_equal(c.startup, STARTUP_NONE);
	assert_false(c.not_need_init);
	assert_true(c.disable_auto_shutdown);
	config_free(&c);
}

static void test_parse_twice(void **state)
{
	struct vtpmd_config c;

	(void)state;
	for (int i = 0; i < 3; i++) {
		OK(&c, "-n", "v", "--tpmstate", "dir=/d", "-f");
		assert_true(c.foreground);
		config_free(&c);
		ERR("unknown option '-x'", "-n", "v", "-x");
		OK(&c, "-n", "w", "--tpmstate", "dir=/e");
		assert_false(c.foreground);
		assert_string_equal(c.name, "w");
		config_free(&c);
	}
}

static void test_bad_options(void **state)
{
	(void)state;
	ERR("unknown option '--bogus'", "-n", "v", "--bogus");
	ERR("unknown option '--bogus'", "-n", "v", "--bogus=1");
	ERR("unknown option '-x'", "-n", "v", "-x");
	ERR("ambiguous option '--tpm'", "-n", "v", "--tpm");
	ERR("option '--help' takes no value", "--help=1");
	ERR("option '--foreground' takes no value", "-n", "v", "--foreground=yes");
	ERR("option '--name' needs a value", "-n");
	ERR("option '--tpmstate' needs a value", "-n", "v", "--tpmstate");
	ERR("option '--maj' needs a value", "-n", "v", "--maj");
	ERR("unexpected argument 'extra'", "-n", "v", "--tpmstate", "dir=/d",
	    "extra");
	ERR("unexpected argument '-'", "-n", "v", "--tpmstate", "dir=/d", "-");
	ERR("unexpected argument 'x'", "-n", "v", "--tpmstate", "dir=/d", "--",
	    "x");
}

static void test_unsupported(void **state)
{
	(void)state;
	ERR("option '--profile' is not supported", "--profile", "name=x");
	ERR("option '--print-profiles' is not supported", "--print-profiles");
	ERR("--tpmstate: lock=false is not supported", "-n", "v", "--tpmstate",
	    "dir=/d,lock=false");
	ERR("--tpmstate: fsync=0 is not supported", "-n", "v", "--tpmstate",
	    "dir=/d,fsync=0");
}

static void test_keys(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--key", "file=/k");
	assert_true(c.key.given);
	assert_false(c.key.passphrase);
	assert_string_equal(c.key.file, "/k");
	assert_int_equal(c.key.cipher, KEY_AES_128_CBC);
	assert_int_equal(c.key.format, KEY_FORMAT_HEX);
	assert_false(c.migration_key.given);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--key",
	   "fd=4,mode=aes-256-cbc,format=binary,remove=true");
	assert_int_equal(c.key.fd, 4);
	assert_null(c.key.file);
	assert_int_equal(c.key.cipher, KEY_AES_256_CBC);
	assert_int_equal(c.key.format, KEY_FORMAT_BINARY);
	assert_true(c.key.remove);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--migration-key",
	   "pwdfile=/p,kdf=sha512,mode=aes-128-cbc");
	assert_true(c.migration_key.given);
	assert_true(c.migration_key.passphrase);
	assert_string_equal(c.migration_key.file, "/p");
	assert_int_equal(c.migration_key.kdf, KEY_KDF_SHA512);
	assert_false(c.key.given);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--key", "pwdfd=7");
	assert_int_equal(c.key.fd, 7);
	assert_int_equal(c.key.kdf, KEY_KDF_PBKDF2);
	config_free(&c);

	ERR("--key: give exactly one of file=, fd=, pwdfile= or pwdfd=", "-n",
	    "v", "--tpmstate", "dir=/d", "--key", "file=/k,fd=3");
	ERR("--key: give exactly one of", "-n", "v", "--tpmstate", "dir=/d",
	    "--key", "mode=aes-cbc");
	ERR("--key: mode 'aes-512' is not one of", "-n", "v", "--tpmstate",
	    "dir=/d", "--key", "file=/k,mode=aes-512");
	ERR("--migration-key: format 'pem' is not hex or binary", "-n", "v",
	    "--tpmstate", "dir=/d", "--migration-key", "file=/k,format=pem");
	ERR("--key: kdf= applies to pwdfile= and pwdfd= only", "-n", "v",
	    "--tpmstate", "dir=/d", "--key", "file=/k,kdf=sha512");
	ERR("--key: format= applies to file= and fd= keys only", "-n", "v",
	    "--tpmstate", "dir=/d", "--key", "pwdfile=/k,format=hex");
	ERR("--key: fd 'x' is not a number", "-n", "v", "--tpmstate", "dir=/d",
	    "--key", "fd=x");
}

static void test_hardening_options(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d");
	assert_int_equal(c.seccomp, SECCOMP_ACTION_KILL);
	assert_null(c.runas);
	assert_null(c.chroot_dir);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "-r", "tss", "-R", "/srv/j",
	   "--seccomp", "action=log");
	assert_string_equal(c.runas, "tss");
	assert_string_equal(c.chroot_dir, "/srv/j");
	assert_int_equal(c.seccomp, SECCOMP_ACTION_LOG);
	config_free(&c);

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--runas", "nobody",
	   "--chroot", "/j", "--seccomp", "action=none");
	assert_string_equal(c.runas, "nobody");
	assert_int_equal(c.seccomp, SECCOMP_ACTION_NONE);
	config_free(&c);

	ERR("--seccomp: action 'trap' is not kill, log or none", "-n", "v",
	    "--tpmstate", "dir=/d", "--seccomp", "action=trap");
	ERR("--seccomp: unknown parameter 'mode'", "-n", "v", "--tpmstate",
	    "dir=/d", "--seccomp", "mode=kill");
	ERR("--runas: empty value", "-n", "v", "--tpmstate", "dir=/d", "-r", "");
}

/* An argument with a newline or an escape still gives one line (ERR checks). */
static void test_control_bytes_in_errors(void **state)
{
	(void)state;
	ERR("--seccomp: action 'ki?ll' is not kill, log or none", "-n", "v",
	    "--tpmstate", "dir=/d", "--seccomp", "action=ki\nll");
	ERR("unexpected argument 'x?[31my'", "-n", "v", "--tpmstate", "dir=/d",
	    "x\x1b[31my");
	ERR("--locality: unknown parameter 'a?b'", "-n", "v", "--tpmstate", "dir=/d",
	    "--locality", "a\rb");
}

static void test_state_extras(void **state)
{
	struct vtpmd_config c;

	(void)state;
	OK(&c, "-n", "v", "--tpmstate", "dir=/d,backup,lock,fsync",
	   "--migration", "incoming,release-lock-outgoing");
	assert_true(c.state_backup);
	assert_true(c.migration_incoming);
	assert_true(c.migration_release_lock_outgoing);
	config_free(&c);
	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--migration", "incoming");
	assert_false(c.migration_release_lock_outgoing);
	config_free(&c);
	/* its value is checked too */
	ERR("--migration: 'release-lock-outgoing' takes true or false, not 'maybe'",
	    "-n", "v", "--tpmstate", "dir=/d", "--migration",
	    "release-lock-outgoing=maybe");

	OK(&c, "-n", "v", "--tpmstate", "dir=/d", "--pcap",
	   "file=/t.pcap,truncate,mode=0600");
	assert_string_equal(c.pcap_file, "/t.pcap");
	assert_true(c.pcap_truncate);
	assert_int_equal(c.pcap_mode, 0600);
	config_free(&c);

	ERR("--migration: unknown parameter 'outgoing'", "-n", "v",
	    "--tpmstate", "dir=/d", "--migration", "outgoing");
	ERR("--pcap: give exactly one of file= or fd=", "-n", "v",
	    "--tpmstate", "dir=/d", "--pcap", "truncate");
}

static void test_print_actions(void **state)
{
	struct vtpmd_config c;

	(void)state;
	/* printing needs no device name */
	OK(&c, "--print-capabilities");
	assert_int_equal(c.action, ACTION_PRINT_CAPABILITIES);
	assert_null(c.name);
	config_free(&c);

	OK(&c, "--print-info", "0x3");
	assert_int_equal(c.action, ACTION_PRINT_INFO);
	assert_int_equal(c.print_info_flags, 3);
	config_free(&c);

	OK(&c, "--print-states", "--tpmstate", "dir=/d");
	assert_int_equal(c.action, ACTION_PRINT_STATES);
	assert_string_equal(c.state_dir, "/d");
	config_free(&c);

	ERR("no state directory", "--print-states");
	ERR("--print-info: 'abc' is not a number", "--print-info", "abc");
	ERR("--print-info: '-1' is not a number", "--print-info", "-1");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	ERR("--maj: 'abc' is not a number", "-n", "v", "--maj", "abc");
	ERR("--maj: '-1' is not a number", "-n", "v", "--maj", "-1");
	ERR("--maj: '+1' is not a number", "-n", "v", "--maj", "+1");
	ERR("--maj: ' 1' is not a number", "-n", "v", "--maj", " 1");
	ERR("--maj: '1x' is not a number", "-n", "v", "--maj", "1x");
	ERR("--maj: '0x10' is not a number", "-n", "v", "--maj", "0x10");
	ERR("--maj: '' is not a number", "-n", "v", "--maj", "");
	ERR("--maj: '70000' is out of range (0-65535)", "-n", "v", "--maj",
	    "70000");
	ERR("--min: '65536' is out of range (0-65535)", "-n", "v", "-m",
	    "65536");
	ERR("--min: '99999999999999999999999' is out of range", "-n", "v",
	    "--min", "99999999999999999999999");
	ERR("--tpmstate: mode '0999' is not an octal number", "-n", "v",
	    "--tpmstate", "dir=/d,mode=0999");
	ERR("--tpmstate: mode '01000' is out of range (0-0777)", "-n", "v",
	    "--tpmstate", "dir=/d,mode=01000");
	ERR("--tpmstate: mode '-1' is not an octal number", "-n", "v",
	    "--tpmstate", "dir=/d,mode=-1");
	ERR("--tpmstate: 'mode' needs a value", "-n", "v", "--tpmstate",
	    "dir=/d,mode");
}

static void test_bad_names(void **state)
{
	char toolong[66];

	(void)state;
	memset(toolong, 'a', 65);
	toolong[65] = '\0';
	ERR("missing --name", "--tpmstate", "dir=/d");
	ERR("--name: empty device name", "-n", "", "--tpmstate", "dir=/d");
	ERR("--name: 'a/b' contains '/'", "-n", "a/b", "--tpmstate", "dir=/d");
	ERR("--name: empty device name", "-n", "/dev/");
	ERR("--name: '/dev/a/b' contains '/'", "-n", "/dev/a/b");
	ERR("--name: '/dev//vtpm0' contains '/'", "-n", "/dev//vtpm0");
	ERR("--name: '/dev/../x' contains '/'", "-n", "/dev/../x");
	ERR("--name: '/dev/..' is not a device name", "-n", "/dev/..");
	ERR("--name: '/tmp/vtpm0' contains '/'", "-n", "/tmp/vtpm0");
	ERR("--name: 'dev/vtpm0' contains '/'", "-n", "dev/vtpm0");
	ERR("--name: '.' is not a device name", "-n", ".");
	ERR("--name: '..' is not a device name", "-n", "..");
	ERR("is longer than 64 characters", "-n", toolong);
	ERR("printable ASCII without spaces", "-n", "a b");
	ERR("printable ASCII without spaces", "-n", "a\tb");
	ERR("printable ASCII without spaces", "-n", "vtpm\xc3\xa9");
	/* A bad -n is reported even when a good one follows. */
	ERR("contains '/'", "-n", "a/b", "-n", "good", "--tpmstate", "dir=/d");
}

static void test_bad_tpmstate(void **state)
{
	(void)state;
	ERR("--tpmstate: unknown parameter 'foo'", "-n", "v", "--tpmstate",
	    "dir=/d,foo");
	ERR("--tpmstate: unknown parameter 'foo'", "-n", "v", "--tpmstate",
	    "foo=bar,dir=/d");
	ERR("--tpmstate: empty value for 'dir'", "-n", "v", "--tpmstate",
	    "dir=");
	ERR("--tpmstate: 'dir' needs a value", "-n", "v", "--tpmstate", "dir");
	ERR("--tpmstate: empty value", "-n", "v", "--tpmstate", "");
	ERR("--tpmstate: empty parameter", "-n", "v", "--tpmstate",
	    "dir=/d,,mode=0600");
	ERR("--tpmstate: empty parameter", "-n", "v", "--tpmstate", "dir=/d,");
	ERR("--tpmstate: empty parameter", "-n", "v", "--tpmstate", ",dir=/d");
	ERR("--tpmstate: give dir= or backend-uri=, not both", "-n", "v",
	    "--tpmstate", "dir=/d,backend-uri=dir:///e");
	ERR("--tpmstate: backend-uri 'nbd://x' is not supported (dir://DIR or "
	    "file://PATH)", "-n", "v", "--tpmstate", "backend-uri=nbd://x");
	ERR("--tpmstate: backend-uri 'dir://' names no directory", "-n", "v",
	    "--tpmstate", "backend-uri=dir://");
	ERR("--tpmstate: backend-uri 'file://' names no file", "-n", "v",
	    "--tpmstate", "backend-uri=file://");
	ERR("--tpmstate: backup is for a state directory; a linear file (file://) "
	    "keeps no backup", "-n", "v", "--tpmstate", "backend-uri=file:///x,backup");
	ERR("--tpmstate: lock=false is not supported", "-n", "v",
	    "--tpmstate", "backend-uri=file:///x,lock=false");
	ERR("--tpmstate: 'dir' given more than once", "-n", "v", "--tpmstate",
	    "dir=/a,dir=/b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_short_and_long_forms, setup),
		cmocka_unit_test_setup(test_name_forms, setup),
		cmocka_unit_test_setup(test_tpmstate, setup),
		cmocka_unit_test_setup(test_tpm_path, setup),
		cmocka_unit_test_setup(test_tpm_version, setup),
		cmocka_unit_test_setup(test_flags, setup),
		cmocka_unit_test_setup(test_locality, setup),
		cmocka_unit_test_setup(test_log, setup),
		cmocka_unit_test_setup(test_pid, setup),
		cmocka_unit_test_setup(test_actions, setup),
		cmocka_unit_test_setup(test_last_one_wins, setup),
		cmocka_unit_test_setup(test_parse_twice, setup),
		cmocka_unit_test_setup(test_bad_options, setup),
		cmocka_unit_test_setup(test_unsupported, setup),
		cmocka_unit_test_setup(test_keys, setup),
		cmocka_unit_test_setup(test_hardening_options, setup),
		cmocka_unit_test_setup(test_control_bytes_in_errors, setup),
		cmocka_unit_test_setup(test_state_extras, setup),
		cmocka_unit_test_setup(test_print_actions, setup),
		cmocka_unit_test_setup(test_bad_numbers, setup),
		cmocka_unit_test_setup(test_bad_names, setup),
		cmocka_unit_test_setup(test_bad_tpmstate, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
