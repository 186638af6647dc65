/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proc.h - the programs a hook runs (vtpmd, a setup program) and the
 * vtpmd it stops. Functions return what they say, or -errno.
 */
#ifndef VTPM_CDI_PROC_H
#define VTPM_CDI_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct privs_user;

/*
 * Run ARGV (ARGV[0] an absolute path) with ENVP and stdin on /dev/null;
 * wait for it. Its stdout and stderr go to OUT_FD if that is >= 0, else
 * into CAPTURE (at most CAPTURE_LEN - 1 bytes are kept, NUL-terminated).
 * With USER, the program runs as that user with no capability and
 * no_new_privs. Returns its exit status, 128 + the signal that ended it, or
 * -errno if it could not be started.
 */
int proc_run(char *const argv[], char *const envp[], const struct privs_user *user,
	     int out_fd, char *capture, size_t capture_len);

/*
 * Stop PID if it is still the program EXE (compared through /proc/PID/exe,
 * so a recycled pid is left alone): SIGTERM, then SIGKILL after TIMEOUT
 * seconds. Returns 1 if it ended on SIGTERM, 2 if it had to be killed, 0
 * if it was not running (or is another program now), -errno.
 */
int proc_stop(pid_t pid, const char *exe, unsigned timeout);

/* Whether PID runs EXE. */
int proc_is(pid_t pid, const char *exe);

#endif
