/* SPDX-License-Identifier: BSD-3-Clause */
/* proc.c - fork, exec, capture, wait; and stopping a daemon through a pidfd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/privs.h"
#include "vtpm-cdi/proc.h"

/* The child: never returns. */
__attribute__((noreturn))
static void child(char *const argv[], char *const envp[], const struct privs_user *user,
		  int out)
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		_exit(126);
	/* Nothing else of ours or of the runtime's (runc hands hooks its sync
	 * pipes): a daemon must not keep them open. */
	close_range(STDERR_FILENO + 1, ~0u, 0);
	/* crun runs hooks with signals blocked: a vtpmd started with SIGTERM
	 * blocked (or ignored, which exec keeps) could only be SIGKILLed. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, &(sigset_t){ 0 }, NULL);
	if (user && privs_drop(user) < 0) {
		dprintf(STDERR_FILENO, "cannot become user %s\n", user->name);
		_exit(126);
	}
	execve(argv[0], argv, envp);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int proc_run(char *const argv[], char *const envp[], const struct privs_user *user,
	     int out_fd, char *capture, size_t capture_len)
{
	int p[2] = { -1, -1 }, err;
	size_t len = 0;
	pid_t pid;

	if (capture && capture_len)
		capture[0] = '\0';
	if (out_fd < 0 && pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		if (p[0] >= 0) {
			close(p[0]);
			close(p[1]);
		}
		return err;
	}
	if (pid == 0)
		child(argv, envp, user, out_fd >= 0 ? out_fd : p[1]);
	if (out_fd >= 0)
		return wait_status(pid);
	close(p[1]);
	/* Until every holder of the pipe is gone: a daemon lets go of it once
	 * it is ready (its stdio then goes to /dev/null). */
	for (;;) {
		char buf[256];
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (capture && len + 1 < capture_len) {
			size_t k = (size_t)n < capture_len - 1 - len ? (size_t)n : capture_len - 1 - len;

			memcpy(capture + len, buf, k);
			len += k;
			capture[len] = '\0';
		}
	}
	close(p[0]);
	return wait_status(pid);
}

int proc_is(pid_t pid, const char *exe)
{
	char link[64], target[PATH_MAX], *want;
	ssize_t n;
	int same;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	want = realpath(exe, NULL);
	same = want && strcmp(want, target) == 0;
	free(want);
	return same;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* True once the process behind FD has ended (within TIMEOUT seconds). */
static bool ended_within(int fd, unsigned timeout)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, (int)timeout * 1000);
	} while (n < 0 && errno == EINTR);
	return n == 1;
}

int proc_stop(pid_t pid, const char *exe, unsigned timeout)
{
	int fd, ret = 1;

	if (pid <= 1)
		return 0;
	/* The pidfd pins the process: checked, then signalled, as one. */
	fd = pidfd_open_(pid);
	if (fd < 0)
		return errno == ESRCH ? 0 : -errno;
	if (!proc_is(pid, exe)) {
		close(fd);
		return 0;
	}
	if (pidfd_signal(fd, SIGTERM) < 0)
		ret = errno == ESRCH ? 0 : -errno;
	else if (!ended_within(fd, timeout)) {
		pidfd_signal(fd, SIGKILL);
		ret = ended_within(fd, 10) ? 2 : -ETIMEDOUT;
	}
	close(fd);
	return ret;
}
