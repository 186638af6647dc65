/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * device.h - the vTPM device model, independent of any transport.
 *
 * A struct vtpm is the TPM as its single-opener nodes see it: up to two
 * doors onto one TPM, each with one open file at a time, a command path
 * with kernel /dev/tpm0 semantics and swtpm's control operations:
 *
 *   VTPM_DOOR_NODE     /dev/NAME: what QEMU, a container or a program opens
 *   VTPM_DOOR_CONTROL  the host's control node, when there is one
 *
 * Each door has its own open file (pending response, state-blob transfer)
 * and a policy saying what it answers. A control operation that resets the
 * TPM (INIT, STOP, SHUTDOWN, SET_STATEBLOB) drops every door's pending
 * response and transfer. The CUSE layer maps kernel requests onto these
 * calls; unit tests and fuzzers call them directly. The resource-managed
 * node reaches the same TPM through vtpm_tpm() and tpm/'s lock.
 *
 * Threads: every call may come from any thread. Commands run without the
 * device lock held (only the TPM lock) so that CANCEL and the cheap queries
 * are answered while a long command runs; operations that touch libtpms
 * wait until no door's command is inside it. Lock order: device, then TPM.
 *
 * Return values: the command-path calls return a byte count or -errno; the
 * control operations fill in the ptm_* reply and return 0 or -errno (the
 * latter only where swtpm answers with an errno, e.g. unknown requests, or
 * -EPERM for a request the door's policy refuses).
 */
#ifndef VTPMD_DEVICE_H
#define VTPMD_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tpm/tpm.h"
#include "vtpm/ioctl.h"

enum vtpm_door {
	VTPM_DOOR_NODE = 0,
	VTPM_DOOR_CONTROL,
	VTPM_DOORS
};

/* What a door answers. State blobs move through read()/write() only after
 * a GET/SET_STATEBLOB request the policy answered. */
struct vtpm_policy {
	bool commands;          /* TPM commands through write()/read() */
	uint64_t requests;      /* bit _IOC_NR(cmd): that PTM request */
};

/* Everything: swtpm's CUSE device, every door's default. */
#define VTPM_POLICY_ALL ((struct vtpm_policy){ .commands = true, .requests = ~0ULL })

/*
 * A node handed to a container or to an unprivileged user: TPM commands,
 * as the kernel's /dev/tpm0 carries them, and the queries that change
 * nothing and reveal nothing a TPM command would not (docs/security.md):
 * GET_CAPABILITY (it then lists only these), GET_TPMESTABLISHED,
 * GET_CONFIG and GET_INFO. Every other request is refused with EPERM.
 */
#define VTPM_CLIENT_REQUESTS \
	((1ULL << _IOC_NR(PTM_GET_CAPABILITY)) | (1ULL << _IOC_NR(PTM_GET_TPMESTABLISHED)) | \
	 (1ULL << _IOC_NR(PTM_GET_CONFIG)) | (1ULL << _IOC_NR(PTM_GET_INFO)))
#define VTPM_POLICY_CLIENT \
	((struct vtpm_policy){ .commands = true, .requests = VTPM_CLIENT_REQUESTS })

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
	 * runs with the TPM lock held and must not call back into it. */
	tpm_record_fn *record;
	void *record_ctx;
};

/* One door's open file. */
struct vtpm_file {
	struct vtpm_policy policy;
	bool open;
	bool busy;                   /* its command is accepted or inside libtpms */
	bool run_due;                /* accepted, vtpm_write_run() not yet called */
	bool drop_response;          /* closed while busy */
	int run_error;               /* -errno of a run, for the next read */

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
};

struct vtpm {
	pthread_mutex_t lock;
	pthread_cond_t idle;         /* broadcast when a command finishes */
	struct tpm tpm;              /* owns the state store */

	bool not_need_init;
	enum startup_type startup;

	struct vtpm_file door[VTPM_DOORS];
	atomic_bool exit_requested;  /* PTM_SHUTDOWN was answered */
	uint64_t refusals_logged;    /* bit _IOC_NR: a refusal of it was logged */
};

/*
 * Set up the device on the TPM and state OPT names: the state directory is
 * opened and locked (see tpm_open(): -EAGAIN when another process holds it,
 * -EACCES when it is not writable, other -errno). The TPM is not started.
 * Both doors answer everything until vtpm_set_policy() says otherwise.
 */
int vtpm_init(struct vtpm *v, const struct vtpm_options *opt);
/* With not-need-init: power the TPM on and send the startup flag's Startup.
 * Otherwise nothing (INIT will). 0, or -EIO (logged). */
int vtpm_start(struct vtpm *v);
/* Orderly end, after a successful vtpm_init(): waits for a running
 * command, applies the shutdown rule, powers the TPM off, closes the state,
 * frees everything. */
void vtpm_fini(struct vtpm *v);

/* What DOOR answers from now on (set before its node exists). */
void vtpm_set_policy(struct vtpm *v, enum vtpm_door door, const struct vtpm_policy *p);
/* The TPM behind the doors, for the resource manager. */
struct tpm *vtpm_tpm(struct vtpm *v);

/* 0 or -EBUSY (the door is open). A command the last file left running
 * is waited for: the new file starts with nothing pending. */
int vtpm_open(struct vtpm *v, enum vtpm_door door);
void vtpm_release(struct vtpm *v, enum vtpm_door door);
/*
 * The command path, /dev/tpm0's: a write is a whole command, the next read
 * takes its response. vtpm_write() runs the command before it returns.
 *
 * A transport that answers the writer before the TPM runs (so that the
 * command runs while the writer comes back for its response) splits it:
 * vtpm_write_accept() checks and takes the bytes, the door is busy from
 * then on; vtpm_write_run(), called next with the same bytes, runs the
 * command if one was accepted. Meanwhile a read returns -EINPROGRESS (ask
 * again once the run returned), poll reports nothing, another write gets
 * -EBUSY. An error of the run itself (-EIO: the state cannot be reached)
 * goes to the next read.
 */
ssize_t vtpm_write(struct vtpm *v, enum vtpm_door door, const uint8_t *buf, size_t len);
ssize_t vtpm_write_accept(struct vtpm *v, enum vtpm_door door, const uint8_t *buf,
			  size_t len);
void vtpm_write_run(struct vtpm *v, enum vtpm_door door, const uint8_t *buf, size_t len);
ssize_t vtpm_read(struct vtpm *v, enum vtpm_door door, uint8_t *buf, size_t len);
/* Poll events (POLLIN etc.) as the kernel's /dev/tpm0 would report them:
 * readable once a response, or a run's error, is there to read. */
unsigned vtpm_poll(struct vtpm *v, enum vtpm_door door);

/*
 * Control request CMD (a PTM_* code) through DOOR. ARG holds the request
 * (IN_LEN bytes, the rest zeroed) and receives the reply; *OUT_LEN is set to
 * the bytes of the reply. ARG must be at least vtpm_ioctl_max_size() bytes.
 * Returns 0 or -errno (-EINVAL: unknown or unsupported request; -EPERM:
 * the door's policy does not answer it, logged once per request code per
 * device). GET_CAPABILITY lists what the door's policy answers.
 * LOCK_STORAGE waits for the lock without the device lock (other requests
 * and commands go on meanwhile), at most tpm_lock_storage()'s bound.
 */
int vtpm_ioctl(struct vtpm *v, enum vtpm_door door, unsigned int cmd, void *arg,
	       size_t *out_len);
size_t vtpm_ioctl_max_size(void);

bool vtpm_exit_requested(struct vtpm *v);

#endif
