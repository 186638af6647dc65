/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_rm.c - the resource manager on a real libtpms in a temporary state
 * directory, driven as /dev/vtpmrmN's open files drive it (rm_write,
 * rm_read), with the raw node's commands sent beside it through tpm/.
 *
 * What a space sees: virtual handles of its own, more objects than the
 * TPM has slots, GetCapability of only its handles; what it cannot reach:
 * another space's virtual handles, physical handles, another space's
 * sessions (handle area, authorization area, ContextLoad); what it leaves
 * behind when it closes: nothing. Limits answer clear errors and keep the
 * space usable; a TPM full of the raw node's objects gives a TPM error and
 * the raw node's objects stay; sessions a client saved itself continue in
 * the next open file; the TPM's context gap stops nobody.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "rm/rm.h"
#include "rm/rm_wire.h"
#include "tpm/tpm.h"
#include "test_files.h"
#include "state_dir.h"
#include "tpm2_cmds.h"

#define VH0 0x80FFFFFFu
#define TRANSIENT_FIRST 0x80000000u     /* tss2's overflows an int */
#define RC_RM(rc) (TSS2_RESMGR_RC_LAYER | (rc))

static struct tpm T;
static struct rm *RM;
static uint8_t cmd[T2_CMD_MAX];
static uint8_t resp[4096];
static uint32_t resp_len;

static void start_tpm(void)
{
	struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = { .dir = sdir, .file_mode = STORE_MODE_DEFAULT },
	};

	assert_int_equal(tpm_open(&T, &opt), 0);
	assert_int_equal(tpm_start(&T), 0);
	assert_int_equal(tpm_send_startup(&T, STARTUP_CLEAR), 0);
}

static int setup_with(const struct rm_options *o)
{
	if (state_dir_setup() < 0 || mkdir(sdir, 0750) < 0)
		return -1;
	start_tpm();
	return rm_new(&RM, &T, o);
}

static int setup(void **state)
{
	struct rm_options o = { 0 };

	(void)state;
	return setup_with(&o);
}

/* The resource manager again, with options O. */
static void restart_rm(const struct rm_options *o)
{
	rm_free(RM);
	assert_int_equal(rm_new(&RM, &T, o), 0);
}

static int teardown(void **state)
{
	(void)state;
	rm_free(RM);
	RM = NULL;
	tpm_close(&T);
	return state_dir_teardown();
}

/* One command through space S: its response in resp, its code returned. */
static uint32_t xfer(struct rm_space *s, uint32_t len)
{
	ssize_t n;

	assert_int_equal(rm_write(s, cmd, len), (ssize_t)len);
	n = rm_read(s, resp, sizeof(resp));
	assert_true(n >= 10);
	assert_int_equal(get_be32(resp + 2), (uint32_t)n);
	resp_len = (uint32_t)n;
	return get_be32(resp + 6);
}

/* The kernel's refusal of a transient handle the file does not own: the
 * write fails with EINVAL and nothing is pending. */
static void refused(struct rm_space *s, uint32_t len)
{
	assert_int_equal(rm_write(s, cmd, len), -EINVAL);
	assert_int_equal(rm_read(s, resp, sizeof(resp)), 0);
	assert_int_equal(rm_poll(s), POLLOUT | POLLWRNORM);
}

#define NOT_LOADED_H1 TPM2_RC_REFERENCE_H0      /* the TPM's words */
#define NOT_LOADED_S1 TPM2_RC_REFERENCE_S0
#define NO_SUCH_FLUSH (TPM2_RC_HANDLE | TPM2_RC_P | TPM2_RC_1)

/* One command as the raw node sends it: the TPM untouched by the RM. */
static uint32_t raw(uint32_t len)
{
	uint8_t *out = NULL;
	uint32_t out_len = 0, cap = 0, rc;

	tpm_lock(&T);
	assert_int_equal(tpm_execute(&T, cmd, len, &out, &out_len, &cap), 0);
	tpm_unlock(&T);
	assert_true(out_len >= 10 && out_len <= sizeof(resp));
	memcpy(resp, out, out_len);
	resp_len = out_len;
	rc = get_be32(resp + 6);
	free(out);
	return rc;
}

static uint32_t primary(struct rm_space *s, uint8_t unique)
{
	assert_int_equal(xfer(s, t2_create_primary(cmd, true, NULL, unique)), 0);
	return get_be32(resp + 10);
}

static uint32_t session(struct rm_space *s, uint8_t type)
{
	assert_int_equal(xfer(s, t2_start_session(cmd, type)), 0);
	return get_be32(resp + 10);
}

/* The handles of a GetCapability(HANDLES) response. */
static unsigned cap_handles(uint32_t *out, unsigned max)
{
	unsigned n;

	assert_true(resp_len >= 19);
	n = get_be32(resp + 15);
	assert_int_equal(resp_len, 19 + 4 * n);
	assert_true(n <= max);
	for (unsigned i = 0; i < n; i++)
		out[i] = get_be32(resp + 19 + 4 * i);
	return n;
}

/* What the TPM itself holds: transient objects and active sessions. */
static unsigned tpm_transients(void)
{
	uint32_t h[64];

	assert_int_equal(raw(t2_get_cap(cmd, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 64)), 0);
	return cap_handles(h, 64);
}

static unsigned tpm_sessions(void)
{
	uint32_t h[64];
	unsigned n;

	assert_int_equal(raw(t2_get_cap(cmd, TPM2_CAP_HANDLES, TPM2_LOADED_SESSION_FIRST, 64)), 0);
	n = cap_handles(h, 64);
	assert_int_equal(raw(t2_get_cap(cmd, TPM2_CAP_HANDLES, TPM2_ACTIVE_SESSION_FIRST, 64)), 0);
	return n + cap_handles(h, 64);
}

/* ---- handles ---- */

/* More objects than the TPM's 3 slots, each named by its own virtual
 * handle, all usable; between commands the TPM holds none of them. */
static void test_virtual_handles(void **state)
{
	struct rm_space *a;
	uint32_t h[8], listed[8];

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	for (unsigned i = 0; i < 6; i++) {
		h[i] = primary(a, (uint8_t)i);
		assert_int_equal(h[i], VH0 - i);
	}
	assert_int_equal(tpm_transients(), 0);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(xfer(a, t2_sign(cmd, h[i], (uint8_t)i, 0)), 0);
		assert_int_equal(xfer(a, t2_read_public(cmd, h[i])), 0);
	}
	/* GetCapability: its own six, ascending, from the property on */
	assert_int_equal(xfer(a, t2_get_cap(cmd, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 64)), 0);
	assert_int_equal(cap_handles(listed, 8), 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(listed[i], VH0 - 5 + i);
	assert_int_equal(xfer(a, t2_get_cap(cmd, TPM2_CAP_HANDLES, VH0 - 1, 1)), 0);
	assert_int_equal(cap_handles(listed, 8), 1);
	assert_int_equal(listed[0], VH0 - 1);
	assert_int_equal(resp[10], 1);  /* moreData */
	/* a flushed slot is the next one given, as the kernel's */
	assert_int_equal(xfer(a, t2_flush(cmd, h[2])), 0);
	refused(a, t2_read_public(cmd, h[2]));
	assert_int_equal(primary(a, 9), h[2]);
	assert_int_equal(tpm_transients(), 0);
	rm_release(a);
}

/* No space reaches another's objects, nor the TPM's physical handles. */
static void test_isolation_objects(void **state)
{
	struct rm_space *a, *b;
	uint32_t ha, listed[8];

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	ha = primary(a, 1);
	refused(b, t2_read_public(cmd, ha));
	refused(b, t2_sign(cmd, ha, 1, 0));
	refused(b, t2_flush(cmd, ha));
	refused(b, t2_context_save(cmd, ha));
	for (uint32_t ph = TRANSIENT_FIRST; ph < TRANSIENT_FIRST + 4; ph++)
		refused(b, t2_read_public(cmd, ph));
	/* B sees none of A's */
	assert_int_equal(xfer(b, t2_get_cap(cmd, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 64)), 0);
	assert_int_equal(cap_handles(listed, 8), 0);
	/* B's first object has the same virtual handle, and is B's */
	assert_int_equal(primary(b, 2), ha);
	assert_int_equal(xfer(b, t2_flush(cmd, ha)), 0);
	assert_int_equal(xfer(a, t2_read_public(cmd, ha)), 0);
	rm_release(b);
	rm_release(a);
}

/* A command the TPM does not have is answered by the resource manager,
 * in its layer, as the kernel's tpmrm does; so is swtpm's in-band
 * locality command, which would change the TPM for every client. */
static void test_unknown_command(void **state)
{
	struct rm_space *a;
	struct tpm2_writer w;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	t2_begin(&w, cmd, TPM2_ST_NO_SESSIONS, 0x0000ffff);
	assert_int_equal(xfer(a, t2_end(&w)), RC_RM(TPM2_RC_COMMAND_CODE));
	assert_int_equal(resp_len, 10);
	t2_begin(&w, cmd, TPM2_ST_NO_SESSIONS, 0x20001000);
	tpm2w_u8(&w, 4);
	assert_int_equal(xfer(a, t2_end(&w)), RC_RM(TPM2_RC_COMMAND_CODE));
	assert_int_equal(xfer(a, t2_get_random(cmd, 8)), 0);
	rm_release(a);
}

/* ---- sessions ---- */

static void test_sessions(void **state)
{
	struct rm_space *a, *b;
	uint8_t digest[32], policy[32];
	uint32_t s, t, key, listed[8];

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	/* the policy of "PCR 0 as it is now", from a trial session */
	t = session(a, TPM2_SE_TRIAL);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, t)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, t)), 0);
	memcpy(policy, resp + 12, 32);
	assert_int_equal(xfer(a, t2_flush(cmd, t)), 0);
	/* a key only that policy opens, used through a policy session in
	 * the authorization area */
	assert_int_equal(xfer(a, t2_create_primary(cmd, true, policy, 7)), 0);
	key = get_be32(resp + 10);
	s = session(a, TPM2_SE_POLICY);
	assert_true(rm_is_session(s));
	assert_int_equal(tpm_sessions(), 1);    /* saved, still active */
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_sign(cmd, key, 3, s)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), 0);
	memcpy(digest, resp + 12, 32);
	assert_memory_not_equal(digest, policy, 32);   /* reset after use */
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_sign(cmd, key, 4, s)), 0);
	/* another space can name it nowhere */
	assert_int_equal(xfer(b, t2_policy_get_digest(cmd, s)), NOT_LOADED_H1);
	assert_int_equal(xfer(b, t2_flush(cmd, s)), NO_SUCH_FLUSH);
	refused(b, t2_sign(cmd, VH0, 1, s));
	primary(b, 8);  /* B's own key, A's session */
	assert_int_equal(xfer(b, t2_sign(cmd, VH0, 1, s)), NOT_LOADED_S1);
	assert_int_equal(xfer(b, t2_get_cap(cmd, TPM2_CAP_HANDLES, TPM2_LOADED_SESSION_FIRST, 64)), 0);
	assert_int_equal(cap_handles(listed, 8), 0);
	/* A sees its own as loaded */
	assert_int_equal(xfer(a, t2_get_cap(cmd, TPM2_CAP_HANDLES, TPM2_LOADED_SESSION_FIRST, 64)), 0);
	assert_int_equal(cap_handles(listed, 8), 1);
	assert_int_equal(listed[0], s);
	assert_int_equal(xfer(a, t2_flush(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), NOT_LOADED_H1);
	assert_int_equal(tpm_sessions(), 0);
	rm_release(b);
	rm_release(a);
}

/* continueSession clear: the TPM flushes the session with the command,
 * and the space forgets it. */
static void test_session_ends_with_command(void **state)
{
	struct rm_space *a;
	uint32_t s, t, key, len;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	t = session(a, TPM2_SE_TRIAL);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, t)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, t)), 0);
	assert_int_equal(xfer(a, t2_create_primary(cmd, true, resp + 12, 7)), 0);
	key = get_be32(resp + 10);
	assert_int_equal(xfer(a, t2_flush(cmd, t)), 0);
	s = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, s)), 0);
	len = t2_sign(cmd, key, 1, s);
	cmd[10 + 4 + 4 + 4 + 2] = 0;    /* sessionAttributes: no continueSession */
	assert_int_equal(xfer(a, len), 0);
	assert_int_equal(tpm_sessions(), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), NOT_LOADED_H1);
	rm_release(a);
}

/* Close, or a client killed: everything of the space leaves the TPM. */
static void test_release_flushes(void **state)
{
	struct rm_space *a, *b;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	for (unsigned i = 0; i < 4; i++) {
		primary(a, (uint8_t)i);
		session(a, TPM2_SE_POLICY);
	}
	session(b, TPM2_SE_HMAC);
	assert_int_equal(tpm_sessions(), 5);
	/* a response never read goes too */
	assert_int_equal(rm_write(a, cmd, t2_get_random(cmd, 8)), 12);
	rm_release(a);
	assert_int_equal(tpm_sessions(), 1);
	assert_int_equal(tpm_transients(), 0);
	rm_release(b);
	assert_int_equal(tpm_sessions(), 0);
}

/* ---- limits ---- */

/* 27 objects per space by default (tpm2-abrmd's); the 28th is refused in
 * the resource manager's layer and the space goes on. */
static void test_object_limit(void **state)
{
	struct rm_space *a, *b;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	for (unsigned i = 0; i < RM_DEFAULT_OBJECTS; i++)
		primary(a, (uint8_t)i);
	assert_int_equal(xfer(a, t2_create_primary(cmd, true, NULL, 99)),
			 RC_RM(TPM2_RC_OBJECT_MEMORY));
	assert_int_equal(xfer(a, t2_hash_sequence_start(cmd)), RC_RM(TPM2_RC_OBJECT_MEMORY));
	assert_int_equal(tpm_transients(), 0);
	/* the others are unaffected, and one flushed makes room */
	assert_int_equal(xfer(a, t2_sign(cmd, VH0 - 26, 1, 0)), 0);
	primary(b, 1);
	assert_int_equal(xfer(a, t2_flush(cmd, VH0 - 3)), 0);
	assert_int_equal(primary(a, 100), VH0 - 3);
	rm_release(b);
	rm_release(a);
}

static void test_object_limit_option(void **state)
{
	struct rm_options o = { .max_objects = 2 };
	struct rm_space *a;

	(void)state;
	restart_rm(&o);
	assert_int_equal(rm_open(RM, &a), 0);
	primary(a, 1);
	primary(a, 2);
	assert_int_equal(xfer(a, t2_create_primary(cmd, true, NULL, 3)),
			 RC_RM(TPM2_RC_OBJECT_MEMORY));
	rm_release(a);
}

/* Sessions: the TPM's 64 active ones, shared fairly. One space alone may
 * have them all; with two open, neither takes the other's half. */
static void test_session_share(void **state)
{
	struct rm_space *a, *b;
	unsigned n = 0;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	while (xfer(a, t2_start_session(cmd, TPM2_SE_HMAC)) == 0)
		n++;
	assert_int_equal(n, 64);
	assert_int_equal(get_be32(resp + 6), RC_RM(TPM2_RC_SESSION_HANDLES));
	rm_release(a);
	assert_int_equal(tpm_sessions(), 0);

	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	for (n = 0; xfer(a, t2_start_session(cmd, TPM2_SE_HMAC)) == 0; n++)
		;
	assert_int_equal(n, 32);
	assert_int_equal(get_be32(resp + 6), RC_RM(TPM2_RC_SESSION_HANDLES));
	for (n = 0; xfer(b, t2_start_session(cmd, TPM2_SE_HMAC)) == 0; n++)
		;
	assert_int_equal(n, 32);
	/* one of A's gone: A may start one again */
	assert_int_equal(xfer(a, t2_flush(cmd, TPM2_HMAC_SESSION_FIRST)), 0);
	assert_int_equal(xfer(a, t2_start_session(cmd, TPM2_SE_HMAC)), 0);
	rm_release(a);
	rm_release(b);
	assert_int_equal(tpm_sessions(), 0);
}

static void test_session_limit_option(void **state)
{
	struct rm_options o = { .max_sessions = 3 };
	struct rm_space *a;

	(void)state;
	restart_rm(&o);
	assert_int_equal(rm_open(RM, &a), 0);
	for (unsigned i = 0; i < 3; i++)
		session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_start_session(cmd, TPM2_SE_POLICY)),
			 RC_RM(TPM2_RC_SESSION_HANDLES));
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, TPM2_POLICY_SESSION_FIRST + 2)), 0);
	rm_release(a);
}

/* The raw node fills the TPM's three object slots: a space gets the
 * TPM's own error, never the raw node's objects, which stay loaded. */
static void test_raw_node_full(void **state)
{
	struct rm_space *a;
	uint32_t ph[3], again[3];

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	primary(a, 1);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(raw(t2_create_primary(cmd, true, NULL, (uint8_t)(10 + i))), 0);
		ph[i] = get_be32(resp + 10);
	}
	assert_int_equal(xfer(a, t2_create_primary(cmd, true, NULL, 2)), TPM2_RC_OBJECT_MEMORY);
	assert_int_equal(xfer(a, t2_read_public(cmd, VH0)), TPM2_RC_OBJECT_MEMORY);
	assert_int_equal(raw(t2_get_cap(cmd, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 8)), 0);
	assert_int_equal(cap_handles(again, 3), 3);
	assert_memory_equal(again, ph, sizeof(ph));
	/* one slot free again: the space's object is still there */
	assert_int_equal(raw(t2_flush(cmd, ph[0])), 0);
	assert_int_equal(xfer(a, t2_read_public(cmd, VH0)), 0);
	rm_release(a);
	assert_int_equal(tpm_transients(), 2);
}

/* ---- saved contexts ---- */

/* A client saves and loads its own objects and sessions. A session whose
 * context its client holds goes to whoever loads that context (the
 * context is the proof; tpm2-tools passes sessions from tool to tool in
 * files); one the resource manager holds for a space is no one else's. */
static void test_client_contexts(void **state)
{
	struct rm_space *a, *b;
	uint8_t octx[4096], sctx[4096];
	uint32_t olen, slen, key, s;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	key = primary(a, 1);
	assert_int_equal(xfer(a, t2_context_save(cmd, key)), 0);
	olen = resp_len - 10;
	memcpy(octx, resp + 10, olen);
	assert_int_equal(xfer(a, t2_flush(cmd, key)), 0);
	assert_int_equal(xfer(a, t2_context_load(cmd, octx, olen)), 0);
	assert_int_equal(get_be32(resp + 10), key);
	assert_int_equal(xfer(a, t2_sign(cmd, key, 1, 0)), 0);
	/* an object's context is a copy anyone holding it may load */
	assert_int_equal(xfer(b, t2_context_load(cmd, octx, olen)), 0);

	s = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_context_save(cmd, s)), 0);
	slen = resp_len - 10;
	memcpy(sctx, resp + 10, slen);
	/* saved by its client: listed as saved, not usable until loaded */
	assert_int_equal(xfer(a, t2_get_cap(cmd, TPM2_CAP_HANDLES, TPM2_ACTIVE_SESSION_FIRST, 8)), 0);
	assert_int_equal(get_be32(resp + 15), 1);
	/* as the TPM lists a saved session: its index, the HMAC type */
	assert_int_equal(get_be32(resp + 19), 0x02000000u | (s & 0xffffff));
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), TPM2_RC_REFERENCE_H0);
	assert_int_equal(xfer(a, t2_context_load(cmd, sctx, slen)), 0);
	assert_int_equal(get_be32(resp + 10), s);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), 0);
	/* saved again, and loaded by B: B's now */
	assert_int_equal(xfer(a, t2_context_save(cmd, s)), 0);
	slen = resp_len - 10;
	memcpy(sctx, resp + 10, slen);
	assert_int_equal(xfer(b, t2_context_load(cmd, sctx, slen)), 0);
	assert_int_equal(xfer(b, t2_policy_get_digest(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), NOT_LOADED_H1);
	/* A's copy of the context names a session the manager holds for B */
	assert_int_equal(xfer(a, t2_context_load(cmd, sctx, slen)), RM_RC_PARAM_N(1));
	assert_int_equal(xfer(b, t2_policy_get_digest(cmd, s)), 0);
	rm_release(b);
	rm_release(a);
	assert_int_equal(tpm_sessions(), 0);
}

/* tpm2-abrmd's session continuation: a session its client saved outlives
 * the open file, and the next one loads it. */
static void test_continuation(void **state)
{
	struct rm_space *a, *b;
	uint8_t sctx[4096], d1[32];
	uint32_t slen, s;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	s = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), 0);
	memcpy(d1, resp + 12, 32);
	assert_int_equal(xfer(a, t2_context_save(cmd, s)), 0);
	slen = resp_len - 10;
	memcpy(sctx, resp + 10, slen);
	rm_release(a);
	assert_int_equal(tpm_sessions(), 1);

	assert_int_equal(rm_open(RM, &b), 0);
	assert_int_equal(xfer(b, t2_context_load(cmd, sctx, slen)), 0);
	assert_int_equal(xfer(b, t2_policy_get_digest(cmd, s)), 0);
	assert_memory_equal(resp + 12, d1, 32);
	rm_release(b);
	assert_int_equal(tpm_sessions(), 0);
}

static void test_continuation_off(void **state)
{
	struct rm_options o = { .max_abandoned = RM_NO_ABANDONED };
	struct rm_space *a, *b;
	uint8_t sctx[4096];
	uint32_t slen, s;

	(void)state;
	restart_rm(&o);
	assert_int_equal(rm_open(RM, &a), 0);
	s = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_context_save(cmd, s)), 0);
	slen = resp_len - 10;
	memcpy(sctx, resp + 10, slen);
	rm_release(a);
	assert_int_equal(tpm_sessions(), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	assert_int_equal(xfer(b, t2_context_load(cmd, sctx, slen)), RM_RC_PARAM_N(1));
	rm_release(b);
}

/* At most RM_DEFAULT_ABANDONED wait; the oldest goes first. */
static void test_continuation_bounded(void **state)
{
	struct rm_space *a;

	(void)state;
	for (unsigned i = 0; i < RM_DEFAULT_ABANDONED + 2; i++) {
		assert_int_equal(rm_open(RM, &a), 0);
		assert_int_equal(xfer(a, t2_context_save(cmd, session(a, TPM2_SE_HMAC))), 0);
		rm_release(a);
	}
	assert_int_equal(tpm_sessions(), RM_DEFAULT_ABANDONED);
}

/* ---- the context gap ---- */

/*
 * A's session sits saved while B's is saved again and again: after
 * TPM_PT_CONTEXT_GAP_MAX saves the TPM would refuse every save
 * (TPM_RC_CONTEXT_GAP) until A's is loaded. B never sees that, and A's
 * session still works afterwards.
 */
/* What the recorder saw (every exchange, the resource manager's own too):
 * TPM_RC_CONTEXT_GAP answers, ContextLoads and FlushContexts. */
static unsigned gaps_seen, loads_seen, flushes_seen;

static void count_exchanges(void *ctx, const uint8_t *c, size_t clen, const uint8_t *r,
			    size_t rlen)
{
	(void)ctx;
	if (rlen >= 10 && get_be32(r + 6) == TPM2_RC_CONTEXT_GAP)
		gaps_seen++;
	if (clen >= 10 && get_be32(c + 6) == TPM2_CC_ContextLoad)
		loads_seen++;
	if (clen >= 10 && get_be32(c + 6) == TPM2_CC_FlushContext)
		flushes_seen++;
}

static void gap_run(unsigned extra, bool a_saves_itself)
{
	struct rm_space *a, *b;
	uint32_t sa, sb, gap;

	gaps_seen = 0;
	tpm_set_recorder(&T, count_exchanges, NULL);

	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	assert_int_equal(xfer(a, t2_get_cap(cmd, TPM2_CAP_TPM_PROPERTIES,
					      TPM2_PT_CONTEXT_GAP_MAX, 1)), 0);
	gap = get_be32(resp + 23);
	assert_true(gap >= 255);
	sa = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, sa)), 0);
	if (a_saves_itself)
		assert_int_equal(xfer(a, t2_context_save(cmd, sa)), 0);
	sb = session(b, TPM2_SE_POLICY);
	for (uint32_t i = 0; i < gap + extra; i++)
		if (xfer(b, t2_policy_get_digest(cmd, sb)) != 0)
			fail_msg("save %u of B's session: 0x%x", i, get_be32(resp + 6));
	if (a_saves_itself) {
		/* only its client held it: it had to go */
		assert_int_equal(xfer(a, t2_policy_get_digest(cmd, sa)), NOT_LOADED_H1);
	} else {
		assert_int_equal(xfer(a, t2_policy_get_digest(cmd, sa)), 0);
	}
	rm_release(a);
	rm_release(b);
	assert_int_equal(tpm_sessions(), 0);
}

static void test_context_gap(void **state)
{
	(void)state;
	gap_run(100, false);
	assert_int_equal(gaps_seen, 0);         /* refreshed in time */
}

/* Without the early refresh: the TPM's TPM_RC_CONTEXT_GAP itself. */
static void test_context_gap_recover(void **state)
{
	struct rm_options o = { .gap_refresh = UINT64_MAX };

	(void)state;
	restart_rm(&o);
	gap_run(100, false);
	assert_true(gaps_seen > 0);             /* the TPM said it, and was answered */
}

static void test_context_gap_client_saved(void **state)
{
	(void)state;
	gap_run(100, true);
}

/* ---- objects that change ---- */

/* A hash sequence's state lives in the object: it is saved after each
 * command, and its last command consumes it. */
static void test_sequence_object(void **state)
{
	static const char part[] = "0123456789abcdef";
	uint8_t want[SHA256_DIGEST_LENGTH], all[5 * 16 + 3];
	struct rm_space *a;
	uint32_t seq;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	primary(a, 1);  /* another object between, in other slots */
	assert_int_equal(xfer(a, t2_hash_sequence_start(cmd)), 0);
	seq = get_be32(resp + 10);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(xfer(a, t2_sequence(cmd, seq, false, part, 16)), 0);
		assert_int_equal(xfer(a, t2_sign(cmd, VH0, 1, 0)), 0);
		memcpy(all + 16 * i, part, 16);
	}
	memcpy(all + 80, part, 3);
	SHA256(all, sizeof(all), want);
	assert_int_equal(xfer(a, t2_sequence(cmd, seq, true, part, 3)), 0);
	/* TPM2B_DIGEST after the parameter size */
	assert_int_equal(get_be16(resp + 14), 32);
	assert_memory_equal(resp + 16, want, 32);
	refused(a, t2_read_public(cmd, seq));
	assert_int_equal(xfer(a, t2_get_cap(cmd, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 8)), 0);
	assert_int_equal(get_be32(resp + 15), 1);
	rm_release(a);
}

/* ---- objects kept loaded between a space's commands ---- */

static void counts_are(unsigned loads, unsigned flushes)
{
	assert_int_equal(loads_seen, loads);
	assert_int_equal(flushes_seen, flushes);
	loads_seen = flushes_seen = 0;
}

/*
 * A space's commands on one key cost the TPM no context load: the key
 * stays loaded from one to the next. Another space's command, a command
 * naming other objects, the raw node, a power cycle and the space's close
 * each put it away first: nobody else ever finds it loaded.
 */
static void test_kept_loaded(void **state)
{
	struct rm_space *a, *b;
	uint32_t ka, kb, h[5];

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_open(RM, &b), 0);
	ka = primary(a, 1);
	tpm_set_recorder(&T, count_exchanges, NULL);
	loads_seen = flushes_seen = 0;
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(xfer(a, t2_read_public(cmd, ka)), 0);
		assert_int_equal(xfer(a, t2_sign(cmd, ka, 1, 0)), 0);
	}
	counts_are(0, 0);
	/* another space: A's key goes first; B's own stays for B */
	kb = primary(b, 2);
	counts_are(0, 1);
	assert_int_equal(xfer(b, t2_sign(cmd, kb, 2, 0)), 0);
	counts_are(0, 0);
	assert_int_equal(xfer(a, t2_sign(cmd, ka, 1, 0)), 0);
	counts_are(1, 1);
	/* the raw node finds the TPM empty, and A loads its key again */
	assert_int_equal(tpm_transients(), 0);
	counts_are(0, 1);
	assert_int_equal(xfer(a, t2_read_public(cmd, ka)), 0);
	counts_are(1, 0);
	/* more objects than slots, used in turn: only the named stay */
	for (unsigned i = 0; i < 5; i++)
		h[i] = primary(a, (uint8_t)(10 + i));
	for (unsigned round = 0; round < 3; round++)
		for (unsigned i = 0; i < 5; i++)
			assert_int_equal(xfer(a, t2_sign(cmd, h[i], (uint8_t)(10 + i), 0)), 0);
	assert_int_equal(xfer(a, t2_read_public(cmd, ka)), 0);
	loads_seen = flushes_seen = 0;
	/* a power cycle: put away before, loaded again after */
	tpm_lock(&T);
	counts_are(0, 1);
	tpm_stop(&T);
	assert_int_equal(tpm_start(&T), 0);
	assert_int_equal(tpm_send_startup(&T, STARTUP_CLEAR), 0);
	tpm_unlock(&T);
	refused(a, t2_read_public(cmd, ka));    /* a reset voids contexts */
	ka = primary(a, 1);
	assert_int_equal(xfer(a, t2_read_public(cmd, ka)), 0);
	/* its close flushes what it kept */
	loads_seen = flushes_seen = 0;
	rm_release(a);
	counts_are(0, 1);
	tpm_set_recorder(&T, NULL, NULL);
	assert_int_equal(tpm_transients(), 0);
	rm_release(b);
	assert_int_equal(tpm_transients(), 0);
}

/* ---- the TPM's life ---- */

/* Powered off and on (INIT) and reset (Startup(CLEAR)): every saved
 * context is void and every session gone; the spaces' handles are gone,
 * and a session handle its client had saved, now the raw node's, is not
 * the space's to flush. New objects work. */
static void test_power_cycle(void **state)
{
	struct rm_space *a;
	uint32_t key, s, raw_s;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	key = primary(a, 1);
	session(a, TPM2_SE_POLICY);
	s = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_context_save(cmd, s)), 0);
	tpm_lock(&T);
	tpm_stop(&T);
	assert_int_equal(tpm_start(&T), 0);
	assert_int_equal(tpm_send_startup(&T, STARTUP_CLEAR), 0);
	tpm_unlock(&T);
	assert_int_equal(raw(t2_start_session(cmd, TPM2_SE_POLICY)), 0);
	raw_s = get_be32(resp + 10);
	assert_int_equal(raw(t2_start_session(cmd, TPM2_SE_POLICY)), 0);
	assert_int_equal(get_be32(resp + 10), s);       /* the same handle */
	refused(a, t2_read_public(cmd, key));
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, raw_s)), NOT_LOADED_H1);
	assert_int_equal(xfer(a, t2_flush(cmd, s)), NO_SUCH_FLUSH);
	assert_int_equal(primary(a, 2), VH0);
	rm_release(a);
	assert_int_equal(tpm_sessions(), 2);    /* the raw node's */
	assert_int_equal(raw(t2_flush(cmd, raw_s)), 0);
	assert_int_equal(raw(t2_flush(cmd, s)), 0);
}

/* Suspended (Shutdown(STATE)) and resumed (Startup(STATE)) across a
 * power cycle: the TPM keeps saved contexts and sessions, and so does
 * every space; objects and sessions work on. */
static void test_power_cycle_resume(void **state)
{
	struct rm_space *a;
	uint8_t d1[32];
	uint32_t key, s;
	struct tpm2_writer w;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	key = primary(a, 1);
	s = session(a, TPM2_SE_POLICY);
	assert_int_equal(xfer(a, t2_policy_pcr(cmd, s)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), 0);
	memcpy(d1, resp + 12, 32);
	t2_begin(&w, cmd, TPM2_ST_NO_SESSIONS, TPM2_CC_Shutdown);
	tpm2w_u16(&w, TPM2_SU_STATE);
	assert_int_equal(raw(t2_end(&w)), 0);
	tpm_lock(&T);
	tpm_stop(&T);
	assert_int_equal(tpm_start(&T), 0);
	assert_int_equal(tpm_send_startup(&T, STARTUP_STATE), 0);
	tpm_unlock(&T);
	assert_int_equal(xfer(a, t2_sign(cmd, key, 1, 0)), 0);
	assert_int_equal(xfer(a, t2_policy_get_digest(cmd, s)), 0);
	assert_memory_equal(resp + 12, d1, 32);
	rm_release(a);
	assert_int_equal(tpm_sessions(), 0);
}

/* Before Startup: the TPM's answer to everything but Startup, which a
 * client may send through the resource manager. */
static void test_before_startup(void **state)
{
	struct rm_space *a;

	(void)state;
	tpm_lock(&T);
	tpm_stop(&T);
	assert_int_equal(tpm_start(&T), 0);
	tpm_unlock(&T);
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(xfer(a, t2_get_random(cmd, 8)), TPM2_RC_INITIALIZE);
	assert_int_equal(xfer(a, t2_startup_clear(cmd)), 0);
	assert_int_equal(primary(a, 1), VH0);
	rm_release(a);
	/* stopped: the TPM's fatal-error response */
	tpm_lock(&T);
	tpm_stop(&T);
	tpm_unlock(&T);
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(xfer(a, t2_get_random(cmd, 8)), TPM2_RC_FAILURE);
	rm_release(a);
}

/* ---- threads ---- */

/* Clients in threads of their own, as the node's workers run them: each
 * with its own key, its signatures, its listings; one thread opens and
 * closes files all the while, another sends raw-node commands. Nothing
 * crosses over, nothing is left. */
#define THREADS 6
#define THREAD_ROUNDS 40

static void *client_thread(void *arg)
{
	uint8_t c[T2_CMD_MAX], r[4096];
	struct rm_space *s;
	uint32_t key, len;
	ssize_t n;
	long bad = 0;

	(void)arg;
	if (rm_open(RM, &s) < 0)
		return (void *)1;
	len = t2_create_primary(c, true, NULL, (uint8_t)(uintptr_t)arg);
	if (rm_write(s, c, len) != (ssize_t)len || rm_read(s, r, sizeof(r)) < 14 ||
	    get_be32(r + 6) != 0)
		return (void *)2;
	key = get_be32(r + 10);
	for (unsigned i = 0; i < THREAD_ROUNDS; i++) {
		len = i % 2 ? t2_sign(c, key, (uint8_t)i, 0) :
			      t2_get_cap(c, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 8);
		if (rm_write(s, c, len) != (ssize_t)len || (n = rm_read(s, r, sizeof(r))) < 10 ||
		    get_be32(r + 6) != 0)
			bad++;
		/* its one object, and only it */
		else if (i % 2 == 0 && (n != 23 || get_be32(r + 19) != key))
			bad++;
	}
	rm_release(s);
	return (void *)bad;
}

static void *churn_thread(void *arg)
{
	uint8_t c[64], r[64];
	struct rm_space *s;
	uint32_t len;

	(void)arg;
	for (unsigned i = 0; i < THREAD_ROUNDS; i++) {
		if (rm_open(RM, &s) < 0)
			return (void *)1;
		len = t2_start_session(c, TPM2_SE_HMAC);
		if (rm_write(s, c, len) == (ssize_t)len)
			rm_read(s, r, sizeof(r));
		rm_release(s);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS + 1];
	void *ret;

	(void)state;
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client_thread, (void *)i), 0);
	assert_int_equal(pthread_create(&t[THREADS], NULL, churn_thread, NULL), 0);
	for (unsigned i = 0; i < 20; i++)      /* the raw node beside them */
		assert_int_equal(raw(t2_get_random(cmd, 8)), 0);
	for (unsigned i = 0; i <= THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(tpm_transients(), 0);
	assert_int_equal(tpm_sessions(), 0);
}

/* ---- the open file ---- */

/* The kernel's rules for write and read. */
static void test_file_rules(void **state)
{
	struct rm_space *a;
	uint8_t big[TPM_MAX_COMMAND_SIZE + 1] = { 0 };
	uint32_t len = t2_get_random(cmd, 8);

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	assert_int_equal(rm_poll(a), POLLOUT | POLLWRNORM);
	assert_int_equal(rm_read(a, resp, sizeof(resp)), 0);
	assert_int_equal(rm_write(a, big, sizeof(big)), -E2BIG);
	assert_int_equal(rm_write(a, cmd, 5), -EINVAL);
	assert_int_equal(rm_write(a, cmd, len - 1), -EINVAL);
	assert_int_equal(rm_write(a, cmd, len), (ssize_t)len);
	assert_int_equal(rm_poll(a), POLLIN | POLLRDNORM);
	/* unread: busy; read in part: the next write drops the rest */
	assert_int_equal(rm_write(a, cmd, len), -EBUSY);
	assert_int_equal(rm_read(a, resp, 4), 4);
	assert_int_equal(rm_write(a, cmd, len), (ssize_t)len);
	assert_int_equal(rm_read(a, resp, 4), 4);
	assert_int_equal(rm_read(a, resp + 4, sizeof(resp)), 16);
	assert_int_equal(get_be32(resp + 2), 20);
	assert_int_equal(rm_read(a, resp, sizeof(resp)), 0);
	rm_release(a);
}

/* Malformed commands are answered by the resource manager; the TPM never
 * sees their handles. */
static void test_malformed(void **state)
{
	struct rm_space *a;
	uint32_t len, key;

	(void)state;
	assert_int_equal(rm_open(RM, &a), 0);
	key = primary(a, 1);
	/* size field other than the bytes written (more is allowed by the
	 * kernel's write, not by the TPM, whose answer it gets) */
	len = t2_read_public(cmd, key);
	put_be32(cmd + 2, len - 1);
	assert_int_equal(xfer(a, len), TPM2_RC_COMMAND_SIZE);
	/* shorter than a header, a handle area cut short: the kernel's EINVAL */
	len = t2_read_public(cmd, key);
	put_be32(cmd + 2, 8);
	refused(a, 8);
	put_be32(cmd + 2, 12);
	refused(a, 12);
	/* a tag that is neither */
	len = t2_read_public(cmd, key);
	put_be16(cmd, 0x8003);
	assert_int_equal(xfer(a, len), RC_RM(TPM2_RC_BAD_TAG));
	/* an authorization area longer than the command, or not adding up */
	len = t2_sign(cmd, key, 1, 0);
	put_be32(cmd + 14, 0x100);
	assert_int_equal(xfer(a, len), RC_RM(TPM2_RC_AUTHSIZE));
	len = t2_sign(cmd, key, 1, 0);
	put_be32(cmd + 14, 10);
	assert_int_equal(xfer(a, len), RC_RM(TPM2_RC_AUTHSIZE));
	/* GetCapability of handles with a session: not answerable here */
	len = t2_get_cap(cmd, TPM2_CAP_HANDLES, TRANSIENT_FIRST, 8);
	{
		uint8_t with[64];
		struct tpm2_writer w;

		t2_begin(&w, with, TPM2_ST_SESSIONS, TPM2_CC_GetCapability);
		t2_auth(&w, 0);
		tpm2w_bytes(&w, cmd + 10, 12);
		len = t2_end(&w);
		memcpy(cmd, with, len);
	}
	assert_int_equal(xfer(a, len), RC_RM(TPM2_RC_AUTH_CONTEXT));
	assert_int_equal(xfer(a, t2_read_public(cmd, key)), 0);
	assert_int_equal(tpm_transients(), 0);
	rm_release(a);
}

/* The parse on its own: every prefix of a command with sessions, every
 * byte of it changed, refused or parsed within its bounds. */
static void test_wire_bounds(void **state)
{
	struct rm_cmd c;
	uint32_t len = t2_sign(cmd, VH0, 1, TPM2_POLICY_SESSION_FIRST);
	uint32_t attrs = 1u << TPMA_CC_CHANDLES_SHIFT | (TPM2_CC_Sign & 0xffff);

	(void)state;
	assert_int_equal(rm_wire_parse(cmd, len, attrs, &c), 0);
	assert_int_equal(c.nhandles, 1);
	assert_int_equal(c.handles[0], VH0);
	assert_int_equal(c.nauths, 1);
	assert_int_equal(c.auths[0], TPM2_POLICY_SESSION_FIRST);
	assert_int_equal(c.params, 10 + 4 + 4 + 9);
	for (uint32_t n = 10; n < len; n++) {
		uint32_t cc;

		put_be32(cmd + 2, n);
		assert_int_equal(rm_wire_header(cmd, n, &cc), 0);
		if (rm_wire_parse(cmd, n, attrs, &c) == 0)
			assert_true(c.params <= n);
	}
	for (uint32_t i = 0; i < len; i++) {
		for (unsigned v = 0; v < 256; v += 17) {
			len = t2_sign(cmd, VH0, 1, TPM2_POLICY_SESSION_FIRST);
			cmd[i] = (uint8_t)v;
			if (rm_wire_parse(cmd, len, attrs, &c) == 0)
				assert_true(c.params <= len && c.nauths <= RM_MAX_AUTHS);
		}
	}
}

int main(void)
{
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		TEST(test_virtual_handles),
		TEST(test_isolation_objects),
		TEST(test_unknown_command),
		TEST(test_sessions),
		TEST(test_session_ends_with_command),
		TEST(test_release_flushes),
		TEST(test_object_limit),
		TEST(test_object_limit_option),
		TEST(test_session_share),
		TEST(test_session_limit_option),
		TEST(test_raw_node_full),
		TEST(test_client_contexts),
		TEST(test_continuation),
		TEST(test_continuation_off),
		TEST(test_continuation_bounded),
		TEST(test_context_gap),
		TEST(test_context_gap_recover),
		TEST(test_context_gap_client_saved),
		TEST(test_sequence_object),
		TEST(test_kept_loaded),
		TEST(test_power_cycle),
		TEST(test_power_cycle_resume),
		TEST(test_before_startup),
		TEST(test_threads),
		TEST(test_file_rules),
		TEST(test_malformed),
		cmocka_unit_test(test_wire_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
