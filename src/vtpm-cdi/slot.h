/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slot.h - which container holds which slot, in the pool's run directory.
 *
 *   RUN/lock        flock()ed by a hook for all it does: hooks of one pool
 *                   run one at a time
 *   RUN/slot-N      a symlink naming the container id that holds slot N
 *                   (made with symlinkat: taking a slot is one atomic step)
 *   RUN/c-ID/       that container's vtpmd.pid, vtpmd.log, setup.log and,
 *                   without --persistent, its TPM state (state/)
 *
 * RUN is 0711: vtpmd, serving as --runas, must reach its state below it;
 * nobody else may list it. Functions return 0 or -errno.
 */
#ifndef VTPM_CDI_SLOT_H
#define VTPM_CDI_SLOT_H

#include <stddef.h>
#include <sys/types.h>

#include "vtpm-cdi/oci_state.h"

struct run_dir {
	int fd;
	int lock_fd;
};

/* Open (create) PATH and take its lock; waits for another hook. */
int run_dir_open_locked(const char *path, struct run_dir *r);
void run_dir_close(struct run_dir *r);

/* "c-ID" */
int container_dir_name(char *buf, size_t len, const char *id);

/*
 * Take slot N for ID. If another container holds it and its vtpmd (the
 * program VTPMD, pid from its c-OWNER/vtpmd.pid) still runs: -EBUSY with
 * the holder's id in OWNER. A holder whose vtpmd is gone left the claim
 * behind (its poststop never ran): the slot is taken over.
 */
int slot_claim(struct run_dir *r, unsigned n, const char *id, const char *vtpmd,
	       char *owner, size_t owner_len);
/* The id holding slot N (-ENOENT if none). */
int slot_owner(struct run_dir *r, unsigned n, char *owner, size_t owner_len);
int slot_release(struct run_dir *r, unsigned n);

/* The pid in c-ID/vtpmd.pid, or -errno. */
pid_t container_vtpmd_pid(struct run_dir *r, const char *id);

#endif
