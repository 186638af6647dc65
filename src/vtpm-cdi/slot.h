/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slot.h - which container holds which slot, in the pool's run directory.
 *
 *   RUN/lock        flock()ed by a hook for all it does: hooks of one pool
 *                   run one at a time
 *   RUN/claim-SLOT  the claim on slot SLOT (its CDI name, e.g. slot3: pools
 *                   with other prefixes may share RUN): a symlink whose
 *                   target is "ID PID START BOOT", the container's id and
 *                   the identity of its init process when it claimed the
 *                   slot (proc.h); replaced in one rename, so a claim is
 *                   always whole
 *   RUN/c-ID/       that container's vtpmd.pid (written by vtpmd),
 *                   vtpmd.id (the identity of that vtpmd, written by the
 *                   hook once it started), vtpmd.log, setup.log and,
 *                   without --persistent, its TPM state (state/)
 *
 * A slot belongs to a container, not to a daemon: the claim lasts until
 * that container's poststop, or until its init is provably gone (another
 * start time in its pid, another boot). Whether its vtpmd still runs says
 * nothing: a container whose vtpmd ended (PTM_SHUTDOWN, a crash, a kill)
 * still holds the node's numbers in its device cgroup, and must not reach
 * the next container's TPM through them.
 *
 * RUN is 0711: vtpmd, serving as --runas, must reach its state below it;
 * nobody else may list it. Functions return 0 or -errno unless they say.
 */
#ifndef VTPM_CDI_SLOT_H
#define VTPM_CDI_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vtpm-cdi/oci_state.h"
#include "vtpm-cdi/proc.h"

struct run_dir {
	int fd;
	int lock_fd;
};

/* Open (create) PATH and take its lock; waits for another hook. */
int run_dir_open_locked(const char *path, struct run_dir *r);
void run_dir_close(struct run_dir *r);

/* "c-ID" */
int container_dir_name(char *buf, size_t len, const char *id);

/* Who holds a slot: the container's id, and its init as it claimed. */
struct slot_holder {
	char id[OCI_ID_MAX + 1];
	bool has_init;          /* false: a claim without one (older format) */
	struct proc_id init;
};

enum slot_state {
	SLOT_FREE,              /* no claim */
	SLOT_OURS,              /* this container's own claim (create run again) */
	SLOT_HELD,              /* another container, and its init still runs */
	SLOT_ABANDONED,         /* another container, provably gone without
				 * its poststop: the slot may be taken over */
	SLOT_IN_DOUBT,          /* a claim that cannot be read, or whose
				 * holder's life cannot be told: refused */
};

/*
 * What slot SLOT is to container ID. *H gets the holder (all but FREE; for
 * IN_DOUBT as much as could be read), WHY one line for IN_DOUBT. Returns
 * an enum slot_state, or -errno if the claim cannot be looked at.
 */
int slot_examine(struct run_dir *r, const char *slot, const char *id, struct slot_holder *h,
		 char *why, size_t whylen);

/* Claim SLOT for ID, whose init is INIT, in place of any claim there. */
int slot_take(struct run_dir *r, const char *slot, const char *id, const struct proc_id *init);

/* The holder of SLOT: -ENOENT if none, -EINVAL if the claim names no
 * valid container id. */
int slot_owner(struct run_dir *r, const char *slot, struct slot_holder *h);
int slot_release(struct run_dir *r, const char *slot);

/* The pid in c-ID/vtpmd.pid, or -errno. */
pid_t container_vtpmd_pid(struct run_dir *r, const char *id);

/* Once vtpmd started for ID: its identity (from its pid file) into
 * c-ID/vtpmd.id, and into *OUT. */
int container_vtpmd_record(struct run_dir *r, const char *id, struct proc_id *out);
/* The identity c-ID/vtpmd.id holds: -ENOENT if there is none. */
int container_vtpmd(struct run_dir *r, const char *id, struct proc_id *out);

#endif
