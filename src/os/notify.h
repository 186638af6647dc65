/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify.h - systemd's readiness protocol (sd_notify) without libsystemd.
 *
 * A service with Type=notify is "started" when it sends READY=1 as a datagram
 * to the AF_UNIX socket named in $NOTIFY_SOCKET (a path, or "@name" for an
 * abstract socket). vtpmd sends READY=1 once /dev/NAME is usable and
 * STOPPING=1 when it begins to shut down.
 *
 * The socket is opened and connected in notify_open(), during the privileged
 * start-up, before any chroot: later sends need no file-system access and
 * use only write(2), which the seccomp allow-list has.
 *
 * Return values: 0 or -errno. Without $NOTIFY_SOCKET everything is a no-op
 * that returns 0.
 */
#ifndef VTPMD_NOTIFY_H
#define VTPMD_NOTIFY_H

/* Connect to $NOTIFY_SOCKET, if set. */
int notify_open(void);
/* Send one state message, e.g. "READY=1". */
int notify_send(const char *state);
void notify_close(void);

#endif
