/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device_blob.c - moving state blobs through GET/SET_STATEBLOB, by ioctl
 * chunks or by read()/write() after the first ioctl, as swtpm does.
 *
 * GET: the first request (offset 0, or another type/flags) builds the whole
 * migration blob and caches it; later chunks are served from the cache, and
 * read() continues after the first chunk until the blob is consumed.
 * SET: chunks of exactly PTM_STATE_BLOB_SIZE mean "more follows"; a shorter one
 * ends the blob. A first chunk of length 0 switches write() to appending, and
 * a final ioctl (usually of length 0) ends it and carries the result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "device/device_internal.h"
#include "os/log.h"
#include "mem/secret.h"

void vtpm_blob_reset(struct vtpm_file *f)
{
	vtpm_buf_free(&f->get.blob);
	f->get.valid = false;
	f->get.read_off = 0;
	vtpm_buf_free(&f->set.blob);
	f->set.active = false;
	f->transfer = TRANSFER_COMMAND;
}

/* The ABI's blob types are the TPM's state types, by number. */
static enum tpm_state_type state_type(uint32_t ptm_type)
{
	return (enum tpm_state_type)ptm_type;
}

static TPM_RESULT build_get_blob(struct vtpm_file *f, struct tpm *t, uint32_t type,
				 uint32_t flags)
{
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	TPM_RESULT rc;

	vtpm_blob_reset(f);
	rc = tpm_state_export(t, state_type(type),
			      flags & PTM_STATE_FLAG_DECRYPTED, &blob, &blob_len,
			      NULL);
	if (rc != TPM_SUCCESS)
		return rc;
	if (blob_len > UINT32_MAX) {
		secret_free(blob, blob_len);
		return TPM_SIZE;
	}
	f->get.blob = (struct vtpm_buf){ blob, (uint32_t)blob_len, (uint32_t)blob_len };
	f->get.type = type;
	f->get.flags = flags;
	f->get.valid = true;
	return TPM_SUCCESS;
}

void vtpm_blob_get(struct vtpm_file *f, struct tpm *t, struct ptm_getstate *g)
{
	uint32_t flags = g->u.req.state_flags;
	uint32_t type = g->u.req.type;
	uint32_t offset = g->u.req.offset;
	uint32_t total, n = 0;

	memset(g, 0, sizeof(*g));
	if (offset == 0 || !f->get.valid || f->get.type != type ||
	    f->get.flags != flags) {
		TPM_RESULT rc = build_get_blob(f, t, type, flags);

		if (rc != TPM_SUCCESS) {
			g->u.resp.tpm_result = rc;
			return;
		}
	}
	total = f->get.blob.len;
	if (offset < total) {
		n = total - offset;
		if (n > sizeof(g->u.resp.data))
			n = sizeof(g->u.resp.data);
		memcpy(g->u.resp.data, f->get.blob.data + offset, n);
	}
	g->u.resp.tpm_result = TPM_SUCCESS;
	/* the file-key layer stays unless the client asked for it removed */
	if (tpm_has_state_key(t) && !(flags & PTM_STATE_FLAG_DECRYPTED))
		g->u.resp.state_flags = PTM_STATE_FLAG_ENCRYPTED;
	g->u.resp.totlength = total;
	g->u.resp.length = n;
	if (offset < total && offset + n < total) {
		f->transfer = TRANSFER_GET_BLOB;
		f->get.read_off = offset + n;
	} else {
		f->transfer = TRANSFER_COMMAND;
	}
}

ssize_t vtpm_blob_read(struct vtpm_file *f, uint8_t *buf, size_t len)
{
	uint32_t left = f->get.blob.len - f->get.read_off;
	size_t n = len < left ? len : left;

	memcpy(buf, f->get.blob.data + f->get.read_off, n);
	f->get.read_off += n;
	if (f->get.read_off >= f->get.blob.len)
		f->transfer = TRANSFER_COMMAND;
	return (ssize_t)n;
}

ssize_t vtpm_blob_write(struct vtpm_file *f, const uint8_t *buf, size_t len)
{
	int ret = vtpm_buf_append(&f->set.blob, buf, len);

	if (ret < 0) {
		vtpm_blob_reset(f);
		return ret;
	}
	return (ssize_t)len;
}

static TPM_RESULT finish_set(struct vtpm_file *f, struct tpm *t)
{
	return tpm_state_import(t, state_type(f->set.type), f->set.blob.data,
				f->set.blob.len,
				f->set.flags & PTM_STATE_FLAG_ENCRYPTED);
}

void vtpm_blob_set(struct vtpm_file *f, struct tpm *t, struct ptm_setstate *s)
{
	uint32_t flags = s->u.req.state_flags;
	uint32_t type = s->u.req.type;
	uint32_t len = s->u.req.length;
	TPM_RESULT rc = TPM_SUCCESS;

	rc = tpm_state_may_import(t);
	if (rc != TPM_SUCCESS)
		goto reset;
	if (len > PTM_STATE_BLOB_SIZE || type < PTM_BLOB_TYPE_PERMANENT ||
	    type > PTM_BLOB_TYPE_SAVESTATE) {
		rc = TPM_BAD_PARAMETER;
		goto reset;
	}
	if (!f->set.active || f->set.type != type) {
		vtpm_blob_reset(f);
		f->set.active = true;
		f->set.type = type;
		if (len == 0) {
			f->set.flags = flags;
			f->transfer = TRANSFER_SET_BLOB;
			goto reply;
		}
	}
	f->set.flags |= flags;
	if (vtpm_buf_append(&f->set.blob, s->u.req.data, len) < 0) {
		rc = TPM_SIZE;
		goto reset;
	}
	if (len == PTM_STATE_BLOB_SIZE)
		goto reply;     /* more follows */
	rc = finish_set(f, t);
reset:
	vtpm_blob_reset(f);
reply:
	memset(s, 0, sizeof(*s));
	s->u.resp.tpm_result = rc;
}
