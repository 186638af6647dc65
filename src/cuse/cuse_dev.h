/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_dev.h - the thin CUSE transport: creates /dev/NAME through libfuse3's
 * CUSE low-level API and maps the kernel's requests onto the device model.
 * No TPM knowledge lives here.
 *
 * Functions return 0 or -errno unless they say otherwise.
 */
#ifndef VTPMD_CUSE_DEV_H
#define VTPMD_CUSE_DEV_H

#include "device/device.h"

struct cuse_dev_options {
	const char *name;               /* /dev/NAME */
	unsigned major, minor;          /* 0 major: the kernel picks */
	/*
	 * Called once the kernel has created the node, in the thread that runs
	 * the session and before the session starts any other thread: the place
	 * to give up privileges for the whole process. A negative errno ends the
	 * session (the node goes away) and is returned by cuse_dev_run().
	 */
	int (*on_ready)(void *ctx);
	void *ctx;
};

/*
 * Open /dev/cuse: the one privileged step of the transport, done first so
 * that a start that cannot have a device creates nothing. The fd is never
 * 0, 1 or 2 (a stray printf must not reach the kernel). Returns the fd, or
 * -ENODEV if there is no /dev/cuse (no cuse module), or another -errno.
 */
int cuse_dev_open(void);

/*
 * Serve V as /dev/NAME over CUSE_FD (from cuse_dev_open(), which this takes
 * over and closes) until the session ends (PTM_SHUTDOWN, SIGTERM, SIGINT,
 * SIGHUP, or the kernel dropping the device). Returns 0 if the node was
 * created and the session ended normally, -EIO if the kernel refused the
 * device (e.g. a duplicate name), -ENOMEM, or what on_ready returned.
 */
int cuse_dev_run(struct vtpm *v, const struct cuse_dev_options *opt, int cuse_fd);

/*
 * The session in parts, for tests and fuzzers: the kernel's side can be
 * played by the caller over FD (one end of a SOCK_SEQPACKET socketpair, so
 * that each read returns one whole request and each reply is one message).
 * FD is closed by cuse_dev_detach(). NULL on failure.
 */
struct cuse_dev *cuse_dev_attach(struct vtpm *v, const struct cuse_dev_options *opt,
				 int fd);
/* As cuse_dev_run() after /dev/cuse is open: CUSE_INIT, on_ready, then the
 * multithreaded loop until the session ends. */
int cuse_dev_serve(struct cuse_dev *d);
/* Read and handle one request in this thread: 1 if one was handled, 0 if
 * the peer closed its end, -errno. */
int cuse_dev_process_one(struct cuse_dev *d);
void cuse_dev_detach(struct cuse_dev *d);

#endif
