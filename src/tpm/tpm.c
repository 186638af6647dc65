/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm.c - the TPM's lifecycle on its state, and command execution. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "mem/bytes.h"
#include "mem/secret.h"
#include "os/log.h"
#include "tpm/tpm_internal.h"
#include "tpm/tpm_wire.h"

static const char *version_name(enum tpm_version v)
{
	return v == TPM_VERSION_12 ? "TPM 1.2" : "TPM 2.0";
}

int tpm_open(struct tpm *t, const struct tpm_options *opt)
{
	struct store_options sopt = opt->store;
	int ret;

	pthread_mutexattr_t attr;

	memset(t, 0, sizeof(*t));
	t->opt = *opt;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&t->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if ((ret = tpm_entropy_from_kernel()) < 0) {
		log_error("OpenSSL refused the kernel as its source of randomness");
		goto fail;
	}
	ret = tpm_callbacks_bind(t);
	if (ret < 0)
		goto fail;
	if (tpm_lib_choose(opt->version) != 0) {
		log_error("libtpms refused the %s setup", version_name(opt->version));
		tpm_callbacks_unbind(t);
		ret = -EIO;
		goto fail;
	}
	sopt.tpm12 = opt->version == TPM_VERSION_12;
	ret = store_open(&t->store, &sopt);
	if (ret == 0)
		return 0;
	tpm_callbacks_unbind(t);
fail:
	pthread_mutex_destroy(&t->lock);
	return ret;
}

void tpm_close(struct tpm *t)
{
	tpm_lock(t);
	tpm_stop(t);
	store_close(&t->store);
	tpm_callbacks_unbind(t);
	tpm_unlock(t);
	pthread_mutex_destroy(&t->lock);
}

void tpm_lock(struct tpm *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->lock_depth++ == 0 && t->lodged) {
		t->lodged = false;
		t->evict(t->evict_ctx);
	}
}

void tpm_lock_lodger(struct tpm *t)
{
	pthread_mutex_lock(&t->lock);
	t->lock_depth++;
}

void tpm_unlock(struct tpm *t)
{
	t->lock_depth--;
	pthread_mutex_unlock(&t->lock);
}

void tpm_set_lodger(struct tpm *t, tpm_evict_fn *evict, void *ctx)
{
	tpm_lock_lodger(t);
	t->evict = evict;
	t->evict_ctx = ctx;
	t->lodged = false;
	tpm_unlock(t);
}

void tpm_lodged(struct tpm *t)
{
	t->lodged = t->evict != NULL;
}

uint64_t tpm_epoch(const struct tpm *t)
{
	return t->epoch;
}

void tpm_set_recorder(struct tpm *t, tpm_record_fn *record, void *ctx)
{
	t->record = record;
	t->record_ctx = ctx;
}

bool tpm_running(const struct tpm *t)
{
	return t->running;
}

enum tpm_version tpm_version_of(const struct tpm *t)
{
	return t->opt.version;
}

static TPM_RESULT power_on(struct tpm *t)
{
	TPM_RESULT rc = tpm_lib_choose(t->opt.version) == 0 ? TPMLIB_MainInit() :
							       TPM_FAIL;

	if (rc != TPM_SUCCESS) {
		log_error("TPM start failed: libtpms could not load the state (0x%x)", rc);
		/* MainInit may have half-initialized libtpms; reset it fully. */
		TPMLIB_Terminate();
	}
	return rc;
}

TPM_RESULT tpm_start(struct tpm *t)
{
	TPM_RESULT rc;

	if (t->running)
		return TPM_SUCCESS;
	/* swtpm locks the state here, unless --migration incoming defers it */
	if (store_lock_for_start(&t->store) < 0)
		return TPM_FAIL;
	rc = power_on(t);
	/* --tpmstate backup: a permanent state libtpms refused may be damaged
	 * in a way only it can tell; the previous one may still be good. */
	if (rc != TPM_SUCCESS && store_backup_available(&t->store)) {
		log_error("retrying the TPM start with the backup of the permanent state");
		store_prefer_backup(&t->store, true);
		rc = power_on(t);
		store_prefer_backup(&t->store, false);
	}
	if (rc != TPM_SUCCESS)
		return rc;
	t->running = true;
	t->epoch++;
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

static void fatal_response(enum tpm_version v, uint8_t out[TPM_HEADER_SIZE])
{
	if (v == TPM_VERSION_12)
		wire_header(out, TPM12_TAG_RSP_COMMAND, TPM_HEADER_SIZE, TPM12_FAIL);
	else
		wire_header(out, TPM2_ST_NO_SESSIONS, TPM_HEADER_SIZE, TPM2_RC_FAILURE);
}

/* Put a bare 10-byte response with result RC into the response buffer. */
static int respond_header(struct tpm *t, uint32_t rc, uint8_t **resp,
			  uint32_t *resp_len, uint32_t *cap)
{
	if (*cap < TPM_HEADER_SIZE || !*resp) {
		uint8_t *p = realloc(*resp, TPM_HEADER_SIZE);

		if (!p)
			return -ENOMEM;
		*resp = p;
		*cap = TPM_HEADER_SIZE;
	}
	if (rc == TPM2_RC_FAILURE) {
		fatal_response(t->opt.version, *resp);
	} else {
		uint16_t tag = t->opt.version == TPM_VERSION_12 ?
			TPM12_TAG_RSP_COMMAND : TPM2_ST_NO_SESSIONS;
		wire_header(*resp, tag, TPM_HEADER_SIZE, rc);
	}
	*resp_len = TPM_HEADER_SIZE;
	return 0;
}

/* swtpm's vendor command that lets an in-band client pick its locality. */
static uint32_t vendor_set_locality(struct tpm *t, const uint8_t *cmd, uint32_t len)
{
	if (!t->opt.allow_set_locality || len < TPM_HEADER_SIZE + 1)
		return TPM2_RC_FAILURE;
	if (tpm_set_locality(t, cmd[TPM_HEADER_SIZE]) != TPM_SUCCESS)
		return SWTPM_RC_SET_LOCALITY;
	return TPM2_RC_SUCCESS;
}

/* The command, with the lock held, on CMD, a copy libtpms may work in. */
static int execute_locked(struct tpm *t, uint8_t *cmd, uint32_t len,
			  uint8_t **resp, uint32_t *resp_len, uint32_t *cap)
{
	uint32_t ordinal = 0;
	TPM_RESULT rc;

	if (!t->running)
		return respond_header(t, TPM2_RC_FAILURE, resp, resp_len, cap);
	if (store_ensure_locked(&t->store) < 0)
		return -EIO;

	if (len >= TPM_HEADER_SIZE) {
		ordinal = get_be32(cmd + 6);
		t->last_ordinal = ordinal;
		t->have_last_ordinal = true;
		if (t->opt.version == TPM_VERSION_2 &&
		    ordinal == SWTPM_CC_SET_LOCALITY)
			return respond_header(t, vendor_set_locality(t, cmd, len),
					      resp, resp_len, cap);
	}

	atomic_store(&t->in_command, true);
	rc = TPMLIB_Process(resp, resp_len, cap, cmd, len);
	atomic_store(&t->in_command, false);
	if (rc != TPM_SUCCESS || *resp_len < TPM_HEADER_SIZE || *resp_len > *cap) {
		log_error("libtpms failed to process command 0x%08x (0x%x)", ordinal, rc);
		return respond_header(t, TPM2_RC_FAILURE, resp, resp_len, cap);
	}
	return 0;
}

int tpm_execute(struct tpm *t, const uint8_t *cmd, uint32_t len,
		uint8_t **resp, uint32_t *resp_len, uint32_t *cap)
{
	uint8_t copy[TPM_MAX_COMMAND_SIZE];
	int ret;

	if (len > sizeof(copy))
		return -E2BIG;
	memcpy(copy, cmd, len);
	tpm_lock(t);
	ret = execute_locked(t, copy, len, resp, resp_len, cap);
	if (ret == 0 && t->record)
		t->record(t->record_ctx, cmd, len, *resp, *resp_len);
	tpm_unlock(t);
	secret_wipe(copy, len);
	return ret;
}

int tpm_check_write(const uint8_t *buf, size_t len)
{
	if (len > TPM_MAX_COMMAND_SIZE)
		return -E2BIG;
	if (len < 6 || len < get_be32(buf + 2))
		return -EINVAL;
	return 0;
}

void tpm_cancel(struct tpm *t)
{
	if (atomic_load(&t->in_command))
		TPMLIB_CancelCommand();
}
