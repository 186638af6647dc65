/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rm_wire.h - what the resource manager reads and writes of TPM 2 commands
 * and responses: the handle area, the session handles of the authorization
 * area, the saved handle of a context, the response handle; and the
 * responses it makes itself. Every length is checked against the buffer
 * before a byte is read.
 *
 * The parse functions return 0 or a TPM_RC for the client (in the resource
 * manager's layer, TSS2_RESMGR_RC_LAYER, as the kernel's tpmrm does).
 */
#ifndef VTPMD_RM_WIRE_H
#define VTPMD_RM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_common.h>
#include <tss2/tss2_tpm2_types.h>

#define RM_MAX_HANDLES  7       /* TPMA_CC's cHandles has 3 bits */
#define RM_MAX_AUTHS    3       /* sessions per command (TPM 2.0 Part 1) */

/* A client's error made by the resource manager, not the TPM. */
#define RM_RC(rc)            (TSS2_RESMGR_RC_LAYER | (rc))
/* A handle refused as the Nth parameter (format 1 names it). */
#define RM_RC_PARAM_N(n)     RM_RC(TPM2_RC_HANDLE | TPM2_RC_P | ((uint32_t)(n) << 8))
/* A header or handle area shorter than the command's cHandles says: the
 * kernel's tpmrm fails the write with EINVAL for it, and so does the
 * resource manager. */
#define RM_RC_SHORT_HANDLES  RM_RC(TPM2_RC_COMMAND_SIZE)

static inline uint8_t rm_handle_type(uint32_t h)
{
	return (uint8_t)(h >> TPM2_HR_SHIFT);
}

static inline bool rm_is_session(uint32_t h)
{
	return rm_handle_type(h) == TPM2_HT_HMAC_SESSION ||
	       rm_handle_type(h) == TPM2_HT_POLICY_SESSION;
}

/* What the resource manager needs to know of a client's command. */
struct rm_cmd {
	uint16_t tag;
	uint32_t cc;
	uint32_t attrs;                     /* the TPM's TPMA_CC for it */
	unsigned nhandles;                  /* FlushContext: its parameter */
	uint32_t handles[RM_MAX_HANDLES];   /* at 10 + 4 * i */
	unsigned nauths;
	uint32_t auths[RM_MAX_AUTHS];       /* session handles, in order */
	uint32_t params;                    /* offset of the parameters */
};

/* The header of the LEN bytes of CMD: its command code into *CC. Bad: a
 * header that does not fit (RM_RC_SHORT_HANDLES), a size field other than
 * LEN (TPM_RC_COMMAND_SIZE, as the TPM says). */
uint32_t rm_wire_header(const uint8_t *cmd, uint32_t len, uint32_t *cc);

/*
 * Parse the LEN bytes of CMD (its header checked by rm_wire_header()) with
 * ATTRS, the TPM's TPMA_CC for its command code. Bad: a tag other than the
 * two of TPM 2 commands, a handle area or an authorization area that does
 * not fit or does not add up.
 */
uint32_t rm_wire_parse(const uint8_t *cmd, uint32_t len, uint32_t attrs,
		       struct rm_cmd *c);

/* ContextLoad's TPMS_CONTEXT: its savedHandle (0 if the command is too
 * short to hold one; the TPM then refuses it). */
uint32_t rm_wire_saved_handle(const uint8_t *cmd, uint32_t len);

/* A context as TPM2_ContextSave returns it (the TPMS_CONTEXT after the
 * response header): its sequence and savedHandle; false if malformed. */
bool rm_wire_context(const uint8_t *ctx, uint32_t len, uint64_t *sequence,
		     uint32_t *saved_handle);

/* C (parsed from CMD, LEN) is GetCapability(TPM_CAP_HANDLES) of a range a
 * space answers for itself (transient objects, loaded or saved sessions):
 * its property and count; false for any other command. */
bool rm_wire_handles_query(const uint8_t *cmd, uint32_t len, const struct rm_cmd *c,
			   uint32_t *property, uint32_t *count);

/*
 * Build into OUT (CAP bytes, at least 19) the response to that query that
 * lists the N HANDLES (already sorted and from its property on), at most
 * COUNT of them and what fits; returns its length.
 */
uint32_t rm_wire_handles_response(uint8_t *out, uint32_t cap, uint32_t count,
				  const uint32_t *handles, unsigned n);

/* A 10-byte response carrying RC. */
void rm_wire_error(uint8_t out[10], uint32_t rc);

#endif
