/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_setup_opts.c - vtpm-setup's option parser. The input is the command
 * line after "vtpm-setup": arguments separated by NUL bytes. Whatever it
 * holds, setup_opts_parse either fills the options or says why in one
 * line (never more, never nothing).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtpm-setup/setup_opts.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct setup_options o;
	int argc = 1;
	size_t start = 0;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "vtpm-setup";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (copy[i] == '\0') {
			argv[argc++] = copy + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;

	err[0] = '\0';
	if (setup_opts_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		size_t n = strlen(err);

		if (!n || strchr(err, '\n'))
			abort();
	}
	free(copy);
	return 0;
}
