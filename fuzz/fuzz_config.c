/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - the option parser. The input is the command line after
 * "vtpmd": arguments separated by NUL bytes. Whatever it holds, config_parse
 * either fills the config or says why in one line, and config_free releases
 * all of it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtpmd/config.h"
#include "fuzz_argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtpmd_config cfg;
	struct fuzz_argv a;
	char err[512];

	if (!fuzz_argv_split(&a, "vtpmd", data, size))
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	if (config_parse(&cfg, a.argc, a.argv, err, sizeof(err)) < 0) {
		/* always something, and no line break of its own (it may quote
		 * an argument that holds one) */
		size_t n = strlen(err);

		if (!n || err[n - 1] == '\n')
			abort();
	}
	config_free(&cfg);
	fuzz_argv_free(&a);
	return 0;
}
