/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_device_policy.c - the node a client gets (VTPM_POLICY_CLIENT) and
 * the host's control door, on one device with a real libtpms: the node
 * answers TPM commands and the four harmless queries, refuses every other
 * PTM request with EPERM before anything changes, logs each refused
 * request once, and its GET_CAPABILITY lists only what it answers; the
 * control door answers everything. LOCK_STORAGE, while it waits for
 * another process, holds up neither the other doors' requests nor
 * commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libtpms/tpm_error.h>

#include "device/device.h"
#include "mem/bytes.h"
#include "os/log.h"
#include "vtpm/ioctl.h"
#include "vtpm_options.h"
#include "lock_holder.h"

struct fixture {
	char dir[64];
	char log[96];
	struct vtpm v;
	struct vtpm_options opt;
};

static const uint8_t cmd_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };

static int fixture_start(void **state, bool defer_lock)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vtpmd-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s.log", f->dir);
	assert_int_equal(log_open_file(f->log, true), 0);
	f->opt = test_vtpm_options(f->dir, true, STARTUP_CLEAR, true);
	f->opt.tpm.store.defer_lock = defer_lock;
	assert_int_equal(vtpm_init(&f->v, &f->opt), 0);
	vtpm_set_policy(&f->v, VTPM_DOOR_NODE, &VTPM_POLICY_CLIENT);
	if (!defer_lock)
		assert_int_equal(vtpm_start(&f->v), 0);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), 0);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_CONTROL), 0);
	*state = f;
	return 0;
}

static int setup(void **state) { return fixture_start(state, false); }
static int setup_deferred(void **state) { return fixture_start(state, true); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	vtpm_release(&f->v, VTPM_DOOR_NODE);
	vtpm_release(&f->v, VTPM_DOOR_CONTROL);
	vtpm_fini(&f->v);
	log_set_fd(STDERR_FILENO);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", f->dir, f->log);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The request's result, or the negative errno of the ioctl. */
static long request(struct vtpm *v, enum vtpm_door door, unsigned int code, void *arg)
{
	size_t out = 0;
	int ret = vtpm_ioctl(v, door, code, arg, &out);

	if (ret < 0)
		return ret;
	assert_int_equal(out, _IOC_SIZE(code));
	return *(uint32_t *)arg;
}

static uint32_t getrandom_rc(struct vtpm *v, enum vtpm_door door)
{
	uint8_t resp[64];
	ssize_t n;

	assert_int_equal(vtpm_write(v, door, cmd_getrandom8, sizeof(cmd_getrandom8)),
			 sizeof(cmd_getrandom8));
	n = vtpm_read(v, door, resp, sizeof(resp));
	assert_true(n >= 10);
	return get_be32(resp + 6);
}

/* Lines of the log file that hold NEEDLE. */
static int log_lines(const struct fixture *f, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *in = fopen(f->log, "r");

	assert_non_null(in);
	while (fgets(line, sizeof(line), in))
		n += strstr(line, needle) != NULL;
	fclose(in);
	return n;
}

static const unsigned int refused[] = {
	PTM_INIT, PTM_SHUTDOWN, PTM_SET_LOCALITY, PTM_HASH_START, PTM_HASH_DATA,
	PTM_HASH_END, PTM_CANCEL_TPM_CMD, PTM_STORE_VOLATILE, PTM_RESET_TPMESTABLISHED,
	PTM_GET_STATEBLOB, PTM_SET_STATEBLOB, PTM_STOP, PTM_SET_DATAFD,
	PTM_SET_BUFFERSIZE, PTM_LOCK_STORAGE,
};

static void test_client_node_refuses_control(void **state)
{
	struct fixture *f = *state;
	static uint8_t arg[8192];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(arg, 0, sizeof(arg));
		if (refused[i] == PTM_GET_STATEBLOB)        /* with and without DECRYPTED */
			((struct ptm_getstate *)arg)->u.req.state_flags = PTM_STATE_FLAG_DECRYPTED;
		if (request(&f->v, VTPM_DOOR_NODE, refused[i], arg) != -EPERM)
			fail_msg("request %zu (0x%08x) not refused", i, refused[i]);
		if (refused[i] == PTM_GET_STATEBLOB) {
			memset(arg, 0, sizeof(arg));
			assert_int_equal(request(&f->v, VTPM_DOOR_NODE, refused[i], arg), -EPERM);
		}
	}
	/* nothing happened: the TPM runs, the daemon was not told to end,
	 * no blob moves through read() */
	assert_false(vtpm_exit_requested(&f->v));
	assert_int_equal(getrandom_rc(&f->v, VTPM_DOOR_NODE), 0);
	/* a request number that is no PTM request: unknown, as for swtpm */
	assert_int_equal(request(&f->v, VTPM_DOOR_NODE, _IOWR('P', 40, ptm_res), arg), -EINVAL);
	assert_int_equal(request(&f->v, VTPM_DOOR_CONTROL, _IOWR('P', 40, ptm_res), arg), -EINVAL);
}

static void test_client_node_queries(void **state)
{
	struct fixture *f = *state;
	static uint8_t arg[8192];
	ptm_cap caps = 0;
	size_t out = 0;

	assert_int_equal(vtpm_ioctl(&f->v, VTPM_DOOR_NODE, PTM_GET_CAPABILITY, &caps, &out), 0);
	assert_int_equal(caps, PTM_CAP_GET_TPMESTABLISHED | PTM_CAP_GET_CONFIG | PTM_CAP_GET_INFO);
	assert_int_equal(vtpm_ioctl(&f->v, VTPM_DOOR_CONTROL, PTM_GET_CAPABILITY, &caps, &out), 0);
	assert_int_equal(caps, 0x16fff);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(request(&f->v, VTPM_DOOR_NODE, PTM_GET_TPMESTABLISHED, arg), 0);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(request(&f->v, VTPM_DOOR_NODE, PTM_GET_CONFIG, arg), 0);
	memset(arg, 0, sizeof(arg));
	((struct ptm_getinfo *)arg)->u.req.flags = 1;
	assert_int_equal(request(&f->v, VTPM_DOOR_NODE, PTM_GET_INFO, arg), 0);
	assert_true(((struct ptm_getinfo *)arg)->u.resp.totlength > 10);
}

/* The control door does what the node may not: INIT, blobs, SHUTDOWN. */
static void test_control_door_answers_all(void **state)
{
	struct fixture *f = *state;
	static uint8_t arg[8192];

	memset(arg, 0, sizeof(arg));
	((struct ptm_getstate *)arg)->u.req.type = PTM_BLOB_TYPE_PERMANENT;
	((struct ptm_getstate *)arg)->u.req.state_flags = PTM_STATE_FLAG_DECRYPTED;
	assert_int_equal(request(&f->v, VTPM_DOOR_CONTROL, PTM_GET_STATEBLOB, arg), 0);
	assert_true(((struct ptm_getstate *)arg)->u.resp.totlength > 100);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(request(&f->v, VTPM_DOOR_CONTROL, PTM_INIT, arg), 0);
	/* TPM commands through the control door too (vtpmctl bios) */
	assert_int_equal(getrandom_rc(&f->v, VTPM_DOOR_CONTROL), 0x100 /* TPM_RC_INITIALIZE */);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(request(&f->v, VTPM_DOOR_CONTROL, PTM_SHUTDOWN, arg), 0);
	assert_true(vtpm_exit_requested(&f->v));
}

/* Each refused request is one line, however often it is tried. */
static void test_refusals_logged_once(void **state)
{
	struct fixture *f = *state;
	static uint8_t arg[8192];

	for (int round = 0; round < 3; round++) {
		memset(arg, 0, sizeof(arg));
		assert_int_equal(request(&f->v, VTPM_DOOR_NODE, PTM_INIT, arg), -EPERM);
		memset(arg, 0, sizeof(arg));
		assert_int_equal(request(&f->v, VTPM_DOOR_NODE, PTM_STOP, arg), -EPERM);
	}
	assert_int_equal(log_lines(f, "refused PTM_INIT on the node"), 1);
	assert_int_equal(log_lines(f, "refused PTM_STOP on the node"), 1);
	assert_int_equal(log_lines(f, "refused"), 2);
	assert_int_equal(log_lines(f, "the host's control node answers it"), 2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct lock_call {
	struct vtpm *v;
	uint32_t retries;
	long result;
	double took;
};

static void *lock_storage_thread(void *arg)
{
	struct lock_call *c = arg;
	static struct ptm_lockstorage ls;
	double t0 = now();

	memset(&ls, 0, sizeof(ls));
	ls.u.req.retries = c->retries;
	c->result = request(c->v, VTPM_DOOR_CONTROL, PTM_LOCK_STORAGE, &ls);
	c->took = now() - t0;
	return NULL;
}

static void test_lock_storage_holds_nothing_up(void **state)
{
	struct fixture *f = *state;
	struct lock_call c = { .v = &f->v, .retries = UINT32_MAX };
	static uint8_t arg[8192];
	struct lock_holder holder;
	pthread_t t;
	double t0;

	lock_holder_start(&holder, f->dir);

	assert_int_equal(pthread_create(&t, NULL, lock_storage_thread, &c), 0);
	usleep(200 * 1000);
	/* while LOCK_STORAGE waits: the node's queries, and GET_INFO, which
	 * takes the TPM lock, come back at once */
	for (int i = 0; i < 20; i++) {
		ptm_cap caps;
		size_t out;

		t0 = now();
		assert_int_equal(vtpm_ioctl(&f->v, VTPM_DOOR_NODE, PTM_GET_CAPABILITY, &caps, &out), 0);
		memset(arg, 0, sizeof(arg));
		((struct ptm_getinfo *)arg)->u.req.flags = 1;
		assert_int_equal(request(&f->v, VTPM_DOOR_NODE, PTM_GET_INFO, arg), 0);
		if (now() - t0 > 0.5)
			fail_msg("a query waited %.2f s behind LOCK_STORAGE", now() - t0);
		usleep(50 * 1000);
	}
	/* 2^32 - 1 retries end at the bound, about 5 s */
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.result, TPM_FAIL);
	if (c.took < 4.5 || c.took > 30)
		fail_msg("LOCK_STORAGE took %.2f s", c.took);
	/* within the bound, it gets the lock once the holder lets go */
	c.retries = 300;
	assert_int_equal(pthread_create(&t, NULL, lock_storage_thread, &c), 0);
	usleep(300 * 1000);
	lock_holder_stop(&holder);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.result, TPM_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_client_node_refuses_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_node_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_door_answers_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_logged_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_storage_holds_nothing_up, setup_deferred,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
