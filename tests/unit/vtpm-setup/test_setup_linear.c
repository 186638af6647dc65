/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_linear.c - vtpm-setup's all-or-nothing placement into a
 * linear state file (--tpmstate file://PATH). A failure injected at each of
 * its steps, and at each step of the store's update inside the commit up to
 * the header's fdatasync, leaves PATH byte for byte as it was (or absent,
 * when it was absent) and no temporary directory behind; success replaces
 * every slot at once. A file whose lock a running TPM holds is refused.
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

#include <libtpms/tpm_error.h>

#include "store/blob.h"
#include "store/linear.h"
#include "vtpm-setup/setup_linear.h"
#include "test_files.h"
#include "lock_holder.h"
#include "state_dir.h"

static char lpath[400], tmpdir[400];

static int setup(void **state)
{
	(void)state;
	if (state_dir_setup() < 0)
		return -1;
	path_in(lpath, sizeof(lpath), base, "tpm.img");
	path_in(tmpdir, sizeof(tmpdir), base, "tmp");
	if (mkdir(tmpdir, 0700) < 0)
		return -1;
	setenv("TMPDIR", tmpdir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("TMPDIR");
	return state_dir_teardown();
}

/* The permanent state in PATH, decoded; "" for none, "absent" without a
 * file. Fails the test on a damaged file. */
static char *permanent(bool *has_volatile)
{
	struct linear_header h;
	char why[256];
	uint8_t *img, *p;
	size_t len, plen;
	char *s;

	img = read_file_at(lpath, &len);
	if (!img)
		return strdup("absent");
	if (linear_parse(img, len, len, &h, why, sizeof(why)) < 0)
		fail_msg("damaged: %s", why);
	if (has_volatile)
		*has_volatile = h.slot[1].offset != 0;
	if (!h.slot[0].offset) {
		free(img);
		return strdup("");
	}
	assert_int_equal(blob_file_decode(NULL, img + h.slot[0].offset, h.slot[0].data_len,
					  &p, &plen), TPM_SUCCESS);
	s = strndup((const char *)p, plen);
	free(p);
	free(img);
	return s;
}

static void write_blob(const char *dir, const char *name, const char *payload)
{
	char path[PATH_MAX + 32];
	uint8_t *enc;
	size_t elen;

	assert_int_equal(blob_file_encode(NULL, (const uint8_t *)payload, strlen(payload),
					  &enc, &elen), TPM_SUCCESS);
	path_in(path, sizeof(path), dir, name);
	write_file_at(path, enc, elen, 0640);
	free(enc);
}

/* A file holding an old permanent and volatile state, through a store. */
static void make_old_state(void)
{
	struct linear_placement p = { .inject = NULL };
	char err[512];

	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), 0);
	assert_int_equal(linear_place_begin(&p, false, err, sizeof(err)), 0);
	write_blob(p.tmp, "tpm2-00.permall", "old permanent state");
	write_blob(p.tmp, "tpm2-00.volatilestate", "old volatile state");
	assert_int_equal(linear_place_commit(&p, err, sizeof(err)), 0);
	linear_place_end(&p);
}

struct inject {
	enum linear_place_step at;
	enum store_linear_step store_at;
	int err;
	unsigned seen;
};

static int inject_cb(enum linear_place_step s, void *ctx)
{
	struct inject *in = ctx;

	in->seen |= 1u << s;
	return s == in->at ? in->err : 0;
}

static int store_inject_cb(enum store_linear_step s, void *ctx)
{
	struct inject *in = ctx;

	in->seen |= 1u << (LPLACE_STEPS + s);
	return s == in->store_at ? in->err : 0;
}

/* The flow main() runs, with a stand-in for the TPM's work. */
static int run_flow(struct linear_placement *p, bool copy, char *err, size_t errlen)
{
	int ret = linear_place_inspect(p, lpath, err, errlen);

	if (ret == 0)
		ret = linear_place_begin(p, copy, err, errlen);
	if (ret == 0) {
		write_blob(p->tmp, "tpm2-00.permall", "new permanent state");
		ret = linear_place_fill_check(p);
		if (ret < 0)
			snprintf(err, errlen, "fill failed");
	}
	if (ret == 0)
		ret = linear_place_commit(p, err, errlen);
	linear_place_end(p);
	return ret;
}

static bool tmp_empty(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n == 0;
}

static void each_step_fails_cleanly(bool copy)
{
	unsigned k;

	/* the placement's steps, then the store's inside the commit up to
	 * the header's write (its fdatasync: test_sync_of_the_switch_fails) */
	for (k = 0; k <= LPLACE_STEPS + LINEAR_STEP_WRITE_HEADER; k++) {
		struct inject in = {
			.at = k < LPLACE_STEPS ? (enum linear_place_step)k : LPLACE_STEPS,
			.store_at = k < LPLACE_STEPS ? LINEAR_STEPS :
				(enum store_linear_step)(k - LPLACE_STEPS),
			.err = EIO,
		};
		struct linear_placement p = {
			.inject = inject_cb, .inject_ctx = &in,
			.store_inject = store_inject_cb, .store_inject_ctx = &in,
		};
		uint8_t *before, *after;
		size_t blen, alen;
		char err[512] = "", *want = NULL;
		int ret;

		if (k == LPLACE_COPY && !copy)
			continue;
		before = read_file_at(lpath, &blen);
		if (before)
			want = permanent(NULL);
		ret = run_flow(&p, copy, err, sizeof(err));
		after = read_file_at(lpath, &alen);
		if (ret != -EIO)
			fail_msg("step %u: expected -EIO, got %d (%s)", k, ret, err);
		assert_true(in.seen & (1u << k));
		assert_true(err[0] && !strchr(err, '\n'));
		if (!before) {
			if (after)
				fail_msg("step %u left a file where there was none", k);
		} else if (k <= LPLACE_STEPS + LINEAR_STEP_WRITE_DATA) {
			/* nothing was written */
			if (!after || alen != blen || memcmp(after, before, alen) != 0)
				fail_msg("step %u changed %s", k, lpath);
		} else {
			/* new blobs went into free space; the header, and so
			 * the state, is the old one */
			char *st = permanent(NULL);

			assert_non_null(after);
			assert_true(alen >= LINEAR_HEADER_SIZE);
			assert_memory_equal(after, before, LINEAR_HEADER_SIZE);
			assert_string_equal(st, want);
			free(st);
		}
		free(want);
		if (!tmp_empty())
			fail_msg("step %u left a temporary directory", k);
		free(before);
		free(after);
	}
}

static void test_failures_existing_file(void **state)
{
	(void)state;
	make_old_state();
	each_step_fails_cleanly(false);
	each_step_fails_cleanly(true);          /* amending: the state is copied */
	{
		char *s = permanent(NULL);

		assert_string_equal(s, "old permanent state");
		free(s);
	}
}

static void test_failures_missing_file(void **state)
{
	(void)state;
	each_step_fails_cleanly(false);
	assert_int_equal(access(lpath, F_OK), -1);
}

/* The switch was written but not synced: an error, and the file holds
 * the old state or the new one (here the new one, from the page cache). */
static void test_sync_of_the_switch_fails(void **state)
{
	struct inject in = { .at = LPLACE_STEPS, .store_at = LINEAR_STEP_SYNC_HEADER,
			     .err = EIO };
	struct linear_placement p = {
		.store_inject = store_inject_cb, .store_inject_ctx = &in,
	};
	char err[512], *s;

	(void)state;
	make_old_state();
	assert_int_equal(run_flow(&p, false, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "cannot put the new state into"));
	s = permanent(NULL);
	assert_true(strcmp(s, "old permanent state") == 0 ||
		    strcmp(s, "new permanent state") == 0);
	free(s);
	assert_true(tmp_empty());
}

static void test_replaces_all_slots_at_once(void **state)
{
	struct linear_placement p = { .inject = NULL };
	char err[512];
	bool vol = false;
	char *s;

	(void)state;
	make_old_state();
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), 0);
	assert_true(p.has_state && p.has_volatile);
	linear_place_end(&p);

	assert_int_equal(run_flow(&p, false, err, sizeof(err)), 0);
	s = permanent(&vol);
	assert_string_equal(s, "new permanent state");
	assert_false(vol);              /* the old volatile state went with it */
	free(s);
	assert_true(tmp_empty());

	/* amending copies the permanent state into the temporary directory */
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), 0);
	assert_int_equal(linear_place_begin(&p, true, err, sizeof(err)), 0);
	{
		char path[PATH_MAX + 32];
		uint8_t *f, *payload;
		size_t flen, plen;

		path_in(path, sizeof(path), p.tmp, "tpm2-00.permall");
		f = read_file_at(path, &flen);
		assert_non_null(f);
		assert_int_equal(blob_file_decode(NULL, f, flen, &payload, &plen), TPM_SUCCESS);
		assert_int_equal(plen, 19);
		assert_memory_equal(payload, "new permanent state", 19);
		free(payload);
		free(f);
	}
	linear_place_end(&p);
	assert_true(tmp_empty());
}

/* The temporary directory's name taken by another directory before the
 * end (another user of TMPDIR): the end removes only its own, and leaves
 * what now has the name, and what is in it, alone. */
static void test_swapped_temp_left_alone(void **state)
{
	struct linear_placement p = { .inject = NULL };
	char err[512], moved[PATH_MAX + 8], file[PATH_MAX + 32];

	(void)state;
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), 0);
	assert_int_equal(linear_place_begin(&p, false, err, sizeof(err)), 0);
	write_blob(p.tmp, "tpm2-00.permall", "made here");
	snprintf(moved, sizeof(moved), "%s.own", p.tmp);
	assert_int_equal(rename(p.tmp, moved), 0);
	assert_int_equal(mkdir(p.tmp, 0700), 0);
	path_in(file, sizeof(file), p.tmp, "someone-else");
	write_file_at(file, "x", 1, 0600);
	linear_place_end(&p);
	assert_int_equal(access(file, F_OK), 0);
	/* clean up by hand: both directories */
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(p.tmp), 0);
	path_in(file, sizeof(file), moved, "tpm2-00.permall");
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(moved), 0);
	assert_true(tmp_empty());
}

static void test_locked_file_refused(void **state)
{
	struct linear_placement p = { .inject = NULL };
	char err[512];
	struct lock_holder holder;

	(void)state;
	make_old_state();
	/* a running TPM on the file: its lock */
	lock_holder_start_file(&holder, lpath);
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "is in use by another process"));
	lock_holder_stop(&holder);
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), 0);
	linear_place_end(&p);
}

static void test_bad_target_refused(void **state)
{
	struct linear_placement p = { .inject = NULL };
	char err[512];

	(void)state;
	{
		char text[200];

		memset(text, '.', sizeof(text));
		write_file_at(lpath, text, sizeof(text), 0640);
	}
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not swtpm's linear state format"));
	assert_int_equal(unlink(lpath), 0);
	assert_int_equal(mkdir(lpath, 0700), 0);
	assert_int_equal(linear_place_inspect(&p, lpath, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a directory"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_failures_existing_file),
		T(test_failures_missing_file),
		T(test_sync_of_the_switch_fails),
		T(test_replaces_all_slots_at_once),
		T(test_swapped_temp_left_alone),
		T(test_locked_file_refused),
		T(test_bad_target_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
