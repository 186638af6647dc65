/* SPDX-License-Identifier: BSD-3-Clause */
/* daemon.c - fork into the background, parent waits for readiness. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/daemon.h"

static int ready_fd = -1;
/* /dev/null, opened at the fork: by the time the daemon is ready, Landlock
 * no longer lets it open anything outside its state directory. */
static int null_fd = -1;

static void parent_wait(pid_t child, int fd)
{
	char c;
	ssize_t n;
	int status;

	do {
		n = read(fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	/* The child died or gave up before the device was ready. */
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(1);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
	_exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

int daemon_start(void)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(fds[0]);
		close(fds[1]);
		return -err;
	}
	if (pid > 0) {
		close(fds[1]);
		parent_wait(pid, fds[0]);
	}
	close(fds[0]);
	ready_fd = fds[1];
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	setsid();
	return 0;
}

int daemon_reset_signals(void)
{
	static const int ended_by[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(ended_by) / sizeof(ended_by[0]); i++)
		if (sigaction(ended_by[i], &dfl, NULL) < 0)
			return -errno;
	return 0;
}

void daemon_ready(void)
{
	int null;

	if (ready_fd < 0)
		return;
	null = null_fd;
	null_fd = -1;
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	while (write(ready_fd, "R", 1) < 0 && errno == EINTR)
		;
	close(ready_fd);
	ready_fd = -1;
}
