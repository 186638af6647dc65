/* SPDX-License-Identifier: BSD-3-Clause */
/* rm_tpm.c - the commands the resource manager sends itself: context save,
 * load and flush around a client's command, and what it asks the TPM once
 * per power-on (its commands, its session limits, its reset count). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "os/log.h"
#include "rm/rm_internal.h"
#include "tpm/tpm2_marshal.h"

void rm_blob_free(struct rm_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static void command(struct rm *rm, struct tpm2_writer *w, uint32_t cc)
{
	tpm2_cmd_begin(w, rm->own, sizeof(rm->own), TPM2_ST_NO_SESSIONS, cc);
}

/* Send the command W built; the response lands in rm->aux and R reads
 * what follows its header. The TPM's response code, or TPM2_RC_FAILURE
 * if there was no well-formed response. */
static uint32_t run(struct rm *rm, struct tpm2_writer *w, struct tpm2_reader *r)
{
	uint32_t rc;
	uint16_t tag;
	size_t len;

	if (tpm2_cmd_end(w, &len) < 0 ||
	    tpm_execute(rm->tpm, rm->own, (uint32_t)len, &rm->aux, &rm->aux_len,
			&rm->aux_cap) < 0 ||
	    tpm2_rsp_begin(r, rm->aux, rm->aux_len, &tag, &rc) < 0)
		return TPM2_RC_FAILURE;
	return rc;
}

uint32_t rm_tpm_context_save(struct rm *rm, uint32_t handle, struct rm_blob *out,
			     uint64_t *sequence)
{
	struct tpm2_writer w;
	struct tpm2_reader r;
	const uint8_t *ctx;
	uint32_t rc, saved;
	size_t n;
	uint8_t *data;

	command(rm, &w, TPM2_CC_ContextSave);
	tpm2w_u32(&w, handle);
	if ((rc = run(rm, &w, &r)) != TPM2_RC_SUCCESS)
		return rc;
	n = tpm2r_remaining(&r);
	ctx = tpm2r_bytes(&r, n);
	if (!ctx || !rm_wire_context(ctx, (uint32_t)n, sequence, &saved)) {
		log_error("resource manager: the TPM saved 0x%08x as a malformed context", handle);
		return TPM2_RC_FAILURE;
	}
	data = malloc(n);
	if (!data)
		return TPM2_RC_MEMORY;
	memcpy(data, ctx, n);
	rm_blob_free(out);
	out->data = data;
	out->len = (uint32_t)n;
	return TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_context_load(struct rm *rm, const struct rm_blob *ctx, uint32_t *handle)
{
	struct tpm2_writer w;
	struct tpm2_reader r;
	uint32_t rc;

	command(rm, &w, TPM2_CC_ContextLoad);
	tpm2w_bytes(&w, ctx->data, ctx->len);
	if ((rc = run(rm, &w, &r)) != TPM2_RC_SUCCESS)
		return rc;
	*handle = tpm2r_u32(&r);
	return tpm2r_failed(&r) ? TPM2_RC_FAILURE : TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_flush(struct rm *rm, uint32_t handle)
{
	struct tpm2_writer w;
	struct tpm2_reader r;

	command(rm, &w, TPM2_CC_FlushContext);
	tpm2w_u32(&w, handle);
	return run(rm, &w, &r);
}

/* GetCapability(CAP, PROPERTY, COUNT): R reads the *N entries of its list
 * (after moreData, capability and count). */
static uint32_t get_cap(struct rm *rm, uint32_t cap, uint32_t property, uint32_t count,
			struct tpm2_reader *r, uint32_t *n, bool *more)
{
	struct tpm2_writer w;
	uint32_t rc;

	command(rm, &w, TPM2_CC_GetCapability);
	tpm2w_u32(&w, cap);
	tpm2w_u32(&w, property);
	tpm2w_u32(&w, count);
	if ((rc = run(rm, &w, r)) != TPM2_RC_SUCCESS)
		return rc;
	*more = tpm2r_u8(r) != 0;
	if (tpm2r_u32(r) != cap)
		return TPM2_RC_FAILURE;
	*n = tpm2r_u32(r);
	return tpm2r_failed(r) ? TPM2_RC_FAILURE : TPM2_RC_SUCCESS;
}

static int cmp_cc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t cx = (x & TPMA_CC_COMMANDINDEX_MASK) | (x & TPMA_CC_V);
	uint32_t cy = (y & TPMA_CC_COMMANDINDEX_MASK) | (y & TPMA_CC_V);

	return cx < cy ? -1 : cx > cy;
}

static uint32_t learn_commands(struct rm *rm)
{
	uint32_t property = TPM2_CC_FIRST, rc, n;
	struct tpm2_reader r;
	bool more = true;

	free(rm->cc_attrs);
	rm->cc_attrs = NULL;
	rm->ncc = 0;
	while (more) {
		uint32_t *p;

		rc = get_cap(rm, TPM2_CAP_COMMANDS, property, TPM2_MAX_CAP_CC, &r, &n, &more);
		if (rc)
			return rc;
		if (n == 0 || n > tpm2r_remaining(&r) / 4)
			break;
		p = realloc(rm->cc_attrs, (rm->ncc + n) * sizeof(*p));
		if (!p)
			return TPM2_RC_MEMORY;
		rm->cc_attrs = p;
		for (uint32_t i = 0; i < n; i++)
			p[rm->ncc++] = tpm2r_u32(&r);
		/* the next command code after the last listed */
		property = (p[rm->ncc - 1] & TPMA_CC_COMMANDINDEX_MASK) + 1;
		if (p[rm->ncc - 1] & TPMA_CC_V)
			property |= TPMA_CC_V;
	}
	qsort(rm->cc_attrs, rm->ncc, sizeof(*rm->cc_attrs), cmp_cc);
	return TPM2_RC_SUCCESS;
}

static uint32_t learn_limits(struct rm *rm)
{
	struct tpm2_reader r;
	uint32_t rc, n;
	bool more;

	rc = get_cap(rm, TPM2_CAP_TPM_PROPERTIES, TPM2_PT_ACTIVE_SESSIONS_MAX, 4, &r, &n,
		     &more);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n && !tpm2r_failed(&r); i++) {
		uint32_t pt = tpm2r_u32(&r);
		uint32_t v = tpm2r_u32(&r);

		if (pt == TPM2_PT_ACTIVE_SESSIONS_MAX)
			rm->active_max = v;
		else if (pt == TPM2_PT_CONTEXT_GAP_MAX)
			rm->gap_max = v;
	}
	if (!rm->active_max || !rm->gap_max)
		return TPM2_RC_FAILURE;
	return TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_learn(struct rm *rm)
{
	uint32_t rc;

	if ((rc = learn_commands(rm)) || (rc = learn_limits(rm))) {
		free(rm->cc_attrs);
		rm->cc_attrs = NULL;
		rm->ncc = 0;
		return rc;
	}
	return TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_reset_count(struct rm *rm, uint32_t *count)
{
	struct tpm2_writer w;
	struct tpm2_reader r;
	uint32_t rc;

	command(rm, &w, TPM2_CC_ReadClock);
	if ((rc = run(rm, &w, &r)) != TPM2_RC_SUCCESS)
		return rc;
	/* TPMS_TIME_INFO: time, then clockInfo: clock, resetCount, ... */
	tpm2r_u64(&r);
	tpm2r_u64(&r);
	*count = tpm2r_u32(&r);
	return tpm2r_failed(&r) ? TPM2_RC_FAILURE : TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_attrs(const struct rm *rm, uint32_t cc)
{
	uint32_t key = (cc & TPMA_CC_COMMANDINDEX_MASK) | (cc & TPMA_CC_V);
	const uint32_t *p;

	/* a command code has no other bits than its index and V */
	if (cc & ~(TPMA_CC_COMMANDINDEX_MASK | TPMA_CC_V))
		return 0;
	p = bsearch(&key, rm->cc_attrs, rm->ncc, sizeof(*p), cmp_cc);
	return p ? *p : 0;
}
