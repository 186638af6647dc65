/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_dev.c - the device file: open it, send control ioctls, report results. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtpmctl/ctl_dev.h"

int ctl_dev_open(const char *path)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		/* swtpm_ioctl's wording, plus the reason: EBUSY (someone holds the
		 * single open, e.g. QEMU) and EACCES need different fixes. */
		fprintf(stderr, "Unable to open device '%s': %s.\n", path, strerror(err));
		return -err;
	}
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, "'%s' is not a character device.\n", path);
		close(fd);
		return -ENOTTY;
	}
	return fd;
}

int ctl_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

int ctl_report(int ret, const char *exec_name, const char *result_name, ptm_res res)
{
	if (ret < 0) {
		fprintf(stderr, "Could not execute %s: %s\n", exec_name, strerror(-ret));
		/* vtpmd's client node (--control-node, --cdi, vtpm-cdi slots) */
		if (ret == -EPERM)
			fprintf(stderr, "This node answers TPM commands only; send control requests to its control node (vtpmd names it NAME-ctl).\n");
		return ret;
	}
	if (res != 0) {
		fprintf(stderr, "TPM result from %s: 0x%x\n", result_name, res);
		return -EPROTO;
	}
	return 0;
}
