/* SPDX-License-Identifier: BSD-3-Clause */
/* rm_wire.c - reading a client's command the way the TPM will, so that
 * every handle it names is seen before the TPM sees it. */
#include <string.h>

#include "mem/bytes.h"
#include "rm/rm_wire.h"

/* A bounds-checked reader: once a read runs past the end, every later read
 * gives 0 and BAD stays set. */
struct rd {
	const uint8_t *p;
	uint32_t len, off;
	bool bad;
};

static bool rd_take(struct rd *r, uint32_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return false;
	}
	r->off += n;
	return true;
}

static uint32_t rd_u32(struct rd *r)
{
	return rd_take(r, 4) ? get_be32(r->p + r->off - 4) : 0;
}

static uint16_t rd_u16(struct rd *r)
{
	return rd_take(r, 2) ? get_be16(r->p + r->off - 2) : 0;
}

/* A TPM2B: its size, then that many bytes. */
static void rd_skip_tpm2b(struct rd *r)
{
	rd_take(r, rd_u16(r));
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

/* The authorization area at R's offset: its session handles. */
static uint32_t parse_auths(struct rd *r, struct rm_cmd *c)
{
	uint32_t size = rd_u32(r), end;

	/* at least one session: handle, two empty TPM2Bs, attributes */
	if (r->bad || size < 9 || size > r->len - r->off)
		return RM_RC(TPM2_RC_AUTHSIZE);
	end = r->off + size;
	while (r->off < end) {
		uint32_t h = rd_u32(r);

		rd_skip_tpm2b(r);       /* nonceCaller */
		rd_take(r, 1);          /* sessionAttributes */
		rd_skip_tpm2b(r);       /* hmac */
		if (r->bad || r->off > end || c->nauths == RM_MAX_AUTHS)
			return RM_RC(TPM2_RC_AUTHSIZE);
		c->auths[c->nauths++] = h;
	}
	return TPM2_RC_SUCCESS;
}

uint32_t rm_wire_parse(const uint8_t *cmd, uint32_t len, uint32_t attrs,
		       struct rm_cmd *c)
{
	struct rd r = { .p = cmd, .len = len, .off = 10 };

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
		c->handles[i] = rd_u32(&r);
	if (r.bad)
		return RM_RC_SHORT_HANDLES;
	if (c->tag == TPM2_ST_SESSIONS) {
		uint32_t rc = parse_auths(&r, c);

		if (rc)
			return rc;
	}
	c->params = r.off;
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
	struct rd r = { .p = ctx, .len = len };
	uint64_t hi = rd_u32(&r);

	*sequence = hi << 32 | rd_u32(&r);
	*saved_handle = rd_u32(&r);
	rd_u32(&r);             /* hierarchy */
	rd_skip_tpm2b(&r);      /* contextBlob */
	return !r.bad && r.off == len;
}

bool rm_wire_handles_query(const uint8_t *cmd, uint32_t len, const struct rm_cmd *c,
			   uint32_t *property, uint32_t *count)
{
	struct rd r = { .p = cmd, .len = len, .off = c->params };
	uint8_t type;

	if (c->cc != TPM2_CC_GetCapability || rd_u32(&r) != TPM2_CAP_HANDLES)
		return false;
	*property = rd_u32(&r);
	*count = rd_u32(&r);
	if (r.bad)
		return false;   /* the TPM refuses it */
	type = rm_handle_type(*property);
	return type == TPM2_HT_TRANSIENT || type == TPM2_HT_LOADED_SESSION ||
	       type == TPM2_HT_SAVED_SESSION;
}

uint32_t rm_wire_handles_response(uint8_t *out, uint32_t cap, uint32_t count,
				  const uint32_t *handles, unsigned n)
{
	uint32_t len = 10 + 9, listed = 0;
	unsigned i = 0;

	for (; i < n && listed < count && len + 4 <= cap; i++, listed++, len += 4)
		put_be32(out + len, handles[i]);
	put_be16(out, TPM2_ST_NO_SESSIONS);
	put_be32(out + 2, len);
	put_be32(out + 6, TPM2_RC_SUCCESS);
	out[10] = i < n;        /* moreData */
	put_be32(out + 11, TPM2_CAP_HANDLES);
	put_be32(out + 15, listed);
	return len;
}

void rm_wire_error(uint8_t out[10], uint32_t rc)
{
	put_be16(out, TPM2_ST_NO_SESSIONS);
	put_be32(out + 2, 10);
	put_be32(out + 6, rc);
}
