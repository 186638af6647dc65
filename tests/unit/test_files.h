/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_files.h - small file helpers the unit tests share: a path inside a
 * directory, a whole file written or read back. Failures fail the test.
 */
#ifndef VTPMD_TEST_FILES_H
#define VTPMD_TEST_FILES_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void path_in(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < len);
}

/* PATH holds exactly LEN bytes of DATA (created with MODE if new). */
static inline void write_file_at(const char *path, const void *data, size_t len,
				 mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* PATH's bytes (malloc'd, *LEN of them), or NULL (*LEN 0) if it cannot be
 * opened. */
static inline uint8_t *read_file_at(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd;

	*len = 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

#endif
