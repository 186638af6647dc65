/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crashloop - kill vtpmd with SIGKILL at random moments while a client
 * streams NV_Increment at an NV counter, restart it, and check the counter.
 *
 *   crashloop VTPMD NAME STATEDIR LOG INDEX KILLS [MAX_DELAY_MS [SEED]]
 *
 * STATEDIR may also be a backend URI (file://PATH: a linear state file).
 * Runs VTPMD -f -n NAME --tpmstate dir=STATEDIR --flags
 * not-need-init,startup-clear --log file=LOG,level=1, defines the counter
 * INDEX (owner read/write), then KILLS times: a thread increments the
 * counter as fast as the TPM answers, counting the increments it saw
 * acknowledged; after a random 0..MAX_DELAY_MS (default 50) vtpmd gets
 * SIGKILL; a new vtpmd starts on the same directory and the counter must
 * read as the last acknowledged value or one more (the increment in flight
 * may have been written) -- never less, and never unreadable.
 *
 * Written in C because a shell loop spends most of its time starting
 * processes, and the suite runs under an emulated CPU.
 * Prints "kills N mid M counter V seconds S seed X" and exits 0, or one
 * line "FAIL ..." and exits 1; 2 on usage errors.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "tpm2_counter.h"

#define WAIT_LIMIT_MS (60 * 1000)

static const char *vtpmd, *name, *statedir, *logarg;
static char node[256];
static uint32_t index_;
static _Atomic uint64_t acked;          /* last value the client saw acked */
static _Atomic unsigned acks;           /* acks in this round */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* Start vtpmd in the foreground as our child; return its pid once its
 * node opens (the open fd goes to dev_fd). */
static pid_t start_vtpmd(void)
{
	char state_arg[4096];
	pid_t pid;
	int i;

	/* the previous daemon's node must be gone, or vtpmd refuses */
	for (i = 0; access(node, F_OK) == 0; i++) {
		if (i > WAIT_LIMIT_MS)
			fail("%s still exists", node);
		sleep_ms(1);
	}
	/* a URI (file://PATH) is a backend-uri, anything else a directory */
	snprintf(state_arg, sizeof(state_arg), "%s=%s",
		 strstr(statedir, "://") ? "backend-uri" : "dir", statedir);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execl(vtpmd, vtpmd, "-f", "-n", name, "--tpmstate", state_arg,
		      "--flags", "not-need-init,startup-clear", "--log", logarg,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; ; i++) {
		int status;

		dev_fd = open(node, O_RDWR | O_CLOEXEC);
		if (dev_fd >= 0)
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail("vtpmd exited (status 0x%x) before %s appeared; see the log",
			     status, node);
		if (i > WAIT_LIMIT_MS)
			fail("%s did not appear", node);
		sleep_ms(1);
	}
}

static void kill_vtpmd(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid: %s", strerror(errno));
}

static void *increment_stream(void *arg)
{
	(void)arg;
	while (nv_increment(index_) == 0) {
		atomic_fetch_add(&acked, 1);
		atomic_fetch_add(&acks, 1);
	}
	close(dev_fd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned kills, max_delay = 50, seed, k, mid = 0;
	uint64_t value;
	double t0 = now();
	pid_t pid;
	int64_t rc;

	if (argc < 7 || argc > 9) {
		fprintf(stderr, "usage: crashloop VTPMD NAME STATEDIR LOG INDEX KILLS [MAX_DELAY_MS [SEED]]\n");
		return 2;
	}
	vtpmd = argv[1];
	name = argv[2];
	statedir = argv[3];
	index_ = (uint32_t)strtoul(argv[5], NULL, 0);
	kills = (unsigned)atoi(argv[6]);
	if (argc > 7)
		max_delay = (unsigned)atoi(argv[7]);
	seed = argc > 8 ? (unsigned)strtoul(argv[8], NULL, 0) : (unsigned)time(NULL);
	srand(seed);
	snprintf(node, sizeof(node), "/dev/%s", name);
	{
		static char log[4200];

		snprintf(log, sizeof(log), "file=%s,level=1", argv[4]);
		logarg = log;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	quiet = true;

	pid = start_vtpmd();
	if ((rc = nv_define(index_)) != 0 || (rc = nv_increment(index_)) != 0 ||
	    (rc = nv_read(index_, &value)) != 0)
		fail("defining the counter: 0x%" PRIx64, (uint64_t)rc);
	acked = value;

	for (k = 1; k <= kills; k++) {
		pthread_t thread;
		uint64_t last;

		acks = 0;
		if (pthread_create(&thread, NULL, increment_stream, NULL) != 0)
			fail("pthread_create");
		sleep_ms(max_delay ? (unsigned)rand() % max_delay : 0);
		kill_vtpmd(pid);
		pthread_join(thread, NULL);
		last = acked;
		if (acks > 0)
			mid++;

		pid = start_vtpmd();
		rc = nv_read(index_, &value);
		if (rc != 0)
			fail("kill %u: the counter is unreadable after the restart (%" PRId64 ")",
			     k, rc);
		if (value != last && value != last + 1)
			fail("kill %u: counter %" PRIu64 " after the restart, last acknowledged %" PRIu64,
			     k, value, last);
		acked = value;
	}
	close(dev_fd);
	kill_vtpmd(pid);
	printf("kills %u mid %u counter %" PRIu64 " seconds %.0f seed %u\n", kills, mid,
	       (uint64_t)acked, now() - t0, seed);
	return 0;
}
