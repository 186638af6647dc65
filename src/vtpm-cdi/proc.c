/* SPDX-License-Identifier: BSD-3-Clause */
/* proc.c - fork, exec, capture, wait; a process told apart by its start
 * time; stopping a daemon through a pidfd. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/privs.h"
#include "text/number.h"
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

/* The whole of a small /proc file into BUF (NUL-terminated). */
static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int boot_id(char out[PROC_BOOT_ID_LEN + 1])
{
	char buf[64];
	int ret = read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf));

	if (ret < 0)
		return ret;
	if (strlen(buf) < PROC_BOOT_ID_LEN)
		return -EINVAL;
	memcpy(out, buf, PROC_BOOT_ID_LEN);
	out[PROC_BOOT_ID_LEN] = '\0';
	return 0;
}

/* Field 22 of /proc/PID/stat. The name (field 2) may hold spaces and ')',
 * so counting starts after its last ')'. -ESRCH: no such process. */
static int start_time(pid_t pid, uint64_t *start)
{
	char path[64], buf[1024], *p, *end;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = read_small(path, buf, sizeof(buf));
	if (ret == -ENOENT)
		return -ESRCH;
	if (ret < 0)
		return ret;
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* after ')': " state(3) ppid(4) ... starttime(22)" */
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	end = p + 1 + strcspn(p + 1, " \n");
	*end = '\0';
	return number_parse(p + 1, NUMBER_DEC, UINT64_MAX, start) < 0 ? -EINVAL : 0;
}

int proc_id_of(pid_t pid, struct proc_id *id)
{
	int ret;

	memset(id, 0, sizeof(*id));
	if (pid <= 0)
		return -ESRCH;
	id->pid = pid;
	ret = start_time(pid, &id->start);
	if (ret == 0)
		ret = boot_id(id->boot);
	return ret;
}

int proc_id_alive(const struct proc_id *id)
{
	char boot[PROC_BOOT_ID_LEN + 1];
	uint64_t start;
	int ret = boot_id(boot);

	if (ret < 0)
		return ret;
	if (strcmp(boot, id->boot) != 0)
		return 0;               /* started in an earlier boot */
	ret = start_time(id->pid, &start);
	if (ret == -ESRCH)
		return 0;
	if (ret < 0)
		return ret;
	return start == id->start;
}

int proc_id_format(const struct proc_id *id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%d %" PRIu64 " %s", (int)id->pid, id->start, id->boot);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool boot_id_valid(const char *s)
{
	for (size_t i = 0; i < PROC_BOOT_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');

		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return s[PROC_BOOT_ID_LEN] == '\0';
}

/* The next word of *S (up to a single ' ') into BUF; *S moves past it. */
static int next_word(const char **s, char *buf, size_t len)
{
	size_t n = strcspn(*s, " ");

	if (n == 0 || n >= len || (*s)[n] != ' ')
		return -EINVAL;
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s += n + 1;
	return 0;
}

int proc_id_parse(const char *s, struct proc_id *id)
{
	char word[24];
	uint64_t pid, start;

	memset(id, 0, sizeof(*id));
	if (next_word(&s, word, sizeof(word)) < 0 ||
	    number_parse(word, NUMBER_DEC, INT_MAX, &pid) < 0 || pid == 0 ||
	    next_word(&s, word, sizeof(word)) < 0 ||
	    number_parse(word, NUMBER_DEC, UINT64_MAX, &start) < 0 || !boot_id_valid(s))
		return -EINVAL;
	id->pid = (pid_t)pid;
	id->start = start;
	memcpy(id->boot, s, PROC_BOOT_ID_LEN + 1);
	return 0;
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

int proc_stop(const struct proc_id *id, unsigned timeout)
{
	int fd, alive, ret = 1;

	if (id->pid <= 1)
		return 0;
	/* The pidfd pins the process: checked, then signalled, as one. Should
	 * the pid be recycled after the check, the pidfd still names the one
	 * that ended, and signalling it fails with ESRCH. */
	fd = pidfd_open_(id->pid);
	if (fd < 0)
		return errno == ESRCH ? 0 : -errno;
	alive = proc_id_alive(id);
	if (alive <= 0) {
		close(fd);
		return alive;
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
