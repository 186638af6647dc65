/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_linear.c - the linear state file (backend-uri=file://): opening a
 * regular file or block device, checking its header, reading slots, and
 * updating them crash-safely (the format and the placement are linear.c's).
 *
 * An update never writes where the header on disk points: the new blobs go
 * into free space and are made durable, then one write of the header (it
 * lies in the first 512 bytes, one sector of any device) switches every
 * changed slot, and is made durable. A crash before that write reaches the
 * disk leaves the old header and old blobs; after, the new ones. This rests on a sector
 * being written whole or not at all, which disks promise for one logical
 * block; swtpm, which follows the header's offsets only, can read the file
 * after every step.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>      /* BLKGETSIZE64 */
#include <sys/stat.h>
#include <unistd.h>

#include "os/io.h"
#include "os/log.h"
#include "mem/secret.h"
#include "store/store_internal.h"

#define LINEAR_MAX_BLOB (16u << 20)     /* as a state file of the directory */

static const char *const step_names[LINEAR_STEPS] = {
	[LINEAR_STEP_WRITE_DATA] = "writing the new blob",
	[LINEAR_STEP_SYNC_DATA] = "fdatasync of the new blob",
	[LINEAR_STEP_WRITE_HEADER] = "writing the header",
	[LINEAR_STEP_SYNC_HEADER] = "fdatasync of the header",
	[LINEAR_STEP_SCRUB] = "zeroing the old copy",
	[LINEAR_STEP_TRIM] = "truncating the free space at the end",
};

static int step(const struct store *s, enum store_linear_step st)
{
	int e = s->lin.inject ? s->lin.inject(st, s->lin.inject_ctx) : 0;

	return e ? -e : 0;
}

static int open_fail(const struct store_options *opt, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int open_fail(const struct store_options *opt, int err, const char *fmt, ...)
{
	va_list ap;

	if (opt->err && opt->errlen) {
		va_start(ap, fmt);
		vsnprintf(opt->err, opt->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory (a state directory is --tpmstate dir=DIR)";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISSOCK(m))
		return "a socket";
	return "something else";
}

/* fsync PATH's directory, so that a file just created there stays. */
static int sync_parent(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

/* A new, empty regular file (it holds no state yet). 1 if made, 0 if
 * something appeared there meanwhile, -errno. */
static int create_file(struct store *s, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, s->mode);
	int err;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (s->mode_exact && fchmod(fd, s->mode) < 0) {
		err = -errno;
		close(fd);
		unlink(path);
		return err;
	}
	close(fd);
	/* best effort, as for a new state directory: without it a crash may
	 * lose the new file, and with it a state that was new anyway */
	if (sync_parent(path) < 0)
		log_debug("store: fsync of the directory of %s failed", path);
	return 1;
}

/*
 * Open PATH for FLAGS (O_RDWR or O_RDONLY): a regular file or a block
 * device, a symbolic link only to a block device (/dev/VG/LV). Checks the
 * type before opening, so a FIFO or a tape is never opened, and again on
 * the descriptor. *ST is its fstat.
 */
static int open_checked(const struct store_options *opt, const char *path,
			int flags, struct stat *st)
{
	struct stat lst, fst;
	int fd, err;

	if (lstat(path, &lst) < 0)
		return -errno;
	if (S_ISLNK(lst.st_mode)) {
		if (stat(path, &lst) < 0)
			return open_fail(opt, -errno, "%s: %s", path, strerror(errno));
		if (!S_ISBLK(lst.st_mode))
			return open_fail(opt, -ELOOP, "%s is a symbolic link; give the "
					 "file it points to", path);
	}
	if (!S_ISREG(lst.st_mode) && !S_ISBLK(lst.st_mode))
		return open_fail(opt, -EINVAL, "%s is %s, not a regular file or a "
				 "block device", path, kind_of(lst.st_mode));
	fd = open(path, flags | O_CLOEXEC | (S_ISREG(lst.st_mode) ? O_NOFOLLOW : 0));
	if (fd < 0) {
		err = -errno;
		return open_fail(opt, err, "%s: %s", path, strerror(-err));
	}
	if (fstat(fd, &fst) < 0 || fst.st_dev != lst.st_dev || fst.st_ino != lst.st_ino ||
	    (fst.st_mode & S_IFMT) != (lst.st_mode & S_IFMT)) {
		close(fd);
		return open_fail(opt, -ESTALE, "%s changed while being opened", path);
	}
	*st = fst;
	return fd;
}

/* The size of what FD is: a regular file's length or a block device's. */
static int size_of(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	if (ioctl(fd, BLKGETSIZE64, size) < 0)
		return -errno;
	return 0;
}

/* Read FD's header (SIZE bytes long). 1 valid, 0 no state, -errno with
 * WHY. */
static int read_header(int fd, uint64_t size, struct linear_header *h,
		       char *why, size_t whylen)
{
	uint8_t buf[LINEAR_HEADER_SIZE];
	size_t want = size < sizeof(buf) ? (size_t)size : sizeof(buf);
	ssize_t got = io_pread_full(fd, buf, want, 0);

	if (got < 0) {
		snprintf(why, whylen, "reading the header: %s", strerror((int)-got));
		return (int)got;
	}
	return linear_parse(buf, (size_t)got, size, h, why, whylen);
}

int store_linear_open(struct store *s, const struct store_options *opt)
{
	const char *path = opt->file;
	struct linear_header h;
	struct stat st;
	char why[256];
	uint64_t size;
	int fd, ret;

	if (!path || !*path)
		return -EINVAL;
	if (opt->backup)
		return open_fail(opt, -EINVAL, "%s: backup is for a state directory; "
				 "a linear file keeps no backup", path);
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;
	s->lin.fd = -1;
	s->lin.inject = opt->linear_inject;
	s->lin.inject_ctx = opt->linear_inject_ctx;
	fd = open_checked(opt, path, O_RDWR, &st);
	if (fd == -ENOENT) {
		ret = create_file(s, path);
		if (ret < 0)
			return open_fail(opt, ret, "cannot create %s: %s", path,
					 strerror(-ret));
		fd = open_checked(opt, path, O_RDWR, &st);
	}
	if (fd < 0)
		return fd == -ENOENT ? open_fail(opt, fd, "%s vanished while being "
						 "opened", path) : fd;
	ret = size_of(fd, &st, &size);
	if (ret < 0) {
		close(fd);
		return open_fail(opt, ret, "%s: size of the block device: %s", path,
				 strerror(-ret));
	}
	if (S_ISBLK(st.st_mode) && size < STORE_LINEAR_MIN_DEVICE) {
		close(fd);
		return open_fail(opt, -ENOSPC, "block device %s is too small: %llu "
				 "bytes, a TPM state needs %u KiB", path,
				 (unsigned long long)size, STORE_LINEAR_MIN_DEVICE >> 10);
	}
	ret = read_header(fd, size, &h, why, sizeof(why));
	if (ret < 0) {
		close(fd);
		return open_fail(opt, ret, "%s: %s", path, why);
	}
	/* As swtpm does with mode=, bring the file to the configured mode. */
	if (S_ISREG(st.st_mode) && s->mode_exact && (st.st_mode & 07777) != s->mode &&
	    fchmod(fd, s->mode) < 0)
		log_error("store: chmod %s: %s", path, strerror(errno));
	s->lin.fd = fd;
	s->lin.blockdev = S_ISBLK(st.st_mode);
	s->lin.size = size;
	s->linear = true;
	return 0;
}

void store_linear_close(struct store *s)
{
	if (s->lin.fd >= 0)
		close(s->lin.fd);
	s->lin.fd = -1;
	s->lin.nunsure = 0;
	s->linear = false;
}

/* The current header: 1 valid, 0 no state (*H empty), -errno logged. */
static int current_header(struct store *s, struct linear_header *h, uint64_t *size)
{
	struct stat st;
	char why[256];
	int ret;

	if (s->lin.blockdev) {
		*size = s->lin.size;
	} else if (fstat(s->lin.fd, &st) < 0) {
		ret = -errno;
		log_error("store: %s: %s", s->path, strerror(-ret));
		return ret;
	} else {
		*size = (uint64_t)st.st_size;
	}
	ret = read_header(s->lin.fd, *size, h, why, sizeof(why));
	if (ret < 0)
		log_error("store: %s: %s", s->path, why);
	return ret;
}

static int slot_of(const struct store *s, const char *name)
{
	int slot = linear_slot_of(name);

	if (slot < 0)
		log_error("store: unknown state name '%s' for %s", name ? name : "",
			  s->path);
	return slot;
}

/* NAME's slot as the current header has it: 0, or -errno logged. */
static int slot_now(struct store *s, const char *name, struct linear_slot *sl)
{
	struct linear_header h;
	uint64_t size;
	int slot = slot_of(s, name), ret;

	if (slot < 0)
		return slot;
	ret = current_header(s, &h, &size);
	if (ret < 0)
		return ret;
	*sl = h.slot[slot];
	return 0;
}

int store_linear_has(struct store *s, const char *name)
{
	struct linear_slot sl;
	int ret = slot_now(s, name, &sl);

	return ret < 0 ? ret : sl.offset != 0;
}

int store_linear_read(struct store *s, const char *name, uint8_t **buf,
		      size_t *len)
{
	struct linear_slot slot;
	const struct linear_slot *sl = &slot;
	uint8_t *p;
	ssize_t got;
	int ret;

	*buf = NULL;
	*len = 0;
	ret = slot_now(s, name, &slot);
	if (ret < 0)
		return ret;
	if (!sl->offset)
		return -ENOENT;
	if (sl->data_len > LINEAR_MAX_BLOB) {
		log_error("store: reading %s (%s): larger than 16 MiB", s->path, name);
		return -EFBIG;
	}
	p = malloc(sl->data_len ? sl->data_len : 1);
	if (!p)
		return -ENOMEM;
	got = io_pread_full(s->lin.fd, p, sl->data_len, sl->offset);
	if (got < 0 || (size_t)got != sl->data_len) {
		ret = got < 0 ? (int)got : -EIO;
		log_error("store: reading %s (%s): %s", s->path, name,
			  got < 0 ? strerror(-ret) : "the file shrank while being read");
		secret_free(p, sl->data_len);
		return ret;
	}
	*buf = p;
	*len = sl->data_len;
	return 0;
}

/* Zeros over LEN bytes at OFF (an old copy no header points to any more). */
static int write_zeros(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[LINEAR_ALIGN];
	int err = 0;

	while (len > 0 && err == 0) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);

		err = io_pwrite_full(fd, zeros, n, (off_t)off);
		off += n;
		len -= n;
	}
	return err;
}

/*
 * After the switch: the old copies of the changed slots are overwritten
 * with zeros (a block device keeps no stale state where anyone who reads
 * it could find it), and a regular file loses the free space at its end.
 * Neither is needed for the new state to be there, so neither fails the
 * update; the zeros reach the disk with the next update's fdatasync.
 */
static void tidy_up(struct store *s, const struct linear_header *old,
		    const struct linear_header *next)
{
	struct stat st;
	unsigned i;
	int err = step(s, LINEAR_STEP_SCRUB);

	for (i = 0; i < LINEAR_SLOTS && err == 0; i++) {
		const struct linear_slot *o = &old->slot[i];

		if (o->offset && o->offset != next->slot[i].offset)
			err = write_zeros(s->lin.fd, o->offset, o->data_len);
	}
	if (err)
		log_error("store: %s: %s: %s", s->path, step_names[LINEAR_STEP_SCRUB],
			  strerror(-err));
	if (s->lin.blockdev || fstat(s->lin.fd, &st) < 0 ||
	    (uint64_t)st.st_size <= linear_end(next))
		return;
	err = step(s, LINEAR_STEP_TRIM);
	if (err == 0 && ftruncate(s->lin.fd, (off_t)linear_end(next)) < 0)
		err = -errno;
	if (err)
		log_error("store: %s: %s: %s", s->path, step_names[LINEAR_STEP_TRIM],
			  strerror(-err));
}

static int sync_fd(int fd)
{
	return fdatasync(fd) < 0 ? -errno : 0;
}

/* The writes of an update, up to and including the header's fdatasync. */
static int write_update(struct store *s, const struct linear_header *cur,
			const struct linear_header *next,
			const struct linear_change *ch, const struct store_raw *blobs,
			size_t n, uint64_t size, enum store_linear_step *failed)
{
	uint8_t hdr[LINEAR_HEADER_SIZE];
	bool data = false;
	size_t i;
	int err = 0;

	*failed = LINEAR_STEP_WRITE_DATA;
	for (i = 0; i < n; i++)
		data |= !ch[i].remove;
	if (data) {
		err = step(s, LINEAR_STEP_WRITE_DATA);
		for (i = 0; i < n && err == 0; i++)
			if (!ch[i].remove)
				err = io_pwrite_full(s->lin.fd, blobs[i].data, blobs[i].len,
						     ch[i].offset);
		if (err == 0) {
			*failed = LINEAR_STEP_SYNC_DATA;
			err = step(s, LINEAR_STEP_SYNC_DATA);
		}
		if (err == 0)
			err = sync_fd(s->lin.fd);
		if (err) {
			/* the header still says the old state; give back what
			 * the new blobs added to a regular file */
			if (!s->lin.blockdev && ftruncate(s->lin.fd, (off_t)size) < 0)
				log_debug("store: %s: truncating back: %s", s->path,
					  strerror(errno));
			return err;
		}
	}
	linear_encode(next, hdr);
	*failed = LINEAR_STEP_WRITE_HEADER;
	err = step(s, LINEAR_STEP_WRITE_HEADER);
	if (err == 0)
		err = io_pwrite_full(s->lin.fd, hdr, sizeof(hdr), 0);
	if (err == 0) {
		*failed = LINEAR_STEP_SYNC_HEADER;
		err = step(s, LINEAR_STEP_SYNC_HEADER);
		if (err == 0)
			err = sync_fd(s->lin.fd);
	}
	if (err) {
		/* Either header may be on disk now: keep both's blobs until a
		 * later switch is durable. */
		s->lin.unsure[0] = *cur;
		s->lin.unsure[1] = *next;
		s->lin.nunsure = 2;
	}
	return err;
}

int store_linear_update(struct store *s, const char *const *names,
			const struct store_raw *blobs, size_t n)
{
	const struct linear_header *avoid[2] = { NULL, NULL };
	struct linear_change ch[STORE_STATE_COUNT];
	struct linear_header cur, next;
	enum store_linear_step failed;
	uint64_t size;
	size_t i;
	int err;

	if (n > STORE_STATE_COUNT)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int slot = slot_of(s, names[i]);

		if (slot < 0)
			return slot;
		if (blobs[i].data && blobs[i].len > LINEAR_MAX_BLOB)
			return -EFBIG;
		ch[i] = (struct linear_change){
			.slot = (unsigned)slot, .remove = !blobs[i].data,
			.len = (uint32_t)blobs[i].len,
		};
	}
	err = current_header(s, &cur, &size);
	if (err < 0)
		return err;
	for (i = 0; i < s->lin.nunsure; i++)
		avoid[i] = &s->lin.unsure[i];
	err = linear_plan(&cur, avoid, s->lin.nunsure, ch, n,
			  s->lin.blockdev ? s->lin.size : LINEAR_LIMIT, &next);
	if (err == -ENOSPC) {
		log_error("store: writing %s (%s): no room for the new copy beside the "
			  "old one in %llu bytes", s->path, names[0],
			  (unsigned long long)size);
		return err;
	}
	if (err < 0)
		return err;
	err = write_update(s, &cur, &next, ch, blobs, n, size, &failed);
	if (err) {
		log_error("store: writing %s (%s): %s: %s", s->path, names[0],
			  step_names[failed], strerror(-err));
		return err;
	}
	/* The disk holds NEXT, whatever headers were in doubt before. */
	s->lin.nunsure = 0;
	tidy_up(s, &cur, &next);
	return 0;
}

int store_list_file_states(const char *path,
			   struct store_state_info info[STORE_STATE_COUNT],
			   char *err, size_t errlen)
{
	static const char *const names[STORE_STATE_COUNT] = {
		"permall", "volatilestate", "savestate",
	};
	const struct store_options opt = { .file = path, .err = err, .errlen = errlen };
	struct linear_header h;
	struct stat st;
	char why[256];
	uint64_t size;
	size_t i;
	int fd, ret;

	for (i = 0; i < STORE_STATE_COUNT; i++)
		info[i] = (struct store_state_info){ .name = names[i] };
	fd = open_checked(&opt, path, O_RDONLY, &st);
	if (fd == -ENOENT)
		return 0;       /* no file: no state */
	if (fd < 0) {
		if (!*err)
			snprintf(err, errlen, "%s: %s", path, strerror(-fd));
		return fd;
	}
	ret = size_of(fd, &st, &size);
	if (ret == 0)
		ret = read_header(fd, size, &h, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", strerror(-ret));
	close(fd);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return ret;
	}
	for (i = 0; i < STORE_STATE_COUNT; i++) {
		info[i].present = h.slot[i].offset != 0;
		info[i].size = h.slot[i].data_len;
	}
	return 0;
}
