/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cuse.c - the CUSE transport without a kernel: cuse_dev serves a real
 * device model (real libtpms, temporary state directory) over a socketpair
 * whose other end plays the kernel's /dev/cuse (cuse_peer.h). The session
 * runs exactly as in vtpmd: CUSE_INIT, on_ready, the multithreaded loop.
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

static const uint8_t cmd_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };

struct fixture {
	char dir[64];
	struct vtpm_options vopt;
	struct vtpm v;
	struct cuse_dev_options opt;
	struct cuse_dev *dev;
	struct cuse_peer peer;
	pthread_t server;
	bool joined;
	int served;             /* cuse_dev_serve()'s result */
	int ready_calls;
	int threads_at_ready;
};

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

	f->served = cuse_dev_serve(f->dev);
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
	f->opt = (struct cuse_dev_options){
		.name = "vtpmunit", .on_ready = on_ready, .ctx = f,
	};
	assert_int_equal(cuse_peer_open(&f->peer, &fd), 0);
	f->dev = cuse_dev_attach(&f->v, &f->opt, fd);
	assert_non_null(f->dev);
	assert_int_equal(pthread_create(&f->server, NULL, serve, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	/* Closing our end is the kernel dropping the device: the loop ends. */
	cuse_peer_close(&f->peer);
	if (!f->joined)
		pthread_join(f->server, NULL);
	cuse_dev_detach(f->dev);
	vtpm_fini(&f->v);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Send INIT and OPEN as the kernel does when a client opens the node. */
static void init_and_open(struct fixture *f)
{
	uint8_t out[512];
	struct fuse_open_out oo;
	int32_t err = 1;
	ssize_t n;

	n = cuse_peer_reply(&f->peer, cuse_peer_send_init(&f->peer), &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_true(n > (ssize_t)sizeof(struct cuse_init_out));
	assert_memory_equal(out + sizeof(struct cuse_init_out), "DEVNAME=vtpmunit", 17);

	n = cuse_peer_reply(&f->peer, cuse_peer_send_open(&f->peer), &err, &oo, sizeof(oo));
	assert_int_equal(err, 0);
	assert_int_equal(n, sizeof(oo));
	assert_true(oo.open_flags & FOPEN_DIRECT_IO);
	f->peer.fh = oo.fh;
}

static void test_ready_before_any_worker(void **state)
{
	struct fixture *f = *state;

	init_and_open(f);
	assert_int_equal(f->ready_calls, 1);
	/* this test's thread and the serving thread: no FUSE worker yet */
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
	/* The wakeup follows the write's reply, from the worker that ran it. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
