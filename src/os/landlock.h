/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * landlock.h - the serving daemon's file system, confined with Landlock.
 *
 * Called once after the privilege drop (no_new_privs is set, which an
 * unprivileged landlock_restrict_self() needs) and before seccomp, while
 * the process has one thread: the confinement holds for that thread and
 * every thread started later. From then on the daemon may list, read,
 * write, create, rename and remove regular files beneath its state
 * directory, and nothing else on the file system: any other open, create,
 * rename, link, unlink, mknod or truncate fails with EACCES. Files it
 * already holds open (the CUSE channel, the log, the --pcap file, the lock)
 * stay usable: Landlock checks when a file is opened, not when it is used.
 *
 * Functions return what they say, or -errno.
 */
#ifndef VTPMD_LANDLOCK_H
#define VTPMD_LANDLOCK_H

#include <stdbool.h>

struct landlock_paths {
	const char *state_dir;  /* files beneath it: everything a state needs;
				 * NULL for a linear state file, which the
				 * daemon holds open: then no path at all */
	const char *remove_dir; /* NULL, or a directory whose files may be
				 * removed and nothing more (the pid file's:
				 * swtpm removes its pid file at exit) */
	bool read_anywhere;     /* read-only access to the whole tree, for a
				 * sanitizer build (ASan and LSan read
				 * /proc/self/maps and the binaries) */
	const char *report_dir; /* NULL, or a directory where files may be
				 * created and written: a sanitizer build's
				 * reports (ASAN_OPTIONS log_path) */
};

/* The Landlock ABI version this kernel offers; 0 if it has none (not built
 * in, or not enabled: lsm= on the kernel command line). */
int landlock_abi(void);

/*
 * Confine this thread and its future threads to P. Returns the ABI
 * version in force (>= 1), 0 if the kernel has no Landlock (one log line:
 * the daemon goes on unconfined), or -errno if it could not be applied
 * (logged).
 */
int landlock_confine(const struct landlock_paths *p);

#endif
