/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_rm.c - the resource manager's command rewriting with many spaces at
 * once, beside the raw node, on a real libtpms: each input is a program of
 * operations on up to 8 open files of /dev/vtpmrmN and on the raw node.
 * Commands are arbitrary bytes, or real commands (tests/unit/tpm2_cmds.h)
 * naming handles from a table of the interesting ones -- other spaces'
 * virtual handles, physical transient handles, session handles, the
 * contexts earlier responses carried -- with some of their bytes changed.
 *
 * After each input every space is closed and the raw node's objects are
 * flushed: the TPM must then hold no object and no session (nothing of a
 * space outlives it), and every response must have had a well-formed
 * header.
 *
 * Operation bytes (the byte modulo 9 picks; [s] is a space number):
 *   0 open            [s]
 *   1 release         [s]
 *   2 write raw       [s] [len:2] [bytes]
 *   3 write command   [s] [which] [handle picks...] [n] n x ([pos:2] [byte])
 *   4 read            [s] [len:2]
 *   5 poll            [s]
 *   6 raw node        [which] [handle picks...]
 *   7 context load    [s] [n] n x ([pos:2] [byte])   (the last context seen)
 *   8 power cycle     (INIT, then Startup through the raw node)
 */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_vtpm.h"
#include "rm/rm.h"
#include "tpm2_cmds.h"
#include "vtpm/ioctl.h"

#define SPACES 8

static struct rm *rm;
static struct rm_space *space[SPACES];
static uint8_t cmd[T2_CMD_MAX];
static uint8_t buf[T2_CMD_MAX + 16];
static uint8_t ctx[T2_CMD_MAX];         /* the last context a response carried */
static uint32_t ctx_len;
static uint32_t raw_handles[32];         /* what the raw node made */
static unsigned nraw;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_vtpm_setup();
	return 0;
}

static uint32_t pick_handle(struct fuzz_input *in)
{
	static const uint32_t base[] = {
		0x80FFFFFFu, 0x80000000u, 0x02000000u, 0x03000000u,
		TPM2_RH_OWNER, TPM2_RS_PW, TPM2_RH_NULL, 0x81000000u,
	};
	uint8_t b = fuzz_u8(in);

	/* low 3 bits: the kind; the rest: how far into its range */
	if ((b & 7) == 0)
		return base[0] - (b >> 3);
	return base[b & 7] + (b >> 3);
}

static uint32_t build(struct fuzz_input *in)
{
	uint8_t which = fuzz_u8(in);
	uint32_t h = pick_handle(in);

	switch (which % 14) {
	case 0: return t2_create_primary(cmd, which & 0x10, NULL, fuzz_u8(in));
	case 1: return t2_read_public(cmd, h);
	case 2: return t2_sign(cmd, h, 1, pick_handle(in) & ((which & 0x10) ? ~0u : 0));
	case 3: return t2_flush(cmd, h);
	case 4: return t2_context_save(cmd, h);
	case 5: return t2_start_session(cmd, which >> 6);
	case 6: return t2_policy_pcr(cmd, h);
	case 7: return t2_policy_get_digest(cmd, h);
	case 8: return t2_get_cap(cmd, TPM2_CAP_HANDLES, h, fuzz_u8(in));
	case 9: return t2_hash_sequence_start(cmd);
	case 10: return t2_sequence(cmd, h, which & 0x10, "abc", 3);
	case 11: return t2_get_random(cmd, 8);
	case 12: return t2_context_load(cmd, ctx, ctx_len);
	default: return t2_startup_clear(cmd);
	}
}

/* Change N bytes of the LEN in cmd, as the input says. */
static void mutate(struct fuzz_input *in, uint32_t len)
{
	unsigned n = fuzz_u8(in) & 7;

	for (unsigned i = 0; i < n && len; i++) {
		uint16_t pos = (uint16_t)fuzz_u32(in, 2);

		cmd[pos % len] = fuzz_u8(in);
	}
}

/* A whole response: its header says its size; a context it carries is
 * kept for later ContextLoads. */
static void check_response(const uint8_t *r, ssize_t n, bool whole)
{
	if (n < 0 || n > (ssize_t)sizeof(buf))
		abort();
	if (!whole || n == 0)
		return;
	if (n < 10 || get_be32(r + 2) != (uint32_t)n)
		abort();
	/* a ContextSave response: a TPMS_CONTEXT after the header */
	if (get_be32(r + 6) == 0 && n > 10 + 18 && get_be32(r + 10) == 0 &&
	    (uint32_t)(n - 10) <= sizeof(ctx) && get_be16(r + 26) == (uint32_t)n - 28) {
		memcpy(ctx, r + 10, (size_t)n - 10);
		ctx_len = (uint32_t)n - 10;
	}
}

static void do_write(struct rm_space *s, const uint8_t *p, uint32_t len)
{
	ssize_t n;

	if (rm_write(s, p, len) != (ssize_t)len)
		return;
	n = rm_read(s, buf, sizeof(buf));
	check_response(buf, n, true);
}

static ssize_t raw_xfer(uint32_t len)
{
	if (vtpm_write(&fuzz_vtpm, VTPM_DOOR_NODE, cmd, len) != (ssize_t)len)
		return -1;
	return vtpm_read(&fuzz_vtpm, VTPM_DOOR_NODE, buf, sizeof(buf));
}

static void raw_node(struct fuzz_input *in)
{
	uint32_t len = build(in), cc = get_be32(cmd + 6);
	ssize_t n = raw_xfer(len);

	if (n >= 14 && get_be32(buf + 6) == 0 && nraw < 32 &&
	    (cc == TPM2_CC_CreatePrimary || cc == TPM2_CC_ContextLoad ||
	     cc == TPM2_CC_HashSequenceStart || cc == TPM2_CC_StartAuthSession))
		raw_handles[nraw++] = get_be32(buf + 10);
}

static void power_cycle(void)
{
	struct ptm_init init = { 0 };
	size_t out_len = 0;

	if (vtpm_ioctl(&fuzz_vtpm, VTPM_DOOR_NODE, PTM_INIT, &init, &out_len) == 0)
		raw_xfer(t2_startup_clear(cmd));
	nraw = 0;               /* the power cycle flushed them */
}

/* What the TPM holds of a handle range, through the raw node. */
static uint32_t tpm_count(uint32_t first)
{
	ssize_t n = raw_xfer(t2_get_cap(cmd, TPM2_CAP_HANDLES, first, 64));

	if (n < 19 || get_be32(buf + 6) != 0)
		return 0;       /* not running: nothing held */
	return get_be32(buf + 15);
}

static void end_input(void)
{
	for (unsigned i = 0; i < SPACES; i++)
		if (space[i]) {
			rm_release(space[i]);
			space[i] = NULL;
		}
	rm_free(rm);
	rm = NULL;
	for (unsigned i = 0; i < nraw; i++)
		raw_xfer(t2_flush(cmd, raw_handles[i]));
	nraw = 0;
	if (tpm_count(0x80000000u) != 0 || tpm_count(0x02000000u) != 0 ||
	    tpm_count(0x03000000u) != 0) {
		fprintf(stderr, "fuzz_rm: a space's object or session outlived it\n");
		abort();
	}
	vtpm_release(&fuzz_vtpm, VTPM_DOOR_NODE);
	fuzz_vtpm_recover();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct rm_options opt = { .max_objects = 4, .max_sessions = 6 };

	if (vtpm_open(&fuzz_vtpm, VTPM_DOOR_NODE) < 0)
		abort();
	if (rm_new(&rm, vtpm_tpm(&fuzz_vtpm), &opt) < 0)
		abort();
	while (in.left) {
		uint8_t op = fuzz_u8(&in) % 9;
		unsigned i = op == 6 || op == 8 ? 0 : fuzz_u8(&in) % SPACES;
		struct rm_space *s = space[i];
		uint32_t len;
		size_t got;
		const uint8_t *p;

		switch (op) {
		case 0:
			if (!s && rm_open(rm, &space[i]) < 0)
				abort();
			break;
		case 1:
			if (s)
				rm_release(s);
			space[i] = NULL;
			break;
		case 2:
			len = fuzz_u32(&in, 2) % (TPM_MAX_COMMAND_SIZE + 2);
			p = fuzz_bytes(&in, len, &got);
			if (s)
				do_write(s, p, (uint32_t)got);
			break;
		case 3:
			len = build(&in);
			mutate(&in, len);
			if (s)
				do_write(s, cmd, len);
			break;
		case 4:
			len = fuzz_u32(&in, 2) % sizeof(buf);
			if (s)
				check_response(buf, rm_read(s, buf, len), false);
			break;
		case 5:
			if (s && (rm_poll(s) & ~(unsigned)(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)))
				abort();
			break;
		case 6:
			raw_node(&in);
			break;
		case 7:
			len = t2_context_load(cmd, ctx, ctx_len);
			mutate(&in, len);
			if (s)
				do_write(s, cmd, len);
			break;
		case 8:
			power_cycle();
			break;
		}
	}
	end_input();
	return 0;
}
