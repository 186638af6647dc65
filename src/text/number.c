/* SPDX-License-Identifier: BSD-3-Clause */
/* number.c - strict numbers from text (see number.h). */
#include <errno.h>
#include <stdlib.h>

#include "text/number.h"

int number_parse(const char *s, enum number_base base, uint64_t max,
		 uint64_t *out)
{
	int saved_errno = errno, ret = 0;
	unsigned long long v;
	char *end;

	/* strtoull would skip blanks and take a sign (wrapping "-1" around) */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, (int)base);
	if (*end != '\0')
		ret = -EINVAL;
	else if (errno == ERANGE || v > max)
		ret = -ERANGE;
	else
		*out = v;
	errno = saved_errno;
	return ret;
}
