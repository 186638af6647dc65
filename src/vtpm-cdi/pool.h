/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pool.h - the pool's CDI spec: N devices PREFIX0..PREFIXn-1, each the node
 * M:first-minor+i at PATH in the container and its resource-managed node
 * M:first-minor+i+65536 at PATHRM, with a createRuntime and a
 * poststop hook that run "SELF hook create|poststop --slot i ...".
 * Written as DIR/vtpmd-pool-PREFIX.json (atomically). Exit statuses.
 */
#ifndef VTPM_CDI_POOL_H
#define VTPM_CDI_POOL_H

#include "vtpm-cdi/cdi_opts.h"

/* SELF: this program's absolute path, for the hooks. */
int pool_write(struct cdi_opts *o, const char *self);
int pool_remove(const struct cdi_opts *o);

#endif
