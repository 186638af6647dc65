/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rm_internal.h - shared between the files of src/rm only: the resource
 * manager's tables and the steps of one command.
 *
 * Everything under "TPM lock" below is read and written only with the TPM
 * lock held; everything under "space lock" only with that space's lock.
 */
#ifndef VTPMD_RM_INTERNAL_H
#define VTPMD_RM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rm/rm.h"
#include "rm/rm_wire.h"

/* Virtual transient handles: slot I of a space is 0x80FFFFFF - I. (Not
 * from tss2's TPM2_HR_TRANSIENT, whose int shift overflows.) */
#define RM_VHANDLE_TOP  0x80FFFFFFu
/* ContextSave's savedHandle for a sequence object (its state changes with
 * every command on it, so it is saved again after each). */
#define RM_SAVED_SEQUENCE 0x80000001u

/* A saved context, as TPM2_ContextSave returned it (a TPMS_CONTEXT). */
struct rm_blob {
	uint8_t *data;
	uint32_t len;
};

struct rm_object {
	struct rm_blob ctx;     /* NULL data: the slot is free */
	uint32_t phandle;       /* while loaded (for a command, or kept
				 * loaded after it: see rm_cache.c), else 0 */
};

struct rm_session {
	uint32_t handle;        /* the TPM's own: sessions keep their handle */
	uint64_t sequence;      /* context counter of its last save, if known */
	struct rm_blob ctx;     /* the resource manager's save; NULL data:
				 * its client saved it (ContextSave) */
	bool loaded;            /* loaded for the command now running */
};

struct rm_space {
	struct rm *rm;

	/* space lock: the open file's command path */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	bool busy;              /* its command is running */
	uint8_t *resp;          /* pending response, exactly its size */
	uint32_t resp_len, resp_off;

	/* TPM lock */
	struct rm_space *next;  /* the resource manager's list */
	struct rm_object *objects;      /* by slot */
	unsigned nslots, nobjects;
	struct rm_session *sessions;
	unsigned nsessions, sessions_cap;
};

struct rm {
	struct tpm *tpm;
	struct rm_options opt;

	/* TPM lock */
	uint64_t epoch;                 /* of the TPM the tables are about */
	uint32_t reset_count;           /* its resetCount then */
	uint32_t *cc_attrs;             /* the TPM's TPMA_CC, by command code */
	unsigned ncc;
	uint32_t active_max;            /* TPM_PT_ACTIVE_SESSIONS_MAX */
	uint32_t gap_max;               /* TPM_PT_CONTEXT_GAP_MAX */
	uint64_t counter;               /* newest session save seen */
	struct rm_space *spaces;
	unsigned nspaces;
	struct rm_space *resident;      /* whose objects stay loaded, or NULL */
	unsigned nsessions;             /* of all spaces, and abandoned */
	struct rm_session *abandoned;   /* oldest first */
	unsigned nabandoned;
	uint8_t cmd[TPM_MAX_COMMAND_SIZE];      /* the client's, rewritten */
	uint8_t own[TPM_MAX_COMMAND_SIZE];      /* the manager's own */
	uint8_t *out;                   /* the client's response from libtpms */
	uint32_t out_len, out_cap;
	uint8_t *aux;                   /* responses to the manager's own */
	uint32_t aux_len, aux_cap;
};

/* --- rm_tpm.c: the resource manager's own commands (TPM lock held) ------ */

/* TPM_RC of the TPM, or TPM2_RC_FAILURE if there was no response. */
uint32_t rm_tpm_context_save(struct rm *rm, uint32_t handle, struct rm_blob *out,
			     uint64_t *sequence);
uint32_t rm_tpm_context_load(struct rm *rm, const struct rm_blob *ctx,
			     uint32_t *handle);
uint32_t rm_tpm_flush(struct rm *rm, uint32_t handle);
/* The command table and the session limits of the running TPM, once per
 * epoch: 0, or the TPM's TPM_RC (e.g. TPM_RC_INITIALIZE before Startup). */
uint32_t rm_tpm_learn(struct rm *rm);
/* The TPM's TPMA_CC for CC, or 0 if it has no such command. */
uint32_t rm_tpm_attrs(const struct rm *rm, uint32_t cc);
/* The TPM's resetCount (TPM2_ReadClock): 0 or the TPM's TPM_RC. */
uint32_t rm_tpm_reset_count(struct rm *rm, uint32_t *count);

void rm_blob_free(struct rm_blob *b);

/* --- rm_session.c: sessions and the context gap (TPM lock held) ---------- */

struct rm_session *rm_session_find(struct rm_space *s, uint32_t handle);
/* Add HANDLE to S (the caller checked rm_session_room()); NULL: -ENOMEM. */
struct rm_session *rm_session_add(struct rm_space *s, uint32_t handle);
void rm_session_remove(struct rm_space *s, struct rm_session *x);
/* 0 if S may have one more session, else the TPM_RC that says why not. */
uint32_t rm_session_room(const struct rm_space *s);
/* Session HANDLE, saved by its client (abandoned, or in another space),
 * may be loaded by S (its context is the proof); and then moves into S. */
bool rm_session_adoptable(struct rm_space *s, uint32_t handle);
bool rm_session_adopt(struct rm_space *s, uint32_t handle);
/* S is closing: its sessions are flushed, or abandoned (see rm.h). */
void rm_session_release(struct rm_space *s);
/* Save X (loaded) again: 0 or the TPM's TPM_RC; a full context gap is
 * made room for first. */
uint32_t rm_session_save(struct rm_space *s, struct rm_session *x);
/* Load X's saved context: 0 or the TPM's TPM_RC. */
uint32_t rm_session_load(struct rm_space *s, struct rm_session *x);
/* After a command: refresh the oldest session if the gap grew too wide. */
void rm_gap_check(struct rm *rm);
/* The TPM said TPM_RC_CONTEXT_GAP: make room (refresh or, for a context
 * only its client holds, flush the oldest session the manager knows).
 * True if something changed and a retry may succeed. */
bool rm_gap_recover(struct rm *rm);
/* Forget every space's objects and sessions, and the abandoned ones (a
 * TPM Reset voided them; their handles may be someone else's now). */
void rm_forget_all(struct rm *rm);

/* --- rm_cache.c: objects kept loaded between commands (TPM lock held) ---- */

/*
 * After a command the objects it used stay loaded for the space's next
 * one (their saved contexts stay valid), instead of being flushed at once:
 * a command on a loaded key then costs the TPM no context load. They are
 * flushed when another space's command comes (rm_cache_trim), when the
 * space names other objects, when it closes, and before anyone else (the
 * raw node, a control request, vtpmd itself) takes the TPM lock (the TPM's
 * lodger, tpm.h): no one else ever finds them loaded.
 */
void rm_cache_attach(struct rm *rm);
void rm_cache_detach(struct rm *rm);
/* S keeps the objects this command left loaded (their phandle set). */
void rm_cache_keep(struct rm_space *s);
/* Before a command of S naming the transient handles KEEP[0..N): flush
 * every object kept loaded but these. */
void rm_cache_trim(struct rm_space *s, const uint32_t *keep, unsigned n);
/* Flush every object kept loaded (of S only, if S is not NULL). */
void rm_cache_evict(struct rm *rm, struct rm_space *s);
/* Forget what is loaded without flushing (the TPM lost it). */
void rm_cache_forget(struct rm *rm);

/* --- rm.c ----------------------------------------------------------------- */

/*
 * Bring the tables up to the TPM as it is now (TPM lock held): after a
 * power cycle the command table is learnt again, and if the TPM was reset
 * (its resetCount moved) every saved context is void and forgotten; a TPM
 * resumed or restarted keeps them, as it keeps the sessions. False while
 * the TPM is off or not started: nothing may be loaded or flushed then.
 */
bool rm_sync(struct rm *rm);

/* --- rm_cmd.c: one client command (TPM lock held) ------------------------ */

/* Run the LEN bytes of CMD for S: the response is in rm->out. 0 or
 * -errno (no response). */
int rm_cmd_run(struct rm_space *s, const uint8_t *cmd, uint32_t len);

#endif
