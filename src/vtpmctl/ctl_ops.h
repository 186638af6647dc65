/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ops.h - one function per swtpm_ioctl command that is a single control
 * request (or, for -h and --info, a short series of them). Each prints what
 * swtpm_ioctl prints and returns 0, or a negative errno after printing why
 * (-EPROTO: the TPM answered with a non-zero result code).
 */
#ifndef VTPMCTL_OPS_H
#define VTPMCTL_OPS_H

#include <stdint.h>

int ctl_caps(int fd);
int ctl_init(int fd);
int ctl_stop(int fd);
int ctl_shutdown(int fd);
int ctl_get_established(int fd);
int ctl_reset_established(int fd, uint8_t locality);
int ctl_store_volatile(int fd);
int ctl_cancel(int fd);
int ctl_set_locality(int fd, uint8_t locality);
int ctl_get_config(int fd);
int ctl_buffersize(int fd, uint32_t size);
int ctl_info(int fd, uint64_t flags);
int ctl_lock_storage(int fd, uint32_t retries);
/* HASH_START, HASH_DATA in chunks of up to 4096 bytes, HASH_END. DATA "-"
 * means standard input. */
int ctl_hash(int fd, const char *data);

#endif
