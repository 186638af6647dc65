/* SPDX-License-Identifier: BSD-3-Clause */
/* cuse_wire.c - FUSE_READ, FUSE_WRITE and FUSE_IOCTL read from, and their
 * replies written to, the bytes of /dev/cuse (linux/fuse.h's layout). */
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

enum cuse_wire_kind cuse_wire_parse(const void *msg, size_t len, struct cuse_wire_req *req)
{
	const uint8_t *body = (const uint8_t *)msg + sizeof(struct fuse_in_header);
	struct fuse_in_header in;
	size_t left;

	memset(req, 0, sizeof(*req));
	if (len < sizeof(in))
		return CUSE_WIRE_OTHER;
	memcpy(&in, msg, sizeof(in));
	if (in.opcode != FUSE_READ && in.opcode != FUSE_WRITE && in.opcode != FUSE_IOCTL)
		return CUSE_WIRE_OTHER;
	req->unique = in.unique;
	if (in.len != len)
		return CUSE_WIRE_MALFORMED;
	left = len - sizeof(in);
	switch (in.opcode) {
	case FUSE_READ: {
		struct fuse_read_in r;

		if (left != sizeof(r))
			return CUSE_WIRE_MALFORMED;
		memcpy(&r, body, sizeof(r));
		req->fh = r.fh;
		req->size = r.size;
		return CUSE_WIRE_READ;
	}
	case FUSE_WRITE: {
		struct fuse_write_in w;

		if (left < sizeof(w))
			return CUSE_WIRE_MALFORMED;
		memcpy(&w, body, sizeof(w));
		if (w.size != left - sizeof(w))
			return CUSE_WIRE_MALFORMED;
		req->fh = w.fh;
		req->size = w.size;
		req->data = body + sizeof(w);
		return CUSE_WIRE_WRITE;
	}
	default: {
		struct fuse_ioctl_in io;

		if (left < sizeof(io))
			return CUSE_WIRE_MALFORMED;
		memcpy(&io, body, sizeof(io));
		if (io.in_size != left - sizeof(io))
			return CUSE_WIRE_MALFORMED;
		req->fh = io.fh;
		req->flags = io.flags;
		req->cmd = io.cmd;
		req->data = io.in_size ? body + sizeof(io) : NULL;
		req->in_size = io.in_size;
		req->out_size = io.out_size;
		return CUSE_WIRE_IOCTL;
	}
	}
}

/* TOTAL bytes from HEAD, one message. */
static int send_one(int fd, const void *head, size_t total)
{
	ssize_t sent = write(fd, head, total);

	if (sent < 0)
		return -errno;
	return (size_t)sent == total ? 0 : -EIO;
}

int cuse_wire_send_err(int fd, uint64_t unique, int err)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh), .error = -err, .unique = unique,
	};

	return send_one(fd, &oh, sizeof(oh));
}

int cuse_wire_send_written(int fd, uint64_t unique, uint32_t size)
{
	struct {
		struct fuse_out_header oh;
		struct fuse_write_out wo;
	} r = {
		.oh = { .len = sizeof(r), .unique = unique },
		.wo = { .size = size },
	};

	return send_one(fd, &r, sizeof(r));
}

/* R's data follows its headers: the out header goes right before it. */
int cuse_wire_send_data(int fd, uint64_t unique, struct cuse_wire_reply *r, size_t len)
{
	struct fuse_out_header oh = { .unique = unique };
	uint8_t *head = (uint8_t *)r + CUSE_WIRE_HEAD - sizeof(oh);

	if (len > sizeof(r->data))
		return -EINVAL;
	oh.len = (uint32_t)(sizeof(oh) + len);
	memcpy(head, &oh, sizeof(oh));
	return send_one(fd, head, oh.len);
}

int cuse_wire_send_ioctl(int fd, uint64_t unique, struct cuse_wire_reply *r, size_t len)
{
	struct fuse_out_header oh = { .unique = unique };
	struct fuse_ioctl_out res = { .result = 0 };

	if (len > sizeof(r->data))
		return -EINVAL;
	oh.len = (uint32_t)(CUSE_WIRE_HEAD + len);
	memcpy(r->head, &oh, sizeof(oh));
	memcpy(r->head + sizeof(oh), &res, sizeof(res));
	return send_one(fd, r, oh.len);
}
