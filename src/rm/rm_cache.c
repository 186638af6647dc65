/* SPDX-License-Identifier: BSD-3-Clause */
/* rm_cache.c - a space's objects kept loaded from one of its commands to
 * the next, and put away before anyone else uses the TPM (rm_internal.h). */
#include <stddef.h>

#include "rm/rm_internal.h"

static void evict_cb(void *ctx)
{
	rm_cache_evict(ctx, NULL);
}

void rm_cache_attach(struct rm *rm)
{
	tpm_set_lodger(rm->tpm, evict_cb, rm);
}

void rm_cache_detach(struct rm *rm)
{
	tpm_set_lodger(rm->tpm, NULL, NULL);
}

void rm_cache_keep(struct rm_space *s)
{
	s->rm->resident = s;
	tpm_lodged(s->rm->tpm);
}

static bool named(uint32_t vh, const uint32_t *keep, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (keep[i] == vh)
			return true;
	return false;
}

/* Flush the objects of S that are loaded, but those in KEEP. */
static void flush_but(struct rm_space *s, const uint32_t *keep, unsigned n)
{
	bool any = false;

	for (unsigned i = 0; i < s->nslots; i++) {
		struct rm_object *o = &s->objects[i];

		if (!o->phandle)
			continue;
		if (named(RM_VHANDLE_TOP - i, keep, n)) {
			any = true;
			continue;
		}
		/* its saved context is current: a flush is all it takes */
		rm_tpm_flush(s->rm, o->phandle);
		o->phandle = 0;
	}
	if (!any)
		s->rm->resident = NULL;
}

void rm_cache_trim(struct rm_space *s, const uint32_t *keep, unsigned n)
{
	struct rm *rm = s->rm;

	if (!rm->resident)
		return;
	if (rm->resident != s)
		rm_cache_evict(rm, NULL);
	else
		flush_but(s, keep, n);
}

void rm_cache_evict(struct rm *rm, struct rm_space *s)
{
	if (!rm->resident || (s && rm->resident != s))
		return;
	if (tpm_running(rm->tpm) && tpm_epoch(rm->tpm) == rm->epoch) {
		flush_but(rm->resident, NULL, 0);
		return;
	}
	rm_cache_forget(rm);
}

void rm_cache_forget(struct rm *rm)
{
	struct rm_space *s = rm->resident;

	if (!s)
		return;
	for (unsigned i = 0; i < s->nslots; i++)
		s->objects[i].phandle = 0;
	rm->resident = NULL;
}
