/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock_holder.h - another process holding a state's storage lock, as a
 * second vtpmd or swtpm would, until told to let go: an open file
 * description lock on a state directory's DIR/.lock (lock_holder_start),
 * or the POSIX write lock swtpm 0.10 takes on a whole linear state file
 * with --tpmstate ...,lock (lock_holder_start_file). For the tests of what
 * waits for that lock or is refused while it is held. Include after
 * cmocka.h; failures fail the test.
 */
#ifndef VTPMD_TEST_LOCK_HOLDER_H
#define VTPMD_TEST_LOCK_HOLDER_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

struct lock_holder {
	pid_t pid;
	int release;            /* a byte here ends the child */
};

/* The child holds PATH's lock (fcntl CMD; FLAGS for its open) once this
 * returns. */
static inline void lock_holder_fork(struct lock_holder *h, const char *path, int cmd,
				    int flags)
{
	int to[2], from[2];
	char c;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd;

		alarm(60);      /* never outlive a failed test for long */
		fd = open(path, flags | O_CLOEXEC, 0640);
		if (fd < 0 || fcntl(fd, cmd, &fl) < 0 || write(from[1], "L", 1) != 1)
			_exit(1);
		_exit(read(to[0], &c, 1) == 1 ? 0 : 2);
	}
	assert_int_equal(read(from[0], &c, 1), 1);
	close(to[0]);
	close(from[0]);
	close(from[1]);
	h->release = to[1];
}

/* DIR/.lock (created if missing), as vtpmd and swtpm lock a directory. */
static inline void lock_holder_start(struct lock_holder *h, const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/.lock", dir);
	lock_holder_fork(h, path, F_OFD_SETLK, O_WRONLY | O_CREAT);
}

/* The existing linear state file PATH, as swtpm 0.10 locks it. */
static inline void lock_holder_start_file(struct lock_holder *h, const char *path)
{
	lock_holder_fork(h, path, F_SETLK, O_RDWR);
}

/* Let go, and check the child held the lock all along. */
static inline void lock_holder_stop(struct lock_holder *h)
{
	int status;

	assert_int_equal(write(h->release, "G", 1), 1);
	close(h->release);
	assert_int_equal(waitpid(h->pid, &status, 0), h->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
