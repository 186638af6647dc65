/* SPDX-License-Identifier: BSD-3-Clause */
/* log.h - one line per event, to stderr or a --log file/fd, with a level filter. */
#ifndef VTPMD_LOG_H
#define VTPMD_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Levels: errors always print (unless logging is off); info from level 2, debug
 * from level 3. Level 5 and more also turn on libtpms' own debug output. */
enum log_level {
	LOG_LEVEL_ERROR = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Direct output to an already-open fd (default: stderr). Returns 0 / -errno. */
int log_set_fd(int fd);
/* Open PATH for appending (or truncating) and log there: never through a
 * symlink; created 0640 (less the umask); an existing file must be a
 * regular file of this process's user (else -EINVAL / -EPERM) and loses
 * any permission beyond 0640; a character device (/dev/null) is taken as
 * it is, a FIFO is not. Returns 0 / -errno. */
int log_open_file(const char *path, bool truncate);
/* Stop logging entirely ("file=-"). */
void log_disable(void);
void log_set_level(unsigned level);
unsigned log_get_level(void);
/* The prefix is copied; NULL clears it. */
void log_set_prefix(const char *prefix);
/* The fd log lines go to, or -1. */
int log_fd(void);
void log_close(void);

/* Turn control bytes (but tabs) in S's first LEN bytes into '?': messages
 * quote paths and arguments from outside, and a newline or an escape
 * sequence in one must not forge a line or drive a terminal. */
void log_make_printable(char *s, size_t len);

/*
 * For functions that report a failure as a value and the why as text:
 * write one line (printf FMT) into ERR, ERRLEN bytes (nothing if ERR is
 * NULL), control bytes made printable as above, and return RET.
 */
int log_errline(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
