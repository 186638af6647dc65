/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_wire.h - the kernel's FUSE_IOCTL request and its reply, in the
 * bytes of linux/fuse.h, for the CUSE layer to answer a control request
 * without libfuse's request object. Internal to src/cuse.
 *
 * Only the restricted form is read (CUSE's: the sizes come from the
 * request code, the data travels with the request). A message that says
 * FUSE_IOCTL is checked whole, each length against the bytes that came;
 * what does not add up is malformed, never read past.
 */
#ifndef VTPMD_CUSE_WIRE_H
#define VTPMD_CUSE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "cuse/cuse_dev.h"

/* A FUSE_IOCTL request: fields of fuse_in_header and fuse_ioctl_in; IN
 * points into the message (IN_SIZE bytes), NULL when there are none. */
struct cuse_wire_ioctl {
	uint64_t unique;
	uint64_t fh;
	uint32_t flags;
	uint32_t cmd;
	const void *in;
	uint32_t in_size;
	uint32_t out_size;
};

enum cuse_wire_kind {
	CUSE_WIRE_OTHER,        /* not a FUSE_IOCTL: libfuse's */
	CUSE_WIRE_IOCTL,        /* *IO filled */
	CUSE_WIRE_MALFORMED,    /* a FUSE_IOCTL whose lengths do not add up;
				 * IO->unique filled: answer it EINVAL */
};

/* Read the LEN bytes of MSG, one request as the kernel sent it. */
enum cuse_wire_kind cuse_wire_ioctl_parse(const void *msg, size_t len,
					  struct cuse_wire_ioctl *io);

/* A reply as it goes to the kernel: the headers (fuse_out_header and
 * fuse_ioctl_out, filled by cuse_wire_ioctl_send()), then the data, where
 * the request's handler leaves it. */
#define CUSE_WIRE_HEAD 32
struct cuse_wire_reply {
	uint8_t head[CUSE_WIRE_HEAD];
	_Alignas(16) uint8_t data[CUSE_IOCTL_MAX];
};

/*
 * Answer request UNIQUE on FD with R in one write(): ERR (a positive
 * errno) alone, or, with ERR 0, a result of 0 and the first LEN bytes of
 * R->data (LEN at most CUSE_IOCTL_MAX). 0, or -errno of the write
 * (-ENOENT: the kernel no longer waits for it, its caller was
 * interrupted).
 */
int cuse_wire_ioctl_send(int fd, uint64_t unique, int err,
			 struct cuse_wire_reply *r, size_t len);

#endif
