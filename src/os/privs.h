/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * privs.h - who vtpmd is at each stage of its life (vtpmd/main.c).
 *
 *   start-up (root)      privs_lookup_user() in the host's user database,
 *                        open /dev/cuse and the --cdi directory,
 *                        privs_chroot() (-R), logging, keys, --pcap.
 *   state (the user)     privs_enter_user() ... privs_leave_user() around
 *                        opening the state directory and starting the TPM,
 *                        so every file is created by, and checked against,
 *                        the user the daemon will run as.
 *   device (root)        go to the background (privs_preload_libs() first),
 *                        the kernel creates the nodes, the pid file and the
 *                        CDI spec are written.
 *   serving (the user)   privs_drop(): the --runas uid, gid and groups (or
 *                        uid 0), no capabilities in any set, no_new_privs.
 *                        Done once, while the process has a single thread.
 *
 * Functions return 0 or -errno.
 */
#ifndef VTPMD_PRIVS_H
#define VTPMD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs_user {
	char *name;             /* as given on the command line, for messages */
	uid_t uid;
	gid_t gid;
	gid_t *groups;          /* supplementary groups, gid included */
	size_t ngroups;
};

/*
 * Resolve --runas SPEC: a user name, or a numeric uid. A uid without a
 * passwd entry runs with gid = uid and no other group. -ENOENT: no such
 * user (with a message in ERR). Done before any chroot, so the chroot needs
 * no user database.
 */
int privs_lookup_user(const char *spec, struct privs_user *u,
		      char *err, size_t errlen);
void privs_user_free(struct privs_user *u);

/* Load the libraries the process needs later from the file system
 * (libgcc_s, for pthread_cancel at exit): before privs_drop() and its
 * seccomp filter, and in a daemon before it forks, so that the child
 * never runs the dynamic loader (measured: ~250 KiB less resident).
 * privs_chroot() does it itself. */
void privs_preload_libs(void);

/* chroot(DIR) and chdir("/"), after privs_preload_libs(). */
int privs_chroot(const char *dir);

/* Act as U for file access (supplementary groups, then effective gid and
 * uid) until privs_leave_user(). The saved uid stays 0. */
int privs_enter_user(const struct privs_user *u);
int privs_leave_user(void);

/*
 * Drop for good (after privs_preload_libs()): with U, become U (groups,
 * gid, uid); without, stay uid 0.
 * Then clear every capability set (effective, permitted, inheritable,
 * bounding, ambient), set no_new_privs, and check that all of it holds
 * (and, for a non-root U, that uid 0 cannot be regained). Call with one
 * thread only: capabilities and the bounding set are per thread.
 */
int privs_drop(const struct privs_user *u);

#endif
