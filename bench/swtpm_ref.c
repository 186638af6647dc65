/* SPDX-License-Identifier: BSD-3-Clause */
/* swtpm_ref.c - the distribution's swtpm as a reference (see swtpm_ref.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"
#include "stats.h"
#include "swtpm_ref.h"

#define SWTPM "/usr/bin/swtpm"
#define ANSWER_TIMEOUT_NS (60ull * 1000000000ull)

bool swtpm_version(const char *path, char *version, size_t len)
{
	char line[256] = "", *v;
	int fds[2], status;
	ssize_t n = 0, r;
	pid_t pid;

	if (access(path, X_OK) != 0 || pipe2(fds, O_CLOEXEC) < 0)
		return false;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execl(path, path, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && n < (ssize_t)sizeof(line) - 1 &&
	       (r = read(fds[0], line + n, sizeof(line) - 1 - (size_t)n)) > 0)
		n += r;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return false;
	/* "TPM emulator version 0.7.1, Copyright ..." */
	line[n] = '\0';
	v = strstr(line, "version ");
	v = v ? v + strlen("version ") : line;
	v[strcspn(v, ", \n")] = '\0';
	snprintf(version, len, "swtpm %s", v);
	return true;
}

bool swtpm_ref_available(char *version, size_t len)
{
	return swtpm_version(SWTPM, version, len);
}

int swtpm_ref_connect(const char *dir)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", dir) >=
	    (int)sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Like procs.c's first_answer, through the socket: retry until swtpm
 * listens, then GetRandom(8). */
static int first_answer_socket(const char *dir)
{
	const struct timespec retry = { .tv_nsec = 200 * 1000 };
	uint64_t end = now_ns() + ANSWER_TIMEOUT_NS;
	int fd;

	while ((fd = swtpm_ref_connect(dir)) < 0) {
		if ((fd != -ENOENT && fd != -ECONNREFUSED) || now_ns() > end)
			return fd == -ENOENT ? -ETIMEDOUT : fd;
		nanosleep(&retry, NULL);
	}
	return answer_getrandom(fd);
}

pid_t swtpm_ref_start(const char *dir, double *ms)
{
	char sock[512], pidfile[512];
	char state[520], server[540], ctrl[540], pid[520];
	char *argv[] = {
		SWTPM, "socket", "--tpm2", "--tpmstate", state, "--server", server,
		"--ctrl", ctrl, "--flags", "not-need-init,startup-clear", "--daemon",
		"--pid", pid, NULL,
	};
	uint64_t t0;
	pid_t child;
	int ret;

	if (strlen(dir) > 400)
		return -ENAMETOOLONG;
	snprintf(state, sizeof(state), "dir=%s", dir);
	snprintf(server, sizeof(server), "type=unixio,path=%s/sock", dir);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s/ctrl", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/swtpm.pid", dir);
	snprintf(pid, sizeof(pid), "file=%s", pidfile);
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	unlink(sock);   /* a stale socket would be "answering" at once */
	unlink(pidfile);
	t0 = now_ns();
	child = spawn_cmd(argv);
	if (child < 0)
		return child;
	/* --daemon: the spawned process exits once it forked; the daemon may
	 * still be starting its TPM, so the socket is what tells. */
	if (wait_exit(child) != 0)
		return -ECHILD;
	ret = first_answer_socket(dir);
	if (ret < 0)
		return ret;
	if (ms)
		*ms = (double)(now_ns() - t0) / 1e6;
	return read_pidfile(pidfile);
}
