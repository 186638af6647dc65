/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_log.c - progress lines to --logfile (see setup_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vtpm-setup/setup_log.h"

static int log_fd = -1;

int slog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		      0640);

	if (fd < 0)
		return -errno;
	slog_close();
	log_fd = fd;
	return 0;
}

int slog_fd(void)
{
	return log_fd;
}

void slog_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void slog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t i, len;
	int n;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = strlen(line);
	/* paths and IDs come from outside: no control bytes, one line */
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	while (write(log_fd, line, len) < 0 && errno == EINTR)
		;
}
