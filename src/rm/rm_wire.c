/* SPDX-License-Identifier: BSD-3-Clause */
/* rm_wire.c - reading a client's command the way the TPM will, so that
 * every handle it names is seen before the TPM sees it. */
#include <string.h>

#include "mem/bytes.h"
#include "rm/rm_wire.h"
#include "tpm/tpm2_marshal.h"

/* A TPM2B, passed over. */
static void skip_tpm2b(struct tpm2_reader *r)
{
	size_t n;

	tpm2r_tpm2b(r, &n);
}

uint32_t rm_wire_header(const uint8_t *cmd, uint32_t len, uint32_t *cc)
{
	if (len < 10)
		return RM_RC_SHORT_HANDLES;
	/* what the TPM says of it (the kernel's tpmrm passes it on) */
	if (get_be32(cmd + 2) != len)
		return TPM2_RC_COMMAND_SIZE;
	*cc = get_be32(cmd + 6);
	return TPM2_RC_SUCCESS;
}

/* The authorization area at R's position: its session handles. */
static uint32_t parse_auths(struct tpm2_reader *r, struct rm_cmd *c)
{
	uint32_t size = tpm2r_u32(r);
	size_t end;

	/* at least one session: handle, two empty TPM2Bs, attributes */
	if (tpm2r_failed(r) || size < 9 || size > tpm2r_remaining(r))
		return RM_RC(TPM2_RC_AUTHSIZE);
	end = r->pos + size;
	while (r->pos < end) {
		uint32_t h = tpm2r_u32(r);

		skip_tpm2b(r);          /* nonceCaller */
		tpm2r_u8(r);            /* sessionAttributes */
		skip_tpm2b(r);          /* hmac */
		if (tpm2r_failed(r) || r->pos > end || c->nauths == RM_MAX_AUTHS)
			return RM_RC(TPM2_RC_AUTHSIZE);
		c->auths[c->nauths++] = h;
	}
	return TPM2_RC_SUCCESS;
}

uint32_t rm_wire_parse(const uint8_t *cmd, uint32_t len, uint32_t attrs,
		       struct rm_cmd *c)
{
	struct tpm2_reader r;

	tpm2r_init(&r, cmd, len);
	tpm2r_skip(&r, TPM2_HEADER_SIZE);
	memset(c, 0, sizeof(*c));
	c->tag = get_be16(cmd);
	c->cc = get_be32(cmd + 6);
	c->attrs = attrs;
	c->nhandles = (attrs & TPMA_CC_CHANDLES_MASK) >> TPMA_CC_CHANDLES_SHIFT;
	/* FlushContext names its handle as a parameter; the TPM lists it with
	 * none in the handle area. It is translated all the same. */
	if (c->cc == TPM2_CC_FlushContext)
		c->nhandles = 1;
	if (c->tag != TPM2_ST_NO_SESSIONS && c->tag != TPM2_ST_SESSIONS)
		return RM_RC(TPM2_RC_BAD_TAG);
	for (unsigned i = 0; i < c->nhandles; i++)
		c->handles[i] = tpm2r_u32(&r);
	if (tpm2r_failed(&r))
		return RM_RC_SHORT_HANDLES;
	if (c->tag == TPM2_ST_SESSIONS) {
		uint32_t rc = parse_auths(&r, c);

		if (rc)
			return rc;
	}
	c->params = (uint32_t)r.pos;
	return TPM2_RC_SUCCESS;
}

uint32_t rm_wire_saved_handle(const uint8_t *cmd, uint32_t len)
{
	/* header, then TPMS_CONTEXT: sequence (8), savedHandle (4), ... */
	return len >= 10 + 12 ? get_be32(cmd + 18) : 0;
}

bool rm_wire_context(const uint8_t *ctx, uint32_t len, uint64_t *sequence,
		     uint32_t *saved_handle)
{
	struct tpm2_reader r;

	tpm2r_init(&r, ctx, len);
	*sequence = tpm2r_u64(&r);
	*saved_handle = tpm2r_u32(&r);
	tpm2r_u32(&r);          /* hierarchy */
	skip_tpm2b(&r);         /* contextBlob */
	return tpm2r_done(&r);
}

bool rm_wire_handles_query(const uint8_t *cmd, uint32_t len, const struct rm_cmd *c,
			   uint32_t *property, uint32_t *count)
{
	struct tpm2_reader r;
	uint8_t type;

	tpm2r_init(&r, cmd, len);
	tpm2r_skip(&r, c->params);
	if (c->cc != TPM2_CC_GetCapability || tpm2r_u32(&r) != TPM2_CAP_HANDLES)
		return false;
	*property = tpm2r_u32(&r);
	*count = tpm2r_u32(&r);
	if (tpm2r_failed(&r))
		return false;   /* the TPM refuses it */
	type = rm_handle_type(*property);
	return type == TPM2_HT_TRANSIENT || type == TPM2_HT_LOADED_SESSION ||
	       type == TPM2_HT_SAVED_SESSION;
}

uint32_t rm_wire_handles_response(uint8_t *out, uint32_t cap, uint32_t count,
				  const uint32_t *handles, unsigned n)
{
	struct tpm2_writer w;
	uint32_t listed = 0;
	size_t len = 0, at;
	unsigned i = 0;

	tpm2_cmd_begin(&w, out, cap, TPM2_ST_NO_SESSIONS, TPM2_RC_SUCCESS);
	tpm2w_u8(&w, 0);                /* moreData, below */
	tpm2w_u32(&w, TPM2_CAP_HANDLES);
	at = w.len;
	tpm2w_u32(&w, 0);               /* count, below */
	for (; i < n && listed < count && w.len + 4 <= cap; i++, listed++)
		tpm2w_u32(&w, handles[i]);
	tpm2w_patch_u32(&w, at, listed);
	if (i < n)
		out[TPM2_HEADER_SIZE] = 1;
	tpm2_cmd_end(&w, &len);
	return (uint32_t)len;
}

void rm_wire_error(uint8_t out[10], uint32_t rc)
{
	struct tpm2_writer w;
	size_t len;

	tpm2_cmd_begin(&w, out, TPM2_HEADER_SIZE, TPM2_ST_NO_SESSIONS, rc);
	tpm2_cmd_end(&w, &len);
}
