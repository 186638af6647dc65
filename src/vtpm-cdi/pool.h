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

/* SELF: this program's absolute path, for the hooks. What could only fail
 * when a container starts is refused here: a major the kernel will not
 * register (pool_check_major() on /proc/devices), an unknown --runas user,
 * a spec directory others may write (pool_check_dir()). */
int pool_write(struct cdi_opts *o, const char *self);
int pool_remove(const struct cdi_opts *o);

/* MAJOR can be a CUSE node's: below the kernel's 512 character majors and
 * not another driver's in DEVICES, the text of /proc/devices ("cuse" is
 * ours). 0, or -EBUSY/-ERANGE with one line in ERR. */
int pool_check_major(unsigned major, const char *devices, char *err, size_t errlen);

/* The root hooks written into DIR run as root: DIR must be root's (or this
 * user's) and writable by nobody else, every directory above it too
 * unless sticky. 0, or -errno with one line in ERR. */
int pool_check_dir(const char *dir, char *err, size_t errlen);

#endif
