/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_linear.c - the linear state file's header parser and update planner
 * (src/store/linear.c): what a damaged or hostile file or block device
 * hands vtpmd at start-up.
 *
 * Input: 8 control bytes, then the file's bytes.
 *   byte 0       bits 0-1: how many slots an update changes (0-3);
 *                bit 2: the file is a block device of the size in bytes 1-3
 *                (KiB, little-endian), else a regular file that may grow
 *   bytes 4-7    per change: bits 0-3 the slot, bit 4 remove, bits 5-7 and
 *                the next change's byte pick the length (x 611 bytes)
 * The file is parsed as vtpmd parses it at open. A header that parses must
 * re-encode to the same header and pass linear_check(); a planned update
 * must keep every rule the crash safety and swtpm rest on
 * (tests/unit/linear_rules.h): abort() if not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/linear.h"
#include "linear_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linear_header h, back, next;
	struct linear_change ch[3];
	uint8_t enc[LINEAR_HEADER_SIZE];
	uint64_t limit, fsize;
	char why[256];
	size_t n, i;
	int ret;

	if (size < 8)
		return 0;
	n = data[0] & 3;
	limit = (data[0] & 4) ?
		((uint64_t)data[1] | (uint64_t)data[2] << 8 | (uint64_t)data[3] << 16) * 1024 :
		LINEAR_LIMIT;
	for (i = 0; i < n; i++) {
		ch[i] = (struct linear_change){
			.slot = data[4 + i] & 0x0f,
			.remove = data[4 + i] & 0x10,
			.len = (uint32_t)((data[4 + i] >> 5) | data[5 + i] << 3) * 611,
		};
	}
	data += 8;
	size -= 8;
	/* a block device is its size, of which the input is the start */
	if (limit != LINEAR_LIMIT && size > limit)
		size = (size_t)limit;
	fsize = limit != LINEAR_LIMIT ? limit : size;

	ret = linear_parse(data, size, fsize, &h, why, sizeof(why));
	if (ret < 0) {
		if (!why[0] || memchr(why, '\n', strlen(why)))
			abort();        /* one line, always */
		return 0;
	}
	if (ret == 1) {
		linear_encode(&h, enc);
		/* unused slots are cleared and the pad byte is 0: compare the
		 * header that comes back, not the raw bytes */
		if (linear_parse(enc, sizeof(enc), fsize, &back, why, sizeof(why)) != 1 ||
		    memcmp(&back, &h, sizeof(h)) != 0)
			abort();
		if (linear_check(&h, fsize, why, sizeof(why)) != 0)
			abort();
	}
	if (n == 0)
		return 0;
	ret = linear_plan(&h, NULL, 0, ch, n, limit, &next);
	if (ret == 0 && linear_rule_broken(&h, ch, n, &next, limit))
		abort();
	return 0;
}
