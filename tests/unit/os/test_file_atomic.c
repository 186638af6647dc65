/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_file_atomic.c - os/file_atomic.h on a real directory: a replacement
 * that works (modes with and without the umask, a stale temp file, names
 * that are symlinks), and a failure injected at each named step by the
 * kernel itself: a child process installs a seccomp filter that fails one
 * system call with an errno, then writes. Each failure must name its step
 * with that errno, leave the old file as it was (or, when only the last
 * fsync fails, the new one) and no temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/file_atomic.h"
#include "test_files.h"
#include "state_dir.h"

#define TMP_NAME "tmp.new"

static int dirfd_;

static int setup(void **state)
{
	(void)state;
	if (state_dir_setup() < 0 || mkdir(sdir, 0700) < 0)
		return -1;
	dirfd_ = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(dirfd_);
	return state_dir_teardown();
}

static struct file_atomic atomic(mode_t mode, bool exact)
{
	return (struct file_atomic){
		.dirfd = dirfd_, .tmp = TMP_NAME, .mode = mode, .exact_mode = exact,
	};
}

static void assert_holds(const char *name, const char *text)
{
	size_t len;
	uint8_t *buf = read_file(sdir, name, &len);

	if (len != strlen(text) || memcmp(buf, text, len) != 0)
		fail_msg("%s holds '%.*s', not '%s'", name, (int)len, buf, text);
	free(buf);
}

static void test_replaces(void **state)
{
	struct file_atomic f = atomic(0640, true);
	char err[128] = "";

	(void)state;
	umask(077);
	assert_int_equal(file_atomic_write(&f, "final", "one", 3, err, sizeof(err)), 0);
	assert_holds("final", "one");
	assert_int_equal(file_mode(sdir, "final"), 0640);      /* exactly MODE */
	f = atomic(0644, false);
	assert_int_equal(file_atomic_write(&f, "final", "two!", 4, err, sizeof(err)), 0);
	assert_holds("final", "two!");
	assert_int_equal(file_mode(sdir, "final"), 0600);      /* MODE less the umask */
	assert_false(exists(sdir, TMP_NAME));
	assert_string_equal(err, "");
	umask(022);
}

/* A temp file left by a crash (any mode, any bytes, even a symlink) is
 * replaced, never followed; a symlink at the final name is replaced by the
 * file, and what it pointed to is left alone. */
static void test_stale_temp_and_symlinks(void **state)
{
	struct file_atomic f = atomic(0600, true);
	char target[400], tmp[400], final[400];

	(void)state;
	path_in(target, sizeof(target), base, "outside");
	write_file_at(target, "keep", 4, 0600);
	path_in(tmp, sizeof(tmp), sdir, TMP_NAME);
	assert_int_equal(symlink(target, tmp), 0);
	path_in(final, sizeof(final), sdir, "final");
	assert_int_equal(symlink(target, final), 0);

	assert_int_equal(file_atomic_write(&f, "final", "new", 3, NULL, 0), 0);
	assert_holds("final", "new");
	assert_int_equal(file_mode(sdir, "final"), 0600);      /* a file, not the link */
	assert_false(exists(sdir, TMP_NAME));
	{
		size_t len;
		uint8_t *buf = read_file_at(target, &len);

		assert_int_equal(len, 4);
		assert_memory_equal(buf, "keep", 4);
		free(buf);
	}

	write_file(sdir, TMP_NAME, "junk junk", 9, 0666);
	assert_int_equal(file_atomic_write(&f, "final", "newer", 5, NULL, 0), 0);
	assert_holds("final", "newer");
	assert_false(exists(sdir, TMP_NAME));
}

static void test_names_are_one_component(void **state)
{
	struct file_atomic f = atomic(0600, true);
	char err[128];

	(void)state;
	assert_int_equal(file_atomic_write(&f, "../escape", "x", 1, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "naming the file: Invalid argument");
	assert_false(exists(sdir, TMP_NAME));
	assert_false(exists(base, "escape"));
	f.tmp = "sub/tmp";
	assert_int_equal(file_atomic_write(&f, "final", "x", 1, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "naming the temp file: Invalid argument");
	f.tmp = "..";
	assert_int_equal(file_atomic_write(&f, "final", "x", 1, NULL, 0), -EINVAL);
	assert_false(exists(sdir, "final"));
}

/* ---- a failure at each step ---- */

struct fault {
	const char *step;               /* as the error line names it */
	const char *syscalls[2];
	int err;
	enum { ANY, NOT_DIRFD, DIRFD, CREATING } when;
	bool replaced;                  /* the step comes after the rename */
};

static const struct fault faults[] = {
	{ "removing a stale temp file", { "unlinkat" }, EIO, ANY, false },
	{ "creating the temp file", { "openat" }, EACCES, CREATING, false },
	{ "chmod", { "fchmod" }, EPERM, ANY, false },
	{ "write", { "write" }, ENOSPC, ANY, false },
	{ "fsync", { "fsync" }, EIO, NOT_DIRFD, false },
	{ "close", { "close" }, EIO, NOT_DIRFD, false },
	{ "rename", { "renameat", "renameat2" }, EXDEV, ANY, false },
	{ "fsync of the directory", { "fsync" }, EIO, DIRFD, true },
};

/* What the child reports through shared memory. */
struct outcome {
	int ret;
	char err[128];
};

static int inject(const struct fault *fl)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; ret == 0 && i < 2 && fl->syscalls[i]; i++) {
		int nr = seccomp_syscall_resolve_name(fl->syscalls[i]);
		uint32_t act = SCMP_ACT_ERRNO((uint32_t)fl->err);

		if (nr == __NR_SCMP_ERROR)
			continue;
		switch (fl->when) {
		case ANY:
			ret = seccomp_rule_add(ctx, act, nr, 0);
			break;
		case NOT_DIRFD:
			ret = seccomp_rule_add(ctx, act, nr, 1,
					       SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)dirfd_));
			break;
		case DIRFD:
			ret = seccomp_rule_add(ctx, act, nr, 1,
					       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)dirfd_));
			break;
		case CREATING:
			ret = seccomp_rule_add(ctx, act, nr, 1,
					       SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT));
			break;
		}
	}
	if (ret == 0)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

static void fails_at(const struct fault *fl, struct outcome *out)
{
	struct file_atomic f = atomic(0600, true);
	char want[160];
	int status;
	pid_t pid;

	write_file(sdir, "final", "old", 3, 0600);
	memset(out, 0, sizeof(*out));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (inject(fl) < 0)
			_exit(2);
		out->ret = file_atomic_write(&f, "final", "new", 3, out->err,
					     sizeof(out->err));
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("step %s: the child failed (status 0x%x)", fl->step, status);
	snprintf(want, sizeof(want), "%s: %s", fl->step, strerror(fl->err));
	if (out->ret != -fl->err || strcmp(out->err, want) != 0)
		fail_msg("step %s: expected %d '%s', got %d '%s'", fl->step, -fl->err,
			 want, out->ret, out->err);
	assert_holds("final", fl->replaced ? "new" : "old");
	if (exists(sdir, TMP_NAME))
		fail_msg("step %s left the temp file", fl->step);
}

static void test_each_step_fails_cleanly(void **state)
{
	struct outcome *out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(out != MAP_FAILED);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		fails_at(&faults[i], out);
	munmap(out, sizeof(*out));
}

/* stage, then abort: nothing changes. */
static void test_abort(void **state)
{
	struct file_atomic f = atomic(0600, true);

	(void)state;
	write_file(sdir, "final", "old", 3, 0600);
	assert_int_equal(file_atomic_stage(&f, "new", 3, NULL, 0), 0);
	assert_true(exists(sdir, TMP_NAME));
	assert_holds("final", "old");
	file_atomic_abort(&f);
	assert_false(exists(sdir, TMP_NAME));
	assert_holds("final", "old");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temp_and_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_are_one_component, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_step_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
