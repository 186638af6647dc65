/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * workload.h - the measured TPM operations, run through any transport: a
 * device file (write/read on the fd) or libtpms in-process. The same bytes
 * go through both, so their latencies can be subtracted.
 */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stats.h"

/* One command in, one whole response out: its length, or -errno. */
struct xport {
	const char *name;
	ssize_t (*transact)(void *ctx, const uint8_t *cmd, size_t len,
			    uint8_t *resp, size_t cap);
	void *ctx;
};

enum op {
	OP_GETRANDOM,           /* TPM2_GetRandom(32) */
	OP_PCR_EXTEND,          /* TPM2_PCR_Extend, SHA-256 */
	OP_NV_INCREMENT,        /* TPM2_NV_Increment of a counter index */
	OP_CREATE_RSA,          /* TPM2_CreatePrimary RSA-2048 (+ untimed flush) */
	OP_CREATE_ECC,          /* TPM2_CreatePrimary ECC P-256 (+ untimed flush) */
	OP_COUNT
};

const char *op_name(enum op op);

/* Ready a TPM for every op: define the NV counter (an existing one is
 * fine). 0 or -EPROTO (a message on stderr). */
int workload_prepare(const struct xport *x);

/*
 * Run OP N times after WARMUP untimed runs, adding each latency to OUT (and
 * the loop's wall time to OUT->wall_ns); stop early, after at least one
 * timed run, once now_ns() passes DEADLINE (0: none), so that a loaded
 * machine gives fewer samples rather than an endless run. A CreatePrimary
 * is timed alone and its handle flushed outside the timing. If
 * ANY_RESPONSE, a response's result code is not checked (the CUSE floor
 * answers anything with a fixed header). 0, or -errno / -EPROTO (a message
 * on stderr).
 */
int workload_run(const struct xport *x, enum op op, size_t n, size_t warmup,
		 int any_response, uint64_t deadline, struct samples *out);

/* N commands of everyday use, half GetRandom(32), half PCR_Extend, untimed
 * (to watch memory). 0 or as workload_run. */
int workload_mix(const struct xport *x, size_t n);

/* A device file as a transport: CTX points at the open fd. */
ssize_t fd_transact(void *ctx, const uint8_t *cmd, size_t len,
		    uint8_t *resp, size_t cap);

#endif
