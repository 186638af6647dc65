/* SPDX-License-Identifier: BSD-3-Clause */
/* device_internal.h - shared between the files of src/device only. */
#ifndef VTPMD_DEVICE_INTERNAL_H
#define VTPMD_DEVICE_INTERNAL_H

#include "device/device.h"
#include "vtpm/ioctl.h"

/* Wait (lock held) until no command is inside libtpms. */
void vtpm_wait_idle(struct vtpm *v);
/* Forget any pending response and blob transfer (lock held). */
void vtpm_reset_transfers(struct vtpm *v);

/* Append LEN bytes; 0 or -ENOMEM / -EFBIG. */
int vtpm_buf_append(struct vtpm_buf *b, const uint8_t *data, size_t len);
/* Wipe and free. */
void vtpm_buf_free(struct vtpm_buf *b);

/* State-blob transfer (device_blob.c); lock held, TPM idle. */
void vtpm_blob_get(struct vtpm *v, struct ptm_getstate *g);
void vtpm_blob_set(struct vtpm *v, struct ptm_setstate *s);
ssize_t vtpm_blob_read(struct vtpm *v, uint8_t *buf, size_t len);
ssize_t vtpm_blob_write(struct vtpm *v, const uint8_t *buf, size_t len);
void vtpm_blob_reset(struct vtpm *v);

#endif
