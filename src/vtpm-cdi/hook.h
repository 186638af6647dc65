/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hook.h - what the runtime runs for a pool slot.
 *
 * createRuntime (in the runtime's namespaces, after the container's /dev
 * node M:m is made, before the container's program runs): take the slot
 * for this container and its init process (slot.h: a slot belongs to a
 * container until its poststop, or until its init is provably gone), make
 * its state directory (a fresh one, or its persistent one), manufacture a
 * new state with --setup, start vtpmd for the slot, record that vtpmd's
 * identity and return once /dev/vtpm-NAME answers. A holder that is gone
 * without its poststop has its vtpmd stopped and its run directory removed
 * first.
 * poststop: if this container holds the slot, stop its vtpmd (orderly:
 * TPM2_Shutdown, state written) and release the slot; remove the
 * container's run directory with its ephemeral state. A vtpmd that cannot
 * be stopped keeps the claim and the directory. A container that never
 * held the slot (its create failed: runc still runs poststop) touches
 * nothing of the holder's.
 *
 * Errors: one line on stderr (runc shows it; crun shows only the exit
 * status) and in RUN/hook.log. Exit status 0, 1, or 16 when the slot is
 * held by another container that still runs, or by a claim in doubt.
 */
#ifndef VTPM_CDI_HOOK_H
#define VTPM_CDI_HOOK_H

#include "vtpm-cdi/cdi_opts.h"

#define HOOK_EXIT_BUSY 16

/* Read the container's state from STATE_FD and act. Returns the exit status. */
int hook_create(const struct cdi_opts *o, int state_fd);
int hook_poststop(const struct cdi_opts *o, int state_fd);

#endif
