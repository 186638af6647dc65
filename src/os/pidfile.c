/* SPDX-License-Identifier: BSD-3-Clause */
/* pidfile.c - write and remove the pid file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/io.h"
#include "os/pidfile.h"

static char *written_path;

int pidfile_write(const char *path, int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	int ret;

	if (!path) {
		ret = io_write_full(fd, buf, (size_t)len);
		close(fd);
		return ret;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = io_write_full(fd, buf, (size_t)len);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0) {
		unlink(path);
		return ret;
	}
	free(written_path);
	/* Kept absolute so a later chdir cannot point the removal elsewhere. */
	written_path = realpath(path, NULL);
	return 0;
}

void pidfile_remove(void)
{
	if (!written_path)
		return;
	unlink(written_path);
	free(written_path);
	written_path = NULL;
}
