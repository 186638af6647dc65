/* SPDX-License-Identifier: BSD-3-Clause */
/* swtpm_cuse.c - upstream swtpm in CUSE mode (see swtpm_cuse.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"
#include "stats.h"
#include "swtpm_cuse.h"

#define ANSWER_TIMEOUT_MS 60000
#define PIDFILE_TIMEOUT_NS (10ull * 1000000000ull)

/* Like spawn_cmd, but stderr into LOGFILE: swtpm greets on stderr, and
 * the bench's stderr is the VM's console. */
static pid_t spawn_logged(char *const argv[], const char *logfile)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int log = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		if (log >= 0)
			dup2(log, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

/* swtpm writes its pid file once the node exists, which may be just
 * after the node's first answer. */
static pid_t wait_pidfile(const char *pidfile)
{
	const struct timespec retry = { .tv_nsec = 1000 * 1000 };
	uint64_t end = now_ns() + PIDFILE_TIMEOUT_NS;
	pid_t pid;

	while ((pid = read_pidfile(pidfile)) < 0 && now_ns() < end)
		nanosleep(&retry, NULL);
	return pid;
}

pid_t swtpm_cuse_start(const char *path, const char *name, const char *dir,
		       const char *pidfile, const char *logfile, double *ms)
{
	char state[520], pid[520], log[540];
	char *argv[] = {
		(char *)path, "cuse", "-n", (char *)name, "--tpm2", "--tpmstate", state,
		"--flags", "not-need-init,startup-clear", "--pid", pid, "--log", log,
		NULL,
	};
	uint64_t t0;
	pid_t child;
	int ret;

	if (strlen(dir) > 500 || strlen(pidfile) > 500 || strlen(logfile) > 500)
		return -ENAMETOOLONG;
	snprintf(state, sizeof(state), "dir=%s", dir);
	snprintf(pid, sizeof(pid), "file=%s", pidfile);
	snprintf(log, sizeof(log), "file=%s,level=1", logfile);
	unlink(pidfile);
	t0 = now_ns();
	child = spawn_logged(argv, logfile);
	if (child < 0)
		return child;
	/* CUSE's daemonize: the spawned process exits once it forked. */
	if (wait_exit(child) != 0)
		return -ECHILD;
	ret = first_answer(name, ANSWER_TIMEOUT_MS);
	if (ret < 0)
		return ret;
	if (ms)
		*ms = (double)(now_ns() - t0) / 1e6;
	return wait_pidfile(pidfile);
}
