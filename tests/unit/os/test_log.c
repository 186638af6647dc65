/* SPDX-License-Identifier: BSD-3-Clause */
/* test_log.c - log lines land whole, filtered, prefixed, where they are sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/log.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_log.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/log", dir);
	return 0;
}

static int teardown(void **state)
{
	char other[160];

	(void)state;
	log_close();
	unlink(path);
	snprintf(other, sizeof(other), "%s/link", dir);
	unlink(other);
	return rmdir(dir);
}

/* The whole file as a string; the caller frees it. */
static char *slurp(const char *p)
{
	static const size_t max = 1 << 20;
	char *buf = calloc(1, max + 1);
	int fd = open(p, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	assert_non_null(buf);
	assert_true(fd >= 0);
	while ((n = read(fd, buf + len, max - len)) > 0)
		len += (size_t)n;
	close(fd);
	return buf;
}

static void expect_file(const char *want)
{
	char *got = slurp(path);

	assert_string_equal(got, want);
	free(got);
}

static void test_prefix_and_newline(void **state)
{
	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	assert_true(log_fd() > STDERR_FILENO);
	log_set_prefix("vtpm0: ");
	log_error("hello %d", 1);
	log_error("ends with newline\n");
	log_set_prefix(NULL);
	log_error("no prefix");
	expect_file("vtpm0: hello 1\nvtpm0: ends with newline\nno prefix\n");
}

/* A quoted path or argument cannot add a line or an escape sequence. */
static void test_control_bytes(void **state)
{
	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	log_error("state directory '%s' is bad", "/tmp/a\nvtpmd: forged\x1b[2J\x7f");
	log_error("tab\tkept");
	expect_file("state directory '/tmp/a?vtpmd: forged?[2J?' is bad\ntab\tkept\n");
}

/* The one rule every log line and error line of the project follows: C0
 * controls but the tab, and DEL, become '?'; everything else (UTF-8
 * included) stays. */
static void test_printable_rule(void **state)
{
	char all[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)i;
	log_make_printable(all, sizeof(all));
	for (i = 0; i < sizeof(all); i++) {
		bool control = (i < 0x20 && i != '\t') || i == 0x7f;

		if ((unsigned char)all[i] != (control ? '?' : i))
			fail_msg("byte 0x%02zx became 0x%02x", i, (unsigned char)all[i]);
	}
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	assert_int_equal(log_get_level(), 1);   /* the default */
	log_error("e1");
	log_info("i1");
	log_debug("d1");
	log_set_level(2);
	assert_int_equal(log_get_level(), 2);
	log_error("e2");
	log_info("i2");
	log_debug("d2");
	log_set_level(3);
	log_info("i3");
	log_debug("d3");
	/* Level 0 still lets errors through: only --log file=- silences them. */
	log_set_level(0);
	log_error("e0");
	log_info("i0");
	expect_file("e1\ne2\ni2\ni3\nd3\ne0\n");
}

static void test_append_and_truncate(void **state)
{
	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	log_error("one");
	assert_int_equal(log_open_file(path, false), 0);   /* reopen appends */
	log_error("two");
	expect_file("one\ntwo\n");

	assert_int_equal(log_open_file(path, true), 0);
	log_error("three");
	expect_file("three\n");
}

static void test_file_mode_and_symlink(void **state)
{
	char link[160];
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_true(fcntl(log_fd(), F_GETFD) & FD_CLOEXEC);

	/* A symlink planted where the log goes is refused, not followed. */
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(log_open_file(link, false), -ELOOP);
	assert_int_equal(log_open_file("", false), -EINVAL);
	assert_int_equal(log_open_file("/nonexistent/dir/log", false), -ENOENT);
}

static void test_disable(void **state)
{
	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	log_error("before");
	log_disable();
	assert_int_equal(log_fd(), -1);
	log_error("after");
	expect_file("before\n");

	assert_int_equal(log_open_file("-", false), 0);  /* the file=- spelling */
	assert_int_equal(log_fd(), -1);

	log_close();
	assert_int_equal(log_fd(), STDERR_FILENO);
	assert_int_equal(log_get_level(), 1);
}

static void test_set_fd(void **state)
{
	int p[2];
	char buf[64] = { 0 };
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(log_set_fd(p[1]), 0);
	assert_int_equal(log_fd(), p[1]);
	log_set_prefix("x ");
	log_error("via fd");
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_int_equal(n, (ssize_t)strlen("x via fd\n"));
	assert_string_equal(buf, "x via fd\n");

	/* Not writable, or not open: refused, and the old target stays. */
	assert_int_equal(log_set_fd(p[0]), -EBADF);
	assert_int_equal(log_set_fd(999), -EBADF);
	assert_int_equal(log_fd(), p[1]);

	/* The caller's fd stays the caller's: log_close leaves it open. */
	log_close();
	assert_true(fcntl(p[1], F_GETFD) >= 0);
	close(p[0]);
	close(p[1]);
}

static void test_errno_kept(void **state)
{
	(void)state;
	assert_int_equal(log_open_file(path, false), 0);
	errno = EPERM;
	log_error("keeps errno");
	assert_int_equal(errno, EPERM);
	log_disable();
	errno = ENOSPC;
	log_error("keeps errno when off too");
	assert_int_equal(errno, ENOSPC);
}

static void test_long_line_cut(void **state)
{
	char big[3000];
	char *got;

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(log_open_file(path, false), 0);
	log_set_prefix("p: ");
	log_error("%s", big);
	log_error("next");
	got = slurp(path);
	/* One line of 1023 characters plus its newline, then the next line. */
	assert_int_equal(strlen(got), 1024 + strlen("p: next\n"));
	assert_memory_equal(got, "p: zzz", 6);
	assert_int_equal(got[1023], '\n');
	assert_string_equal(got + 1024, "p: next\n");
	free(got);
}

#define THREADS 8
#define LINES   500

static void *writer(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < LINES; i++)
		log_error("thread %ld line %d %s", id, i,
			  "padding-padding-padding-padding-padding-padding");
	return NULL;
}

/* Concurrent writers: every line arrives whole. */
static void test_threads(void **state)
{
	pthread_t t[THREADS];
	char *got, *line, *save = NULL;
	int count = 0;

	(void)state;
	assert_int_equal(log_open_file(path, true), 0);
	for (long i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	got = slurp(path);
	for (line = strtok_r(got, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		long id;
		int n, end = 0;

		assert_int_equal(sscanf(line, "thread %ld line %d %*s%n", &id, &n,
					&end), 2);
		assert_int_equal((size_t)end, strlen(line));
		count++;
	}
	assert_int_equal(count, THREADS * LINES);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefix_and_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_bytes, setup, teardown),
		cmocka_unit_test(test_printable_rule),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_and_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_mode_and_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
