/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config_cdi.c - vtpmd --cdi: its three spellings, defaults and refusals;
 * --control-node, which --cdi implies. */
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
	config_parse_args((cfg), (const char *const[]){ "vtpmd", "--tpmstate", "dir=/s", \
							 __VA_ARGS__, NULL }, \
			  errbuf, sizeof(errbuf))


#define ERR(needle, ...) do { \
	struct vtpmd_config c_; \
	config_refused(PARSE(&c_, __VA_ARGS__), (needle)); \
	assert_null(c_.cdi_dir); \
	assert_null(c_.cdi_kind); \
	assert_null(c_.cdi_path); \
	config_free(&c_); \
} while (0)

static void test_absent(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm0"));
	assert_null(c.cdi_dir);
	assert_null(c.cdi_kind);
	assert_null(c.cdi_path);
	config_free(&c);
}

static void test_spellings(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "/run/cdi"));
	assert_string_equal(c.cdi_dir, "/run/cdi");
	assert_null(c.cdi_kind);        /* main.c applies the defaults */
	assert_null(c.cdi_path);
	config_free(&c);

	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi",
		     "dir=rel/dir,kind=example.com/tpm,path=/dev/tpm1,pathrm=/dev/tpmrm1"));
	assert_string_equal(c.cdi_dir, "rel/dir");
	assert_string_equal(c.cdi_kind, "example.com/tpm");
	assert_string_equal(c.cdi_path, "/dev/tpm1");
	assert_string_equal(c.cdi_pathrm, "/dev/tpmrm1");
	config_free(&c);

	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "/etc/cdi,path=/dev/tpm1"));
	assert_string_equal(c.cdi_dir, "/etc/cdi");
	assert_string_equal(c.cdi_path, "/dev/tpm1");
	config_free(&c);

	/* Without a directory: the dynamic one CDI runtimes read. */
	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "kind=ab/cd"));
	assert_string_equal(c.cdi_dir, "/var/run/cdi");
	config_free(&c);

	/* The last --cdi wins as a whole, as for every option. */
	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "/a,kind=ab/cd", "--cdi", "/b"));
	assert_string_equal(c.cdi_dir, "/b");
	assert_null(c.cdi_kind);
	config_free(&c);
}

static void test_refusals(void **state)
{
	(void)state;
	ERR("needs a value", "-n", "vtpm0", "--cdi");
	ERR("empty value", "-n", "vtpm0", "--cdi", "");
	ERR("unknown parameter 'cdi'", "-n", "vtpm0", "--cdi", "cdi");
	ERR("unknown parameter 'mode'", "-n", "vtpm0", "--cdi", "/a,mode=1");
	ERR("directory is given twice", "-n", "vtpm0", "--cdi", "/a,dir=/b");
	ERR("empty parameter", "-n", "vtpm0", "--cdi", "/a,");
	ERR("empty value for 'dir'", "-n", "vtpm0", "--cdi", "dir=");
	ERR("'kind' given more than once", "-n", "vtpm0", "--cdi", "kind=ab/cd,kind=ab/ce");
	ERR("not VENDOR/CLASS", "-n", "vtpm0", "--cdi", "kind=tpm");
	ERR("the vendor must be", "-n", "vtpm0", "--cdi", "kind=v/tpm");
	ERR("the class must be", "-n", "vtpm0", "--cdi", "kind=vtpmd.io/t.pm");
	ERR("not an absolute path", "-n", "vtpm0", "--cdi", "path=dev/tpm0");
	ERR("'..' component", "-n", "vtpm0", "--cdi", "path=/dev/../tpm0");
	/* The device is asked for by its own name, which must be a CDI name. */
	ERR("is not a CDI device name", "-n", "vtpm0.", "--cdi", "/run/cdi");
	ERR("is not a CDI device name", "-n", "_vtpm", "--cdi", "/run/cdi");
	ERR("is not a CDI device name", "-n", "vtpm+1", "--cdi", "/run/cdi");
}

/* Such a name is fine without --cdi. */
static void test_name_checked_only_with_cdi(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm+1"));
	config_free(&c);
}

/* --control-node: the client node and the host's control node; --cdi
 * implies it (a node handed to containers never carries the control plane). */
static void test_control_node(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm0"));
	assert_false(c.control_node);
	assert_null(c.control_name);
	config_free(&c);

	config_ok(PARSE(&c, "-n", "vtpm0", "--control-node"));
	assert_true(c.control_node);
	assert_string_equal(c.control_name, "vtpm0-ctl");
	config_free(&c);

	config_ok(PARSE(&c, "--control-node=/dev/host-vtpm0", "-n", "/dev/vtpm0"));
	assert_true(c.control_node);
	assert_string_equal(c.control_name, "host-vtpm0");
	config_free(&c);

	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "/run/cdi"));
	assert_true(c.control_node);
	assert_string_equal(c.control_name, "vtpm0-ctl");
	config_free(&c);
	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "/run/cdi", "--control-node=c0"));
	assert_string_equal(c.control_name, "c0");
	config_free(&c);

	{
		static const struct { const char *arg, *why; } bad[] = {
			{ "--control-node=vtpm0", "is the device's own name" },
			{ "--control-node=a/b", "--control-node:" },
			{ "--control-node=", "--control-node:" },
			{ "--control-node=..", "--control-node:" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(PARSE(&c, "-n", "vtpm0", bad[i].arg), -1);
			if (!strstr(errbuf, bad[i].why))
				fail_msg("%s: '%s' not in '%s'", bad[i].arg, bad[i].why, errbuf);
			assert_null(strchr(errbuf, '\n'));
			config_free(&c);
		}
	}
	/* a device name one short of the limit leaves no room for "-ctl" */
	assert_int_equal(PARSE(&c, "-n", "v123456789012345678901234567890123456789012345678901234567890",
			       "--control-node"), -1);
	assert_non_null(strstr(errbuf, "--control-node:"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_name_checked_only_with_cdi),
		cmocka_unit_test(test_control_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
