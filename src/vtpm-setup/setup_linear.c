/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_linear.c - a new state put into a linear file at once (see setup_linear.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem/secret.h"
#include "vtpm-setup/setup_files.h"
#include "vtpm-setup/setup_linear.h"
#include "vtpm-setup/setup_tpm.h"

static int step(struct linear_placement *p, enum linear_place_step s)
{
	int e = p->inject ? p->inject(s, p->inject_ctx) : 0;

	return e ? -e : 0;
}

int linear_place_inspect(struct linear_placement *p, const char *path,
			 char *err, size_t errlen)
{
	struct stat st;
	int ret;

	p->existed = p->has_state = p->has_volatile = false;
	p->open = p->tmp_made = p->placed = false;
	p->tmp[0] = '\0';
	if (snprintf(p->path, sizeof(p->path), "%s", path) >= (int)sizeof(p->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	p->existed = lstat(path, &st) == 0;
	ret = step(p, LPLACE_OPEN);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = setup_tpm_file_open(path, p->store_inject, p->store_inject_ctx, err, errlen);
	p->open = ret == 0;
	if (ret == 0)
		ret = setup_tpm_file_holds(&p->has_state, &p->has_volatile, err, errlen);
	if (ret < 0)
		linear_place_end(p);    /* a failed look holds nothing */
	return ret;
}

static int make_temp(struct linear_placement *p, char *err, size_t errlen)
{
	const char *tmpdir = getenv("TMPDIR");
	int ret = step(p, LPLACE_MKTEMP);

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (ret == 0 && snprintf(p->tmp, sizeof(p->tmp), "%s/vtpm-setup-XXXXXX",
				 tmpdir) >= (int)sizeof(p->tmp))
		ret = -ENAMETOOLONG;
	if (ret == 0 && !mkdtemp(p->tmp))      /* mode 0700 */
		ret = -errno;
	if (ret == 0 && lstat(p->tmp, &p->tmp_st) < 0) {
		ret = -errno;
		(void)rmdir(p->tmp);
	}
	if (ret < 0) {
		p->tmp[0] = '\0';
		snprintf(err, errlen, "cannot make a temporary directory in %s: %s",
			 tmpdir, strerror(-ret));
		return ret;
	}
	p->tmp_made = true;
	return 0;
}

/* The permanent state, as the one file an amended TPM needs. */
static int copy_state(struct linear_placement *p, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int dirfd = -1, ret = step(p, LPLACE_COPY);

	if (ret == 0)
		ret = setup_tpm_file_read_permall(&buf, &len);
	if (ret == 0) {
		dirfd = open(p->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = dirfd < 0 ? -errno : 0;
	}
	if (ret == 0)
		ret = files_write_atomic(dirfd, "tpm2-00.permall", buf, len, 0600);
	if (dirfd >= 0)
		close(dirfd);
	secret_free(buf, len);
	if (ret < 0)
		snprintf(err, errlen, "cannot copy the state of %s: %s", p->path,
			 strerror(-ret));
	return ret;
}

int linear_place_begin(struct linear_placement *p, bool copy_state_too,
		       char *err, size_t errlen)
{
	int ret = make_temp(p, err, errlen);

	if (ret == 0 && copy_state_too)
		ret = copy_state(p, err, errlen);
	if (ret < 0)
		linear_place_end(p);
	return ret;
}

int linear_place_fill_check(struct linear_placement *p)
{
	return step(p, LPLACE_FILL);
}

int linear_place_commit(struct linear_placement *p, char *err, size_t errlen)
{
	int dirfd, ret = step(p, LPLACE_COMMIT);

	if (ret < 0) {
		snprintf(err, errlen, "cannot put the new state into %s: %s", p->path,
			 strerror(-ret));
		return ret;
	}
	dirfd = open(p->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", p->tmp, strerror(-ret));
		return ret;
	}
	ret = setup_tpm_file_replace(dirfd, err, errlen);
	close(dirfd);
	p->placed = ret == 0;
	return ret;
}

/* A regular file that holds no state: the one opening made, with at
 * most a failed update's blobs in it. */
static bool holds_nothing(const char *path)
{
	struct store_state_info info[STORE_STATE_COUNT];
	struct stat st;
	char err[256];
	size_t i;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    store_list_file_states(path, info, err, sizeof(err)) < 0)
		return false;
	for (i = 0; i < STORE_STATE_COUNT; i++)
		if (info[i].present)
			return false;
	return true;
}

/* The temporary directory, emptied and removed if it is still the one
 * make_temp() made (by its descriptor: nothing another user swapped in
 * is touched). */
static void remove_temp(struct linear_placement *p)
{
	int fd = open(p->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && files_same(&st, &p->tmp_st) && files_empty_dir(fd) == 0)
		(void)files_remove_dir_at(AT_FDCWD, p->tmp, &p->tmp_st);
	close(fd);
}

void linear_place_end(struct linear_placement *p)
{
	if (p->tmp_made)
		remove_temp(p);
	p->tmp_made = false;
	/* the file opening made, when nothing was placed; removed while
	 * still locked, so that no other setup has begun to fill it */
	if (p->open && !p->existed && !p->placed && holds_nothing(p->path))
		(void)unlink(p->path);
	if (p->open)
		setup_tpm_file_close();
	p->open = false;
	p->existed = true;      /* once is enough */
}
