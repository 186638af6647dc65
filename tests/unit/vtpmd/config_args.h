/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_args.h - config_parse() on an argument list as a test writes it
 * (NULL-terminated), and the two outcomes the option tests check: parsed,
 * or refused with one line. Include after cmocka.h and vtpmd/config.h.
 */
#ifndef VTPMD_TEST_CONFIG_ARGS_H
#define VTPMD_TEST_CONFIG_ARGS_H

#include <string.h>

#define CONFIG_ARGS_MAX 32

/* getopt permutes argv, so every call gets its own writable copy. ERR is
 * filled with 'x' first, so a message left unterminated shows. */
static inline int config_parse_args(struct vtpmd_config *cfg, const char *const *args,
				    char *err, size_t err_size)
{
	char *argv[CONFIG_ARGS_MAX + 1];
	int argc = 0;

	while (args[argc]) {
		assert_true(argc < CONFIG_ARGS_MAX);
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	memset(err, 'x', err_size);
	return config_parse(cfg, argc, argv, err, err_size);
}

/* What the last parse said, for the checks below. */
static char errbuf[512];

/* The parse succeeded (RC 0), or the test fails with its message. */
static inline void config_ok(int rc)
{
	if (rc != 0)
		fail_msg("unexpected error: %s", errbuf);
}

/* The parse failed (RC -1) with one line that holds NEEDLE. */
static inline void config_refused(int rc, const char *needle)
{
	assert_int_equal(rc, -1);
	if (!strstr(errbuf, needle))
		fail_msg("'%s' not in '%s'", needle, errbuf);
	assert_null(strchr(errbuf, '\n'));
}

#endif
