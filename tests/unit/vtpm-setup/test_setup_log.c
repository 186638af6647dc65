/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_log.c - vtpm-setup's --logfile: one line per call, appended,
 * never through a symlink, and control bytes replaced by the same rule as
 * vtpmd's log (os/log.h's log_make_printable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/log.h"
#include "vtpm-setup/setup_log.h"
#include "test_files.h"
#include "state_dir.h"

static char logpath[400];

static int setup(void **state)
{
	(void)state;
	if (state_dir_setup() < 0)
		return -1;
	path_in(logpath, sizeof(logpath), base, "setup.log");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	slog_close();
	return state_dir_teardown();
}

static void expect_log(const char *want)
{
	size_t len;
	uint8_t *got = read_file(base, "setup.log", &len);

	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("log holds '%.*s', expected '%s'", (int)len, got, want);
	free(got);
}

static void test_lines_and_control_bytes(void **state)
{
	/* what a hostile --vmid or path could carry */
	static const char hostile[] = "vm\nSuccessfully authored\r\x1b[2J\x7f\tend";
	char same[sizeof(hostile)], want[256];

	(void)state;
	write_file(base, "setup.log", "earlier\n", 8, 0640);
	assert_int_equal(slog_open(logpath), 0);
	slog("id %s", hostile);
	slog("ends with a newline\n");
	slog_close();

	memcpy(same, hostile, sizeof(hostile));
	log_make_printable(same, strlen(same));
	snprintf(want, sizeof(want), "earlier\nid %s\nends with a newline\n", same);
	expect_log(want);
	/* the rule itself, spelled out once */
	assert_string_equal(same, "vm?Successfully authored??[2J?\tend");
}

static void test_not_through_a_symlink(void **state)
{
	char target[400];

	(void)state;
	path_in(target, sizeof(target), base, "elsewhere");
	assert_int_equal(symlink(target, logpath), 0);
	assert_int_equal(slog_open(logpath), -ELOOP);
	assert_false(exists(base, "elsewhere"));
	/* without a log, lines go nowhere */
	slog("dropped");
	assert_int_equal(slog_fd(), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_control_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_through_a_symlink, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
