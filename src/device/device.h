/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device.h - the vTPM device model, independent of any transport.
 *
 * A struct vtpm is what a client sees through /dev/vtpmN: one open file at a
 * time, a command path with kernel /dev/tpm0 semantics, and swtpm's control
 * operations. The CUSE layer maps kernel requests onto these calls; unit tests
 * and fuzzers call them directly.
 *
 * Threads: every call may come from any thread. Commands run without the
 * device lock held so that CANCEL (and the cheap queries) are answered while a
 * long command runs; operations that touch libtpms wait until it is idle.
 *
 * Return values: the command-path calls return a byte count or -errno; the
 * control operations fill in the ptm_* reply and return 0 or -errno (the
 * latter only where swtpm answers with an errno, e.g. unknown requests).
 */
#ifndef VTPMD_DEVICE_H
#define VTPMD_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tpm/tpm.h"

/* What read()/write() currently move: TPM commands or a state blob. */
enum vtpm_transfer {
	TRANSFER_COMMAND = 0,
	TRANSFER_GET_BLOB,      /* reads return the blob from the last GET ioctl */
	TRANSFER_SET_BLOB,      /* writes append to the blob being set */
};

struct vtpm_buf {
	uint8_t *data;
	uint32_t len;
	uint32_t cap;
};

struct vtpm_options {
	struct tpm_options tpm;      /* the TPM and where its state lives */
	bool not_need_init;          /* powered on at start, without INIT */
	enum startup_type startup;   /* ... and sent this Startup */
	/* Sees every command and its response: the clients' and the ones vtpmd
	 * sends itself (startup flags, shutdown-before-reset). NULL: none. It
	 * runs with the device lock held and must not call back into it. */
	tpm_record_fn *record;
	void *record_ctx;
};

struct vtpm {
	pthread_mutex_t lock;
	pthread_cond_t idle;         /* broadcast when a command finishes */
	struct tpm tpm;              /* owns the state store */

	bool not_need_init;
	enum startup_type startup;
	tpm_record_fn *record;       /* see struct vtpm_options */
	void *record_ctx;

	bool open;                   /* one open file at a time */
	bool busy;                   /* a command is inside libtpms */
	bool drop_response;          /* file closed while busy */

	struct vtpm_buf resp;        /* pending response */
	uint32_t resp_off;           /* how much of it was read */
	bool resp_pending;

	enum vtpm_transfer transfer;
	struct {                     /* GET_STATEBLOB cache */
		uint32_t type;
		uint32_t flags;
		struct vtpm_buf blob;
		uint32_t read_off;   /* continuation through read() */
		bool valid;
	} get;
	struct {                     /* SET_STATEBLOB accumulator */
		uint32_t type;
		uint32_t flags;
		struct vtpm_buf blob;
		bool active;
	} set;

	bool exit_requested;         /* PTM_SHUTDOWN was answered */
};

/*
 * Set up the device on the TPM and state OPT names: the state directory is
 * opened and locked (see tpm_open(): -EAGAIN when another process holds it,
 * -EACCES when it is not writable, other -errno). The TPM is not started.
 */
int vtpm_init(struct vtpm *v, const struct vtpm_options *opt);
/* With not-need-init: power the TPM on and send the startup flag's Startup.
 * Otherwise nothing (INIT will). 0, or -EIO (logged). */
int vtpm_start(struct vtpm *v);
/* Orderly end, after a successful vtpm_init(): waits for a running
 * command, applies the shutdown rule, powers the TPM off, closes the state,
 * frees everything. */
void vtpm_fini(struct vtpm *v);

int vtpm_open(struct vtpm *v);                 /* 0 or -EBUSY */
void vtpm_release(struct vtpm *v);
ssize_t vtpm_write(struct vtpm *v, const uint8_t *buf, size_t len);
ssize_t vtpm_read(struct vtpm *v, uint8_t *buf, size_t len);
/* Poll events (POLLIN etc.) as the kernel's /dev/tpm0 would report them. */
unsigned vtpm_poll(struct vtpm *v);

/*
 * Control request CMD (a PTM_* code). ARG holds the request (IN_LEN bytes,
 * the rest zeroed) and receives the reply; *OUT_LEN is set to the bytes of
 * the reply. ARG must be at least vtpm_ioctl_max_size() bytes.
 * Returns 0 or -errno (-EINVAL: unknown or unsupported request).
 */
int vtpm_ioctl(struct vtpm *v, unsigned int cmd, void *arg, size_t *out_len);
size_t vtpm_ioctl_max_size(void);

bool vtpm_exit_requested(struct vtpm *v);

#endif
