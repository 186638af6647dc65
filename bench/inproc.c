/* SPDX-License-Identifier: BSD-3-Clause */
/* inproc.c - libtpms in-process as a bench transport (see inproc.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "inproc.h"
#include "store/store.h"
#include "tpm_cmds.h"

/* After start-up, libtpms' state writes are dropped (see inproc.h). */
static bool drop_writes;
static unsigned char *resp_buf;
static uint32_t resp_cap;

static TPM_RESULT cb_init(void)
{
	return store_nvram_init();
}

static TPM_RESULT cb_load(unsigned char **data, uint32_t *length,
			  uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	return store_load(name, data, length);
}

static TPM_RESULT cb_store(const unsigned char *data, uint32_t length,
			   uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	return drop_writes ? TPM_SUCCESS : store_save(name, data, length);
}

static TPM_RESULT cb_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	(void)tpm_number;
	return drop_writes ? TPM_SUCCESS : store_delete(name, must_exist);
}

static TPM_RESULT cb_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t tpm_number)
{
	(void)tpm_number;
	*loc = 0;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_pp(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = 0;
	return TPM_SUCCESS;
}

static ssize_t inproc_transact(void *ctx, const uint8_t *cmd, size_t len,
			       uint8_t *resp, size_t cap)
{
	uint32_t resp_len = 0;
	TPM_RESULT rc;

	(void)ctx;
	/* libtpms takes a non-const command buffer but does not change it. */
	rc = TPMLIB_Process(&resp_buf, &resp_len, &resp_cap, (unsigned char *)cmd,
			    (uint32_t)len);
	if (rc != TPM_SUCCESS)
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

int inproc_start(const char *dir)
{
	static struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(struct libtpms_callbacks),
		.tpm_nvram_init = cb_init,
		.tpm_nvram_loaddata = cb_load,
		.tpm_nvram_storedata = cb_store,
		.tpm_nvram_deletename = cb_delete,
		.tpm_io_init = cb_io_init,
		.tpm_io_getlocality = cb_locality,
		.tpm_io_getphysicalpresence = cb_pp,
	};
	uint8_t cmd[CMD_MAX], resp[RESP_MAX];
	ssize_t n;
	int ret;

	drop_writes = false;
	ret = store_open(dir, TPM_VERSION_2, STORE_MODE_DEFAULT);
	if (ret < 0) {
		fprintf(stderr, "bench: state directory %s: %s\n", dir, strerror(-ret));
		return -EIO;
	}
	if (TPMLIB_RegisterCallbacks(&cbs) != TPM_SUCCESS ||
	    TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS ||
	    TPMLIB_MainInit() != TPM_SUCCESS) {
		fprintf(stderr, "bench: libtpms did not start on %s\n", dir);
		store_close();
		return -EIO;
	}
	n = inproc_transact(NULL, cmd, cmd_startup_clear(cmd), resp, sizeof(resp));
	if (n < 0 || resp_rc(resp, (size_t)n) != 0) {
		fprintf(stderr, "bench: in-process Startup failed\n");
		store_close();
		inproc_stop();
		return -EIO;
	}
	ret = workload_prepare(&inproc_xport);
	drop_writes = true;
	store_close();
	if (ret < 0) {
		inproc_stop();
		return -EIO;
	}
	return 0;
}

void inproc_stop(void)
{
	drop_writes = true;
	TPMLIB_Terminate();
	free(resp_buf);
	resp_buf = NULL;
	resp_cap = 0;
}
