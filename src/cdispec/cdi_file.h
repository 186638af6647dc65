/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cdi_file.h - spec files in a CDI directory, written atomically.
 *
 * Runtimes read every *.json and *.yaml of the directory, at any moment:
 * a spec is written to a temporary ".NAME.tmp" (an extension they skip),
 * synced, and renamed over NAME, so a reader sees the old file or the new
 * one, never a part (os/file_atomic.h). All of it relative to a directory
 * fd, so the file lands where the directory was when it was opened (before
 * a chroot).
 *
 * Functions return 0 or -errno.
 */
#ifndef VTPMD_CDI_FILE_H
#define VTPMD_CDI_FILE_H

#include <stddef.h>

/* File names: "vtpmd-dev-NAME.json" for one vtpmd's device,
 * "vtpmd-pool-PREFIX.json" for a pool of slots. -ENAMETOOLONG. */
int cdi_file_name_device(char *buf, size_t len, const char *devname);
int cdi_file_name_pool(char *buf, size_t len, const char *prefix);

/*
 * Open DIR (O_DIRECTORY, close-on-exec), creating it 0755 if it is missing
 * (its parent must exist). The fd in *FD.
 */
int cdi_dir_open(const char *dir, int *fd);

/* Write DATA as NAME in DIRFD atomically and durably (os/file_atomic.h),
 * mode 0644; on failure one line in ERR naming the step. */
int cdi_file_write(int dirfd, const char *name, const char *data, size_t len,
		   char *err, size_t errlen);

/* Remove NAME from DIRFD; a missing file is not an error. */
int cdi_file_remove(int dirfd, const char *name);

#endif
