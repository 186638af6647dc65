/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inproc.h - libtpms in this process, no transport: the TPM's own cost.
 *
 * The TPM runs through vtpmd's own tpm/ and store/ code, on (or
 * manufactured into) a vtpmd state directory, so a daemon started on the
 * same directory afterwards has the same seeds and does the same work for
 * the same command (a CreatePrimary derives the very same key). Once the
 * bench's NV counter is defined, the TPM is restarted with the store's
 * discard_writes: what is measured is libtpms and vtpmd's command path
 * around it, not the disk, and no lock keeps a daemon from the directory.
 */
#ifndef BENCH_INPROC_H
#define BENCH_INPROC_H

#include "workload.h"

/* Start libtpms on DIR (created if missing), send Startup(CLEAR), define
 * the bench's NV counter, then restart it writing nothing and holding no
 * lock, so a daemon may lock DIR. 0 or -EIO (a message on stderr). */
int inproc_start(const char *dir);
void inproc_stop(void);
/* The transport for workload_run(). */
extern const struct xport inproc_xport;

#endif
