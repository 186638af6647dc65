/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cuse.c - the CUSE layer as the kernel drives it: each input is a
 * session. The harness plays /dev/cuse over a socketpair (cuse_peer.h):
 * CUSE_INIT, then requests built from the input, each one read and handled
 * by the real cuse_dev code (through libfuse; FUSE_READ, FUSE_WRITE and
 * FUSE_IOCTL through cuse_wire.c's parser), replies drained. Requests are
 * well framed, as the kernel frames them (libfuse trusts the kernel's
 * lengths); their fields are the fuzzer's: opcodes, ioctl codes and in/out
 * sizes, read and write sizes, poll flags and handles. Opcode 6 with FUSE_READ, FUSE_WRITE or
 * FUSE_IOCTL gives the parser a body of any length, whatever it says.
 *
 * Request bytes (low 3 bits pick):
 *   0 OPEN    1 RELEASE    2 READ [size:3]    3 WRITE [len:2] [bytes]
 *   4 IOCTL [code:4] [in_size:2] [out_size:2] [flags:1] [bytes]
 *   5 POLL [kh:1] [flags:1]
 *   6 any opcode (but INIT, INTERRUPT, NOTIFY_REPLY) [opcode:1] [len:1] [bytes]
 *   7 swtpm's 'P' ioctls as the kernel frames them [dir:1] [nr:1] [size:2] [bytes]
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cuse/cuse_dev.h"
#include "cuse_peer.h"
#include "fuzz_vtpm.h"
#include "vtpmd/nodes.h"

#define MAX_IOCTL_SIZE (16 * 1024)      /* the kernel's bound for restricted ioctls */
#define MAX_WRITE      (64 * 1024)

static uint8_t payload[MAX_WRITE];
static struct vtpmd_door door = { &fuzz_vtpm, VTPM_DOOR_NODE };
static struct cuse_node_options opt = { .name = "vtpmfuzz", .ctx = &door };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_vtpm_setup();
	opt.ops = nodes_door_ops();
	return 0;
}

/* Everything the daemon sent since, without waiting. */
static void drain(struct cuse_peer *p)
{
	static uint8_t msg[CUSE_PEER_MAX_REPLY];

	while (recv(p->fd, msg, sizeof(msg), MSG_DONTWAIT) > 0)
		;
}

static uint64_t send_request(struct cuse_peer *p, struct fuzz_input *in)
{
	size_t len, got;
	const uint8_t *bytes;

	switch (fuzz_u8(in) & 7) {
	case 0:
		return cuse_peer_send_open(p);
	case 1:
		return cuse_peer_send_release(p);
	case 2:
		return cuse_peer_send_read(p, fuzz_u32(in, 3) % (256 * 1024));
	case 3:
		len = fuzz_u32(in, 2) % MAX_WRITE;
		bytes = fuzz_bytes(in, len, &got);
		memcpy(payload, bytes, got);
		memset(payload + got, 0, len - got);
		return cuse_peer_send_write(p, payload, (uint32_t)len);
	case 4: {
		struct fuse_ioctl_in io = { .fh = p->fh };

		io.cmd = fuzz_u32(in, 4);
		io.in_size = fuzz_u32(in, 2) % MAX_IOCTL_SIZE;
		io.out_size = fuzz_u32(in, 2) % MAX_IOCTL_SIZE;
		io.flags = fuzz_u8(in) & (FUSE_IOCTL_UNRESTRICTED | FUSE_IOCTL_RETRY |
					  FUSE_IOCTL_32BIT);
		bytes = fuzz_bytes(in, io.in_size, &got);
		memcpy(payload, bytes, got);
		memset(payload + got, 0, io.in_size - got);
		return cuse_peer_send(p, FUSE_IOCTL, &io, sizeof(io), payload, io.in_size);
	}
	case 5: {
		struct fuse_poll_in pi = { .fh = p->fh };

		pi.kh = fuzz_u8(in);
		pi.flags = fuzz_u8(in) & FUSE_POLL_SCHEDULE_NOTIFY;
		pi.events = 1;
		return cuse_peer_send(p, FUSE_POLL, &pi, sizeof(pi), NULL, 0);
	}
	case 6: {
		uint32_t opcode = fuzz_u8(in);

		len = fuzz_u8(in);
		bytes = fuzz_bytes(in, len, &got);
		memcpy(payload, bytes, got);
		memset(payload + got, 0, len - got);
		/* Not the kernel's way: INIT twice, or NOTIFY_REPLY with no
		 * retrieve asked for (libfuse keeps that request). And an
		 * INTERRUPT of a request already answered stays queued in libfuse
		 * until a request with that id comes: never, one at a time. */
		if (opcode == FUSE_INIT || opcode == FUSE_INTERRUPT ||
		    opcode == FUSE_NOTIFY_REPLY)
			opcode = FUSE_FLUSH;
		return cuse_peer_send(p, opcode, payload, len, NULL, 0);
	}
	default: {
		/* a PTM request exactly as the kernel frames a restricted ioctl */
		uint32_t dir = fuzz_u8(in) & 3, nr = fuzz_u8(in) % 20;
		uint32_t sz = fuzz_u32(in, 2) % 4200;
		uint32_t cmd = dir << _IOC_DIRSHIFT | (uint32_t)'P' << _IOC_TYPESHIFT |
			       nr << _IOC_NRSHIFT | sz << _IOC_SIZESHIFT;

		bytes = fuzz_bytes(in, sz, &got);
		memcpy(payload, bytes, got);
		memset(payload + got, 0, sz - got);
		return cuse_peer_send_ioctl(p, cmd, payload,
					    (_IOC_DIR(cmd) & _IOC_WRITE) ? sz : 0,
					    (_IOC_DIR(cmd) & _IOC_READ) ? sz : 0);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct cuse_peer p;
	struct cuse_node *d;
	int fd;

	if (cuse_peer_open(&p, &fd) < 0)
		abort();
	d = cuse_node_attach(&opt, fd);
	if (!d)
		abort();
	/* INIT, then OPEN, as the kernel does for the first client. */
	if (!cuse_peer_send_init(&p) || cuse_node_process_one(d) != 1)
		abort();
	drain(&p);
	if (!cuse_peer_send_open(&p) || cuse_node_process_one(d) != 1)
		abort();
	drain(&p);
	while (in.left) {
		if (!send_request(&p, &in))
			break;
		if (cuse_node_process_one(d) != 1)
			break;          /* the session ended (PTM_SHUTDOWN) */
		drain(&p);
	}
	/* The kernel releases the file when the client goes. */
	if (cuse_peer_send_release(&p))
		cuse_node_process_one(d);
	cuse_peer_close(&p);
	cuse_node_detach(d);
	fuzz_vtpm_recover();
	return 0;
}
