/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_store.c - the state directory: swtpm's names, atomic and durable
 * writes, file modes, failures that leave the old state alone, the
 * storage lock between processes, and libtpms running on swtpm's files.
 *
 * Fixtures: see test_blob.c. Tests run from the top of the tree (make unit),
 * or set VTPMD_TEST_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "store/blob.h"
#include "store/store.h"
#include "test_files.h"

#define FIXTURE_DIR "tests/unit/data/swtpm-0.7.1"
#define NOBODY 65534

static char base[256];          /* per-test temp dir */
static char sdir[300];          /* the state dir inside it */

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/vtpmd-test-store.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	path_in(sdir, sizeof(sdir), base, "state");
	umask(022);
	return 0;
}

static int teardown(void **state)
{
	char cmd[2 * sizeof(base) + 64];

	(void)state;
	store_close();
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' && rm -rf '%s'", base,
		 base);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *dir, const char *name, const void *data,
		       size_t len, mode_t mode)
{
	char path[400];

	path_in(path, sizeof(path), dir, name);
	write_file_at(path, data, len, mode);
}

/* DIR/NAME's bytes; the test fails if it cannot be read. */
static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[400];
	uint8_t *buf;

	path_in(path, sizeof(path), dir, name);
	buf = read_file_at(path, len);
	if (!buf)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	return buf;
}

static mode_t file_mode(const char *dir, const char *name)
{
	char path[400];
	struct stat sb;

	path_in(path, sizeof(path), dir, name);
	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static bool exists(const char *dir, const char *name)
{
	char path[400];
	struct stat sb;

	path_in(path, sizeof(path), dir, name);
	return lstat(path, &sb) == 0;
}

/* Nothing named TMP* in DIR: no temp file was left behind. */
static void assert_no_temp(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "TMP", 3) == 0)
			fail_msg("temp file %s left in %s", de->d_name, dir);
	closedir(d);
}

static void assert_loads(const char *name, const void *want, size_t wantlen)
{
	unsigned char *data;
	uint32_t len;

	assert_int_equal(store_load(name, &data, &len), TPM_SUCCESS);
	assert_int_equal(len, wantlen);
	assert_memory_equal(data, want, wantlen);
	free(data);
}

static void copy_fixture(const char *name, const char *dir)
{
	const char *src = getenv("VTPMD_TEST_DATA");
	uint8_t *buf;
	size_t len;

	buf = read_file(src ? src : FIXTURE_DIR, name, &len);
	write_file(dir, name, buf, len, 0640);
	free(buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run FN in a child process; its return value is the exit status. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* ---- opening ---- */

static void test_open_creates_dir(void **state)
{
	char nested[400];
	struct stat sb;

	(void)state;
	path_in(nested, sizeof(nested), sdir, "a/b");
	assert_int_equal(store_open(nested, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(stat(nested, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_true(exists(nested, ".lock"));
	assert_true(store_locked());
	assert_int_equal(store_nvram_init(), TPM_SUCCESS);

	/* one store per process */
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 -EBUSY);

	store_close();
	assert_false(store_locked());
	assert_int_equal(store_nvram_init(), TPM_FAIL);
	/* reopening an existing directory is fine */
	assert_int_equal(store_open(nested, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
}

static void test_open_refuses_non_dir(void **state)
{
	char path[400];

	(void)state;
	assert_int_equal(mkdir(sdir, 0700), 0);
	write_file(sdir, "file", "x", 1, 0600);
	path_in(path, sizeof(path), sdir, "file");
	assert_int_equal(store_open(path, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 -ENOTDIR);
	assert_int_equal(store_open("", TPM_VERSION_2, STORE_MODE_DEFAULT),
			 -EINVAL);
	/* nothing is left open */
	assert_int_equal(store_nvram_init(), TPM_FAIL);
	assert_int_equal(store_lock(0), -EBADF);
}

static void test_not_open(void **state)
{
	unsigned char *data = (unsigned char *)0x1;
	uint32_t len = 7;

	(void)state;
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_FAIL);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME, (const uint8_t *)"x",
				    1), TPM_FAIL);
	assert_int_equal(store_delete(TPM_PERMANENT_ALL_NAME, false), TPM_FAIL);
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
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_save(names[i], (const uint8_t *)"v2", 2),
				 TPM_SUCCESS);
		snprintf(want, sizeof(want), "tpm2-00.%s", names[i]);
		assert_true(exists(sdir, want));
	}
	store_close();

	path_in(d12, sizeof(d12), base, "tpm12");
	assert_int_equal(store_open(d12, TPM_VERSION_12, STORE_MODE_DEFAULT),
			 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_save(names[i], (const uint8_t *)"v1", 2),
				 TPM_SUCCESS);
		snprintf(want, sizeof(want), "tpm-00.%s", names[i]);
		assert_true(exists(d12, want));
		assert_loads(names[i], "v1", 2);
	}

	/* libtpms' names only: nothing else becomes a path */
	assert_int_equal(store_save("../escape", (const uint8_t *)"x", 1),
			 TPM_BAD_PARAMETER);
	assert_int_equal(store_save("permall/x", (const uint8_t *)"x", 1),
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
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);

	/* no state yet: libtpms' TPM_RETRY */
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_RETRY);
	assert_null(data);
	assert_int_equal(len, 0);

	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"first", 5), TPM_SUCCESS);
	assert_loads(TPM_PERMANENT_ALL_NAME, "first", 5);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME, big, sizeof(big)),
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

	assert_int_equal(store_delete(TPM_PERMANENT_ALL_NAME, true),
			 TPM_SUCCESS);
	assert_false(exists(sdir, "tpm2-00.permall"));
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_RETRY);
	assert_int_equal(store_delete(TPM_PERMANENT_ALL_NAME, false),
			 TPM_SUCCESS);
	assert_int_equal(store_delete(TPM_PERMANENT_ALL_NAME, true), TPM_FAIL);
}

/* ---- modes ---- */

static void test_file_modes(void **state)
{
	(void)state;
	/* default: 0640 through the umask, as swtpm */
	umask(022);
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0640);
	umask(077);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0600);
	store_close();

	/* mode= given: exactly that, whatever the umask */
	umask(077);
	assert_int_equal(store_open(sdir, TPM_VERSION_2, 0644), 0);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"x", 1), TPM_SUCCESS);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0644);
	store_close();
	umask(0);
	assert_int_equal(store_open(sdir, TPM_VERSION_2, 0600), 0);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
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
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	/* left by a crash between open and rename, with a bad mode */
	write_file(sdir, "TMP2-00.permall", "junk junk junk", 14, 0666);
	{
		char path[400];

		path_in(path, sizeof(path), sdir, "TMP2-00.permall");
		assert_int_equal(chmod(path, 0666), 0);
	}
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"new", 3), TPM_SUCCESS);
	assert_no_temp(sdir);
	assert_int_equal(file_mode(sdir, "tpm2-00.permall"), 0640);
	assert_loads(TPM_PERMANENT_ALL_NAME, "new", 3);
}

static void test_rename_failure_leaves_no_temp(void **state)
{
	char blocker[400];

	(void)state;
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	/* a non-empty directory where the file should go: rename fails */
	path_in(blocker, sizeof(blocker), sdir, "tpm2-00.volatilestate");
	assert_int_equal(mkdir(blocker, 0700), 0);
	write_file(blocker, "keep", "k", 1, 0600);

	assert_int_equal(store_save(TPM_VOLATILESTATE_NAME,
				    (const uint8_t *)"v", 1), TPM_FAIL);
	assert_no_temp(sdir);
	assert_true(exists(blocker, "keep"));

	/* and loading a directory is an error, not "no state" */
	{
		unsigned char *data;
		uint32_t len;

		assert_int_equal(store_load(TPM_VOLATILESTATE_NAME, &data, &len),
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

	store_close();          /* the parent's store, inherited */
	if (geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	     setresuid(NOBODY, NOBODY, NOBODY) < 0))
		return 10;
	if (store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT) != 0)
		return 11;
	if (store_save(TPM_PERMANENT_ALL_NAME, (const uint8_t *)"old", 3))
		return 12;
	if (chmod(sdir, 0500) < 0)
		return 13;
	if (store_save(TPM_PERMANENT_ALL_NAME, (const uint8_t *)"new", 3) !=
	    TPM_FAIL)
		return 14;
	if (store_delete(TPM_PERMANENT_ALL_NAME, true) != TPM_FAIL)
		return 15;
	if (store_load(TPM_PERMANENT_ALL_NAME, &data, &len) != TPM_SUCCESS ||
	    len != 3 || memcmp(data, "old", 3) != 0)
		return 16;
	free(data);
	store_close();
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
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	write_file(sdir, "tpm2-00.permall", good, sizeof(good), 0640);
	assert_loads(TPM_PERMANENT_ALL_NAME, "abc", 3);

	/* totlen off by one: swtpm's TPM_BAD_PARAMETER */
	memcpy(bad, good, sizeof(bad));
	bad[9]++;
	write_file(sdir, "tpm2-00.permall", bad, sizeof(bad), 0640);
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_BAD_PARAMETER);
	assert_null(data);

	/* encrypted with --key, which we do not have */
	memcpy(bad, good, sizeof(bad));
	bad[5] = BLOB_FLAG_ENCRYPTED;
	write_file(sdir, "tpm2-00.permall", bad, sizeof(bad), 0640);
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_KEYNOTFOUND);

	/* empty file */
	write_file(sdir, "tpm2-00.permall", "", 0, 0640);
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_BAD_PARAMETER);

	/* larger than any state: refused before reading */
	path_in(path, sizeof(path), sdir, "tpm2-00.permall");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)17 << 20), 0);
	close(fd);
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_FAIL);

	/* a symlink is not followed, even to a good file */
	write_file(base, "elsewhere", good, sizeof(good), 0640);
	path_in(target, sizeof(target), base, "elsewhere");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &data, &len),
			 TPM_FAIL);
	assert_null(data);
	/* ... nor written through: the link is replaced, the target kept */
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
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

/* ---- the lock ---- */

static int lock_taken_child(void)
{
	store_close();          /* closing our copy must not free the parent */
	return store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT) == -EAGAIN ?
	       0 : 1;
}

static void test_lock_excludes_other_process(void **state)
{
	(void)state;
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(in_child(lock_taken_child), 0);
	/* the first child closed its inherited lock fd: still held here */
	assert_true(store_locked());
	assert_int_equal(in_child(lock_taken_child), 0);

	/* taking it again is a no-op; unlocking lets others in */
	assert_int_equal(store_lock(0), 0);
	store_unlock();
	assert_false(store_locked());
	assert_int_equal(in_child(lock_taken_child), 1);
	assert_int_equal(store_lock(0), 0);
	assert_int_equal(in_child(lock_taken_child), 0);
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
		store_close();
		if (store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT) != 0)
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
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"a", 1), TPM_SUCCESS);
	store_unlock();
	/* another process took it: no write, no delete; reads are fine */
	pid = hold_lock_in_child(&release);
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"b", 1), TPM_FAIL);
	assert_int_equal(store_delete(TPM_PERMANENT_ALL_NAME, false), TPM_FAIL);
	assert_false(store_locked());
	assert_loads(TPM_PERMANENT_ALL_NAME, "a", 1);
	release_child(pid, release);
	/* free again: a write takes the lock itself (swtpm's lazy locking) */
	assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME,
				    (const uint8_t *)"b", 1), TPM_SUCCESS);
	assert_true(store_locked());
	assert_loads(TPM_PERMANENT_ALL_NAME, "b", 1);
}

/* --migration incoming: open without the lock; the first use takes it. */
static void test_deferred_lock(void **state)
{
	const struct store_options opt = {
		.file_mode = STORE_MODE_DEFAULT, .defer_lock = true,
	};
	int release;
	pid_t pid;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	pid = hold_lock_in_child(&release);
	/* the source still holds it: opening works, INIT does not lock */
	assert_int_equal(store_open_with(sdir, TPM_VERSION_2, &opt), 0);
	assert_false(store_locked());
	assert_int_equal(store_lock_for_init(), 0);
	assert_false(store_locked());
	assert_int_equal(store_ensure_locked(), -EAGAIN);
	release_child(pid, release);
	assert_int_equal(store_ensure_locked(), 0);
	assert_true(store_locked());
	store_close();

	/* without incoming, open takes the lock, and INIT after a release
	 * for an outgoing migration takes it back */
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT), 0);
	assert_true(store_locked());
	store_release_outgoing();
	assert_false(store_locked());
	assert_int_equal(store_lock_for_init(), 0);
	assert_true(store_locked());
}

static void test_lock_retries(void **state)
{
	int release;
	double t0;
	pid_t pid;

	(void)state;
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	store_unlock();
	pid = hold_lock_in_child(&release);

	/* held elsewhere: 5 retries take about 50 ms, then -EAGAIN */
	t0 = now();
	assert_int_equal(store_lock(5), -EAGAIN);
	assert_true(now() - t0 >= 0.045);
	assert_false(store_locked());

	/* released during the retries: we get it */
	assert_int_equal(write(release, "G", 1), 1);
	assert_int_equal(store_lock(300), 0);
	assert_true(store_locked());
	close(release);
	wait_child(pid);
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

/* ---- libtpms on swtpm's state, through the store ---- */

static void use_store_callbacks(void)
{
	struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(cbs),
	};

	store_set_nvram_callbacks(&cbs);

	assert_int_equal(TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_RegisterCallbacks(&cbs), TPM_SUCCESS);
}

/* Send a TPM 2 command; return its response code. */
static uint32_t tpm2_cmd(const uint8_t *cmd, uint32_t len)
{
	unsigned char *resp = NULL;
	uint32_t resp_len = 0, resp_size = 0, rc;

	assert_int_equal(TPMLIB_Process(&resp, &resp_len, &resp_size,
					(unsigned char *)cmd, len),
			 TPM_SUCCESS);
	assert_true(resp_len >= 10);
	rc = (uint32_t)resp[6] << 24 | (uint32_t)resp[7] << 16 |
	     (uint32_t)resp[8] << 8 | resp[9];
	free(resp);
	return rc;
}

static void test_swtpm_state_loads_into_libtpms(void **state)
{
	unsigned char *perm, *vol;
	uint32_t perm_len, vol_len;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	copy_fixture("tpm2-00.permall", sdir);
	copy_fixture("tpm2-00.volatilestate", sdir);
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	use_store_callbacks();

	/* libtpms reads swtpm's files through the store and accepts them */
	assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT |
					      TPMLIB_STATE_VOLATILE, 0),
			 TPM_SUCCESS);

	/* the payloads as SET_STATEBLOB would hand them over */
	assert_int_equal(store_load(TPM_PERMANENT_ALL_NAME, &perm, &perm_len),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_PERMANENT, perm,
					 perm_len), TPM_SUCCESS);
	assert_int_equal(store_load(TPM_VOLATILESTATE_NAME, &vol, &vol_len),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_VOLATILE, vol, vol_len),
			 TPM_SUCCESS);
	/* (libtpms does look: half a state is refused) */
	assert_int_not_equal(TPMLIB_SetState(TPMLIB_STATE_PERMANENT, perm,
					     perm_len / 2), TPM_SUCCESS);
	/* drop libtpms' cached copies again */
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_PERMANENT, NULL, 0),
			 TPM_SUCCESS);
	assert_int_equal(TPMLIB_SetState(TPMLIB_STATE_VOLATILE, NULL, 0),
			 TPM_SUCCESS);

	/* and what we write for that payload is swtpm's file, byte for byte */
	{
		uint8_t *orig, *ours;
		size_t olen, ourlen;

		orig = read_file(sdir, "tpm2-00.permall", &olen);
		assert_int_equal(store_save(TPM_PERMANENT_ALL_NAME, perm,
					    perm_len), TPM_SUCCESS);
		ours = read_file(sdir, "tpm2-00.permall", &ourlen);
		assert_int_equal(ourlen, olen);
		assert_memory_equal(ours, orig, olen);
		free(ours);
		free(orig);
	}
	free(perm);
	free(vol);
}

static void test_libtpms_runs_on_the_store(void **state)
{
	static const uint8_t startup_clear[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
	};
	static const uint8_t get_random8[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8,
	};
	static const uint8_t shutdown_state[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 1,
	};
	uint8_t *before, *after;
	size_t blen, alen;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);
	copy_fixture("tpm2-00.permall", sdir);
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	use_store_callbacks();
	before = read_file(sdir, "tpm2-00.permall", &blen);

	/* boot from swtpm's permanent state; run; save state back */
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	assert_int_equal(tpm2_cmd(get_random8, sizeof(get_random8)), 0);
	assert_int_equal(tpm2_cmd(shutdown_state, sizeof(shutdown_state)), 0);
	{
		unsigned char *buf;
		uint32_t len;

		assert_int_equal(TPMLIB_VolatileAll_Store(&buf, &len),
				 TPM_SUCCESS);
		assert_int_equal(store_save(TPM_VOLATILESTATE_NAME, buf, len),
				 TPM_SUCCESS);
		free(buf);
	}
	TPMLIB_Terminate();
	assert_no_temp(sdir);

	/* libtpms wrote permall through the store, and it still validates */
	after = read_file(sdir, "tpm2-00.permall", &alen);
	assert_false(alen == blen && memcmp(after, before, alen) == 0);
	assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT |
					      TPMLIB_STATE_VOLATILE, 0),
			 TPM_SUCCESS);
	free(after);
	free(before);
}

/* No files yet: TPM_RETRY tells libtpms to manufacture a TPM, which it
 * then saves through the store. */
static void test_libtpms_manufactures_into_empty_store(void **state)
{
	static const uint8_t startup_clear[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
	};

	(void)state;
	assert_int_equal(store_open(sdir, TPM_VERSION_2, STORE_MODE_DEFAULT),
			 0);
	use_store_callbacks();
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	TPMLIB_Terminate();

	assert_true(exists(sdir, "tpm2-00.permall"));
	assert_no_temp(sdir);
	assert_int_equal(TPMLIB_ValidateState(TPMLIB_STATE_PERMANENT, 0),
			 TPM_SUCCESS);
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
		T(test_lock_excludes_other_process),
		T(test_no_writes_without_lock),
		T(test_deferred_lock),
		T(test_lock_retries),
		T(test_detect_version),
		T(test_swtpm_state_loads_into_libtpms),
		T(test_libtpms_runs_on_the_store),
		T(test_libtpms_manufactures_into_empty_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
