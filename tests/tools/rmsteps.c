/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rmsteps - one scripted client workload on a resource-managed TPM node
 * (the kernel's /dev/tpmrmN or vtpmd's /dev/vtpmrmN), printing one line
 * per step, so that two nodes can be compared step by step.
 *
 * Two open files, A and B, on DEVICE: objects and sessions made, used,
 * listed and flushed; and the error paths: a command the TPM does not
 * have, another file's handles, a physical handle, a flushed handle, more
 * objects and sessions than the kernel keeps per file. Each line is
 *
 *   STEP rc=0xRC [h=0xHANDLE] [handles=H,H...]     (the TPM's response)
 *   STEP errno=NAME                                (write or read failed)
 *
 * Exit status 0 if every step got an answer of either kind, 1 on a usage
 * or I/O failure that stops the script.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errname.h"
#include "../unit/tpm2_cmds.h"

static uint8_t cmd[T2_CMD_MAX], resp[4096];
static uint32_t resp_len;

/* Send LEN bytes of cmd on FD: the response code, or -errno. */
static long xfer(int fd, uint32_t len)
{
	ssize_t n;

	resp_len = 0;
	if (write(fd, cmd, len) != (ssize_t)len)
		return -errno;
	n = read(fd, resp, sizeof(resp));
	if (n < 0)
		return -errno;
	if (n < 10)
		return -EPROTO;
	resp_len = (uint32_t)n;
	return (long)get_be32(resp + 6);
}

/* Run one step and print its line; the response code (or -errno). */
static long step(const char *name, int fd, uint32_t len, bool handle, bool list)
{
	long rc = xfer(fd, len);

	printf("%s", name);
	if (rc < 0) {
		printf(" errno=%s\n", errname((int)-rc));
		return rc;
	}
	printf(" rc=0x%lx", rc);
	if (rc == 0 && handle && resp_len >= 14)
		printf(" h=0x%08x", get_be32(resp + 10));
	if (rc == 0 && list && resp_len >= 19) {
		uint32_t n = get_be32(resp + 15);

		printf(" handles=");
		for (uint32_t i = 0; i < n && 19 + 4 * i + 4 <= resp_len; i++)
			printf("%s0x%08x", i ? "," : "", get_be32(resp + 19 + 4 * i));
	}
	printf("\n");
	fflush(stdout);
	return rc;
}

static uint32_t unknown_command(void)
{
	struct tpm2_writer w;

	t2_begin(&w, cmd, TPM2_ST_NO_SESSIONS, 0x0000ffff);
	return t2_end(&w);
}

int main(int argc, char **argv)
{
	uint32_t vh = 0x80ffffffu, s = 0, listcap = TPM2_CAP_HANDLES;
	int a, b;

	if (argc != 2) {
		fprintf(stderr, "usage: rmsteps DEVICE\n");
		return 1;
	}
	a = open(argv[1], O_RDWR);
	b = open(argv[1], O_RDWR);
	if (a < 0 || b < 0) {
		fprintf(stderr, "rmsteps: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	step("getrandom", a, t2_get_random(cmd, 8), false, false);
	step("unknown-command", a, unknown_command(), false, false);
	if (step("createprimary-1", a, t2_create_primary(cmd, true, NULL, 1), true, false) == 0)
		vh = get_be32(resp + 10);
	step("readpublic", a, t2_read_public(cmd, vh), false, false);
	step("sign", a, t2_sign(cmd, vh, 1, 0), false, false);
	step("A-lists-transient", a, t2_get_cap(cmd, listcap, 0x80000000u, 64), false, true);
	step("B-lists-transient", b, t2_get_cap(cmd, listcap, 0x80000000u, 64), false, true);
	step("B-readpublic-A-handle", b, t2_read_public(cmd, vh), false, false);
	step("B-readpublic-physical", b, t2_read_public(cmd, 0x80000000u), false, false);
	step("B-flush-A-handle", b, t2_flush(cmd, vh), false, false);
	step("createprimary-2", a, t2_create_primary(cmd, true, NULL, 2), true, false);
	step("createprimary-3", a, t2_create_primary(cmd, true, NULL, 3), true, false);
	step("createprimary-4", a, t2_create_primary(cmd, true, NULL, 4), true, false);
	step("A-lists-transient-4", a, t2_get_cap(cmd, listcap, 0x80000000u, 64), false, true);
	step("flush", a, t2_flush(cmd, vh), false, false);
	step("readpublic-flushed", a, t2_read_public(cmd, vh), false, false);
	step("flush-flushed", a, t2_flush(cmd, vh), false, false);
	if (step("startauthsession", a, t2_start_session(cmd, TPM2_SE_POLICY), true, false) == 0)
		s = get_be32(resp + 10);
	step("policypcr", a, t2_policy_pcr(cmd, s), false, false);
	step("policygetdigest", a, t2_policy_get_digest(cmd, s), false, false);
	step("B-policygetdigest-A-session", b, t2_policy_get_digest(cmd, s), false, false);
	step("A-lists-loaded-sessions", a, t2_get_cap(cmd, listcap, 0x02000000u, 64), false, true);
	step("B-lists-saved-sessions", b, t2_get_cap(cmd, listcap, 0x03000000u, 64), false, true);
	step("startauthsession-2", a, t2_start_session(cmd, TPM2_SE_HMAC), true, false);
	step("startauthsession-3", a, t2_start_session(cmd, TPM2_SE_HMAC), true, false);
	step("startauthsession-4", a, t2_start_session(cmd, TPM2_SE_HMAC), true, false);
	step("flush-session", a, t2_flush(cmd, s), false, false);
	step("policygetdigest-flushed", a, t2_policy_get_digest(cmd, s), false, false);
	close(a);
	close(b);
	return 0;
}
