/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm.c - libtpms lifecycle and command execution. */
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "os/log.h"
#include "store/store.h"
#include "tpm/tpm.h"
#include "tpm/tpm_internal.h"
#include "tpm/tpm_wire.h"

/* libtpms' callbacks carry no context: they reach the one TPM through this. */
static struct tpm *the_tpm;

static TPM_RESULT cb_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_get_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t tpm_number)
{
	(void)tpm_number;
	*loc = the_tpm ? the_tpm->locality : 0;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_get_physical_presence(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = 0;
	return TPM_SUCCESS;
}

static TPMLIB_TPMVersion lib_version(enum tpm_version v)
{
	return v == TPM_VERSION_12 ? TPMLIB_TPM_VERSION_1_2 : TPMLIB_TPM_VERSION_2;
}

TPM_RESULT tpm_setup(struct tpm *t, const struct tpm_options *opt)
{
	static struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(struct libtpms_callbacks),
		.tpm_io_init = cb_io_init,
		.tpm_io_getlocality = cb_get_locality,
		.tpm_io_getphysicalpresence = cb_get_physical_presence,
	};
	TPM_RESULT rc;

	if (the_tpm && the_tpm != t)
		return TPM_FAIL;
	memset(t, 0, sizeof(*t));
	t->opt = *opt;
	store_set_nvram_callbacks(&cbs);
	the_tpm = t;

	rc = TPMLIB_RegisterCallbacks(&cbs);
	if (rc == TPM_SUCCESS)
		rc = TPMLIB_ChooseTPMVersion(lib_version(opt->version));
	if (rc != TPM_SUCCESS)
		log_error("libtpms refused the %s setup (0x%x)",
			  opt->version == TPM_VERSION_12 ? "TPM 1.2" : "TPM 2.0", rc);
	return rc;
}

TPM_RESULT tpm_start(struct tpm *t)
{
	TPM_RESULT rc;

	if (t->running)
		return TPM_SUCCESS;
	rc = TPMLIB_ChooseTPMVersion(lib_version(t->opt.version));
	if (rc == TPM_SUCCESS)
		rc = TPMLIB_MainInit();
	if (rc != TPM_SUCCESS) {
		log_error("TPM start failed: libtpms could not load the state (0x%x)", rc);
		/* MainInit may have half-initialized libtpms; reset it fully. */
		TPMLIB_Terminate();
		return rc;
	}
	t->running = true;
	log_info("TPM started");
	return TPM_SUCCESS;
}

void tpm_stop(struct tpm *t)
{
	if (!t->running)
		return;
	if (t->opt.auto_shutdown)
		tpm_auto_shutdown(t);
	TPMLIB_Terminate();
	t->running = false;
	log_info("TPM stopped");
}

void tpm_teardown(struct tpm *t)
{
	tpm_stop(t);
	if (the_tpm == t)
		the_tpm = NULL;
}

void tpm_fatal_response(enum tpm_version v, uint8_t out[TPM_HEADER_SIZE])
{
	if (v == TPM_VERSION_12)
		wire_header(out, TPM12_TAG_RSP_COMMAND, TPM_HEADER_SIZE, TPM12_FAIL);
	else
		wire_header(out, TPM2_ST_NO_SESSIONS, TPM_HEADER_SIZE, TPM2_RC_FAILURE);
}

/* Put a bare 10-byte response with result RC into the response buffer. */
static TPM_RESULT respond_header(struct tpm *t, uint32_t rc, uint8_t **resp,
				 uint32_t *resp_len, uint32_t *cap)
{
	if (*cap < TPM_HEADER_SIZE || !*resp) {
		uint8_t *p = realloc(*resp, TPM_HEADER_SIZE);

		if (!p)
			return TPM_SIZE;
		*resp = p;
		*cap = TPM_HEADER_SIZE;
	}
	if (rc == TPM2_RC_FAILURE) {
		tpm_fatal_response(t->opt.version, *resp);
	} else {
		uint16_t tag = t->opt.version == TPM_VERSION_12 ?
			TPM12_TAG_RSP_COMMAND : TPM2_ST_NO_SESSIONS;
		wire_header(*resp, tag, TPM_HEADER_SIZE, rc);
	}
	*resp_len = TPM_HEADER_SIZE;
	return TPM_SUCCESS;
}

/* swtpm's vendor command that lets an in-band client pick its locality. */
static uint32_t vendor_set_locality(struct tpm *t, const uint8_t *cmd, uint32_t len)
{
	if (!t->opt.allow_set_locality || len < TPM_HEADER_SIZE + 1)
		return TPM2_RC_FAILURE;
	if (tpm_set_locality(t, cmd[TPM_HEADER_SIZE]) != TPM_SUCCESS)
		return TPM2_RC_LOCALITY;
	return TPM2_RC_SUCCESS;
}

TPM_RESULT tpm_execute(struct tpm *t, uint8_t *cmd, uint32_t len,
		       uint8_t **resp, uint32_t *resp_len, uint32_t *cap)
{
	uint32_t ordinal = 0;
	TPM_RESULT rc;

	if (!t->running)
		return respond_header(t, TPM2_RC_FAILURE, resp, resp_len, cap);

	if (len >= TPM_HEADER_SIZE) {
		ordinal = wire_be32(cmd + 6);
		t->last_ordinal = ordinal;
		t->have_last_ordinal = true;
		if (t->opt.version == TPM_VERSION_2 &&
		    ordinal == TPM2_CC_SET_LOCALITY)
			return respond_header(t, vendor_set_locality(t, cmd, len),
					      resp, resp_len, cap);
	}

	rc = TPMLIB_Process(resp, resp_len, cap, cmd, len);
	if (rc != TPM_SUCCESS || *resp_len < TPM_HEADER_SIZE || *resp_len > *cap) {
		log_error("libtpms failed to process command 0x%08x (0x%x)", ordinal, rc);
		return respond_header(t, TPM2_RC_FAILURE, resp, resp_len, cap);
	}
	return TPM_SUCCESS;
}

void tpm_cancel(struct tpm *t)
{
	if (t->running)
		TPMLIB_CancelCommand();
}
