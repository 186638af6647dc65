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

void vtpm_blob_reset(struct vtpm *v)
{
	vtpm_buf_free(&v->get.blob);
	v->get.valid = false;
	v->get.read_off = 0;
	vtpm_buf_free(&v->set.blob);
	v->set.active = false;
	v->transfer = TRANSFER_COMMAND;
}

/* The ABI's blob types are the TPM's state types, by number. */
static enum tpm_state_type state_type(uint32_t ptm_type)
{
	return (enum tpm_state_type)ptm_type;
}

static TPM_RESULT build_get_blob(struct vtpm *v, uint32_t type, uint32_t flags)
{
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	TPM_RESULT rc;

	vtpm_blob_reset(v);
	rc = tpm_state_export(&v->tpm, state_type(type),
			      flags & PTM_STATE_FLAG_DECRYPTED, &blob, &blob_len,
			      NULL);
	if (rc != TPM_SUCCESS)
		return rc;
	if (blob_len > UINT32_MAX) {
		secret_free(blob, blob_len);
		return TPM_SIZE;
	}
	v->get.blob = (struct vtpm_buf){ blob, (uint32_t)blob_len, (uint32_t)blob_len };
	v->get.type = type;
	v->get.flags = flags;
	v->get.valid = true;
	return TPM_SUCCESS;
}

void vtpm_blob_get(struct vtpm *v, struct ptm_getstate *g)
{
	uint32_t flags = g->u.req.state_flags;
	uint32_t type = g->u.req.type;
	uint32_t offset = g->u.req.offset;
	uint32_t total, n = 0;

	memset(g, 0, sizeof(*g));
	if (offset == 0 || !v->get.valid || v->get.type != type ||
	    v->get.flags != flags) {
		TPM_RESULT rc = build_get_blob(v, type, flags);

		if (rc != TPM_SUCCESS) {
			g->u.resp.tpm_result = rc;
			return;
		}
	}
	total = v->get.blob.len;
	if (offset < total) {
		n = total - offset;
		if (n > sizeof(g->u.resp.data))
			n = sizeof(g->u.resp.data);
		memcpy(g->u.resp.data, v->get.blob.data + offset, n);
	}
	g->u.resp.tpm_result = TPM_SUCCESS;
	/* the file-key layer stays unless the client asked for it removed */
	if (tpm_has_state_key(&v->tpm) && !(flags & PTM_STATE_FLAG_DECRYPTED))
		g->u.resp.state_flags = PTM_STATE_FLAG_ENCRYPTED;
	g->u.resp.totlength = total;
	g->u.resp.length = n;
	if (offset < total && offset + n < total) {
		v->transfer = TRANSFER_GET_BLOB;
		v->get.read_off = offset + n;
	} else {
		v->transfer = TRANSFER_COMMAND;
	}
}

ssize_t vtpm_blob_read(struct vtpm *v, uint8_t *buf, size_t len)
{
	uint32_t left = v->get.blob.len - v->get.read_off;
	size_t n = len < left ? len : left;

	memcpy(buf, v->get.blob.data + v->get.read_off, n);
	v->get.read_off += n;
	if (v->get.read_off >= v->get.blob.len)
		v->transfer = TRANSFER_COMMAND;
	return (ssize_t)n;
}

ssize_t vtpm_blob_write(struct vtpm *v, const uint8_t *buf, size_t len)
{
	int ret = vtpm_buf_append(&v->set.blob, buf, len);

	if (ret < 0) {
		vtpm_blob_reset(v);
		return ret;
	}
	return (ssize_t)len;
}

static TPM_RESULT finish_set(struct vtpm *v)
{
	return tpm_state_import(&v->tpm, state_type(v->set.type), v->set.blob.data,
				v->set.blob.len,
				v->set.flags & PTM_STATE_FLAG_ENCRYPTED);
}

void vtpm_blob_set(struct vtpm *v, struct ptm_setstate *s)
{
	uint32_t flags = s->u.req.state_flags;
	uint32_t type = s->u.req.type;
	uint32_t len = s->u.req.length;
	TPM_RESULT rc = TPM_SUCCESS;

	rc = tpm_state_may_import(&v->tpm);
	if (rc != TPM_SUCCESS)
		goto reset;
	if (len > PTM_STATE_BLOB_SIZE || type < PTM_BLOB_TYPE_PERMANENT ||
	    type > PTM_BLOB_TYPE_SAVESTATE) {
		rc = TPM_BAD_PARAMETER;
		goto reset;
	}
	if (!v->set.active || v->set.type != type) {
		vtpm_blob_reset(v);
		v->set.active = true;
		v->set.type = type;
		if (len == 0) {
			v->set.flags = flags;
			v->transfer = TRANSFER_SET_BLOB;
			goto reply;
		}
	}
	v->set.flags |= flags;
	if (vtpm_buf_append(&v->set.blob, s->u.req.data, len) < 0) {
		rc = TPM_SIZE;
		goto reset;
	}
	if (len == PTM_STATE_BLOB_SIZE)
		goto reply;     /* more follows */
	rc = finish_set(v);
reset:
	vtpm_blob_reset(v);
reply:
	memset(s, 0, sizeof(*s));
	s->u.resp.tpm_result = rc;
}
