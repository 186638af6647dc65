/* SPDX-License-Identifier: BSD-3-Clause */
/* device.c - device lifecycle, the doors, and the command path
 * (open/read/write/poll) of each door's open file. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "device/device_internal.h"
#include "mem/bytes.h"
#include "os/log.h"
#include "tpm/tpm_wire.h"

void vtpm_wait_idle(struct vtpm *v)
{
	for (;;) {
		bool busy = false;

		for (int i = 0; i < VTPM_DOORS; i++)
			busy |= v->door[i].busy;
		if (!busy)
			return;
		pthread_cond_wait(&v->idle, &v->lock);
	}
}

static void reset_file(struct vtpm_file *f)
{
	f->resp_pending = false;
	f->resp_off = 0;
	f->run_error = 0;
	vtpm_blob_reset(f);
}

void vtpm_reset_transfers(struct vtpm *v)
{
	for (int i = 0; i < VTPM_DOORS; i++)
		reset_file(&v->door[i]);
}

int vtpm_init(struct vtpm *v, const struct vtpm_options *opt)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = tpm_open(&v->tpm, &opt->tpm);
	if (ret < 0)
		return ret;
	tpm_set_recorder(&v->tpm, opt->record, opt->record_ctx);
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->idle, NULL);
	v->not_need_init = opt->not_need_init;
	v->startup = opt->startup;
	for (int i = 0; i < VTPM_DOORS; i++)
		v->door[i].policy = VTPM_POLICY_ALL;
	return 0;
}

int vtpm_start(struct vtpm *v)
{
	TPM_RESULT rc;
	int ret = 0;

	if (!v->not_need_init)
		return 0;
	tpm_lock(&v->tpm);
	if (tpm_start(&v->tpm) != TPM_SUCCESS) {
		ret = -EIO;
	} else if (v->startup != STARTUP_NONE) {
		rc = tpm_send_startup(&v->tpm, v->startup);
		/* A saved volatile state resumes an already started TPM: fine. */
		if (rc == TPM2_RC_INITIALIZE && tpm_version_of(&v->tpm) == TPM_VERSION_2)
			log_info("the TPM resumed its saved volatile state; no Startup needed");
		else if (rc != 0)
			ret = -EIO;
	}
	tpm_unlock(&v->tpm);
	return ret;
}

void vtpm_fini(struct vtpm *v)
{
	pthread_mutex_lock(&v->lock);
	vtpm_wait_idle(v);
	tpm_close(&v->tpm);
	vtpm_reset_transfers(v);
	for (int i = 0; i < VTPM_DOORS; i++)
		vtpm_buf_free(&v->door[i].resp);
	pthread_mutex_unlock(&v->lock);
	pthread_cond_destroy(&v->idle);
	pthread_mutex_destroy(&v->lock);
}

void vtpm_set_policy(struct vtpm *v, enum vtpm_door door, const struct vtpm_policy *p)
{
	pthread_mutex_lock(&v->lock);
	v->door[door].policy = *p;
	pthread_mutex_unlock(&v->lock);
}

struct tpm *vtpm_tpm(struct vtpm *v)
{
	return &v->tpm;
}

int vtpm_open(struct vtpm *v, enum vtpm_door door)
{
	struct vtpm_file *f = &v->door[door];
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	if (f->open) {
		ret = -EBUSY;
	} else {
		/* The last file's command, closed while it ran, ends first. */
		while (f->busy)
			pthread_cond_wait(&v->idle, &v->lock);
		f->open = true;
		reset_file(f);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void vtpm_release(struct vtpm *v, enum vtpm_door door)
{
	struct vtpm_file *f = &v->door[door];

	pthread_mutex_lock(&v->lock);
	f->open = false;
	/* A command still inside libtpms finishes, but nobody will read it. */
	if (f->busy)
		f->drop_response = true;
	reset_file(f);
	pthread_mutex_unlock(&v->lock);
}

/* Device lock held on entry and on return; dropped while the TPM runs.
 * The door is busy on entry (accepted). */
static int run_command(struct vtpm *v, struct vtpm_file *f,
		       const uint8_t *buf, size_t len)
{
	struct vtpm_buf resp;
	int ret;

	resp = f->resp;
	pthread_mutex_unlock(&v->lock);

	ret = tpm_execute(&v->tpm, buf, (uint32_t)len, &resp.data, &resp.len, &resp.cap);

	pthread_mutex_lock(&v->lock);
	f->resp = resp;
	f->busy = false;
	f->resp_off = 0;
	f->resp_pending = ret == 0 && !f->drop_response;
	f->drop_response = false;
	pthread_cond_broadcast(&v->idle);
	return ret;
}

ssize_t vtpm_write_accept(struct vtpm *v, enum vtpm_door door, const uint8_t *buf,
			  size_t len)
{
	struct vtpm_file *f = &v->door[door];
	ssize_t ret;

	pthread_mutex_lock(&v->lock);
	if (f->transfer == TRANSFER_SET_BLOB) {
		ret = vtpm_blob_write(f, buf, len);
	} else if (f->transfer == TRANSFER_GET_BLOB) {
		/* swtpm's rule: a write in the middle of a blob read aborts it. */
		vtpm_blob_reset(f);
		ret = -EIO;
	} else if (!f->policy.commands) {
		ret = -EPERM;
	} else if ((ret = tpm_check_write(buf, len)) < 0) {
		/* refused before anything changed */
	} else if (f->busy || (f->resp_pending && f->resp_off == 0)) {
		/* the kernel's rule: busy until a read has taken a byte of it */
		ret = -EBUSY;
	} else {
		/* the unread rest of a partly read response is dropped */
		f->resp_pending = false;
		f->run_error = 0;
		f->busy = true;
		f->run_due = true;
		ret = (ssize_t)len;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

void vtpm_write_run(struct vtpm *v, enum vtpm_door door, const uint8_t *buf, size_t len)
{
	struct vtpm_file *f = &v->door[door];

	pthread_mutex_lock(&v->lock);
	if (f->run_due) {
		f->run_due = false;
		f->run_error = run_command(v, f, buf, len);
	}
	pthread_mutex_unlock(&v->lock);
}

ssize_t vtpm_write(struct vtpm *v, enum vtpm_door door, const uint8_t *buf, size_t len)
{
	struct vtpm_file *f = &v->door[door];
	ssize_t ret = vtpm_write_accept(v, door, buf, len);

	if (ret < 0)
		return ret;
	vtpm_write_run(v, door, buf, len);
	pthread_mutex_lock(&v->lock);
	if (f->run_error < 0)
		ret = f->run_error;
	f->run_error = 0;
	pthread_mutex_unlock(&v->lock);
	return ret;
}

ssize_t vtpm_read(struct vtpm *v, enum vtpm_door door, uint8_t *buf, size_t len)
{
	struct vtpm_file *f = &v->door[door];
	ssize_t ret = 0;

	pthread_mutex_lock(&v->lock);
	if (f->busy) {
		ret = -EINPROGRESS;
	} else if (f->run_error < 0) {
		ret = f->run_error;
		f->run_error = 0;
	} else if (f->transfer == TRANSFER_GET_BLOB) {
		ret = vtpm_blob_read(f, buf, len);
	} else if (f->transfer == TRANSFER_SET_BLOB) {
		vtpm_blob_reset(f);
		ret = -EIO;
	} else if (f->resp_pending) {
		size_t left = f->resp.len - f->resp_off;
		size_t n = len < left ? len : left;

		memcpy(buf, f->resp.data + f->resp_off, n);
		f->resp_off += n;
		if (f->resp_off >= f->resp.len)
			f->resp_pending = false;
		ret = (ssize_t)n;
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

unsigned vtpm_poll(struct vtpm *v, enum vtpm_door door)
{
	struct vtpm_file *f = &v->door[door];
	unsigned events;

	pthread_mutex_lock(&v->lock);
	if (f->busy)
		events = 0;
	else if (f->resp_pending || f->run_error < 0 || f->transfer == TRANSFER_GET_BLOB)
		events = POLLIN | POLLRDNORM;   /* a read returns now */
	else
		events = POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&v->lock);
	return events;
}

bool vtpm_exit_requested(struct vtpm *v)
{
	/* Asked after every control request: a flag, not the device lock. */
	return atomic_load(&v->exit_requested);
}
