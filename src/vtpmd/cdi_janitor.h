/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cdi_janitor.h - the process that removes a vtpmd's CDI spec when that
 * vtpmd ends, however it ends.
 *
 * Why a process: the spec directory belongs to root (runtimes run the hooks
 * a spec names, as root, so nobody else may write there), but the daemon
 * serves as the --runas user, which cannot unlink in it; and a spec left
 * behind names device numbers the kernel hands to the next CUSE device, so
 * a container asking for this device would get another one's TPM. The
 * janitor is forked while the daemon is still root, keeps nothing but the
 * directory fd and two pipes, becomes uid 0 without any capability (the
 * owner of a 0755 root directory may unlink in it; nothing more), and runs
 * under a seccomp filter that allows read, write, close, exit and unlinkat
 * on that one directory fd. It waits for the daemon's end of a pipe to
 * close (orderly exit, crash or SIGKILL alike), removes the file, reports
 * on the other pipe and exits. It ignores SIGTERM, SIGINT and SIGHUP, so a
 * service manager stopping the whole group still gets the spec removed.
 */
#ifndef VTPMD_CDI_JANITOR_H
#define VTPMD_CDI_JANITOR_H

#include <sys/types.h>

#include "os/seccomp.h"

struct cdi_janitor {
	pid_t pid;
	int release_fd;         /* ours: closing it starts the removal */
	int result_fd;          /* ours: one byte, 0 or the errno of unlinkat */
};

/*
 * Fork the janitor for FILE in DIRFD and wait until it has dropped its
 * privileges and installed its filter (ACTION as for the daemon's own).
 * Call as root, with one thread. Returns 0 or -errno (logged).
 */
int cdi_janitor_start(struct cdi_janitor *j, int dirfd, const char *file,
		      enum seccomp_action action);

/*
 * Tell the janitor to remove the file and wait for its word. Returns 0 if
 * the file is gone, -errno of the removal, or -ECHILD if the janitor ended
 * without saying. Uses only close and read (the daemon's filter allows them).
 */
int cdi_janitor_finish(struct cdi_janitor *j);

#endif
