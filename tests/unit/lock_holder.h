/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock_holder.h - another process holding the lock swtpm takes on a state
 * file (a POSIX write lock on the whole file, F_SETLK: swtpm 0.10 on a
 * linear file with --tpmstate ...,lock), for the tests that must be
 * refused while it runs. Include after cmocka.h; failures fail the test.
 */
#ifndef VTPMD_TEST_LOCK_HOLDER_H
#define VTPMD_TEST_LOCK_HOLDER_H

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that holds the lock on PATH; returns once it does. */
static inline pid_t lock_holder_start(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fds[2], fd;
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		fd = open(path, O_RDWR);
		if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
			_exit(1);
		(void)!write(fds[1], "L", 1);
		alarm(30);      /* never outlive a failed test for long */
		pause();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

static inline void lock_holder_end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#endif
