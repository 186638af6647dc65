/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_wire.h - checked big-endian writer and reader for the TPM 2 commands
 * vtpm-setup composes and the responses it reads.
 *
 * Both keep their buffer's length next to it and a sticky error flag: a
 * write past the end or a read past the data sets it and does nothing else,
 * so a builder or parser runs to its end and checks once. The byte order
 * itself is mem/bytes.h's.
 */
#ifndef VTPMD_SETUP_WIRE_H
#define VTPMD_SETUP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem/bytes.h"

struct wire_out {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

struct wire_in {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	bool bad;
};

static inline void wo_init(struct wire_out *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

static inline bool wo_room(struct wire_out *w, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return false;
	}
	return true;
}

static inline void wo_u8(struct wire_out *w, uint8_t v)
{
	if (wo_room(w, 1))
		w->buf[w->len++] = v;
}

static inline void wo_u16(struct wire_out *w, uint16_t v)
{
	if (!wo_room(w, 2))
		return;
	put_be16(w->buf + w->len, v);
	w->len += 2;
}

static inline void wo_u32(struct wire_out *w, uint32_t v)
{
	if (!wo_room(w, 4))
		return;
	put_be32(w->buf + w->len, v);
	w->len += 4;
}

static inline void wo_bytes(struct wire_out *w, const void *p, size_t n)
{
	if (n && wo_room(w, n)) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
}

static inline void wo_zeros(struct wire_out *w, size_t n)
{
	if (n && wo_room(w, n)) {
		memset(w->buf + w->len, 0, n);
		w->len += n;
	}
}

/* A TPM2B: 16-bit size, then the bytes. */
static inline void wo_tpm2b(struct wire_out *w, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		w->overflow = true;
		return;
	}
	wo_u16(w, (uint16_t)n);
	wo_bytes(w, p, n);
}

/* Overwrite a 32-bit field written earlier at offset AT (a size that is
 * known only once what follows it is written). */
static inline void wo_patch_u32(struct wire_out *w, size_t at, uint32_t v)
{
	if (w->overflow || at > w->len || w->len - at < 4) {
		w->overflow = true;
		return;
	}
	put_be32(w->buf + at, v);
}

static inline void wi_init(struct wire_in *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->bad = false;
}

static inline bool wi_have(struct wire_in *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return false;
	}
	return true;
}

static inline uint8_t wi_u8(struct wire_in *r)
{
	return wi_have(r, 1) ? r->buf[r->pos++] : 0;
}

static inline uint16_t wi_u16(struct wire_in *r)
{
	uint16_t v;

	if (!wi_have(r, 2))
		return 0;
	v = get_be16(r->buf + r->pos);
	r->pos += 2;
	return v;
}

static inline uint32_t wi_u32(struct wire_in *r)
{
	uint32_t v;

	if (!wi_have(r, 4))
		return 0;
	v = get_be32(r->buf + r->pos);
	r->pos += 4;
	return v;
}

/* N bytes in place, or NULL (and the flag set) if they are not there. */
static inline const uint8_t *wi_bytes(struct wire_in *r, size_t n)
{
	const uint8_t *p;

	if (!wi_have(r, n))
		return NULL;
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

/* A TPM2B: its bytes in place and their number. */
static inline const uint8_t *wi_tpm2b(struct wire_in *r, size_t *n)
{
	size_t size = wi_u16(r);
	const uint8_t *p = wi_bytes(r, size);

	*n = p ? size : 0;
	return p;
}

#endif
