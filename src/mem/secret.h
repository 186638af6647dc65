/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * secret.h - memory that may hold secrets (keys, passphrases, a TPM's
 * decrypted state) is wiped before it goes back to the allocator, and is
 * grown by copying, never by realloc(), which could leave a copy behind.
 *
 * One primitive for the whole tree: libc's explicit_bzero(), which the
 * compiler may not optimise away. vtpmctl uses it too and links no libcrypto.
 */
#ifndef VTPMD_SECRET_H
#define VTPMD_SECRET_H

#include <stddef.h>

/* Overwrite LEN bytes at P with zeros; P may be NULL when LEN is 0. */
void secret_wipe(void *p, size_t len);
/* Wipe the first LEN bytes of P (NULL is fine), then free it. */
void secret_free(void *p, size_t len);
/*
 * A new buffer of NEW_CAP bytes holding the first USED bytes of OLD, whose
 * first OLD_CAP bytes are wiped before it is freed (OLD may be NULL).
 * NULL when out of memory: OLD is then left as it was.
 */
void *secret_grow(void *old, size_t used, size_t old_cap, size_t new_cap);

#endif
