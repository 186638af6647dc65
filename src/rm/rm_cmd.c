/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rm_cmd.c - one client command through its space, under the TPM lock:
 *
 *   check     its code is one the TPM has (else TPM_RC_COMMAND_CODE, as
 *             the kernel), its handles and sessions are the space's own,
 *             a new object or session has room
 *   load      the saved contexts of the objects and sessions it names;
 *             virtual handles become the physical ones
 *   run       the command
 *   map       a new object gets a virtual handle, a new session joins the
 *             space; a flushed or client-saved one leaves it
 *   put back  objects stay loaded for the space's next command (a
 *             sequence object saved again first: its state changes);
 *             sessions are saved
 *
 * Only what the command names is loaded: a space may hold more objects
 * and sessions than the TPM has slots. An object's saved context stays
 * valid when it is loaded (until the TPM is reset), so one kept loaded
 * (rm_cache.c) is only flushed when it must make room, never saved again.
 * A session's only valid context is its latest: it is saved after every
 * command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/bytes.h"
#include "os/log.h"
#include "rm/rm_internal.h"

/*
 * The kernel's answer to a transient handle the open file does not own, or
 * a handle area cut short: the write fails with EINVAL, no response. It
 * travels as this value in place of a TPM_RC. Sessions of other spaces do
 * not exist for a space: it gets the TPM's own answer for a session that
 * is not loaded (what the kernel's tpmrm passes on from the TPM).
 */
#define RC_EINVAL UINT32_MAX

/* What one command loaded, by slot and by handle (the tables may move). */
struct run {
	struct rm_cmd c;
	unsigned slots[RM_MAX_HANDLES];
	unsigned nslots;
	uint32_t sessions[RM_MAX_HANDLES + RM_MAX_AUTHS + 1];
	unsigned nsessions;
	uint32_t flushed;       /* what FlushContext flushed, or 0 */
};

/* A warning: the TPM could not do it now (out of slots, a context gap),
 * but the context is still good. */
static bool is_warning(uint32_t rc)
{
	return !(rc & TPM2_RC_FMT1) && (rc & TPM2_RC_WARN) == TPM2_RC_WARN;
}

/* Answer RC without the TPM (RC_EINVAL: fail the write instead). */
static int respond(struct rm *rm, uint32_t rc)
{
	uint8_t err[10];

	if (rc == RC_EINVAL)
		return -EINVAL;
	rm_wire_error(err, rc);
	if (rm->out_cap < sizeof(err)) {
		uint8_t *p = realloc(rm->out, sizeof(err));

		if (!p)
			return -ENOMEM;
		rm->out = p;
		rm->out_cap = sizeof(err);
	}
	memcpy(rm->out, err, sizeof(err));
	rm->out_len = sizeof(err);
	return 0;
}

/* The slot of virtual handle VH in S, or -1. */
static int slot_of(const struct rm_space *s, uint32_t vh)
{
	uint32_t slot = RM_VHANDLE_TOP - vh;

	if (rm_handle_type(vh) != TPM2_HT_TRANSIENT || slot >= s->nslots ||
	    !s->objects[slot].ctx.data)
		return -1;
	return (int)slot;
}

/* A free slot of S, grown if need be; -1 if S is full (or no memory). */
static int free_slot(struct rm_space *s)
{
	unsigned max = s->rm->opt.max_objects;
	struct rm_object *p;

	for (unsigned i = 0; i < s->nslots; i++)
		if (!s->objects[i].ctx.data)
			return (int)i;
	if (s->nslots >= max)
		return -1;
	p = realloc(s->objects, (s->nslots + 1) * sizeof(*p));
	if (!p)
		return -1;
	s->objects = p;
	memset(&p[s->nslots], 0, sizeof(*p));
	return (int)s->nslots++;
}

static void free_object(struct rm_space *s, unsigned slot)
{
	rm_blob_free(&s->objects[slot].ctx);
	s->objects[slot].phandle = 0;
	s->nobjects--;
}

static bool is_loaded_session(const struct run *r, uint32_t h)
{
	for (unsigned i = 0; i < r->nsessions; i++)
		if (r->sessions[i] == h)
			return true;
	return false;
}

/* Room for what a command with a response handle will add. */
static uint32_t check_room(struct rm_space *s, const struct run *r,
			   const uint8_t *cmd, uint32_t len)
{
	uint32_t h;

	if (!(r->c.attrs & TPMA_CC_RHANDLE))
		return TPM2_RC_SUCCESS;
	if (r->c.cc == TPM2_CC_StartAuthSession)
		return rm_session_room(s);
	if (r->c.cc == TPM2_CC_ContextLoad && rm_is_session(h = rm_wire_saved_handle(cmd, len))) {
		struct rm_session *x = rm_session_find(s, h);
		uint32_t rc;

		if (x)
			return TPM2_RC_SUCCESS;         /* its own, reloaded */
		/* saved by its client, in a closed or another open file */
		if (rm_session_adoptable(s, h))
			return (rc = rm_session_room(s)) ? rc : TPM2_RC_SUCCESS;
		return RM_RC_PARAM_N(1);
	}
	if (s->nobjects >= s->rm->opt.max_objects)
		return RM_RC(TPM2_RC_OBJECT_MEMORY);
	return TPM2_RC_SUCCESS;
}

/* What the TPM answers for a session that is not there: named in the
 * handle area at I (FlushContext's parameter), or in the authorization
 * area at I. */
static uint32_t no_session(const struct run *r, unsigned i, bool auth)
{
	if (auth)
		return TPM2_RC_REFERENCE_S0 + i;
	if (r->c.cc == TPM2_CC_FlushContext)
		return TPM2_RC_HANDLE | TPM2_RC_P | TPM2_RC_1;
	return TPM2_RC_REFERENCE_H0 + i;
}

/* Every handle and session named is the space's own. */
static uint32_t check_names(struct rm_space *s, const struct run *r)
{
	for (unsigned i = 0; i < r->c.nhandles; i++) {
		uint32_t h = r->c.handles[i];

		if (rm_handle_type(h) == TPM2_HT_TRANSIENT && slot_of(s, h) < 0)
			return RC_EINVAL;
		if (rm_is_session(h) && !rm_session_find(s, h))
			return no_session(r, i, false);
	}
	for (unsigned i = 0; i < r->c.nauths; i++)
		if (rm_is_session(r->c.auths[i]) && !rm_session_find(s, r->c.auths[i]))
			return no_session(r, i, true);
	return TPM2_RC_SUCCESS;
}

static bool is_used_slot(const struct run *r, unsigned slot)
{
	for (unsigned i = 0; i < r->nslots; i++)
		if (r->slots[i] == slot)
			return true;
	return false;
}

/* Load object slot SLOT, unless it is loaded already, into the handle
 * area at I. */
static uint32_t load_object(struct rm_space *s, struct run *r, unsigned i, unsigned slot)
{
	struct rm_object *o = &s->objects[slot];
	uint32_t rc;

	if (!o->phandle) {
		rc = rm_tpm_context_load(s->rm, &o->ctx, &o->phandle);
		if (rc != TPM2_RC_SUCCESS) {
			o->phandle = 0;
			if (is_warning(rc) || rc == TPM2_RC_FAILURE)
				return rc;
			/* a context the TPM no longer takes (a hierarchy
			 * changed): the object is gone */
			free_object(s, slot);
			return RC_EINVAL;
		}
	}
	if (!is_used_slot(r, slot))
		r->slots[r->nslots++] = slot;
	/* FlushContext's handle is its parameter, at the same place */
	put_be32(s->rm->cmd + 10 + 4 * i, o->phandle);
	return TPM2_RC_SUCCESS;
}

/* Load session H if the manager holds its context (once per command);
 * GONE: what to answer if the TPM no longer has it. */
static uint32_t load_session(struct rm_space *s, struct run *r, uint32_t h, uint32_t gone)
{
	struct rm_session *x = rm_session_find(s, h);
	uint32_t rc;

	if (!x->ctx.data || is_loaded_session(r, h))
		return TPM2_RC_SUCCESS;         /* its client holds it: the TPM says */
	rc = rm_session_load(s, x);
	if (rc != TPM2_RC_SUCCESS) {
		if (is_warning(rc) || rc == TPM2_RC_FAILURE)
			return rc;
		/* flushed behind the manager's back (by the raw node) */
		rm_session_remove(s, x);
		return gone;
	}
	r->sessions[r->nsessions++] = h;
	return TPM2_RC_SUCCESS;
}

static uint32_t load(struct rm_space *s, struct run *r)
{
	uint32_t rc;

	for (unsigned i = 0; i < r->c.nhandles; i++) {
		uint32_t h = r->c.handles[i];

		if (rm_handle_type(h) == TPM2_HT_TRANSIENT)
			rc = load_object(s, r, i, (unsigned)slot_of(s, h));
		else if (rm_is_session(h) && r->c.cc != TPM2_CC_FlushContext)
			rc = load_session(s, r, h, no_session(r, i, false));
		else
			rc = TPM2_RC_SUCCESS;
		if (rc)
			return rc;
	}
	for (unsigned i = 0; i < r->c.nauths; i++)
		if (rm_is_session(r->c.auths[i]) &&
		    (rc = load_session(s, r, r->c.auths[i], no_session(r, i, true))))
			return rc;
	return TPM2_RC_SUCCESS;
}

/* A new transient object PHANDLE (loaded, the command's response handle):
 * saved into a slot and kept loaded; its virtual handle into *VH. */
static uint32_t add_object(struct rm_space *s, uint32_t phandle, uint32_t *vh)
{
	struct rm *rm = s->rm;
	int slot = free_slot(s);
	uint64_t seq;
	uint32_t rc;

	if (slot < 0) {
		rm_tpm_flush(rm, phandle);
		return RM_RC(TPM2_RC_OBJECT_MEMORY);
	}
	rc = rm_tpm_context_save(rm, phandle, &s->objects[slot].ctx, &seq);
	if (rc != TPM2_RC_SUCCESS) {
		rm_tpm_flush(rm, phandle);
		log_error("resource manager: cannot save a new object (0x%x)", rc);
		return rc;
	}
	s->objects[slot].phandle = phandle;
	rm_cache_keep(s);
	s->nobjects++;
	*vh = RM_VHANDLE_TOP - (uint32_t)slot;
	return TPM2_RC_SUCCESS;
}

/* A session the response names joins the space, loaded. */
static uint32_t add_session(struct rm_space *s, struct run *r, uint32_t h)
{
	struct rm_session *x = rm_session_find(s, h);

	if (!x && rm_session_adopt(s, h))
		x = rm_session_find(s, h);
	if (!x)
		x = rm_session_add(s, h);
	if (!x) {
		rm_tpm_flush(s->rm, h);
		return RM_RC(TPM2_RC_MEMORY);
	}
	rm_blob_free(&x->ctx);
	x->loaded = true;
	if (!is_loaded_session(r, h))
		r->sessions[r->nsessions++] = h;
	return TPM2_RC_SUCCESS;
}

/* The response in rm->out: what it changed in the space. 0, or a TPM_RC
 * to answer instead. */
static uint32_t map(struct rm_space *s, struct run *r)
{
	struct rm *rm = s->rm;
	uint32_t rc = get_be32(rm->out + 6), h;

	if (rc != TPM2_RC_SUCCESS)
		return TPM2_RC_SUCCESS;
	if (r->c.cc == TPM2_CC_FlushContext) {
		struct rm_session *x = rm_session_find(s, r->c.handles[0]);
		int slot = slot_of(s, r->c.handles[0]);

		if (slot >= 0)
			r->flushed = s->objects[slot].phandle;
		else if (x)
			rm_session_remove(s, x);
		return TPM2_RC_SUCCESS;
	}
	if (r->c.cc == TPM2_CC_ContextSave && rm_is_session(r->c.handles[0])) {
		/* its client holds the context now; the manager's is stale */
		struct rm_session *x = rm_session_find(s, r->c.handles[0]);
		uint32_t saved;

		rm_blob_free(&x->ctx);
		x->loaded = false;
		if (!rm_wire_context(rm->out + 10, rm->out_len - 10, &x->sequence, &saved))
			x->sequence = 0;
		else if (x->sequence > rm->counter)
			rm->counter = x->sequence;
		return TPM2_RC_SUCCESS;
	}
	if (!(r->c.attrs & TPMA_CC_RHANDLE) || rm->out_len < 14)
		return TPM2_RC_SUCCESS;
	h = get_be32(rm->out + 10);
	if (rm_handle_type(h) == TPM2_HT_TRANSIENT) {
		uint32_t vh = 0;

		if ((rc = add_object(s, h, &vh)) != TPM2_RC_SUCCESS)
			return rc;
		put_be32(rm->out + 10, vh);
		return TPM2_RC_SUCCESS;
	}
	if (rm_is_session(h))
		return add_session(s, r, h);
	return TPM2_RC_SUCCESS;
}

/* Keep the objects the command used loaded (or free them if it flushed
 * them); save its sessions. */
static void put_back(struct rm_space *s, struct run *r, bool ran_ok)
{
	struct rm *rm = s->rm;
	bool consumed = ran_ok && (r->c.attrs & TPMA_CC_FLUSHED);

	for (unsigned i = 0; i < r->nslots; i++) {
		struct rm_object *o = &s->objects[r->slots[i]];
		uint64_t seq;
		uint32_t saved = 0;

		if ((r->flushed && o->phandle == r->flushed) || consumed) {
			free_object(s, r->slots[i]);
			continue;
		}
		/* a sequence object's state is new after each command */
		if (rm_wire_context(o->ctx.data, o->ctx.len, &seq, &saved) &&
		    saved == RM_SAVED_SEQUENCE &&
		    rm_tpm_context_save(rm, o->phandle, &o->ctx, &seq) != TPM2_RC_SUCCESS) {
			rm_tpm_flush(rm, o->phandle);
			free_object(s, r->slots[i]);
			continue;
		}
		rm_cache_keep(s);
	}
	for (unsigned i = 0; i < r->nsessions; i++) {
		struct rm_session *x = rm_session_find(s, r->sessions[i]);
		uint32_t rc;

		if (!x || !x->loaded)
			continue;       /* flushed, or saved by its client */
		rc = rm_session_save(s, x);
		if (rc == TPM2_RC_SUCCESS)
			continue;
		/* gone with the command (continueSession clear), or it cannot
		 * be saved: either way no longer the space's */
		if (rc != TPM2_RC_REFERENCE_H0 && (rc & ~TPM2_RC_N_MASK) != TPM2_RC_HANDLE)
			log_error("resource manager: session 0x%08x could not be saved (0x%x): flushed",
				  x->handle, rc);
		rm_tpm_flush(rm, x->handle);
		rm_session_remove(s, x);
	}
}

/* The space's own handles of the queried range, sorted, into OUT. */
static unsigned own_handles(struct rm_space *s, uint32_t property, uint32_t *out,
			    unsigned max)
{
	uint8_t type = rm_handle_type(property);
	unsigned n = 0;

	if (type == TPM2_HT_TRANSIENT) {
		/* slots count down from the top: the highest slot first */
		for (unsigned i = s->nslots; i-- > 0 && n < max;)
			if (s->objects[i].ctx.data && RM_VHANDLE_TOP - i >= property)
				out[n++] = RM_VHANDLE_TOP - i;
		return n;
	}
	/* loaded: what the manager holds for it; saved: what its client does */
	for (unsigned i = 0; i < s->nsessions && n < max; i++) {
		struct rm_session *x = &s->sessions[i];

		if ((x->handle & TPM2_HR_HANDLE_MASK) < (property & TPM2_HR_HANDLE_MASK) ||
		    !x->ctx.data != (type == TPM2_HT_SAVED_SESSION))
			continue;
		/* by index, the order the TPM lists them in; a saved session
		 * as the TPM lists one (it cannot tell its type) */
		uint32_t h = x->ctx.data ? x->handle :
			     TPM2_HR_HMAC_SESSION | (x->handle & TPM2_HR_HANDLE_MASK);
		unsigned j = n++;

		for (; j > 0 && (out[j - 1] & TPM2_HR_HANDLE_MASK) > (h & TPM2_HR_HANDLE_MASK); j--)
			out[j] = out[j - 1];
		out[j] = h;
	}
	return n;
}

static int answer_handles(struct rm_space *s, const struct run *r, uint32_t property,
			  uint32_t count)
{
	struct rm *rm = s->rm;
	uint32_t handles[TPM2_MAX_CAP_HANDLES];
	unsigned n;

	if (r->c.tag != TPM2_ST_NO_SESSIONS)
		return respond(rm, RM_RC(TPM2_RC_AUTH_CONTEXT));
	n = own_handles(s, property, handles, TPM2_MAX_CAP_HANDLES);
	if (rm->out_cap < 10 + 9 + 4 * TPM2_MAX_CAP_HANDLES) {
		uint8_t *p = realloc(rm->out, 10 + 9 + 4 * TPM2_MAX_CAP_HANDLES);

		if (!p)
			return -ENOMEM;
		rm->out = p;
		rm->out_cap = 10 + 9 + 4 * TPM2_MAX_CAP_HANDLES;
	}
	rm->out_len = rm_wire_handles_response(rm->out, rm->out_cap, count, handles, n);
	return 0;
}

/* Before the TPM started (no command table yet) only Startup passes;
 * everything else gets what the TPM says before Startup. */
static int run_unmanaged(struct rm *rm, const uint8_t *cmd, uint32_t len, uint32_t cc)
{
	if (cc != TPM2_CC_Startup)
		return respond(rm, TPM2_RC_INITIALIZE);
	return tpm_execute(rm->tpm, cmd, len, &rm->out, &rm->out_len, &rm->out_cap);
}

/* One attempt; *GAP set if the TPM's context gap stopped the command and
 * room was made since, so that another attempt may succeed. */
static int attempt(struct rm_space *s, const uint8_t *cmd, uint32_t len, bool *gap)
{
	struct rm *rm = s->rm;
	struct run r = { 0 };
	uint32_t rc, cc, property, count;
	int ret;

	if ((rc = rm_wire_header(cmd, len, &cc)) == RM_RC_SHORT_HANDLES)
		return -EINVAL;
	if (rc)
		return respond(rm, rc);
	if (!rm_sync(rm))
		return run_unmanaged(rm, cmd, len, cc);
	if (!(r.c.attrs = rm_tpm_attrs(rm, cc)))
		return respond(rm, RM_RC(TPM2_RC_COMMAND_CODE));
	if ((rc = rm_wire_parse(cmd, len, r.c.attrs, &r.c)) == RM_RC_SHORT_HANDLES)
		return -EINVAL;         /* as the kernel's */
	if (rc ||
	    (rc = check_names(s, &r)) || (rc = check_room(s, &r, cmd, len)))
		return respond(rm, rc);
	if (rm_wire_handles_query(cmd, len, &r.c, &property, &count))
		return answer_handles(s, &r, property, count);

	memcpy(rm->cmd, cmd, len);
	rm_cache_trim(s, r.c.handles, r.c.nhandles);
	if ((rc = load(s, &r))) {
		put_back(s, &r, false);
		return respond(rm, rc);
	}
	ret = tpm_execute(rm->tpm, rm->cmd, len, &rm->out, &rm->out_len, &rm->out_cap);
	if (ret < 0) {
		put_back(s, &r, false);
		return ret;
	}
	rc = map(s, &r);
	put_back(s, &r, get_be32(rm->out + 6) == TPM2_RC_SUCCESS);
	if (rc)
		return respond(rm, rc);
	*gap = get_be32(rm->out + 6) == TPM2_RC_CONTEXT_GAP && rm_gap_recover(rm);
	return 0;
}

int rm_cmd_run(struct rm_space *s, const uint8_t *cmd, uint32_t len)
{
	struct rm *rm = s->rm;
	bool gap = false;
	int ret;

	if (!tpm_running(rm->tpm))      /* its answer: a fatal-error response */
		return tpm_execute(rm->tpm, cmd, len, &rm->out, &rm->out_len, &rm->out_cap);
	ret = attempt(s, cmd, len, &gap);
	if (ret == 0 && gap)
		ret = attempt(s, cmd, len, &gap);
	if (ret == 0)
		rm_gap_check(rm);
	return ret;
}
