/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c - one line per event, to stderr or a --log file/fd, with a level filter. */
#include "os/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/io.h"

/* A new log file's mode (the umask applies); an existing one is brought
 * within it. */
#define LOG_FILE_MODE 0640

/* Longer lines are cut; one bounded stack buffer keeps log_msg allocation-free. */
#define LOG_LINE_MAX 1024

/*
 * One lock guards the state and the write: a line is formatted and written
 * while holding it, so a concurrent log_set_fd/log_close cannot close the fd
 * under a writer, and lines never interleave even on pipes.
 */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_out = STDERR_FILENO;     /* -1: logging off */
static bool log_out_owned;              /* we opened it, so we close it */
static unsigned log_lvl = LOG_LEVEL_ERROR;
static char *log_prefix;

/* Caller holds log_lock. */
static void log_release_fd(void)
{
	if (log_out_owned && log_out >= 0)
		close(log_out);
	log_out_owned = false;
}

int log_set_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -EBADF;
	if ((fl & O_ACCMODE) == O_RDONLY)
		return -EBADF;

	pthread_mutex_lock(&log_lock);
	if (fd != log_out)
		log_release_fd();
	log_out = fd;
	log_out_owned = false;  /* the caller's fd; theirs to close */
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int log_open_file(const char *path, bool truncate)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
	int fd, ret;

	if (!path || !*path)
		return -EINVAL;
	/* The --log file=- convention, so callers need no special case. */
	if (strcmp(path, "-") == 0) {
		log_disable();
		return 0;
	}
	/* O_APPEND even when truncating: other writers may share the file. */
	flags |= O_APPEND;
	if (truncate)
		flags |= O_TRUNC;
	/* O_NONBLOCK: a FIFO without a reader fails here instead of hanging
	 * the start; what is found must then be a regular file (or a device
	 * such as /dev/null) and no more open than a new log would be. */
	fd = open(path, flags | O_NONBLOCK, LOG_FILE_MODE);
	if (fd < 0)
		return errno == ENXIO ? -EINVAL : -errno;
	ret = io_private_file(fd, LOG_FILE_MODE, true);
	if (ret == 0 && fcntl(fd, F_SETFL, O_APPEND) < 0)   /* blocking again */
		ret = -errno;
	if (ret < 0) {
		close(fd);
		return ret;
	}

	pthread_mutex_lock(&log_lock);
	log_release_fd();
	log_out = fd;
	log_out_owned = true;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void log_disable(void)
{
	pthread_mutex_lock(&log_lock);
	log_release_fd();
	log_out = -1;
	pthread_mutex_unlock(&log_lock);
}

void log_set_level(unsigned level)
{
	pthread_mutex_lock(&log_lock);
	log_lvl = level;
	pthread_mutex_unlock(&log_lock);
}

unsigned log_get_level(void)
{
	unsigned level;

	pthread_mutex_lock(&log_lock);
	level = log_lvl;
	pthread_mutex_unlock(&log_lock);
	return level;
}

void log_set_prefix(const char *prefix)
{
	char *copy = prefix ? strdup(prefix) : NULL;

	pthread_mutex_lock(&log_lock);
	free(log_prefix);
	log_prefix = copy;      /* out of memory: no prefix rather than no log */
	pthread_mutex_unlock(&log_lock);
}

int log_fd(void)
{
	int fd;

	pthread_mutex_lock(&log_lock);
	fd = log_out;
	pthread_mutex_unlock(&log_lock);
	return fd;
}

/* Back to the start-up state: stderr, level 1, no prefix. */
void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	log_release_fd();
	log_out = STDERR_FILENO;
	log_lvl = LOG_LEVEL_ERROR;
	free(log_prefix);
	log_prefix = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Append to line[*len], never past LOG_LINE_MAX - 1 (room for the newline). */
static void line_append(char *line, size_t *len, const char *fmt, va_list ap)
{
	size_t room = LOG_LINE_MAX - 1 - *len;
	int n;

	if (room == 0)
		return;
	/* vsnprintf needs room for its NUL; it lands where the newline goes. */
	n = vsnprintf(line + *len, room + 1, fmt, ap);
	if (n > 0)
		*len += (size_t)n < room ? (size_t)n : room;
}

void log_make_printable(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 ? s[i] != '\t' : s[i] == 0x7f)
			s[i] = '?';
}

int log_errline(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	log_make_printable(err, strlen(err));
	return ret;
}

static void line_add(char *line, size_t *len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_append(line, len, fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t len = 0;
	int saved_errno = errno;        /* callers log, then look at errno */
	va_list ap;

	pthread_mutex_lock(&log_lock);
	/* Errors print at every level; level 0 only silences the rest. */
	if (log_out < 0 || (level > LOG_LEVEL_ERROR && (unsigned)level > log_lvl))
		goto out;

	if (log_prefix)
		line_add(line, &len, "%s", log_prefix);
	va_start(ap, fmt);
	line_append(line, &len, fmt, ap);
	va_end(ap);
	/* Callers may or may not end with '\n'; every line gets exactly one. */
	while (len > 0 && line[len - 1] == '\n')
		len--;
	log_make_printable(line, len);
	line[len++] = '\n';

	/* One write per line; a short write or error has nowhere to be reported. */
	while (write(log_out, line, len) < 0 && errno == EINTR)
		;
out:
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}
