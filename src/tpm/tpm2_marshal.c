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
	w->failed = !buf;
}

/* The next N bytes of the writer's buffer, now counted as written; NULL
 * (and the writer failed) when they are not there. */
static uint8_t *take_room(struct tpm2_writer *w, size_t n)
{
	uint8_t *p;

	if (w->failed || n > w->cap - w->len) {
		w->failed = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void tpm2w_u8(struct tpm2_writer *w, uint8_t v)
{
	uint8_t *p = take_room(w, 1);

	if (p)
		*p = v;
}

void tpm2w_u16(struct tpm2_writer *w, uint16_t v)
{
	uint8_t *p = take_room(w, 2);

	if (p)
		put_be16(p, v);
}

void tpm2w_u32(struct tpm2_writer *w, uint32_t v)
{
	uint8_t *p = take_room(w, 4);

	if (p)
		put_be32(p, v);
}

void tpm2w_u64(struct tpm2_writer *w, uint64_t v)
{
	uint8_t *p = take_room(w, 8);

	if (p) {
		put_be32(p, (uint32_t)(v >> 32));
		put_be32(p + 4, (uint32_t)v);
	}
}

void tpm2w_bytes(struct tpm2_writer *w, const void *src, size_t n)
{
	uint8_t *p = take_room(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void tpm2w_zeros(struct tpm2_writer *w, size_t n)
{
	uint8_t *p = take_room(w, n);

	if (p && n)
		memset(p, 0, n);
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

/* The WIDTH bytes written earlier at AT, or NULL (and the writer failed). */
static uint8_t *field_at(struct tpm2_writer *w, size_t at, size_t width)
{
	if (w->failed || at > w->len || w->len - at < width) {
		w->failed = true;
		return NULL;
	}
	return w->buf + at;
}

void tpm2w_patch_u16(struct tpm2_writer *w, size_t at, uint16_t v)
{
	uint8_t *p = field_at(w, at, 2);

	if (p)
		put_be16(p, v);
}

void tpm2w_patch_u32(struct tpm2_writer *w, size_t at, uint32_t v)
{
	uint8_t *p = field_at(w, at, 4);

	if (p)
		put_be32(p, v);
}

/* The bytes written after a size field of WIDTH bytes at AT (SIZE_MAX when
 * there is no such field: the patch below then fails). */
static size_t written_after(const struct tpm2_writer *w, size_t at, size_t width)
{
	return at > w->len || w->len - at < width ? SIZE_MAX : w->len - at - width;
}

void tpm2w_size16_end(struct tpm2_writer *w, size_t at)
{
	size_t n = written_after(w, at, 2);

	if (n > UINT16_MAX)
		w->failed = true;
	tpm2w_patch_u16(w, at, (uint16_t)n);
}

void tpm2w_size32_end(struct tpm2_writer *w, size_t at)
{
	size_t n = written_after(w, at, 4);

	if (n > UINT32_MAX)
		w->failed = true;
	tpm2w_patch_u32(w, at, (uint32_t)n);
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
	r->failed = !buf;
}

/* The next N bytes of the data, now counted as read; NULL (and the
 * reader failed) when they are not there. */
static const uint8_t *take_data(struct tpm2_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed || n > r->len - r->pos) {
		r->failed = true;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

uint8_t tpm2r_u8(struct tpm2_reader *r)
{
	const uint8_t *p = take_data(r, 1);

	return p ? *p : 0;
}

uint16_t tpm2r_u16(struct tpm2_reader *r)
{
	const uint8_t *p = take_data(r, 2);

	return p ? get_be16(p) : 0;
}

uint32_t tpm2r_u32(struct tpm2_reader *r)
{
	const uint8_t *p = take_data(r, 4);

	return p ? get_be32(p) : 0;
}

uint64_t tpm2r_u64(struct tpm2_reader *r)
{
	const uint8_t *p = take_data(r, 8);

	return p ? (uint64_t)get_be32(p) << 32 | get_be32(p + 4) : 0;
}

const uint8_t *tpm2r_bytes(struct tpm2_reader *r, size_t n)
{
	return take_data(r, n);
}

void tpm2r_skip(struct tpm2_reader *r, size_t n)
{
	(void)take_data(r, n);
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

	tpm2r_init(sub, p, size);     /* p is NULL when the bytes are not there */
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
