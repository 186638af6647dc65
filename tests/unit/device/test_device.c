/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_device.c - the device model driven in-process, with a real libtpms
 * and a temporary state directory: command path rules, control operations,
 * the shutdown-before-reset rule and state blob transfer.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libtpms/tpm_error.h>

#include "device/device.h"
#include "mem/bytes.h"
#include "vtpm/ioctl.h"
#include "vtpm_options.h"

struct fixture {
	char dir[64];
	struct vtpm v;
	struct vtpm_options opt;
};

static const uint8_t cmd_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };
static const uint8_t cmd_startup_state[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 1 };
static const uint8_t cmd_shutdown_state[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x45, 0, 1 };
/* PCR_Read(sha256, PCR 1) */
static const uint8_t cmd_pcrread1[] = {
	0x80, 0x01, 0, 0, 0, 0x14, 0, 0, 0x01, 0x7e,
	0, 0, 0, 1, 0, 0x0b, 3, 0x02, 0, 0 };

static int fixture_start(void **state, bool not_need_init, bool auto_shutdown)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vtpmd-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->opt = test_vtpm_options(f->dir, not_need_init,
				   not_need_init ? STARTUP_CLEAR : STARTUP_NONE,
				   auto_shutdown);
	assert_int_equal(vtpm_init(&f->v, &f->opt), 0);
	assert_int_equal(vtpm_start(&f->v), 0);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), 0);
	*state = f;
	return 0;
}

static int setup_running(void **state) { return fixture_start(state, true, true); }
static int setup_stopped(void **state) { return fixture_start(state, false, true); }
static int setup_no_auto(void **state) { return fixture_start(state, true, false); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	vtpm_release(&f->v, VTPM_DOOR_NODE);
	vtpm_fini(&f->v);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Write CMD, read the whole response into RESP; returns its length. */
static size_t transact(struct vtpm *v, const uint8_t *cmd, size_t len,
		       uint8_t *resp, size_t cap)
{
	ssize_t n;

	assert_int_equal(vtpm_write(v, VTPM_DOOR_NODE, cmd, len), (ssize_t)len);
	n = vtpm_read(v, VTPM_DOOR_NODE, resp, cap);
	assert_true(n >= 10);
	assert_int_equal(get_be32(resp + 2), (uint32_t)n);
	assert_int_equal(vtpm_read(v, VTPM_DOOR_NODE, resp, cap), 0);
	return (size_t)n;
}

static uint32_t rc_of(struct vtpm *v, const uint8_t *cmd, size_t len)
{
	uint8_t resp[4096];

	transact(v, cmd, len, resp, sizeof(resp));
	return get_be32(resp + 6);
}

static uint32_t ioctl_res(struct vtpm *v, unsigned int code, void *arg)
{
	size_t out = 0;

	assert_int_equal(vtpm_ioctl(v, VTPM_DOOR_NODE, code, arg, &out), 0);
	assert_int_equal(out, _IOC_SIZE(code));
	return *(uint32_t *)arg;
}

static uint32_t do_init(struct vtpm *v, uint32_t flags)
{
	uint8_t arg[8192] = { 0 };
	struct ptm_init *init = (struct ptm_init *)arg;

	init->u.req.init_flags = flags;
	return ioctl_res(v, PTM_INIT, arg);
}

/* PCR_Extend(PCR 1, sha256 = all BYTE) with an empty password session. */
static void pcr_extend1(struct vtpm *v, uint8_t byte)
{
	uint8_t cmd[65] = {
		0x80, 0x02, 0, 0, 0, 65, 0, 0, 0x01, 0x82,
		0, 0, 0, 1,                     /* PCR 1 */
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0, /* TPM_RS_PW */
		0, 0, 0, 1, 0, 0x0b,            /* one sha256 digest */
	};

	memset(cmd + 33, byte, 32);
	assert_int_equal(rc_of(v, cmd, sizeof(cmd)), 0);
}

static void pcr_read1(struct vtpm *v, uint8_t digest[32])
{
	uint8_t resp[4096];
	size_t n = transact(v, cmd_pcrread1, sizeof(cmd_pcrread1), resp, sizeof(resp));

	assert_int_equal(get_be32(resp + 6), 0);
	assert_int_equal(n, 30 + 32);
	memcpy(digest, resp + 30, 32);
}

static void test_getrandom_and_partial_reads(void **state)
{
	struct fixture *f = *state;
	uint8_t resp[64];

	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 0);
	assert_int_equal(vtpm_poll(&f->v, VTPM_DOOR_NODE), POLLOUT | POLLWRNORM);
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, sizeof(cmd_getrandom8)),
			 (ssize_t)sizeof(cmd_getrandom8));
	assert_int_equal(vtpm_poll(&f->v, VTPM_DOOR_NODE), POLLIN | POLLRDNORM);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, 3), 3);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp + 3, sizeof(resp) - 3), 20 - 3);
	assert_int_equal(get_be32(resp + 2), 20);
	assert_int_equal(get_be32(resp + 6), 0);
	assert_int_equal(resp[10] << 8 | resp[11], 8);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 0);
	assert_int_equal(vtpm_poll(&f->v, VTPM_DOOR_NODE), POLLOUT | POLLWRNORM);
}

static void test_write_rules(void **state)
{
	struct fixture *f = *state;
	uint8_t big[4097] = { 0x80, 0x01, 0, 0, 0x10, 0x01 };
	uint8_t resp[64];

	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, big, sizeof(big)), -E2BIG);
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 5), -EINVAL);
	/* header says 12 bytes, only 10 written */
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 10), -EINVAL);
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), 12);
	/* as the kernel's /dev/tpm0: busy while no byte of the response was
	 * read; once one was, the next command drops the rest */
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), -EBUSY);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, 10), 10);
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_pcrread1, sizeof(cmd_pcrread1)),
			 sizeof(cmd_pcrread1));
	/* its whole response, not the GetRandom's rest */
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 62);
	assert_int_equal(get_be32(resp + 2), 62);
	assert_int_equal(get_be32(resp + 6), 0);
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), 12);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 20);
	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), 12);
}

static void test_single_open(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), -EBUSY);
	vtpm_release(&f->v, VTPM_DOOR_NODE);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), 0);
}

static void test_release_drops_response(void **state)
{
	struct fixture *f = *state;
	uint8_t resp[64];

	assert_int_equal(vtpm_write(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), 12);
	vtpm_release(&f->v, VTPM_DOOR_NODE);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), 0);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 0);
}

/* The split write: between accept and run the door is busy to every
 * other call; the run brings the response. */
static void test_accept_then_run(void **state)
{
	struct fixture *f = *state;
	uint8_t resp[64];

	assert_int_equal(vtpm_write_accept(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), 12);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), -EINPROGRESS);
	assert_int_equal(vtpm_poll(&f->v, VTPM_DOOR_NODE), 0);
	assert_int_equal(vtpm_write_accept(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), -EBUSY);
	vtpm_write_run(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12);
	assert_true(vtpm_poll(&f->v, VTPM_DOOR_NODE) & POLLIN);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 20);
	assert_int_equal(get_be32(resp + 6), 0);
	/* a run with nothing accepted does nothing */
	vtpm_write_run(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 0);
	/* closed between accept and run: the run ends, nobody reads it */
	assert_int_equal(vtpm_write_accept(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12), 12);
	vtpm_release(&f->v, VTPM_DOOR_NODE);
	vtpm_write_run(&f->v, VTPM_DOOR_NODE, cmd_getrandom8, 12);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), 0);
	assert_int_equal(vtpm_read(&f->v, VTPM_DOOR_NODE, resp, sizeof(resp)), 0);
}

static void test_not_running(void **state)
{
	struct fixture *f = *state;
	uint8_t arg[8192] = { 0 };
	uint8_t resp[64];
	static const unsigned int needs_running[] = {
		PTM_GET_TPMESTABLISHED, PTM_RESET_TPMESTABLISHED, PTM_HASH_START,
		PTM_HASH_DATA, PTM_HASH_END, PTM_CANCEL_TPM_CMD, PTM_STORE_VOLATILE,
		PTM_GET_STATEBLOB,
	};

	/* a command before INIT: the 10-byte TPM 2 fatal error */
	transact(&f->v, cmd_getrandom8, sizeof(cmd_getrandom8), resp, sizeof(resp));
	assert_int_equal(get_be32(resp + 2), 10);
	assert_int_equal(resp[0] << 8 | resp[1], 0x8001);
	assert_int_equal(get_be32(resp + 6), 0x101);

	for (size_t i = 0; i < sizeof(needs_running) / sizeof(needs_running[0]); i++) {
		memset(arg, 0, sizeof(arg));
		assert_int_equal(ioctl_res(&f->v, needs_running[i], arg), TPM_BAD_ORDINAL);
	}
	memset(arg, 0, sizeof(arg));
	assert_int_equal(ioctl_res(&f->v, PTM_GET_CAPABILITY, arg), 0x16fff);

	assert_int_equal(do_init(&f->v, PTM_INIT_FLAG_DELETE_VOLATILE), 0);
	assert_int_equal(rc_of(&f->v, cmd_getrandom8, 12), 0x100); /* TPM_RC_INITIALIZE */
}

static void test_ioctl_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t arg[8192] = { 0 };
	size_t out;
	struct ptm_loc *loc = (struct ptm_loc *)arg;
	struct ptm_reset_est *rst = (struct ptm_reset_est *)arg;
	struct ptm_hdata *hd = (struct ptm_hdata *)arg;
	struct ptm_setbuffersize *bs = (struct ptm_setbuffersize *)arg;
	struct ptm_getinfo *gi = (struct ptm_getinfo *)arg;

	loc->u.req.loc = 5;
	assert_int_equal(ioctl_res(&f->v, PTM_SET_LOCALITY, arg), TPM_BAD_LOCALITY);
	memset(arg, 0, sizeof(arg));
	loc->u.req.loc = 4;
	assert_int_equal(ioctl_res(&f->v, PTM_SET_LOCALITY, arg), 0);
	memset(arg, 0, sizeof(arg));
	rst->u.req.loc = 5;
	assert_int_equal(ioctl_res(&f->v, PTM_RESET_TPMESTABLISHED, arg), TPM_BAD_LOCALITY);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(ioctl_res(&f->v, PTM_HASH_START, arg), 0);
	hd->u.req.length = 4097;
	assert_int_equal(ioctl_res(&f->v, PTM_HASH_DATA, arg), TPM_FAIL);
	memset(arg, 0, sizeof(arg));
	bs->u.req.buffersize = 3000;
	assert_int_equal(ioctl_res(&f->v, PTM_SET_BUFFERSIZE, arg), TPM_BAD_ORDINAL);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(ioctl_res(&f->v, PTM_SET_BUFFERSIZE, arg), 0);
	assert_int_equal(bs->u.resp.buffersize, 4096);
	assert_true(bs->u.resp.minsize > 0 && bs->u.resp.minsize < 4096);
	memset(arg, 0, sizeof(arg));
	gi->u.req.flags = SWTPM_INFO_TPMSPECIFICATION;
	assert_int_equal(ioctl_res(&f->v, PTM_GET_INFO, arg), 0);
	assert_int_equal(gi->u.resp.totlength, strlen(gi->u.resp.buffer) + 1);
	assert_non_null(strstr(gi->u.resp.buffer, "\"family\":\"2.0\""));
	memset(arg, 0, sizeof(arg));
	gi->u.req.flags = SWTPM_INFO_TPMSPECIFICATION;
	gi->u.req.offset = 100000;
	assert_int_equal(ioctl_res(&f->v, PTM_GET_INFO, arg), TPM_BAD_PARAMETER);
	assert_int_equal(vtpm_ioctl(&f->v, VTPM_DOOR_NODE, PTM_SET_DATAFD, arg, &out), -EINVAL);
	assert_int_equal(vtpm_ioctl(&f->v, VTPM_DOOR_NODE, _IOR('P', 99, uint32_t), arg, &out), -EINVAL);
	assert_int_equal(vtpm_ioctl(&f->v, VTPM_DOOR_NODE, _IOR('Q', 0, uint64_t), arg, &out), -EINVAL);
	memset(arg, 0, sizeof(arg));
	assert_int_equal(ioctl_res(&f->v, PTM_SET_STATEBLOB, arg), TPM_BAD_ORDINAL);
}

/* Firmware suspend: the client's own Shutdown(SU_STATE) survives INIT. */
static void test_suspend_resume(void **state)
{
	struct fixture *f = *state;
	uint8_t before[32], after[32];

	pcr_extend1(&f->v, 0xab);
	pcr_read1(&f->v, before);
	assert_int_equal(rc_of(&f->v, cmd_shutdown_state, 12), 0);
	assert_int_equal(rc_of(&f->v, cmd_getrandom8, 12), 0);
	assert_int_equal(do_init(&f->v, 0), 0);
	assert_int_equal(rc_of(&f->v, cmd_startup_state, 12), 0);
	pcr_read1(&f->v, after);
	assert_memory_equal(before, after, 32);
}

/* No client Shutdown: vtpmd sends Shutdown(SU_STATE) itself before INIT. */
static void test_auto_shutdown(void **state)
{
	struct fixture *f = *state;
	uint8_t before[32], after[32];

	pcr_extend1(&f->v, 0xcd);
	pcr_read1(&f->v, before);
	assert_int_equal(do_init(&f->v, 0), 0);
	assert_int_equal(rc_of(&f->v, cmd_startup_state, 12), 0);
	pcr_read1(&f->v, after);
	assert_memory_equal(before, after, 32);
}

/* The same sequence without the rule: there is no state to resume. */
static void test_auto_shutdown_disabled(void **state)
{
	struct fixture *f = *state;

	pcr_extend1(&f->v, 0xcd);
	assert_int_equal(do_init(&f->v, 0), 0);
	/* TPM_RC_VALUE for parameter 1: no saved state to resume */
	assert_int_equal(rc_of(&f->v, cmd_startup_state, 12), 0x1c4);
}

static void get_blob(struct vtpm *v, uint32_t type, uint8_t **blob, uint32_t *len)
{
	uint8_t arg[8192];
	struct ptm_getstate *g = (struct ptm_getstate *)arg;
	uint32_t off = 0, total;

	*blob = NULL;
	do {
		memset(arg, 0, sizeof(arg));
		g->u.req.type = type;
		g->u.req.offset = off;
		assert_int_equal(ioctl_res(v, PTM_GET_STATEBLOB, arg), 0);
		total = g->u.resp.totlength;
		if (!*blob)
			*blob = malloc(total);
		assert_true(off + g->u.resp.length <= total);
		memcpy(*blob + off, g->u.resp.data, g->u.resp.length);
		off += g->u.resp.length;
	} while (off < total);
	*len = total;
}

static void set_blob(struct vtpm *v, uint32_t type, const uint8_t *blob, uint32_t len)
{
	uint8_t arg[8192];
	struct ptm_setstate *s = (struct ptm_setstate *)arg;
	uint32_t off = 0, n;

	do {
		n = len - off > PTM_STATE_BLOB_SIZE ? PTM_STATE_BLOB_SIZE : len - off;
		memset(arg, 0, sizeof(arg));
		s->u.req.type = type;
		s->u.req.length = n;
		memcpy(s->u.req.data, blob + off, n);
		assert_int_equal(ioctl_res(v, PTM_SET_STATEBLOB, arg), 0);
		off += n;
	} while (n == PTM_STATE_BLOB_SIZE);
}

static void test_state_blob_round_trip(void **state)
{
	struct fixture *f = *state;
	uint8_t before[32], after[32], arg[8192] = { 0 };
	uint8_t *perm, *vol;
	uint32_t perm_len, vol_len;

	pcr_extend1(&f->v, 0x42);
	pcr_read1(&f->v, before);
	get_blob(&f->v, PTM_BLOB_TYPE_PERMANENT, &perm, &perm_len);
	get_blob(&f->v, PTM_BLOB_TYPE_VOLATILE, &vol, &vol_len);
	assert_true(vol_len > 2 * PTM_STATE_BLOB_SIZE);     /* several chunks */
	assert_int_equal(perm[0], 2);                        /* swtpm header v2 */
	assert_int_equal(perm[5], 0x04);                     /* MIGRATION_DATA */

	assert_int_equal(ioctl_res(&f->v, PTM_STOP, arg), 0);
	set_blob(&f->v, PTM_BLOB_TYPE_PERMANENT, perm, perm_len);
	set_blob(&f->v, PTM_BLOB_TYPE_VOLATILE, vol, vol_len);
	assert_int_equal(do_init(&f->v, 0), 0);
	/* the volatile state resumed: no Startup needed, PCR value kept */
	pcr_read1(&f->v, after);
	assert_memory_equal(before, after, 32);
	free(perm);
	free(vol);
}

static void test_set_blob_rejects_garbage(void **state)
{
	struct fixture *f = *state;
	uint8_t arg[8192] = { 0 };
	struct ptm_setstate *s = (struct ptm_setstate *)arg;

	assert_int_equal(ioctl_res(&f->v, PTM_STOP, arg), 0);
	memset(arg, 0, sizeof(arg));
	s->u.req.type = PTM_BLOB_TYPE_PERMANENT;
	s->u.req.length = 100;
	memset(s->u.req.data, 0x5a, 100);
	/* its "header" claims 0x5a5a5a5a bytes: swtpm's TPM_BAD_PARAMETER */
	assert_int_equal(ioctl_res(&f->v, PTM_SET_STATEBLOB, arg), TPM_BAD_PARAMETER);
	memset(arg, 0, sizeof(arg));
	s->u.req.type = PTM_BLOB_TYPE_PERMANENT;
	s->u.req.length = PTM_STATE_BLOB_SIZE + 1;
	assert_int_equal(ioctl_res(&f->v, PTM_SET_STATEBLOB, arg), TPM_BAD_PARAMETER);
	/* the state on disk still loads */
	assert_int_equal(do_init(&f->v, 0), 0);
}

/* A restart with startup-clear over a saved volatile state resumes it. */
static void test_restart_over_volatile_state(void **state)
{
	struct fixture *f = *state;
	uint8_t before[32], after[32], arg[8192] = { 0 };

	pcr_extend1(&f->v, 0x77);
	pcr_read1(&f->v, before);
	assert_int_equal(ioctl_res(&f->v, PTM_STORE_VOLATILE, arg), 0);
	f->opt.tpm.auto_shutdown = false;       /* an abrupt end, no Shutdown */
	f->v.tpm.opt.auto_shutdown = false;
	vtpm_release(&f->v, VTPM_DOOR_NODE);
	vtpm_fini(&f->v);
	assert_int_equal(vtpm_init(&f->v, &f->opt), 0);
	assert_int_equal(vtpm_start(&f->v), 0);
	assert_int_equal(vtpm_open(&f->v, VTPM_DOOR_NODE), 0);
	pcr_read1(&f->v, after);
	assert_memory_equal(before, after, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_getrandom_and_partial_reads, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_write_rules, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_single_open, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_accept_then_run, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_release_drops_response, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_not_running, setup_stopped, teardown),
		cmocka_unit_test_setup_teardown(test_ioctl_errors, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_resume, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_auto_shutdown, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_auto_shutdown_disabled, setup_no_auto, teardown),
		cmocka_unit_test_setup_teardown(test_state_blob_round_trip, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_set_blob_rejects_garbage, setup_running, teardown),
		cmocka_unit_test_setup_teardown(test_restart_over_volatile_state, setup_running, teardown),
	};

	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
