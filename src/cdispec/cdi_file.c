/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_file.c - spec files: their names, their directory, atomic writes (cdi_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdispec/cdi_file.h"
#include "os/file_atomic.h"
#include "os/log.h"

#define TMP_NAME_MAX 300

static int name_into(char *buf, size_t len, const char *fmt, const char *part)
{
	int n = snprintf(buf, len, fmt, part);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cdi_file_name_device(char *buf, size_t len, const char *devname)
{
	return name_into(buf, len, "vtpmd-dev-%s.json", devname);
}

int cdi_file_name_pool(char *buf, size_t len, const char *prefix)
{
	return name_into(buf, len, "vtpmd-pool-%s.json", prefix);
}

int cdi_dir_open(const char *dir, int *fd)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (d < 0 && errno == ENOENT) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (d < 0)
		return -errno;
	*fd = d;
	return 0;
}

int cdi_file_write(int dirfd, const char *name, const char *data, size_t len,
		   char *err, size_t errlen)
{
	char tmp[TMP_NAME_MAX];
	/* Readable by the runtimes whatever our umask. */
	const struct file_atomic f = {
		.dirfd = dirfd, .tmp = tmp, .mode = 0644, .exact_mode = true,
	};

	if (name_into(tmp, sizeof(tmp), ".%s.tmp", name) < 0)
		return log_errline(err, errlen, -ENAMETOOLONG, "the name is too long");
	return file_atomic_write(&f, name, data, len, err, errlen);
}

int cdi_file_remove(int dirfd, const char *name)
{
	if (strchr(name, '/'))
		return -EINVAL;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
