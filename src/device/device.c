/* SPDX-License-Identifier: BSD-3-Clause */
/* device.c - device lifecycle and the command path (open/read/write/poll). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "device/device_internal.h"
#include "mem/bytes.h"
#include "os/log.h"
#include "mem/secret.h"
#include "tpm/tpm_wire.h"

/* Largest state blob accepted through write(); real ones are ~100 KiB. */
#define BLOB_MAX_SIZE (4u * 1024 * 1024)

int vtpm_buf_append(struct vtpm_buf *b, const uint8_t *data, size_t len)
{
	if (len > BLOB_MAX_SIZE || b->len > BLOB_MAX_SIZE - len)
		return -EFBIG;
	if (b->len + len > b->cap) {
		uint32_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		p = secret_grow(b->data, b->len, b->cap, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void vtpm_buf_free(struct vtpm_buf *b)
{
	secret_free(b->data, b->cap);
	b->data = NULL;
	b->len = b->cap = 0;
}

void vtpm_wait_idle(struct vtpm *v)
{
	while (v->busy)
		pthread_cond_wait(&v->idle, &v->lock);
}

void vtpm_reset_transfers(struct vtpm *v)
{
	v->resp_pending = false;
	v->resp_off = 0;
	vtpm_blob_reset(v);
}

int vtpm_init(struct vtpm *v, const struct vtpm_options *opt)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = tpm_open(&v->tpm, &opt->tpm);
	if (ret < 0)
		return ret;
	v->record = opt->record;
	v->record_ctx = opt->record_ctx;
	tpm_set_recorder(&v->tpm, opt->record, opt->record_ctx);
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->idle, NULL);
	v->not_need_init = opt->not_need_init;
	v->startup = opt->startup;
	return 0;
}

int vtpm_start(struct vtpm *v)
{
	TPM_RESULT rc;

	if (!v->not_need_init)
		return 0;
	if (tpm_start(&v->tpm) != TPM_SUCCESS)
		return -EIO;
	if (v->startup == STARTUP_NONE)
		return 0;
	rc = tpm_send_startup(&v->tpm, v->startup);
	/* A saved volatile state resumes an already started TPM: that is fine. */
	if (rc == TPM2_RC_INITIALIZE && tpm_version_of(&v->tpm) == TPM_VERSION_2) {
		log_info("the TPM resumed its saved volatile state; no Startup needed");
		return 0;
	}
	return rc == 0 ? 0 : -EIO;
}

void vtpm_fini(struct vtpm *v)
{
	pthread_mutex_lock(&v->lock);
	vtpm_wait_idle(v);
	tpm_close(&v->tpm);
	vtpm_reset_transfers(v);
	vtpm_buf_free(&v->resp);
	pthread_mutex_unlock(&v->lock);
	pthread_cond_destroy(&v->idle);
	pthread_mutex_destroy(&v->lock);
}

int vtpm_open(struct vtpm *v)
{
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (v->open) {
		ret = -EBUSY;
	} else {
		v->open = true;
		vtpm_reset_transfers(v);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void vtpm_release(struct vtpm *v)
{
	pthread_mutex_lock(&v->lock);
	v->open = false;
	/* A command still inside libtpms finishes, but nobody will read it. */
	if (v->busy)
		v->drop_response = true;
	vtpm_reset_transfers(v);
	pthread_mutex_unlock(&v->lock);
}

/* Kernel /dev/tpm0 rules for what a write may hold. */
static int check_command(const uint8_t *buf, size_t len)
{
	if (len > TPM_MAX_COMMAND_SIZE)
		return -E2BIG;
	if (len < 6 || len < get_be32(buf + 2))
		return -EINVAL;
	return 0;
}

static ssize_t run_command(struct vtpm *v, const uint8_t *buf, size_t len)
{
	uint8_t cmd[TPM_MAX_COMMAND_SIZE];
	struct vtpm_buf resp;
	int ret;

	memcpy(cmd, buf, len);
	v->busy = true;
	resp = v->resp;
	pthread_mutex_unlock(&v->lock);

	ret = tpm_execute(&v->tpm, cmd, (uint32_t)len, &resp.data, &resp.len, &resp.cap);

	pthread_mutex_lock(&v->lock);
	/* BUF, not CMD: libtpms may have worked on its copy in place. */
	if (ret == 0 && v->record)
		v->record(v->record_ctx, buf, len, resp.data, resp.len);
	v->resp = resp;
	v->busy = false;
	v->resp_off = 0;
	v->resp_pending = ret == 0 && !v->drop_response;
	v->drop_response = false;
	pthread_cond_broadcast(&v->idle);
	secret_wipe(cmd, len);
	return ret == 0 ? (ssize_t)len : ret;
}

ssize_t vtpm_write(struct vtpm *v, const uint8_t *buf, size_t len)
{
	ssize_t ret;

	pthread_mutex_lock(&v->lock);
	if (v->transfer == TRANSFER_SET_BLOB) {
		ret = vtpm_blob_write(v, buf, len);
	} else if (v->transfer == TRANSFER_GET_BLOB) {
		/* swtpm's rule: a write in the middle of a blob read aborts it. */
		vtpm_blob_reset(v);
		ret = -EIO;
	} else if ((ret = check_command(buf, len)) < 0) {
		/* refused before anything changed */
	} else if (v->busy || (v->resp_pending && v->resp_off == 0)) {
		/* the kernel's rule: busy until a read has taken a byte of it */
		ret = -EBUSY;
	} else {
		/* the unread rest of a partly read response is dropped */
		v->resp_pending = false;
		ret = run_command(v, buf, len);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

ssize_t vtpm_read(struct vtpm *v, uint8_t *buf, size_t len)
{
	ssize_t ret = 0;

	pthread_mutex_lock(&v->lock);
	vtpm_wait_idle(v);
	if (v->transfer == TRANSFER_GET_BLOB) {
		ret = vtpm_blob_read(v, buf, len);
	} else if (v->transfer == TRANSFER_SET_BLOB) {
		vtpm_blob_reset(v);
		ret = -EIO;
	} else if (v->resp_pending) {
		size_t left = v->resp.len - v->resp_off;
		size_t n = len < left ? len : left;

		memcpy(buf, v->resp.data + v->resp_off, n);
		v->resp_off += n;
		if (v->resp_off >= v->resp.len)
			v->resp_pending = false;
		ret = (ssize_t)n;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

unsigned vtpm_poll(struct vtpm *v)
{
	unsigned events;

	pthread_mutex_lock(&v->lock);
	if (v->busy)
		events = 0;
	else if (v->resp_pending || v->transfer == TRANSFER_GET_BLOB)
		events = POLLIN | POLLRDNORM;
	else
		events = POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&v->lock);
	return events;
}

bool vtpm_exit_requested(struct vtpm *v)
{
	bool ret;

	pthread_mutex_lock(&v->lock);
	ret = v->exit_requested;
	pthread_mutex_unlock(&v->lock);
	return ret;
}
