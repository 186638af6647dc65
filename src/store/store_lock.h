/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_lock.h - inside src/store only: how store_dir.c hands the state
 * directory to the lock. The public lock calls are in store.h.
 */
#ifndef VTPMD_STORE_LOCK_H
#define VTPMD_STORE_LOCK_H

/* Open (creating it) .lock in the directory DIRFD, without locking it.
 * Returns 0 / -errno. */
int store_lock_file_open(int dirfd);
/* --migration incoming: the lock is taken on first use, not at open. */
void store_lock_defer(void);
/* Drop the lock, if held, and close the lock file. */
void store_lock_file_close(void);

#endif
