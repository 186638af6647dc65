/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_seccomp.c - the allow-list, installed in forked children: what it
 * kills, what it lets through, and a whole device session (real libtpms,
 * real cuse_dev over a socketpair, see cuse_peer.h) running under it from
 * CUSE_INIT to exit, as the daemon runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cuse/cuse_dev.h"
#include "cuse_peer.h"
#include "os/seccomp.h"
#include "vtpm/ioctl.h"
#include "vtpm_options.h"
#include "vtpmd/nodes.h"

/* Run FN in a child; returns its wait status. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void assert_killed_by_sigsys(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void assert_exit_ok(int status)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int status_line_is(const char *want)
{
	char line[128];
	int found = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		found |= strcmp(line, want) == 0;
	fclose(f);
	return found;
}

static int socket_after_kill_filter(void *arg)
{
	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_KILL) < 0)
		return 10;
	if (!status_line_is("Seccomp:\t2\n"))
		return 11;
	syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	return 0;               /* not reached: the process is killed */
}

static int fork_after_filter(void *arg)
{
	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_KILL) < 0)
		return 10;
	if (fork() == 0)
		_exit(0);
	return 0;
}

static int execve_after_filter(void *arg)
{
	char *argv[] = { "true", NULL };

	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_KILL) < 0)
		return 10;
	execve("/bin/true", argv, NULL);
	return 0;
}

static int signal_parent_after_filter(void *arg)
{
	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_KILL) < 0)
		return 10;
	syscall(SYS_tgkill, getppid(), getppid(), 0);
	return 0;
}

static void test_outside_the_list_kills(void **state)
{
	(void)state;
	assert_killed_by_sigsys(in_child(socket_after_kill_filter, NULL));
	assert_killed_by_sigsys(in_child(fork_after_filter, NULL));
	assert_killed_by_sigsys(in_child(execve_after_filter, NULL));
	assert_killed_by_sigsys(in_child(signal_parent_after_filter, NULL));
}

static void *thread_main(void *arg)
{
	return arg;
}

static int threads_under_filter(void *arg)
{
	pthread_t t;
	void *ret = NULL;

	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_KILL) < 0)
		return 10;
	/* glibc tries clone3 first (ENOSYS under the filter), then clone */
	if (pthread_create(&t, NULL, thread_main, (void *)1) != 0)
		return 11;
	if (pthread_join(t, &ret) != 0 || ret != (void *)1)
		return 12;
	return 0;
}

/* ASan's thread start-up makes calls of its own (a sanitizer vtpmd logs
 * rather than kills for that reason): these two run in the plain build. */
static void skip_under_asan(void)
{
#ifdef __SANITIZE_ADDRESS__
	skip();
#endif
}

static void test_threads_allowed(void **state)
{
	(void)state;
	skip_under_asan();
	assert_exit_ok(in_child(threads_under_filter, NULL));
}

static int socket_after_log_filter(void *arg)
{
	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_LOG) < 0)
		return 10;
	if (!status_line_is("Seccomp:\t2\n"))
		return 11;
	return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 12;
}

static int no_filter(void *arg)
{
	(void)arg;
	if (seccomp_allowlist_install(SECCOMP_ACTION_NONE) < 0)
		return 10;
	return status_line_is("Seccomp:\t0\n") ? 0 : 11;
}

static void test_log_and_none(void **state)
{
	(void)state;
	assert_exit_ok(in_child(socket_after_log_filter, NULL));
	assert_exit_ok(in_child(no_filter, NULL));
}

/* --- a device session under the filter ------------------------------------ */

static int lock_down(void *ctx)
{
	(void)ctx;
	return seccomp_allowlist_install(SECCOMP_ACTION_KILL);
}

struct daemon_args {
	int fd;                 /* the daemon's end of the socketpair */
	bool bad_state;         /* start with a damaged tpm2-00.permall */
	char dir[32];           /* its state directory, made and removed by the test */
};

static void make_state_dir(struct daemon_args *a)
{
	snprintf(a->dir, sizeof(a->dir), "/tmp/vtpmd-seccomp-XXXXXX");
	assert_non_null(mkdtemp(a->dir));
}

/* The daemon cannot: execve is not on its list. */
static void remove_state_dir(const struct daemon_args *a)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", a->dir);
	assert_int_equal(system(cmd), 0);
}

/* The daemon's side: what vtpmd does, with the socket for /dev/cuse. */
static int daemon_side(void *arg)
{
	struct daemon_args *a = arg;
	int fd = a->fd;
	const char *dir = a->dir;
	char path[64];
	const struct vtpm_options vopt = test_vtpm_options(dir, false, STARTUP_NONE, true);
	struct vtpm v;
	struct vtpmd_door door = { &v, VTPM_DOOR_NODE };
	const struct cuse_node_options opt = {
		.name = "vtpmsc", .ops = nodes_door_ops(), .ctx = &door,
	};
	struct cuse_server *s;
	FILE *f;
	int ret;

	if (a->bad_state) {
		/* As after daemon_ready(): stdio on /dev/null, a character
		 * device, which glibc's stdio asks the tty layer about. */
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
			return 10;
		/* swtpm's header, then a TLV that does not fit */
		static const uint8_t bad[] = { 2, 2, 0, 0, 0, 10, 0, 0, 0, 20, 0, 1, 0, 0, 0, 9 };

		snprintf(path, sizeof(path), "%s/tpm2-00.permall", dir);
		f = fopen(path, "wb");
		if (!f || fwrite(bad, 1, sizeof(bad), f) != sizeof(bad) || fclose(f) != 0)
			return 10;
	}
	if (vtpm_init(&v, &vopt) < 0)
		return 10;
	s = cuse_server_new();
	if (!s || cuse_server_add(s, &opt, fd) < 0)
		return 11;
	ret = cuse_server_run(s, lock_down, NULL);
	cuse_server_free(s);
	vtpm_fini(&v);          /* the shutdown rule writes state: filtered too */
	return ret == 0 ? 0 : 12;
}

static uint32_t ioctl_result(struct cuse_peer *p, uint32_t cmd, void *arg)
{
	uint8_t out[8192];
	uint32_t size = _IOC_SIZE(cmd), res = 0xffffffff;
	int32_t err = 1;
	ssize_t n;

	n = cuse_peer_reply(p, cuse_peer_send_ioctl(p, cmd, arg,
						    (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0,
						    (_IOC_DIR(cmd) & _IOC_READ) ? size : 0),
			    &err, out, sizeof(out));
	assert_int_equal(err, 0);
	assert_true(n >= (ssize_t)(sizeof(struct fuse_ioctl_out) + 4));
	memcpy(&res, out + sizeof(struct fuse_ioctl_out), 4);
	if (arg && (_IOC_DIR(cmd) & _IOC_READ))
		memcpy(arg, out + sizeof(struct fuse_ioctl_out),
		       (size_t)n - sizeof(struct fuse_ioctl_out));
	return res;
}

static void transact(struct cuse_peer *p, const uint8_t *cmd, uint32_t len,
		     uint32_t want_rc)
{
	uint8_t resp[4096];
	struct fuse_write_out wo;
	int32_t err = 1;
	ssize_t n;

	cuse_peer_reply(p, cuse_peer_send_write(p, cmd, len), &err, &wo, sizeof(wo));
	assert_int_equal(err, 0);
	n = cuse_peer_reply(p, cuse_peer_send_read(p, sizeof(resp)), &err, resp, sizeof(resp));
	assert_int_equal(err, 0);
	assert_true(n >= 10);
	assert_int_equal((uint32_t)resp[6] << 24 | resp[7] << 16 | resp[8] << 8 | resp[9],
			 want_rc);
}

/* The daemon of A (its state directory made here) in a child, CUSE-initialised
 * and opened through P; returns the child's pid. */
static pid_t start_daemon(struct daemon_args *a, struct cuse_peer *p)
{
	struct fuse_open_out oo;
	uint8_t out[512];
	int32_t err = 1;
	int fd = -1;
	pid_t pid;

	make_state_dir(a);
	assert_int_equal(cuse_peer_open(p, &fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		a->fd = fd;
		cuse_peer_close(p);
		_exit(daemon_side(a));
	}
	close(fd);
	cuse_peer_reply(p, cuse_peer_send_init(p), &err, out, sizeof(out));
	assert_int_equal(err, 0);
	cuse_peer_reply(p, cuse_peer_send_open(p), &err, &oo, sizeof(oo));
	assert_int_equal(err, 0);
	p->fh = oo.fh;
	return pid;
}

/* The kernel's side goes away: the daemon must end cleanly. */
static void end_daemon(const struct daemon_args *a, struct cuse_peer *p, pid_t pid)
{
	int status;

	cuse_peer_close(p);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_exit_ok(status);
	remove_state_dir(a);
}

static void test_device_session_under_filter(void **state)
{
	static const uint8_t startup[] = {
		0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t getrandom[] = {
		0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };
	static union {
		struct ptm_init init;
		struct ptm_getstate get;
		uint8_t bytes[8192];
	} arg;
	struct cuse_peer p;
	uint8_t out[512];
	int32_t err = 1;
	pid_t pid;

	struct daemon_args a = { .bad_state = false };

	(void)state;
	skip_under_asan();
	pid = start_daemon(&a, &p);

	/* INIT after the filter: libtpms starts, reads and writes state */
	memset(&arg, 0, sizeof(arg));
	assert_int_equal(ioctl_result(&p, PTM_INIT, &arg), 0);
	transact(&p, startup, sizeof(startup), 0);
	transact(&p, getrandom, sizeof(getrandom), 0);
	assert_int_equal(ioctl_result(&p, PTM_STORE_VOLATILE, NULL), 0);
	assert_int_equal(ioctl_result(&p, PTM_CANCEL_TPM_CMD, NULL), 0);
	memset(&arg, 0, sizeof(arg));
	arg.get.u.req.type = PTM_BLOB_TYPE_PERMANENT;
	assert_int_equal(ioctl_result(&p, PTM_GET_STATEBLOB, &arg), 0);
	assert_int_equal(ioctl_result(&p, PTM_STOP, NULL), 0);
	memset(&arg, 0, sizeof(arg));
	assert_int_equal(ioctl_result(&p, PTM_INIT, &arg), 0);
	cuse_peer_reply(&p, cuse_peer_send_release(&p), &err, out, sizeof(out));

	/* The kernel drops the device: the session ends, the TPM's state is
	 * written, worker threads are cancelled, the process exits. */
	end_daemon(&a, &p, pid);
}

/* libtpms reports a damaged state on stderr; on /dev/null glibc first asks
 * the tty layer (ioctl TCGETS): the filter must let that through. */
static void test_bad_state_under_filter(void **state)
{
	struct cuse_peer p;
	uint32_t res;
	pid_t pid;
	static uint8_t arg[64];

	struct daemon_args a = { .bad_state = true };

	(void)state;
	skip_under_asan();
	pid = start_daemon(&a, &p);
	res = ioctl_result(&p, PTM_INIT, arg);
	assert_int_not_equal(res, 0);           /* refused, and still there */
	ioctl_result(&p, PTM_GET_CAPABILITY, arg);     /* answers (err 0) */
	end_daemon(&a, &p, pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outside_the_list_kills),
		cmocka_unit_test(test_threads_allowed),
		cmocka_unit_test(test_log_and_none),
		cmocka_unit_test(test_device_session_under_filter),
		cmocka_unit_test(test_bad_state_under_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
