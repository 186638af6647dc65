/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device_internal.h - shared between the files of src/device only. Calls go
 * one way: device_ctrl.c -> device.c -> device_blob.c -> device_buf.c.
 */
#ifndef VTPMD_DEVICE_INTERNAL_H
#define VTPMD_DEVICE_INTERNAL_H

#include "device/device.h"
#include "vtpm/ioctl.h"

/* device.c; device lock held. */
/* Wait until no door's command is inside libtpms. */
void vtpm_wait_idle(struct vtpm *v);
/* Forget every door's pending response and blob transfer. */
void vtpm_reset_transfers(struct vtpm *v);

/* device_blob.c: state-blob transfer through one door's open file F;
 * device lock held, TPM idle for get/set. */
void vtpm_blob_get(struct vtpm_file *f, struct tpm *t, struct ptm_getstate *g);
void vtpm_blob_set(struct vtpm_file *f, struct tpm *t, struct ptm_setstate *s);
ssize_t vtpm_blob_read(struct vtpm_file *f, uint8_t *buf, size_t len);
ssize_t vtpm_blob_write(struct vtpm_file *f, const uint8_t *buf, size_t len);
void vtpm_blob_reset(struct vtpm_file *f);

/* device_buf.c: a growable buffer, wiped when it grows or is freed.
 * Append LEN bytes: 0, -ENOMEM, or -EFBIG past the largest state blob. */
int vtpm_buf_append(struct vtpm_buf *b, const uint8_t *data, size_t len);
void vtpm_buf_free(struct vtpm_buf *b);

#endif
