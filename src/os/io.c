/* SPDX-License-Identifier: BSD-3-Clause */
/* io.c - whole reads and writes, and private files (io.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/io.h"
#include "mem/secret.h"

/* The loops behind the four: at OFF, or at the file offset when OFF < 0. */
static int write_loop(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

static ssize_t read_loop(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = off < 0 ? read(fd, p + done, len - done) :
			pread(fd, p + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int io_write_full(int fd, const void *buf, size_t len)
{
	return write_loop(fd, buf, len, -1);
}

ssize_t io_read_full(int fd, void *buf, size_t len)
{
	return read_loop(fd, buf, len, -1);
}

int io_pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : write_loop(fd, buf, len, off);
}

ssize_t io_pread_full(int fd, void *buf, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : read_loop(fd, buf, len, off);
}

int io_mkdir_p(const char *path, mode_t parent_mode, mode_t mode)
{
	char *p = strdup(path), *s;
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(p, parent_mode) < 0 && errno != EEXIST)
			err = -errno;
		*s = '/';
		if (err)
			goto out;
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		err = -errno;
out:
	free(p);
	return err;
}

int io_read_all(int fd, size_t max, uint8_t **out, size_t *outlen)
{
	size_t cap = 256, len = 0;
	uint8_t *buf = secret_grow(NULL, 0, 0, cap), *p;
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				secret_free(buf, cap);
				return -EFBIG;
			}
			p = secret_grow(buf, len, cap, cap * 2);
			if (!p) {
				secret_free(buf, cap);
				return -ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		n = io_read_full(fd, buf + len, cap - len);
		if (n < 0) {
			secret_free(buf, cap);
			return (int)n;
		}
		len += (size_t)n;
		if (len < cap)
			break;          /* end of file */
	}
	if (len > max) {
		secret_free(buf, cap);
		return -EFBIG;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int io_private_file(int fd, mode_t mode, bool char_ok)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (S_ISCHR(sb.st_mode) && char_ok)
		return 0;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	/* Another owner may chmod it back whenever it likes. */
	if (sb.st_uid != geteuid())
		return -EPERM;
	if ((sb.st_mode & 07777 & ~mode) && fchmod(fd, sb.st_mode & 07777 & mode) < 0)
		return -errno;
	return 0;
}
