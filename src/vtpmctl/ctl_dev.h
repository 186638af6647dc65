/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_dev.h - the device file: open it, send control ioctls, report results. */
#ifndef VTPMCTL_DEV_H
#define VTPMCTL_DEV_H

#include <stdint.h>

#include "vtpm/ioctl.h"

/* Open a TPM character device read-write. Returns the fd, or -errno after
 * printing why. */
int ctl_dev_open(const char *path);

/* ioctl() that retries on EINTR. Returns 0 or -errno. */
int ctl_ioctl(int fd, unsigned long request, void *arg);

/*
 * Report the outcome of a control ioctl the way swtpm_ioctl words it:
 * "Could not execute EXEC_NAME: <errno text>" when the ioctl failed (ret < 0),
 * "TPM result from RESULT_NAME: 0x<res>" when the TPM refused. Returns 0 when
 * both went well, ret when the ioctl failed, -EPROTO for a TPM error.
 */
int ctl_report(int ret, const char *exec_name, const char *result_name, ptm_res res);

#endif
