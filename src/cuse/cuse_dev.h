/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_dev.h - the thin CUSE transport: creates /dev/NAME through libfuse3's
 * CUSE low-level API and maps the kernel's requests onto the device model.
 * No TPM knowledge lives here.
 */
#ifndef VTPMD_CUSE_DEV_H
#define VTPMD_CUSE_DEV_H

#include "device/device.h"

struct cuse_dev_options {
	const char *name;               /* /dev/NAME */
	unsigned major, minor;          /* 0 major: the kernel picks */
	/* Called once the kernel has created the node (from a FUSE thread). */
	void (*on_ready)(void *ctx);
	void *ctx;
};

/*
 * Serve V as /dev/NAME until the session ends (PTM_SHUTDOWN, SIGTERM, SIGINT,
 * SIGHUP, or the kernel dropping the device). Returns 0 if the node was
 * created and the session ended normally, -ENODEV if /dev/cuse could not be
 * opened, -EIO if the kernel refused the device (e.g. a duplicate name).
 */
int cuse_dev_run(struct vtpm *v, const struct cuse_dev_options *opt);

/* End the session from inside vtpmd (e.g. a fatal error). */
void cuse_dev_stop(void);

#endif
