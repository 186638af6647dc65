/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_store_linear.c - the store on a linear state file: made on first
 * use, swtpm 0.7.1's files loaded and updated, each kind of bad file
 * refused at open with one line and left as it was, the lock (against
 * another store and against swtpm's own lock call), and crash safety: a
 * failure injected at each step of an update, a process that dies at each
 * step, and what a power cut between two steps could leave on the disk all
 * give the old state or the new one, in a file swtpm can read. A block
 * device (a loop device, when the machine gives one) is the same.
 *
 * Tests run from the top of the tree (make unit), or set VTPMD_TEST_DATA.
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
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_nvfilename.h>

#include "store/blob.h"
#include "store/store.h"
#include "test_files.h"
#include "lock_holder.h"
#include "state_dir.h"
#include "store_fixture.h"

#define LINEAR_FIXTURES "tests/unit/data/swtpm-0.7.1-linear"

static char lpath[400];         /* the linear file of the test */
static char err[512];

static int lsetup(void **state)
{
	int ret = setup(state);

	path_in(lpath, sizeof(lpath), base, "tpm.img");
	err[0] = '\0';
	return ret;
}

static int open_linear_opts(struct store_options *o)
{
	o->file = lpath;
	o->err = err;
	o->errlen = sizeof(err);
	if (!o->file_mode)
		o->file_mode = STORE_MODE_DEFAULT;
	return store_open(&S, o);
}

static int open_linear(void)
{
	struct store_options o = { .file_mode = STORE_MODE_DEFAULT };

	return open_linear_opts(&o);
}

static void copy_linear_fixture(const char *name)
{
	const char *dir = getenv("VTPMD_TEST_DATA_LINEAR");
	char path[512];
	uint8_t *buf;
	size_t len;

	path_in(path, sizeof(path), dir ? dir : LINEAR_FIXTURES, name);
	buf = read_file_at(path, &len);
	if (!buf)
		fail_msg("cannot read %s", path);
	write_file_at(lpath, buf, len, 0640);
	free(buf);
}

/* The file's header, which must be valid (or no state: returns 0). */
static int header_of(struct linear_header *h, uint8_t **image, size_t *len)
{
	char why[256] = "";
	uint8_t *f = read_file_at(lpath, len);
	int ret;

	assert_non_null(f);
	ret = linear_parse(f, *len, *len, h, why, sizeof(why));
	if (ret < 0)
		fail_msg("the file is not valid: %s", why);
	if (image)
		*image = f;
	else
		free(f);
	return ret;
}

static void save(const char *name, const char *payload)
{
	assert_int_equal(store_save(&S, name, (const uint8_t *)payload, strlen(payload)),
			 TPM_SUCCESS);
}

static void assert_loads_str(const char *name, const char *payload)
{
	assert_loads(name, payload, strlen(payload));
}

static void assert_absent(const char *name)
{
	unsigned char *data;
	uint32_t len;

	assert_int_equal(store_load(&S, name, &data, &len), TPM_RETRY);
	assert_null(data);
}

/* ---- a new file ---- */

static void test_new_file(void **state)
{
	struct linear_header h;
	uint8_t *img, *enc;
	size_t len, elen;
	struct stat st;

	(void)state;
	assert_int_equal(open_linear(), 0);
	/* made, empty, with the state's mode; nothing is written at open */
	assert_int_equal(stat(lpath, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_true(store_locked(&S));
	assert_int_equal(store_begin_loads(&S), TPM_SUCCESS);
	assert_absent(TPM_PERMANENT_ALL_NAME);

	save(TPM_PERMANENT_ALL_NAME, "permanent one");
	save(TPM_VOLATILESTATE_NAME, "volatile one");
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "permanent one");
	assert_loads_str(TPM_VOLATILESTATE_NAME, "volatile one");
	assert_absent(TPM_SAVESTATE_NAME);

	/* a slot holds the directory backend's file, byte for byte */
	assert_int_equal(header_of(&h, &img, &len), 1);
	assert_int_equal(blob_file_encode(NULL, (const uint8_t *)"permanent one", 13, &enc,
					  &elen), TPM_SUCCESS);
	assert_int_equal(h.slot[0].data_len, elen);
	assert_memory_equal(img + h.slot[0].offset, enc, elen);
	/* and the file ends where its last blob does */
	assert_int_equal(len, linear_end(&h));
	free(enc);
	free(img);

	/* deleted: the slot is empty, the blob gone from the file */
	assert_int_equal(store_delete(&S, TPM_VOLATILESTATE_NAME, true), TPM_SUCCESS);
	assert_absent(TPM_VOLATILESTATE_NAME);
	assert_int_equal(store_delete(&S, TPM_VOLATILESTATE_NAME, false), TPM_SUCCESS);
	assert_int_equal(store_delete(&S, TPM_VOLATILESTATE_NAME, true), TPM_FAIL);
	assert_int_equal(header_of(&h, NULL, &len), 1);
	assert_int_equal(h.slot[1].offset, 0);
	assert_int_equal(len, linear_end(&h));

	/* reopened: the same */
	store_close(&S);
	assert_int_equal(open_linear(), 0);
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "permanent one");
	assert_absent(TPM_VOLATILESTATE_NAME);
	assert_int_equal(store_load(&S, "other", &(unsigned char *){ NULL },
				    &(uint32_t){ 0 }), TPM_BAD_PARAMETER);
}

static void test_mode_and_key(void **state)
{
	struct state_key key = { .len = 32 };
	struct store_options o = { .file_mode = 0600, .file_key = &key };
	struct linear_header h;
	uint8_t *img, *plain;
	size_t len, plen;
	struct stat st;

	(void)state;
	memset(key.bytes, 0x5a, sizeof(key.bytes));
	umask(077);
	assert_int_equal(open_linear_opts(&o), 0);
	umask(022);
	assert_int_equal(stat(lpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	save(TPM_PERMANENT_ALL_NAME, "secret seeds");
	assert_int_equal(header_of(&h, &img, &len), 1);
	/* encrypted as in a state directory: only the key opens it */
	assert_null(memmem(img, len, "secret seeds", 12));
	assert_int_equal(blob_file_decode(&key, img + h.slot[0].offset, h.slot[0].data_len,
					  &plain, &plen), TPM_SUCCESS);
	assert_int_equal(plen, 12);
	assert_memory_equal(plain, "secret seeds", 12);
	free(plain);
	free(img);
	store_close(&S);

	/* mode= brings an existing file to that mode */
	assert_int_equal(chmod(lpath, 0644), 0);
	o.file_mode = 0640;
	assert_int_equal(open_linear_opts(&o), 0);
	assert_int_equal(stat(lpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "secret seeds");
}

/* ---- swtpm's files ---- */

static void test_swtpm_file(void **state)
{
	struct linear_header before, after;
	uint8_t *old, *img;
	unsigned char *vol;
	uint32_t vlen;
	size_t olen, len;

	(void)state;
	copy_linear_fixture("tpm2.linear");
	assert_int_equal(header_of(&before, &old, &olen), 1);
	assert_int_equal(open_linear(), 0);
	/* opening writes nothing */
	img = read_file_at(lpath, &len);
	assert_int_equal(len, olen);
	assert_memory_equal(img, old, len);
	free(img);

	assert_int_equal(store_load(&S, TPM_VOLATILESTATE_NAME, &vol, &vlen), TPM_SUCCESS);
	assert_true(vlen > 1000);
	save(TPM_PERMANENT_ALL_NAME, "ours");
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "ours");
	assert_loads(TPM_VOLATILESTATE_NAME, vol, vlen);
	/* swtpm's volatile blob did not move, byte for byte */
	assert_int_equal(header_of(&after, &img, &len), 1);
	assert_int_equal(after.slot[1].offset, before.slot[1].offset);
	assert_int_equal(after.slot[1].data_len, before.slot[1].data_len);
	assert_memory_equal(img + after.slot[1].offset, old + before.slot[1].offset,
			    before.slot[1].data_len);
	/* the old permanent state is overwritten with zeros */
	for (size_t i = 0; i < before.slot[0].data_len; i++)
		if (img[before.slot[0].offset + i])
			fail_msg("old permall byte %zu not zeroed", i);
	free(vol);
	free(img);
	free(old);
}

/* ---- bad files: one line, nothing written ---- */

static void expect_refused(const char *want, int errnum)
{
	struct stat before, st;
	uint8_t *b = NULL, *a;
	size_t blen = 0, alen;

	if (lstat(lpath, &before) == 0 && S_ISREG(before.st_mode))
		b = read_file_at(lpath, &blen);
	assert_int_equal(open_linear(), errnum);
	if (!strstr(err, want))
		fail_msg("expected '%s', got '%s'", want, err);
	assert_null(strchr(err, '\n'));
	assert_false(S.open);
	if (b) {
		a = read_file_at(lpath, &alen);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		assert_int_equal(lstat(lpath, &st), 0);
		assert_int_equal(st.st_mtime, before.st_mtime);
		free(a);
		free(b);
	}
}

/* The fixture, with N bytes at AT replaced by BYTES. */
static void damaged_fixture(size_t at, const void *bytes, size_t n)
{
	int fd;

	copy_linear_fixture("tpm2.linear");
	fd = open(lpath, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, (off_t)at), (ssize_t)n);
	close(fd);
}

static void test_bad_files(void **state)
{
	char target[400];

	(void)state;
	copy_linear_fixture("tpm2.linear");
	assert_int_equal(truncate(lpath, 100), 0);
	expect_refused("tpm.img: truncated: 100 bytes, the header alone takes 192", -EINVAL);
	copy_linear_fixture("tpm2.linear");
	assert_int_equal(truncate(lpath, 10000), 0);
	expect_refused("volatilestate ends at 18624, past the end (10000 bytes)", -EINVAL);

	damaged_fixture(0, "SWTPMLIN", 8);
	expect_refused("not swtpm's linear state format", -EINVAL);
	damaged_fixture(8, "\x07", 1);
	expect_refused("linear format version 7 is not supported", -EINVAL);
	/* volatile's section moved into permall's */
	damaged_fixture(24, "\x00\x02\x00\x00", 4);
	expect_refused("permall and volatilestate overlap", -EINVAL);
	/* not a state file at all */
	{
		char text[300];

		memset(text, '#', sizeof(text));
		write_file_at(lpath, text, sizeof(text), 0640);
		expect_refused("not swtpm's linear state format", -EINVAL);
	}

	/* not a file or a block device */
	assert_int_equal(unlink(lpath), 0);
	assert_int_equal(mkdir(lpath, 0700), 0);
	expect_refused("is a directory (a state directory is --tpmstate dir=DIR), not a "
		       "regular file or a block device", -EINVAL);
	assert_int_equal(rmdir(lpath), 0);
	assert_int_equal(mkfifo(lpath, 0600), 0);
	expect_refused("is a FIFO, not a regular file", -EINVAL);
	assert_int_equal(unlink(lpath), 0);
	assert_int_equal(symlink("/dev/null", lpath), 0);
	expect_refused("is a symbolic link; give the file it points to", -ELOOP);
	assert_int_equal(unlink(lpath), 0);
	/* a link to a regular file: refused too (swtpm's O_NOFOLLOW) */
	path_in(target, sizeof(target), base, "real.img");
	write_file_at(target, "", 0, 0640);
	assert_int_equal(symlink(target, lpath), 0);
	expect_refused("is a symbolic link", -ELOOP);
	assert_int_equal(unlink(lpath), 0);
	/* a directory that does not exist: nothing is made */
	path_in(lpath, sizeof(lpath), base, "nodir/tpm.img");
	expect_refused("cannot create", -ENOENT);
	assert_false(exists(base, "nodir"));
	/* backup is the directory's */
	path_in(lpath, sizeof(lpath), base, "tpm.img");
	{
		struct store_options o = { .backup = true };

		assert_int_equal(open_linear_opts(&o), -EINVAL);
		assert_non_null(strstr(err, "backup is for a state directory"));
		assert_false(exists(base, "tpm.img"));
	}
}

/* A header that was fine at open and damaged later: loads and saves fail,
 * the daemon does not crash, nothing is written. */
static void test_damaged_while_open(void **state)
{
	unsigned char *data;
	uint32_t len;
	int fd;

	(void)state;
	assert_int_equal(open_linear(), 0);
	save(TPM_PERMANENT_ALL_NAME, "fine");
	fd = open(lpath, O_WRONLY);
	assert_int_equal(pwrite(fd, "\x09", 1, 8), 1);
	close(fd);
	assert_int_equal(store_load(&S, TPM_PERMANENT_ALL_NAME, &data, &len), TPM_FAIL);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"x", 1),
			 TPM_FAIL);
	fd = open(lpath, O_WRONLY);
	assert_int_equal(pwrite(fd, "\x01", 1, 8), 1);
	close(fd);
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "fine");
}

/* ---- the lock ---- */

static int second_store_child(void)
{
	store_close(&S);
	return open_linear() == -EAGAIN ? 0 : 1;
}

/* What swtpm 0.10 does with --tpmstate backend-uri=file://...,lock. */
static int swtpm_lock_child(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	store_close(&S);
	fd = open(lpath, O_RDWR);
	if (fd < 0)
		return 2;
	return fcntl(fd, F_SETLK, &fl) < 0 && (errno == EAGAIN || errno == EACCES) ? 0 : 1;
}

static void test_lock(void **state)
{
	struct lock_holder holder;

	(void)state;
	assert_int_equal(open_linear(), 0);
	assert_int_equal(in_child(second_store_child), 0);
	assert_int_equal(in_child(swtpm_lock_child), 0);
	save(TPM_PERMANENT_ALL_NAME, "held");
	/* still held after updates (the file is never replaced) */
	assert_int_equal(in_child(swtpm_lock_child), 0);
	store_unlock(&S);
	assert_int_equal(in_child(swtpm_lock_child), 1);
	store_close(&S);

	/* swtpm holds it: the store cannot open, and writes nothing */
	lock_holder_start_file(&holder, lpath);
	assert_int_equal(open_linear(), -EAGAIN);
	lock_holder_stop(&holder);
	assert_int_equal(open_linear(), 0);
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "held");
}

/* ---- crash safety ---- */

struct inject {
	enum store_linear_step at;
	int err;                /* fail AT with this */
	bool die;               /* or _exit() there (in a child) */
	unsigned seen;
	/* the file at each step, as a process crash would leave it */
	uint8_t *snap[LINEAR_STEPS];
	size_t snap_len[LINEAR_STEPS];
};

static int inject_cb(enum store_linear_step st, void *ctx)
{
	struct inject *in = ctx;

	in->seen |= 1u << st;
	free(in->snap[st]);
	in->snap[st] = read_file_at(lpath, &in->snap_len[st]);
	if (st != in->at)
		return 0;
	if (in->die)
		_exit(42);
	return in->err;
}

static void inject_free(struct inject *in)
{
	for (unsigned i = 0; i < LINEAR_STEPS; i++)
		free(in->snap[i]);
}

static int open_injected(struct inject *in)
{
	struct store_options o = {
		.linear_inject = inject_cb, .linear_inject_ctx = in,
	};

	return open_linear_opts(&o);
}

/* The permanent state in IMAGE (LEN bytes) decoded, as a string. */
static char *permanent_in(const uint8_t *image, size_t len)
{
	struct linear_header h;
	char why[256];
	uint8_t *p;
	size_t plen;
	char *s;

	if (linear_parse(image, len, len, &h, why, sizeof(why)) < 0)
		fail_msg("not valid: %s", why);
	if (!h.slot[0].offset)
		return strdup("");
	assert_int_equal(blob_file_decode(NULL, image + h.slot[0].offset, h.slot[0].data_len,
					  &p, &plen), TPM_SUCCESS);
	s = strndup((const char *)p, plen);
	free(p);
	return s;
}

static void assert_file_holds(const char *want)
{
	uint8_t *img;
	size_t len;
	char *got;

	img = read_file_at(lpath, &len);
	got = permanent_in(img, len);
	if (strcmp(got, want) != 0)
		fail_msg("the file holds '%s', expected '%s'", got, want);
	free(got);
	free(img);
}

/* Start every test below from the same file: swtpm's, with our OLD
 * permanent state put in by two updates, so that it lies last in the file
 * and the update under test (into the space the first one left) ends by
 * cutting the file short: every step happens. */
static void prepare_old(void)
{
	struct linear_header h;
	size_t len;

	copy_linear_fixture("tpm2.linear");
	assert_int_equal(open_linear(), 0);
	save(TPM_PERMANENT_ALL_NAME, "OLD state");
	save(TPM_PERMANENT_ALL_NAME, "OLD state");
	store_close(&S);
	assert_int_equal(header_of(&h, NULL, &len), 1);
	assert_int_equal(h.slot[0].offset, 16384);
}

static void test_failure_at_each_step(void **state)
{
	enum store_linear_step st;

	(void)state;
	for (st = 0; st < LINEAR_STEPS; st++) {
		struct inject in = { .at = st, .err = EIO };
		TPM_RESULT rc;

		prepare_old();
		assert_int_equal(open_injected(&in), 0);
		rc = store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"NEW state", 9);
		assert_true(in.seen & (1u << st));
		/* up to the header's fdatasync the update fails and the old
		 * state stays; zeroing and trimming after it are tidying */
		if (st <= LINEAR_STEP_SYNC_HEADER) {
			assert_int_equal(rc, TPM_FAIL);
			if (st < LINEAR_STEP_WRITE_HEADER)
				assert_file_holds("OLD state");
			else
				/* the header write went through or not */
				assert_file_holds(st == LINEAR_STEP_WRITE_HEADER ?
						  "OLD state" : "NEW state");
		} else {
			assert_int_equal(rc, TPM_SUCCESS);
			assert_file_holds("NEW state");
		}
		/* the store goes on: the next update works */
		in.at = LINEAR_STEPS;
		save(TPM_PERMANENT_ALL_NAME, "NEXT state");
		assert_loads_str(TPM_PERMANENT_ALL_NAME, "NEXT state");
		assert_file_holds("NEXT state");
		store_close(&S);
		inject_free(&in);
	}
}

static int crash_child_at;

static int crash_child(void)
{
	struct inject in = { .at = (enum store_linear_step)crash_child_at, .die = true };

	store_close(&S);
	if (open_injected(&in) != 0)
		return 1;
	store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"NEW state", 9);
	return 2;       /* the step never came */
}

/* The process dies just before each step: what it wrote so far stays
 * (the kernel has it), the rest never happens. */
static void test_process_dies_at_each_step(void **state)
{
	(void)state;
	for (crash_child_at = 0; crash_child_at < LINEAR_STEPS; crash_child_at++) {
		prepare_old();
		assert_int_equal(in_child(crash_child), 42);
		assert_file_holds(crash_child_at <= LINEAR_STEP_WRITE_HEADER ? "OLD state" :
				  "NEW state");
		/* the next daemon loads it and updates it */
		assert_int_equal(open_linear(), 0);
		save(TPM_PERMANENT_ALL_NAME, "AFTER");
		assert_file_holds("AFTER");
		store_close(&S);
	}
}

/* A power cut: writes not yet synced may be lost, in any part, sector by
 * sector. Between two syncs an update writes only where nothing points
 * (the new blob) or only the header's first 192 bytes (one sector), so
 * every mix of the images before and after those writes holds the old
 * state or the new one. Checked here on the images a step saw. */
static void test_power_cut_between_steps(void **state)
{
	struct inject in = { .at = LINEAR_STEPS };
	struct linear_header old;
	const uint8_t *a, *b;
	size_t alen, blen, i;

	(void)state;
	prepare_old();
	assert_int_equal(open_injected(&in), 0);
	save(TPM_PERMANENT_ALL_NAME, "NEW state, a little longer than the old one");
	assert_int_equal(in.seen, (1u << LINEAR_STEPS) - 1);

	/* the new blob's write: from WRITE_DATA's image to SYNC_DATA's */
	a = in.snap[LINEAR_STEP_WRITE_DATA];
	alen = in.snap_len[LINEAR_STEP_WRITE_DATA];
	b = in.snap[LINEAR_STEP_SYNC_DATA];
	blen = in.snap_len[LINEAR_STEP_SYNC_DATA];
	assert_int_equal(linear_parse(a, alen, alen, &old, err, sizeof(err)), 1);
	assert_true(blen >= alen);
	for (i = 0; i < alen; i++) {
		bool live = i < 4096;   /* the header's block */

		for (unsigned k = 0; k < LINEAR_SLOTS; k++)
			live |= old.slot[k].offset && i >= old.slot[k].offset &&
				i < (size_t)old.slot[k].offset + old.slot[k].data_len;
		if (a[i] != b[i] && live)
			fail_msg("the new blob's write changed byte %zu, which the old "
				 "header uses", i);
	}
	/* a file cut at any length in between still says the old state */
	for (i = alen; i <= blen; i += 512) {
		char *got = permanent_in(b, i < blen ? i : blen);

		assert_string_equal(got, "OLD state");
		free(got);
	}

	/* the header's write: from WRITE_HEADER's image to SYNC_HEADER's */
	a = in.snap[LINEAR_STEP_WRITE_HEADER];
	b = in.snap[LINEAR_STEP_SYNC_HEADER];
	assert_int_equal(in.snap_len[LINEAR_STEP_WRITE_HEADER],
			 in.snap_len[LINEAR_STEP_SYNC_HEADER]);
	for (i = LINEAR_HEADER_SIZE; i < in.snap_len[LINEAR_STEP_SYNC_HEADER]; i++)
		if (a[i] != b[i])
			fail_msg("the header's write changed byte %zu", i);
	{
		char *before = permanent_in(a, in.snap_len[LINEAR_STEP_WRITE_HEADER]);
		char *after = permanent_in(b, in.snap_len[LINEAR_STEP_SYNC_HEADER]);

		assert_string_equal(before, "OLD state");
		assert_string_equal(after, "NEW state, a little longer than the old one");
		free(before);
		free(after);
	}
	inject_free(&in);
}

/* A header switch that failed may or may not be on disk: until one
 * succeeds, neither header's blobs may be overwritten. */
static void test_switch_in_doubt(void **state)
{
	struct inject in = { .at = LINEAR_STEP_SYNC_HEADER, .err = EIO };
	struct linear_header old, tried;
	uint8_t *img_old, *img_tried, *img;
	size_t len_old, len_tried, len;

	(void)state;
	prepare_old();
	assert_int_equal(header_of(&old, &img_old, &len_old), 1);
	assert_int_equal(open_injected(&in), 0);
	assert_int_equal(store_save(&S, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"TRIED", 5),
			 TPM_FAIL);
	assert_int_equal(header_of(&tried, &img_tried, &len_tried), 1);
	assert_int_not_equal(tried.slot[0].offset, old.slot[0].offset);
	/* an update of another slot meanwhile: up to its own switch, both
	 * permanent states are where they were */
	in.at = LINEAR_STEPS;
	save(TPM_SAVESTATE_NAME, "s1");
	img = in.snap[LINEAR_STEP_WRITE_HEADER];
	len = in.snap_len[LINEAR_STEP_WRITE_HEADER];
	assert_true(len >= old.slot[0].offset + old.slot[0].data_len);
	assert_memory_equal(img + old.slot[0].offset, img_old + old.slot[0].offset,
			    old.slot[0].data_len);
	assert_memory_equal(img + tried.slot[0].offset, img_tried + tried.slot[0].offset,
			    tried.slot[0].data_len);
	/* that switch worked: the doubt is over, the TRIED one is the state */
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "TRIED");
	assert_loads_str(TPM_SAVESTATE_NAME, "s1");
	assert_int_equal(S.lin.nunsure, 0);
	free(img_old);
	free(img_tried);
	inject_free(&in);
}

/* ---- several slots at once; the listing ---- */

static void test_replace_and_list(void **state)
{
	struct store_state_info info[STORE_STATE_COUNT];
	struct store_raw raw[STORE_STATE_COUNT] = { { NULL, 0 } };
	uint8_t *p, *v, *back;
	size_t plen, vlen, blen;

	(void)state;
	/* no file: no state, and nothing made */
	assert_int_equal(store_list_file_states(lpath, info, err, sizeof(err)), 0);
	assert_false(info[0].present || info[1].present || info[2].present);
	assert_false(exists(base, "tpm.img"));

	copy_linear_fixture("tpm2.linear");
	assert_int_equal(store_list_file_states(lpath, info, err, sizeof(err)), 0);
	assert_string_equal(info[0].name, "permall");
	assert_true(info[0].present && info[1].present && !info[2].present);
	assert_int_equal(info[0].size, 1315);
	assert_int_equal(info[1].size, 8794);

	assert_int_equal(open_linear(), 0);
	assert_int_equal(blob_file_encode(NULL, (const uint8_t *)"P", 1, &p, &plen), 0);
	assert_int_equal(blob_file_encode(NULL, (const uint8_t *)"V", 1, &v, &vlen), 0);
	raw[0] = (struct store_raw){ p, plen };
	raw[2] = (struct store_raw){ v, vlen };
	assert_int_equal(store_replace_raw(&S, raw), 0);
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "P");
	assert_absent(TPM_VOLATILESTATE_NAME);
	assert_loads_str(TPM_SAVESTATE_NAME, "V");
	assert_int_equal(store_read_raw(&S, TPM_PERMANENT_ALL_NAME, &back, &blen), 0);
	assert_int_equal(blen, plen);
	assert_memory_equal(back, p, plen);
	free(back);
	assert_int_equal(store_read_raw(&S, TPM_VOLATILESTATE_NAME, &back, &blen), -ENOENT);
	assert_int_equal(store_list_file_states(lpath, info, err, sizeof(err)), 0);
	assert_true(info[0].present && !info[1].present && info[2].present);
	assert_int_equal(info[2].size, vlen);
	store_close(&S);

	/* a directory store does not do it */
	assert_int_equal(open_store(sdir, false, STORE_MODE_DEFAULT), 0);
	assert_int_equal(store_replace_raw(&S, raw), -EOPNOTSUPP);
	free(p);
	free(v);

	/* a damaged file is an error, not "no state" */
	write_file_at(lpath, "garbage garbage garbage garbage garbage garbage garbage "
		      "garbage garbage garbage garbage garbage garbage garbage garbage "
		      "garbage garbage garbage garbage garbage garbage garbage garbage "
		      "garbage garbage garbage garbage", 200, 0640);
	assert_int_equal(store_list_file_states(lpath, info, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not swtpm's linear state format"));
}

/* ---- a block device ---- */

static char loopdev[64];

static bool loop_attach(const char *file)
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "losetup --find --show '%s' 2>/dev/null", file);
	p = popen(cmd, "r");
	if (!p)
		return false;
	if (!fgets(loopdev, sizeof(loopdev), p))
		loopdev[0] = '\0';
	pclose(p);
	loopdev[strcspn(loopdev, "\n")] = '\0';
	return loopdev[0] == '/';
}

static void loop_detach(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "losetup -d '%s'", loopdev);
	if (system(cmd) != 0)
		fprintf(stderr, "could not detach %s\n", loopdev);
}

static void test_block_device(void **state)
{
	char img[400], small[400];
	int fd;

	(void)state;
	path_in(img, sizeof(img), base, "disk.img");
	path_in(small, sizeof(small), base, "small.img");
	fd = open(img, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0 && ftruncate(fd, 2 << 20) == 0);
	close(fd);
	if (geteuid() != 0 || !loop_attach(img))
		skip();
	snprintf(lpath, sizeof(lpath), "%s", loopdev);
	assert_int_equal(open_linear(), 0);
	assert_absent(TPM_PERMANENT_ALL_NAME);
	save(TPM_PERMANENT_ALL_NAME, "on a device");
	save(TPM_PERMANENT_ALL_NAME, "on a device, again");
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "on a device, again");
	store_close(&S);
	assert_int_equal(open_linear(), 0);
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "on a device, again");
	/* full: no room for a second copy of a blob this big */
	{
		size_t big = (2 << 20) / 2 + 4096;
		uint8_t *b = calloc(1, big);

		assert_int_equal(store_save(&S, TPM_VOLATILESTATE_NAME, b, (uint32_t)big),
				 TPM_SUCCESS);
		assert_int_equal(store_save(&S, TPM_VOLATILESTATE_NAME, b, (uint32_t)big),
				 TPM_FAIL);
		free(b);
	}
	assert_loads_str(TPM_PERMANENT_ALL_NAME, "on a device, again");
	store_close(&S);
	loop_detach();

	/* too small for a TPM */
	fd = open(small, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0 && ftruncate(fd, 512 << 10) == 0);
	close(fd);
	assert_true(loop_attach(small));
	snprintf(lpath, sizeof(lpath), "%s", loopdev);
	assert_int_equal(open_linear(), -ENOSPC);
	assert_non_null(strstr(err, "is too small: 524288 bytes, a TPM state needs 1024 KiB"));
	loop_detach();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, lsetup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_new_file),
		T(test_mode_and_key),
		T(test_swtpm_file),
		T(test_bad_files),
		T(test_damaged_while_open),
		T(test_lock),
		T(test_failure_at_each_step),
		T(test_process_dies_at_each_step),
		T(test_power_cut_between_steps),
		T(test_switch_in_doubt),
		T(test_replace_and_list),
		T(test_block_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
