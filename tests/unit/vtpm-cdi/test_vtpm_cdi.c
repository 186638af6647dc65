/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_vtpm_cdi.c - vtpm-cdi's parts that need no runtime: the OCI state a
 * hook reads (what is accepted, what is refused and why), the options, the
 * hook arguments the pool writes, parsed back into the same options, and
 * what the pool refuses because it could only fail at a container's start:
 * a major the kernel will not register, a spec directory others may write.
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
#include <unistd.h>

#include <sys/stat.h>

#include "vtpm-cdi/cdi_opts.h"
#include "vtpm-cdi/oci_state.h"
#include "vtpm-cdi/pool.h"

static char err[512];

static int parse_state(const char *json, struct oci_state *st)
{
	err[0] = '\0';
	return oci_state_parse(json, strlen(json), st, err, sizeof(err));
}

static void test_state_accepted(void **state)
{
	struct oci_state st;

	(void)state;
	/* crun's shape (podman) */
	assert_int_equal(parse_state("{\"ociVersion\":\"1.0\",\"id\":\"8572fe1def59\",\"pid\":519,"
				     "\"root\":\"/r\",\"bundle\":\"/b\",\"status\":\"created\","
				     "\"annotations\":{\"io.container.manager\":\"libpod\"}}", &st), 0);
	assert_string_equal(st.id, "8572fe1def59");
	assert_string_equal(st.state_name, "");
	/* runc's, with the state annotation, and whitespace around */
	assert_int_equal(parse_state("\n {\"ociVersion\":\"1.0.2-dev\",\"id\":\"c-1_x+y.z\","
				     "\"status\":\"creating\",\"annotations\":"
				     "{\"vtpmd.io/state\":\"web1\"}} \n", &st), 0);
	assert_string_equal(st.id, "c-1_x+y.z");
	assert_string_equal(st.state_name, "web1");
	/* no annotations at all */
	assert_int_equal(parse_state("{\"id\":\"a\"}", &st), 0);
	assert_string_equal(st.id, "a");
}

static void test_state_refused(void **state)
{
	static const struct { const char *json, *why; } cases[] = {
		{ "", "ends early" },
		{ "{\"id\":\"a\"", "ends early" },
		{ "[]", "not a JSON object" },
		{ "{}", "has no \"id\"" },
		{ "{\"id\":7}", "has no \"id\"" },
		{ "{\"id\":\"\"}", "is not 1-255" },
		{ "{\"id\":\".\"}", "is not 1-255" },
		{ "{\"id\":\"..\"}", "is not 1-255" },
		{ "{\"id\":\"a/b\"}", "is not 1-255" },
		{ "{\"id\":\"a b\"}", "is not 1-255" },
		{ "{\"id\":\"a\\nb\"}", "is not 1-255" },
		{ "{\"id\":\"a\"} {}", "not JSON" },
		{ "{\"id\":\"a\",}", "not JSON" },
		{ "{\"id\":\"a\",\"annotations\":{\"vtpmd.io/state\":\"../x\"}}", "annotation vtpmd.io/state '../x'" },
		{ "{\"id\":\"a\",\"annotations\":{\"vtpmd.io/state\":3}}", "(not a string)" },
		{ "{\"id\":\"a\",\"annotations\":{\"vtpmd.io/state\":\"\"}}", "annotation" },
	};
	struct oci_state st;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse_state(cases[i].json, &st) != -EINVAL)
			fail_msg("case %zu accepted: %s", i, cases[i].json);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].why, err);
		assert_null(strchr(err, '\n'));
	}
}

static void test_state_limits(void **state)
{
	size_t len = 300;
	char *json = malloc(len + 16), id[OCI_ID_MAX + 2];
	struct oci_state st;
	int p[2];

	(void)state;
	/* 255 characters pass, 256 do not */
	memset(id, 'a', OCI_ID_MAX);
	id[OCI_ID_MAX] = '\0';
	snprintf(json, len + 16, "{\"id\":\"%s\"}", id);
	assert_int_equal(parse_state(json, &st), 0);
	assert_int_equal(strlen(st.id), OCI_ID_MAX);
	id[OCI_ID_MAX] = 'a';
	id[OCI_ID_MAX + 1] = '\0';
	snprintf(json, len + 16, "{\"id\":\"%s\"}", id);
	assert_int_equal(parse_state(json, &st), -EINVAL);
	/* a NUL byte inside */
	assert_int_equal(oci_state_parse("{\"id\":\"a\"}\0x", 12, &st, err, sizeof(err)), -EINVAL);
	free(json);

	/* from a pipe, as the runtime writes it */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "{\"id\":\"from-pipe\"}", 18), 18);
	close(p[1]);
	assert_int_equal(oci_state_read(p[0], &st, err, sizeof(err)), 0);
	close(p[0]);
	assert_string_equal(st.id, "from-pipe");
}

/* More than OCI_STATE_MAX on stdin: refused without reading it all into memory. */
static void test_state_too_long(void **state)
{
	struct oci_state st;
	int p[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[4096];

		close(p[0]);
		memset(buf, ' ', sizeof(buf));
		for (int i = 0; i < (OCI_STATE_MAX / (int)sizeof(buf)) + 4; i++)
			if (write(p[1], buf, sizeof(buf)) < 0)
				break;
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(oci_state_read(p[0], &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "larger than"));
	close(p[0]);
}

/* --- options ------------------------------------------------------------------ */

#define ARGV(...) ((char *[]){ "vtpm-cdi", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "vtpm-cdi", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) cdi_opts_parse((o), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err, sizeof(err))

static void test_opts_pool(void **state)
{
	struct cdi_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "pool", "--slots", "4", "--major", "240"), 0);
	assert_int_equal(o.cmd, CMD_POOL);
	assert_int_equal(o.slots, 4);
	assert_int_equal(o.major, 240);
	assert_string_equal(o.kind, "vtpmd.io/tpm");
	assert_string_equal(o.prefix, "slot");
	assert_string_equal(o.path, "/dev/tpm0");
	assert_string_equal(o.pathrm, "/dev/tpmrm0");
	assert_string_equal(o.dir, "/var/run/cdi");
	assert_string_equal(o.run_dir, "/run/vtpm-cdi");
	assert_false(o.persistent);
	assert_int_equal(o.nvtpmd_args, 0);
	cdi_opts_free(&o);

	assert_int_equal(PARSE(&o, "pool", "--slots", "2", "--major", "511", "--first-minor", "65534",
			       "--prefix", "t", "--kind", "example.com/tpm2", "--path", "/dev/tpmrm0",
			       "--pathrm", "/dev/tpmrm1", "--persistent", "--setup", "/usr/bin/vtpm-setup", "--setup-arg", "--createek",
			       "--setup-arg", "--create-ek-cert", "--", "--key", "file=/k"), 0);
	assert_int_equal(o.first_minor, 65534);
	assert_string_equal(o.pathrm, "/dev/tpmrm1");
	assert_int_equal(o.nsetup_args, 2);
	assert_string_equal(o.setup_args[1], "--create-ek-cert");
	assert_int_equal(o.nvtpmd_args, 2);
	assert_string_equal(o.vtpmd_args[0], "--key");
	cdi_opts_free(&o);
}

static void test_opts_refused(void **state)
{
	const struct { int argc; char **argv; const char *why; } cases[] = {
		{ 1, ARGV(NULL), "no command" },
		{ ARGC("frob"), ARGV("frob"), "unknown command" },
		{ ARGC("hook"), ARGV("hook"), "create or poststop" },
		{ ARGC("pool"), ARGV("pool"), "--slots N and --major M are required" },
		{ ARGC("pool", "--slots", "0", "--major", "1"), ARGV("pool", "--slots", "0", "--major", "1"), "--slots" },
		{ ARGC("pool", "--slots", "1025", "--major", "1"), ARGV("pool", "--slots", "1025", "--major", "1"), "--slots" },
		{ ARGC("pool", "--slots", "1", "--major", "512"), ARGV("pool", "--slots", "1", "--major", "512"),
		  "not a major from 1 to 511" },
		{ ARGC("pool", "--slots", "1", "--major", "0x10"), ARGV("pool", "--slots", "1", "--major", "0x10"), "--major" },
		{ ARGC("pool", "--slots", "3", "--major", "1", "--first-minor", "65534"),
		  ARGV("pool", "--slots", "3", "--major", "1", "--first-minor", "65534"), "past minor 65535" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--prefix", "-x"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--prefix", "-x"), "--prefix" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--prefix", "a:b"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--prefix", "a:b"), "--prefix" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--kind", "tpm"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--kind", "tpm"), "--kind" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--path", "tpm0"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--path", "tpm0"), "--path" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--pathrm", "tpmrm0"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--pathrm", "tpmrm0"), "--pathrm" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--path", "/dev/tpmrm0"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--path", "/dev/tpmrm0"), "the same node" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--dir", "cdi"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--dir", "cdi"), "not an absolute path" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--run-dir", "/a,b"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--run-dir", "/a,b"), "','" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "--bogus"),
		  ARGV("pool", "--slots", "1", "--major", "1", "--bogus"), "unknown option '--bogus'" },
		{ ARGC("pool", "--slots"), ARGV("pool", "--slots"), "needs a value" },
		{ ARGC("pool", "--slots", "1", "--major", "1", "stray"),
		  ARGV("pool", "--slots", "1", "--major", "1", "stray"), "unexpected argument 'stray'" },
		{ ARGC("hook", "create", "--slot", "1"), ARGV("hook", "create", "--slot", "1"), "are required" },
	};
	struct cdi_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (cdi_opts_parse(&o, cases[i].argc, cases[i].argv, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].why, err);
	}
}

/* -h and -V also after the command (a crash before: --version reached the
 * value options with no value). */
static void test_opts_help_version(void **state)
{
	struct cdi_opts o;

	(void)state;
	assert_int_equal(PARSE(&o, "pool", "--version"), 0);
	assert_int_equal(o.cmd, CMD_VERSION);
	assert_int_equal(PARSE(&o, "pool", "--slots", "1", "--setup-arg", "x", "-V"), 0);
	assert_int_equal(o.cmd, CMD_VERSION);
	assert_null(o.setup_args);
	assert_int_equal(PARSE(&o, "hook", "create", "--ve"), 0);
	assert_int_equal(o.cmd, CMD_VERSION);
	assert_int_equal(PARSE(&o, "pool", "--help"), 0);
	assert_int_equal(o.cmd, CMD_HELP);
}

/* The pool writes its options into the hooks' arguments; the hook parses
 * them back into the same settings. */
static void test_hook_argv_round_trip(void **state)
{
	struct cdi_opts pool, hook;
	char **argv;
	size_t argc;
	char name[64];

	(void)state;
	assert_int_equal(PARSE(&pool, "pool", "--slots", "8", "--major", "241", "--first-minor", "100",
			       "--prefix", "box", "--run-dir", "/run/x", "--state-dir", "/var/lib/x",
			       "--persistent", "--runas", "tss", "--setup", "/bin/setup",
			       "--setup-arg", "--a b", "--vtpmd", "/usr/bin/vtpmd", "--", "--key",
			       "file=/k,mode=aes-256-cbc"), 0);
	assert_int_equal(cdi_opts_hook_argv(&pool, "/usr/bin/vtpm-cdi", "poststop", 5, &argv, &argc), 0);
	assert_string_equal(argv[0], "/usr/bin/vtpm-cdi");
	assert_null(argv[argc]);
	assert_int_equal(cdi_opts_parse(&hook, (int)argc, argv, err, sizeof(err)), 0);
	assert_int_equal(hook.cmd, CMD_HOOK_POSTSTOP);
	assert_int_equal(hook.slot, 5);
	assert_int_equal(hook.major, 241);
	assert_int_equal(hook.first_minor, 100);
	assert_string_equal(hook.prefix, "box");
	assert_string_equal(hook.run_dir, "/run/x");
	assert_string_equal(hook.state_dir, "/var/lib/x");
	assert_true(hook.persistent);
	assert_string_equal(hook.runas, "tss");
	assert_string_equal(hook.setup, "/bin/setup");
	assert_int_equal(hook.nsetup_args, 1);
	assert_string_equal(hook.setup_args[0], "--a b");
	assert_string_equal(hook.vtpmd, "/usr/bin/vtpmd");
	assert_int_equal(hook.nvtpmd_args, 2);
	assert_string_equal(hook.vtpmd_args[1], "file=/k,mode=aes-256-cbc");
	assert_int_equal(cdi_slot_name(&hook, hook.slot, name, sizeof(name)), 0);
	assert_string_equal(name, "box5");
	assert_int_equal(cdi_slot_devname(&hook, hook.slot, name, sizeof(name)), 0);
	assert_string_equal(name, "vtpm-box5");
	cdi_opts_free(&hook);
	cdi_argv_free(argv);

	/* Without extras there is no "--", and the hook still parses. */
	pool.nvtpmd_args = 0;
	pool.persistent = false;
	assert_int_equal(cdi_opts_hook_argv(&pool, "/v", "create", 0, &argv, &argc), 0);
	assert_int_equal(cdi_opts_parse(&hook, (int)argc, argv, err, sizeof(err)), 0);
	assert_int_equal(hook.cmd, CMD_HOOK_CREATE);
	assert_false(hook.persistent);
	assert_int_equal(hook.nvtpmd_args, 0);
	for (size_t i = 0; i < argc; i++)
		assert_string_not_equal(argv[i], "--");
	cdi_opts_free(&hook);
	cdi_argv_free(argv);
	cdi_opts_free(&pool);
}

/* The kernel registers character majors below 512, and not one another
 * driver has (its /proc/devices line); CUSE's own "cuse" may share. */
static void test_pool_major(void **state)
{
	static const char devices[] =
		"Character devices:\n  1 mem\n  4 /dev/vc/0\n  5 /dev/tty\n 10 misc\n"
		"240 cuse\n253 tpm\n\nBlock devices:\n  7 loop\n 242 nbd\n";

	(void)state;
	assert_int_equal(pool_check_major(1, devices, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "--major 1 is the kernel's 'mem' (/proc/devices)"));
	assert_int_equal(pool_check_major(253, devices, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "'tpm'"));
	assert_int_equal(pool_check_major(240, devices, err, sizeof(err)), 0);
	assert_int_equal(pool_check_major(7, devices, err, sizeof(err)), 0);   /* block */
	assert_int_equal(pool_check_major(242, devices, err, sizeof(err)), 0);
	assert_int_equal(pool_check_major(511, devices, err, sizeof(err)), 0);
	assert_int_equal(pool_check_major(512, devices, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "1 to 511"));
	assert_int_equal(pool_check_major(0, "", err, sizeof(err)), -ERANGE);
	assert_int_equal(pool_check_major(241, "", err, sizeof(err)), 0);
	assert_int_equal(pool_check_major(241, "Character devices:\n", err, sizeof(err)), 0);
}

/* The spec's hooks run as root: no one else may write the spec directory,
 * nor a directory above it unless it is sticky. */
static void test_pool_dir(void **state)
{
	char base[] = "/tmp/vtpmd-test-cdi.XXXXXX", dir[128], cmd[200];

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/cdi", base);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(pool_check_dir(dir, err, sizeof(err)), 0);
	/* the directory itself: not group or world writable, sticky or not */
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(pool_check_dir(dir, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "may be written by others (owner 0, mode 1777)"));
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(pool_check_dir(dir, err, sizeof(err)), -EPERM);
	assert_int_equal(chmod(dir, 0755), 0);
	/* nor owned by another user */
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(pool_check_dir(dir, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "owner 65534"));
	assert_int_equal(chown(dir, 0, 0), 0);
	/* a parent others may write lets them swap the directory */
	assert_int_equal(chmod(base, 0777), 0);
	assert_int_equal(pool_check_dir(dir, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, base));
	/* ... unless it is sticky, as /tmp (above BASE) is */
	assert_int_equal(chmod(base, 01777), 0);
	assert_int_equal(pool_check_dir(dir, err, sizeof(err)), 0);
	assert_int_equal(pool_check_dir("/nonexistent/cdi", err, sizeof(err)), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_accepted),
		cmocka_unit_test(test_state_refused),
		cmocka_unit_test(test_state_limits),
		cmocka_unit_test(test_state_too_long),
		cmocka_unit_test(test_opts_pool),
		cmocka_unit_test(test_opts_refused),
		cmocka_unit_test(test_opts_help_version),
		cmocka_unit_test(test_hook_argv_round_trip),
		cmocka_unit_test(test_pool_major),
		cmocka_unit_test(test_pool_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
