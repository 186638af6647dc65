/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpmraw - drive the command path of a TPM character device byte by byte.
 *
 * The device tests use it for what tpm2-tools cannot show: partial reads,
 * poll(), the errno of a bad write, a second open. It opens DEVICE once
 * (O_RDWR) and runs each OP in order on that one file, printing one line
 * per OP, so a test compares the lines with what the kernel's /dev/tpm0
 * would produce. DEVICE tcp:PORT is a TPM on 127.0.0.1 speaking raw
 * commands (swtpm socket --server type=tcp), for x: with a peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

#define BUF_MAX 8192                    /* > the 4096 a TPM device accepts */
#define TRANSACT_TIMEOUT_MS (300 * 1000) /* bounded even for RSA keygen under TCG */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tpmraw DEVICE OP...\n"
		"Opens DEVICE once and runs each OP on that file, one output line per OP:\n"
		"  w:HEX   write these bytes           -> 'write N' | 'write ERRNO'\n"
		"  W:LEN   write LEN bytes: a TPM2_GetRandom header whose size field is LEN,\n"
		"          zero padded                 -> as w:\n"
		"  r:N     one read of up to N bytes   -> 'read N HEX' | 'read ERRNO'\n"
		"  p:MS    poll for POLLIN, MS ms      -> 'poll IN[|...]' | 'poll timeout'\n"
		"  x:HEX   write, poll (300 s max), read the response -> 'resp HEX' |\n"
		"          'resp write ERRNO' | 'resp read ERRNO' | 'resp timeout'\n"
		"  o       open DEVICE a second time   -> 'open ok' | 'open ERRNO'\n"
		"  s:MS    sleep MS ms                 -> 'sleep'\n"
		"ERRNO is the symbolic name (EBUSY, EINVAL, ...).\n"
		"Exit status: 0 every OP ran (their results are in the output),\n"
		"1 DEVICE could not be opened, 2 usage error.\n");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse HEX (spaces allowed) into buf; returns the length or -1. */
static long parse_hex(const char *hex, uint8_t *buf, size_t size)
{
	size_t n = 0;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		int hi = hexval(hex[0]);
		int lo = hex[1] ? hexval(hex[1]) : -1;
		if (hi < 0 || lo < 0 || n >= size)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return (long)n;
}

static void print_hex(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
}

static bool parse_num(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static void do_write(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		printf("write %s\n", errname(errno));
	else
		printf("write %zd\n", n);
}

static void do_read(int fd, size_t len)
{
	static uint8_t buf[BUF_MAX];
	ssize_t n = read(fd, buf, len);

	if (n < 0) {
		printf("read %s\n", errname(errno));
		return;
	}
	printf("read %zd", n);
	if (n > 0) {
		putchar(' ');
		print_hex(buf, (size_t)n);
	}
	putchar('\n');
}

static void do_poll(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	static const struct { short bit; const char *name; } bits[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" },
		{ POLLERR, "ERR" }, { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" },
	};
	int rc = poll(&pfd, 1, ms);

	if (rc < 0) {
		printf("poll %s\n", errname(errno));
		return;
	}
	if (rc == 0) {
		printf("poll timeout\n");
		return;
	}
	printf("poll ");
	const char *sep = "";
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (pfd.revents & bits[i].bit) {
			printf("%s%s", sep, bits[i].name);
			sep = "|";
		}
	}
	putchar('\n');
}

static bool is_socket;

/* DEV, or a TCP connection to 127.0.0.1:PORT for tcp:PORT. */
static int open_device(const char *dev)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	if (strncmp(dev, "tcp:", 4) != 0)
		return open(dev, O_RDWR);
	is_socket = true;
	sa.sin_port = htons((uint16_t)atoi(dev + 4));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void do_transact(int fd, const uint8_t *cmd, size_t len)
{
	static uint8_t buf[BUF_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n = write(fd, cmd, len);

	if (n < 0) {
		printf("resp write %s\n", errname(errno));
		return;
	}
	int rc = poll(&pfd, 1, TRANSACT_TIMEOUT_MS);
	if (rc == 0) {
		printf("resp timeout\n");
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		printf("resp read %s\n", errname(errno));
		return;
	}
	/* a stream may bring the response in pieces: up to its header's size */
	while (is_socket && n >= 6 && n < (ssize_t)sizeof(buf)) {
		size_t want = (size_t)buf[2] << 24 | (size_t)buf[3] << 16 |
			      (size_t)buf[4] << 8 | buf[5];
		ssize_t more;

		if ((size_t)n >= want || want > sizeof(buf))
			break;
		more = read(fd, buf + n, want - (size_t)n);
		if (more <= 0)
			break;
		n += more;
	}
	printf("resp ");
	print_hex(buf, (size_t)n);
	putchar('\n');
}

/* A TPM2_GetRandom(8) command whose header claims LEN bytes, padded to LEN. */
static size_t oversized_command(uint8_t *buf, size_t len)
{
	static const uint8_t hdr[] = { 0x80, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x08 };

	memset(buf, 0, len);
	memcpy(buf, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
	if (len >= 6) {
		buf[2] = (uint8_t)(len >> 24);
		buf[3] = (uint8_t)(len >> 16);
		buf[4] = (uint8_t)(len >> 8);
		buf[5] = (uint8_t)len;
	}
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t buf[BUF_MAX];
	const char *dev;
	int fd;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	dev = argv[1];

	/* Check every OP before touching the device. */
	for (int i = 2; i < argc; i++) {
		const char *op = argv[i];
		long v;

		if (!strcmp(op, "o"))
			continue;
		if (strlen(op) < 2 || op[1] != ':' || !strchr("wWrpxs", op[0])) {
			fprintf(stderr, "tpmraw: bad OP '%s'\n", op);
			return 2;
		}
		if ((op[0] == 'w' || op[0] == 'x') && parse_hex(op + 2, buf, sizeof(buf)) < 0) {
			fprintf(stderr, "tpmraw: bad hex in '%s'\n", op);
			return 2;
		}
		if (op[0] == 'W' && !parse_num(op + 2, BUF_MAX, &v)) {
			fprintf(stderr, "tpmraw: bad length in '%s' (max %d)\n", op, BUF_MAX);
			return 2;
		}
		if (strchr("rps", op[0]) && !parse_num(op + 2, op[0] == 'r' ? BUF_MAX : 600000, &v)) {
			fprintf(stderr, "tpmraw: bad number in '%s'\n", op);
			return 2;
		}
	}

	fd = open_device(dev);
	if (fd < 0) {
		fprintf(stderr, "tpmraw: open %s: %s\n", dev, errname(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int i = 2; i < argc; i++) {
		const char *op = argv[i];
		const char *arg = op + 2;
		long v = 0;
		long len;

		switch (op[0]) {
		case 'w':
			len = parse_hex(arg, buf, sizeof(buf));
			do_write(fd, buf, (size_t)len);
			break;
		case 'W':
			parse_num(arg, BUF_MAX, &v);
			do_write(fd, buf, oversized_command(buf, (size_t)v));
			break;
		case 'r':
			parse_num(arg, BUF_MAX, &v);
			do_read(fd, (size_t)v);
			break;
		case 'p':
			parse_num(arg, 600000, &v);
			do_poll(fd, (int)v);
			break;
		case 'x':
			len = parse_hex(arg, buf, sizeof(buf));
			do_transact(fd, buf, (size_t)len);
			break;
		case 's': {
			parse_num(arg, 600000, &v);
			struct timespec ts = { .tv_sec = v / 1000, .tv_nsec = (v % 1000) * 1000000L };
			nanosleep(&ts, NULL);
			printf("sleep\n");
			break;
		}
		case 'o': {
			int fd2 = open(dev, O_RDWR);
			if (fd2 < 0) {
				printf("open %s\n", errname(errno));
			} else {
				printf("open ok\n");
				close(fd2);
			}
			break;
		}
		}
	}
	close(fd);
	return 0;
}
