/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtpm_cdi.c - vtpm-cdi: a pool of TPM slots for containers, through the
 * Container Device Interface. "pool" writes the spec; the runtime runs
 * "hook create" and "hook poststop" from it, as root, with the container's
 * state on stdin.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vtpm-cdi/cdi_opts.h"
#include "vtpm-cdi/hook.h"
#include "vtpm-cdi/pool.h"

int main(int argc, char **argv)
{
	struct cdi_opts o;
	char err[512], self[PATH_MAX];
	ssize_t n;
	int ret;

	if (cdi_opts_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-cdi: %s\n", err);
		return 1;
	}
	switch (o.cmd) {
	case CMD_HELP:
		cdi_opts_usage(stdout);
		ret = 0;
		break;
	case CMD_VERSION:
		printf("vtpm-cdi %s\n", VTPMD_VERSION);
		ret = 0;
		break;
	case CMD_POOL:
		if (o.remove) {
			ret = pool_remove(&o);
			break;
		}
		/* The hooks run this very program, by its absolute path. */
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			perror("vtpm-cdi: /proc/self/exe");
			ret = 1;
			break;
		}
		self[n] = '\0';
		ret = pool_write(&o, self);
		break;
	case CMD_HOOK_CREATE:
		ret = hook_create(&o, STDIN_FILENO);
		break;
	case CMD_HOOK_POSTSTOP:
		ret = hook_poststop(&o, STDIN_FILENO);
		break;
	default:
		ret = 1;
	}
	cdi_opts_free(&o);
	return ret;
}
