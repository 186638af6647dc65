/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swtpm_cuse.h - upstream swtpm built with CUSE (--swtpm-cuse PATH, from
 * `SWTPM_CUSE=PATH make bench`; Debian builds swtpm without it, and
 * bench/NOTES.md says how to build one): the daemon vtpmd replaces,
 * started the way the bench starts vtpmd.
 *
 * Functions returning int give 0 or -errno.
 */
#ifndef BENCH_SWTPM_CUSE_H
#define BENCH_SWTPM_CUSE_H

#include <sys/types.h>

/*
 * Run `PATH cuse -n NAME --tpm2 --tpmstate dir=DIR --flags
 * not-need-init,startup-clear --pid file=PIDFILE --log file=LOGFILE,level=1`
 * (its stderr into LOGFILE too) and wait for the first answered command
 * on /dev/NAME. swtpm's parent returns before the node exists, so the
 * node's first answer is what tells. Returns the daemon's pid, or -errno;
 * *MS (if MS) gets exec -> first answer.
 */
pid_t swtpm_cuse_start(const char *path, const char *name, const char *dir,
		       const char *pidfile, const char *logfile, double *ms);

#endif
