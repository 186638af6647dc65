/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_peer.h - the kernel's side of /dev/cuse, played over a SOCK_SEQPACKET
 * socketpair so tests and fuzzers drive the real cuse_dev code (libfuse
 * parses the requests, cuse_dev answers them) without a kernel that has
 * CUSE. Requests are built as linux/fuse.h lays them out, one message each;
 * replies and notifications come back one message each.
 *
 * Test code: static functions, included by the unit test and the fuzzer.
 */
#ifndef VTPMD_CUSE_PEER_H
#define VTPMD_CUSE_PEER_H

#include <errno.h>
#include <linux/fuse.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#define CUSE_PEER_MAX_REPLY (256 * 1024)

struct cuse_peer {
	int fd;                 /* our end; the other goes to cuse_dev_attach() */
	uint64_t unique;
	uint64_t fh;            /* from the last OPEN reply */
	unsigned notifications; /* poll wakeups seen */
	uint64_t last_kh;       /* poll handle of the last wakeup */
	uint64_t skipped;       /* the last reply cuse_peer_reply() passed over */
};

/* 0, or -errno. *DAEMON_FD is the end to hand to cuse_dev_attach(). */
static inline int cuse_peer_open(struct cuse_peer *p, int *daemon_fd)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	struct timeval patience = { .tv_sec = 10 };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* A reply that never comes fails the caller (-EAGAIN) instead of
	 * hanging it. */
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
	p->fd = sv[0];
	*daemon_fd = sv[1];
	return 0;
}

static inline void cuse_peer_close(struct cuse_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Send one request: header, ARG (the opcode's struct), DATA. Returns its
 * unique id, or 0 if the socket refused it. */
static inline uint64_t cuse_peer_send(struct cuse_peer *p, uint32_t opcode,
				      const void *arg, size_t arglen,
				      const void *data, size_t datalen)
{
	struct fuse_in_header in = {
		.len = (uint32_t)(sizeof(in) + arglen + datalen),
		.opcode = opcode,
		.unique = ++p->unique,
		.nodeid = 1,
	};
	struct iovec iov[3] = {
		{ &in, sizeof(in) },
		{ (void *)arg, arglen },
		{ (void *)data, datalen },
	};

	if (writev(p->fd, iov, 3) != (ssize_t)in.len)
		return 0;
	return in.unique;
}

/*
 * Read messages until the reply to UNIQUE: its error (0 or a negative
 * errno) goes to *ERROR and up to OUTLEN payload bytes to OUT. Poll wakeups
 * on the way are counted. Returns the payload length, or -errno if the
 * socket failed or closed.
 */
static inline ssize_t cuse_peer_reply(struct cuse_peer *p, uint64_t unique,
				      int32_t *error, void *out, size_t outlen)
{
	static uint8_t msg[CUSE_PEER_MAX_REPLY];

	for (;;) {
		struct fuse_out_header oh;
		ssize_t n = recv(p->fd, msg, sizeof(msg), 0);
		size_t plen;

		if (n < 0)
			return -errno;
		if (n < (ssize_t)sizeof(oh))
			return -EPIPE;
		memcpy(&oh, msg, sizeof(oh));
		plen = (size_t)n - sizeof(oh);
		if (oh.unique == 0) {
			if (oh.error == FUSE_NOTIFY_POLL &&
			    plen >= sizeof(struct fuse_notify_poll_wakeup_out)) {
				struct fuse_notify_poll_wakeup_out w;

				memcpy(&w, msg + sizeof(oh), sizeof(w));
				p->last_kh = w.kh;
				p->notifications++;
			}
			continue;
		}
		if (oh.unique != unique) {
			p->skipped = oh.unique;  /* another request's reply */
			continue;
		}
		*error = oh.error;
		if (plen > outlen)
			plen = outlen;
		if (plen)
			memcpy(out, msg + sizeof(oh), plen);
		return (ssize_t)plen;
	}
}

/* Wait up to MS milliseconds for a poll wakeup (counted as in
 * cuse_peer_reply); true once at least WANT have been seen. Replies read
 * on the way are dropped: call it with no request outstanding. */
static inline bool cuse_peer_wait_wakeups(struct cuse_peer *p, unsigned want, int ms)
{
	static uint8_t msg[CUSE_PEER_MAX_REPLY];

	while (p->notifications < want) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		struct fuse_out_header oh;
		struct fuse_notify_poll_wakeup_out w;
		ssize_t n;

		if (poll(&pfd, 1, ms) <= 0)
			return false;
		n = recv(p->fd, msg, sizeof(msg), 0);
		if (n < (ssize_t)(sizeof(oh) + sizeof(w)))
			continue;
		memcpy(&oh, msg, sizeof(oh));
		if (oh.unique != 0 || oh.error != FUSE_NOTIFY_POLL)
			continue;
		memcpy(&w, msg + sizeof(oh), sizeof(w));
		p->last_kh = w.kh;
		p->notifications++;
	}
	return true;
}

/* The kernel's CUSE_INIT for protocol 7.MINOR. */
static inline uint64_t cuse_peer_send_init(struct cuse_peer *p)
{
	struct cuse_init_in init = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
	};

	return cuse_peer_send(p, CUSE_INIT, &init, sizeof(init), NULL, 0);
}

static inline uint64_t cuse_peer_send_open(struct cuse_peer *p)
{
	struct fuse_open_in o = { .flags = 2 /* O_RDWR */ };

	return cuse_peer_send(p, FUSE_OPEN, &o, sizeof(o), NULL, 0);
}

static inline uint64_t cuse_peer_send_release(struct cuse_peer *p)
{
	struct fuse_release_in r = { .fh = p->fh, .flags = 2 };

	return cuse_peer_send(p, FUSE_RELEASE, &r, sizeof(r), NULL, 0);
}

static inline uint64_t cuse_peer_send_write(struct cuse_peer *p,
					    const void *buf, uint32_t len)
{
	struct fuse_write_in w = { .fh = p->fh, .size = len };

	return cuse_peer_send(p, FUSE_WRITE, &w, sizeof(w), buf, len);
}

static inline uint64_t cuse_peer_send_read(struct cuse_peer *p, uint32_t len)
{
	struct fuse_read_in r = { .fh = p->fh, .size = len };

	return cuse_peer_send(p, FUSE_READ, &r, sizeof(r), NULL, 0);
}

/* A restricted ioctl as the kernel sends it: IN_SIZE bytes of IN, room for
 * OUT_SIZE bytes back. */
static inline uint64_t cuse_peer_send_ioctl(struct cuse_peer *p, uint32_t cmd,
					    const void *in, uint32_t in_size,
					    uint32_t out_size)
{
	struct fuse_ioctl_in io = {
		.fh = p->fh, .cmd = cmd, .in_size = in_size, .out_size = out_size,
	};

	return cuse_peer_send(p, FUSE_IOCTL, &io, sizeof(io), in, in_size);
}

static inline uint64_t cuse_peer_send_poll(struct cuse_peer *p, uint64_t kh,
					   bool notify)
{
	struct fuse_poll_in pi = {
		.fh = p->fh, .kh = kh,
		.flags = notify ? FUSE_POLL_SCHEDULE_NOTIFY : 0,
		.events = 1 /* POLLIN */,
	};

	return cuse_peer_send(p, FUSE_POLL, &pi, sizeof(pi), NULL, 0);
}

#endif
