/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_store_lock.c - the storage lock between processes: taken at open,
 * excluding every other process, kept by a forked child (a daemon going to
 * the background), retried, deferred for an incoming migration, released
 * for an outgoing one, and no write without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_nvfilename.h>

#include "store/blob.h"
#include "store/store.h"
#include "test_files.h"
#include "state_dir.h"
#include "store_fixture.h"

/* ---- the lock ---- */

static int lock_taken_child(void)
{
	store_close(&S);          /* closing our copy must not free the parent */
	return open_store(sdir, false, STORE_MODE_DEFAULT) == -EAGAIN ?
	       0 : 1;
}

static void test_lock_excludes_other_process(void **state)
{
	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(in_child(lock_taken_child), 0);
	/* the first child closed its inherited lock fd: still held here */
	assert_true(store_locked(&S));
	assert_int_equal(in_child(lock_taken_child), 0);

	/* taking it again is a no-op; unlocking lets others in */
	assert_int_equal(store_lock(&S, 0), 0);
	store_unlock(&S);
	assert_false(store_locked(&S));
	assert_int_equal(in_child(lock_taken_child), 1);
	assert_int_equal(store_lock(&S, 0), 0);
	assert_int_equal(in_child(lock_taken_child), 0);
}

/* What a daemon does: lock, fork, and the parent goes away. The child
 * holds the lock on, and it goes only when the child does. */
static void test_lock_kept_by_forked_child(void **state)
{
	int to_child[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT), 0);
	assert_int_equal(pipe(to_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(to_child[1]);
		alarm(30);      /* never outlive a failed test for long */
		_exit(read(to_child[0], &c, 1) == 1 ? 0 : 1);
	}
	close(to_child[0]);
	store_close(&S);        /* the parent's descriptor is gone */
	assert_int_equal(in_child(lock_taken_child), 0);
	assert_int_equal(write(to_child[1], "G", 1), 1);
	close(to_child[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(in_child(lock_taken_child), 1);
}

/* A child that takes the lock and holds it until a byte arrives on
 * *TO_CHILD_W, then exits (which drops the lock). Returns its pid. */
static pid_t hold_lock_in_child(int *to_child_w)
{
	int to_child[2], from_child[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store_close(&S);
		if (open_store(sdir, false, STORE_MODE_DEFAULT) != 0)
			_exit(1);
		if (write(from_child[1], "L", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(read(from_child[0], &c, 1), 1);
	close(to_child[0]);
	close(from_child[0]);
	close(from_child[1]);
	*to_child_w = to_child[1];
	return pid;
}

static void wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void release_child(pid_t pid, int to_child_w)
{
	assert_int_equal(write(to_child_w, "G", 1), 1);
	close(to_child_w);
	wait_child(pid);
}

static void test_no_writes_without_lock(void **state)
{
	int release;
	pid_t pid;

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"a", 1), TPM_SUCCESS);
	store_unlock(&S);
	/* another process took it: no write, no delete; reads are fine */
	pid = hold_lock_in_child(&release);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"b", 1), TPM_FAIL);
	assert_int_equal(store_delete(&S, TPM_PERMANENT_ALL_NAME, false), TPM_FAIL);
	assert_false(store_locked(&S));
	assert_loads(TPM_PERMANENT_ALL_NAME, "a", 1);
	release_child(pid, release);
	/* free again: a write takes the lock itself (swtpm's lazy locking) */
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"b", 1), TPM_SUCCESS);
	assert_true(store_locked(&S));
	assert_loads(TPM_PERMANENT_ALL_NAME, "b", 1);
}

/* --migration incoming: open without the lock; the first use takes it. */
static void test_deferred_lock(void **state)
{
	const struct store_options opt = {
		.dir = sdir, .file_mode = STORE_MODE_DEFAULT, .defer_lock = true,
	};
	int release;
	pid_t pid;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	pid = hold_lock_in_child(&release);
	/* the source still holds it: opening works, INIT does not lock */
	assert_int_equal(store_open(&S, &opt), 0);
	assert_false(store_locked(&S));
	assert_int_equal(store_lock_for_start(&S), 0);
	assert_false(store_locked(&S));
	assert_int_equal(store_ensure_locked(&S), -EAGAIN);
	release_child(pid, release);
	assert_int_equal(store_ensure_locked(&S), 0);
	assert_true(store_locked(&S));
	store_close(&S);

	/* without incoming, open takes the lock, and INIT after a release
	 * for an outgoing migration takes it back */
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT), 0);
	assert_true(store_locked(&S));
	store_release_outgoing(&S);
	assert_false(store_locked(&S));
	assert_int_equal(store_lock_for_start(&S), 0);
	assert_true(store_locked(&S));
}

static void test_lock_retries(void **state)
{
	int release;
	double t0;
	pid_t pid;

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	store_unlock(&S);
	pid = hold_lock_in_child(&release);

	/* held elsewhere: 5 retries take about 50 ms, then -EAGAIN */
	t0 = now();
	assert_int_equal(store_lock(&S, 5), -EAGAIN);
	assert_true(now() - t0 >= 0.045);
	assert_false(store_locked(&S));

	/* released during the retries: we get it */
	assert_int_equal(write(release, "G", 1), 1);
	assert_int_equal(store_lock(&S, 300), 0);
	assert_true(store_locked(&S));
	close(release);
	wait_child(pid);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_lock_excludes_other_process),
		T(test_lock_kept_by_forked_child),
		T(test_no_writes_without_lock),
		T(test_deferred_lock),
		T(test_lock_retries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
