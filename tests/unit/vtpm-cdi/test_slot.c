/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_slot.c - a slot belongs to a container: the identity of a process
 * (pid, start time, boot) read from the real /proc, told apart from a
 * recycled pid and an earlier boot; the claims in a real run directory
 * (free, ours, held by a live container, abandoned by a gone one, in doubt)
 * and their atomic replacement; stopping a daemon only while it is the
 * process recorded, with real child processes.
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vtpm-cdi/oci_state.h"
#include "vtpm-cdi/proc.h"
#include "vtpm-cdi/slot.h"

static char run_path[64];
static struct run_dir run;

static int setup(void **state)
{
	(void)state;
	snprintf(run_path, sizeof(run_path), "/tmp/vtpm-cdi-test.XXXXXX");
	if (!mkdtemp(run_path))
		return -1;
	return run_dir_open_locked(run_path, &run);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	run_dir_close(&run);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_path);
	return system(cmd) == 0 ? 0 : -1;
}

/* A child that sleeps until killed; with NAME as its comm if given. */
static pid_t sleeper(const char *name)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (name)
			prctl(PR_SET_NAME, name, 0, 0, 0);
		close(p[0]);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	/* the child's name is set once it closed its end */
	while (read(p[0], &c, 1) > 0)
		;
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The identity of a process that existed and is gone (reaped). */
static void gone_id(struct proc_id *id)
{
	pid_t pid = sleeper(NULL);

	assert_int_equal(proc_id_of(pid, id), 0);
	reap(pid);
}

static void test_proc_id(void **state)
{
	struct proc_id me, again, other, parsed;
	char text[96];
	pid_t pid;

	(void)state;
	assert_int_equal(proc_id_of(getpid(), &me), 0);
	assert_int_equal(me.pid, getpid());
	assert_int_equal(strlen(me.boot), PROC_BOOT_ID_LEN);
	assert_int_equal(proc_id_of(getpid(), &again), 0);
	assert_memory_equal(&me, &again, sizeof(me));
	assert_int_equal(proc_id_alive(&me), 1);

	/* a name with spaces and ')' does not shift the fields */
	pid = sleeper("a) b ) c");
	assert_int_equal(proc_id_of(pid, &other), 0);
	assert_int_equal(proc_id_alive(&other), 1);
	assert_true(other.start >= me.start);
	reap(pid);
	assert_int_equal(proc_id_alive(&other), 0);
	assert_int_equal(proc_id_of(pid, &other), -ESRCH);
	assert_int_equal(proc_id_of(0, &other), -ESRCH);

	/* the same pid with another start time is another process (a
	 * recycled pid); another boot id, an earlier boot */
	again = me;
	again.start++;
	assert_int_equal(proc_id_alive(&again), 0);
	again = me;
	again.boot[0] = again.boot[0] == '0' ? '1' : '0';
	assert_int_equal(proc_id_alive(&again), 0);

	/* the text form, and only it */
	assert_int_equal(proc_id_format(&me, text, sizeof(text)), 0);
	assert_int_equal(proc_id_parse(text, &parsed), 0);
	assert_memory_equal(&me, &parsed, sizeof(me));
	assert_int_equal(proc_id_format(&me, text, 8), -ENAMETOOLONG);
	static const char *const bad[] = {
		"", "1", "1 2", "0 5 01234567-89ab-cdef-0123-456789abcdef",
		"-1 5 01234567-89ab-cdef-0123-456789abcdef",
		"12 x 01234567-89ab-cdef-0123-456789abcdef",
		"12 5 01234567-89ab-cdef-0123-456789abcde",
		"12 5 01234567-89ab-cdef-0123-456789abcdefa",
		"12 5 01234567+89ab-cdef-0123-456789abcdef",
		"12 5 0123456789ab-cdef-0123-456789abcdef-",
		"12 5 01234567-89AB-cdef-0123-456789abcdef",
		"99999999999 5 01234567-89ab-cdef-0123-456789abcdef",
		"12  5 01234567-89ab-cdef-0123-456789abcdef",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proc_id_parse(bad[i], &parsed) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(proc_id_parse("12 5 01234567-89ab-cdef-0123-456789abcdef", &parsed), 0);
	assert_int_equal(parsed.pid, 12);
	assert_int_equal(parsed.start, 5);
}

static void claim_link(const char *slot, const char *target)
{
	char name[32];

	snprintf(name, sizeof(name), "claim-%s", slot);
	unlinkat(run.fd, name, 0);
	assert_int_equal(symlinkat(target, run.fd, name), 0);
}

static void test_slot_states(void **state)
{
	struct slot_holder h;
	struct proc_id me, gone;
	char why[384];
	pid_t holder;
	struct proc_id holder_id;

	(void)state;
	assert_int_equal(proc_id_of(getpid(), &me), 0);
	assert_int_equal(slot_examine(&run, "s0", "b", &h, why, sizeof(why)), SLOT_FREE);
	assert_int_equal(slot_owner(&run, "s0", &h), -ENOENT);

	/* A holds it while its init runs: B is refused, A's own create again
	 * finds its claim */
	holder = sleeper(NULL);
	assert_int_equal(proc_id_of(holder, &holder_id), 0);
	assert_int_equal(slot_take(&run, "s0", "a", &holder_id), 0);
	assert_int_equal(slot_owner(&run, "s0", &h), 0);
	assert_string_equal(h.id, "a");
	assert_true(h.has_init);
	assert_memory_equal(&h.init, &holder_id, sizeof(holder_id));
	assert_int_equal(slot_examine(&run, "s0", "b", &h, why, sizeof(why)), SLOT_HELD);
	assert_string_equal(h.id, "a");
	assert_int_equal(slot_examine(&run, "s0", "a", &h, why, sizeof(why)), SLOT_OURS);
	/* a pool of another prefix in the same run directory: its own slots */
	assert_int_equal(slot_examine(&run, "box0", "b", &h, why, sizeof(why)), SLOT_FREE);

	/* whether A's vtpmd lives does not matter: only A's init does */
	reap(holder);
	assert_int_equal(slot_examine(&run, "s0", "b", &h, why, sizeof(why)), SLOT_ABANDONED);
	assert_string_equal(h.id, "a");

	/* B takes over: one rename, no temp link left */
	assert_int_equal(slot_take(&run, "s0", "b", &me), 0);
	assert_int_equal(slot_owner(&run, "s0", &h), 0);
	assert_string_equal(h.id, "b");
	assert_int_equal(faccessat(run.fd, "claim-s0.new", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(slot_release(&run, "s0"), 0);
	assert_int_equal(slot_release(&run, "s0"), 0);
	assert_int_equal(slot_examine(&run, "s0", "b", &h, why, sizeof(why)), SLOT_FREE);

	/* a recycled pid: the holder's pid runs, but it is another process */
	gone = me;
	gone.start += 1;
	assert_int_equal(slot_take(&run, "s1", "a", &gone), 0);
	assert_int_equal(slot_examine(&run, "s1", "b", &h, why, sizeof(why)), SLOT_ABANDONED);
	gone_id(&gone);
	assert_int_equal(slot_take(&run, "s1", "a", &gone), 0);
	assert_int_equal(slot_examine(&run, "s1", "b", &h, why, sizeof(why)), SLOT_ABANDONED);

	/* claims that say too little are in doubt, with a reason */
	claim_link("s2", "a");             /* an older vtpm-cdi's claim */
	assert_int_equal(slot_examine(&run, "s2", "b", &h, why, sizeof(why)), SLOT_IN_DOUBT);
	assert_non_null(strstr(why, "container a claimed it without recording its init"));
	assert_int_equal(slot_examine(&run, "s2", "a", &h, why, sizeof(why)), SLOT_OURS);
	claim_link("s2", "../etc 1 2 3");
	assert_int_equal(slot_examine(&run, "s2", "b", &h, why, sizeof(why)), SLOT_IN_DOUBT);
	assert_non_null(strstr(why, "names no valid container"));
	claim_link("s2", "a 12 x");
	assert_int_equal(slot_examine(&run, "s2", "b", &h, why, sizeof(why)), SLOT_IN_DOUBT);
	claim_link("s2", " 1 2 3");
	assert_int_equal(slot_examine(&run, "s2", "b", &h, why, sizeof(why)), SLOT_IN_DOUBT);
}

/* c-ID/vtpmd.pid (as vtpmd writes it) -> c-ID/vtpmd.id -> a stop that
 * reaches that process, and no other. */
static void test_vtpmd_identity(void **state)
{
	struct proc_id vid, read_back, stale;
	char pidtext[32];
	pid_t d;
	int fd, status;

	(void)state;
	assert_int_equal(mkdirat(run.fd, "c-x", 0711), 0);
	assert_int_equal(container_vtpmd(&run, "x", &vid), -ENOENT);
	assert_int_equal(container_vtpmd_record(&run, "x", &vid), -ENOENT);

	d = sleeper("vtpmd");
	fd = openat(run.fd, "c-x/vtpmd.pid", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)d);
	assert_int_equal(write(fd, pidtext, strlen(pidtext)), (ssize_t)strlen(pidtext));
	close(fd);
	assert_int_equal(container_vtpmd_pid(&run, "x"), d);
	assert_int_equal(container_vtpmd_record(&run, "x", &vid), 0);
	assert_int_equal(vid.pid, d);
	assert_int_equal(container_vtpmd(&run, "x", &read_back), 0);
	assert_memory_equal(&vid, &read_back, sizeof(vid));

	/* an identity with another start time names another process: the
	 * one running under that pid is left alone */
	stale = vid;
	stale.start--;
	assert_int_equal(proc_stop(&stale, 1), 0);
	assert_int_equal(waitpid(d, &status, WNOHANG), 0);

	/* the recorded one ends on SIGTERM (the reaper is us: poll the pidfd
	 * sees it end as a zombie) */
	assert_int_equal(proc_stop(&vid, 5), 1);
	assert_int_equal(waitpid(d, &status, 0), d);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_int_equal(proc_stop(&vid, 1), 0);

	/* one that ignores SIGTERM is killed after the timeout */
	d = fork();
	assert_true(d >= 0);
	if (d == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	while (proc_id_of(d, &vid) < 0 || proc_id_alive(&vid) != 1)
		;
	usleep(100 * 1000);    /* its SIG_IGN is in place */
	assert_int_equal(proc_stop(&vid, 1), 2);
	assert_int_equal(waitpid(d, &status, 0), d);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* a pid file that is not a pid */
	fd = openat(run.fd, "c-x/vtpmd.pid", O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "1\n", 2), 2);
	close(fd);
	assert_int_equal(container_vtpmd_pid(&run, "x"), -EINVAL);
}

static int parse(const char *json, struct oci_state *st, char err[256])
{
	return oci_state_parse(json, strlen(json), st, err, 256);
}

static void test_state_pid(void **state)
{
	static const char *const bad[] = {
		"{\"id\":\"a\",\"pid\":-1}", "{\"id\":\"a\",\"pid\":\"12\"}",
		"{\"id\":\"a\",\"pid\":1.5}", "{\"id\":\"a\",\"pid\":4294967296}",
		"{\"id\":\"a\",\"pid\":null}",
	};
	struct oci_state st;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"id\":\"a\",\"pid\":519}", &st, err), 0);
	assert_int_equal(st.pid, 519);
	assert_int_equal(parse("{\"id\":\"a\",\"pid\":0}", &st, err), 0);
	assert_int_equal(st.pid, 0);
	assert_int_equal(parse("{\"id\":\"a\"}", &st, err), 0);
	assert_int_equal(st.pid, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &st, err) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err, "\"pid\" that is not a process id"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_id),
		cmocka_unit_test_setup_teardown(test_slot_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vtpmd_identity, setup, teardown),
		cmocka_unit_test(test_state_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
