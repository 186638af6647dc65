/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_number.c - text/number.h: what is a number and what is not, in each
 * base, at the edges of the range and of 64 bits, and that nothing is
 * written on failure nor errno disturbed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "text/number.h"

#define UNTOUCHED 0x5a5a5a5a5a5a5a5aull

static void ok(const char *s, enum number_base base, uint64_t max, uint64_t want)
{
	uint64_t v = UNTOUCHED;

	if (number_parse(s, base, max, &v) != 0 || v != want)
		fail_msg("'%s' (base %d, max %llu): expected %llu, got %llu", s, (int)base,
			 (unsigned long long)max, (unsigned long long)want,
			 (unsigned long long)v);
}

static void bad(const char *s, enum number_base base, uint64_t max, int want)
{
	uint64_t v = UNTOUCHED;
	int ret = number_parse(s, base, max, &v);

	if (ret != want || v != UNTOUCHED)
		fail_msg("'%s' (base %d, max %llu): expected %d and no value, got %d",
			 s ? s : "(null)", (int)base, (unsigned long long)max, want, ret);
}

static void test_decimal(void **state)
{
	(void)state;
	ok("0", NUMBER_DEC, 10, 0);
	ok("7", NUMBER_DEC, 10, 7);
	ok("10", NUMBER_DEC, 10, 10);           /* MAX itself */
	ok("0010", NUMBER_DEC, 10, 10);         /* leading zeros are decimal */
	ok("65535", NUMBER_DEC, 65535, 65535);
	ok("18446744073709551615", NUMBER_DEC, UINT64_MAX, UINT64_MAX);
	bad("11", NUMBER_DEC, 10, -ERANGE);
	bad("65536", NUMBER_DEC, 65535, -ERANGE);
	bad("18446744073709551616", NUMBER_DEC, UINT64_MAX, -ERANGE);
	bad("99999999999999999999999", NUMBER_DEC, UINT64_MAX, -ERANGE);
	bad("0x10", NUMBER_DEC, 100, -EINVAL);  /* hex only where asked for */
	bad("1e3", NUMBER_DEC, 10000, -EINVAL);
	bad("12.0", NUMBER_DEC, 100, -EINVAL);
}

static void test_no_sign_no_blank_no_junk(void **state)
{
	static const char *const not_numbers[] = {
		"", "-1", "-0", "+1", " 1", "1 ", "\t1", "1\n", "1a", "a1", "x",
		"--1", "1-", "0x", "١",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++) {
		bad(not_numbers[i], NUMBER_DEC, UINT64_MAX, -EINVAL);
		bad(not_numbers[i], NUMBER_OCT, UINT64_MAX, -EINVAL);
		bad(not_numbers[i], NUMBER_C, UINT64_MAX, -EINVAL);
	}
	/* "-1" would be 2^64-1 to strtoull: above any smaller MAX, but refused
	 * as not a number, never as out of range */
	bad("-1", NUMBER_DEC, 5, -EINVAL);
	bad(NULL, NUMBER_DEC, 5, -EINVAL);
}

static void test_octal(void **state)
{
	(void)state;
	ok("0640", NUMBER_OCT, 0777, 0640);
	ok("640", NUMBER_OCT, 0777, 0640);      /* modes without their 0 */
	ok("0777", NUMBER_OCT, 0777, 0777);
	ok("0", NUMBER_OCT, 0777, 0);
	bad("01000", NUMBER_OCT, 0777, -ERANGE);
	bad("0648", NUMBER_OCT, 0777, -EINVAL);
	bad("9", NUMBER_OCT, 0777, -EINVAL);
	bad("0x1ff", NUMBER_OCT, 0777, -EINVAL);
}

static void test_c_rule(void **state)
{
	(void)state;
	ok("3", NUMBER_C, UINT64_MAX, 3);
	ok("0x3", NUMBER_C, UINT64_MAX, 3);
	ok("0X1f", NUMBER_C, UINT64_MAX, 0x1f);
	ok("010", NUMBER_C, UINT64_MAX, 8);     /* as swtpm's strtoul(, 0) */
	ok("0", NUMBER_C, UINT64_MAX, 0);
	ok("0xffffffffffffffff", NUMBER_C, UINT64_MAX, UINT64_MAX);
	bad("0x10000000000000000", NUMBER_C, UINT64_MAX, -ERANGE);
	bad("0x100", NUMBER_C, 0xff, -ERANGE);
	bad("0x", NUMBER_C, UINT64_MAX, -EINVAL);
	bad("0xg", NUMBER_C, UINT64_MAX, -EINVAL);
	bad("08", NUMBER_C, UINT64_MAX, -EINVAL);
	bad("0x 1", NUMBER_C, UINT64_MAX, -EINVAL);
	bad("0x-1", NUMBER_C, UINT64_MAX, -EINVAL);
}

static void test_errno_untouched(void **state)
{
	uint64_t v;

	(void)state;
	errno = EBADF;
	assert_int_equal(number_parse("99999999999999999999999", NUMBER_DEC,
				      UINT64_MAX, &v), -ERANGE);
	assert_int_equal(errno, EBADF);
	assert_int_equal(number_parse("12", NUMBER_DEC, UINT64_MAX, &v), 0);
	assert_int_equal(errno, EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_no_sign_no_blank_no_junk),
		cmocka_unit_test(test_octal),
		cmocka_unit_test(test_c_rule),
		cmocka_unit_test(test_errno_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
