/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proc.h - the programs a hook runs (vtpmd, a setup program), and the
 * processes it must tell apart later: a container's init and a slot's
 * vtpmd. Functions return what they say, or -errno.
 */
#ifndef VTPM_CDI_PROC_H
#define VTPM_CDI_PROC_H

#include <stddef.h>
#include <stdint.h>
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
 * One process, for as long as it lives: its pid, its start time (clock
 * ticks after boot, field 22 of /proc/PID/stat) and the boot it started in
 * (/proc/sys/kernel/random/boot_id). A pid recycled by another process has
 * another start time; after a reboot the boot id differs; replacing the
 * program's file on disk (an upgrade) changes neither.
 */
#define PROC_BOOT_ID_LEN 36
struct proc_id {
	pid_t pid;
	uint64_t start;
	char boot[PROC_BOOT_ID_LEN + 1];
};

/* The identity of the running process PID: 0, -ESRCH if there is none. */
int proc_id_of(pid_t pid, struct proc_id *id);

/*
 * Whether ID still runs: 1 if PID exists with the same start time in the
 * same boot, 0 if it is provably gone (no such pid, another start time,
 * another boot), -errno if that cannot be told (e.g. /proc is hidden).
 */
int proc_id_alive(const struct proc_id *id);

/* "PID START BOOT", the form kept in files; and back. Parsing is strict:
 * -EINVAL for anything else. */
int proc_id_format(const struct proc_id *id, char *buf, size_t len);
int proc_id_parse(const char *s, struct proc_id *id);

/*
 * Stop ID if it is still that process: SIGTERM, then SIGKILL after TIMEOUT
 * seconds. The check and the signals go through one pidfd, so a pid that is
 * recycled meanwhile is never signalled. Returns 1 if it ended on SIGTERM,
 * 2 if it had to be killed, 0 if it was not running any more, -errno.
 */
int proc_stop(const struct proc_id *id, unsigned timeout);

#endif
