/* SPDX-License-Identifier: BSD-3-Clause */
/* devname.c - device names given as NAME or /dev/NAME (devname.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vtpmd/devname.h"
#include "os/log.h"

#define DEV_PREFIX "/dev/"

static int refuse(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg, DEVNAME_MAX);
	log_make_printable(err, strlen(err));
	return -EINVAL;
}

int devname_parse(const char *arg, const char **name, char *err, size_t errlen)
{
	const char *n = arg;
	size_t len;

	if (strncmp(n, DEV_PREFIX, strlen(DEV_PREFIX)) == 0)
		n += strlen(DEV_PREFIX);
	len = strlen(n);
	if (len == 0)
		return refuse(err, errlen, "empty device name%.0s", arg);
	if (len > DEVNAME_MAX)
		return refuse(err, errlen, "'%s' is longer than %d characters", arg);
	if (strchr(n, '/'))
		return refuse(err, errlen,
			      "'%s' contains '/'; give a plain device name like vtpm0 (or /dev/vtpm0)",
			      arg);
	if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
		return refuse(err, errlen, "'%s' is not a device name", arg);
	for (const char *p = n; *p; p++) {
		/* isgraph() would depend on the locale; the kernel wants ASCII. */
		if (*p <= ' ' || *p > '~')
			return refuse(err, errlen,
				      "the device name may hold only printable ASCII without spaces%.0s",
				      arg);
	}
	*name = n;
	return 0;
}
