/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_state.c - the TPM's state as the control operations move it: the
 * volatile state stored or dropped, whole states leaving and entering as
 * swtpm's migration blobs, and the storage lock those moves depend on.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "os/log.h"
#include "mem/secret.h"
#include "tpm/tpm_internal.h"

TPM_RESULT tpm_store_volatile(struct tpm *t)
{
	unsigned char *buf = NULL;
	uint32_t len = 0;
	TPM_RESULT rc;

	rc = TPMLIB_VolatileAll_Store(&buf, &len);
	if (rc == TPM_SUCCESS)
		rc = store_save(&t->store, TPM_VOLATILESTATE_NAME, buf, len);
	secret_free(buf, len);
	return rc;
}

TPM_RESULT tpm_delete_volatile(struct tpm *t)
{
	return store_delete(&t->store, TPM_VOLATILESTATE_NAME, false);
}

static enum TPMLIB_StateType lib_state_type(enum tpm_state_type type)
{
	switch (type) {
	case TPM_STATE_PERMANENT:
		return TPMLIB_STATE_PERMANENT;
	case TPM_STATE_VOLATILE:
		return TPMLIB_STATE_VOLATILE;
	case TPM_STATE_SAVESTATE:
		break;
	}
	return TPMLIB_STATE_SAVE_STATE;
}

static bool known_type(enum tpm_state_type type)
{
	return type == TPM_STATE_PERMANENT || type == TPM_STATE_VOLATILE ||
	       type == TPM_STATE_SAVESTATE;
}

TPM_RESULT tpm_state_export(struct tpm *t, enum tpm_state_type type,
			    bool decrypted, uint8_t **blob, size_t *len,
			    bool *encrypted)
{
	unsigned char *plain = NULL;
	uint32_t plain_len = 0;
	TPM_RESULT rc;

	*blob = NULL;
	*len = 0;
	if (!known_type(type))
		return TPM_BAD_PARAMETER;
	/* A TPM 2 has no save state; swtpm answers "nothing there" this way. */
	if (t->opt.version == TPM_VERSION_2 && type == TPM_STATE_SAVESTATE)
		rc = TPM_RETRY;
	else
		rc = TPMLIB_GetState(lib_state_type(type), &plain, &plain_len);
	if (type == TPM_STATE_VOLATILE)
		tpm_delete_volatile(t);
	/* swtpm documents this release for --migration release-lock-outgoing
	 * only (and does it always); here the option decides, so a client of
	 * a node that may ask for blobs cannot unlock the state directory. */
	if (type == TPM_STATE_SAVESTATE && t->opt.store.release_outgoing)
		store_release_outgoing(&t->store);
	if (rc == TPM_SUCCESS)
		rc = store_blob_export(&t->store, plain, plain_len, decrypted,
				       blob, len, encrypted);
	secret_free(plain, plain_len);
	return rc;
}

TPM_RESULT tpm_state_may_import(struct tpm *t)
{
	if (t->running)
		return TPM_BAD_ORDINAL;
	/* swtpm exits when it cannot lock here; an error reply is enough */
	if (store_ensure_locked(&t->store) < 0)
		return TPM_FAIL;
	return TPM_SUCCESS;
}

TPM_RESULT tpm_state_import(struct tpm *t, enum tpm_state_type type,
			    const uint8_t *blob, size_t len, bool encrypted)
{
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	TPM_RESULT rc;

	if (t->running)
		return TPM_BAD_ORDINAL;
	rc = store_blob_import(&t->store, blob, len, encrypted, &plain, &plain_len);
	if (rc == TPM_SUCCESS && plain_len > UINT32_MAX)
		rc = TPM_SIZE;
	if (rc == TPM_SUCCESS && !known_type(type))
		rc = TPM_BAD_PARAMETER;
	if (rc == TPM_SUCCESS && t->opt.version == TPM_VERSION_2 &&
	    type == TPM_STATE_SAVESTATE)
		rc = TPM_BAD_TYPE;
	if (rc == TPM_SUCCESS)
		rc = TPMLIB_SetState(lib_state_type(type), plain, (uint32_t)plain_len);
	if (rc != TPM_SUCCESS)
		log_error("state blob of type %u rejected (0x%x)", type, rc);
	secret_free(plain, plain_len);
	return rc;
}

TPM_RESULT tpm_lock_storage(struct tpm *t, unsigned retries)
{
	const struct timespec interval = { 0, STORE_LOCK_RETRY_NS };

	/* The client's count is honoured up to the bound: 2^32 - 1 retries
	 * would otherwise be 497 days. */
	if (retries > TPM_LOCK_STORAGE_MAX_RETRIES)
		retries = TPM_LOCK_STORAGE_MAX_RETRIES;
	for (unsigned attempt = 0;; attempt++) {
		struct timespec left = interval;
		int ret;

		/* The TPM lock for the attempt only: commands and the other
		 * control requests go on while this waits. */
		tpm_lock(t);
		ret = store_lock(&t->store, 0);
		tpm_unlock(t);
		if (ret == 0)
			return TPM_SUCCESS;
		if (ret != -EAGAIN || attempt >= retries)
			return TPM_FAIL;
		while (nanosleep(&left, &left) < 0 && errno == EINTR)
			;
	}
}

bool tpm_has_state_key(const struct tpm *t)
{
	return store_has_file_key(&t->store);
}

bool tpm_has_migration_key(const struct tpm *t)
{
	return store_has_migration_key(&t->store);
}
