/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_state.h - --save and --load: move a state blob between the device and
 * a file, by GET/SET_STATEBLOB ioctls alone, or (with a buffer size, from
 * SWTPM_IOCTL_BUFFERSIZE) by read()/write() after the first ioctl.
 * Both return 0, or a negative errno after printing why (-EPROTO: the TPM
 * answered with an error result).
 */
#ifndef VTPMCTL_STATE_H
#define VTPMCTL_STATE_H

#include <stddef.h>
#include <stdint.h>

/* SWTPM_IOCTL_BUFFERSIZE as swtpm_ioctl reads it: unset -> 0 (ioctl only);
 * set but not a positive number -> 1. */
size_t ctl_state_buffersize_from_env(void);

/* The blob is fetched decrypted from the state-file key into a new file
 * (mode 0600) beside PATH, renamed over PATH once complete: a failed save
 * leaves PATH as it was, and a symbolic link at PATH is replaced, not
 * followed. */
int ctl_state_save(int fd, uint32_t type, const char *path, size_t bufsize);
int ctl_state_load(int fd, uint32_t type, const char *path, size_t bufsize);

#endif
