/* SPDX-License-Identifier: BSD-3-Clause */
/* pidfile.h - --pid file=PATH|fd=N. */
#ifndef VTPMD_PIDFILE_H
#define VTPMD_PIDFILE_H

/* Write our pid to PATH (created 0644, never through a symlink) or to FD.
 * Returns 0 or -errno. */
int pidfile_write(const char *path, int fd);
/* Remove the file written by pidfile_write(PATH), if any. */
void pidfile_remove(void);

#endif
