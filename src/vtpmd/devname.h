/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devname.h - the name of a device node under /dev, as users give it: a
 * plain name ("vtpm0") or, as swtpm accepts it, the node's path
 * ("/dev/vtpm0"). The name becomes /dev/NAME, so it must be one path
 * component of printable ASCII.
 */
#ifndef VTPMD_DEVNAME_H
#define VTPMD_DEVNAME_H

#include <stddef.h>

#define DEVNAME_MAX 64
/* The resource-managed node's name (cdi_rm_devname()) is two longer. */
#define DEVNAME_RM_MAX (DEVNAME_MAX + 2)

/*
 * Check ARG and point *NAME at the name in it (ARG without a leading
 * "/dev/"). Returns 0, or -EINVAL with one line (no newline) in ERR that
 * quotes ARG: empty, too long, another '/', "." or "..", a blank or a
 * byte outside printable ASCII.
 */
int devname_parse(const char *arg, const char **name, char *err, size_t errlen);

#endif
