/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm.h - the libtpms instance behind the device: version choice, start and
 * stop, command execution, the shutdown-before-reset rule, locality, cancel,
 * and the TPM-side parts of the control operations.
 *
 * libtpms keeps one TPM per process in global state; struct tpm is the one
 * place that state is described, and only one may be initialized.
 *
 * Return values: TPM_RESULT codes (0 = TPM_SUCCESS), passed back to clients
 * unchanged. No function here blocks on anything but libtpms itself.
 */
#ifndef VTPMD_TPM_H
#define VTPMD_TPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libtpms/tpm_types.h>

#include "cli/config.h"

#define TPM_HEADER_SIZE 10
#define TPM_MAX_COMMAND_SIZE 4096

struct tpm_options {
	enum tpm_version version;
	bool auto_shutdown;        /* the shutdown-before-reset rule */
	bool reject_locality_4;
	bool allow_set_locality;   /* honour the vendor SetLocality command */
};

/*
 * Observer of every exchange with libtpms: the command and the response, as
 * the client (or vtpmd itself) sent and received them. Called after the
 * command ran, never concurrently (the device serializes commands).
 */
typedef void tpm_record_fn(void *ctx, const uint8_t *cmd, size_t cmd_len,
			   const uint8_t *resp, size_t resp_len);

struct tpm {
	struct tpm_options opt;
	tpm_record_fn *record;     /* sees the commands vtpmd composes itself */
	void *record_ctx;
	bool running;              /* TPMLIB_MainInit succeeded, no stop since */
	uint8_t locality;          /* used for the next command */
	uint32_t last_ordinal;     /* last command a client sent while running */
	bool have_last_ordinal;
};

/* Register libtpms callbacks (state store, locality) and pick the version.
 * Only one struct tpm may be set up per process. */
TPM_RESULT tpm_setup(struct tpm *t, const struct tpm_options *opt);

/* Power the TPM on: reads state through the store. */
TPM_RESULT tpm_start(struct tpm *t);
/* Apply the shutdown-before-reset rule (unless disabled), then power off.
 * Safe to call when not running. */
void tpm_stop(struct tpm *t);
/* tpm_stop(), then let another struct tpm be set up. */
void tpm_teardown(struct tpm *t);

/* Send TPM_Startup / TPM2_Startup of the given type as vtpmd itself. */
TPM_RESULT tpm_send_startup(struct tpm *t, enum startup_type type);

/*
 * Execute one client command of LEN bytes (LEN >= 6, already checked by the
 * caller against its own header). The response goes into *RESP (a buffer of
 * *CAP bytes that libtpms may grow with realloc), its size into *RESP_LEN.
 * When not running the response is a TPM fatal-error response. Returns
 * TPM_SUCCESS unless no response could be produced at all (TPM_SIZE).
 */
TPM_RESULT tpm_execute(struct tpm *t, uint8_t *cmd, uint32_t len,
		       uint8_t **resp, uint32_t *resp_len, uint32_t *cap);

/* Ask a running command to stop; libtpms checks between expensive steps. */
void tpm_cancel(struct tpm *t);

TPM_RESULT tpm_set_locality(struct tpm *t, uint8_t loc);
TPM_RESULT tpm_established_get(struct tpm *t, bool *established);
TPM_RESULT tpm_established_reset(struct tpm *t, uint8_t loc);
TPM_RESULT tpm_hash_start(struct tpm *t);
TPM_RESULT tpm_hash_data(struct tpm *t, const uint8_t *data, uint32_t len);
TPM_RESULT tpm_hash_end(struct tpm *t);
/* Write the volatile state to the store now. */
TPM_RESULT tpm_store_volatile(struct tpm *t);

/* State blobs in libtpms' own format (no swtpm header). TYPE is one of
 * PTM_BLOB_TYPE_*. get returns a malloc'ed copy. */
TPM_RESULT tpm_get_state(struct tpm *t, uint32_t type, uint8_t **buf, uint32_t *len);
TPM_RESULT tpm_set_state(struct tpm *t, uint32_t type, const uint8_t *buf, uint32_t len);

/* Query (WANTED 0) or set the I/O buffer size; setting needs a stopped TPM. */
TPM_RESULT tpm_buffer_size(struct tpm *t, uint32_t wanted, uint32_t *size,
			   uint32_t *min, uint32_t *max);

/* libtpms' JSON info document for FLAGS; malloc'ed, NULL on failure. */
char *tpm_get_info(struct tpm *t, uint64_t flags);

/* Build the 10-byte fatal-error response of this TPM version into OUT. */
void tpm_fatal_response(enum tpm_version v, uint8_t out[TPM_HEADER_SIZE]);

#endif
