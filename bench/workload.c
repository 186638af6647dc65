/* SPDX-License-Identifier: BSD-3-Clause */
/* workload.c - the measured TPM operations (see workload.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tpm_cmds.h"
#include "workload.h"

const char *op_name(enum op op)
{
	static const char *const names[OP_COUNT] = {
		[OP_GETRANDOM] = "GetRandom(32)",
		[OP_PCR_EXTEND] = "PCR_Extend (SHA-256)",
		[OP_NV_INCREMENT] = "NV_Increment",
		[OP_CREATE_RSA] = "CreatePrimary RSA-2048",
		[OP_CREATE_ECC] = "CreatePrimary ECC P-256",
	};

	return op < OP_COUNT ? names[op] : "?";
}

ssize_t fd_transact(void *ctx, const uint8_t *cmd, size_t len,
		    uint8_t *resp, size_t cap)
{
	int fd = *(int *)ctx;
	ssize_t n;

	n = write(fd, cmd, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	n = read(fd, resp, cap);
	return n < 0 ? -errno : n;
}

/* Send CMD; 0 if it answered with one of the ACCEPTED result codes. */
static int expect(const struct xport *x, const uint8_t *cmd, size_t len,
		  uint8_t *resp, size_t *resp_len, const char *what,
		  uint32_t ok1, uint32_t ok2)
{
	ssize_t n = x->transact(x->ctx, cmd, len, resp, RESP_MAX);
	uint32_t rc;

	if (n < 0) {
		fprintf(stderr, "bench: %s via %s: %s\n", what, x->name, strerror((int)-n));
		return (int)n;
	}
	rc = resp_rc(resp, (size_t)n);
	if (rc != ok1 && rc != ok2) {
		fprintf(stderr, "bench: %s via %s: TPM result 0x%x\n", what, x->name, rc);
		return -EPROTO;
	}
	if (resp_len)
		*resp_len = (size_t)n;
	return 0;
}

int workload_prepare(const struct xport *x)
{
	uint8_t cmd[CMD_MAX], resp[RESP_MAX];
	size_t len = cmd_nv_define_counter(cmd);

	return expect(x, cmd, len, resp, NULL, "NV_DefineSpace", 0, TPM2_RC_NV_DEFINED);
}

static size_t build(enum op op, uint8_t *cmd, size_t i)
{
	switch (op) {
	case OP_GETRANDOM:
		return cmd_getrandom(cmd, 32);
	case OP_PCR_EXTEND:
		return cmd_pcr_extend(cmd, (uint8_t)i);
	case OP_NV_INCREMENT:
		return cmd_nv_increment(cmd);
	case OP_CREATE_RSA:
		return cmd_create_primary_rsa2048(cmd);
	case OP_CREATE_ECC:
		return cmd_create_primary_ecc_p256(cmd);
	case OP_COUNT:
		break;
	}
	return 0;
}

static int flush_if_created(const struct xport *x, enum op op,
			    const uint8_t *resp, size_t len)
{
	uint8_t cmd[CMD_MAX], fresp[RESP_MAX];
	uint32_t h;

	if (op != OP_CREATE_RSA && op != OP_CREATE_ECC)
		return 0;
	h = resp_handle(resp, len);
	if (!h) {
		fprintf(stderr, "bench: %s via %s: no handle\n", op_name(op), x->name);
		return -EPROTO;
	}
	return expect(x, cmd, cmd_flush_context(cmd, h), fresp, NULL,
		      "FlushContext", 0, 0);
}

/* One OP: 0, or -errno / -EPROTO (a message on stderr); its latency (the
 * CreatePrimary alone, not the flush) in *NS. */
static int run_once(const struct xport *x, enum op op, size_t i,
		    int any_response, uint64_t *ns)
{
	uint8_t cmd[CMD_MAX], resp[RESP_MAX];
	size_t len = build(op, cmd, i);
	uint64_t t0;
	ssize_t r;

	t0 = now_ns();
	r = x->transact(x->ctx, cmd, len, resp, sizeof(resp));
	*ns = now_ns() - t0;
	if (r < 0) {
		fprintf(stderr, "bench: %s via %s: %s\n", op_name(op), x->name,
			strerror((int)-r));
		return (int)r;
	}
	if (any_response)
		return 0;
	if (resp_rc(resp, (size_t)r) != 0) {
		fprintf(stderr, "bench: %s via %s: TPM result 0x%x\n", op_name(op),
			x->name, resp_rc(resp, (size_t)r));
		return -EPROTO;
	}
	return flush_if_created(x, op, resp, (size_t)r);
}

int workload_run(const struct xport *x, enum op op, size_t n, size_t warmup,
		 int any_response, uint64_t deadline, struct samples *out)
{
	bool create = op == OP_CREATE_RSA || op == OP_CREATE_ECC;
	uint64_t ns, start, timed = 0;
	size_t i;
	int ret;

	for (i = 0; i < warmup; i++)
		if ((ret = run_once(x, op, i, any_response, &ns)) < 0)
			return ret;
	start = now_ns();
	for (i = 0; i < n; i++) {
		if ((ret = run_once(x, op, i, any_response, &ns)) < 0)
			return ret;
		samples_add(out, ns);
		timed += ns;
		if (deadline && now_ns() > deadline)
			break;
	}
	/* A CreatePrimary's throughput counts creation only, not the flushes. */
	out->wall_ns += create ? timed : now_ns() - start;
	return 0;
}

int workload_mix(const struct xport *x, size_t n)
{
	struct samples none = { 0 };
	int ret;

	ret = workload_run(x, OP_GETRANDOM, n / 2, 0, false, 0, &none);
	if (ret == 0)
		ret = workload_run(x, OP_PCR_EXTEND, n - n / 2, 0, false, 0, &none);
	return ret;
}
