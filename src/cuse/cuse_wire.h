/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_wire.h - the kernel's FUSE_READ, FUSE_WRITE and FUSE_IOCTL requests
 * and their replies, in the bytes of linux/fuse.h, for the CUSE layer to
 * answer a client's commands and control requests without libfuse's
 * request object. Internal to src/cuse.
 *
 * Only the restricted ioctl form is read (CUSE's: the sizes come from the
 * request code, the data travels with the request). A message with one of
 * these opcodes is checked whole, each length against the bytes that
 * came; what does not add up is malformed, never read past.
 */
#ifndef VTPMD_CUSE_WIRE_H
#define VTPMD_CUSE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "cuse/cuse_dev.h"

enum cuse_wire_kind {
	CUSE_WIRE_OTHER,        /* another opcode: libfuse's */
	CUSE_WIRE_READ,
	CUSE_WIRE_WRITE,
	CUSE_WIRE_IOCTL,
	CUSE_WIRE_MALFORMED,    /* one of the three whose lengths do not add
				 * up; UNIQUE filled: answer it EINVAL */
};

/* A request's fields, from fuse_in_header and the opcode's struct. DATA
 * points into the message: a write's SIZE bytes, an ioctl's IN_SIZE bytes
 * (NULL when there are none). */
struct cuse_wire_req {
	uint64_t unique;
	uint64_t fh;
	uint32_t size;          /* READ: bytes asked for; WRITE: bytes given */
	const void *data;
	/* FUSE_IOCTL only: */
	uint32_t flags;
	uint32_t cmd;
	uint32_t in_size;
	uint32_t out_size;
};

/* Read the LEN bytes of MSG, one request as the kernel sent it. *REQ is
 * zeroed first, whatever the kind: only what the kind names is filled. */
enum cuse_wire_kind cuse_wire_parse(const void *msg, size_t len, struct cuse_wire_req *req);

/* Room for a reply as it goes to the kernel: the headers, filled by the
 * send functions, then the data, where the request's handler leaves it. */
#define CUSE_WIRE_HEAD 32
struct cuse_wire_reply {
	uint8_t head[CUSE_WIRE_HEAD];
	_Alignas(16) uint8_t data[CUSE_IOCTL_MAX];
};

/*
 * Each answers request UNIQUE on FD in one write() and returns 0, or
 * -errno of the write (-ENOENT: the kernel no longer waits for it, its
 * caller was interrupted or killed).
 */
/* ERR, a positive errno. */
int cuse_wire_send_err(int fd, uint64_t unique, int err);
/* A write's answer: SIZE bytes taken. */
int cuse_wire_send_written(int fd, uint64_t unique, uint32_t size);
/* A read's answer: the first LEN bytes of R->data (at most CUSE_IOCTL_MAX). */
int cuse_wire_send_data(int fd, uint64_t unique, struct cuse_wire_reply *r, size_t len);
/* An ioctl's answer: result 0 and the first LEN bytes of R->data. */
int cuse_wire_send_ioctl(int fd, uint64_t unique, struct cuse_wire_reply *r, size_t len);

#endif
