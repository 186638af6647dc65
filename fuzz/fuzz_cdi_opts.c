/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cdi_opts.c - vtpm-cdi's option parser. The input is the command line
 * after "vtpm-cdi": arguments separated by NUL bytes. Whatever it holds,
 * cdi_opts_parse either fills the options or says why in one line; a pool
 * it accepts writes hook arguments that parse back into the same settings
 * (the runtime hands them to "hook create" as they are).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_argv.h"
#include "vtpm-cdi/cdi_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The pool's hook for its last slot parses into the pool's settings. */
static void round_trip(struct cdi_opts *pool)
{
	struct cdi_opts hook;
	char err[512], **argv;
	size_t argc, i;
	unsigned last = pool->slots - 1;

	if (!pool->vtpmd)
		pool->vtpmd = "/usr/bin/vtpmd";   /* pool_write() fills it in */
	if (cdi_opts_hook_argv(pool, "/usr/bin/vtpm-cdi", "create", last, &argv, &argc) < 0)
		return;                         /* out of memory */
	if (cdi_opts_parse(&hook, (int)argc, argv, err, sizeof(err)) < 0)
		abort();
	if (hook.cmd != CMD_HOOK_CREATE || hook.slot != last || hook.major != pool->major ||
	    hook.first_minor != pool->first_minor || !same(hook.prefix, pool->prefix) ||
	    !same(hook.run_dir, pool->run_dir) || !same(hook.vtpmd, pool->vtpmd) ||
	    hook.persistent != pool->persistent ||
	    (pool->persistent && !same(hook.state_dir, pool->state_dir)) ||
	    !same(hook.runas, pool->runas) || !same(hook.setup, pool->setup) ||
	    hook.nsetup_args != pool->nsetup_args || hook.nvtpmd_args != pool->nvtpmd_args)
		abort();
	for (i = 0; i < hook.nsetup_args; i++)
		if (strcmp(hook.setup_args[i], pool->setup_args[i]) != 0)
			abort();
	for (i = 0; i < hook.nvtpmd_args; i++)
		if (strcmp(hook.vtpmd_args[i], pool->vtpmd_args[i]) != 0)
			abort();
	cdi_opts_free(&hook);
	cdi_argv_free(argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cdi_opts o;
	struct fuzz_argv a;
	char err[512];

	if (!fuzz_argv_split(&a, "vtpm-cdi", data, size))
		return 0;
	err[0] = '\0';
	if (cdi_opts_parse(&o, a.argc, a.argv, err, sizeof(err)) < 0) {
		fuzz_check_one_line(err);
	} else {
		if (o.cmd == CMD_POOL && !o.remove)
			round_trip(&o);
		cdi_opts_free(&o);
	}
	fuzz_argv_free(&a);
	return 0;
}
