/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_janitor.c - fork, confine, wait for the daemon's end, unlink, report. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>


#include "vtpmd/cdi_janitor.h"
#include "os/log.h"
#include "os/privs.h"

#define READY 'R'

/* Close every fd but the three kept (in any order). */
static void close_all_but(int a, int b, int c)
{
	int keep[3] = { a, b, c }, t;
	unsigned lo = 0;

	for (int i = 0; i < 3; i++)
		for (int k = i + 1; k < 3; k++)
			if (keep[k] < keep[i]) {
				t = keep[i];
				keep[i] = keep[k];
				keep[k] = t;
			}
	for (int i = 0; i < 3; i++) {
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0u, 0);
}

static int install_filter(int dirfd, enum seccomp_action action)
{
#ifdef __SANITIZE_ADDRESS__
	/* As for the daemon: a sanitizer build logs instead of killing. */
	if (action == SECCOMP_ACTION_KILL)
		action = SECCOMP_ACTION_LOG;
#endif
	return seccomp_unlinker_install(action, dirfd);
}

static void write_byte(int fd, unsigned char b)
{
	while (write(fd, &b, 1) < 0 && errno == EINTR)
		;
}

/* The child: never returns. */
__attribute__((noreturn))
static void janitor_main(int dirfd, const char *file, int release, int result,
			 enum seccomp_action action)
{
	size_t len = strlen(file);
	char name[256], c;
	ssize_t n;
	int err;

	/* The file name moves onto the stack: nothing else is needed from the
	 * parent's memory. */
	if (len >= sizeof(name))
		_exit(1);
	memcpy(name, file, len + 1);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "vtpmd-cdi", 0, 0, 0);
	if (privs_drop(NULL) < 0)
		_exit(1);
	/* No terminal, no log, no ready pipe of the parent that waits for the
	 * daemon: a caller reading our stdout must not wait for us. */
	close_all_but(dirfd, release, result);
	if (install_filter(dirfd, action) < 0)
		_exit(1);
	write_byte(result, READY);
	do {
		n = read(release, &c, 1);
	} while (n > 0 || (n < 0 && errno == EINTR));
	err = unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? errno : 0;
	write_byte(result, (unsigned char)(err > 255 ? EIO : err));
	_exit(0);
}

int cdi_janitor_start(struct cdi_janitor *j, int dirfd, const char *file,
		      enum seccomp_action action)
{
	int release[2], result[2], err;
	unsigned char b;
	ssize_t n;
	pid_t pid;

	j->pid = -1;
	j->release_fd = j->result_fd = -1;
	if (pipe2(release, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(result, O_CLOEXEC) < 0) {
		err = -errno;
		close(release[0]);
		close(release[1]);
		return err;
	}
	pid = fork();
	if (pid == 0) {
		close(release[1]);
		close(result[0]);
		janitor_main(dirfd, file, release[0], result[1], action);
	}
	err = pid < 0 ? -errno : 0;
	close(release[0]);
	close(result[1]);
	if (err == 0) {
		do {
			n = read(result[0], &b, 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1 || b != READY)
			err = -ECHILD;
	}
	if (err < 0) {
		log_error("CDI: the process that removes the spec at exit did not start: %s",
			  strerror(-err));
		close(release[1]);
		close(result[0]);
		return err;
	}
	j->pid = pid;
	j->release_fd = release[1];
	j->result_fd = result[0];
	return 0;
}

int cdi_janitor_finish(struct cdi_janitor *j)
{
	unsigned char b;
	ssize_t n;

	if (j->release_fd < 0)
		return 0;
	close(j->release_fd);
	j->release_fd = -1;
	do {
		n = read(j->result_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	close(j->result_fd);
	j->result_fd = -1;
	if (n != 1)
		return -ECHILD;
	return b ? -(int)b : 0;
}
