/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * abuse - throw junk at a TPM character device for a while: random ioctl
 * codes and sizes (swtpm's 'P' codes among them), garbage writes and
 * well-framed TPM commands with random bodies, short and huge reads, polls,
 * and open/close storms, from several threads at once.
 *
 * The device test then checks that the daemon is alive, answers, and that
 * its state directory still loads. PTM_SHUTDOWN is never sent (it ends the
 * daemon by design); everything else is fair game.
 *
 * Output: one summary line per operation kind with counts by result.
 * Exit status: 0 the time ran out with the device still there, 1 the device
 * vanished (open gave ENOENT/ENODEV) or could not be opened at all, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define THREADS     3
#define HUGE_READ   (1u << 20)
#define MAX_WRITE   8192
#define IOCTL_BUF   (1u << 14)     /* _IOC_SIZE is at most 16383 */
#define PTM_NR_SHUTDOWN 2

enum op { OP_OPEN, OP_IOCTL, OP_WRITE, OP_READ, OP_POLL, OP_COUNT };
static const char *const op_names[OP_COUNT] = { "open", "ioctl", "write", "read", "poll" };

static const char *device;
static struct timespec deadline;
static atomic_bool vanished;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long ok_count[OP_COUNT], err_count[OP_COUNT][256];

static bool time_left(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return !vanished && (now.tv_sec < deadline.tv_sec ||
			     (now.tv_sec == deadline.tv_sec && now.tv_nsec < deadline.tv_nsec));
}

static void count(enum op op, long ret)
{
	pthread_mutex_lock(&stats_lock);
	if (ret >= 0)
		ok_count[op]++;
	else
		err_count[op][errno & 0xff]++;
	pthread_mutex_unlock(&stats_lock);
}

/* xorshift64*: each thread its own stream, reproducible from the seed. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void fill(uint64_t *s, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)next(s);
}

static unsigned long random_ioctl_code(uint64_t *s)
{
	uint64_t r = next(s);
	unsigned dir = (unsigned)(r >> 8) & 3, nr, size;

	switch (r % 4) {
	case 0:                 /* anything at all */
		return (unsigned)(r >> 32);
	case 1:                 /* swtpm's type, any number, any size */
		size = (unsigned)(r >> 16) % IOCTL_BUF;
		nr = (unsigned)(r >> 40) % 32;
		break;
	default:                /* swtpm's numbers with random sizes near the real ones */
		nr = (unsigned)(r >> 40) % 20;
		size = (unsigned)(r >> 16) % (r & 0x10 ? 64 : 4200);
		break;
	}
	if (nr == PTM_NR_SHUTDOWN)
		nr = 0;
	return _IOC(dir, 'P', nr, size);
}

/* A write that reaches libtpms: a header that matches its length. */
static size_t framed_command(uint64_t *s, uint8_t *buf)
{
	size_t len = 10 + next(s) % 200;

	fill(s, buf, len);
	buf[0] = 0x80;
	buf[1] = next(s) & 1 ? 0x01 : 0x02;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(len >> 8);
	buf[5] = (uint8_t)len;
	buf[6] = buf[7] = 0;
	buf[8] = 0x01;                  /* TPM2 command codes 0x11f..0x19x */
	buf[9] = (uint8_t)(0x1f + next(s) % 0x80);
	return len;
}

static int open_device(void)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);

	count(OP_OPEN, fd);
	if (fd < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
		vanished = true;
	return fd;
}

static void *worker(void *arg)
{
	uint64_t s = (uint64_t)(uintptr_t)arg;
	uint8_t *buf = malloc(HUGE_READ);
	int fd = -1;

	if (!buf)
		return NULL;
	while (time_left()) {
		uint64_t r = next(&s);
		long ret;

		if (fd < 0 || r % 16 == 0) {
			if (fd >= 0)
				close(fd);
			fd = open_device();
			if (fd < 0) {
				usleep(1000);
				continue;
			}
		}
		switch ((r >> 8) % 8) {
		case 0:
		case 1: {
			unsigned long code = random_ioctl_code(&s);

			fill(&s, buf, IOCTL_BUF);
			ret = ioctl(fd, code, buf);
			count(OP_IOCTL, ret);
			break;
		}
		case 2: {
			size_t len = next(&s) % MAX_WRITE;

			fill(&s, buf, len);
			ret = write(fd, buf, len);
			count(OP_WRITE, ret);
			break;
		}
		case 3:
			ret = write(fd, buf, framed_command(&s, buf));
			count(OP_WRITE, ret);
			break;
		case 4:
			ret = read(fd, buf, next(&s) % 16);
			count(OP_READ, ret);
			break;
		case 5:
			ret = read(fd, buf, r & 0x10000 ? HUGE_READ : 4096);
			count(OP_READ, ret);
			break;
		case 6: {
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

			ret = poll(&p, 1, (int)(next(&s) % 10));
			count(OP_POLL, ret);
			break;
		}
		default:                /* a storm: open and close in a burst */
			for (int i = 0; i < 8 && time_left(); i++) {
				int other = open_device();

				if (other >= 0)
					close(other);
			}
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void print_stats(void)
{
	for (int op = 0; op < OP_COUNT; op++) {
		printf("%s: %lu ok", op_names[op], ok_count[op]);
		for (int e = 0; e < 256; e++) {
			if (err_count[op][e]) {
				const char *name = strerrorname_np(e);

				printf(", %lu %s", err_count[op][e], name ? name : "E?");
			}
		}
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];
	uint64_t seed;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: abuse DEVICE SECONDS [SEED]\n");
		return 2;
	}
	device = argv[1];
	seed = argc == 4 ? strtoull(argv[3], NULL, 0) : (uint64_t)time(NULL);
	printf("seed %llu\n", (unsigned long long)seed);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += strtol(argv[2], NULL, 10);

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(device);
		return 1;
	}
	close(fd);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker,
			       (void *)(uintptr_t)(seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1));
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	print_stats();
	if (vanished) {
		printf("the device vanished\n");
		return 1;
	}
	return 0;
}
