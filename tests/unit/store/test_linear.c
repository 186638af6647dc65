/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_linear.c - swtpm's linear format as linear.c reads, writes and plans
 * it: swtpm 0.7.1's own files parse and re-encode byte for byte; each kind
 * of damage is refused with its own line; planned updates never touch a
 * block that holds the header or a blob, and leave layouts that swtpm's own
 * way of moving sections (modelled here from its source: a blob that
 * outgrows its section is removed by moving every later section down by
 * that section's length) keeps intact, through thousands of random updates.
 *
 * Tests run from the top of the tree (make unit), or set VTPMD_TEST_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/bytes.h"
#include "store/linear.h"
#include "linear_rules.h"
#include "test_files.h"

#define LINEAR_FIXTURES "tests/unit/data/swtpm-0.7.1-linear"

static uint8_t *fixture(const char *name, size_t *len)
{
	const char *dir = getenv("VTPMD_TEST_DATA_LINEAR");
	char path[512];
	uint8_t *buf;

	path_in(path, sizeof(path), dir ? dir : LINEAR_FIXTURES, name);
	buf = read_file_at(path, len);
	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

static int parse(const uint8_t *buf, size_t len, struct linear_header *h, char *why)
{
	why[0] = '\0';
	return linear_parse(buf, len, len, h, why, 256);
}

/* ---- reading swtpm's files ---- */

static void test_swtpm_files_parse(void **state)
{
	static const char *const names[] = {
		"tpm2.linear", "tpm2-aes256.linear", "tpm12.linear",
	};
	uint8_t out[LINEAR_HEADER_SIZE];
	struct linear_header h;
	char why[256];
	size_t i, len;

	(void)state;
	for (i = 0; i < 3; i++) {
		uint8_t *f = fixture(names[i], &len);

		assert_int_equal(parse(f, len, &h, why), 1);
		assert_int_equal(h.hdrsize, LINEAR_HEADER_SIZE);
		/* swtpm puts the first blob right after the header, in a
		 * power-of-two section, the next one after that section */
		assert_int_equal(h.slot[LINEAR_SLOT_PERMANENT].offset, LINEAR_HEADER_SIZE);
		assert_int_equal(h.slot[LINEAR_SLOT_VOLATILE].offset,
				 LINEAR_HEADER_SIZE + h.slot[0].section_len);
		assert_int_equal(h.slot[LINEAR_SLOT_SAVESTATE].offset, 0);
		/* the blob in a slot is the directory backend's file */
		assert_memory_equal(f + h.slot[0].offset, "\x02\x01\x00\x0a", 4);
		assert_int_equal(get_be32(f + h.slot[0].offset + 6) + 0u,
				 h.slot[0].data_len);
		/* and we write the header as swtpm does */
		linear_encode(&h, out);
		assert_memory_equal(out, f, LINEAR_HEADER_SIZE);
		assert_true(linear_end(&h) <= len);
		free(f);
	}
}

static void test_no_state_yet(void **state)
{
	uint8_t zeros[LINEAR_HEADER_SIZE + 100] = { 0 };
	struct linear_header h;
	char why[256];

	(void)state;
	/* an empty file, or one whose header was never written */
	assert_int_equal(linear_parse(zeros, 0, 0, &h, why, sizeof(why)), 0);
	assert_int_equal(parse(zeros, sizeof(zeros), &h, why), 0);
	assert_int_equal(h.hdrsize, LINEAR_HEADER_SIZE);
	for (unsigned i = 0; i < LINEAR_SLOTS; i++)
		assert_int_equal(h.slot[i].offset, 0);
	/* a block device of zeros: only its first bytes are read */
	assert_int_equal(linear_parse(zeros, LINEAR_HEADER_SIZE, UINT64_C(1) << 30, &h,
				      why, sizeof(why)), 0);
}

/* ---- damage ---- */

/* FILE with a header edited by EDIT, which must be refused with WANT. */
static void refused(const uint8_t *file, size_t len, size_t at, const void *bytes,
		    size_t n, const char *want)
{
	uint8_t *copy = malloc(len);
	struct linear_header h;
	char why[256];

	assert_non_null(copy);
	memcpy(copy, file, len);
	memcpy(copy + at, bytes, n);
	assert_int_equal(parse(copy, len, &h, why), -EINVAL);
	if (!strstr(why, want))
		fail_msg("expected '%s', got '%s'", want, why);
	assert_null(strchr(why, '\n'));
	free(copy);
}

static void put32(uint8_t *p, uint32_t v)
{
	put_le32(p, v);
}

static void test_damage_refused(void **state)
{
	struct linear_header h;
	uint8_t b[4], *f;
	char why[256];
	size_t len;

	(void)state;
	f = fixture("tpm2.linear", &len);

	/* truncated: shorter than a header, or the last slot cut off */
	assert_int_equal(linear_parse(f, 100, 100, &h, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "truncated: 100 bytes"));
	assert_int_equal(linear_parse(f, len, len - 1, &h, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "volatilestate ends at 18624, past the end (18623 bytes)"));

	refused(f, len, 0, "swtpmLIN", 8, "not swtpm's linear state format");
	refused(f, len, 8, "\x02", 1, "linear format version 2 is not supported");
	refused(f, len, 8, "\x00", 1, "linear format version 0 is not supported");
	refused(f, len, 10, "\x10\x00", 2, "header size 16 is out of range");
	refused(f, len, 10, "\xff\xff", 2, "header size 65535 is out of range");
	/* permall starting inside the header */
	put32(b, 100);
	refused(f, len, 12, b, 4, "permall starts at 100, inside the header");
	/* more data than its section */
	put32(b, 2049);
	refused(f, len, 16, b, 4, "permall holds 2049 bytes in a section of 2048");
	/* a section reaching past the end */
	put32(b, 0x4001);
	refused(f, len, 32, b, 4, "volatilestate ends at 18625, past the end");
	/* an offset far out (u32 arithmetic must not wrap) */
	put32(b, 0xfffffff0);
	refused(f, len, 24, b, 4, "volatilestate ends at 4294983664, past the end");
	/* overlapping sections: the save state in permall's */
	{
		uint8_t slot[12];

		put32(slot, 1000);
		put32(slot + 4, 10);
		put32(slot + 8, 10);
		refused(f, len, 12 + 2 * 12, slot, 12, "permall and savestate overlap");
		/* and a slot beyond swtpm's three, as it would have them */
		refused(f, len, 12 + 9 * 12, slot, 12, "permall and slot 9 overlap");
	}
	/* empty sections still have a place: at another slot's offset, or
	 * inside its section */
	{
		uint8_t slot[12] = { 0 };

		put32(slot, 0xc0);
		refused(f, len, 12 + 2 * 12, slot, 12, "permall and savestate overlap");
		put32(slot, 0x100);
		refused(f, len, 12 + 2 * 12, slot, 12, "permall and savestate overlap");
	}
	/* nothing may end past 4 GiB (swtpm adds offsets and lengths in 32 bits) */
	{
		uint8_t slot[12];
		struct linear_header big;

		put32(slot, 0xfffff000);
		put32(slot + 4, 0x2000);
		put32(slot + 8, 0x2000);
		{
			uint8_t *copy = malloc(len);

			memcpy(copy, f, len);
			memcpy(copy + 12 + 2 * 12, slot, 12);
			assert_int_equal(linear_parse(copy, len, UINT64_C(1) << 33, &big, why,
						      sizeof(why)), -EINVAL);
			if (!strstr(why, "savestate ends at 4294971392, past the end"))
				fail_msg("got %s", why);
			free(copy);
		}
	}
	/* an unused slot's lengths do not matter (swtpm ignores them) */
	{
		uint8_t slot[12] = { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
		uint8_t *copy = malloc(len);

		memcpy(copy, f, len);
		memcpy(copy + 12 + 2 * 12, slot, 12);
		assert_int_equal(parse(copy, len, &h, why), 1);
		assert_int_equal(h.slot[2].data_len, 0);
		free(copy);
	}
	free(f);
}

/* ---- planning ---- */

/* The rules every planned update must keep (linear_rules.h). */
static void check_plan(const struct linear_header *cur, const struct linear_change *ch,
		       size_t n, const struct linear_header *next, uint64_t limit)
{
	const char *broken = linear_rule_broken(cur, ch, n, next, limit);

	if (broken)
		fail_msg("%s", broken);
}

static void test_plan_on_swtpm_layout(void **state)
{
	struct linear_header cur, next;
	struct linear_change ch[2];
	char why[256];
	uint8_t *f;
	size_t len;

	(void)state;
	f = fixture("tpm2.linear", &len);
	assert_int_equal(parse(f, len, &cur, why), 1);

	/* a larger permanent state: into free space, never over volatile's */
	ch[0] = (struct linear_change){ .slot = LINEAR_SLOT_PERMANENT, .len = 5000 };
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 1, LINEAR_LIMIT, &next), 0);
	check_plan(&cur, ch, 1, &next, LINEAR_LIMIT);
	/* volatile's blob is at 2240..11226, so the first free block is 12288 */
	assert_int_equal(ch[0].offset, 12288);
	/* volatile keeps its place, its section now reaching to permall */
	assert_int_equal(next.slot[1].section_len, 12288 - 2240);

	/* both at once, and removing one */
	ch[0] = (struct linear_change){ .slot = LINEAR_SLOT_VOLATILE, .len = 9000 };
	ch[1] = (struct linear_change){ .slot = LINEAR_SLOT_PERMANENT, .len = 1400 };
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 2, LINEAR_LIMIT, &next), 0);
	check_plan(&cur, ch, 2, &next, LINEAR_LIMIT);
	ch[0] = (struct linear_change){ .slot = LINEAR_SLOT_VOLATILE, .remove = true };
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 1, LINEAR_LIMIT, &next), 0);
	check_plan(&cur, ch, 1, &next, LINEAR_LIMIT);
	assert_int_equal(next.slot[0].section_len, next.slot[0].data_len);
	assert_int_equal(linear_end(&next), LINEAR_HEADER_SIZE + next.slot[0].data_len);

	/* no room: a device that ends before a free block */
	ch[0] = (struct linear_change){ .slot = LINEAR_SLOT_PERMANENT, .len = 5000 };
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 1, 12288 + 4999, &next), -ENOSPC);
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 1, 12288 + 5000, &next), 0);

	/* bad changes */
	ch[0] = (struct linear_change){ .slot = 0, .len = 1 };
	ch[1] = (struct linear_change){ .slot = 0, .len = 2 };
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 2, LINEAR_LIMIT, &next), -EINVAL);
	ch[0].slot = LINEAR_SLOTS;
	assert_int_equal(linear_plan(&cur, NULL, 0, ch, 1, LINEAR_LIMIT, &next), -EINVAL);
	free(f);
}

static void test_plan_avoids_headers_in_doubt(void **state)
{
	struct linear_header cur, other, next;
	const struct linear_header *avoid[1] = { &other };
	struct linear_change ch = { .slot = LINEAR_SLOT_PERMANENT, .len = 3000 };

	(void)state;
	linear_header_init(&cur);
	cur.slot[0] = (struct linear_slot){ 4096, 3000, 3000 };
	/* a switch to a permall at 8192 failed half-way: it may be on disk */
	other = cur;
	other.slot[0] = (struct linear_slot){ 8192, 3000, 3000 };
	assert_int_equal(linear_plan(&cur, avoid, 1, &ch, 1, LINEAR_LIMIT, &next), 0);
	assert_int_equal(ch.offset, 12288);
	assert_int_equal(linear_plan(&cur, NULL, 0, &ch, 1, LINEAR_LIMIT, &next), 0);
	assert_int_equal(ch.offset, 8192);
}

/* ---- random updates, and swtpm on the result ---- */

/* A file in memory holding blobs whose bytes say which slot and which
 * generation they are. */
struct image {
	uint8_t *data;
	uint64_t size;
	struct linear_header h;
	uint32_t gen[LINEAR_SLOTS];
};

static uint8_t pattern(unsigned slot, uint32_t gen, uint32_t i)
{
	return (uint8_t)(slot * 37 + gen * 11 + i * 7 + 1);
}

static void image_check(const struct image *im)
{
	char why[256];
	unsigned i;
	uint32_t k;

	assert_int_equal(linear_check(&im->h, im->size, why, sizeof(why)), 0);
	for (i = 0; i < LINEAR_SLOTS; i++) {
		const struct linear_slot *s = &im->h.slot[i];

		for (k = 0; s->offset && k < s->data_len; k++)
			if (im->data[s->offset + k] != pattern(i, im->gen[i], k))
				fail_msg("slot %u byte %u is not its generation %u",
					 i, k, im->gen[i]);
	}
}

/* What swtpm does to write LEN bytes to SLOT when they outgrow its
 * section: remove the slot, moving every later section down by its
 * section's length, then append a power-of-two section at the end. */
static void swtpm_rewrite(struct image *im, unsigned slot, uint32_t len)
{
	struct linear_slot old = im->h.slot[slot];
	uint64_t next = UINT64_MAX, end = 0, pow2 = 1, at = im->h.hdrsize;
	unsigned i;

	im->h.slot[slot] = (struct linear_slot){ 0 };
	for (i = 0; i < LINEAR_SLOTS; i++) {
		struct linear_slot *s = &im->h.slot[i];

		if (!s->offset || s->offset <= old.offset)
			continue;
		if (s->offset < next)
			next = s->offset;
		if (s->offset + (uint64_t)s->section_len > end)
			end = s->offset + (uint64_t)s->section_len;
		s->offset -= old.section_len;
	}
	if (next != UINT64_MAX)
		memmove(im->data + old.offset, im->data + next, end - next);
	for (i = 0; i < LINEAR_SLOTS; i++)
		if (im->h.slot[i].offset &&
		    im->h.slot[i].offset + (uint64_t)im->h.slot[i].section_len > at)
			at = im->h.slot[i].offset + (uint64_t)im->h.slot[i].section_len;
	while (pow2 < len)
		pow2 <<= 1;
	if (at + pow2 > im->size) {
		im->data = realloc(im->data, at + pow2);
		assert_non_null(im->data);
		im->size = at + pow2;
	}
	im->gen[slot]++;
	for (uint32_t k = 0; k < len; k++)
		im->data[at + k] = pattern(slot, im->gen[slot], k);
	im->h.slot[slot] = (struct linear_slot){ (uint32_t)at, len, (uint32_t)pow2 };
}

/* What vtpmd does: plan, write the blobs, switch the header, cut the end. */
static void vtpmd_update(struct image *im, struct linear_change *ch, size_t n)
{
	struct linear_header next;
	struct image before = *im;
	uint64_t need = 0;
	size_t i;

	assert_int_equal(linear_plan(&im->h, NULL, 0, ch, n, LINEAR_LIMIT, &next), 0);
	check_plan(&im->h, ch, n, &next, LINEAR_LIMIT);
	for (i = 0; i < n; i++)
		if (!ch[i].remove && ch[i].offset + (uint64_t)ch[i].len > need)
			need = ch[i].offset + (uint64_t)ch[i].len;
	if (need > im->size) {
		im->data = realloc(im->data, need);
		assert_non_null(im->data);
		memset(im->data + im->size, 0, need - im->size);
		im->size = need;
	}
	for (i = 0; i < n; i++) {
		if (ch[i].remove)
			continue;
		im->gen[ch[i].slot]++;
		for (uint32_t k = 0; k < ch[i].len; k++)
			im->data[ch[i].offset + k] = pattern(ch[i].slot, im->gen[ch[i].slot], k);
	}
	/* the old blobs are intact until the switch */
	before.data = im->data;
	before.size = im->size;
	image_check(&before);
	im->h = next;
	if (linear_end(&next) < im->size)
		im->size = linear_end(&next);
}

static void test_random_updates_with_swtpm_between(void **state)
{
	struct image im = { .data = calloc(1, LINEAR_HEADER_SIZE), .size = LINEAR_HEADER_SIZE };
	uint64_t live, most = 0;
	unsigned round, i;

	(void)state;
	srandom(20261205);
	linear_header_init(&im.h);
	for (round = 0; round < 4000; round++) {
		unsigned slot = (unsigned)random() % 4;
		uint32_t len = 1 + (uint32_t)random() % (slot == 3 ? 300 : 20000);
		struct linear_change ch[2] = {
			{ .slot = slot, .len = len },
			{ .slot = (slot + 1) % 4, .remove = true },
		};
		size_t n = random() % 5 == 0 ? 2 : 1;

		if (random() % 4 == 0 && im.h.slot[slot].offset) {
			/* swtpm takes a turn on what vtpmd wrote */
			if (len > im.h.slot[slot].section_len) {
				swtpm_rewrite(&im, slot, len);
			} else {
				im.gen[slot]++;
				for (uint32_t k = 0; k < len; k++)
					im.data[im.h.slot[slot].offset + k] = pattern(slot, im.gen[slot], k);
				im.h.slot[slot].data_len = len;
			}
		} else {
			if (n == 2 && !im.h.slot[ch[1].slot].offset)
				n = 1;
			vtpmd_update(&im, ch, n);
		}
		image_check(&im);
		live = LINEAR_HEADER_SIZE;
		for (i = 0; i < LINEAR_SLOTS; i++)
			live += im.h.slot[i].data_len;
		/* free space stays bounded: room for about one more copy of
		 * each blob, plus rounding to blocks */
		if (im.size > most)
			most = im.size;
		assert_true(im.size <= 2 * live + 8 * LINEAR_ALIGN + 2 * 20000);
	}
	free(im.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swtpm_files_parse),
		cmocka_unit_test(test_no_state_yet),
		cmocka_unit_test(test_damage_refused),
		cmocka_unit_test(test_plan_on_swtpm_layout),
		cmocka_unit_test(test_plan_avoids_headers_in_doubt),
		cmocka_unit_test(test_random_updates_with_swtpm_between),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
