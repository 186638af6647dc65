/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nvcounter - a TPM 2 NV counter driven by raw commands, fast enough to be
 * run hundreds of times under an emulated CPU: the crash test defines one,
 * streams NV_Increment at it while vtpmd is killed, and reads it back.
 *
 *   nvcounter DEVICE define INDEX        NV_DefineSpace (counter, owner
 *                                        read/write, empty auth) + one
 *                                        NV_Increment; prints "value N"
 *   nvcounter DEVICE read INDEX          prints "value N"
 *   nvcounter DEVICE increment INDEX [COUNT]
 *                                        prints "start N", then "ack N" for
 *                                        every increment the TPM answered
 *                                        with success (N = the new value),
 *                                        flushed line by line, until COUNT
 *                                        (default: forever) or an error
 *
 * DEVICE is a character device (/dev/vtpmN), or tcp:PORT for a TPM 2 on
 * 127.0.0.1 speaking raw commands (swtpm socket --server type=tcp).
 * Exit status: 0 done; 1 the device failed (printed "error ..."), 2 usage;
 * 3 the TPM answered an error (printed "rc 0xRC").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tpm2_counter.h"

/* 0, or prints the failure and returns the exit status. */
static int check(int64_t rc)
{
	if (rc < 0)
		return 1;
	if (rc > 0) {
		printf("rc 0x%" PRIx64 "\n", rc);
		return 3;
	}
	return 0;
}

static int open_device(const char *dev)
{
	if (!strncmp(dev, "tcp:", 4)) {
		struct sockaddr_in sa = { .sin_family = AF_INET };

		sa.sin_port = htons((uint16_t)atoi(dev + 4));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		dev_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		is_socket = true;
		if (dev_fd < 0 || connect(dev_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -1;
		return 0;
	}
	dev_fd = open(dev, O_RDWR | O_CLOEXEC);
	return dev_fd < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t value, count = UINT64_MAX, i;
	uint32_t index;
	int ret;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: nvcounter DEVICE define|read|increment INDEX [COUNT]\n");
		return 2;
	}
	index = (uint32_t)strtoul(argv[3], NULL, 0);
	if (argc == 5)
		count = strtoull(argv[4], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (open_device(argv[1]) < 0) {
		printf("error %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	if (!strcmp(argv[2], "define")) {
		if ((ret = check(nv_define(index))) || (ret = check(nv_increment(index))) ||
		    (ret = check(nv_read(index, &value))))
			return ret;
		printf("value %" PRIu64 "\n", value);
	} else if (!strcmp(argv[2], "read")) {
		if ((ret = check(nv_read(index, &value))))
			return ret;
		printf("value %" PRIu64 "\n", value);
	} else if (!strcmp(argv[2], "increment")) {
		if ((ret = check(nv_read(index, &value))))
			return ret;
		printf("start %" PRIu64 "\n", value);
		for (i = 0; i < count; i++) {
			if ((ret = check(nv_increment(index))))
				return ret;
			printf("ack %" PRIu64 "\n", ++value);
		}
	} else {
		fprintf(stderr, "nvcounter: unknown request '%s'\n", argv[2]);
		return 2;
	}
	return 0;
}
