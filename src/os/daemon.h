/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon.h - going to the background only once the device works.
 *
 * The parent stays until the child reports readiness, so `vtpmd ... && client`
 * never races the node's creation, and the parent's exit status says whether
 * start-up worked.
 */
#ifndef VTPMD_DAEMON_H
#define VTPMD_DAEMON_H

/* Fork. Returns 0 in the child (now in its own session, holding /dev/null
 * for daemon_ready()) or -errno; the parent never returns: it exits 0 on
 * readiness, else with the child's status. */
int daemon_start(void);
/* Child: report readiness to the waiting parent and detach stdio (onto the
 * /dev/null opened at the fork: nothing is opened here). */
void daemon_ready(void);

/* Start from a clean signal state whatever the parent left: no signal
 * blocked, and SIGTERM, SIGINT and SIGHUP at their defaults, so that the
 * session's handlers take them (an OCI hook runs us with signals blocked;
 * libfuse installs a handler only over SIG_DFL). Returns 0 or -errno. */
int daemon_reset_signals(void);

#endif
