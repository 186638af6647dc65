/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seccomp.h - the syscall allow-list of the serving daemon.
 *
 * Installed once, after privs_drop(), for every thread of the process. It
 * lists what the running daemon does: the FUSE loop (read requests and
 * write replies on /dev/cuse, start worker threads, cancel them at exit),
 * libtpms and OpenSSL (memory, time, getrandom), the state directory
 * (openat, read, write, fsync, rename, unlink relative to its fd, the
 * record lock), logging, signals and the exit paths. Anything else gets
 * ACTION: the process is killed (kill), the call is logged and allowed
 * (log), or no filter is installed (none).
 *
 * Argument rules: clone only for threads (CLONE_THREAD), clone3 answers
 * ENOSYS so glibc falls back to clone, tgkill may signal only this
 * process, ioctl is only isatty()'s TCGETS, and fcntl only the storage
 * lock (F_OFD_SETLK, F_OFD_GETLK) and F_GETFD, F_SETFD, F_GETFL. Which
 * paths openat, renameat and unlinkat reach is Landlock's to confine.
 */
#ifndef VTPMD_SECCOMP_H
#define VTPMD_SECCOMP_H

enum seccomp_action {
	SECCOMP_ACTION_KILL = 0, /* default */
	SECCOMP_ACTION_LOG,
	SECCOMP_ACTION_NONE,
};

/* Returns 0 or -errno (logged). */
int seccomp_allowlist_install(enum seccomp_action action);

/*
 * The filter of a helper process that only waits, reports and removes files
 * in one directory (vtpmd --cdi's janitor): read, write, close, the exits,
 * and unlinkat relative to DIRFD. Same ACTION and result as above.
 */
int seccomp_unlinker_install(enum seccomp_action action, int dirfd);

#endif
