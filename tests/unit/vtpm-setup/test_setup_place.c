/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_setup_place.c - vtpm-setup's all-or-nothing placement of a state
 * directory, in the places people keep one: a directory of its own (swap),
 * one holding other files, a symbolic link, "DIR/.", a tmpfs mount point,
 * a directory whose parent its user may not write or read (file by file
 * inside DIR). For each: a failure injected at each step leaves DIR
 * exactly as it was (names, bytes, modes, the directory's inode and mode)
 * and nothing beside or inside it; a process killed at each step leaves
 * the old state or the new one, whole, once the next run has looked at
 * DIR; an undo after the commit brings the old state back; success
 * replaces the state and keeps what else DIR holds. Also: stale
 * temporaries, a running TPM's lock, setups at once, the owner of a state
 * made for another user, and a TPM manufactured by libtpms in the
 * temporary directory.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
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

#define OLD_PERMALL "old permanent state"
#define NEW_PERMALL "new permanent state"

/* Where a state directory is kept, and how vtpm-setup must place into it. */
enum where {
	W_OWN,                  /* a directory of its own: swap */
	W_MISSING,              /* not there yet: made, then swap */
	W_FOREIGN,              /* holding a key file too: in DIR */
	W_SYMLINK,              /* BASE/link -> DIR: in DIR */
	W_DOT,                  /* "DIR/.": in DIR */
	W_MOUNT,                /* a tmpfs mounted on DIR: in DIR */
	W_COUNT
};

static const char *const where_name[W_COUNT] = {
	"own directory", "missing", "with a key file", "symlink", "DIR/.", "mount point",
};

static bool mounted;

static int setup(void **state)
{
	(void)state;
	mounted = false;
	return state_dir_setup();
}

static int teardown(void **state)
{
	(void)state;
	if (mounted)
		umount2(sdir, MNT_DETACH);
	return state_dir_teardown();
}

/* Everything about PATH a user could notice, as one string: the
 * directory's inode and mode, and each entry's name, mode, owner and bytes. */
static char *snapshot(const char *path)
{
	struct dirent **names;
	struct stat sb;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	int n, i;

	assert_non_null(f);
	if (stat(path, &sb) < 0) {
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
		fprintf(f, "%s %o %u:%u", names[i]->d_name, sb.st_mode, sb.st_uid, sb.st_gid);
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

/* Entries of BASE besides those a test made there. */
static int others_in_base(void)
{
	DIR *d = opendir(base);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "state") && strcmp(e->d_name, "link") &&
		    strcmp(e->d_name, "outside"))
			n++;
	closedir(d);
	return n;
}

static bool mount_tmpfs(void)
{
	if (mount("tmpfs", sdir, "tmpfs", 0, "size=4m,mode=0700") < 0)
		return false;
	mounted = true;
	return true;
}

/* An old TPM (suspended: it has a volatile state) where W says; the path
 * to give vtpm-setup into DIR. false: this machine cannot (mount). */
static bool make_place(enum where w, char *dir, size_t len)
{
	snprintf(dir, len, "%s", sdir);
	if (w == W_MISSING)
		return true;
	assert_int_equal(mkdir(sdir, 0700), 0);
	if (w == W_MOUNT && !mount_tmpfs()) {
		print_message("cannot mount a tmpfs here: the mount point is left out\n");
		return false;
	}
	write_file(sdir, "tpm2-00.permall", OLD_PERMALL, strlen(OLD_PERMALL), 0640);
	write_file(sdir, "tpm2-00.volatilestate", "old volatile", 12, 0640);
	write_file(sdir, ".lock", "", 0, 0640);
	if (w == W_FOREIGN)
		write_file(sdir, "vtpm0.key", "00112233", 8, 0600);
	if (w == W_SYMLINK) {
		path_in(dir, len, base, "link");
		assert_int_equal(symlink(sdir, dir), 0);
	}
	if (w == W_DOT)
		path_in(dir, len, sdir, ".");
	return true;
}

static void clear_place(void)
{
	char cmd[700];

	if (mounted) {
		assert_int_equal(umount2(sdir, MNT_DETACH), 0);
		mounted = false;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s/link'", sdir, base);
	assert_int_equal(system(cmd), 0);
}

static enum place_mode expected_mode(enum where w)
{
	return w == W_OWN || w == W_MISSING ? PLACE_MODE_SWAP : PLACE_MODE_IN_DIR;
}

/* A child that holds a lock until this process lets it go or ends: it
 * waits for EOF on FDS[0] (the parent keeps FDS[1]). */
static void hold_until_released(int fds[2])
{
	char c;

	close(fds[1]);
	while (read(fds[0], &c, 1) > 0)
		;
	_exit(0);
}

struct inject {
	enum place_step at;
	int err;                /* fail the step with it, or */
	bool die;               /* _exit() there, as a killed process would */
	unsigned seen;          /* bit per step reached */
};

static int inject_cb(enum place_step s, void *ctx)
{
	struct inject *in = ctx;

	in->seen |= 1u << s;
	if (s == in->at && in->die)
		_exit(77);
	return s == in->at ? in->err : 0;
}

/* The flow main() runs, with a stand-in for the TPM's work. */
static int run_flow(struct placement *p, const char *dir, bool copy, char *err,
		    size_t errlen)
{
	int fd, ret = place_inspect(p, dir, err, errlen);

	if (ret == 0)
		ret = place_begin(p, copy, err, errlen);
	if (ret == 0) {
		fd = openat(p->tmp_fd, "tpm2-00.permall", O_WRONLY | O_CREAT | O_TRUNC, 0640);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, NEW_PERMALL, strlen(NEW_PERMALL)),
				 (ssize_t)strlen(NEW_PERMALL));
		close(fd);
		/* the store makes its lock file */
		fd = openat(p->tmp_fd, ".lock", O_WRONLY | O_CREAT, 0640);
		assert_true(fd >= 0);
		close(fd);
		ret = place_fill_check(p);
		if (ret < 0)
			snprintf(err, errlen, "fill failed");
	}
	if (ret == 0)
		ret = place_commit(p, err, errlen);
	place_end(p);
	return ret;
}

/* DIR holds the new state, and whatever else W put there, nothing more. */
static void assert_new_state(enum where w)
{
	size_t len;
	uint8_t *data = read_file(sdir, "tpm2-00.permall", &len);

	assert_int_equal(len, strlen(NEW_PERMALL));
	assert_memory_equal(data, NEW_PERMALL, len);
	free(data);
	assert_false(exists(sdir, "tpm2-00.volatilestate"));
	assert_true(exists(sdir, ".lock"));
	if (w == W_FOREIGN)
		assert_true(exists(sdir, "vtpm0.key"));
}

/* Nothing of vtpm-setup's is left beside DIR or inside it. */
static void assert_no_temporaries(const char *what)
{
	DIR *d = opendir(sdir);
	struct dirent *e;

	if (others_in_base())
		fail_msg("%s: something was left beside %s", what, sdir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, "vtpm-setup"))
			fail_msg("%s: %s was left in %s", what, e->d_name, sdir);
	closedir(d);
}

static bool step_applies(enum where w, enum place_step s, bool copy)
{
	if (s == PLACE_COPY && !copy)
		return false;
	if (s == PLACE_KEEP_OLD && expected_mode(w) == PLACE_MODE_SWAP)
		return false;
	return true;
}

static void each_step_fails_cleanly(enum where w, bool copy)
{
	enum place_step s;
	char dir[400];

	for (s = PLACE_INSPECT; s < PLACE_CLEANUP; s++) {
		struct inject in = { .at = s, .err = EIO };
		struct placement p = { .inject = inject_cb, .inject_ctx = &in };
		char err[512] = "", *before, *after;
		int ret;

		if (!step_applies(w, s, copy))
			continue;
		if (!make_place(w, dir, sizeof(dir))) {
			clear_place();
			return;
		}
		before = snapshot(sdir);
		ret = run_flow(&p, dir, copy, err, sizeof(err));
		after = snapshot(sdir);
		if (ret != -EIO)
			fail_msg("%s, step %d: expected -EIO, got %d (%s)", where_name[w], s,
				 ret, err);
		assert_true(in.seen & (1u << s));
		assert_true(err[0] && !strchr(err, '\n'));
		if (strcmp(before, after) != 0)
			fail_msg("%s, step %d changed %s:\n--- before\n%s--- after\n%s",
				 where_name[w], s, sdir, before, after);
		assert_no_temporaries(where_name[w]);
		free(before);
		free(after);
		clear_place();
	}
}

static void test_failures(void **state)
{
	enum where w;

	(void)state;
	for (w = 0; w < W_COUNT; w++) {
		each_step_fails_cleanly(w, false);
		if (w != W_MISSING)
			each_step_fails_cleanly(w, true);      /* amending: copied */
	}
}

/* Killed before STEP: once the next run has looked at DIR, DIR is exactly
 * the old one (before the commit) or holds the new state (after it), and
 * nothing else of either run is left. */
static void each_kill_leaves_old_or_new(enum where w)
{
	enum place_step s;
	char dir[400];

	for (s = PLACE_INSPECT; s < PLACE_STEPS; s++) {
		struct inject in = { .at = s, .die = true };
		struct placement p = { .inject = inject_cb, .inject_ctx = &in };
		struct placement next = { .inject = NULL };
		char err[512] = "", *before, *after;
		int status;
		pid_t pid;

		if (!step_applies(w, s, false))
			continue;
		if (!make_place(w, dir, sizeof(dir))) {
			clear_place();
			return;
		}
		before = snapshot(sdir);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(run_flow(&p, dir, false, err, sizeof(err)) == 0 ? 0 : 1);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 77);
		/* the next run (--not-overwrite, say) looks at DIR */
		if (place_inspect(&next, dir, err, sizeof(err)) != 0)
			fail_msg("%s, killed at step %d: %s", where_name[w], s, err);
		assert_string_equal(next.warning, "");
		place_end(&next);
		after = snapshot(sdir);
		if (s <= PLACE_SWAP && strcmp(before, after) != 0)
			fail_msg("%s, killed at step %d changed %s:\n--- before\n%s--- after\n%s",
				 where_name[w], s, sdir, before, after);
		if (s > PLACE_SWAP)
			assert_new_state(w);
		assert_no_temporaries(where_name[w]);
		free(before);
		free(after);
		clear_place();
	}
}

static void test_kills(void **state)
{
	enum where w;

	(void)state;
	for (w = 0; w < W_COUNT; w++)
		if (w != W_MISSING)
			each_kill_leaves_old_or_new(w);
}

/* Success, where each place is: the state replaced, what else DIR holds
 * kept, the mode said. */
static void test_replaces(void **state)
{
	enum where w;
	char dir[400], err[512], how[600];

	(void)state;
	for (w = 0; w < W_COUNT; w++) {
		struct placement p = { .inject = NULL };
		struct stat before, after;

		if (!make_place(w, dir, sizeof(dir))) {
			clear_place();
			continue;
		}
		if (w != W_MISSING)
			assert_int_equal(chmod(sdir, 0710), 0);
		assert_int_equal(stat(sdir, &before), w == W_MISSING ? -1 : 0);
		if (run_flow(&p, dir, false, err, sizeof(err)) != 0)
			fail_msg("%s: %s", where_name[w], err);
		assert_int_equal(p.mode, expected_mode(w));
		place_mode_text(&p, how, sizeof(how));
		if (w == W_FOREIGN)
			assert_non_null(strstr(how, "(it holds other files)"));
		if (w == W_SYMLINK)
			assert_non_null(strstr(how, "(it is a symbolic link)"));
		if (w == W_MOUNT)
			assert_non_null(strstr(how, "(it is a mount point)"));
		if (w == W_OWN)
			assert_string_equal(how, "by swapping the directory");
		assert_new_state(w);
		assert_int_equal(stat(sdir, &after), 0);
		/* DIR keeps its mode; in place, it is the same directory */
		if (w != W_MISSING)
			assert_int_equal(after.st_mode & 07777, 0710);
		if (expected_mode(w) == PLACE_MODE_IN_DIR)
			assert_int_equal(after.st_ino, before.st_ino);
		assert_no_temporaries(where_name[w]);
		clear_place();
	}
}

/* After the commit, place_undo() puts the old state back. */
static void test_undo(void **state)
{
	enum where w;
	char dir[400], err[512];

	(void)state;
	for (w = 0; w < W_COUNT; w++) {
		struct placement p = { .inject = NULL };
		char *before, *after;
		int fd;

		if (w == W_MISSING || !make_place(w, dir, sizeof(dir))) {
			clear_place();
			continue;
		}
		before = snapshot(sdir);
		assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
		assert_int_equal(place_begin(&p, false, err, sizeof(err)), 0);
		fd = openat(p.tmp_fd, "tpm2-00.permall", O_WRONLY | O_CREAT, 0640);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(place_commit(&p, err, sizeof(err)), 0);
		assert_int_equal(place_undo(&p, err, sizeof(err)), 0);
		place_end(&p);
		after = snapshot(sdir);
		if (strcmp(before, after) != 0)
			fail_msg("%s: undo left %s:\n--- before\n%s--- after\n%s",
				 where_name[w], sdir, before, after);
		assert_no_temporaries(where_name[w]);
		free(before);
		free(after);
		clear_place();
	}
}

static void test_amend_copies_state(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], dir[400];
	size_t len;

	(void)state;
	make_place(W_OWN, dir, sizeof(dir));
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, true, err, sizeof(err)), 0);
	{
		int fd = openat(p.tmp_fd, "tpm2-00.permall", O_RDONLY);
		char buf[64];

		assert_true(fd >= 0);
		len = (size_t)read(fd, buf, sizeof(buf));
		close(fd);
		assert_int_equal(len, strlen(OLD_PERMALL));
		assert_memory_equal(buf, OLD_PERMALL, len);
	}
	place_end(&p);
	assert_no_temporaries("amend");
	/* a permanent state that is a symbolic link is not followed */
	path_in(dir, sizeof(dir), sdir, "tpm2-00.permall");
	assert_int_equal(unlink(dir), 0);
	assert_int_equal(symlink("/etc/passwd", dir), 0);
	assert_int_equal(place_inspect(&p, sdir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, true, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "cannot copy the state of"));
	place_end(&p);
	assert_no_temporaries("amend through a symlink");
}

static void test_creates_missing(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512] = "";
	struct stat sb;

	(void)state;
	umask(027);
	assert_int_equal(run_flow(&p, sdir, false, err, sizeof(err)), 0);
	umask(022);
	assert_int_equal(stat(sdir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_true(p.dir_made == false);       /* reset by place_end */
	assert_no_temporaries("new");
	/* a failed run removes the directory it made */
	clear_place();
	{
		struct inject in = { .at = PLACE_FILL, .err = ENOSPC };
		struct placement q = { .inject = inject_cb, .inject_ctx = &in };

		assert_int_equal(run_flow(&q, sdir, false, err, sizeof(err)), -ENOSPC);
		assert_int_equal(access(sdir, F_OK), -1);
	}
}

/* Past the commit nothing is undone: the new state stays, the old one's
 * leftover is named. */
static void test_cleanup_failure_is_reported(void **state)
{
	struct inject in = { .at = PLACE_CLEANUP, .err = EIO };
	struct placement p = { .inject = inject_cb, .inject_ctx = &in };
	char err[512] = "", dir[400];

	(void)state;
	make_place(W_OWN, dir, sizeof(dir));
	assert_int_equal(run_flow(&p, dir, false, err, sizeof(err)), 0);
	assert_non_null(strstr(p.warning, "the old state of"));
	assert_new_state(W_OWN);
	assert_int_equal(others_in_base(), 1);
	/* the next run removes it */
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	place_end(&p);
	assert_no_temporaries("cleanup");
}

static void test_not_a_directory(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], path[400];

	(void)state;
	path_in(path, sizeof(path), base, "outside");
	write_file_at(path, "x", 1, 0644);
	assert_int_equal(place_inspect(&p, path, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "is not a directory"));
	assert_int_equal(unlink(path), 0);
	/* a symbolic link to a file */
	write_file_at(sdir, "x", 1, 0644);
	assert_int_equal(symlink(sdir, path), 0);
	assert_int_equal(place_inspect(&p, path, err, sizeof(err)), -ENOTDIR);
	assert_int_equal(unlink(path), 0);
}

/* Temporaries of runs that were killed go when the next run looks at DIR;
 * a live run's stay. */
static void test_stale_temporaries(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], dir[400], path[600], c;
	int fds[2], release[2];
	pid_t live;

	(void)state;
	make_place(W_OWN, dir, sizeof(dir));
	path_in(path, sizeof(path), base, ".state.vtpm-setup-AAAAAA");
	assert_int_equal(mkdir(path, 0700), 0);
	write_file(path, "tpm2-00.permall", "seeds", 5, 0600);
	path_in(path, sizeof(path), sdir, ".vtpm-setup-BBBBBB");
	assert_int_equal(mkdir(path, 0700), 0);
	write_file(path, "tpm2-00.permall", "seeds", 5, 0600);
	/* a name that only looks like one is not ours */
	path_in(path, sizeof(path), base, ".state.vtpm-setup-toolong");
	assert_int_equal(mkdir(path, 0700), 0);
	/* one whose run is alive */
	path_in(path, sizeof(path), base, ".state.vtpm-setup-CCCCCC");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(release), 0);
	live = fork();
	assert_true(live >= 0);
	if (live == 0) {
		int fd = open(path, O_RDONLY | O_DIRECTORY);

		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(fds[1], "l", 1) != 1)
			_exit(1);
		hold_until_released(release);
	}
	close(release[0]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	assert_string_equal(p.warning, "");
	place_end(&p);
	assert_int_equal(access(path, F_OK), 0);
	path_in(path, sizeof(path), base, ".state.vtpm-setup-AAAAAA");
	assert_int_equal(access(path, F_OK), -1);
	path_in(path, sizeof(path), sdir, ".vtpm-setup-BBBBBB");
	assert_int_equal(access(path, F_OK), -1);
	path_in(path, sizeof(path), base, ".state.vtpm-setup-toolong");
	assert_int_equal(rmdir(path), 0);
	close(release[1]);
	waitpid(live, NULL, 0);
	/* once its run is gone, it goes too */
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	place_end(&p);
	assert_no_temporaries("stale");
	/* one that cannot be removed (something deeper than files) is named */
	path_in(path, sizeof(path), sdir, ".vtpm-setup-DDDDDD");
	assert_int_equal(mkdir(path, 0700), 0);
	path_in(path, sizeof(path), sdir, ".vtpm-setup-DDDDDD/sub");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	assert_non_null(strstr(p.warning, ".vtpm-setup-DDDDDD, left by an earlier run"));
	place_end(&p);
	close(fds[0]);
	close(fds[1]);
}

/* A running vtpmd or swtpm holds a POSIX record lock on DIR/.lock. */
static void test_locked_dir(void **state)
{
	struct placement p = { .inject = NULL };
	char err[512], path[400], dir[400], c, *before, *after;
	int sync_pipe[2], release[2];
	pid_t pid;

	(void)state;
	make_place(W_FOREIGN, dir, sizeof(dir));
	path_in(path, sizeof(path), sdir, ".lock");
	assert_int_equal(pipe(sync_pipe), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(path, O_RDWR);

		if (fd < 0 || fcntl(fd, F_SETLK, &lk) < 0)
			_exit(1);
		if (write(sync_pipe[1], "l", 1) != 1)
			_exit(1);
		hold_until_released(release);
	}
	close(release[0]);
	close(sync_pipe[1]);
	assert_int_equal(read(sync_pipe[0], &c, 1), 1);
	before = snapshot(sdir);
	assert_int_equal(run_flow(&p, dir, false, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "is in use by another process"));
	after = snapshot(sdir);
	assert_string_equal(before, after);
	assert_no_temporaries("locked");
	close(release[1]);
	waitpid(pid, NULL, 0);
	close(sync_pipe[0]);
	free(before);
	free(after);
	/* once the holder is gone, it works */
	assert_int_equal(run_flow(&p, dir, false, err, sizeof(err)), 0);
	/* a DIR without a lock file gets one while its state is replaced, and
	 * a failed run takes it away again */
	clear_place();
	make_place(W_FOREIGN, dir, sizeof(dir));
	assert_int_equal(unlink(path), 0);
	{
		struct inject in = { .at = PLACE_SWAP, .err = EIO };
		struct placement q = { .inject = inject_cb, .inject_ctx = &in };

		before = snapshot(sdir);
		assert_int_equal(run_flow(&q, dir, false, err, sizeof(err)), -EIO);
		after = snapshot(sdir);
		assert_string_equal(before, after);
		free(before);
		free(after);
	}
}

/* Setups of one DIR started together, each keeping a state it finds (as
 * --not-overwrite does): exactly one makes it, and DIR holds that one's. */
static void test_concurrent_setups(void **state)
{
	enum { CHILDREN = 6 };
	int go[2], i, made = 0, kept = 0, winner = -1;
	char want[32];
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
			char err[512], c, mine[32];
			int ret, fd;

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
				snprintf(mine, sizeof(mine), "child %d", i);
				fd = openat(p.tmp_fd, "tpm2-00.permall", O_WRONLY | O_CREAT, 0640);
				if (fd < 0 || write(fd, mine, strlen(mine)) < 0)
					_exit(97);
				close(fd);
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
	data = read_file(sdir, "tpm2-00.permall", &len);
	snprintf(want, sizeof(want), "child %d", winner);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(data, want, len);
	free(data);
	assert_no_temporaries("concurrent");
}

/* Root making a state for another user (--runas): the new state is the
 * user's, and in place so are the new files (DIR's owner stays). */
static void test_owner(void **state)
{
	enum where w;
	char dir[400], err[512];

	(void)state;
	for (w = 0; w < W_COUNT; w++) {
		struct placement p = { .inject = NULL, .set_owner = true,
				       .uid = NOBODY, .gid = NOBODY };
		struct stat sb;
		char path[600];

		if (w == W_DOT || !make_place(w, dir, sizeof(dir))) {
			clear_place();
			continue;
		}
		if (run_flow(&p, dir, false, err, sizeof(err)) != 0)
			fail_msg("%s: %s", where_name[w], err);
		path_in(path, sizeof(path), sdir, "tpm2-00.permall");
		assert_int_equal(lstat(path, &sb), 0);
		assert_int_equal(sb.st_uid, NOBODY);
		assert_int_equal(sb.st_gid, NOBODY);
		assert_int_equal(stat(sdir, &sb), 0);
		assert_int_equal(sb.st_uid, expected_mode(w) == PLACE_MODE_SWAP ? NOBODY : 0);
		clear_place();
	}
}

/* The usual layout of an unprivileged TPM: DIR the user's, its parent
 * root's (0755, or 0711 as vtpm-cdi makes it). The user's setup places the
 * state inside DIR. */
static int as_nobody_in_root_parent(void)
{
	struct placement p = { .inject = NULL };
	char err[512];

	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		return 90;
	if (run_flow(&p, sdir, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 91;
	}
	return p.mode == PLACE_MODE_IN_DIR ? 0 : 92;
}

static void test_unprivileged_user(void **state)
{
	char dir[400];
	mode_t parent_mode[] = { 0755, 0711 };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		make_place(W_OWN, dir, sizeof(dir));
		assert_int_equal(chmod(base, parent_mode[i]), 0);
		{
			char cmd[700];

			snprintf(cmd, sizeof(cmd), "chown -R %d:%d '%s'", NOBODY, NOBODY, sdir);
			assert_int_equal(system(cmd), 0);
		}
		assert_int_equal(in_child(as_nobody_in_root_parent), 0);
		assert_new_state(W_OWN);
		assert_no_temporaries("unprivileged");
		assert_int_equal(chmod(base, 0700), 0);
		clear_place();
	}
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
	ret = setup_tpm_open(p->tmp_fd, sdir, &o.key, err, errlen);
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
	char err[512], dir[400], cwd[400], *before, *after;
	EVP_PKEY *again;
	int fd;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	make_place(W_FOREIGN, dir, sizeof(dir));
	before = snapshot(sdir);
	/* manufactured, then a failure: DIR keeps the old state */
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, false, err, sizeof(err)), 0);
	assert_int_equal(manufacture_in(&p, &eks, err, sizeof(err)), -ENOSPC);
	place_end(&p);
	after = snapshot(sdir);
	assert_string_equal(before, after);
	assert_no_temporaries("real TPM");
	setup_eks_free(&eks);
	/* the store had the temporary directory, not a path: the working
	 * directory is as it was */
	assert_string_equal(getcwd(dir, sizeof(dir)), cwd);

	/* manufactured and placed: the TPM in DIR has the EK we were told of */
	p.inject = NULL;
	assert_int_equal(place_inspect(&p, sdir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, false, err, sizeof(err)), 0);
	if (manufacture_in(&p, &eks, err, sizeof(err)) != 0)
		fail_msg("manufacture: %s", err);
	assert_int_equal(place_commit(&p, err, sizeof(err)), 0);
	place_end(&p);
	assert_int_equal(eks.n, 2);
	fd = open(sdir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(setup_tpm_open(fd, sdir, NULL, err, sizeof(err)), 0);
	close(fd);
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
	assert_true(exists(sdir, "vtpm0.key"));
	free(before);
	free(after);
}

/* A signal stops the run at its next step: -EINTR, DIR as it was. */
static void test_stop_flag(void **state)
{
	static volatile sig_atomic_t stop;
	struct placement p = { .inject = NULL, .stop = &stop };
	char err[512], dir[400], *before, *after;

	(void)state;
	make_place(W_OWN, dir, sizeof(dir));
	before = snapshot(sdir);
	assert_int_equal(place_inspect(&p, dir, err, sizeof(err)), 0);
	assert_int_equal(place_begin(&p, false, err, sizeof(err)), 0);
	stop = SIGTERM;
	assert_int_equal(place_fill_check(&p), -EINTR);
	assert_int_equal(place_commit(&p, err, sizeof(err)), -EINTR);
	place_end(&p);
	after = snapshot(sdir);
	assert_string_equal(before, after);
	assert_no_temporaries("stopped");
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amend_copies_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creates_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleanup_failure_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_temporaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_setups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_tpm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_flag, setup, teardown),
	};

	setup_tpm_log_to(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
