/* SPDX-License-Identifier: BSD-3-Clause */
/* linear.c - swtpm's linear state format: header and placement (linear.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libtpms/tpm_nvfilename.h>

#include "mem/bytes.h"
#include "store/linear.h"

#define OFF_MAGIC   0
#define OFF_VERSION 8
#define OFF_HDRSIZE 10
#define OFF_SLOTS   12
#define SLOT_SIZE   12

/* A busy range of the file, in whole LINEAR_ALIGN blocks. */
struct extent {
	uint64_t start, end;
};

/* Room for the header, the blobs of CUR and of two headers to avoid, and
 * the new blobs. */
#define EXTENTS_MAX (1 + LINEAR_SLOTS * 4)

void linear_header_init(struct linear_header *h)
{
	memset(h, 0, sizeof(*h));
	h->hdrsize = LINEAR_HEADER_SIZE;
}

int linear_slot_of(const char *name)
{
	if (!name)
		return -EINVAL;
	if (strcmp(name, TPM_PERMANENT_ALL_NAME) == 0)
		return LINEAR_SLOT_PERMANENT;
	if (strcmp(name, TPM_VOLATILESTATE_NAME) == 0)
		return LINEAR_SLOT_VOLATILE;
	if (strcmp(name, TPM_SAVESTATE_NAME) == 0)
		return LINEAR_SLOT_SAVESTATE;
	return -EINVAL;
}

const char *linear_slot_name(unsigned slot, char *buf, size_t len)
{
	switch (slot) {
	case LINEAR_SLOT_PERMANENT: return TPM_PERMANENT_ALL_NAME;
	case LINEAR_SLOT_VOLATILE: return TPM_VOLATILESTATE_NAME;
	case LINEAR_SLOT_SAVESTATE: return TPM_SAVESTATE_NAME;
	}
	snprintf(buf, len, "slot %u", slot);
	return buf;
}

static uint64_t section_end(const struct linear_slot *s)
{
	return (uint64_t)s->offset + s->section_len;
}

int linear_check(const struct linear_header *h, uint64_t size, char *why,
		 size_t whylen)
{
	char n1[16], n2[16];
	unsigned i, j;

	if (h->hdrsize < LINEAR_HEADER_SIZE || h->hdrsize > size) {
		snprintf(why, whylen, "header size %u is out of range (%u to the "
			 "size, %llu)", h->hdrsize, LINEAR_HEADER_SIZE,
			 (unsigned long long)size);
		return -EINVAL;
	}
	for (i = 0; i < LINEAR_SLOTS; i++) {
		const struct linear_slot *s = &h->slot[i];
		const char *name = linear_slot_name(i, n1, sizeof(n1));

		if (!s->offset)
			continue;
		if (s->offset < h->hdrsize) {
			snprintf(why, whylen, "%s starts at %u, inside the header", name,
				 s->offset);
			return -EINVAL;
		}
		if (s->data_len > s->section_len) {
			snprintf(why, whylen, "%s holds %u bytes in a section of %u", name,
				 s->data_len, s->section_len);
			return -EINVAL;
		}
		if (section_end(s) > size || section_end(s) > LINEAR_LIMIT) {
			snprintf(why, whylen, "%s ends at %llu, past the end (%llu bytes)",
				 name, (unsigned long long)section_end(s),
				 (unsigned long long)(size < LINEAR_LIMIT ? size : LINEAR_LIMIT));
			return -EINVAL;
		}
	}
	for (i = 0; i < LINEAR_SLOTS; i++) {
		for (j = i + 1; j < LINEAR_SLOTS; j++) {
			const struct linear_slot *a = &h->slot[i], *b = &h->slot[j];

			if (!a->offset || !b->offset)
				continue;
			/* an empty section still has its place: two slots at
			 * one offset, or one inside another's section, would
			 * make swtpm's section moves overwrite one of them */
			if (a->offset < section_end(b) + !b->section_len &&
			    b->offset < section_end(a) + !a->section_len) {
				snprintf(why, whylen, "%s and %s overlap",
					 linear_slot_name(i, n1, sizeof(n1)),
					 linear_slot_name(j, n2, sizeof(n2)));
				return -EINVAL;
			}
		}
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

int linear_parse(const uint8_t *buf, size_t len, uint64_t size,
		 struct linear_header *h, char *why, size_t whylen)
{
	unsigned i;

	linear_header_init(h);
	if (size == 0)
		return 0;
	if (size < LINEAR_HEADER_SIZE || len < LINEAR_HEADER_SIZE) {
		snprintf(why, whylen, "truncated: %llu bytes, the header alone takes %u",
			 (unsigned long long)size, LINEAR_HEADER_SIZE);
		return -EINVAL;
	}
	if (all_zero(buf, LINEAR_HEADER_SIZE))
		return 0;
	if (get_le64(buf + OFF_MAGIC) != LINEAR_MAGIC) {
		snprintf(why, whylen, "not swtpm's linear state format (no \"swtpmlin\" "
			 "magic at the start)");
		return -EINVAL;
	}
	if (buf[OFF_VERSION] != LINEAR_VERSION) {
		snprintf(why, whylen, "linear format version %u is not supported "
			 "(only %u)", buf[OFF_VERSION], LINEAR_VERSION);
		return -EINVAL;
	}
	h->hdrsize = get_le16(buf + OFF_HDRSIZE);
	for (i = 0; i < LINEAR_SLOTS; i++) {
		const uint8_t *p = buf + OFF_SLOTS + i * SLOT_SIZE;

		h->slot[i].offset = get_le32(p);
		h->slot[i].data_len = get_le32(p + 4);
		h->slot[i].section_len = get_le32(p + 8);
		/* swtpm ignores the lengths of an unused slot */
		if (!h->slot[i].offset)
			h->slot[i] = (struct linear_slot){ 0 };
	}
	return linear_check(h, size, why, whylen) < 0 ? -EINVAL : 1;
}

void linear_encode(const struct linear_header *h, uint8_t out[LINEAR_HEADER_SIZE])
{
	unsigned i;

	memset(out, 0, LINEAR_HEADER_SIZE);
	put_le64(out + OFF_MAGIC, LINEAR_MAGIC);
	out[OFF_VERSION] = LINEAR_VERSION;
	put_le16(out + OFF_HDRSIZE, h->hdrsize);
	for (i = 0; i < LINEAR_SLOTS; i++) {
		uint8_t *p = out + OFF_SLOTS + i * SLOT_SIZE;

		put_le32(p, h->slot[i].offset);
		put_le32(p + 4, h->slot[i].data_len);
		put_le32(p + 8, h->slot[i].section_len);
	}
}

uint64_t linear_end(const struct linear_header *h)
{
	uint64_t end = h->hdrsize;
	unsigned i;

	for (i = 0; i < LINEAR_SLOTS; i++)
		if (h->slot[i].offset && section_end(&h->slot[i]) > end)
			end = section_end(&h->slot[i]);
	return end;
}

/* --- placement ------------------------------------------------------------ */

static uint64_t align_down(uint64_t v)
{
	return v / LINEAR_ALIGN * LINEAR_ALIGN;
}

static uint64_t align_up(uint64_t v)
{
	return (v + LINEAR_ALIGN - 1) / LINEAR_ALIGN * LINEAR_ALIGN;
}

/* Insert [START, END) into the sorted list E of *N extents. */
static void extent_add(struct extent *e, size_t *n, uint64_t start, uint64_t end)
{
	size_t i = *n;

	while (i > 0 && e[i - 1].start > start) {
		e[i] = e[i - 1];
		i--;
	}
	e[i] = (struct extent){ start, end };
	(*n)++;
}

/* The blocks a blob of H occupies: data, not section (the rest of a
 * section is free space that belongs to no blob). */
static void add_blobs(struct extent *e, size_t *n, const struct linear_header *h)
{
	unsigned i;

	for (i = 0; i < LINEAR_SLOTS; i++) {
		const struct linear_slot *s = &h->slot[i];
		uint64_t start, end;

		if (!s->offset)
			continue;
		start = align_down(s->offset);
		end = align_up((uint64_t)s->offset + s->data_len);
		extent_add(e, n, start, end > start ? end : start + LINEAR_ALIGN);
	}
}

/* The lowest aligned start of NEED free bytes (LEN of them used, which
 * must end by LIMIT), or 0. */
static uint64_t first_fit(const struct extent *e, size_t n, uint64_t need,
			  uint64_t len, uint64_t limit)
{
	uint64_t at = LINEAR_ALIGN;     /* the header's block is e[0] anyway */
	size_t i;

	for (i = 0; i < n; i++) {
		if (e[i].start >= at + need)
			break;
		if (e[i].end > at)
			at = e[i].end;
	}
	return at + len <= limit ? at : 0;
}

/* Each used section runs up to the next used one; the last ends with its
 * data. */
static void tile_sections(struct linear_header *h)
{
	unsigned order[LINEAR_SLOTS], n = 0, i, j;

	for (i = 0; i < LINEAR_SLOTS; i++) {
		if (!h->slot[i].offset) {
			h->slot[i] = (struct linear_slot){ 0 };
			continue;
		}
		for (j = n; j > 0 && h->slot[order[j - 1]].offset > h->slot[i].offset; j--)
			order[j] = order[j - 1];
		order[j] = i;
		n++;
	}
	for (i = 0; i < n; i++) {
		struct linear_slot *s = &h->slot[order[i]];

		s->section_len = i + 1 < n ? h->slot[order[i + 1]].offset - s->offset :
			s->data_len;
	}
}

int linear_plan(const struct linear_header *cur,
		const struct linear_header *const *avoid, size_t navoid,
		struct linear_change *ch, size_t n, uint64_t limit,
		struct linear_header *next)
{
	struct extent busy[EXTENTS_MAX];
	size_t nbusy = 0, i, k;
	unsigned seen = 0;

	if (n > LINEAR_SLOTS || navoid > 2)
		return -EINVAL;
	if (limit > LINEAR_LIMIT)
		limit = LINEAR_LIMIT;
	extent_add(busy, &nbusy, 0, align_up(cur->hdrsize));
	add_blobs(busy, &nbusy, cur);
	for (k = 0; k < navoid; k++)
		if (avoid[k])
			add_blobs(busy, &nbusy, avoid[k]);
	*next = *cur;
	for (i = 0; i < n; i++) {
		uint64_t need, at;

		if (ch[i].slot >= LINEAR_SLOTS || (seen & (1u << ch[i].slot)))
			return -EINVAL;
		seen |= 1u << ch[i].slot;
		ch[i].offset = 0;
		if (ch[i].remove) {
			next->slot[ch[i].slot] = (struct linear_slot){ 0 };
			continue;
		}
		need = align_up(ch[i].len ? ch[i].len : 1);
		at = first_fit(busy, nbusy, need, ch[i].len, limit);
		if (!at)
			return -ENOSPC;
		extent_add(busy, &nbusy, at, at + need);
		ch[i].offset = (uint32_t)at;
		next->slot[ch[i].slot] = (struct linear_slot){
			.offset = (uint32_t)at, .data_len = ch[i].len,
		};
	}
	tile_sections(next);
	return 0;
}
