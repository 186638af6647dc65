/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_callbacks.c - the adapter between libtpms' callbacks and the one open
 * struct tpm: its state store behind the NVRAM callbacks, its locality.
 *
 * libtpms' callbacks carry no context, so this file holds a global: the
 * pointer to the one open TPM (libtpms keeps its TPM in globals of its
 * own, so there is never more than one). It is set and cleared only while
 * no command runs.
 */
#include <errno.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "os/log.h"
#include "tpm/tpm_internal.h"

static struct tpm *the_tpm;

static TPM_RESULT nvram_init(void)
{
	return the_tpm ? store_begin_loads(&the_tpm->store) : TPM_FAIL;
}

/* The callbacks carry a TPM number; vtpmd runs TPM 0 only. */
static TPM_RESULT nvram_load(unsigned char **data, uint32_t *length,
			     uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	if (!the_tpm)
		return TPM_FAIL;
	return store_load(&the_tpm->store, name, data, length);
}

static TPM_RESULT nvram_store(const unsigned char *data, uint32_t length,
			      uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	if (!the_tpm)
		return TPM_FAIL;
	return store_save(&the_tpm->store, name, data, length);
}

static TPM_RESULT nvram_delete(uint32_t tpm_number, const char *name,
			       TPM_BOOL must_exist)
{
	(void)tpm_number;
	if (!the_tpm)
		return TPM_FAIL;
	return store_delete(&the_tpm->store, name, must_exist);
}

static TPM_RESULT io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT get_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t tpm_number)
{
	(void)tpm_number;
	*loc = the_tpm ? the_tpm->locality : 0;
	return TPM_SUCCESS;
}

static TPM_RESULT get_physical_presence(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = 0;
	return TPM_SUCCESS;
}

int tpm_callbacks_bind(struct tpm *t)
{
	static struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(struct libtpms_callbacks),
		.tpm_nvram_init = nvram_init,
		.tpm_nvram_loaddata = nvram_load,
		.tpm_nvram_storedata = nvram_store,
		.tpm_nvram_deletename = nvram_delete,
		.tpm_io_init = io_init,
		.tpm_io_getlocality = get_locality,
		.tpm_io_getphysicalpresence = get_physical_presence,
	};
	TPM_RESULT rc;

	if (the_tpm && the_tpm != t)
		return -EBUSY;
	rc = TPMLIB_RegisterCallbacks(&cbs);
	if (rc != TPM_SUCCESS) {
		log_error("libtpms refused vtpmd's callbacks (0x%x)", rc);
		return -EIO;
	}
	the_tpm = t;
	return 0;
}

void tpm_callbacks_unbind(struct tpm *t)
{
	if (the_tpm == t)
		the_tpm = NULL;
}
