/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_argv.h - a fuzz input as a command line: arguments separated by NUL
 * bytes, after the program's name, for the option-parser targets.
 */
#ifndef VTPMD_FUZZ_ARGV_H
#define VTPMD_FUZZ_ARGV_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ARGS 64

struct fuzz_argv {
	char *copy;                     /* the input, NUL-terminated */
	char *argv[FUZZ_MAX_ARGS + 2];
	int argc;
};

/* Split DATA into A (PROG first). False when out of memory. */
static inline int fuzz_argv_split(struct fuzz_argv *a, const char *prog,
				  const uint8_t *data, size_t size)
{
	size_t start = 0;

	a->copy = malloc(size + 1);
	if (!a->copy)
		return 0;
	memcpy(a->copy, data, size);
	a->copy[size] = '\0';
	a->argv[0] = (char *)prog;
	a->argc = 1;
	for (size_t i = 0; i <= size && a->argc <= FUZZ_MAX_ARGS; i++) {
		if (a->copy[i] == '\0') {
			a->argv[a->argc++] = a->copy + start;
			start = i + 1;
		}
	}
	a->argv[a->argc] = NULL;
	return 1;
}

/* A refusal is one line: something, and no line break of its own. */
static inline void fuzz_check_one_line(const char *err)
{
	if (!err[0] || strchr(err, '\n'))
		abort();
}

static inline void fuzz_argv_free(struct fuzz_argv *a)
{
	free(a->copy);
}

#endif
