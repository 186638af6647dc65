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

#include "fuzz_argv.h"
#include "vtpm-setup/setup_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup_options o;
	struct fuzz_argv a;
	char err[512];

	if (!fuzz_argv_split(&a, "vtpm-setup", data, size))
		return 0;
	err[0] = '\0';
	if (setup_opts_parse(&o, a.argc, a.argv, err, sizeof(err)) < 0) {
		size_t n = strlen(err);

		if (!n || strchr(err, '\n'))
			abort();
	}
	fuzz_argv_free(&a);
	return 0;
}
