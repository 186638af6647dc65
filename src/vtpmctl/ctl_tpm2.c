/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_tpm2.c - boot-time TPM 2 commands and one exchange on the command path. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mem/bytes.h"
#include "os/io.h"
#include "vtpmctl/ctl_dev.h"
#include "vtpmctl/ctl_tpm2.h"

#define TPM2_ST_SESSIONS            0x8002
#define TPM2_CC_HIERARCHY_CHANGE_AUTH 0x00000129
#define TPM2_CC_INCREMENTAL_SELF_TEST 0x00000142
#define TPM2_CC_STARTUP             0x00000144
#define TPM2_RH_PLATFORM            0x4000000c
#define TPM2_RS_PW                  0x40000009
#define TPM2_ALG_SHA256             0x000b

#define HEADER_LEN 10
#define RESPONSE_MAX 4096

/* Big-endian writer that stops at the end of the buffer. */
struct wbuf {
	uint8_t *p;
	size_t len, off;
	int overflow;
};

static void put(struct wbuf *w, uint32_t v, size_t n)
{
	if (w->off + n > w->len) {
		w->overflow = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->p[w->off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->off += n;
}

static void put_bytes(struct wbuf *w, const uint8_t *b, size_t n)
{
	if (w->off + n > w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->off, b, n);
	w->off += n;
}

/* Patch the header's size field once the length is known. */
static size_t finish(struct wbuf *w)
{
	if (w->overflow || w->off < HEADER_LEN)
		return 0;
	put_be32(w->p + 2, (uint32_t)w->off);
	return w->off;
}

static struct wbuf start(uint8_t *buf, size_t len, uint16_t tag, uint32_t cc)
{
	struct wbuf w = { buf, len, 0, 0 };

	put(&w, tag, 2);
	put(&w, 0, 4);  /* size, set by finish() */
	put(&w, cc, 4);
	return w;
}

size_t tpm2_build_startup(uint8_t *buf, size_t len, uint16_t startup_type)
{
	struct wbuf w = start(buf, len, TPM2_ST_NO_SESSIONS, TPM2_CC_STARTUP);

	put(&w, startup_type, 2);
	return finish(&w);
}

size_t tpm2_build_incremental_selftest(uint8_t *buf, size_t len)
{
	struct wbuf w = start(buf, len, TPM2_ST_NO_SESSIONS, TPM2_CC_INCREMENTAL_SELF_TEST);

	put(&w, 1, 4);                  /* TPML_ALG: one entry */
	put(&w, TPM2_ALG_SHA256, 2);
	return finish(&w);
}

size_t tpm2_build_change_platform_auth(uint8_t *buf, size_t len,
				       const uint8_t *auth, uint16_t auth_len)
{
	struct wbuf w = start(buf, len, TPM2_ST_SESSIONS, TPM2_CC_HIERARCHY_CHANGE_AUTH);

	put(&w, TPM2_RH_PLATFORM, 4);
	put(&w, 4 + 2 + 1 + 2, 4);      /* authorization area size */
	put(&w, TPM2_RS_PW, 4);         /* password session, empty password */
	put(&w, 0, 2);                  /* nonce */
	put(&w, 1, 1);                  /* continueSession */
	put(&w, 0, 2);                  /* hmac (the password) */
	put(&w, auth_len, 2);           /* newAuth */
	put_bytes(&w, auth, auth_len);
	return finish(&w);
}

int tpm2_parse_response(const uint8_t *resp, size_t len, uint16_t *tag, uint32_t *rc)
{
	uint32_t size;

	if (len < HEADER_LEN)
		return -EBADMSG;
	size = get_be32(resp + 2);
	if (size != len)
		return -EBADMSG;
	*tag = get_be16(resp);
	*rc = get_be32(resp + 6);
	return 0;
}

int tpm2_transact(int fd, const uint8_t *cmd, size_t cmd_len, unsigned timeout_s,
		  uint16_t *tag, uint32_t *rc)
{
	uint8_t resp[RESPONSE_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = io_write_full(fd, cmd, cmd_len);
	if (ret < 0) {
		fprintf(stderr, "Could not write the command to the TPM: %s\n", strerror(-ret));
		return ret;
	}
	do {
		ret = poll(&pfd, 1, (int)(timeout_s * 1000));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ret = -errno;
		fprintf(stderr, "Could not wait for the TPM's response: %s\n", strerror(errno));
		return ret;
	}
	if (ret == 0) {
		fprintf(stderr, "TPM did not respond after %u seconds.\n", timeout_s);
		return -ETIMEDOUT;
	}
	/* One read must return the whole response, as from /dev/tpm0. */
	do {
		n = read(fd, resp, sizeof(resp));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		fprintf(stderr, "Could not read the TPM's response: %s\n", strerror(errno));
		return ret;
	}
	if (tpm2_parse_response(resp, (size_t)n, tag, rc) < 0) {
		fprintf(stderr, "Malformed response from the TPM (%zd bytes).\n", n);
		return -EBADMSG;
	}
	return 0;
}
