/* SPDX-License-Identifier: BSD-3-Clause */
/* inproc.c - libtpms in-process, through vtpmd's own tpm/ and store/ code,
 * as a bench transport (see inproc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inproc.h"
#include "tpm/tpm.h"
#include "tpm_cmds.h"

static struct tpm tpm;
static uint8_t *resp_buf;
static uint32_t resp_cap;

static ssize_t inproc_transact(void *ctx, const uint8_t *cmd, size_t len,
			       uint8_t *resp, size_t cap)
{
	uint8_t copy[TPM_MAX_COMMAND_SIZE];
	uint32_t resp_len = 0;

	(void)ctx;
	/* libtpms may work on the command in place, as the device's copy */
	if (len > sizeof(copy))
		return -E2BIG;
	memcpy(copy, cmd, len);
	if (tpm_execute(&tpm, copy, (uint32_t)len, &resp_buf, &resp_len, &resp_cap) < 0)
		return -EIO;
	if (resp_len > cap)
		return -E2BIG;
	memcpy(resp, resp_buf, resp_len);
	return resp_len;
}

const struct xport inproc_xport = {
	.name = "libtpms in-process",
	.transact = inproc_transact,
};

/* Open the TPM on DIR and send Startup(CLEAR). */
static int start_on(const char *dir, bool discard_writes)
{
	const struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = {
			.dir = dir, .file_mode = STORE_MODE_DEFAULT,
			.discard_writes = discard_writes,
		},
	};
	uint8_t cmd[CMD_MAX], resp[RESP_MAX];
	ssize_t n;
	int ret;

	ret = tpm_open(&tpm, &opt);
	if (ret < 0) {
		fprintf(stderr, "bench: state directory %s: %s\n", dir, strerror(-ret));
		return -EIO;
	}
	if (tpm_start(&tpm) != 0) {
		fprintf(stderr, "bench: libtpms did not start on %s\n", dir);
		inproc_stop();
		return -EIO;
	}
	n = inproc_transact(NULL, cmd, cmd_startup_clear(cmd), resp, sizeof(resp));
	if (n < 0 || resp_rc(resp, (size_t)n) != 0) {
		fprintf(stderr, "bench: in-process Startup failed\n");
		inproc_stop();
		return -EIO;
	}
	return 0;
}

int inproc_start(const char *dir)
{
	int ret;

	/* First for real: manufacture if need be, define the NV counter. */
	ret = start_on(dir, false);
	if (ret < 0)
		return ret;
	ret = workload_prepare(&inproc_xport);
	inproc_stop();
	if (ret < 0)
		return -EIO;
	/* Then on the same state, writing nothing and holding no lock. */
	return start_on(dir, true);
}

void inproc_stop(void)
{
	tpm_close(&tpm);
	free(resp_buf);
	resp_buf = NULL;
	resp_cap = 0;
}
