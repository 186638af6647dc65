/* SPDX-License-Identifier: BSD-3-Clause */
/* store_keys.h - inside src/store only: the state file key for store_dir.c.
 * The public key calls are in store.h. */
#ifndef VTPMD_STORE_KEYS_H
#define VTPMD_STORE_KEYS_H

#include "store/key.h"

/* The --key key, or NULL when none is set. */
const struct state_key *store_file_key(void);

#endif
