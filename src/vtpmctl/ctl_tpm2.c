/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_tpm2.c - boot-time TPM 2 commands and one exchange on the command path. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/io.h"
#include "tpm/tpm2_marshal.h"
#include "vtpmctl/ctl_dev.h"
#include "vtpmctl/ctl_tpm2.h"

#define RESPONSE_MAX 4096

size_t tpm2_build_startup(uint8_t *buf, size_t len, uint16_t startup_type)
{
	struct tpm2_writer w;
	size_t n;

	tpm2_cmd_begin(&w, buf, len, TPM2_ST_NO_SESSIONS, TPM2_CC_Startup);
	tpm2w_u16(&w, startup_type);
	return tpm2_cmd_end(&w, &n) < 0 ? 0 : n;
}

size_t tpm2_build_incremental_selftest(uint8_t *buf, size_t len)
{
	struct tpm2_writer w;
	size_t n;

	tpm2_cmd_begin(&w, buf, len, TPM2_ST_NO_SESSIONS, TPM2_CC_IncrementalSelfTest);
	tpm2w_u32(&w, 1);               /* TPML_ALG: one entry */
	tpm2w_u16(&w, TPM2_ALG_SHA256);
	return tpm2_cmd_end(&w, &n) < 0 ? 0 : n;
}

size_t tpm2_build_change_platform_auth(uint8_t *buf, size_t len,
				       const uint8_t *auth, uint16_t auth_len)
{
	struct tpm2_writer w;
	size_t n;

	tpm2_cmd_begin(&w, buf, len, TPM2_ST_SESSIONS, TPM2_CC_HierarchyChangeAuth);
	tpm2w_u32(&w, TPM2_RH_PLATFORM);
	/* a password session with the empty password */
	tpm2_cmd_password(&w, TPMA_SESSION_CONTINUESESSION, NULL, 0);
	tpm2w_tpm2b(&w, auth, auth_len);        /* newAuth */
	return tpm2_cmd_end(&w, &n) < 0 ? 0 : n;
}

int tpm2_parse_response(const uint8_t *resp, size_t len, uint16_t *tag, uint32_t *rc)
{
	struct tpm2_reader r;

	return tpm2_rsp_begin(&r, resp, len, tag, rc);
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
