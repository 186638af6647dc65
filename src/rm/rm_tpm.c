/* SPDX-License-Identifier: BSD-3-Clause */
/* rm_tpm.c - the commands the resource manager sends itself: context save,
 * load and flush around a client's command, and what it asks the TPM once
 * per power-on (its commands, its session limits). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/bytes.h"
#include "os/log.h"
#include "rm/rm_internal.h"

void rm_blob_free(struct rm_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Send LEN bytes of rm->own; the response lands in rm->aux. */
static uint32_t run(struct rm *rm, uint32_t len)
{
	put_be32(rm->own + 2, len);
	if (tpm_execute(rm->tpm, rm->own, len, &rm->aux, &rm->aux_len, &rm->aux_cap) < 0 ||
	    rm->aux_len < 10)
		return TPM2_RC_FAILURE;
	return get_be32(rm->aux + 6);
}

static void command(struct rm *rm, uint32_t cc)
{
	put_be16(rm->own, TPM2_ST_NO_SESSIONS);
	put_be32(rm->own + 6, cc);
}

uint32_t rm_tpm_context_save(struct rm *rm, uint32_t handle, struct rm_blob *out,
			     uint64_t *sequence)
{
	uint32_t rc, saved;
	uint8_t *data;

	command(rm, TPM2_CC_ContextSave);
	put_be32(rm->own + 10, handle);
	if ((rc = run(rm, 14)) != TPM2_RC_SUCCESS)
		return rc;
	if (!rm_wire_context(rm->aux + 10, rm->aux_len - 10, sequence, &saved)) {
		log_error("resource manager: the TPM saved 0x%08x as a malformed context", handle);
		return TPM2_RC_FAILURE;
	}
	data = malloc(rm->aux_len - 10);
	if (!data)
		return TPM2_RC_MEMORY;
	memcpy(data, rm->aux + 10, rm->aux_len - 10);
	rm_blob_free(out);
	out->data = data;
	out->len = rm->aux_len - 10;
	return TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_context_load(struct rm *rm, const struct rm_blob *ctx, uint32_t *handle)
{
	uint32_t rc;

	if (ctx->len > sizeof(rm->own) - 10)
		return TPM2_RC_FAILURE;
	command(rm, TPM2_CC_ContextLoad);
	memcpy(rm->own + 10, ctx->data, ctx->len);
	if ((rc = run(rm, 10 + ctx->len)) != TPM2_RC_SUCCESS)
		return rc;
	if (rm->aux_len < 14)
		return TPM2_RC_FAILURE;
	*handle = get_be32(rm->aux + 10);
	return TPM2_RC_SUCCESS;
}

uint32_t rm_tpm_flush(struct rm *rm, uint32_t handle)
{
	command(rm, TPM2_CC_FlushContext);
	put_be32(rm->own + 10, handle);
	return run(rm, 14);
}

/* GetCapability(CAP, PROPERTY, COUNT): the data's list (after moreData,
 * capability and count) at rm->aux + *OFF, *N entries of SIZE bytes. */
static uint32_t get_cap(struct rm *rm, uint32_t cap, uint32_t property, uint32_t count,
			size_t size, uint32_t *off, uint32_t *n, bool *more)
{
	uint32_t rc;

	command(rm, TPM2_CC_GetCapability);
	put_be32(rm->own + 10, cap);
	put_be32(rm->own + 14, property);
	put_be32(rm->own + 18, count);
	if ((rc = run(rm, 22)) != TPM2_RC_SUCCESS)
		return rc;
	if (rm->aux_len < 19 || get_be32(rm->aux + 11) != cap)
		return TPM2_RC_FAILURE;
	*more = rm->aux[10] != 0;
	*n = get_be32(rm->aux + 15);
	*off = 19;
	if (*n > (rm->aux_len - 19) / size)
		return TPM2_RC_FAILURE;
	return TPM2_RC_SUCCESS;
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
	uint32_t property = TPM2_CC_FIRST, rc, off, n;
	bool more = true;

	free(rm->cc_attrs);
	rm->cc_attrs = NULL;
	rm->ncc = 0;
	while (more) {
		uint32_t *p;

		rc = get_cap(rm, TPM2_CAP_COMMANDS, property, TPM2_MAX_CAP_CC, 4,
			     &off, &n, &more);
		if (rc)
			return rc;
		if (n == 0)
			break;
		p = realloc(rm->cc_attrs, (rm->ncc + n) * sizeof(*p));
		if (!p)
			return TPM2_RC_MEMORY;
		rm->cc_attrs = p;
		for (uint32_t i = 0; i < n; i++)
			p[rm->ncc++] = get_be32(rm->aux + off + 4 * i);
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
	uint32_t rc, off, n;
	bool more;

	rc = get_cap(rm, TPM2_CAP_TPM_PROPERTIES, TPM2_PT_ACTIVE_SESSIONS_MAX, 4, 8,
		     &off, &n, &more);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pt = get_be32(rm->aux + off + 8 * i);
		uint32_t v = get_be32(rm->aux + off + 8 * i + 4);

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
	uint32_t rc;

	command(rm, TPM2_CC_ReadClock);
	if ((rc = run(rm, 10)) != TPM2_RC_SUCCESS)
		return rc;
	/* TPMS_TIME_INFO: time, then clockInfo: clock, resetCount, ... */
	if (rm->aux_len < 10 + 8 + 8 + 4)
		return TPM2_RC_FAILURE;
	*count = get_be32(rm->aux + 10 + 16);
	return TPM2_RC_SUCCESS;
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
