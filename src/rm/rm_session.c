/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rm_session.c - the sessions of the spaces: how many each may hold, what
 * a closing space leaves behind for others to load, and the TPM's context
 * gap.
 *
 * Sessions are not virtualised: a saved session stays active in the TPM
 * under its own handle, so the handle the client knows stays valid and a
 * space owns the handles in its table. A session its client saved
 * (TPM2_ContextSave) belongs to whoever loads that context next, in any
 * open file: the context is the capability (tpm2-tools keeps sessions in
 * files from one tool to the next, and the open file of the tool before
 * may not even be released yet). Of the TPM's active sessions (64 in
 * libtpms) a space may take more than its fair share (active / open spaces)
 * only out of what no other space still needs to reach its own.
 *
 * The context gap: the TPM counts session saves; a saved session whose
 * count falls TPM_PT_CONTEXT_GAP_MAX behind stops every further save
 * (TPM_RC_CONTEXT_GAP) until it is loaded or flushed. The manager saves
 * its sessions again long before that, and when the TPM still says
 * TPM_RC_CONTEXT_GAP (a gap narrower than it reports: a state from an older
 * libtpms counts in 8 bits), it refreshes the oldest session it holds, or
 * flushes the oldest one whose context only a client holds.
 */
#include <stdlib.h>
#include <string.h>

#include "os/log.h"
#include "rm/rm_internal.h"

struct rm_session *rm_session_find(struct rm_space *s, uint32_t handle)
{
	for (unsigned i = 0; i < s->nsessions; i++)
		if (s->sessions[i].handle == handle)
			return &s->sessions[i];
	return NULL;
}

static struct rm_session *append(struct rm_session **list, unsigned *n, unsigned *cap)
{
	if (*n == *cap) {
		unsigned c = *cap ? 2 * *cap : 4;
		struct rm_session *p = realloc(*list, c * sizeof(*p));

		if (!p)
			return NULL;
		*list = p;
		*cap = c;
	}
	memset(&(*list)[*n], 0, sizeof(**list));
	return &(*list)[(*n)++];
}

struct rm_session *rm_session_add(struct rm_space *s, uint32_t handle)
{
	struct rm_session *x = append(&s->sessions, &s->nsessions, &s->sessions_cap);

	if (x) {
		x->handle = handle;
		s->rm->nsessions++;
	}
	return x;
}

/* Remove entry I of a list of N (its context freed). */
static void drop(struct rm_session *list, unsigned *n, unsigned i)
{
	rm_blob_free(&list[i].ctx);
	memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(*list));
	(*n)--;
}

void rm_session_remove(struct rm_space *s, struct rm_session *x)
{
	drop(s->sessions, &s->nsessions, (unsigned)(x - s->sessions));
	s->rm->nsessions--;
}

static unsigned max_sessions(const struct rm *rm)
{
	return rm->opt.max_sessions ? rm->opt.max_sessions : rm->active_max;
}

uint32_t rm_session_room(const struct rm_space *s)
{
	const struct rm *rm = s->rm;
	unsigned limit = max_sessions(rm);
	unsigned fair = rm->active_max / (rm->nspaces ? rm->nspaces : 1);
	unsigned want = rm->nsessions + 1;

	if (s->nsessions >= limit)
		return RM_RC(TPM2_RC_SESSION_HANDLES);
	if (s->nsessions < (fair ? fair : 1))
		return TPM2_RC_SUCCESS;
	/* beyond its share: only what the others cannot still claim */
	for (const struct rm_space *o = rm->spaces; o; o = o->next) {
		unsigned share = fair < limit ? fair : limit;

		if (o != s && o->nsessions < share)
			want += share - o->nsessions;
	}
	return want <= rm->active_max ? TPM2_RC_SUCCESS : RM_RC(TPM2_RC_SESSION_HANDLES);
}

/* Where session HANDLE is, if its client holds its context: abandoned
 * (*FROM NULL, index *I), or in another space. */
static struct rm_session *client_saved(struct rm_space *s, uint32_t handle,
				       struct rm_space **from)
{
	struct rm *rm = s->rm;

	for (unsigned i = 0; i < rm->nabandoned; i++)
		if (rm->abandoned[i].handle == handle) {
			*from = NULL;
			return &rm->abandoned[i];
		}
	for (struct rm_space *o = rm->spaces; o; o = o->next) {
		struct rm_session *x = o == s ? NULL : rm_session_find(o, handle);

		if (x && !x->ctx.data && !x->loaded) {
			*from = o;
			return x;
		}
	}
	return NULL;
}

bool rm_session_adoptable(struct rm_space *s, uint32_t handle)
{
	struct rm_space *from;

	return client_saved(s, handle, &from) != NULL;
}

bool rm_session_adopt(struct rm_space *s, uint32_t handle)
{
	struct rm_space *from;
	struct rm_session *x = client_saved(s, handle, &from), *y;
	struct rm_session keep;

	if (!x)
		return false;
	keep = *x;
	y = append(&s->sessions, &s->nsessions, &s->sessions_cap);
	if (!y)
		return false;
	*y = keep;
	/* rm->nsessions counted it already */
	if (from) {
		x = rm_session_find(from, handle);
		memmove(x, x + 1, (size_t)(from->sessions + from->nsessions - x - 1) * sizeof(*x));
		from->nsessions--;
	} else {
		unsigned i = (unsigned)(x - s->rm->abandoned);

		memmove(x, x + 1, (s->rm->nabandoned - i - 1) * sizeof(*x));
		s->rm->nabandoned--;
	}
	return true;
}

static unsigned max_abandoned(const struct rm *rm)
{
	if (rm->opt.max_abandoned == RM_NO_ABANDONED)
		return 0;
	return rm->opt.max_abandoned ? rm->opt.max_abandoned : RM_DEFAULT_ABANDONED;
}

void rm_session_release(struct rm_space *s)
{
	struct rm *rm = s->rm;

	while (s->nsessions) {
		struct rm_session *x = &s->sessions[s->nsessions - 1];

		if (!x->ctx.data && max_abandoned(rm)) {
			/* its client holds its context: another may load it */
			if (rm->nabandoned == max_abandoned(rm)) {
				rm_tpm_flush(rm, rm->abandoned[0].handle);
				drop(rm->abandoned, &rm->nabandoned, 0);
				rm->nsessions--;
			}
			rm->abandoned[rm->nabandoned++] = *x;
			s->nsessions--;
			continue;
		}
		rm_tpm_flush(rm, x->handle);
		rm_session_remove(s, x);
	}
}

static void note_counter(struct rm *rm, uint64_t sequence)
{
	if (sequence > rm->counter)
		rm->counter = sequence;
}

uint32_t rm_session_save(struct rm_space *s, struct rm_session *x)
{
	uint32_t rc = rm_tpm_context_save(s->rm, x->handle, &x->ctx, &x->sequence);

	if (rc == TPM2_RC_CONTEXT_GAP && rm_gap_recover(s->rm))
		rc = rm_tpm_context_save(s->rm, x->handle, &x->ctx, &x->sequence);
	if (rc == TPM2_RC_SUCCESS) {
		x->loaded = false;
		note_counter(s->rm, x->sequence);
	}
	return rc;
}

uint32_t rm_session_load(struct rm_space *s, struct rm_session *x)
{
	uint32_t handle = 0, rc = rm_tpm_context_load(s->rm, &x->ctx, &handle);

	if (rc == TPM2_RC_CONTEXT_GAP && rm_gap_recover(s->rm))
		rc = rm_tpm_context_load(s->rm, &x->ctx, &handle);
	if (rc != TPM2_RC_SUCCESS)
		return rc;
	if (handle != x->handle) {
		/* cannot happen: a session loads under its own handle */
		log_error("resource manager: session 0x%08x came back as 0x%08x",
			  x->handle, handle);
		rm_tpm_flush(s->rm, handle);
		return TPM2_RC_FAILURE;
	}
	x->loaded = true;
	return TPM2_RC_SUCCESS;
}

/* The oldest session the manager knows of, saved and not loaded now; with
 * its space (NULL: abandoned). */
static struct rm_session *oldest(struct rm *rm, struct rm_space **where)
{
	struct rm_session *best = NULL;

	for (struct rm_space *s = rm->spaces; s; s = s->next)
		for (unsigned i = 0; i < s->nsessions; i++) {
			struct rm_session *x = &s->sessions[i];

			if (!x->loaded && x->sequence && (!best || x->sequence < best->sequence)) {
				best = x;
				*where = s;
			}
		}
	for (unsigned i = 0; i < rm->nabandoned; i++) {
		struct rm_session *x = &rm->abandoned[i];

		if (x->sequence && (!best || x->sequence < best->sequence)) {
			best = x;
			*where = NULL;
		}
	}
	return best;
}

/* Load and save X again: it becomes the newest saved session. */
static bool refresh(struct rm *rm, struct rm_session *x)
{
	uint32_t handle = 0, rc = rm_tpm_context_load(rm, &x->ctx, &handle);

	if (rc == TPM2_RC_SUCCESS)
		rc = rm_tpm_context_save(rm, x->handle, &x->ctx, &x->sequence);
	if (rc != TPM2_RC_SUCCESS) {
		log_error("resource manager: cannot refresh session 0x%08x (0x%x)",
			  x->handle, rc);
		return false;
	}
	note_counter(rm, x->sequence);
	return true;
}

void rm_gap_check(struct rm *rm)
{
	uint64_t limit = rm->opt.gap_refresh ? rm->opt.gap_refresh : rm->gap_max / 2;
	struct rm_space *where = NULL;
	struct rm_session *x = oldest(rm, &where);

	if (x && x->ctx.data && rm->counter - x->sequence >= limit)
		refresh(rm, x);
}

bool rm_gap_recover(struct rm *rm)
{
	struct rm_space *where = NULL;
	struct rm_session *x = oldest(rm, &where);

	if (!x)
		return false;   /* not ours: the raw node's oldest */
	if (x->ctx.data)
		return refresh(rm, x);
	log_error("resource manager: session 0x%08x, saved by its client, fell behind the "
		  "TPM's context gap: flushed", x->handle);
	rm_tpm_flush(rm, x->handle);
	if (where) {
		rm_session_remove(where, x);
	} else {
		drop(rm->abandoned, &rm->nabandoned, (unsigned)(x - rm->abandoned));
		rm->nsessions--;
	}
	return true;
}

void rm_forget_all(struct rm *rm)
{
	rm_cache_forget(rm);
	for (struct rm_space *s = rm->spaces; s; s = s->next) {
		for (unsigned i = 0; i < s->nslots; i++)
			rm_blob_free(&s->objects[i].ctx);
		s->nobjects = 0;
		for (unsigned i = 0; i < s->nsessions; i++)
			rm_blob_free(&s->sessions[i].ctx);
		s->nsessions = 0;
	}
	for (unsigned i = 0; i < rm->nabandoned; i++)
		rm_blob_free(&rm->abandoned[i].ctx);
	rm->nabandoned = 0;
	rm->nsessions = 0;
	rm->counter = 0;
}
