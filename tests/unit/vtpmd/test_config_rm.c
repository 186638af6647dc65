/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config_rm.c - vtpmd --resource-manager and the resource-managed
 * node's name and CDI path: defaults, limits, refusals; and the naming
 * rule itself (cdi_rm_devname), which vtpm-cdi's pool shares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include "cdispec/cdi_names.h"
#include "vtpmd/config.h"
#include "config_args.h"

#define PARSE(cfg, ...) \
	config_parse_args((cfg), (const char *const[]){ "vtpmd", "--tpmstate", "dir=/s", \
							 __VA_ARGS__, NULL }, \
			  errbuf, sizeof(errbuf))


#define ERR(needle, ...) do { \
	struct vtpmd_config c_; \
	config_refused(PARSE(&c_, __VA_ARGS__), (needle)); \
	config_free(&c_); \
} while (0)

/* On by default, with the resource manager's own defaults. */
static void test_default_on(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm0"));
	assert_false(c.rm_off);
	assert_int_equal(c.rm.max_objects, 0);
	assert_int_equal(c.rm.max_sessions, 0);
	assert_int_equal(c.rm.max_abandoned, 0);
	assert_null(c.cdi_pathrm);
	config_free(&c);
}

static void test_limits_and_off(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm0", "--resource-manager", "objects=100,sessions=8,abandoned=2"));
	assert_int_equal(c.rm.max_objects, 100);
	assert_int_equal(c.rm.max_sessions, 8);
	assert_int_equal(c.rm.max_abandoned, 2);
	config_free(&c);
	config_ok(PARSE(&c, "-n", "vtpm0", "--resource-manager", "abandoned=0"));
	assert_int_equal(c.rm.max_abandoned, RM_NO_ABANDONED);
	config_free(&c);
	config_ok(PARSE(&c, "-n", "vtpm0", "--resource-manager", "off"));
	assert_true(c.rm_off);
	config_free(&c);
	/* off: the CDI spec has one node, and path may be anything */
	config_ok(PARSE(&c, "-n", "vtpm0", "--resource-manager", "off", "--cdi", "path=/dev/tpmrm0"));
	config_free(&c);
	/* a TPM 1.2 has none: off is fine, limits are not */
	config_ok(PARSE(&c, "-n", "vtpm0", "--tpm12", "--resource-manager", "off"));
	config_free(&c);
}

static void test_refusals(void **state)
{
	(void)state;
	ERR("unknown parameter 'foo'", "-n", "vtpm0", "--resource-manager", "foo");
	ERR("objects=0", "-n", "vtpm0", "--resource-manager", "objects=0");
	ERR("sessions=0", "-n", "vtpm0", "--resource-manager", "sessions=0");
	ERR("objects", "-n", "vtpm0", "--resource-manager", "objects=1025");
	ERR("objects", "-n", "vtpm0", "--resource-manager", "objects=-1");
	ERR("abandoned", "-n", "vtpm0", "--resource-manager", "abandoned=65");
	ERR("off takes no limits", "-n", "vtpm0", "--resource-manager", "off,objects=3");
	ERR("a TPM 1.2 has no resource manager", "-n", "vtpm0", "--tpm12",
	    "--resource-manager", "objects=3");
	ERR("path and pathrm name the same node", "-n", "vtpm0", "--cdi", "path=/dev/tpmrm0");
	ERR("path and pathrm name the same node", "-n", "vtpm0", "--cdi",
	    "path=/dev/tpm5,pathrm=/dev/tpm5");
	ERR("pathrm: container path 'tpmrm0' is not an absolute path", "-n", "vtpm0",
	    "--cdi", "pathrm=tpmrm0");
}

static void test_pathrm(void **state)
{
	struct vtpmd_config c;

	(void)state;
	config_ok(PARSE(&c, "-n", "vtpm0", "--cdi", "/run/cdi,pathrm=/dev/tpmrm1"));
	assert_string_equal(c.cdi_pathrm, "/dev/tpmrm1");
	config_free(&c);
}

/* The naming rule of --help and the man page. */
static void test_rm_devname(void **state)
{
	static const char *const cases[][2] = {
		{ "vtpm0", "vtpmrm0" }, { "vtpm-slot3", "vtpmrm-slot3" },
		{ "tpm1", "tpmrm1" }, { "my-vtpm", "my-vtpmrm" }, { "dev7", "dev7rm" },
		{ "tpmtpm", "tpmrmtpm" },
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cdi_rm_devname(cases[i][0], out, sizeof(out)), 0);
		assert_string_equal(out, cases[i][1]);
	}
	assert_int_equal(cdi_rm_devname("vtpm012345678", out, sizeof(out)), 0);
	assert_string_equal(out, "vtpmrm012345678");
	assert_int_equal(cdi_rm_devname("vtpm0123456789", out, sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_on),
		cmocka_unit_test(test_limits_and_off),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_pathrm),
		cmocka_unit_test(test_rm_devname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
