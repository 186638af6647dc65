/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_privs.c - --runas lookup, the chroot and the one-way privilege drop,
 * each drop in a forked child (it cannot be undone), read back from
 * /proc/self/status as an administrator would. Needs root; skipped otherwise.
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/privs.h"

#define NOBODY 65534u

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* The value after "KEY:" in /proc/self/status, whitespace squeezed. */
static char *status_field(const char *key, char *out, size_t outlen)
{
	char line[256];
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	out[0] = '\0';
	if (!f)
		return out;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *p = line + klen + 1, *o = out;

			for (; *p && *p != '\n' && (size_t)(o - out) + 1 < outlen; p++) {
				if (*p == '\t' || *p == ' ') {
					if (o > out && o[-1] != ' ')
						*o++ = ' ';
				} else {
					*o++ = *p;
				}
			}
			if (o > out && o[-1] == ' ')
				o--;
			*o = '\0';
			break;
		}
	}
	fclose(f);
	return out;
}

/* Exit status of a child running FN; FN's return value is the status. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int field_is(const char *key, const char *want)
{
	char buf[128];

	if (strcmp(status_field(key, buf, sizeof(buf)), want) != 0) {
		fprintf(stderr, "%s: '%s', want '%s'\n", key, buf, want);
		return 0;
	}
	return 1;
}

static int no_caps_left(void)
{
	const char *zero = "0000000000000000";

	return field_is("CapEff", zero) && field_is("CapPrm", zero) &&
	       field_is("CapInh", zero) && field_is("CapBnd", zero) &&
	       field_is("CapAmb", zero) && field_is("NoNewPrivs", "1") &&
	       prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
}

static void test_lookup(void **state)
{
	struct privs_user u;
	char err[128] = "";

	(void)state;
	assert_int_equal(privs_lookup_user("nobody", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, NOBODY);
	assert_true(u.ngroups >= 1);
	privs_user_free(&u);

	/* a uid without a passwd entry: its own gid, no other group */
	assert_int_equal(privs_lookup_user("4242", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 4242);
	assert_int_equal(u.ngroups, 1);
	assert_int_equal(u.groups[0], 4242);
	privs_user_free(&u);

	assert_int_equal(privs_lookup_user("0", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 0);
	privs_user_free(&u);

	assert_int_equal(privs_lookup_user("no-such-user-vtpmd", &u, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "--runas: no such user 'no-such-user-vtpmd'");
	/* (uid_t)-1 means "no change" to setresuid: not a user */
	assert_int_equal(privs_lookup_user("4294967295", &u, err, sizeof(err)), -ENOENT);
}

static int drop_to_nobody(void *arg)
{
	struct privs_user u;
	char err[128];

	(void)arg;
	if (privs_lookup_user("nobody", &u, err, sizeof(err)) < 0 || privs_drop(&u) < 0)
		return 10;
	if (!field_is("Uid", "65534 65534 65534 65534") || !no_caps_left())
		return 11;
	if (setuid(0) == 0 || open("/etc/shadow", O_RDONLY) >= 0)
		return 12;
	return 0;
}

static void test_drop_runas(void **state)
{
	(void)state;
	skip_unless_root();
	assert_int_equal(in_child(drop_to_nobody, NULL), 0);
}

static int drop_staying_root(void *arg)
{
	char path[64];
	int fd, chowned;

	(void)arg;
	snprintf(path, sizeof(path), "/tmp/test_privs.chown.%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return 9;
	close(fd);
	if (privs_drop(NULL) < 0)
		return 10;
	if (!field_is("Uid", "0 0 0 0") || !no_caps_left())
		return 11;
	/* uid 0 without CAP_CHOWN cannot give its file away */
	chowned = chown(path, 1, 1) == 0;
	unlink(path);
	return chowned ? 12 : 0;
}

static void test_drop_root(void **state)
{
	(void)state;
	skip_unless_root();
	assert_int_equal(in_child(drop_staying_root, NULL), 0);
}

/* In a chroot there is no /proc: the drop must still work and verify. */
static int chroot_then_drop(void *arg)
{
	struct privs_user u;
	char err[128];

	if (privs_lookup_user("nobody", &u, err, sizeof(err)) < 0)
		return 10;
	if (privs_chroot(arg) < 0)
		return 11;
	if (access("/etc/passwd", F_OK) == 0)
		return 12;      /* not inside the empty directory */
	if (privs_drop(&u) < 0)
		return 13;
	return getuid() == NOBODY ? 0 : 14;
}

static void test_chroot(void **state)
{
	char dir[] = "/tmp/test_privs.XXXXXX";

	(void)state;
	skip_unless_root();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(in_child(chroot_then_drop, dir), 0);
	assert_int_equal(privs_chroot("/nonexistent/vtpmd-chroot"), -ENOENT);
	rmdir(dir);
}

/* Files made between enter and leave belong to the user; root comes back. */
static int enter_leave(void *arg)
{
	char path[128];
	struct stat sb;
	struct privs_user u;
	char err[128];
	int fd;

	if (privs_lookup_user("nobody", &u, err, sizeof(err)) < 0 ||
	    privs_enter_user(&u) < 0)
		return 10;
	snprintf(path, sizeof(path), "%s/made-as-user", (char *)arg);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd < 0)
		return 11;
	close(fd);
	/* the user cannot write where root alone may */
	if (open("/etc/vtpmd-test-privs", O_WRONLY | O_CREAT, 0600) >= 0)
		return 12;
	if (privs_leave_user() < 0 || geteuid() != 0)
		return 13;
	if (stat(path, &sb) < 0 || sb.st_uid != NOBODY)
		return 14;
	unlink(path);
	return 0;
}

static void test_enter_leave(void **state)
{
	char dir[] = "/tmp/test_privs.XXXXXX";

	(void)state;
	skip_unless_root();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
	assert_int_equal(in_child(enter_leave, dir), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_drop_runas),
		cmocka_unit_test(test_drop_root),
		cmocka_unit_test(test_chroot),
		cmocka_unit_test(test_enter_leave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
