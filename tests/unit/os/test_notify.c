/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_notify.c - the sd_notify messages reach a socket named by
 * $NOTIFY_SOCKET, as a path or as an abstract name ("@..."), whole and as
 * one datagram each; without the variable nothing is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "os/notify.h"

static char dir[64];
static char sock_path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_notify.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	notify_close();
	unsetenv("NOTIFY_SOCKET");
	unlink(sock_path);
	return rmdir(dir);
}

/* A datagram socket bound to NAME ('@' = abstract), as systemd makes one. */
static int listen_on(const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	else
		len++;
	assert_int_equal(bind(fd, (struct sockaddr *)&addr,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
	return fd;
}

static void expect_message(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
}

static void test_path_socket(void **state)
{
	int fd = listen_on(sock_path);

	(void)state;
	setenv("NOTIFY_SOCKET", sock_path, 1);
	assert_int_equal(notify_open(), 0);
	assert_int_equal(notify_send("READY=1"), 0);
	assert_int_equal(notify_send("STOPPING=1"), 0);
	expect_message(fd, "READY=1");
	expect_message(fd, "STOPPING=1");
	close(fd);
}

static void test_abstract_socket(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@vtpmd-test-notify-%d", (int)getpid());
	fd = listen_on(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(notify_open(), 0);
	assert_int_equal(notify_send("READY=1"), 0);
	expect_message(fd, "READY=1");
	close(fd);
}

/* Connected at open: the path need not be reachable when sending. */
static void test_survives_unlink(void **state)
{
	int fd = listen_on(sock_path);

	(void)state;
	setenv("NOTIFY_SOCKET", sock_path, 1);
	assert_int_equal(notify_open(), 0);
	unlink(sock_path);
	assert_int_equal(notify_send("READY=1"), 0);
	expect_message(fd, "READY=1");
	close(fd);
}

static void test_unset_is_noop(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_open(), 0);
	assert_int_equal(notify_send("READY=1"), 0);
}

static void test_bad_values(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(notify_open(), -EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(notify_open(), -EINVAL);
	setenv("NOTIFY_SOCKET", sock_path, 1);   /* nobody listens */
	assert_int_equal(notify_open(), -ENOENT);
	assert_int_equal(notify_send("READY=1"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abstract_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_unlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unset_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
