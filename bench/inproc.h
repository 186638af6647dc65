/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inproc.h - libtpms in this process, no transport: the TPM's own cost.
 *
 * The TPM is loaded from (or manufactured into) a vtpmd state directory
 * through vtpmd's own store, so a daemon started on the same directory
 * afterwards has the same seeds and does the same work for the same
 * command (a CreatePrimary derives the very same key). Once started, state
 * writes go nowhere: what is measured is libtpms, not the disk.
 */
#ifndef BENCH_INPROC_H
#define BENCH_INPROC_H

#include "workload.h"

/* Start libtpms on DIR (created if missing), send Startup(CLEAR), define
 * the bench's NV counter, then close the store so a daemon may lock DIR.
 * 0 or -EIO (a message on stderr). */
int inproc_start(const char *dir);
void inproc_stop(void);
/* The transport for workload_run(). */
extern const struct xport inproc_xport;

#endif
