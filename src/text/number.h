/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * number.h - numbers written as text (options, small files, libtpms' info),
 * read one strict way everywhere: the whole string is the number, it starts
 * with a digit (no sign, no blank, no '+'), and it is range-checked before
 * anything sees it.
 */
#ifndef VTPMD_NUMBER_H
#define VTPMD_NUMBER_H

#include <stdint.h>

/* How digits are read. NUMBER_C is C's (and swtpm's) rule for flags:
 * "0x" then hex digits, a leading "0" then octal digits, else decimal. */
enum number_base {
	NUMBER_C = 0,
	NUMBER_OCT = 8,
	NUMBER_DEC = 10,
};

/*
 * S as an unsigned number in BASE, at most MAX, into *OUT. Returns 0;
 * -EINVAL if S is not such a number (empty, a sign, a blank, a digit
 * outside BASE, anything after the digits, "0x" alone); -ERANGE if it is
 * one but above MAX (or above 64 bits). *OUT is set only on success;
 * errno is left as it was.
 */
int number_parse(const char *s, enum number_base base, uint64_t max,
		 uint64_t *out);

#endif
