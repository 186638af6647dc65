/* SPDX-License-Identifier: BSD-3-Clause */
/* rm.c - the resource manager's life, its spaces' life, and the command
 * path of an open file with the kernel's /dev/tpmrmN rules. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "mem/secret.h"
#include "rm/rm_internal.h"

int rm_new(struct rm **out, struct tpm *t, const struct rm_options *opt)
{
	struct rm *rm;
	unsigned abandoned;

	if (tpm_version_of(t) != TPM_VERSION_2)
		return -EOPNOTSUPP;
	rm = calloc(1, sizeof(*rm));
	if (!rm)
		return -ENOMEM;
	rm->tpm = t;
	rm->opt = *opt;
	if (!rm->opt.max_objects)
		rm->opt.max_objects = RM_DEFAULT_OBJECTS;
	abandoned = opt->max_abandoned == RM_NO_ABANDONED ? 0 :
		    opt->max_abandoned ? opt->max_abandoned : RM_DEFAULT_ABANDONED;
	if (abandoned && !(rm->abandoned = calloc(abandoned, sizeof(*rm->abandoned)))) {
		free(rm);
		return -ENOMEM;
	}
	rm_cache_attach(rm);
	*out = rm;
	return 0;
}

bool rm_sync(struct rm *rm)
{
	uint32_t count = 0;

	if (!tpm_running(rm->tpm))
		return false;
	if (rm->ncc && tpm_epoch(rm->tpm) == rm->epoch)
		return true;
	rm_cache_forget(rm);    /* a power cycle took them */
	if (rm_tpm_learn(rm) || rm_tpm_reset_count(rm, &count)) {
		free(rm->cc_attrs);
		rm->cc_attrs = NULL;
		rm->ncc = 0;
		return false;   /* not started yet */
	}
	if (count != rm->reset_count)
		rm_forget_all(rm);
	rm->reset_count = count;
	rm->epoch = tpm_epoch(rm->tpm);
	return true;
}

void rm_free(struct rm *rm)
{
	if (!rm)
		return;
	tpm_lock_lodger(rm->tpm);
	rm_cache_evict(rm, NULL);
	if (rm_sync(rm))
		for (unsigned i = 0; i < rm->nabandoned; i++)
			rm_tpm_flush(rm, rm->abandoned[i].handle);
	rm_forget_all(rm);
	tpm_unlock(rm->tpm);
	rm_cache_detach(rm);
	free(rm->cc_attrs);
	free(rm->abandoned);
	secret_free(rm->out, rm->out_cap);
	free(rm->aux);
	free(rm);
}

int rm_open(struct rm *rm, struct rm_space **out)
{
	struct rm_space *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->rm = rm;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	tpm_lock_lodger(rm->tpm);
	s->next = rm->spaces;
	rm->spaces = s;
	rm->nspaces++;
	tpm_unlock(rm->tpm);
	*out = s;
	return 0;
}

static void drop_response(struct rm_space *s)
{
	secret_free(s->resp, s->resp_len);
	s->resp = NULL;
	s->resp_len = s->resp_off = 0;
}

void rm_release(struct rm_space *s)
{
	struct rm *rm = s->rm;
	struct rm_space **p;

	pthread_mutex_lock(&s->lock);
	while (s->busy)
		pthread_cond_wait(&s->idle, &s->lock);
	drop_response(s);
	pthread_mutex_unlock(&s->lock);

	tpm_lock_lodger(rm->tpm);
	rm_cache_evict(rm, s);
	if (rm_sync(rm))
		rm_session_release(s);
	for (unsigned i = 0; i < s->nslots; i++)
		rm_blob_free(&s->objects[i].ctx);
	for (unsigned i = 0; i < s->nsessions; i++)
		rm_blob_free(&s->sessions[i].ctx);
	rm->nsessions -= s->nsessions;
	for (p = &rm->spaces; *p != s; p = &(*p)->next)
		;
	*p = s->next;
	rm->nspaces--;
	tpm_unlock(rm->tpm);

	free(s->objects);
	free(s->sessions);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Run the command (space lock dropped, S busy) and keep its response. */
static ssize_t run(struct rm_space *s, const uint8_t *buf, size_t len)
{
	struct rm *rm = s->rm;
	uint8_t *resp = NULL;
	uint32_t resp_len = 0;
	int ret;

	s->busy = true;
	pthread_mutex_unlock(&s->lock);

	tpm_lock_lodger(rm->tpm);
	ret = rm_cmd_run(s, buf, (uint32_t)len);
	if (ret == 0) {
		resp = malloc(rm->out_len);
		if (resp) {
			memcpy(resp, rm->out, rm->out_len);
			resp_len = rm->out_len;
		} else {
			ret = -ENOMEM;
		}
		secret_wipe(rm->out, rm->out_len);
	}
	tpm_unlock(rm->tpm);

	pthread_mutex_lock(&s->lock);
	s->resp = resp;
	s->resp_len = resp_len;
	s->resp_off = 0;
	s->busy = false;
	pthread_cond_broadcast(&s->idle);
	return ret == 0 ? (ssize_t)len : ret;
}

ssize_t rm_write(struct rm_space *s, const uint8_t *buf, size_t len)
{
	ssize_t ret;

	pthread_mutex_lock(&s->lock);
	if ((ret = tpm_check_write(buf, len)) < 0) {
		/* refused before anything changed */
	} else if (s->busy || (s->resp && s->resp_off == 0)) {
		/* the kernel's rule: busy until a read has taken a byte of it */
		ret = -EBUSY;
	} else {
		/* the unread rest of a partly read response is dropped */
		drop_response(s);
		ret = run(s, buf, len);
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

ssize_t rm_read(struct rm_space *s, uint8_t *buf, size_t len)
{
	ssize_t ret = 0;

	pthread_mutex_lock(&s->lock);
	while (s->busy)
		pthread_cond_wait(&s->idle, &s->lock);
	if (s->resp) {
		size_t left = s->resp_len - s->resp_off;
		size_t n = len < left ? len : left;

		memcpy(buf, s->resp + s->resp_off, n);
		s->resp_off += (uint32_t)n;
		if (s->resp_off >= s->resp_len)
			drop_response(s);
		ret = (ssize_t)n;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

unsigned rm_poll(struct rm_space *s)
{
	unsigned events;

	pthread_mutex_lock(&s->lock);
	if (s->busy)
		events = 0;
	else if (s->resp)
		events = POLLIN | POLLRDNORM;
	else
		events = POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&s->lock);
	return events;
}
