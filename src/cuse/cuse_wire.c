/* SPDX-License-Identifier: BSD-3-Clause */
/* cuse_wire.c - FUSE_IOCTL read from, and its reply written to, the bytes
 * of /dev/cuse (linux/fuse.h's layout). */
#include <errno.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "cuse/cuse_wire.h"

_Static_assert(sizeof(struct fuse_out_header) + sizeof(struct fuse_ioctl_out) ==
	       CUSE_WIRE_HEAD, "reply headers");
_Static_assert(offsetof(struct cuse_wire_reply, data) == CUSE_WIRE_HEAD,
	       "the data follows the headers");

enum cuse_wire_kind cuse_wire_ioctl_parse(const void *msg, size_t len,
					  struct cuse_wire_ioctl *io)
{
	struct fuse_in_header in;
	struct fuse_ioctl_in arg;
	const size_t head = sizeof(in) + sizeof(arg);

	if (len < sizeof(in))
		return CUSE_WIRE_OTHER;
	memcpy(&in, msg, sizeof(in));
	if (in.opcode != FUSE_IOCTL)
		return CUSE_WIRE_OTHER;
	memset(io, 0, sizeof(*io));
	io->unique = in.unique;
	if (in.len != len || len < head)
		return CUSE_WIRE_MALFORMED;
	memcpy(&arg, (const uint8_t *)msg + sizeof(in), sizeof(arg));
	if (arg.in_size != len - head)
		return CUSE_WIRE_MALFORMED;
	io->fh = arg.fh;
	io->flags = arg.flags;
	io->cmd = arg.cmd;
	io->in = arg.in_size ? (const uint8_t *)msg + head : NULL;
	io->in_size = arg.in_size;
	io->out_size = arg.out_size;
	return CUSE_WIRE_IOCTL;
}

int cuse_wire_ioctl_send(int fd, uint64_t unique, int err,
			 struct cuse_wire_reply *r, size_t len)
{
	struct fuse_out_header oh = { .unique = unique, .error = -err };
	struct fuse_ioctl_out res = { .result = 0 };
	size_t total = err ? sizeof(oh) : CUSE_WIRE_HEAD + len;
	ssize_t sent;

	if (!err && len > sizeof(r->data))
		return -EINVAL;
	oh.len = (uint32_t)total;
	memcpy(r->head, &oh, sizeof(oh));
	memcpy(r->head + sizeof(oh), &res, sizeof(res));
	sent = write(fd, r, total);
	if (sent < 0)
		return -errno;
	return (size_t)sent == total ? 0 : -EIO;
}
