/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * linear_rules.h - the rules every planned update of a linear state file
 * must keep (linear_plan(), src/store/linear.h), checked the same way by the
 * unit tests and by fuzz_linear: new blobs on LINEAR_ALIGN boundaries below
 * the limit, in blocks that hold neither the header, nor a blob of the
 * current header, nor another new blob; untouched slots where they were;
 * every used section ending where the next begins (what swtpm's section
 * moves need); the result a valid header.
 */
#ifndef VTPMD_TEST_LINEAR_RULES_H
#define VTPMD_TEST_LINEAR_RULES_H

#include <stdbool.h>
#include <stdio.h>

#include "store/linear.h"

/* NULL if NEXT and CH[0..N) keep the rules on top of CUR, else which one
 * they break (a static buffer). */
static inline const char *linear_rule_broken(const struct linear_header *cur,
					     const struct linear_change *ch, size_t n,
					     const struct linear_header *next,
					     uint64_t limit)
{
	static char why[320];
	unsigned order[LINEAR_SLOTS], used = 0, i, j;
	uint64_t end_of_all = linear_end(next);
	char sub[256];

	if (linear_check(next, end_of_all, sub, sizeof(sub)) != 0) {
		snprintf(why, sizeof(why), "the new header is not valid: %s", sub);
		return why;
	}
	if (end_of_all > limit && end_of_all > next->hdrsize) {
		snprintf(why, sizeof(why), "it ends at %llu, past %llu",
			 (unsigned long long)end_of_all, (unsigned long long)limit);
		return why;
	}
	for (i = 0; i < n; i++) {
		uint64_t start = ch[i].offset;
		uint64_t end = (start + ch[i].len + LINEAR_ALIGN - 1) / LINEAR_ALIGN * LINEAR_ALIGN;

		if (ch[i].remove) {
			if (next->slot[ch[i].slot].offset) {
				snprintf(why, sizeof(why), "slot %u was not emptied", ch[i].slot);
				return why;
			}
			continue;
		}
		if (end == start)
			end += LINEAR_ALIGN;
		if (start % LINEAR_ALIGN || start < LINEAR_ALIGN ||
		    start < (cur->hdrsize + LINEAR_ALIGN - 1) / LINEAR_ALIGN * LINEAR_ALIGN ||
		    start + ch[i].len > limit || next->slot[ch[i].slot].offset != start ||
		    next->slot[ch[i].slot].data_len != ch[i].len) {
			snprintf(why, sizeof(why), "slot %u's new blob at %llu is misplaced",
				 ch[i].slot, (unsigned long long)start);
			return why;
		}
		for (j = 0; j < LINEAR_SLOTS; j++) {
			const struct linear_slot *c = &cur->slot[j];

			if (c->offset && c->offset < end &&
			    c->offset + (uint64_t)c->data_len > start) {
				snprintf(why, sizeof(why), "slot %u's new blob at %llu lands on "
					 "slot %u's blob", ch[i].slot,
					 (unsigned long long)start, j);
				return why;
			}
		}
		for (j = 0; j < n; j++)
			if (j != i && !ch[j].remove && ch[j].offset >= start && ch[j].offset < end) {
				snprintf(why, sizeof(why), "two new blobs share a block at %llu",
					 (unsigned long long)start);
				return why;
			}
	}
	for (j = 0; j < LINEAR_SLOTS; j++) {
		bool changed = false;

		for (i = 0; i < n; i++)
			changed |= ch[i].slot == j;
		if (!changed && (next->slot[j].offset != cur->slot[j].offset ||
				 next->slot[j].data_len != cur->slot[j].data_len)) {
			snprintf(why, sizeof(why), "untouched slot %u moved", j);
			return why;
		}
	}
	for (i = 0; i < LINEAR_SLOTS; i++) {
		if (!next->slot[i].offset)
			continue;
		for (j = used; j > 0 && next->slot[order[j - 1]].offset > next->slot[i].offset; j--)
			order[j] = order[j - 1];
		order[j] = i;
		used++;
	}
	for (i = 0; i + 1 < used; i++)
		if ((uint64_t)next->slot[order[i]].offset + next->slot[order[i]].section_len !=
		    next->slot[order[i + 1]].offset) {
			snprintf(why, sizeof(why), "slot %u's section does not end where slot "
				 "%u's begins", order[i], order[i + 1]);
			return why;
		}
	return NULL;
}

#endif
