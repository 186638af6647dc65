/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state_dir.h - a fresh temporary state directory per test, and the file
 * checks the store and TPM tests make on it. Include after cmocka.h and
 * test_files.h. Failures fail the test.
 */
#ifndef VTPMD_STATE_DIR_H
#define VTPMD_STATE_DIR_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE_DIR "tests/unit/data/swtpm-0.7.1"
#define NOBODY 65534

static char base[256];          /* per-test temp dir */
static char sdir[300];          /* the state dir inside it (not made yet) */

static inline int state_dir_setup(void)
{
	snprintf(base, sizeof(base), "/tmp/vtpmd-test-store.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	path_in(sdir, sizeof(sdir), base, "state");
	umask(022);
	return 0;
}

static inline int state_dir_teardown(void)
{
	char cmd[2 * sizeof(base) + 64];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' && rm -rf '%s'", base,
		 base);
	return system(cmd) == 0 ? 0 : -1;
}

static inline void write_file(const char *dir, const char *name, const void *data,
			      size_t len, mode_t mode)
{
	char path[400];

	path_in(path, sizeof(path), dir, name);
	write_file_at(path, data, len, mode);
}

/* DIR/NAME's bytes; the test fails if it cannot be read. */
static inline uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[400];
	uint8_t *buf;

	path_in(path, sizeof(path), dir, name);
	buf = read_file_at(path, len);
	if (!buf)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	return buf;
}

static inline mode_t file_mode(const char *dir, const char *name)
{
	char path[400];
	struct stat sb;

	path_in(path, sizeof(path), dir, name);
	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static inline bool exists(const char *dir, const char *name)
{
	char path[400];
	struct stat sb;

	path_in(path, sizeof(path), dir, name);
	return lstat(path, &sb) == 0;
}

/* Nothing named TMP* in DIR: no temp file was left behind. */
static inline void assert_no_temp(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "TMP", 3) == 0)
			fail_msg("temp file %s left in %s", de->d_name, dir);
	closedir(d);
}

/* swtpm 0.7.1's file NAME (tests/unit/data, or $VTPMD_TEST_DATA) into DIR. */
static inline void copy_fixture(const char *name, const char *dir)
{
	const char *src = getenv("VTPMD_TEST_DATA");
	uint8_t *buf;
	size_t len;

	buf = read_file(src ? src : FIXTURE_DIR, name, &len);
	write_file(dir, name, buf, len, 0640);
	free(buf);
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run FN in a child process; its return value is the exit status. */
static inline int in_child(int (*fn)(void))
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

#endif
