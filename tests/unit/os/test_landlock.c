/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_landlock.c - the serving daemon's file system through the real
 * kernel's Landlock: in a child confined to a state directory, state
 * writes (create, write, rename, remove) work there and nowhere else, no
 * other file opens, and files opened before stay usable; the pid file's
 * directory allows removal only; a sanitizer build may read anywhere.
 * Skipped where the kernel has no Landlock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/landlock.h"
#include "test_files.h"
#include "state_dir.h"

static char state_dir[300], other[300], piddir[300];

static int setup(void **state)
{
	(void)state;
	if (state_dir_setup() < 0)
		return -1;
	snprintf(state_dir, sizeof(state_dir), "%s", sdir);
	snprintf(other, sizeof(other), "%s/other", base);
	snprintf(piddir, sizeof(piddir), "%s/run", base);
	return mkdir(state_dir, 0700) || mkdir(other, 0700) || mkdir(piddir, 0700);
}

static int teardown(void **state)
{
	(void)state;
	return state_dir_teardown();
}

/* errno of open(DIR/NAME, FLAGS), 0 if it opened (and was closed). */
static int open_err(const char *dir, const char *name, int flags)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static void touch(const char *dir, const char *name)
{
	assert_int_equal(open_err(dir, name, O_WRONLY | O_CREAT), 0);
}

/* Each child below exits with the number of the first check that failed
 * (0: all held); state_dir.h's in_child() runs it. */
static int confined_child(void)
{
	const struct landlock_paths p = { .state_dir = state_dir };
	char from[400], to[400];
	int before, dirfd;

	before = open(other, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (before < 0 || dirfd < 0)
		return 100;
	{
		char path[400];
		int held;

		snprintf(path, sizeof(path), "%s/held", other);
		held = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (held < 0 || landlock_confine(&p) < 1)
			return 101;
		/* what it held before stays usable */
		if (write(held, "x", 1) != 1)
			return 1;
		close(held);
	}
	/* the state directory: what a state write does */
	if (open_err(state_dir, "TMP2-00.permall", O_WRONLY | O_CREAT | O_EXCL))
		return 2;
	snprintf(from, sizeof(from), "%s/TMP2-00.permall", state_dir);
	snprintf(to, sizeof(to), "%s/tpm2-00.permall", state_dir);
	if (rename(from, to) < 0)
		return 3;
	if (renameat(dirfd, "tpm2-00.permall", dirfd, "tpm2-00.permall.bak") < 0)
		return 4;
	if (open_err(state_dir, "tpm2-00.permall.bak", O_RDONLY))
		return 5;
	if (unlinkat(dirfd, "tpm2-00.permall.bak", 0) < 0)
		return 6;
	/* nothing else: not a file elsewhere, not even for reading, not
	 * through a directory fd held from before */
	if (open_err(other, "x", O_WRONLY | O_CREAT) != EACCES)
		return 7;
	if (open_err("/etc", "passwd", O_RDONLY) != EACCES)
		return 8;
	if (openat(before, "held", O_RDONLY) >= 0 || errno != EACCES)
		return 9;
	if (unlinkat(before, "held", 0) == 0 || errno != EACCES)
		return 10;
	if (mkdirat(dirfd, "sub", 0700) == 0 || errno != EACCES)
		return 11;
	if (mkfifoat(dirfd, "fifo", 0600) == 0 || errno != EACCES)
		return 12;
	if (symlinkat("/etc/passwd", dirfd, "link") == 0 || errno != EACCES)
		return 13;
	if (open_err("/dev", "null", O_RDWR) != EACCES)
		return 14;
	/* out of the state directory by rename: no */
	touch(state_dir, "f");
	snprintf(from, sizeof(from), "%s/f", state_dir);
	snprintf(to, sizeof(to), "%s/f", other);
	if (rename(from, to) == 0 || (errno != EACCES && errno != EXDEV))
		return 15;
	return 0;
}

static void test_confined_to_state_dir(void **state)
{
	(void)state;
	if (landlock_abi() < 1)
		skip();
	assert_int_equal(in_child(confined_child), 0);
	/* the parent was never confined */
	touch(other, "parent");
}

static int remove_child(void)
{
	const struct landlock_paths p = { .state_dir = state_dir, .remove_dir = piddir };
	char path[400];

	if (landlock_confine(&p) < 1)
		return 100;
	snprintf(path, sizeof(path), "%s/vtpmd.pid", piddir);
	if (unlink(path) < 0)
		return 1;
	if (open_err(piddir, "new", O_WRONLY | O_CREAT) != EACCES)
		return 2;
	if (open_err(piddir, "other", O_RDONLY) != EACCES)
		return 3;
	return 0;
}

static void test_pid_dir_removal_only(void **state)
{
	(void)state;
	if (landlock_abi() < 1)
		skip();
	touch(piddir, "vtpmd.pid");
	touch(piddir, "other");
	assert_int_equal(in_child(remove_child), 0);
	assert_int_equal(open_err(piddir, "vtpmd.pid", O_RDONLY), ENOENT);
}

static int read_anywhere_child(void)
{
	const struct landlock_paths p = { .state_dir = state_dir, .read_anywhere = true };

	if (landlock_confine(&p) < 1)
		return 100;
	if (open_err("/etc", "passwd", O_RDONLY))
		return 1;
	if (open_err("/proc/self", "maps", O_RDONLY))
		return 2;
	if (open_err(other, "x", O_WRONLY | O_CREAT) != EACCES)
		return 3;
	return 0;
}

static void test_read_anywhere(void **state)
{
	(void)state;
	if (landlock_abi() < 1)
		skip();
	assert_int_equal(in_child(read_anywhere_child), 0);
}

static int bad_dir_child(void)
{
	const struct landlock_paths p = { .state_dir = "/nonexistent/state" };

	return landlock_confine(&p) == -ENOENT ? 0 : 1;
}

static void test_state_dir_missing(void **state)
{
	(void)state;
	if (landlock_abi() < 1)
		skip();
	assert_int_equal(in_child(bad_dir_child), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_confined_to_state_dir),
		T(test_pid_dir_removal_only),
		T(test_read_anywhere),
		T(test_state_dir_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
