/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device_ctrl.c - swtpm's control operations (the PTM_* ioctls).
 *
 * Each operation takes its request in place and leaves its reply there; the
 * reply is always the full struct the request code names. "Not running" means
 * no successful INIT (or not-need-init start) since the last STOP/SHUTDOWN;
 * operations that need a running TPM then answer TPM_BAD_ORDINAL, as swtpm.
 * A request the door's policy does not answer is refused first (-EPERM,
 * logged once per request), and GET_CAPABILITY lists only what it answers.
 * LOCK_STORAGE, which may wait for another process, runs without the
 * device lock.
 * Operations that touch libtpms run with every door idle and the TPM lock
 * held (the resource manager's commands wait for them, and they for it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "device/device_internal.h"
#include "os/log.h"

/* What GET_CAPABILITY reports: everything but SET_DATAFD (not over CUSE)
 * and SEND_COMMAND_HEADER (socket only) -- swtpm's CUSE value. */
#define VTPM_CAPABILITIES \
	(PTM_CAP_INIT | PTM_CAP_SHUTDOWN | PTM_CAP_GET_TPMESTABLISHED | \
	 PTM_CAP_SET_LOCALITY | PTM_CAP_HASHING | PTM_CAP_CANCEL_TPM_CMD | \
	 PTM_CAP_STORE_VOLATILE | PTM_CAP_RESET_TPMESTABLISHED | \
	 PTM_CAP_GET_STATEBLOB | PTM_CAP_SET_STATEBLOB | PTM_CAP_STOP | \
	 PTM_CAP_GET_CONFIG | PTM_CAP_SET_BUFFERSIZE | PTM_CAP_GET_INFO | \
	 PTM_CAP_LOCK_STORAGE)

union ptm_arg {
	ptm_cap cap;
	ptm_res res;
	struct ptm_est est;
	struct ptm_reset_est reset_est;
	struct ptm_init init;
	struct ptm_loc loc;
	struct ptm_hdata hdata;
	struct ptm_getstate getstate;
	struct ptm_setstate setstate;
	struct ptm_getconfig getconfig;
	struct ptm_setbuffersize setbuffersize;
	struct ptm_getinfo getinfo;
	struct ptm_lockstorage lockstorage;
};

size_t vtpm_ioctl_max_size(void)
{
	return sizeof(union ptm_arg);
}

static void ctrl_init(struct vtpm *v, struct ptm_init *a)
{
	uint32_t flags = a->u.req.init_flags;
	TPM_RESULT rc;

	tpm_stop(&v->tpm);
	vtpm_reset_transfers(v);
	rc = tpm_start(&v->tpm);
	if (rc == TPM_SUCCESS && (flags & PTM_INIT_FLAG_DELETE_VOLATILE))
		rc = tpm_delete_volatile(&v->tpm);
	a->u.resp.tpm_result = rc;
}

static void ctrl_stop(struct vtpm *v, ptm_res *res)
{
	tpm_stop(&v->tpm);
	vtpm_reset_transfers(v);
	*res = TPM_SUCCESS;
}

static void ctrl_shutdown(struct vtpm *v, ptm_res *res)
{
	ctrl_stop(v, res);
	atomic_store(&v->exit_requested, true);
}

static void ctrl_get_established(struct vtpm *v, struct ptm_est *a)
{
	bool bit = false;

	memset(a, 0, sizeof(*a));
	a->u.resp.tpm_result = tpm_established_get(&v->tpm, &bit);
	a->u.resp.bit = bit;
}

static void ctrl_reset_established(struct vtpm *v, struct ptm_reset_est *a)
{
	uint8_t loc = a->u.req.loc;

	a->u.resp.tpm_result = tpm_established_reset(&v->tpm, loc);
}

static void ctrl_set_locality(struct vtpm *v, struct ptm_loc *a)
{
	uint8_t loc = a->u.req.loc;

	a->u.resp.tpm_result = tpm_set_locality(&v->tpm, loc);
}

static void ctrl_hash_data(struct vtpm *v, struct ptm_hdata *a)
{
	uint32_t len = a->u.req.length;

	/* The reply echoes the request struct; only the result changes. */
	if (len > sizeof(a->u.req.data))
		a->u.resp.tpm_result = TPM_FAIL;
	else
		a->u.resp.tpm_result = tpm_hash_data(&v->tpm, a->u.req.data, len);
}

static void ctrl_set_buffersize(struct vtpm *v, struct ptm_setbuffersize *a)
{
	uint32_t wanted = a->u.req.buffersize, size = 0, min = 0, max = 0;

	memset(a, 0, sizeof(*a));
	a->u.resp.tpm_result = tpm_buffer_size(&v->tpm, wanted, &size, &min, &max);
	if (a->u.resp.tpm_result == TPM_SUCCESS) {
		a->u.resp.buffersize = size;
		a->u.resp.minsize = min;
		a->u.resp.maxsize = max;
	}
}

static void ctrl_get_info(struct vtpm *v, struct ptm_getinfo *a)
{
	uint64_t flags = a->u.req.flags;
	uint32_t offset = a->u.req.offset;
	char *info = tpm_get_info(&v->tpm, flags);
	size_t len;

	memset(a, 0, sizeof(*a));
	if (!info) {
		a->u.resp.tpm_result = TPM_SIZE;
		return;
	}
	len = strlen(info);
	if (offset >= len) {
		a->u.resp.tpm_result = TPM_BAD_PARAMETER;
	} else {
		size_t n = len + 1 - offset;

		if (n > sizeof(a->u.resp.buffer))
			n = sizeof(a->u.resp.buffer);
		memcpy(a->u.resp.buffer, info + offset, n);
		a->u.resp.totlength = (uint32_t)(len + 1);
		a->u.resp.length = (uint32_t)n;
	}
	free(info);
}

static void ctrl_lock_storage(struct vtpm *v, struct ptm_lockstorage *a)
{
	uint32_t retries = a->u.req.retries;

	a->u.resp.tpm_result = tpm_lock_storage(&v->tpm, retries);
}

/* The capability bit of each request (0: none reported, as SET_DATAFD). */
static const uint32_t request_cap[] = {
	[_IOC_NR(PTM_GET_CAPABILITY)] = 0,
	[_IOC_NR(PTM_INIT)] = PTM_CAP_INIT,
	[_IOC_NR(PTM_SHUTDOWN)] = PTM_CAP_SHUTDOWN,
	[_IOC_NR(PTM_GET_TPMESTABLISHED)] = PTM_CAP_GET_TPMESTABLISHED,
	[_IOC_NR(PTM_SET_LOCALITY)] = PTM_CAP_SET_LOCALITY,
	[_IOC_NR(PTM_HASH_START)] = PTM_CAP_HASHING,
	[_IOC_NR(PTM_HASH_DATA)] = PTM_CAP_HASHING,
	[_IOC_NR(PTM_HASH_END)] = PTM_CAP_HASHING,
	[_IOC_NR(PTM_CANCEL_TPM_CMD)] = PTM_CAP_CANCEL_TPM_CMD,
	[_IOC_NR(PTM_STORE_VOLATILE)] = PTM_CAP_STORE_VOLATILE,
	[_IOC_NR(PTM_RESET_TPMESTABLISHED)] = PTM_CAP_RESET_TPMESTABLISHED,
	[_IOC_NR(PTM_GET_STATEBLOB)] = PTM_CAP_GET_STATEBLOB,
	[_IOC_NR(PTM_SET_STATEBLOB)] = PTM_CAP_SET_STATEBLOB,
	[_IOC_NR(PTM_STOP)] = PTM_CAP_STOP,
	[_IOC_NR(PTM_GET_CONFIG)] = PTM_CAP_GET_CONFIG,
	[_IOC_NR(PTM_SET_DATAFD)] = 0,
	[_IOC_NR(PTM_SET_BUFFERSIZE)] = PTM_CAP_SET_BUFFERSIZE,
	[_IOC_NR(PTM_GET_INFO)] = PTM_CAP_GET_INFO,
	[_IOC_NR(PTM_LOCK_STORAGE)] = PTM_CAP_LOCK_STORAGE,
};
#define REQUEST_COUNT (sizeof(request_cap) / sizeof(request_cap[0]))

static const char *const request_name[REQUEST_COUNT] = {
	"GET_CAPABILITY", "INIT", "SHUTDOWN", "GET_TPMESTABLISHED", "SET_LOCALITY",
	"HASH_START", "HASH_DATA", "HASH_END", "CANCEL_TPM_CMD", "STORE_VOLATILE",
	"RESET_TPMESTABLISHED", "GET_STATEBLOB", "SET_STATEBLOB", "STOP", "GET_CONFIG",
	"SET_DATAFD", "SET_BUFFERSIZE", "GET_INFO", "LOCK_STORAGE",
};

/* What GET_CAPABILITY tells F's opener: the capabilities of the requests
 * its policy answers (a capability of several requests needs them all). */
static ptm_cap door_capabilities(const struct vtpm_file *f)
{
	ptm_cap caps = VTPM_CAPABILITIES;

	for (unsigned nr = 0; nr < REQUEST_COUNT; nr++)
		if (!(f->policy.requests & (1ULL << nr)))
			caps &= ~(ptm_cap)request_cap[nr];
	return caps;
}

/* Requests that do not touch libtpms: answered even while a command runs. */
static int ctrl_nowait(struct vtpm *v, struct vtpm_file *f, unsigned int cmd,
		       union ptm_arg *a)
{
	switch (cmd) {
	case PTM_GET_CAPABILITY:
		a->cap = door_capabilities(f);
		return 0;
	case PTM_CANCEL_TPM_CMD:
		if (!tpm_running(&v->tpm)) {
			a->res = TPM_BAD_ORDINAL;
			return 0;
		}
		tpm_cancel(&v->tpm);
		a->res = TPM_SUCCESS;
		return 0;
	case PTM_GET_CONFIG:
		memset(&a->getconfig, 0, sizeof(a->getconfig));
		if (tpm_has_state_key(&v->tpm))
			a->getconfig.u.resp.flags |= PTM_CONFIG_FLAG_FILE_KEY;
		if (tpm_has_migration_key(&v->tpm))
			a->getconfig.u.resp.flags |= PTM_CONFIG_FLAG_MIGRATION_KEY;
		return 0;
	case PTM_SET_DATAFD:
		/* Only meaningful on swtpm's socket interface. */
		return -EINVAL;
	}
	return -ENOENT;
}

/* Requests that may run while the TPM is stopped. */
static int ctrl_any_state(struct vtpm *v, struct vtpm_file *f, unsigned int cmd,
			  union ptm_arg *a)
{
	switch (cmd) {
	case PTM_INIT:
		ctrl_init(v, &a->init);
		return 0;
	case PTM_STOP:
		ctrl_stop(v, &a->res);
		return 0;
	case PTM_SHUTDOWN:
		ctrl_shutdown(v, &a->res);
		return 0;
	case PTM_SET_LOCALITY:
		ctrl_set_locality(v, &a->loc);
		return 0;
	case PTM_SET_STATEBLOB:
		vtpm_blob_set(f, &v->tpm, &a->setstate);
		return 0;
	case PTM_SET_BUFFERSIZE:
		ctrl_set_buffersize(v, &a->setbuffersize);
		return 0;
	case PTM_GET_INFO:
		ctrl_get_info(v, &a->getinfo);
		return 0;
	}
	return -ENOENT;
}

/* Requests that need a running TPM. */
static int ctrl_running(struct vtpm *v, struct vtpm_file *f, unsigned int cmd,
			union ptm_arg *a)
{
	switch (cmd) {
	case PTM_GET_TPMESTABLISHED:
	case PTM_RESET_TPMESTABLISHED:
	case PTM_HASH_START:
	case PTM_HASH_DATA:
	case PTM_HASH_END:
	case PTM_STORE_VOLATILE:
	case PTM_GET_STATEBLOB:
		break;
	default:
		return -ENOENT;
	}
	if (!tpm_running(&v->tpm)) {
		if (cmd == PTM_GET_STATEBLOB)
			memset(&a->getstate, 0, sizeof(a->getstate));
		a->res = TPM_BAD_ORDINAL;
		return 0;
	}
	switch (cmd) {
	case PTM_GET_TPMESTABLISHED:
		ctrl_get_established(v, &a->est);
		break;
	case PTM_RESET_TPMESTABLISHED:
		ctrl_reset_established(v, &a->reset_est);
		break;
	case PTM_HASH_START:
		a->res = tpm_hash_start(&v->tpm);
		break;
	case PTM_HASH_DATA:
		ctrl_hash_data(v, &a->hdata);
		break;
	case PTM_HASH_END:
		a->res = tpm_hash_end(&v->tpm);
		break;
	case PTM_STORE_VOLATILE:
		a->res = tpm_store_volatile(&v->tpm);
		break;
	case PTM_GET_STATEBLOB:
		vtpm_blob_get(f, &v->tpm, &a->getstate);
		break;
	}
	return 0;
}

/* Whether F's policy answers CMD. A number that is no PTM request goes on
 * to be refused as unknown (EINVAL, as swtpm), whatever the policy. */
static bool allowed(const struct vtpm_file *f, unsigned int cmd)
{
	unsigned nr = _IOC_NR(cmd);

	return nr >= REQUEST_COUNT || (f->policy.requests & (1ULL << nr));
}

/* A refusal, logged once per request per device: a client trying every
 * request, or one request in a loop, makes a line each, not a flood. */
static void log_refusal(struct vtpm *v, enum vtpm_door door, unsigned int cmd)
{
	unsigned nr = _IOC_NR(cmd);

	if (v->refusals_logged & (1ULL << nr))
		return;
	v->refusals_logged |= 1ULL << nr;
	log_error("refused PTM_%s on the %s: it answers TPM commands and queries only; %s",
		  request_name[nr], door == VTPM_DOOR_NODE ? "node" : "control node",
		  door == VTPM_DOOR_NODE ? "the host's control node answers it"
		  : "its policy refuses it");
}

int vtpm_ioctl(struct vtpm *v, enum vtpm_door door, unsigned int cmd, void *arg,
	       size_t *out_len)
{
	struct vtpm_file *f = &v->door[door];
	union ptm_arg *a = arg;
	int ret;

	if (_IOC_TYPE(cmd) != 'P' || !(_IOC_DIR(cmd) & _IOC_READ) ||
	    _IOC_SIZE(cmd) > sizeof(*a))
		return -EINVAL;
	*out_len = _IOC_SIZE(cmd);

	pthread_mutex_lock(&v->lock);
	if (!allowed(f, cmd)) {
		log_refusal(v, door, cmd);
		pthread_mutex_unlock(&v->lock);
		return -EPERM;
	}
	if (cmd == PTM_LOCK_STORAGE) {
		/* It may wait seconds for another process: not with the device
		 * lock held (every request and the orderly exit would wait too).
		 * It takes the TPM lock only for each attempt. */
		pthread_mutex_unlock(&v->lock);
		ctrl_lock_storage(v, &a->lockstorage);
		return 0;
	}
	ret = ctrl_nowait(v, f, cmd, a);
	if (ret == -ENOENT) {
		vtpm_wait_idle(v);
		tpm_lock(&v->tpm);
		ret = ctrl_any_state(v, f, cmd, a);
		if (ret == -ENOENT)
			ret = ctrl_running(v, f, cmd, a);
		tpm_unlock(&v->tpm);
	}
	pthread_mutex_unlock(&v->lock);
	if (ret == -ENOENT) {
		log_debug("unknown control request 0x%08x", cmd);
		ret = -EINVAL;
	}
	return ret;
}
