/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * linear.h - swtpm's linear state format (--tpmstate backend-uri=file://):
 * every state blob in one regular file or block device, found through a
 * header at offset 0. Pure functions on bytes and headers, no I/O: reading
 * and checking a header, writing one, and planning where an update goes so
 * that it is crash-safe. store_linear.c does the I/O.
 *
 * The header, little-endian, LINEAR_HEADER_SIZE bytes: the magic "swtpmlin"
 * as a u64, version u8 (1), one pad byte, the header size u16, then
 * LINEAR_SLOTS slots of u32 (offset, data length, section length); offset 0
 * means unused. swtpm numbers the slots 0 permanent state, 1 volatile state,
 * 2 save state, for a TPM 1.2 and a TPM 2 alike. The data of a slot is the
 * blob the directory backend keeps in one file.
 *
 * What swtpm needs of a layout: it reads a slot by offset and data length;
 * it rewrites a blob in place while it fits the section; when one outgrows
 * its section it removes the slot by moving everything after that section
 * down by the section's length. That move is right only if each used
 * section ends exactly where the next one (in offset order) starts, so
 * linear_plan() keeps that: free space between two blobs belongs to the
 * section before it.
 *
 * What vtpmd needs of an update: the new blobs go where no current blob
 * lies (LINEAR_ALIGN blocks apart from the header and from every blob, so a
 * torn write of them cannot reach other data), and all slots switch to
 * them at once with one write of the header, which lies in the first
 * sector.
 *
 * Functions returning int give 0 or a negative errno unless they say so.
 */
#ifndef VTPMD_STORE_LINEAR_H
#define VTPMD_STORE_LINEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINEAR_MAGIC       UINT64_C(0x737774706d6c696e)   /* "swtpmlin" */
#define LINEAR_VERSION     1
#define LINEAR_SLOTS       15
#define LINEAR_HEADER_SIZE 192                 /* 12 + 15 * 12 */
/* vtpmd's unit of placement: a page, and a multiple of every sector size */
#define LINEAR_ALIGN       4096u
/* offsets and lengths are u32: nothing may end past this */
#define LINEAR_LIMIT       UINT64_C(0xffffffff)

enum linear_slot_nr {
	LINEAR_SLOT_PERMANENT = 0,
	LINEAR_SLOT_VOLATILE = 1,
	LINEAR_SLOT_SAVESTATE = 2,
};

struct linear_slot {
	uint32_t offset;        /* 0: unused */
	uint32_t data_len;
	uint32_t section_len;
};

struct linear_header {
	uint16_t hdrsize;
	struct linear_slot slot[LINEAR_SLOTS];
};

/* A header with no slot in use. */
void linear_header_init(struct linear_header *h);

/*
 * The header of a file or device of SIZE bytes whose first bytes are BUF
 * (LEN of them: at least LINEAR_HEADER_SIZE, or all SIZE if fewer).
 * Returns 1 and *H for a valid header; 0 when it holds no state yet (SIZE
 * 0, or a header area of zeros: never formatted, or a crash before the
 * first header was written); -EINVAL with one line in WHY for anything else
 * (too short, wrong magic or version, slots out of range or overlapping).
 */
int linear_parse(const uint8_t *buf, size_t len, uint64_t size,
		 struct linear_header *h, char *why, size_t whylen);

/* What linear_parse() checks of a decoded header against SIZE. 0 or
 * -EINVAL with one line in WHY. */
int linear_check(const struct linear_header *h, uint64_t size, char *why,
		 size_t whylen);

/* The header's bytes, as swtpm writes them. */
void linear_encode(const struct linear_header *h, uint8_t out[LINEAR_HEADER_SIZE]);

/* swtpm's slot for libtpms' blob NAME ("permall", ...); -EINVAL for any
 * other name. */
int linear_slot_of(const char *name);

/* A slot's name for log lines: "permall", ... or "slot N". BUF holds the
 * latter. */
const char *linear_slot_name(unsigned slot, char *buf, size_t len);

/* One slot's part of an update. */
struct linear_change {
	unsigned slot;
	bool remove;            /* empty the slot */
	uint32_t len;           /* else: the new blob's length */
	uint32_t offset;        /* out: where the new blob goes */
};

/*
 * Plan CH[0..N) (at most one change per slot) on top of CUR, a valid
 * header: where each new blob goes (ch[i].offset) and the header that
 * switches to them (*NEXT). Each new blob starts on a LINEAR_ALIGN
 * boundary, below LIMIT (at most LINEAR_LIMIT), in blocks that hold no
 * other new blob, not the header, and no blob of CUR or of any of
 * AVOID[0..NAVOID) (headers that may be on disk instead of CUR). NEXT
 * keeps every other slot's blob where it is and gives each section the
 * space up to the next one. -ENOSPC if the blobs do not fit; -EINVAL for
 * a bad change.
 */
int linear_plan(const struct linear_header *cur,
		const struct linear_header *const *avoid, size_t navoid,
		struct linear_change *ch, size_t n, uint64_t limit,
		struct linear_header *next);

/* Where the last section ends (LINEAR_HEADER_SIZE, or hdrsize, when no
 * slot is used): a regular file needs no byte beyond it. */
uint64_t linear_end(const struct linear_header *h);

#endif
