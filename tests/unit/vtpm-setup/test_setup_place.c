/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_place.c - vtpm-setup's all-or-nothing placement of a state
 * directory. A failure injected at each step, for a DIR that exists and
 * one that does not, leaves DIR exactly as it was (names, bytes, modes,
 * the directory's inode and mode) and nothing beside it; success replaces
 * it whole. Refusals: foreign files, symlinks, non-directories, a DIR whose
 * lock a running TPM holds. And the real thing: a TPM manufactured by
 * libtpms in the temporary directory, failed or placed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vtpm-setup/setup_cmds.h"
#include "vtpm-setup/setup_manufacture.h"
#include "vtpm-setup/setup_opts.h"
#include "vtpm-setup/setup_place.h"
#include "vtpm-setup/setup_tpm.h"
#include "test_files.h"
#include "state_dir.h"

/* DIR is state_dir.h's sdir, inside the per-test base. */
static int setup(void **state)
{
	(void)state;
	return state_dir_setup();
}

static int teardown(void **state)
{
	(void)state;
	return state_dir_teardown();
}

/* Everything about PATH a user could notice, as one string: the
 * directory's inode and mode, and each entry's name, mode and bytes. */
static char *snapshot(const char *path)
{
	struct dirent **names;
	struct stat sb;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	int n, i;

	assert_non_null(f);
	if (lstat(path, &sb) < 0) {
		fprintf(f, "missing");
		fclose(f);
		return out;
	}
	fprintf(f, "ino %lu mode %o\n", (unsigned long)sb.st_ino, sb.st_mode);
	n = scandir(path, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		char p[600];
		uint8_t *data;
		size_t len;

		path_in(p, sizeof(p), path, names[i]->d_name);
		assert_int_equal(lstat(p, &sb), 0);
		fprintf(f, "%s %o", names[i]->d_name, sb.st_mode);
		if (S_ISREG(sb.st_mode)) {
			data = read_file_at(p, &len);
			fprintf(f, " %zu:", len);
			fwrite(data, 1, len, f);
			free(data);
		}
		fputc('\n', f);
		free(names[i]);
	}
	free(names);
	fclose(f);
	return out;
}

/* The entries of BASE besides "state" and the files a test put there. */
static int others_in_base(void)
{
	DIR *d = opendir(base);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "state") && strcmp(e->d_name, "outside"))
			n++;
	closedir(d);
	return n;
}

static void make_old_state(void)
{
	char p[400];

	assert_int_equal(mkdir(sdir, 0700), 0);
	path_in(p, sizeof(p), sdir, "tpm2-00.permall");
	write_file_at(p, "old permanent state", 19, 0640);
	path_in(p, sizeof(p), sdir, ".lock");
	write_file_at(p, "", 0, 0640);
}

struct inject {
	enum place_step at;
	int err;
	unsigned seen;          /* bit per step reached */
};

static int inject_cb(enum place_step s, void *ctx)
{
	struct inject *in = ctx;

	in->seen |= 1u << s;
	return s == in->at ? in->err : 0;
}

/* The flow main() runs, with a stand-in for the TPM's work. */
static int run_flow(struct placement *p, bool copy, char *err, size_t errlen)
{
	char path[PATH_MAX + 32];
	int ret = place_inspect(p, sdir, err, errlen);

	if (ret == 0)
		ret = place_begin(p, copy, err, errlen);
	if (ret == 0) {
		path_in(path, sizeof(path), p->tmp, "tpm2-00.permall");
		write_file_at(path, "new permanent state", 19, 0640);
		ret = place_fill_check(p);
		if (ret < 0)
			snprintf(err, errlen, "fill failed");
	}
	if (ret == 0)
		ret = place_commit(p, err, errlen);
	place_end(p);
	return ret;
}

static void each_step_fails_cleanly(bool dir_exists, bool copy)
{
	enum place_step s;

	for (s = PLACE_INSPECT; s < PLACE_CLEANUP; s++) {
		struct inject in = { .at = s, .err = EIO };
		struct placement p = { .inject = inject_cb, .inject_ctx = &in };
		char err[512] = "", *before, *after;
		int ret;

		if (s == PLACE_COPY && !copy)
			continue;
		before = snapshot(sdir);
		ret = run_flow(&p, copy, err, sizeof(err));
		after = snapshot(sdir);
		if (ret != -EIO)
			fail_msg("step %d: expected -EIO, got %d (%s)", s, ret, err);
		assert_true(in.seen & (1u << s));
		assert_true(err[0] && !strchr(err, '\n'));
		if (strcmp(before, after) != 0)
			fail_msg("step %d changed %s:\n--- before\n%s--- after\n%s", s, sdir,
				 before, after);
		if (others_in_base())
			fail_msg("step %d left something beside %s", s, sdir);
		free(before);
		free(after);
	}
	(void)dir_exists;
}

static void test_failures_existing_dir(void **state)
{
	(void)state;
	make_old_state();
	each_step_fails_cleanly(true, false);
	each_step_fails_cleanly(true, true);    /* amending: the state is copied */
}

static void test_failures_missing_dir(void **state)
{
	(void)state;
	each_step_fails_cleanly(false, false);
	assert_int_equal(access(sdir, F_OK), -1);
}

static void test_replaces_existing(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512] = "", path[400];
	struct stat sb;
	uint8_t *data;
	size_t len;

	(void)state;
	make_old_state();
	assert_int_equal(chmod(sdir, 0710), 0);
	assert_int_equal(run_flow(&p, false, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	path_in(path, sizeof(path), sdir, "tpm2-00.permall");
	data = read_file_at(path, &len);
	assert_int_equal(len, 19);
	assert_memory_equal(data, "new permanent state", 19);
	free(data);
	/* the directory keeps its mode; the old state is gone */
	assert_int_equal(stat(sdir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0710);
	assert_int_equal(others_in_base(), 0);
	assert_true(p.has_state);
}

static void test_amend_copies_state(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], path[PATH_MAX + 32];
	uint8_t *data;
	size_t len;

	(void)state;
	make_old_state();
	assert_int_equal(place_inspect(&p, sdir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, true, err, sizeof(err)), 0);
	path_in(path, sizeof(path), p.tmp, "tpm2-00.permall");
	data = read_file_at(path, &len);
	assert_int_equal(len, 19);
	assert_memory_equal(data, "old permanent state", 19);
	free(data);
	place_end(&p);
	assert_int_equal(others_in_base(), 0);
}

static void test_creates_missing(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512] = "";
	struct stat sb;

	(void)state;
	umask(027);
	assert_int_equal(run_flow(&p, false, err, sizeof(err)), 0);
	umask(022);
	assert_int_equal(stat(sdir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_false(p.dir_exists);
	assert_int_equal(others_in_base(), 0);
}

/* Past the rename nothing is undone: the new state stays, the old one's
 * leftover is named. */
static void test_cleanup_failure_is_reported(void **state)
{
	struct inject in = { .at = PLACE_CLEANUP, .err = EIO };
	struct placement p = { .inject = inject_cb, .inject_ctx = &in };
	char err[512] = "", path[400];
	uint8_t *data;
	size_t len;

	(void)state;
	make_old_state();
	assert_int_equal(run_flow(&p, false, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "the old state of"));
	path_in(path, sizeof(path), sdir, "tpm2-00.permall");
	data = read_file_at(path, &len);
	assert_memory_equal(data, "new permanent state", 19);
	free(data);
	assert_int_equal(others_in_base(), 1);
}

static void test_refusals(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], path[400], *before;

	(void)state;
	/* a directory holding other things is not a state directory */
	make_old_state();
	path_in(path, sizeof(path), sdir, "notes.txt");
	write_file_at(path, "mine", 4, 0644);
	before = snapshot(sdir);
	assert_int_equal(place_inspect(&p, sdir, err, sizeof(err)), -ENOTEMPTY);
	assert_non_null(strstr(err, "holds 'notes.txt', which is not TPM state"));
	assert_int_equal(unlink(path), 0);

	/* a symbolic link, and a file */
	path_in(path, sizeof(path), base, "outside");
	assert_int_equal(symlink(sdir, path), 0);
	assert_int_equal(place_inspect(&p, path, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "is a symbolic link"));
	assert_int_equal(unlink(path), 0);
	write_file_at(path, "x", 1, 0644);
	assert_int_equal(place_inspect(&p, path, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "is not a directory"));
	assert_int_equal(unlink(path), 0);
	free(before);
}

/* A running vtpmd or swtpm holds a POSIX record lock on DIR/.lock. */
static void test_locked_dir(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], path[400], c, *before, *after;
	int sync_pipe[2];
	pid_t pid;

	(void)state;
	make_old_state();
	path_in(path, sizeof(path), sdir, ".lock");
	assert_int_equal(pipe(sync_pipe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(path, O_RDWR);

		if (fd < 0 || fcntl(fd, F_SETLK, &lk) < 0)
			_exit(1);
		if (write(sync_pipe[1], "l", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sync_pipe[1]);
	assert_int_equal(read(sync_pipe[0], &c, 1), 1);
	before = snapshot(sdir);
	assert_int_equal(run_flow(&p, false, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "is in use by another process"));
	after = snapshot(sdir);
	assert_string_equal(before, after);
	assert_int_equal(others_in_base(), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(sync_pipe[0]);
	free(before);
	free(after);
	/* once the holder is gone, it works */
	assert_int_equal(run_flow(&p, false, err, sizeof(err)), 0);
}

/* Setups of one DIR started together, each keeping a state it finds (as
 * --not-overwrite does): exactly one makes it, and DIR holds that one's. */
static void test_concurrent_setups(void **state)
{
	enum { CHILDREN = 6 };
	int go[2], i, made = 0, kept = 0, winner = -1;
	char want[32], path[400];
	uint8_t *data;
	size_t len;

	(void)state;
	assert_int_equal(mkdir(sdir, 0750), 0);  /* empty, as StateDirectory= */
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			struct placement p = { .inject = NULL };
			char err[512], c, file[PATH_MAX + 32], mine[32];
			int ret;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)    /* start together (EOF) */
				_exit(98);
			ret = place_inspect(&p, sdir, err, sizeof(err));
			if (ret == 0 && p.has_state) {
				place_end(&p);
				_exit(10);
			}
			if (ret == 0)
				ret = place_begin(&p, false, err, sizeof(err));
			if (ret == 0) {
				snprintf(file, sizeof(file), "%s/tpm2-00.permall", p.tmp);
				snprintf(mine, sizeof(mine), "child %d", i);
				write_file_at(file, mine, strlen(mine), 0640);
				usleep(20000);  /* a window for the others */
				ret = place_commit(&p, err, sizeof(err));
			}
			place_end(&p);
			_exit(ret == 0 ? i : 99);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < CHILDREN; i++) {
		int status;

		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 10) {
			kept++;
		} else {
			assert_true(WEXITSTATUS(status) < CHILDREN);
			winner = WEXITSTATUS(status);
			made++;
		}
	}
	assert_int_equal(made, 1);
	assert_int_equal(kept, CHILDREN - 1);
	path_in(path, sizeof(path), sdir, "tpm2-00.permall");
	data = read_file_at(path, &len);
	snprintf(want, sizeof(want), "child %d", winner);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
	assert_int_equal(others_in_base(), 0);
}

/* The real pipeline: libtpms manufactures in the temporary directory. */
static int manufacture_in(struct placement *p, struct setup_eks *eks,
			  char *err, size_t errlen)
{
	char *argv[] = { "vtpm-setup", "--tpmstate", sdir, "--createek", "--pcr-banks",
			 "sha1,sha256", NULL };
	struct setup_options o;
	const struct manufacture_env env = { .ca = NULL, .now = time(NULL) };
	int ret;

	assert_int_equal(setup_opts_parse(&o, 6, argv, err, errlen), 0);
	ret = setup_tpm_open(p->tmp, &o.key, err, errlen);
	if (ret == 0)
		ret = setup_manufacture(&o, &env, eks, err, errlen);
	setup_tpm_close();
	if (ret == 0)
		ret = place_fill_check(p);
	return ret;
}

static void test_real_tpm(void **state)
{
	struct inject in = { .at = PLACE_FILL, .err = ENOSPC };
	struct placement p = { .inject = inject_cb, .inject_ctx = &in };
	struct setup_eks eks = { .n = 0 };
	struct tpm2_pubkey pub;
	char err[512], *before, *after;
	EVP_PKEY *again;

	(void)state;
	make_old_state();
	before = snapshot(sdir);
	/* manufactured, then a failure: DIR keeps the old state */
	assert_int_equal(place_inspect(&p, sdir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, false, err, sizeof(err)), 0);
	assert_int_equal(manufacture_in(&p, &eks, err, sizeof(err)), -ENOSPC);
	place_end(&p);
	after = snapshot(sdir);
	assert_string_equal(before, after);
	assert_int_equal(others_in_base(), 0);
	setup_eks_free(&eks);

	/* manufactured and placed: the TPM in DIR has the EK we were told of */
	p.inject = NULL;
	assert_int_equal(place_inspect(&p, sdir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, false, err, sizeof(err)), 0);
	if (manufacture_in(&p, &eks, err, sizeof(err)) != 0)
		fail_msg("manufacture: %s", err);
	assert_int_equal(place_commit(&p, err, sizeof(err)), 0);
	place_end(&p);
	assert_int_equal(eks.n, 2);
	assert_int_equal(setup_tpm_open(sdir, NULL, err, sizeof(err)), 0);
	assert_int_equal(setup_tpm_power_on(err, sizeof(err)), 0);
	assert_int_equal(tpm2cmd_startup(0), 0);
	assert_int_equal(tpm2cmd_read_public(0x81010001, &pub), 0);
	assert_int_equal(cert_pubkey_from_tpm(&pub, &again, err, sizeof(err)), 0);
	assert_int_equal(EVP_PKEY_eq(again, eks.ek[0].pub), 1);
	EVP_PKEY_free(again);
	assert_int_equal(tpm2cmd_read_public(0x81010016, &pub), 0);
	assert_int_equal(pub.type, TPM2_ALG_ECC);
	setup_tpm_close();
	setup_eks_free(&eks);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failures_existing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amend_copies_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creates_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_failure_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_setups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_tpm, setup, teardown),
	};

	setup_tpm_log_to(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
