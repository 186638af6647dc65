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

#include "cli/config.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct vtpmd_config cfg;
	int argc = 1;
	size_t start = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "vtpmd";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (copy[i] == '\0') {
			argv[argc++] = copy + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;

	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	if (config_parse(&cfg, argc, argv, err, sizeof(err)) < 0) {
		/* always something, and no line break of its own (it may quote
		 * an argument that holds one) */
		size_t n = strlen(err);

		if (!n || err[n - 1] == '\n')
			abort();
	}
	config_free(&cfg);
	free(copy);
	return 0;
}
