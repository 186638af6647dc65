/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_log.c - progress lines to --logfile (see setup_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/log.h"
#include "vtpm-setup/setup_log.h"

static int slog_out = -1;

int slog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		      0640);

	if (fd < 0)
		return -errno;
	slog_close();
	slog_out = fd;
	return 0;
}

int slog_fd(void)
{
	return slog_out;
}

void slog_close(void)
{
	if (slog_out >= 0)
		close(slog_out);
	slog_out = -1;
}

void slog(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t len;
	int n;

	if (slog_out < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		len--;
	/* paths and IDs come from outside: one line, by the log's one rule */
	log_make_printable(line, len);
	line[len++] = '\n';
	while (write(slog_out, line, len) < 0 && errno == EINTR)
		;
}
