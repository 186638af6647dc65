/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm2_counter.h - raw TPM 2 commands on an NV counter (owner authorization,
 * empty password), for the test tools nvcounter and crashloop. Header-only:
 * each tool is one .c file.
 *
 * dev_fd is the device (/dev/vtpmN: one write, one read per command, as
 * /dev/tpm0 wants) or, with is_socket, a TCP stream of raw commands.
 */
#ifndef VTPMD_TEST_TPM2_COUNTER_H
#define VTPMD_TEST_TPM2_COUNTER_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tss2/tss2_tpm2_types.h>

#define NV_COUNTER_ATTRS (TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | \
			  TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT)

static int dev_fd = -1;
static bool is_socket;
static bool quiet;             /* no "error" line when the device fails */

struct msg {
	uint8_t b[512];
	size_t len;
};

static inline void put16(struct msg *m, uint16_t v)
{
	m->b[m->len++] = (uint8_t)(v >> 8);
	m->b[m->len++] = (uint8_t)v;
}

static inline void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Header (size patched in by finish()) and the owner + password session. */
static inline void begin(struct msg *m, uint32_t cc, uint32_t index, bool with_index)
{
	m->len = 0;
	put16(m, TPM2_ST_SESSIONS);
	put32(m, 0);
	put32(m, cc);
	put32(m, TPM2_RH_OWNER);
	if (with_index)
		put32(m, index);
	put32(m, 9);            /* authorization area: one password session */
	put32(m, TPM2_RS_PW);
	put16(m, 0);            /* nonce */
	m->b[m->len++] = 0;     /* session attributes */
	put16(m, 0);            /* empty password */
}

static inline void finish(struct msg *m)
{
	m->b[2] = (uint8_t)(m->len >> 24);
	m->b[3] = (uint8_t)(m->len >> 16);
	m->b[4] = (uint8_t)(m->len >> 8);
	m->b[5] = (uint8_t)m->len;
}

static inline int xfer_full(bool out, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = out ? write(dev_fd, buf + done, len - done)
				: read(dev_fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Send CMD, receive into RESP; returns the response code, or -1 if the
 * device failed (a message has been printed). */
static inline int64_t transact(struct msg *cmd, struct msg *resp)
{
	ssize_t n;

	finish(cmd);
	if (is_socket) {
		if (xfer_full(true, cmd->b, cmd->len) < 0 || xfer_full(false, resp->b, 10) < 0)
			goto fail;
		resp->len = get32(resp->b + 2);
		if (resp->len < 10 || resp->len > sizeof(resp->b) ||
		    xfer_full(false, resp->b + 10, resp->len - 10) < 0)
			goto fail;
	} else {
		/* one write, one read: the /dev/tpm0 way */
		n = write(dev_fd, cmd->b, cmd->len);
		if (n != (ssize_t)cmd->len)
			goto fail;
		n = read(dev_fd, resp->b, sizeof(resp->b));
		if (n < 10 || (size_t)n != get32(resp->b + 2))
			goto fail;
		resp->len = (size_t)n;
	}
	return get32(resp->b + 6);
fail:
	if (!quiet) {
		printf("error %s\n", errno ? strerror(errno) : "short response");
		fflush(stdout);
	}
	return -1;
}

static inline int64_t nv_read(uint32_t index, uint64_t *value)
{
	struct msg cmd, resp;
	int64_t rc;
	int i;

	begin(&cmd, TPM2_CC_NV_Read, index, true);
	put16(&cmd, 8);         /* size */
	put16(&cmd, 0);         /* offset */
	rc = transact(&cmd, &resp);
	if (rc != 0)
		return rc;
	/* header, parameterSize, TPM2B size 8, data */
	if (resp.len < 10 + 4 + 2 + 8 || resp.b[14] != 0 || resp.b[15] != 8) {
		if (!quiet)
			printf("error unexpected NV_Read response\n");
		return -1;
	}
	*value = 0;
	for (i = 0; i < 8; i++)
		*value = *value << 8 | resp.b[16 + i];
	return 0;
}

static inline int64_t nv_increment(uint32_t index)
{
	struct msg cmd, resp;

	begin(&cmd, TPM2_CC_NV_Increment, index, true);
	return transact(&cmd, &resp);
}

static inline int64_t nv_define(uint32_t index)
{
	struct msg cmd, resp;

	begin(&cmd, TPM2_CC_NV_DefineSpace, 0, false);
	put16(&cmd, 0);                 /* auth */
	put16(&cmd, 14);                /* TPMS_NV_PUBLIC size */
	put32(&cmd, index);
	put16(&cmd, TPM2_ALG_SHA256);
	put32(&cmd, NV_COUNTER_ATTRS);
	put16(&cmd, 0);                 /* authPolicy */
	put16(&cmd, 8);                 /* dataSize */
	return transact(&cmd, &resp);
}

#endif
