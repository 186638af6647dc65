/* SPDX-License-Identifier: BSD-3-Clause */
/* dirtree.h - removing a small directory tree the hooks made, without
 * following a symlink out of it. Returns 0 (also when NAME is missing) or
 * -errno. */
#ifndef VTPM_CDI_DIRTREE_H
#define VTPM_CDI_DIRTREE_H

/* Remove NAME in DIRFD and everything below it (at most 4 levels). */
int dirtree_remove(int dirfd, const char *name);

#endif
