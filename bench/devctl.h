/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devctl.h - control ioctls on an open device: latency of one request, and
 * the state-blob transfer of a migration (GET_STATEBLOB out of a running
 * TPM, SET_STATEBLOB + INIT into a stopped one), by ioctl chunks or by
 * read()/write() after the first ioctl.
 *
 * Functions return 0 or -errno (-EPROTO: the device answered a TPM error,
 * reported on stderr).
 */
#ifndef BENCH_DEVCTL_H
#define BENCH_DEVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* Send REQ (a restricted ioctl; the buffer is zeroed) N times after WARMUP,
 * or until DEADLINE (now_ns(); 0: none) after at least one. */
int ioctl_latency(int fd, unsigned long req, size_t n, size_t warmup,
		  uint64_t deadline, struct samples *out);

struct blob {
	uint32_t type;          /* PTM_BLOB_TYPE_* */
	uint32_t flags;         /* as GET reported them, handed back to SET */
	uint8_t *data;
	uint32_t len;
};

/* Get blob B->type from a running TPM: by ioctl chunks, or by one ioctl
 * and then read(). B->data is malloc'ed. */
int blob_get(int fd, struct blob *b, bool by_read);
/* Put B into a stopped TPM: by ioctl chunks, or by an empty first chunk,
 * write(), and an empty final chunk. */
int blob_set(int fd, const struct blob *b, bool by_write);
void blob_free(struct blob *b);

int ptm_stop(int fd);
int ptm_init(int fd);

#endif
