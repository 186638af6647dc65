/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm2_marshal.c - bounds-checked TPM 2 writer and reader (see tpm2_marshal.h). */
#include <errno.h>
#include <string.h>

#include <tss2/tss2_tpm2_types.h>

#include "mem/bytes.h"
#include "tpm/tpm2_marshal.h"

void tpm2w_init(struct tpm2_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->failed = false;
}

/* Room for N more bytes, or the writer fails. */
static bool room(struct tpm2_writer *w, size_t n)
{
	if (w->failed || n > w->cap - w->len) {
		w->failed = true;
		return false;
	}
	return true;
}

void tpm2w_u8(struct tpm2_writer *w, uint8_t v)
{
	if (room(w, 1))
		w->buf[w->len++] = v;
}

void tpm2w_u16(struct tpm2_writer *w, uint16_t v)
{
	if (!room(w, 2))
		return;
	put_be16(w->buf + w->len, v);
	w->len += 2;
}

void tpm2w_u32(struct tpm2_writer *w, uint32_t v)
{
	if (!room(w, 4))
		return;
	put_be32(w->buf + w->len, v);
	w->len += 4;
}

void tpm2w_u64(struct tpm2_writer *w, uint64_t v)
{
	if (!room(w, 8))
		return;
	put_be32(w->buf + w->len, (uint32_t)(v >> 32));
	put_be32(w->buf + w->len + 4, (uint32_t)v);
	w->len += 8;
}

void tpm2w_bytes(struct tpm2_writer *w, const void *p, size_t n)
{
	if (!room(w, n) || n == 0)
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void tpm2w_zeros(struct tpm2_writer *w, size_t n)
{
	if (!room(w, n) || n == 0)
		return;
	memset(w->buf + w->len, 0, n);
	w->len += n;
}

void tpm2w_tpm2b(struct tpm2_writer *w, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		w->failed = true;
		return;
	}
	tpm2w_u16(w, (uint16_t)n);
	tpm2w_bytes(w, p, n);
}

size_t tpm2w_size16_begin(struct tpm2_writer *w)
{
	size_t at = w->len;

	tpm2w_u16(w, 0);
	return at;
}

size_t tpm2w_size32_begin(struct tpm2_writer *w)
{
	size_t at = w->len;

	tpm2w_u32(w, 0);
	return at;
}

/* The bytes written after a size field of WIDTH bytes at AT, or fail. */
static bool sized_len(struct tpm2_writer *w, size_t at, size_t width,
		      size_t *n)
{
	if (w->failed || at > w->len || w->len - at < width) {
		w->failed = true;
		return false;
	}
	*n = w->len - at - width;
	return true;
}

void tpm2w_size16_end(struct tpm2_writer *w, size_t at)
{
	size_t n;

	if (!sized_len(w, at, 2, &n))
		return;
	if (n > UINT16_MAX) {
		w->failed = true;
		return;
	}
	put_be16(w->buf + at, (uint16_t)n);
}

void tpm2w_size32_end(struct tpm2_writer *w, size_t at)
{
	size_t n;

	if (!sized_len(w, at, 4, &n))
		return;
	if (n > UINT32_MAX) {
		w->failed = true;
		return;
	}
	put_be32(w->buf + at, (uint32_t)n);
}

void tpm2w_patch_u16(struct tpm2_writer *w, size_t at, uint16_t v)
{
	if (w->failed || at > w->len || w->len - at < 2) {
		w->failed = true;
		return;
	}
	put_be16(w->buf + at, v);
}

void tpm2w_patch_u32(struct tpm2_writer *w, size_t at, uint32_t v)
{
	if (w->failed || at > w->len || w->len - at < 4) {
		w->failed = true;
		return;
	}
	put_be32(w->buf + at, v);
}

bool tpm2w_failed(const struct tpm2_writer *w)
{
	return w->failed;
}

void tpm2r_init(struct tpm2_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->pos = 0;
	r->failed = false;
}

/* N more bytes are there, or the reader fails. */
static bool have(struct tpm2_reader *r, size_t n)
{
	if (r->failed || n > r->len - r->pos) {
		r->failed = true;
		return false;
	}
	return true;
}

uint8_t tpm2r_u8(struct tpm2_reader *r)
{
	return have(r, 1) ? r->buf[r->pos++] : 0;
}

uint16_t tpm2r_u16(struct tpm2_reader *r)
{
	uint16_t v;

	if (!have(r, 2))
		return 0;
	v = get_be16(r->buf + r->pos);
	r->pos += 2;
	return v;
}

uint32_t tpm2r_u32(struct tpm2_reader *r)
{
	uint32_t v;

	if (!have(r, 4))
		return 0;
	v = get_be32(r->buf + r->pos);
	r->pos += 4;
	return v;
}

uint64_t tpm2r_u64(struct tpm2_reader *r)
{
	uint64_t v;

	if (!have(r, 8))
		return 0;
	v = (uint64_t)get_be32(r->buf + r->pos) << 32 |
	    get_be32(r->buf + r->pos + 4);
	r->pos += 8;
	return v;
}

const uint8_t *tpm2r_bytes(struct tpm2_reader *r, size_t n)
{
	const uint8_t *p;

	if (!have(r, n))
		return NULL;
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

void tpm2r_skip(struct tpm2_reader *r, size_t n)
{
	if (have(r, n))
		r->pos += n;
}

const uint8_t *tpm2r_tpm2b(struct tpm2_reader *r, size_t *n)
{
	size_t size = tpm2r_u16(r);
	const uint8_t *p = tpm2r_bytes(r, size);

	*n = p ? size : 0;
	return p;
}

void tpm2r_tpm2b_copy(struct tpm2_reader *r, uint8_t *dst, size_t cap,
		      size_t *n)
{
	size_t size;
	const uint8_t *p = tpm2r_tpm2b(r, &size);

	*n = 0;
	if (!p)
		return;
	if (size > cap) {
		r->failed = true;
		return;
	}
	if (size)
		memcpy(dst, p, size);
	*n = size;
}

void tpm2r_sized(struct tpm2_reader *r, struct tpm2_reader *sub)
{
	size_t size;
	const uint8_t *p = tpm2r_tpm2b(r, &size);

	tpm2r_init(sub, p, size);
	sub->failed = !p;
}

size_t tpm2r_remaining(const struct tpm2_reader *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

bool tpm2r_failed(const struct tpm2_reader *r)
{
	return r->failed;
}

bool tpm2r_done(const struct tpm2_reader *r)
{
	return !r->failed && r->pos == r->len;
}

void tpm2_cmd_begin(struct tpm2_writer *w, uint8_t *buf, size_t cap,
		    uint16_t tag, uint32_t code)
{
	tpm2w_init(w, buf, cap);
	tpm2w_u16(w, tag);
	tpm2w_u32(w, 0);        /* size: tpm2_cmd_end() */
	tpm2w_u32(w, code);
}

void tpm2_cmd_password(struct tpm2_writer *w, uint8_t session_attrs,
		       const void *auth, size_t auth_len)
{
	size_t at = tpm2w_size32_begin(w);

	tpm2w_u32(w, TPM2_RS_PW);
	tpm2w_u16(w, 0);        /* nonceCaller: empty */
	tpm2w_u8(w, session_attrs);
	tpm2w_tpm2b(w, auth, auth_len);
	tpm2w_size32_end(w, at);
}

int tpm2_cmd_end(struct tpm2_writer *w, size_t *len)
{
	if (w->len < TPM2_HEADER_SIZE)
		w->failed = true;
	tpm2w_patch_u32(w, 2, (uint32_t)w->len);
	if (w->failed)
		return -EMSGSIZE;
	*len = w->len;
	return 0;
}

int tpm2_rsp_begin(struct tpm2_reader *r, const uint8_t *buf, size_t len,
		   uint16_t *tag, uint32_t *rc)
{
	uint16_t t;
	uint32_t size, code;

	tpm2r_init(r, buf, len);
	t = tpm2r_u16(r);
	size = tpm2r_u32(r);
	code = tpm2r_u32(r);
	if (r->failed || size != len) {
		r->failed = true;
		return -EBADMSG;
	}
	*tag = t;
	*rc = code;
	return 0;
}
