/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm_lock.c - the storage lock as control operations move it:
 * LOCK_STORAGE honours a client's retries up to a bound (2^32 - 1 of them
 * are 5 s, not 497 days), and the save state leaving (GET_STATEBLOB) gives
 * the lock up only with --migration release-lock-outgoing. Another process
 * holds the lock for real (an open file description lock in a child).
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
#include <time.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "tpm/tpm.h"
#include "test_files.h"
#include "state_dir.h"
#include "lock_holder.h"

static struct tpm T;

static int setup(void **state)
{
	(void)state;
	if (state_dir_setup() < 0)
		return -1;
	return mkdir(sdir, 0750);
}

static int teardown(void **state)
{
	(void)state;
	tpm_close(&T);
	return state_dir_teardown();
}

static void open_tpm(bool release_outgoing, bool defer_lock)
{
	const struct tpm_options opt = {
		.version = TPM_VERSION_2,
		.store = {
			.dir = sdir, .file_mode = STORE_MODE_DEFAULT,
			.release_outgoing = release_outgoing, .defer_lock = defer_lock,
		},
	};

	assert_int_equal(tpm_open(&T, &opt), 0);
}

/* Whether another process can take the lock on SDIR/.lock now. */
static bool lock_free_elsewhere(void)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char path[400];
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd;

		snprintf(path, sizeof(path), "%s/.lock", sdir);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		_exit(fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_lock_storage_bounded(void **state)
{
	struct lock_holder holder;
	double t0, took;

	(void)state;
	open_tpm(false, true);          /* --migration incoming: not locked yet */
	lock_holder_start(&holder, sdir);
	/* 0 retries: at once */
	t0 = now();
	assert_int_equal(tpm_lock_storage(&T, 0), TPM_FAIL);
	assert_true(now() - t0 < 1.0);
	/* the largest count a client can send: the bound, about 5 s */
	t0 = now();
	assert_int_equal(tpm_lock_storage(&T, UINT32_MAX), TPM_FAIL);
	took = now() - t0;
	if (took < TPM_LOCK_STORAGE_MAX_RETRIES * 0.01 * 0.9 || took > 30)
		fail_msg("2^32 - 1 retries took %.2f s", took);
	assert_false(store_locked(&T.store));
	/* a count within the bound still waits for a holder that lets go */
	lock_holder_stop(&holder);
	assert_int_equal(tpm_lock_storage(&T, 100), TPM_SUCCESS);
	assert_true(store_locked(&T.store));
	assert_false(lock_free_elsewhere());
}

static void test_savestate_keeps_lock_by_default(void **state)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	bool enc;

	(void)state;
	open_tpm(false, false);
	assert_true(store_locked(&T.store));
	/* a TPM 2 has no save state: "nothing there", and the lock stays */
	assert_int_equal(tpm_state_export(&T, TPM_STATE_SAVESTATE, true, &blob, &len, &enc),
			 TPM_RETRY);
	assert_true(store_locked(&T.store));
	assert_false(lock_free_elsewhere());
}

static void test_savestate_releases_with_option(void **state)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	bool enc;

	(void)state;
	open_tpm(true, false);
	assert_false(lock_free_elsewhere());
	assert_int_equal(tpm_state_export(&T, TPM_STATE_SAVESTATE, true, &blob, &len, &enc),
			 TPM_RETRY);
	assert_false(store_locked(&T.store));
	assert_true(lock_free_elsewhere());
}

int main(void)
{
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		TEST(test_lock_storage_bounded),
		TEST(test_savestate_keeps_lock_by_default),
		TEST(test_savestate_releases_with_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
