/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cdi_publish.c - vtpmd --cdi's spec file: written atomically with the
 * node's real numbers (here /dev/null's, a character device every machine
 * has), removed by the janitor when the owner ends in order, when it is
 * SIGKILLed, and not when only the janitor is sent SIGTERM; the janitor
 * runs as uid 0 with no capability, under seccomp, holding three fds.
 * Needs root (the janitor drops privileges); skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cdispec/cdi_file.h"
#include "vtpmd/cdi_publish.h"

static char dir[64];
static char spec_path[160];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_cdi_publish.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(spec_path, sizeof(spec_path), "%s/vtpmd-dev-null.json", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		skip();
}

static const struct cdi_publish_args null_args = {
	.devname = "null", .kind = "vtpmd.io/tpm", .container_path = "/dev/tpm0",
	.seccomp = SECCOMP_ACTION_KILL,
};

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Wait up to 10 s for PATH to disappear. */
static bool gone_within(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		if (!exists(path))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return !exists(path);
}

static void assert_spec_names_null(void)
{
	struct json_object *root = json_object_from_file(spec_path), *devs, *d, *e, *nodes, *n, *v;

	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "devices", &devs));
	d = json_object_array_get_idx(devs, 0);
	assert_true(json_object_object_get_ex(d, "name", &v));
	assert_string_equal(json_object_get_string(v), "null");
	assert_true(json_object_object_get_ex(d, "containerEdits", &e));
	assert_true(json_object_object_get_ex(e, "deviceNodes", &nodes));
	n = json_object_array_get_idx(nodes, 0);
	assert_true(json_object_object_get_ex(n, "hostPath", &v));
	assert_string_equal(json_object_get_string(v), "/dev/null");
	assert_true(json_object_object_get_ex(n, "major", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(n, "minor", &v));
	assert_int_equal(json_object_get_int(v), 3);
	json_object_put(root);
}

/* The value of FIELD in /proc/PID/status, e.g. "Seccomp". */
static void status_field(pid_t pid, const char *field, char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':') {
			snprintf(out, len, "%s", line + strlen(field) + 1 + strspn(line + strlen(field) + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
		}
	}
	fclose(f);
}

static int count_fds(pid_t pid)
{
	char cmd[64], buf[16];
	FILE *p;
	int n;

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/fd | wc -l", (int)pid);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	n = atoi(buf);
	return n;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_publish_then_orderly_exit(void **state)
{
	struct cdi_publisher p;
	char err[256], v[64], tmp[160];
	struct stat st;
	pid_t janitor;

	(void)state;
	skip_unless_root();
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, dir, "null", err, sizeof(err)), 0);
	assert_false(exists(spec_path));
	assert_int_equal(cdi_publish(&p, &null_args, err, sizeof(err)), 0);
	assert_spec_names_null();
	assert_int_equal(stat(spec_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* No temporary file is left beside it. */
	snprintf(tmp, sizeof(tmp), "%s/.vtpmd-dev-null.json.tmp", dir);
	assert_false(exists(tmp));

	janitor = p.janitor.pid;
	assert_true(janitor > 0);
	status_field(janitor, "Uid", v, sizeof(v));
	assert_string_equal(v, "0\t0\t0\t0");
	status_field(janitor, "CapEff", v, sizeof(v));
	assert_string_equal(v, "0000000000000000");
	status_field(janitor, "CapPrm", v, sizeof(v));
	assert_string_equal(v, "0000000000000000");
	status_field(janitor, "CapBnd", v, sizeof(v));
	assert_string_equal(v, "0000000000000000");
	status_field(janitor, "NoNewPrivs", v, sizeof(v));
	assert_string_equal(v, "1");
	status_field(janitor, "Seccomp", v, sizeof(v));
	assert_string_equal(v, "2");
	/* The directory and its two pipes: no stdio, no other descriptor. */
	assert_int_equal(count_fds(janitor), 3);

	cdi_unpublish(&p);
	assert_false(exists(spec_path));
	reap(janitor);
	cdi_unpublish(&p);                      /* a second time: nothing */
}

/* With the resource-managed node (here /dev/zero, 1:5): the device's
 * second node, at the container's /dev/tpmrm0. */
static void test_publish_rm_node(void **state)
{
	struct cdi_publish_args args = null_args;
	struct json_object *root, *devs, *e, *nodes, *n, *v;
	struct cdi_publisher p;
	char err[256];

	(void)state;
	skip_unless_root();
	args.rm_devname = "zero";
	args.rm_container_path = "/dev/tpmrm0";
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, dir, "null", err, sizeof(err)), 0);
	assert_int_equal(cdi_publish(&p, &args, err, sizeof(err)), 0);
	assert_spec_names_null();
	root = json_object_from_file(spec_path);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "devices", &devs));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(devs, 0),
					      "containerEdits", &e));
	assert_true(json_object_object_get_ex(e, "deviceNodes", &nodes));
	assert_int_equal(json_object_array_length(nodes), 2);
	n = json_object_array_get_idx(nodes, 1);
	assert_true(json_object_object_get_ex(n, "path", &v));
	assert_string_equal(json_object_get_string(v), "/dev/tpmrm0");
	assert_true(json_object_object_get_ex(n, "hostPath", &v));
	assert_string_equal(json_object_get_string(v), "/dev/zero");
	assert_true(json_object_object_get_ex(n, "major", &v));
	assert_int_equal(json_object_get_int(v), 1);
	assert_true(json_object_object_get_ex(n, "minor", &v));
	assert_int_equal(json_object_get_int(v), 5);
	json_object_put(root);
	cdi_unpublish(&p);
	assert_false(exists(spec_path));

	/* no such node: nothing published */
	args.rm_devname = "vtpmrm-test-missing";
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, dir, "null", err, sizeof(err)), 0);
	assert_int_equal(cdi_publish(&p, &args, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "/dev/vtpmrm-test-missing"));
	assert_false(exists(spec_path));
	cdi_unpublish(&p);
}

/* SIGTERM to the whole group (a service manager stopping it) does not end
 * the janitor before the owner. */
static void test_janitor_ignores_sigterm(void **state)
{
	struct cdi_publisher p;
	char err[256];
	pid_t janitor;

	(void)state;
	skip_unless_root();
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, dir, "null", err, sizeof(err)), 0);
	assert_int_equal(cdi_publish(&p, &null_args, err, sizeof(err)), 0);
	janitor = p.janitor.pid;
	assert_int_equal(kill(janitor, SIGTERM), 0);
	assert_int_equal(kill(janitor, SIGHUP), 0);
	nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000 * 1000 }, NULL);
	assert_int_equal(waitpid(janitor, NULL, WNOHANG), 0);
	assert_true(exists(spec_path));
	cdi_unpublish(&p);
	assert_false(exists(spec_path));
	reap(janitor);
}

/* The owner dies without a word: the spec goes all the same. */
static void test_owner_killed(void **state)
{
	int ready[2];
	char c;
	pid_t owner;

	(void)state;
	skip_unless_root();
	assert_int_equal(pipe(ready), 0);
	owner = fork();
	assert_true(owner >= 0);
	if (owner == 0) {
		struct cdi_publisher p;
		char err[256];

		cdi_publisher_init(&p);
		if (cdi_publisher_open(&p, dir, "null", err, sizeof(err)) < 0 ||
		    cdi_publish(&p, &null_args, err, sizeof(err)) < 0)
			_exit(1);
		(void)!write(ready[1], "R", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_true(exists(spec_path));
	assert_int_equal(kill(owner, SIGKILL), 0);
	assert_int_equal(waitpid(owner, NULL, 0), owner);
	assert_true(gone_within(spec_path));
}

/* A directory anyone but root owns is refused: whoever may write there
 * decides which hooks runtimes run as root. A missing one is created. */
static void test_directory_checks(void **state)
{
	struct cdi_publisher p;
	char sub[128], err[256];
	struct stat st;

	(void)state;
	skip_unless_root();
	snprintf(sub, sizeof(sub), "%s/cdi", dir);
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, sub, "null", err, sizeof(err)), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	cdi_unpublish(&p);                      /* closes, publishes nothing */

	assert_int_equal(chown(sub, 65534, 65534), 0);
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, sub, "null", err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "must belong to root"));

	snprintf(sub, sizeof(sub), "%s/no/such", dir);
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, sub, "null", err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "cannot open or create"));
}

/* A node that is not a character device: nothing is written. */
static void test_not_a_device(void **state)
{
	const struct cdi_publish_args args = {
		.devname = "shm", .kind = "vtpmd.io/tpm", .container_path = "/dev/tpm0",
	};
	struct cdi_publisher p;
	char err[256], path[160];

	(void)state;
	skip_unless_root();
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, dir, "shm", err, sizeof(err)), 0);
	assert_int_equal(cdi_publish(&p, &args, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "/dev/shm"));
	snprintf(path, sizeof(path), "%s/vtpmd-dev-shm.json", dir);
	assert_false(exists(path));
	cdi_unpublish(&p);
}

/* A stale temporary file of a writer that died is replaced. */
static void test_atomic_write_over_stale_tmp(void **state)
{
	char tmp[160], err[256];
	struct cdi_publisher p;
	int fd;

	(void)state;
	skip_unless_root();
	snprintf(tmp, sizeof(tmp), "%s/.vtpmd-dev-null.json.tmp", dir);
	fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{ half", 6), 6);
	close(fd);
	cdi_publisher_init(&p);
	assert_int_equal(cdi_publisher_open(&p, dir, "null", err, sizeof(err)), 0);
	assert_int_equal(cdi_publish(&p, &null_args, err, sizeof(err)), 0);
	assert_false(exists(tmp));
	assert_spec_names_null();
	cdi_unpublish(&p);
	waitpid(-1, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_then_orderly_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_rm_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_janitor_ignores_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_write_over_stale_tmp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
