/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * errname.h - the symbolic name of an errno value (EBUSY, EINVAL, ...), as
 * the test tools print it for the device tests to match. Header-only: each
 * tool is one .c file.
 */
#ifndef VTPMD_TEST_ERRNAME_H
#define VTPMD_TEST_ERRNAME_H

#include <string.h>

static inline const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

#endif
