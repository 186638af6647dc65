/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cuse.c - the CUSE transport without a kernel: a cuse server serves a
 * real device model (real libtpms, temporary state directory) through two
 * nodes, each over a socketpair whose other end plays the kernel's
 * /dev/cuse (cuse_peer.h). The run is vtpmd's: CUSE_INIT of every node,
 * on_ready, then a loop thread per node: the node door's as vtpmd's plain
 * node (one reader and the standby), the control door's libfuse's
 * multithreaded loop. The node door's runs go through a gate a test may
 * hold shut, to see what is answered while a command runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cuse/cuse_dev.h"
#include "cuse_peer.h"
#include "os/log.h"
#include "vtpm/ioctl.h"
#include "vtpm_options.h"
#include "vtpmd/nodes.h"

static const uint8_t cmd_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };

/* A server of two nodes on one device, as vtpmd with a control node:
 * "vtpmunit" is the node door, "vtpmunit-ctl" the control door. */
struct fixture {
	char dir[64];
	struct vtpm_options vopt;
	struct vtpm v;
	struct vtpmd_door door[2];
	struct cuse_node_options opt[2];
	struct cuse_server *srv;
	struct cuse_peer peer;          /* the node door's kernel side */
	struct cuse_peer ctl;           /* the control door's */
	pthread_t server;
	bool joined;
	int served;             /* cuse_server_run()'s result */
	int ready_calls;
	int threads_at_ready;
	struct cuse_node_ops gated_ops; /* the door's, run() through the gate */
	void (*door_run)(void *ctx, void *file, const uint8_t *buf, size_t len);
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	bool gate_shut;                 /* runs wait until it opens */
	int runs_waiting;
};

/* The fixture whose node door runs through the gate (one at a time). */
static struct fixture *gated;

static void gated_run(void *ctx, void *file, const uint8_t *buf, size_t len)
{
	struct fixture *f = gated;

	pthread_mutex_lock(&f->gate_lock);
	f->runs_waiting++;
	pthread_cond_broadcast(&f->gate_cond);
	while (f->gate_shut)
		pthread_cond_wait(&f->gate_cond, &f->gate_lock);
	f->runs_waiting--;
	pthread_mutex_unlock(&f->gate_lock);
	f->door_run(ctx, file, buf, len);
}

static void gate_set(struct fixture *f, bool shut)
{
	pthread_mutex_lock(&f->gate_lock);
	f->gate_shut = shut;
	pthread_cond_broadcast(&f->gate_cond);
	pthread_mutex_unlock(&f->gate_lock);
}

/* Wait until a run is held at the shut gate. */
static void gate_wait_held(struct fixture *f)
{
	pthread_mutex_lock(&f->gate_lock);
	while (f->runs_waiting == 0)
		pthread_cond_wait(&f->gate_cond, &f->gate_lock);
	pthread_mutex_unlock(&f->gate_lock);
}

/* Shut the gate and write GetRandom(8) on the node door: the write is
 * answered, its run waits at the gate. */
static void write_held(struct fixture *f)
{
	struct fuse_write_out wo;
	int32_t err = 1;

	gate_set(f, true);
	cuse_peer_reply(&f->peer, cuse_peer_send_write(&f->peer, cmd_getrandom8,
						       sizeof(cmd_getrandom8)),
			&err, &wo, sizeof(wo));
	assert_int_equal(err, 0);
	assert_int_equal(wo.size, sizeof(cmd_getrandom8));
	gate_wait_held(f);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int on_ready(void *ctx)
{
	struct fixture *f = ctx;

	f->ready_calls++;
	f->threads_at_ready = count_threads();
	return 0;
}

static void *serve(void *arg)
{
	struct fixture *f = arg;

	f->served = cuse_server_run(f->srv, on_ready, f);
	return NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd = -1;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vtpmd-cuse-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->vopt = test_vtpm_options(f->dir, true, STARTUP_CLEAR, true);
	assert_int_equal(vtpm_init(&f->v, &f->vopt), 0);
	assert_int_equal(vtpm_start(&f->v), 0);
	f->srv = cuse_server_new();
	assert_non_null(f->srv);
	pthread_mutex_init(&f->gate_lock, NULL);
	pthread_cond_init(&f->gate_cond, NULL);
	f->gated_ops = *nodes_door_ops();
	f->door_run = f->gated_ops.run;
	f->gated_ops.run = gated_run;
	gated = f;
	for (int i = 0; i < 2; i++) {
		f->door[i] = (struct vtpmd_door){ &f->v, i ? VTPM_DOOR_CONTROL : VTPM_DOOR_NODE };
		f->opt[i] = (struct cuse_node_options){
			.name = i ? "vtpmunit-ctl" : "vtpmunit",
			.ops = i ? nodes_door_ops() : &f->gated_ops, .ctx = &f->door[i],
			.threads = i ? 0 : 1, .standby = i == 0,
		};
		assert_int_equal(cuse_peer_open(i ? &f->ctl : &f->peer, &fd), 0);
		assert_int_equal(cuse_server_add(f->srv, &f->opt[i], fd), 0);
	}
	assert_int_equal(pthread_create(&f->server, NULL, serve, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	/* A run a failed test left at the gate goes on; closing our end is
	 * the kernel dropping the device: the run ends. */
	gate_set(f, false);
	cuse_peer_close(&f->peer);
	if (!f->joined)
		pthread_join(f->server, NULL);
	cuse_peer_close(&f->ctl);
	cuse_server_free(f->srv);
	vtpm_fini(&f->v);
	pthread_cond_destroy(&f->gate_cond);
	pthread_mutex_destroy(&f->gate_lock);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* INIT for both nodes, as the kernel does when vtpmd creates them. */
static void init_nodes(struct fixture *f)
{
	uint8_t out[512];
	int32_t err = 1;
	ssize_t n;

	n = cuse_peer_reply(&f->peer, cuse_peer_send_init(&f->peer), &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_true(n > (ssize_t)sizeof(struct cuse_init_out));
	assert_memory_equal(out + sizeof(struct cuse_init_out), "DEVNAME=vtpmunit", 17);
	n = cuse_peer_reply(&f->ctl, cuse_peer_send_init(&f->ctl), &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_memory_equal(out + sizeof(struct cuse_init_out), "DEVNAME=vtpmunit-ctl", 21);
}

/* OPEN as the kernel sends it when a client opens node P. */
static void open_node(struct cuse_peer *p)
{
	struct fuse_open_out oo;
	int32_t err = 1;
	ssize_t n;

	n = cuse_peer_reply(p, cuse_peer_send_open(p), &err, &oo, sizeof(oo));
	assert_int_equal(err, 0);
	assert_int_equal(n, sizeof(oo));
	assert_true(oo.open_flags & FOPEN_DIRECT_IO);
	p->fh = oo.fh;
}

static void init_and_open(struct fixture *f)
{
	init_nodes(f);
	open_node(&f->peer);
}

static void test_ready_before_any_worker(void **state)
{
	struct fixture *f = *state;

	init_and_open(f);
	assert_int_equal(f->ready_calls, 1);
	/* this test's thread and the serving thread: no node's loop thread
	 * and no FUSE worker yet, although both nodes exist */
	assert_int_equal(f->threads_at_ready, 2);
}

static void test_command_round_trip_and_poll_wakeup(void **state)
{
	struct fixture *f = *state;
	struct fuse_poll_out po;
	struct fuse_write_out wo;
	uint8_t resp[4096];
	int32_t err = 1;
	ssize_t n;

	init_and_open(f);
	/* Nothing pending: writable, and the kernel asks to be told. */
	cuse_peer_reply(&f->peer, cuse_peer_send_poll(&f->peer, 77, true), &err, &po, sizeof(po));
	assert_int_equal(err, 0);
	assert_int_equal(po.revents & POLLIN, 0);

	n = cuse_peer_reply(&f->peer, cuse_peer_send_write(&f->peer, cmd_getrandom8,
							   sizeof(cmd_getrandom8)),
			    &err, &wo, sizeof(wo));
	assert_int_equal(err, 0);
	assert_int_equal(wo.size, sizeof(cmd_getrandom8));
	(void)n;
	/* The wakeup follows the write's reply, from the thread that ran it. */
	assert_true(cuse_peer_wait_wakeups(&f->peer, 1, 5000));
	assert_int_equal(f->peer.last_kh, 77);
	cuse_peer_reply(&f->peer, cuse_peer_send_poll(&f->peer, 78, false), &err, &po, sizeof(po));
	assert_true(po.revents & POLLIN);

	n = cuse_peer_reply(&f->peer, cuse_peer_send_read(&f->peer, 4096), &err, resp, sizeof(resp));
	assert_int_equal(err, 0);
	assert_int_equal(n, 10 + 2 + 8);        /* header, size, 8 random bytes */
	assert_int_equal(resp[0], 0x80);
	assert_int_equal(resp[9], 0);           /* TPM_RC_SUCCESS */
}

static void test_second_open_busy(void **state)
{
	struct fixture *f = *state;
	struct fuse_open_out oo;
	int32_t err = 0;

	init_and_open(f);
	cuse_peer_reply(&f->peer, cuse_peer_send_open(&f->peer), &err, &oo, sizeof(oo));
	assert_int_equal(err, -EBUSY);
	cuse_peer_reply(&f->peer, cuse_peer_send_release(&f->peer), &err, NULL, 0);
	assert_int_equal(err, 0);
	cuse_peer_reply(&f->peer, cuse_peer_send_open(&f->peer), &err, &oo, sizeof(oo));
	assert_int_equal(err, 0);
}

static void test_ioctls(void **state)
{
	struct fixture *f = *state;
	uint8_t out[4096], in[64] = { 0 };
	ptm_cap cap = 0;
	int32_t err = 1;
	ssize_t n;

	init_and_open(f);
	n = cuse_peer_reply(&f->peer, cuse_peer_send_ioctl(&f->peer, PTM_GET_CAPABILITY,
							   NULL, 0, sizeof(cap)),
			    &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_int_equal(n, sizeof(struct fuse_ioctl_out) + sizeof(cap));
	memcpy(&cap, out + sizeof(struct fuse_ioctl_out), sizeof(cap));
	assert_true(cap & PTM_CAP_INIT);

	/* sizes that do not match the request code are refused */
	cuse_peer_reply(&f->peer, cuse_peer_send_ioctl(&f->peer, PTM_GET_CAPABILITY,
						       in, 4, sizeof(cap)),
			&err, out, sizeof(out));
	assert_int_equal(err, -EINVAL);
	cuse_peer_reply(&f->peer, cuse_peer_send_ioctl(&f->peer, 0xdeadbeef, NULL, 0, 0),
			&err, out, sizeof(out));
	assert_int_equal(err, -EINVAL);
}

/* A request of the right shape that no PTM operation has: it passes the
 * transport's size checks and the device model refuses it. */
static void test_unknown_request(void **state)
{
	const unsigned int unknown = _IOR('P', 0x7f, uint32_t);
	struct fixture *f = *state;
	char logged[512] = "";
	uint8_t out[64];
	int32_t err = 1;
	FILE *log = tmpfile();
	ssize_t n;

	assert_non_null(log);
	init_and_open(f);
	assert_int_equal(log_set_fd(fileno(log)), 0);
	log_set_level(LOG_LEVEL_DEBUG);
	cuse_peer_reply(&f->peer, cuse_peer_send_ioctl(&f->peer, unknown, NULL, 0,
						       sizeof(uint32_t)),
			&err, out, sizeof(out));
	log_set_fd(STDERR_FILENO);
	log_set_level(LOG_LEVEL_ERROR);
	assert_int_equal(err, -EINVAL);
	n = pread(fileno(log), logged, sizeof(logged) - 1, 0);
	assert_true(n > 0);
	assert_non_null(strstr(logged, "unknown control request 0x8004507f"));
	fclose(log);
}

static void test_shutdown_ends_session(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64];
	int32_t err = 1;

	init_and_open(f);
	cuse_peer_reply(&f->peer, cuse_peer_send_ioctl(&f->peer, PTM_SHUTDOWN, NULL, 0,
						       sizeof(ptm_res)),
			&err, out, sizeof(out));
	assert_int_equal(err, 0);
	pthread_join(f->server, NULL);
	f->joined = true;
	assert_int_equal(f->served, 0);
}

/* Result of a ptm_res-sized request CMD on P: 0 and *RES, or -errno. */
static int32_t simple_request(struct cuse_peer *p, unsigned int cmd, uint32_t *res)
{
	uint8_t out[256];
	int32_t err = 1;
	ssize_t n;

	n = cuse_peer_reply(p, cuse_peer_send_ioctl(p, cmd, NULL, 0, sizeof(ptm_res)),
			    &err, out, sizeof(out));
	if (err == 0) {
		assert_int_equal(n, sizeof(struct fuse_ioctl_out) + sizeof(ptm_res));
		memcpy(res, out + sizeof(struct fuse_ioctl_out), sizeof(*res));
	}
	return err;
}

/* Two doors on one TPM: each its own open file and policy; a reset through
 * the control door drops the node door's pending response. */
static void test_two_doors(void **state)
{
	struct fixture *f = *state;
	const struct vtpm_policy commands_only = {
		.commands = true,
		.requests = 1ULL << _IOC_NR(PTM_GET_CAPABILITY),
	};
	struct fuse_write_out wo;
	uint8_t resp[4096], init[sizeof(struct ptm_init)] = { 0 };
	uint32_t res = 0xffffffff;
	int32_t err = 1;
	ssize_t n;

	vtpm_set_policy(&f->v, VTPM_DOOR_NODE, &commands_only);
	init_nodes(f);
	open_node(&f->peer);
	open_node(&f->ctl);             /* both at once: a door each */

	assert_int_equal(simple_request(&f->peer, PTM_STOP, &res), -EPERM);
	assert_int_equal(simple_request(&f->peer, PTM_STORE_VOLATILE, &res), -EPERM);
	assert_int_equal(simple_request(&f->ctl, PTM_STORE_VOLATILE, &res), 0);
	assert_int_equal(res, 0);

	/* a command through each door */
	cuse_peer_reply(&f->ctl, cuse_peer_send_write(&f->ctl, cmd_getrandom8,
						      sizeof(cmd_getrandom8)),
			&err, &wo, sizeof(wo));
	assert_int_equal(err, 0);
	n = cuse_peer_reply(&f->ctl, cuse_peer_send_read(&f->ctl, 4096), &err, resp,
			    sizeof(resp));
	assert_int_equal(n, 20);
	cuse_peer_reply(&f->peer, cuse_peer_send_write(&f->peer, cmd_getrandom8,
						       sizeof(cmd_getrandom8)),
			&err, &wo, sizeof(wo));
	assert_int_equal(err, 0);

	/* INIT through the control door: the node's unread response is gone */
	n = cuse_peer_reply(&f->ctl, cuse_peer_send_ioctl(&f->ctl, PTM_INIT, init,
							  sizeof(init), sizeof(init)),
			    &err, resp, sizeof(resp));
	assert_int_equal(err, 0);
	memcpy(&res, resp + sizeof(struct fuse_ioctl_out), sizeof(res));
	assert_int_equal(res, 0);
	n = cuse_peer_reply(&f->peer, cuse_peer_send_read(&f->peer, 4096), &err, resp,
			    sizeof(resp));
	assert_int_equal(err, 0);
	assert_int_equal(n, 0);
}

/* A request naming a file the node never opened is refused: the handle
 * is a number from the kernel's side, not a pointer to trust. */
static void test_unknown_file_handle(void **state)
{
	struct fixture *f = *state;
	uint8_t out[64];
	int32_t err = 1;
	uint64_t opened;

	init_and_open(f);
	opened = f->peer.fh;
	/* the node door's readers answer these themselves, the control
	 * door's (nothing opened there) through libfuse */
	for (int i = 0; i < 2; i++) {
		struct cuse_peer *p = i ? &f->ctl : &f->peer;

		p->fh = opened ^ 0x5a5a5a5a;
		cuse_peer_reply(p, cuse_peer_send_read(p, 16), &err, out, sizeof(out));
		assert_int_equal(err, -EBADF);
		cuse_peer_reply(p, cuse_peer_send_write(p, cmd_getrandom8, sizeof(cmd_getrandom8)),
				&err, out, sizeof(out));
		assert_int_equal(err, -EBADF);
		cuse_peer_reply(p, cuse_peer_send_ioctl(p, PTM_GET_TPMESTABLISHED, NULL, 0,
							sizeof(struct ptm_est)),
				&err, out, sizeof(out));
		assert_int_equal(err, -EBADF);
		cuse_peer_reply(p, cuse_peer_send_release(p), &err, NULL, 0);
		assert_int_equal(err, -EBADF);
	}
	/* the real one still works */
	f->peer.fh = opened;
	cuse_peer_reply(&f->peer, cuse_peer_send_release(&f->peer), &err, NULL, 0);
	assert_int_equal(err, 0);
}

/* The whole reply to a FUSE_IOCTL of CMD on P (IN_SIZE bytes of IN, room
 * for OUT_SIZE): its payload into OUT (room for 256), its error to *ERR. */
static ssize_t ioctl_reply(struct cuse_peer *p, unsigned int cmd, const void *in,
			   uint32_t in_size, uint32_t out_size, uint8_t *out, int32_t *err)
{
	*err = 1;
	return cuse_peer_reply(p, cuse_peer_send_ioctl(p, cmd, in, in_size, out_size),
			       err, out, 256);
}

/*
 * The node door's readers answer reads, writes and control requests from
 * their bytes (cuse_wire.c), the control door's loop through libfuse: the
 * same request gets the same bytes back from both. One whose lengths do not
 * add up is answered EINVAL and the node goes on. An interrupt of a request
 * answered that way is answered EAGAIN with the next request libfuse reads,
 * as for any request it had answered itself.
 */
static void test_requests_on_the_wire(void **state)
{
	struct fixture *f = *state;
	struct ptm_est est = { 0 };
	uint8_t node_out[256], ctl_out[256], in[8] = { 0 };
	struct fuse_ioctl_in io = {
		.cmd = PTM_GET_TPMESTABLISHED, .out_size = sizeof(struct ptm_est),
	};
	struct fuse_in_header long_header = {
		.opcode = FUSE_IOCTL, .unique = 900, .nodeid = 1,
	};
	struct fuse_interrupt_in intr;
	struct iovec iov[2];
	struct fuse_poll_out po;
	ssize_t n_node, n_ctl;
	int32_t err = 1, err_ctl = 1;
	uint64_t intr_unique, poll_unique;

	init_nodes(f);
	open_node(&f->peer);
	open_node(&f->ctl);

	n_node = ioctl_reply(&f->peer, PTM_GET_TPMESTABLISHED, NULL, 0, sizeof(est),
			     node_out, &err);
	n_ctl = ioctl_reply(&f->ctl, PTM_GET_TPMESTABLISHED, NULL, 0, sizeof(est),
			    ctl_out, &err_ctl);
	assert_int_equal(err, 0);
	assert_int_equal(err_ctl, 0);
	assert_int_equal(n_node, sizeof(struct fuse_ioctl_out) + sizeof(est));
	assert_int_equal(n_ctl, n_node);
	assert_memory_equal(node_out, ctl_out, (size_t)n_node);
	memcpy(&est, node_out + sizeof(struct fuse_ioctl_out), sizeof(est));
	assert_int_equal(est.u.resp.tpm_result, 0);
	/* a refusal of the size check, from each */
	n_node = ioctl_reply(&f->peer, PTM_GET_TPMESTABLISHED, in, sizeof(in), sizeof(est),
			     node_out, &err);
	n_ctl = ioctl_reply(&f->ctl, PTM_GET_TPMESTABLISHED, in, sizeof(in), sizeof(est),
			    ctl_out, &err_ctl);
	assert_int_equal(err, -EINVAL);
	assert_int_equal(err_ctl, -EINVAL);
	assert_int_equal(n_node, 0);
	assert_int_equal(n_ctl, 0);

	/* a directory's ioctl: not on a character device */
	io.flags = FUSE_IOCTL_DIR;
	io.fh = f->peer.fh;
	cuse_peer_reply(&f->peer, cuse_peer_send(&f->peer, FUSE_IOCTL, &io, sizeof(io), NULL, 0),
			&err, node_out, sizeof(node_out));
	io.fh = f->ctl.fh;
	cuse_peer_reply(&f->ctl, cuse_peer_send(&f->ctl, FUSE_IOCTL, &io, sizeof(io), NULL, 0),
			&err_ctl, ctl_out, sizeof(ctl_out));
	assert_int_equal(err, -ENOTTY);
	assert_int_equal(err_ctl, -ENOTTY);
	io.flags = 0;

	/* malformed: in_size says 8 bytes follow, none do */
	io.fh = f->peer.fh;
	io.in_size = 8;
	cuse_peer_reply(&f->peer, cuse_peer_send(&f->peer, FUSE_IOCTL, &io, sizeof(io), NULL, 0),
			&err, node_out, sizeof(node_out));
	assert_int_equal(err, -EINVAL);
	/* malformed: fuse_ioctl_in cut short */
	io.in_size = 0;
	cuse_peer_reply(&f->peer, cuse_peer_send(&f->peer, FUSE_IOCTL, &io, 16, NULL, 0),
			&err, node_out, sizeof(node_out));
	assert_int_equal(err, -EINVAL);
	/* malformed: the header claims more than came */
	long_header.len = sizeof(long_header) + sizeof(io) + 64;
	iov[0] = (struct iovec){ &long_header, sizeof(long_header) };
	iov[1] = (struct iovec){ &io, sizeof(io) };
	assert_int_equal(writev(f->peer.fd, iov, 2), sizeof(long_header) + sizeof(io));
	cuse_peer_reply(&f->peer, 900, &err, node_out, sizeof(node_out));
	assert_int_equal(err, -EINVAL);

	/* malformed: a write whose size says 4 more bytes than came */
	{
		struct fuse_write_in wi = { .fh = f->peer.fh, .size = sizeof(cmd_getrandom8) + 4 };
		struct fuse_read_in ri = { .fh = f->peer.fh, .size = 4096 };

		cuse_peer_reply(&f->peer, cuse_peer_send(&f->peer, FUSE_WRITE, &wi, sizeof(wi),
							 cmd_getrandom8, sizeof(cmd_getrandom8)),
				&err, node_out, sizeof(node_out));
		assert_int_equal(err, -EINVAL);
		/* malformed: fuse_read_in cut short, or with bytes after it */
		cuse_peer_reply(&f->peer, cuse_peer_send(&f->peer, FUSE_READ, &ri, 8, NULL, 0),
				&err, node_out, sizeof(node_out));
		assert_int_equal(err, -EINVAL);
		cuse_peer_reply(&f->peer, cuse_peer_send(&f->peer, FUSE_READ, &ri, sizeof(ri),
							 in, sizeof(in)),
				&err, node_out, sizeof(node_out));
		assert_int_equal(err, -EINVAL);
	}

	/* the node goes on: a query, and a command through each door, whose
	 * answers have the same shape */
	n_node = ioctl_reply(&f->peer, PTM_GET_TPMESTABLISHED, NULL, 0, sizeof(est),
			     node_out, &err);
	assert_int_equal(err, 0);
	assert_int_equal(n_node, sizeof(struct fuse_ioctl_out) + sizeof(est));
	{
		struct cuse_peer *door[2] = { &f->peer, &f->ctl };
		struct fuse_write_out wo[2];
		uint8_t resp[2][64];
		ssize_t got[2];

		for (int i = 0; i < 2; i++) {
			err = 1;
			got[i] = cuse_peer_reply(door[i],
						 cuse_peer_send_write(door[i], cmd_getrandom8,
								      sizeof(cmd_getrandom8)),
						 &err, &wo[i], sizeof(wo[i]));
			assert_int_equal(err, 0);
			assert_int_equal(got[i], sizeof(wo[i]));
			assert_int_equal(wo[i].size, sizeof(cmd_getrandom8));
			err = 1;
			got[i] = cuse_peer_reply(door[i], cuse_peer_send_read(door[i], 4096),
						 &err, resp[i], sizeof(resp[i]));
			assert_int_equal(err, 0);
		}
		assert_int_equal(got[0], 20);
		assert_int_equal(got[1], 20);
		assert_memory_equal(resp[0], resp[1], 10);      /* header; 8 random bytes differ */
	}

	/* the kernel interrupts the request just answered */
	intr.unique = f->peer.unique;
	intr_unique = cuse_peer_send(&f->peer, FUSE_INTERRUPT, &intr, sizeof(intr), NULL, 0);
	poll_unique = cuse_peer_send_poll(&f->peer, 0, false);
	assert_int_not_equal(intr_unique, 0);
	cuse_peer_reply(&f->peer, intr_unique, &err, node_out, sizeof(node_out));
	assert_int_equal(err, -EAGAIN);
	cuse_peer_reply(&f->peer, poll_unique, &err, &po, sizeof(po));
	assert_int_equal(err, 0);
	assert_int_equal(po.revents & POLLIN, 0);
}

/*
 * A command that runs long: the writer has its answer before the TPM runs;
 * its read, a poll and a query come meanwhile. The standby reader takes
 * them: the read waits unanswered, the poll says nothing to read yet, the
 * query is answered. When the command ends, the read gets the response and
 * the poller its wakeup.
 */
static void test_requests_while_a_command_runs(void **state)
{
	struct fixture *f = *state;
	struct fuse_poll_out po;
	uint8_t out[4096];
	uint64_t rd, pl;
	ptm_cap cap = 0;
	int32_t err = 1;
	ssize_t n;

	init_and_open(f);
	write_held(f);                          /* answered, and not run yet */

	rd = cuse_peer_send_read(&f->peer, 4096);
	pl = cuse_peer_send_poll(&f->peer, 90, true);
	cuse_peer_reply(&f->peer, pl, &err, &po, sizeof(po));
	assert_int_equal(err, 0);
	assert_int_equal(po.revents & POLLIN, 0);
	n = cuse_peer_reply(&f->peer, cuse_peer_send_ioctl(&f->peer, PTM_GET_CAPABILITY,
							   NULL, 0, sizeof(cap)),
			    &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_int_equal(n, sizeof(struct fuse_ioctl_out) + sizeof(cap));
	assert_int_equal(f->peer.skipped, 0);   /* no answer to the read yet */
	assert_int_equal(f->peer.notifications, 0);

	gate_set(f, false);
	n = cuse_peer_reply(&f->peer, rd, &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_int_equal(n, 20);
	assert_int_equal(out[9], 0);            /* TPM_RC_SUCCESS */
	assert_true(f->peer.notifications == 1 || cuse_peer_wait_wakeups(&f->peer, 1, 5000));
	assert_int_equal(f->peer.last_kh, 90);
}

/*
 * The kernel interrupts a read that waits for a running command (its
 * caller got a signal): the read still gets the response when the run
 * ends, and the interrupt, which libfuse does not find among its requests,
 * is answered EAGAIN with the next request libfuse reads.
 */
static void test_interrupt_of_a_waiting_read(void **state)
{
	struct fixture *f = *state;
	struct fuse_interrupt_in intr;
	struct fuse_poll_out po;
	uint8_t out[4096];
	uint64_t rd, iu, pl;
	int32_t err = 1;
	ssize_t n;

	init_and_open(f);
	write_held(f);
	rd = cuse_peer_send_read(&f->peer, 4096);
	intr.unique = rd;
	iu = cuse_peer_send(&f->peer, FUSE_INTERRUPT, &intr, sizeof(intr), NULL, 0);
	assert_int_not_equal(iu, 0);
	usleep(20000);                          /* the standby takes both */
	gate_set(f, false);
	n = cuse_peer_reply(&f->peer, rd, &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_int_equal(n, 20);
	assert_int_equal(out[9], 0);
	pl = cuse_peer_send_poll(&f->peer, 0, false);
	err = 1;
	cuse_peer_reply(&f->peer, iu, &err, out, sizeof(out));
	assert_int_equal(err, -EAGAIN);
	cuse_peer_reply(&f->peer, pl, &err, &po, sizeof(po));
	assert_int_equal(err, 0);
}

/* The file is closed while its command runs (the client killed): the
 * release is answered at once, the run ends without it, the next opener
 * waits for that run and then has the TPM to itself. */
static void test_release_while_a_command_runs(void **state)
{
	struct fixture *f = *state;
	struct fuse_write_out wo;
	struct fuse_open_out oo;
	uint8_t out[4096];
	uint64_t op;
	int32_t err = 1;
	ssize_t n;

	init_and_open(f);
	write_held(f);
	err = 1;
	assert_int_equal(cuse_peer_reply(&f->peer, cuse_peer_send_release(&f->peer), &err,
					 NULL, 0), 0);
	assert_int_equal(err, 0);

	op = cuse_peer_send_open(&f->peer);
	gate_set(f, false);
	cuse_peer_reply(&f->peer, op, &err, &oo, sizeof(oo));
	assert_int_equal(err, 0);
	f->peer.fh = oo.fh;
	/* nothing of the old command is left to read; a new one runs */
	n = cuse_peer_reply(&f->peer, cuse_peer_send_read(&f->peer, 4096), &err, out,
			    sizeof(out));
	assert_int_equal(err, 0);
	assert_int_equal(n, 0);
	cuse_peer_reply(&f->peer, cuse_peer_send_write(&f->peer, cmd_getrandom8,
						       sizeof(cmd_getrandom8)),
			&err, &wo, sizeof(wo));
	assert_int_equal(err, 0);
	n = cuse_peer_reply(&f->peer, cuse_peer_send_read(&f->peer, 4096), &err, out,
			    sizeof(out));
	assert_int_equal(n, 20);
}

/* The client closes as soon as its waiting read has the response (as any
 * one-shot client does): the release comes while the thread that ran the
 * command is still ending it. Repeated, under ASan, for a use after free. */
static void test_close_right_after_a_waiting_read(void **state)
{
	struct fixture *f = *state;
	struct fuse_open_out oo;
	uint8_t out[4096];
	int32_t err = 1;

	init_nodes(f);
	for (int i = 0; i < 40; i++) {
		uint64_t rd;

		cuse_peer_reply(&f->peer, cuse_peer_send_open(&f->peer), &err, &oo, sizeof(oo));
		assert_int_equal(err, 0);
		f->peer.fh = oo.fh;
		write_held(f);
		rd = cuse_peer_send_read(&f->peer, 4096);
		usleep(5000);                   /* the standby takes the read */
		gate_set(f, false);
		assert_int_equal(cuse_peer_reply(&f->peer, rd, &err, out, sizeof(out)), 20);
		err = 1;
		assert_int_equal(cuse_peer_reply(&f->peer, cuse_peer_send_release(&f->peer),
						 &err, NULL, 0), 0);
		assert_int_equal(err, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_before_any_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_round_trip_and_poll_wakeup,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioctls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_ends_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_doors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_file_handle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests_on_the_wire, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_requests_while_a_command_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_of_a_waiting_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_while_a_command_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_right_after_a_waiting_read, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
