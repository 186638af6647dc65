/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_store.c - the state directory: opening it, swtpm's names, atomic and
 * durable writes, file modes, failures that leave the old state alone, and
 * telling a TPM 1.2 directory from a TPM 2 one. The lock is
 * test_store_lock.c's; libtpms on the store is tests/unit/tpm/'s.
 *
 * Fixtures: see test_blob.c. Tests run from the top of the tree (make unit),
 * or set VTPMD_TEST_DATA.
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
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_nvfilename.h>
#include <grp.h>

#include "store/blob.h"
#include "store/store.h"
#include "test_files.h"
#include "state_dir.h"
#include "store_fixture.h"

/* ---- opening ---- */

static void test_open_creates_dir(void **state)
{
	char nested[400];
	struct stat sb;

	(void)state;
	path_in(nested, sizeof(nested), sdir, "a/b");
	assert_int_equal(open_store(nested, false, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(stat(nested, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_true(exists(nested, ".lock"));
	assert_true(store_locked(&S));
	assert_int_equal(store_begin_loads(&S), TPM_SUCCESS);

	store_close(&S);
	assert_false(store_locked(&S));
	assert_int_equal(store_begin_loads(&S), TPM_FAIL);
	/* reopening an existing directory is fine */
	assert_int_equal(open_store(nested, false, STORE_MODE_DEFAULT),
			 0);
}

static void test_open_refuses_non_dir(void **state)
{
	char path[400];

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	write_file(sdir, "file", "x", 1, 0600);
	path_in(path, sizeof(path), sdir, "file");
	assert_int_equal(open_store(path, false, STORE_MODE_DEFAULT),
			 -ENOTDIR);
	assert_int_equal(open_store("", false, STORE_MODE_DEFAULT),
			 -EINVAL);
	/* nothing is left open */
	assert_int_equal(store_begin_loads(&S), TPM_FAIL);
	assert_int_equal(store_lock(&S, 0), -EBADF);
}

static void test_not_open(void **state)
{
	unsigned char *data = (unsigned char *)0x1;
	uint32_t len = 7;

	(void)state;
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_FAIL);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"x",
				    1), TPM_FAIL);
	assert_int_equal(store_delete(&S, TPM_PERMANENT_ALL_NAME, false), TPM_FAIL);
}

/* ---- names, round trips ---- */

static void test_file_names(void **state)
{
	static const char *const names[] = {
		TPM_PERMANENT_ALL_NAME, TPM_VOLATILESTATE_NAME,
		TPM_SAVESTATE_NAME,
	};
	char d12[400], want[64];
	size_t i;

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_save(&S, names[i], (const uint8_t *)"v2", 2),
				 TPM_SUCCESS);
		snprintf(want, sizeof(want), "tpm2-00.%s", names[i]);
		assert_true(exists(sdir, want));
	}
	store_close(&S);

	path_in(d12, sizeof(d12), base, "tpm12");
	assert_int_equal(open_store(d12, true, STORE_MODE_DEFAULT),
			 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_save(&S, names[i], (const uint8_t *)"v1", 2),
				 TPM_SUCCESS);
		snprintf(want, sizeof(want), "tpm-00.%s", names[i]);
		assert_true(exists(d12, want));
		assert_loads(names[i], "v1", 2);
	}

	/* libtpms' names only: nothing else becomes a path */
	assert_int_equal(store_save(&S, "../escape", (const uint8_t *)"x", 1),
			 TPM_BAD_PARAMETER);
	assert_int_equal(store_save(&S, "permall/x", (const uint8_t *)"x", 1),
			 TPM_BAD_PARAMETER);
	assert_false(exists(base, "tpm-00.../escape"));
	assert_false(exists(base, "escape"));
}

static void test_save_load_delete(void **state)
{
	static const uint8_t big[] = "a longer second version of the state";
	unsigned char *data = (unsigned char *)0x1;
	uint32_t len = 7;

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);

	/* no state yet: libtpms' TPM_RETRY */
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_RETRY);
	assert_null(data);
	assert_int_equal(len, 0);

	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"first", 5), TPM_SUCCESS);
	assert_loads(TPM_PERMANENT_ALL_NAME, "first", 5);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME, big, sizeof(big)),
			 TPM_SUCCESS);
	assert_loads(TPM_PERMANENT_ALL_NAME, big, sizeof(big));
	assert_no_temp(sdir);

	/* the file is swtpm's format */
	{
		uint8_t *file, *enc;
		size_t flen, elen;

		file = read_file(sdir, "tpm2-00.permall", &flen);
		assert_int_equal(blob_file_encode(NULL, big, sizeof(big), &enc,
						  &elen), TPM_SUCCESS);
		assert_int_equal(flen, elen);
		assert_memory_equal(file, enc, flen);
		free(enc);
		free(file);
	}

	assert_int_equal(store_delete(&S, TPM_PERMANENT_ALL_NAME, true),
			 TPM_SUCCESS);
	assert_false(exists(sdir, "tpm2-00.permall"));
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_RETRY);
	assert_int_equal(store_delete(&S, TPM_PERMANENT_ALL_NAME, false),
			 TPM_SUCCESS);
	assert_int_equal(store_delete(&S, TPM_PERMANENT_ALL_NAME, true), TPM_FAIL);
}

/* ---- modes ---- */

static void test_file_modes(void **state)
{
	(void)state;
	/* default: 0640 through the umask, as swtpm */
	umask(022);
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0640);
	umask(077);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0600);
	store_close(&S);

	/* mode= given: exactly that, whatever the umask */
	umask(077);
	assert_int_equal(open_store(sdir, false, 0644), 0);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0644);
	store_close(&S);
	umask(0);
	assert_int_equal(open_store(sdir, false, 0600), 0);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0600);

	/* ... and loading brings an older file to it */
	{
		char path[400];

		path_in(path, sizeof(path), sdir, "tpm2-00.permall");
		assert_int_equal(chmod(path, 0666), 0);
	}
	assert_loads(TPM_PERMANENT_ALL_NAME, "x", 1);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0600);
	umask(022);
}

/* ---- atomic writes and their failures ---- */

static void test_stale_temp_file(void **state)
{
	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	/* left by a crash between open and rename, with a bad mode */
	write_file(sdir, "TMP2-00.permall", "junk junk junk", 14, 0666);
	{
		char path[400];

		path_in(path, sizeof(path), sdir, "TMP2-00.permall");
		assert_int_equal(chmod(path, 0666), 0);
	}
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"new", 3), TPM_SUCCESS);
	assert_no_temp(sdir);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0640);
	assert_loads(TPM_PERMANENT_ALL_NAME, "new", 3);
}

static void test_rename_failure_leaves_no_temp(void **state)
{
	char blocker[400];

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	/* a non-empty directory where the file should go: rename fails */
	path_in(blocker, sizeof(blocker), sdir, "tpm2-00.volatilestate");
	assert_int_equal(mkdir(blocker, 0700), 0);
	write_file(blocker, "keep", "k", 1, 0600);

	assert_int_equal(store_save(&S, TPM_VOLATILESTATE_NAME,
				    (const uint8_t *)"v", 1), TPM_FAIL);
	assert_no_temp(sdir);
	assert_true(exists(blocker, "keep"));

	/* and loading a directory is an error, not "no state" */
	{
		unsigned char *data;
		uint32_t len;

		assert_int_equal(store_load(&S, TPM_VOLATILESTATE_NAME, &data, &len),
				 TPM_FAIL);
		assert_null(data);
	}
}

/* In a child: without root's powers, a save into a read-only directory
 * fails and the old state stays. */
static int readonly_child(void)
{
	unsigned char *data;
	uint32_t len;

	store_close(&S);          /* the parent's store, inherited */
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	     setresuid(NOBODY, NOBODY, NOBODY) < 0))
		return 10;
	if (open_store(sdir, false, STORE_MODE_DEFAULT) != 0)
		return 11;
	if (store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"old", 3))
		return 12;
	if (chmod(sdir, 0500) < 0)
		return 13;
	if (store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"new", 3) !=
	    TPM_FAIL)
		return 14;
	if (store_delete(&S, TPM_PERMANENT_ALL_NAME, true) != TPM_FAIL)
		return 15;
	if (store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len) != TPM_SUCCESS ||
	    len != 3 || memcmp(data, "old", 3) != 0)
		return 16;
	free(data);
	store_close(&S);
	return 0;
}

static void test_readonly_dir(void **state)
{
	uint8_t *file, *enc;
	size_t flen, elen;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	if (geteuid() == 0) {
		/* root passes any permission check: the child becomes nobody */
		assert_int_equal(chmod(base, 0755), 0);
		assert_int_equal(chown(sdir, NOBODY, NOBODY), 0);
	}
	assert_int_equal(in_child(readonly_child), 0);

	assert_no_temp(sdir);
	file = read_file(sdir, "tpm2-00.permall", &flen);
	assert_int_equal(blob_file_encode(NULL, (const uint8_t *)"old", 3, &enc,
					  &elen), TPM_SUCCESS);
	assert_int_equal(flen, elen);
	assert_memory_equal(file, enc, flen);
	free(enc);
	free(file);
}

static void test_load_refusals(void **state)
{
	static const uint8_t good[] = {
		0x02, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13,
		0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 'a', 'b', 'c',
	};
	uint8_t bad[sizeof(good)];
	unsigned char *data;
	uint32_t len;
	char path[400], target[400];
	int fd;

	(void)state;
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT),
			 0);
	write_file(sdir, "tpm2-00.permall", good, sizeof(good), 0640);
	assert_loads(TPM_PERMANENT_ALL_NAME, "abc", 3);

	/* totlen off by one: swtpm's TPM_BAD_PARAMETER */
	memcpy(bad, good, sizeof(bad));
	bad[9]++;
	write_file(sdir, "tpm2-00.permall", bad, sizeof(bad), 0640);
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_BAD_PARAMETER);
	assert_null(data);

	/* encrypted with --key, which we do not have */
	memcpy(bad, good, sizeof(bad));
	bad[5] = BLOB_FLAG_ENCRYPTED;
	write_file(sdir, "tpm2-00.permall", bad, sizeof(bad), 0640);
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_KEYNOTFOUND);

	/* empty file */
	write_file(sdir, "tpm2-00.permall", "", 0, 0640);
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_BAD_PARAMETER);

	/* larger than any state: refused before reading */
	path_in(path, sizeof(path), sdir, "tpm2-00.permall");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)17 << 20), 0);
	close(fd);
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_FAIL);

	/* a symlink is not followed, even to a good file */
	write_file(base, "elsewhere", good, sizeof(good), 0640);
	path_in(target, sizeof(target), base, "elsewhere");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_FAIL);
	assert_null(data);
	/* ... nor written through: the link is replaced, the target kept */
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"z", 1), TPM_SUCCESS);
	{
		struct stat sb;
		uint8_t *kept;
		size_t klen;

		assert_int_equal(lstat(path, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		kept = read_file(base, "elsewhere", &klen);
		assert_int_equal(klen, sizeof(good));
		assert_memory_equal(kept, good, klen);
		free(kept);
	}
}

/* A FIFO planted as a state file or as .lock: refused at once (a plain
 * open would wait for a writer or reader forever), with one line. The
 * checks run in a child with an alarm, so a hang fails the test. */
static int fifo_state_child(void)
{
	unsigned char *data;
	uint32_t len;

	alarm(10);
	if (open_store(sdir, false, STORE_MODE_DEFAULT) != 0)
		return 1;
	return store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len) == TPM_FAIL ? 0 : 2;
}

static int fifo_lock_child(void)
{
	alarm(10);
	return open_store(sdir, false, STORE_MODE_DEFAULT) == -EINVAL ? 0 : 1;
}

static void test_fifo_refused(void **state)
{
	char path[400];

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	path_in(path, sizeof(path), sdir, "tpm2-00.permall");
	assert_int_equal(mkfifo(path, 0640), 0);
	assert_int_equal(in_child(fifo_state_child), 0);
	assert_int_equal(unlink(path), 0);
	path_in(path, sizeof(path), sdir, ".lock");
	unlink(path);
	assert_int_equal(mkfifo(path, 0640), 0);
	assert_int_equal(in_child(fifo_lock_child), 0);
	/* a directory in its place, too */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0750), 0);
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT), -EISDIR);
}

/* ---- detecting the TPM version ---- */

static void test_detect_version(void **state)
{
	(void)state;
	assert_int_equal(store_detect_version(sdir), 0);   /* missing */
	assert_int_equal(mkdir(sdir, 0750), 0);
	assert_int_equal(store_detect_version(sdir), 0);
	write_file(sdir, "tpm-00.volatilestate", "x", 1, 0640);
	assert_int_equal(store_detect_version(sdir), 0);
	write_file(sdir, "tpm-00.permall", "x", 1, 0640);
	assert_int_equal(store_detect_version(sdir), 1);
	write_file(sdir, "tpm2-00.permall", "x", 1, 0640);
	assert_int_equal(store_detect_version(sdir), 2);
	{
		char p[400];

		path_in(p, sizeof(p), sdir, "tpm-00.permall");
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(store_detect_version(sdir), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_creates_dir),
		T(test_open_refuses_non_dir),
		T(test_not_open),
		T(test_file_names),
		T(test_save_load_delete),
		T(test_file_modes),
		T(test_stale_temp_file),
		T(test_rename_failure_leaves_no_temp),
		T(test_readonly_dir),
		T(test_load_refusals),
		T(test_fifo_refused),
		T(test_detect_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
