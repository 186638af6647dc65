/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock_holder.h - another process holding a state directory's storage
 * lock, as a second vtpmd or swtpm would: a child takes an open file
 * description lock on DIR/.lock and keeps it until told to let go. For the
 * tests of what waits for that lock. Include after cmocka.h.
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

/* The child holds DIR/.lock (created if missing) once this returns. */
static inline void lock_holder_start(struct lock_holder *h, const char *dir)
{
	int to[2], from[2];
	char c;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		char path[512];
		int fd;

		alarm(60);      /* never outlive a failed test for long */
		snprintf(path, sizeof(path), "%s/.lock", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) < 0 || write(from[1], "L", 1) != 1)
			_exit(1);
		_exit(read(to[0], &c, 1) == 1 ? 0 : 2);
	}
	assert_int_equal(read(from[0], &c, 1), 1);
	close(to[0]);
	close(from[0]);
	close(from[1]);
	h->release = to[1];
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
