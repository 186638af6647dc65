/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swtpm_ref.h - a reference measured in the same run: the distribution's
 * swtpm (same libtpms, same OpenSSL) in socket mode, since Debian builds
 * it without CUSE. It answers "is this number vtpmd's, or the machine's?"
 * for start-up and memory, where the targets are absolute.
 *
 * Functions returning int give 0 or -errno.
 */
#ifndef BENCH_SWTPM_REF_H
#define BENCH_SWTPM_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "swtpm X.Y.Z" from `PATH --version` in VERSION; false if PATH does not
 * run (or fails). */
bool swtpm_version(const char *path, char *version, size_t len);
/* swtpm_version() of the distribution's swtpm; false if it is not
 * installed (the reference rows are then left out). */
bool swtpm_ref_available(char *version, size_t len);

/*
 * Start `swtpm socket --tpm2 --daemon` on the state in DIR with a Unix
 * socket DIR/sock, --flags not-need-init,startup-clear, like vtpmd in the
 * start-up benchmark. Returns once it answered GetRandom(8) through the
 * socket (after *MS milliseconds from the spawn, if MS) with the daemon's
 * pid, or -errno.
 */
pid_t swtpm_ref_start(const char *dir, double *ms);

/* A connection to the swtpm started on DIR, for the workload's fd_transact. */
int swtpm_ref_connect(const char *dir);

#endif
