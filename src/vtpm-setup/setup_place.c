/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_place.c - replacing a state directory atomically (see setup_place.h). */
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

#include "vtpm-setup/setup_files.h"
#include "vtpm-setup/setup_place.h"

#define STATE_DIR_MODE 0750     /* as the store makes a new directory */
#define STATE_FILE_MAX (16u << 20)

static int step(struct placement *p, enum place_step s)
{
	int e = p->inject ? p->inject(s, p->inject_ctx) : 0;

	return e ? -e : 0;
}

/* The names a state directory may hold: swtpm's and vtpmd's. */
static bool is_state_name(const char *name)
{
	static const char *const prefixes[] = {
		"tpm2-00.", "tpm-00.", "TMP2-00.", "TMP-00.",
	};
	size_t i;

	if (strcmp(name, ".lock") == 0)
		return true;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int scan_dir(struct placement *p, char *err, size_t errlen)
{
	DIR *d = opendir(p->dir);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", p->dir, strerror(-ret));
		return ret;
	}
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (!is_state_name(n)) {
			snprintf(err, errlen, "%s holds '%s', which is not TPM state; "
				 "vtpm-setup replaces only state directories", p->dir, n);
			ret = -ENOTEMPTY;
			break;
		}
		if (strcmp(n, "tpm2-00.permall") == 0 || strcmp(n, "tpm-00.permall") == 0)
			p->has_state = true;
		if (strcmp(n, "tpm2-00.volatilestate") == 0 ||
		    strcmp(n, "tpm2-00.savestate") == 0)
			p->has_volatile = true;
	}
	closedir(d);
	return ret;
}

static int parent_of(const char *path, char *buf, size_t len)
{
	char copy[PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", path);
	return snprintf(buf, len, "%s", dirname(copy)) >= (int)len ? -ENAMETOOLONG : 0;
}

static int inspect_dir(struct placement *p, char *err, size_t errlen);

/* One setup at a time per parent directory. */
static int lock_parent(struct placement *p, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	int ret = parent_of(p->dir, parent, sizeof(parent));

	if (ret == 0) {
		p->parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (p->parent_fd < 0)
			ret = -errno;
	}
	while (ret == 0 && flock(p->parent_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			ret = -errno;
	if (ret < 0)
		snprintf(err, errlen, "%s (where %s goes): %s", parent, p->dir,
			 strerror(-ret));
	return ret;
}

int place_inspect(struct placement *p, const char *dir, char *err, size_t errlen)
{
	int ret;

	p->dir_exists = p->has_state = p->has_volatile = false;
	p->tmp_made = p->swapped = false;
	p->lock_fd = p->parent_fd = -1;
	p->tmp[0] = '\0';
	if (snprintf(p->dir, sizeof(p->dir), "%s", dir) >= (int)sizeof(p->dir)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	/* a trailing slash would make the rename act on what it names */
	while (strlen(p->dir) > 1 && p->dir[strlen(p->dir) - 1] == '/')
		p->dir[strlen(p->dir) - 1] = '\0';
	ret = lock_parent(p, err, errlen);
	if (ret == 0)
		ret = inspect_dir(p, err, errlen);
	if (ret < 0)
		place_end(p);   /* a failed look holds nothing */
	return ret;
}

static int inspect_dir(struct placement *p, char *err, size_t errlen)
{
	int ret = step(p, PLACE_INSPECT);

	if (ret == 0 && lstat(p->dir, &p->dir_st) < 0)
		ret = errno == ENOENT ? 0 : -errno;
	else if (ret == 0)
		p->dir_exists = true;
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", p->dir, strerror(-ret));
		return ret;
	}
	if (!p->dir_exists)
		return 0;
	if (S_ISLNK(p->dir_st.st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link; give the directory "
			 "it points to", p->dir);
		return -ELOOP;
	}
	if (!S_ISDIR(p->dir_st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", p->dir);
		return -ENOTDIR;
	}
	return scan_dir(p, err, errlen);
}

/* The lock a running vtpmd or swtpm holds on DIR/.lock. A missing lock
 * file means nobody runs on DIR, and creating one would change DIR. */
static int lock_dir(struct placement *p, char *err, size_t errlen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[PATH_MAX + 8];
	int ret = step(p, PLACE_LOCK);

	if (ret == 0 && p->dir_exists) {
		snprintf(path, sizeof(path), "%s/.lock", p->dir);
		p->lock_fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (p->lock_fd < 0 && errno != ENOENT)
			ret = -errno;
		else if (p->lock_fd >= 0 && fcntl(p->lock_fd, F_OFD_SETLK, &lk) < 0)
			ret = -errno;
	}
	if (ret == -EAGAIN || ret == -EACCES)
		snprintf(err, errlen, "%s is in use by another process (a running "
			 "vtpmd or swtpm holds its lock)", p->dir);
	else if (ret < 0)
		snprintf(err, errlen, "cannot lock %s: %s", p->dir, strerror(-ret));
	return ret;
}

static int make_temp(struct placement *p, char *err, size_t errlen)
{
	char copy[PATH_MAX], copy2[PATH_MAX];
	const char *parent, *base;
	int ret = step(p, PLACE_MKTEMP);

	snprintf(copy, sizeof(copy), "%s", p->dir);
	snprintf(copy2, sizeof(copy2), "%s", p->dir);
	parent = dirname(copy);
	base = basename(copy2);
	if (ret == 0 && snprintf(p->tmp, sizeof(p->tmp), "%s/.%s.vtpm-setup-XXXXXX",
				 parent, base) >= (int)sizeof(p->tmp))
		ret = -ENAMETOOLONG;
	if (ret == 0 && !mkdtemp(p->tmp))
		ret = -errno;
	if (ret < 0) {
		p->tmp[0] = '\0';
		snprintf(err, errlen, "cannot make a directory beside %s: %s", p->dir,
			 strerror(-ret));
		return ret;
	}
	p->tmp_made = true;
	return 0;
}

/* Copy the permanent state (the only file an amended TPM needs). */
static int copy_state(struct placement *p, char *err, size_t errlen)
{
	static const char name[] = "tpm2-00.permall";
	char src[PATH_MAX + 32];
	struct stat sb;
	uint8_t *buf = NULL;
	size_t len = 0;
	int dirfd = -1, ret = step(p, PLACE_COPY);

	if (ret == 0) {
		snprintf(src, sizeof(src), "%s/%s", p->dir, name);
		ret = lstat(src, &sb) < 0 ? -errno : S_ISREG(sb.st_mode) ? 0 : -EINVAL;
	}
	if (ret == 0)
		ret = files_read(src, -1, STATE_FILE_MAX, &buf, &len);
	if (ret == 0) {
		dirfd = open(p->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = dirfd < 0 ? -errno : 0;
	}
	if (ret == 0)
		ret = files_write_atomic(dirfd, name, buf, len, sb.st_mode & 0777);
	if (dirfd >= 0)
		close(dirfd);
	files_free(buf, len);
	if (ret < 0)
		snprintf(err, errlen, "cannot copy the state of %s: %s", p->dir,
			 strerror(-ret));
	return ret;
}

int place_begin(struct placement *p, bool copy, char *err, size_t errlen)
{
	int ret = lock_dir(p, err, errlen);

	if (ret == 0)
		ret = make_temp(p, err, errlen);
	if (ret == 0 && copy)
		ret = copy_state(p, err, errlen);
	if (ret < 0)
		place_end(p);
	return ret;
}

int place_fill_check(struct placement *p)
{
	return step(p, PLACE_FILL);
}

/* The new directory gets the old one's mode and (when we may) owner; a new
 * DIR gets the store's mode. Files are chowned along with it, so a state
 * root makes for a TPM user stays that user's. */
static int copy_attrs(struct placement *p)
{
	mode_t mask;
	DIR *d;
	struct dirent *e;
	int ret = step(p, PLACE_ATTRS);

	if (ret < 0)
		return ret;
	if (!p->dir_exists) {
		mask = umask(0);
		umask(mask);
		return chmod(p->tmp, STATE_DIR_MODE & ~mask) < 0 ? -errno : 0;
	}
	if (chmod(p->tmp, p->dir_st.st_mode & 07777) < 0)
		return -errno;
	if (geteuid() != 0 || (p->dir_st.st_uid == 0 && p->dir_st.st_gid == getegid()))
		return 0;
	d = opendir(p->tmp);
	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd(d), e->d_name, p->dir_st.st_uid, p->dir_st.st_gid,
			     AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Swap without RENAME_EXCHANGE (filesystems that lack it): DIR aside, the
 * new one in, and back if that fails. Not one atomic step, but DIR is
 * never missing for longer than two renames. */
static int swap_by_two_renames(struct placement *p)
{
	char aside[PATH_MAX + 8];
	int ret = 0;

	if (snprintf(aside, sizeof(aside), "%s.old", p->tmp) >= (int)sizeof(aside))
		return -ENAMETOOLONG;
	if (rename(p->dir, aside) < 0)
		return -errno;
	if (rename(p->tmp, p->dir) < 0) {
		ret = -errno;
		(void)rename(aside, p->dir);
		return ret;
	}
	if (rename(aside, p->tmp) < 0)
		return -errno;  /* placed; the old state stays at .old */
	return 0;
}

static int swap(struct placement *p)
{
	int ret = step(p, PLACE_SWAP);

	if (ret < 0)
		return ret;
	if (!p->dir_exists)
		return renameat2(AT_FDCWD, p->tmp, AT_FDCWD, p->dir, RENAME_NOREPLACE) < 0 ?
			-errno : 0;
	if (renameat2(AT_FDCWD, p->tmp, AT_FDCWD, p->dir, RENAME_EXCHANGE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	return swap_by_two_renames(p);
}

/* After the swap, put DIR back as it was. */
static void unswap(struct placement *p)
{
	if (p->dir_exists)
		(void)renameat2(AT_FDCWD, p->tmp, AT_FDCWD, p->dir, RENAME_EXCHANGE);
	else
		(void)rename(p->dir, p->tmp);
	p->swapped = false;
}

int place_commit(struct placement *p, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	const char *what = "cannot sync the new state";
	int ret = step(p, PLACE_SYNC);

	if (ret == 0)
		ret = files_sync_dir(p->tmp);
	if (ret == 0) {
		what = "cannot set the new state directory's mode or owner";
		ret = copy_attrs(p);
	}
	if (ret == 0) {
		what = "cannot move the new state into place";
		ret = swap(p);
		p->swapped = ret == 0;
	}
	if (ret == 0) {
		what = "cannot sync the parent directory";
		ret = step(p, PLACE_SYNC_PARENT);
		if (ret == 0)
			ret = parent_of(p->dir, parent, sizeof(parent));
		if (ret == 0)
			ret = files_sync_dir(parent);
		if (ret < 0)
			unswap(p);
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s %s: %s", what, p->dir, strerror(-ret));
		return ret;
	}
	/* Past the point of no return: the old state goes. */
	if (p->dir_exists) {
		ret = step(p, PLACE_CLEANUP);
		if (ret == 0)
			ret = files_remove_dir(p->tmp);
		if (ret < 0)
			snprintf(err, errlen, "the old state of %s is left in %s: %s",
				 p->dir, p->tmp, strerror(-ret));
		else
			p->tmp_made = false;
	} else {
		p->tmp_made = false;
	}
	return 0;
}

void place_end(struct placement *p)
{
	if (p->tmp_made && !p->swapped)
		(void)files_remove_dir(p->tmp);
	if (!p->swapped)
		p->tmp_made = false;
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	p->lock_fd = -1;
	if (p->parent_fd >= 0)
		close(p->parent_fd);     /* releases the flock */
	p->parent_fd = -1;
}
