/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_place.c - placing a new state into DIR through directory descriptors
 * (see setup_place.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/log.h"
#include "vtpm-setup/setup_files.h"
#include "vtpm-setup/setup_place.h"

#define STATE_DIR_MODE 0750     /* as the store makes a new directory */
#define STATE_FILE_MAX (16u << 20)
#define TMP_TAG ".vtpm-setup-"
#define OLD_PREFIX "old."
#define MARKER "old-kept"       /* every old file is in OLD_PREFIX* */
#define COMMIT_NAME "tpm2-00.permall"
#define LOCK_NAME ".lock"
#define REOPEN_TRIES 16

static int step(struct placement *p, enum place_step s)
{
	int e = p->inject ? p->inject(s, p->inject_ctx) : 0;

	if (e)
		return -e;
	return p->stop && *p->stop ? -EINTR : 0;
}

/* One line for a failed system call: WHAT PATH: strerror(errno). */
static int sys_fail(char *err, size_t errlen, const char *what, const char *path)
{
	int e = errno;

	return log_errline(err, errlen, -e, "%s%s: %s", what, path, strerror(e));
}

/* The files a TPM state consists of, swtpm's and vtpmd's: what a new state
 * replaces. The lock file and the store's temporaries are not in it. */
static bool is_state_file(const char *name)
{
	return strncmp(name, "tpm2-00.", 8) == 0 || strncmp(name, "tpm-00.", 7) == 0;
}

/* Names a state directory may hold besides the state. */
static bool is_state_name(const char *name)
{
	return is_state_file(name) || strcmp(name, LOCK_NAME) == 0 ||
		strncmp(name, "TMP2-00.", 8) == 0 || strncmp(name, "TMP-00.", 7) == 0;
}

/* PREFIX followed by exactly TMP_RANDOM characters: one of our temporaries. */
static bool is_tmp_name(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && strlen(name) == n + FILES_TMP_RANDOM;
}

/* --- the file-by-file commit, and putting the old files back ------------- */

struct move_ctx {
	int from, to;
	bool committed;         /* the commit name was found in FROM */
};

/* Link each state file of DIR into TMP as OLD_PREFIX NAME. */
static int keep_old_entry(int dirfd, const char *name, void *ctx)
{
	const struct move_ctx *m = ctx;
	char old[NAME_MAX + 8];

	if (!is_state_file(name))
		return 0;
	if (snprintf(old, sizeof(old), OLD_PREFIX "%s", name) >= (int)sizeof(old))
		return -ENAMETOOLONG;
	return linkat(dirfd, name, m->to, old, 0) < 0 ? -errno : 0;
}

/* A state file of DIR that the new state does not have goes (it is kept
 * in TMP). */
static int drop_extra_entry(int dirfd, const char *name, void *ctx)
{
	const struct move_ctx *m = ctx;

	if (!is_state_file(name) || faccessat(m->from, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

/* A new state file moves from TMP into DIR; the commit name waits. */
static int move_in_entry(int tmpfd, const char *name, void *ctx)
{
	const struct move_ctx *m = ctx;

	if (!is_state_file(name) || strcmp(name, COMMIT_NAME) == 0)
		return 0;
	return renameat(tmpfd, name, m->to, name) < 0 ? -errno : 0;
}

/* Undo, first half: a state file in DIR without a kept old one is new. */
static int drop_new_entry(int dirfd, const char *name, void *ctx)
{
	const struct move_ctx *m = ctx;
	char old[NAME_MAX + 8];

	if (!is_state_file(name))
		return 0;
	snprintf(old, sizeof(old), OLD_PREFIX "%s", name);
	if (faccessat(m->from, old, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

/* Undo, second half: each kept file back under its name. */
static int restore_entry(int tmpfd, const char *name, void *ctx)
{
	const struct move_ctx *m = ctx;
	size_t n = strlen(OLD_PREFIX);

	if (strncmp(name, OLD_PREFIX, n) != 0 || !is_state_file(name + n))
		return 0;
	return renameat(tmpfd, name, m->to, name + n) < 0 ? -errno : 0;
}

/* DIRFD as it was before a file-by-file commit whose kept files are in
 * TMPFD (the marker says all of them are). */
static int put_back(int dirfd, int tmpfd)
{
	struct move_ctx drop = { .from = tmpfd }, back = { .to = dirfd };
	int ret = files_each_entry(dirfd, drop_new_entry, &drop);

	if (ret == 0)
		ret = files_each_entry(tmpfd, restore_entry, &back);
	if (ret == 0 && fsync(dirfd) < 0 && errno != EINVAL)
		ret = -errno;
	return ret;
}

/* --- temporaries of runs that were killed ----------------------------------- */

/* AT/NAME is a temporary directory of a run on this DIR. Its flock is free:
 * the run is gone. If it died inside a file-by-file commit (marker, and the
 * new permanent state not yet renamed), DIR gets its old files back first. */
static int remove_stale(struct placement *p, int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret = 0;
	struct stat st;

	/* gone, or not a directory (not ours, then) */
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? 0 : -errno;  /* a live run's */
		close(fd);
		return ret;
	}
	if (fstat(fd, &st) < 0)
		ret = -errno;
	if (ret == 0 && faccessat(fd, MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    faccessat(fd, COMMIT_NAME, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		ret = put_back(p->dir_fd, fd);
	if (ret == 0)
		ret = files_empty_dir(fd);
	if (ret == 0)
		ret = files_remove_dir_at(at, name, &st);
	close(fd);
	return ret;
}

struct stale_ctx {
	struct placement *p;
	char prefix[NAME_MAX + 32];
	const char *where;
};

static int stale_entry(int at, const char *name, void *ctx)
{
	struct stale_ctx *s = ctx;
	int ret;

	if (!is_tmp_name(name, s->prefix))
		return 0;
	ret = remove_stale(s->p, at, name);
	if (ret < 0 && !s->p->warning[0])
		snprintf(s->p->warning, sizeof(s->p->warning),
			 "cannot remove %.1024s%s%.255s, left by an earlier run: %s", s->where,
			 s->where[0] ? "/" : "", name, strerror(-ret));
	return 0;
}

static void remove_stale_all(struct placement *p)
{
	char parent[PATH_MAX];
	struct stale_ctx s = { .p = p, .prefix = TMP_TAG, .where = p->dir };

	(void)files_each_entry(p->dir_fd, stale_entry, &s);
	if (!p->name[0] || !p->parent_readable)
		return;
	snprintf(s.prefix, sizeof(s.prefix), ".%s" TMP_TAG, p->name);
	snprintf(parent, sizeof(parent), "%s", p->dir);
	s.where = dirname(parent);
	(void)files_each_entry(p->parent_fd, stale_entry, &s);
}

/* --- opening and looking at DIR ---------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* DIR's parent path and last component; NAME stays "" for ".", "..",
 * "/" and "x/.." (which cannot be renamed). */
static int split_dir(struct placement *p, char *parent, size_t len)
{
	char *slash;
	size_t n;

	while ((n = strlen(p->dir)) > 1 && p->dir[n - 1] == '/')
		p->dir[n - 1] = '\0';
	slash = strrchr(p->dir, '/');
	if (snprintf(p->name, sizeof(p->name), "%s", slash ? slash + 1 : p->dir) >=
	    (int)sizeof(p->name))
		return -ENAMETOOLONG;
	if (strcmp(p->name, ".") == 0 || strcmp(p->name, "..") == 0)
		p->name[0] = '\0';
	if (!slash)
		snprintf(parent, len, ".");
	else if (slash == p->dir)
		snprintf(parent, len, "/");
	else
		snprintf(parent, len, "%.*s", (int)(slash - p->dir), p->dir);
	return 0;
}

static int open_parent(struct placement *p, const char *parent)
{
	p->parent_readable = true;
	p->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->parent_fd < 0 && errno == EACCES) {
		/* searchable only (e.g. a root 0711 directory): enough to reach
		 * DIR, not to list, lock or sync it */
		p->parent_readable = false;
		p->parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return p->parent_fd < 0 ? -errno : 0;
}

/* DIR relative to its parent, made if missing. */
static int open_dir_at(struct placement *p, char *err, size_t errlen)
{
	struct stat st;
	int tries;

	for (tries = 0; tries < REOPEN_TRIES; tries++) {
		p->dir_fd = openat(p->parent_fd, p->name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (p->dir_fd >= 0 && p->dir_made && p->set_owner &&
		    fchown(p->dir_fd, p->uid, p->gid) < 0)
			return sys_fail(err, errlen, "cannot give the new directory to its user: ",
					p->dir);
		if (p->dir_fd >= 0)
			return 0;
		if (errno == ENOENT) {
			if (mkdirat(p->parent_fd, p->name, STATE_DIR_MODE) == 0)
				p->dir_made = true;
			else if (errno != EEXIST)
				return sys_fail(err, errlen, "cannot create ", p->dir);
			continue;
		}
		if (errno != ELOOP && errno != ENOTDIR)
			return sys_fail(err, errlen, "", p->dir);
		if (fstatat(p->parent_fd, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return sys_fail(err, errlen, "", p->dir);
		if (!S_ISLNK(st.st_mode))
			return log_errline(err, errlen, -ENOTDIR, "%s is not a directory", p->dir);
		/* a symbolic link: the directory it names, opened once */
		p->via_symlink = true;
		p->dir_fd = openat(p->parent_fd, p->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (p->dir_fd < 0)
			return sys_fail(err, errlen, "", p->dir);
		return 0;
	}
	return log_errline(err, errlen, -EAGAIN, "%s keeps changing", p->dir);
}

/* Lock DIR; then its name must still be what was locked (a setup that
 * held the lock may have swapped another directory in). 1: open again. */
static int lock_dir_fd(struct placement *p, char *err, size_t errlen)
{
	struct stat now;

	while (flock(p->dir_fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return sys_fail(err, errlen, "cannot lock ", p->dir);
		if (p->stop && *p->stop)
			return log_errline(err, errlen, -EINTR, "interrupted while waiting "
				       "for another vtpm-setup on %s", p->dir);
	}
	if (fstat(p->dir_fd, &p->dir_st) < 0)
		return sys_fail(err, errlen, "", p->dir);
	if (!p->name[0])
		return 0;
	if (fstatat(p->parent_fd, p->name, &now, p->via_symlink ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 1 : sys_fail(err, errlen, "", p->dir);
	return files_same(&now, &p->dir_st) ? 0 : 1;
}

static int open_and_lock(struct placement *p, const char *parent, char *err, size_t errlen)
{
	int tries, ret;

	if (!p->name[0]) {
		p->dir_fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (p->dir_fd < 0)
			return sys_fail(err, errlen, "", p->dir);
		return lock_dir_fd(p, err, errlen);
	}
	ret = open_parent(p, parent);
	if (ret < 0)
		return log_errline(err, errlen, ret, "%s (where %s is): %s", parent, p->dir,
			       strerror(-ret));
	for (tries = 0; tries < REOPEN_TRIES; tries++) {
		ret = open_dir_at(p, err, errlen);
		if (ret == 0)
			ret = lock_dir_fd(p, err, errlen);
		if (ret <= 0)
			return ret;
		close_fd(&p->dir_fd);
		p->dir_made = false;
	}
	return log_errline(err, errlen, -EAGAIN, "%s keeps changing", p->dir);
}

static int scan_entry(int dirfd, const char *name, void *ctx)
{
	struct placement *p = ctx;

	(void)dirfd;
	if (strcmp(name, "tpm2-00.permall") == 0 || strcmp(name, "tpm-00.permall") == 0)
		p->has_state = true;
	else if (strcmp(name, "tpm2-00.volatilestate") == 0 ||
		 strcmp(name, "tpm2-00.savestate") == 0)
		p->has_volatile = true;
	else if (!is_state_name(name) && !is_tmp_name(name, TMP_TAG) && !p->foreign[0])
		snprintf(p->foreign, sizeof(p->foreign), "%s", name);
	return 0;
}

/* Swap when DIR can be renamed whole and holds nothing else. */
static void choose_mode(struct placement *p)
{
	struct statx stx;
	struct stat parent;

	p->mode = PLACE_MODE_IN_DIR;
	if (!p->name[0])
		p->why = "its name cannot be renamed";
	else if (p->via_symlink)
		p->why = "it is a symbolic link";
	else if (!p->parent_readable)
		p->why = "its parent cannot be read";
	else if ((statx(p->dir_fd, "", AT_EMPTY_PATH, 0, &stx) == 0 &&
		  (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		  (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) ||
		 (fstat(p->parent_fd, &parent) == 0 && parent.st_dev != p->dir_st.st_dev))
		p->why = "it is a mount point";
	else if (p->foreign[0])
		p->why = "it holds other files";
	else
		p->mode = PLACE_MODE_SWAP;
}

int place_inspect(struct placement *p, const char *dir, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	int ret;

	p->parent_fd = p->dir_fd = p->lock_fd = p->tmp_fd = -1;
	p->dir_made = p->via_symlink = p->has_state = p->has_volatile = false;
	p->lock_made = p->committed = p->keep_tmp = false;
	p->foreign[0] = p->tmp_name[0] = p->warning[0] = '\0';
	p->why = NULL;
	p->mode = PLACE_MODE_SWAP;
	if (snprintf(p->dir, sizeof(p->dir), "%s", dir) >= (int)sizeof(p->dir) ||
	    split_dir(p, parent, sizeof(parent)) < 0)
		return log_errline(err, errlen, -ENAMETOOLONG, "%s: path too long", dir);
	ret = step(p, PLACE_INSPECT);
	if (ret < 0)
		log_errline(err, errlen, ret, "%s: %s", p->dir, strerror(-ret));
	if (ret == 0)
		ret = open_and_lock(p, parent, err, errlen);
	if (ret == 0) {
		ret = files_each_entry(p->dir_fd, scan_entry, p);
		if (ret < 0)
			log_errline(err, errlen, ret, "cannot read %s: %s", p->dir,
				    strerror(-ret));
	}
	if (ret < 0) {
		place_end(p);   /* a failed look holds nothing */
		return ret;
	}
	choose_mode(p);
	remove_stale_all(p);
	return 0;
}

/* --- the temporary directory ------------------------------------------------- */

/* DIR/.lock: a running vtpmd or swtpm holds it. Made when missing, so that
 * no TPM starts on DIR while its state is replaced. */
static int lock_dir(struct placement *p, char *err, size_t errlen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int ret = step(p, PLACE_LOCK);

	if (ret < 0)
		return log_errline(err, errlen, ret, "cannot lock %s: %s", p->dir, strerror(-ret));
	p->lock_fd = openat(p->dir_fd, LOCK_NAME, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (p->lock_fd < 0 && errno == ENOENT) {
		p->lock_fd = openat(p->dir_fd, LOCK_NAME,
				    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		p->lock_made = p->lock_fd >= 0;
	}
	if (p->lock_fd < 0)
		ret = -errno;
	else if (fcntl(p->lock_fd, F_OFD_SETLK, &lk) < 0)
		ret = -errno;
	if (ret == -EAGAIN || ret == -EACCES)
		return log_errline(err, errlen, ret, "%s is in use by another process (a running "
			       "vtpmd or swtpm holds its lock)", p->dir);
	if (ret < 0)
		return log_errline(err, errlen, ret, "cannot lock %s: %s", p->dir, strerror(-ret));
	return 0;
}

/* mkdtemp(3) relative to AT: PREFIX and random characters, mode 0700. */
static int mkdtemp_at(int at, const char *prefix, char *name, size_t len)
{
	int tries, ret;

	for (tries = 0; tries < 100; tries++) {
		ret = files_tmp_name(name, len, prefix);
		if (ret < 0)
			return ret;
		if (mkdirat(at, name, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* The directory we made, opened without following anything, ours alone. */
static int open_tmp(struct placement *p, int at)
{
	p->tmp_fd = openat(at, p->tmp_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->tmp_fd < 0)
		return -errno;
	if (fstat(p->tmp_fd, &p->tmp_st) < 0)
		return -errno;
	if (p->tmp_st.st_uid != geteuid() || (p->tmp_st.st_mode & 077))
		return -ESTALE;         /* not the directory mkdirat made */
	return flock(p->tmp_fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
}

static int tmp_at(const struct placement *p)
{
	return p->mode == PLACE_MODE_IN_DIR ? p->dir_fd : p->parent_fd;
}

static int make_temp(struct placement *p, char *err, size_t errlen)
{
	char prefix[NAME_MAX + 32];
	int ret = step(p, PLACE_MKTEMP);

	if (ret == 0 && p->mode != PLACE_MODE_IN_DIR) {
		snprintf(prefix, sizeof(prefix), ".%s" TMP_TAG, p->name);
		ret = mkdtemp_at(p->parent_fd, prefix, p->tmp_name, sizeof(p->tmp_name));
		if (ret == -EACCES || ret == -EPERM || ret == -EROFS) {
			p->mode = PLACE_MODE_IN_DIR;
			p->why = "its parent is not writable";
			ret = 0;
		}
	}
	if (ret == 0 && p->mode == PLACE_MODE_IN_DIR)
		ret = mkdtemp_at(p->dir_fd, TMP_TAG, p->tmp_name, sizeof(p->tmp_name));
	if (ret == 0) {
		ret = open_tmp(p, tmp_at(p));
		/* ours unless something else took its name (-ESTALE) */
		if (ret < 0 && ret != -ESTALE)
			(void)unlinkat(tmp_at(p), p->tmp_name, AT_REMOVEDIR);
	}
	if (ret < 0) {
		close_fd(&p->tmp_fd);
		p->tmp_name[0] = '\0';
		return log_errline(err, errlen, ret, "cannot make a temporary directory %s %s: %s",
				   p->mode == PLACE_MODE_IN_DIR ? "in" : "beside", p->dir,
				   ret == -ESTALE ? "it was replaced by another process" :
				   strerror(-ret));
	}
	return 0;
}

/* The permanent state (the only file an amended TPM needs). */
static int copy_state(struct placement *p, char *err, size_t errlen)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, ret = step(p, PLACE_COPY);

	if (ret == 0) {
		fd = openat(p->dir_fd, COMMIT_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		ret = fd < 0 ? -errno : fstat(fd, &sb) < 0 ? -errno :
			S_ISREG(sb.st_mode) ? 0 : -EINVAL;
	}
	if (ret == 0) {
		ret = files_read(NULL, fd, STATE_FILE_MAX, &buf, &len);
		fd = -1;        /* files_read() closed it */
	}
	if (ret == 0)
		ret = files_write_atomic(p->tmp_fd, COMMIT_NAME, buf, len, sb.st_mode & 0777);
	close_fd(&fd);
	files_free(buf, len);
	if (ret < 0)
		return log_errline(err, errlen, ret, "cannot copy the state of %s: %s", p->dir,
			       strerror(-ret));
	return 0;
}

int place_begin(struct placement *p, bool copy, char *err, size_t errlen)
{
	int ret = lock_dir(p, err, errlen);

	if (ret == 0)
		ret = make_temp(p, err, errlen);
	if (ret == 0 && copy)
		ret = copy_state(p, err, errlen);
	return ret;
}

int place_fill_check(struct placement *p)
{
	return step(p, PLACE_FILL);
}

/* --- the commit ---------------------------------------------------------------- */

struct owner_ctx {
	uid_t uid;
	gid_t gid;
};

static int chown_entry(int dirfd, const char *name, void *ctx)
{
	const struct owner_ctx *o = ctx;

	if (fchownat(dirfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* The new state gets DIR's owner (or --runas USER) when root makes it, and
 * with a swap DIR's mode: a state root makes for a TPM user is that
 * user's. */
static int copy_attrs(struct placement *p)
{
	struct owner_ctx o = { p->dir_st.st_uid, p->dir_st.st_gid };
	int ret = step(p, PLACE_ATTRS);

	if (p->set_owner) {
		o.uid = p->uid;
		o.gid = p->gid;
	}

	if (ret == 0 && p->mode == PLACE_MODE_SWAP &&
	    fchmod(p->tmp_fd, p->dir_st.st_mode & 07777) < 0)
		ret = -errno;
	if (ret < 0 || geteuid() != 0 ||
	    (p->tmp_st.st_uid == o.uid && p->tmp_st.st_gid == o.gid))
		return ret;
	ret = files_each_entry(p->tmp_fd, chown_entry, &o);
	if (ret == 0 && p->mode == PLACE_MODE_SWAP && fchown(p->tmp_fd, o.uid, o.gid) < 0)
		ret = -errno;
	return ret;
}

static int exchange(struct placement *p)
{
	return renameat2(p->parent_fd, p->tmp_name, p->parent_fd, p->name,
			 RENAME_EXCHANGE) < 0 ? -errno : 0;
}

/* AT/NAME is still the file ST. */
static bool name_is(int at, const char *name, const struct stat *st)
{
	struct stat now;

	return fstatat(at, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && files_same(&now, st);
}

/* Both names must still be the two directories this run holds. */
static int names_are(struct placement *p, const struct stat *at_name,
		     const struct stat *at_tmp)
{
	return name_is(p->parent_fd, p->name, at_name) &&
		name_is(p->parent_fd, p->tmp_name, at_tmp) ? 0 : -ESTALE;
}

/* Exchange back, if the names are still what the exchange made them. */
static void exchange_back(struct placement *p)
{
	if (names_are(p, &p->tmp_st, &p->dir_st) == 0)
		(void)exchange(p);
}

static int commit_swap(struct placement *p, const char **what)
{
	int ret;

	*what = "cannot move the new state into place";
	ret = names_are(p, &p->dir_st, &p->tmp_st);
	if (ret == 0)
		ret = step(p, PLACE_SWAP);
	if (ret == 0)
		ret = exchange(p);
	if (ret < 0)
		return ret;
	/* Someone who may write the parent could have put another directory
	 * at either name in between: DIR must now be ours. */
	if (!name_is(p->parent_fd, p->name, &p->tmp_st)) {
		if (name_is(p->parent_fd, p->tmp_name, &p->dir_st))
			(void)exchange(p);
		return -ESTALE;
	}
	*what = "cannot sync the parent directory of";
	ret = step(p, PLACE_SYNC_PARENT);
	if (ret == 0 && fsync(p->parent_fd) < 0 && errno != EINVAL)
		ret = -errno;
	if (ret < 0) {
		exchange_back(p);
		return ret;
	}
	return 0;
}

static int commit_files(struct placement *p, const char **what)
{
	struct move_ctx keep = { .to = p->tmp_fd }, drop = { .from = p->tmp_fd },
		in = { .to = p->dir_fd };
	int ret;

	*what = "cannot keep the old state aside in";
	ret = step(p, PLACE_KEEP_OLD);
	if (ret == 0)
		ret = files_each_entry(p->dir_fd, keep_old_entry, &keep);
	if (ret == 0)
		ret = files_write_atomic(p->tmp_fd, MARKER, "", 0, 0600);
	if (ret < 0)
		return ret;     /* DIR untouched: the links go with the directory */
	*what = "cannot move the new state into place";
	ret = files_each_entry(p->dir_fd, drop_extra_entry, &drop);
	if (ret == 0)
		ret = files_each_entry(p->tmp_fd, move_in_entry, &in);
	if (ret == 0)
		ret = step(p, PLACE_SWAP);
	if (ret == 0 && renameat(p->tmp_fd, COMMIT_NAME, p->dir_fd, COMMIT_NAME) < 0)
		ret = -errno;
	if (ret == 0) {
		*what = "cannot sync";
		ret = step(p, PLACE_SYNC_PARENT);
	}
	if (ret == 0 && fsync(p->dir_fd) < 0 && errno != EINVAL)
		ret = -errno;
	if (ret < 0 && put_back(p->dir_fd, p->tmp_fd) < 0)
		p->keep_tmp = true;     /* the next run puts the old files back */
	return ret;
}

int place_commit(struct placement *p, char *err, size_t errlen)
{
	const char *what = "cannot sync the new state";
	int ret = step(p, PLACE_SYNC);

	if (ret == 0 && fsync(p->tmp_fd) < 0 && errno != EINVAL)
		ret = -errno;
	if (ret == 0) {
		what = "cannot set the new state's mode or owner";
		ret = copy_attrs(p);
	}
	if (ret == 0 && p->mode == PLACE_MODE_SWAP) {
		ret = commit_swap(p, &what);
		if (ret == -EINVAL) {
			/* this filesystem cannot exchange: file by file */
			p->mode = PLACE_MODE_FILES;
			p->why = "its filesystem cannot exchange two names";
		}
	}
	if (ret == 0 && p->mode != PLACE_MODE_SWAP)
		ret = commit_files(p, &what);
	if (ret < 0)
		return log_errline(err, errlen, ret, "%s %s: %s", what, p->dir,
			       ret == -ESTALE ? "it was replaced by another process" :
			       strerror(-ret));
	p->committed = true;
	return 0;
}

int place_undo(struct placement *p, char *err, size_t errlen)
{
	int ret;

	if (!p->committed)
		return 0;
	if (p->mode == PLACE_MODE_SWAP) {
		ret = names_are(p, &p->tmp_st, &p->dir_st);
		if (ret == 0)
			ret = exchange(p);
		if (ret == 0 && fsync(p->parent_fd) < 0 && errno != EINVAL)
			ret = -errno;
	} else {
		ret = put_back(p->dir_fd, p->tmp_fd);
		p->keep_tmp = ret < 0;
	}
	if (ret < 0)
		return log_errline(err, errlen, ret, "cannot put the old state of %s back: %s",
			       p->dir, strerror(-ret));
	p->committed = false;
	return 0;
}

/* --- the end ------------------------------------------------------------------- */

/* After a swap the old state is the directory at the temporary name. */
static int remove_old_state(struct placement *p)
{
	int ret = step(p, PLACE_CLEANUP);

	if (ret < 0)
		return ret;
	if (p->mode == PLACE_MODE_SWAP) {
		ret = files_empty_dir(p->dir_fd);
		return ret < 0 ? ret : files_remove_dir_at(p->parent_fd, p->tmp_name, &p->dir_st);
	}
	ret = files_empty_dir(p->tmp_fd);
	return ret < 0 ? ret : files_remove_dir_at(tmp_at(p), p->tmp_name, &p->tmp_st);
}

/* Where the temporary directory is, for a message. */
static const char *tmp_path(const struct placement *p, char *buf, size_t len)
{
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s", p->dir);
	snprintf(buf, len, "%.1024s/%.255s", p->mode == PLACE_MODE_IN_DIR ? p->dir :
		 dirname(parent), p->tmp_name);
	return buf;
}

static void remove_what_we_made(struct placement *p)
{
	char tmp[1300];

	if (p->keep_tmp) {
		snprintf(p->warning, sizeof(p->warning), "%.1024s is not as it was; the "
			 "next vtpm-setup on it puts its old state back from %s", p->dir,
			 tmp_path(p, tmp, sizeof(tmp)));
		return;
	}
	if (p->tmp_fd >= 0 && files_empty_dir(p->tmp_fd) == 0)
		(void)files_remove_dir_at(tmp_at(p), p->tmp_name, &p->tmp_st);
	if (p->lock_made && p->dir_fd >= 0)
		(void)unlinkat(p->dir_fd, LOCK_NAME, 0);
	p->lock_made = false;
	if (p->dir_made && p->parent_fd >= 0)
		(void)files_remove_dir_at(p->parent_fd, p->name, &p->dir_st);
	p->dir_made = false;
}

void place_end(struct placement *p)
{
	char tmp[1300];
	int ret;

	if (p->committed) {
		ret = remove_old_state(p);
		if (ret == -ESTALE && !p->warning[0])
			snprintf(p->warning, sizeof(p->warning),
				 "%s was replaced by another process; the old state's "
				 "files are removed", tmp_path(p, tmp, sizeof(tmp)));
		else if (ret < 0 && !p->warning[0])
			snprintf(p->warning, sizeof(p->warning),
				 "the old state of %.1024s is left in %s: %s", p->dir,
				 tmp_path(p, tmp, sizeof(tmp)), strerror(-ret));
		p->committed = false;
	} else {
		remove_what_we_made(p);
	}
	p->tmp_name[0] = '\0';
	p->lock_made = p->dir_made = false;
	close_fd(&p->tmp_fd);
	close_fd(&p->lock_fd);
	close_fd(&p->dir_fd);   /* releases the flock */
	close_fd(&p->parent_fd);
}

const char *place_mode_text(const struct placement *p, char *buf, size_t len)
{
	if (p->mode == PLACE_MODE_SWAP)
		snprintf(buf, len, "by swapping the directory");
	else
		snprintf(buf, len, "file by file inside %.1024s (%s)", p->dir,
			 p->why ? p->why : "?");
	return buf;
}
