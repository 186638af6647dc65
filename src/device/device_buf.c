/* SPDX-License-Identifier: BSD-3-Clause */
/* device_buf.c - the growable, wiped buffers behind responses and blobs. */
#include <errno.h>
#include <string.h>

#include "device/device_internal.h"
#include "mem/secret.h"

/* Largest state blob accepted through write(); real ones are ~100 KiB. */
#define BLOB_MAX_SIZE (4u * 1024 * 1024)

int vtpm_buf_append(struct vtpm_buf *b, const uint8_t *data, size_t len)
{
	if (len > BLOB_MAX_SIZE || b->len > BLOB_MAX_SIZE - len)
		return -EFBIG;
	if (b->len + len > b->cap) {
		uint32_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		p = secret_grow(b->data, b->len, b->cap, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void vtpm_buf_free(struct vtpm_buf *b)
{
	secret_free(b->data, b->cap);
	b->data = NULL;
	b->len = b->cap = 0;
}
