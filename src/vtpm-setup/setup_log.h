/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_log.h - vtpm-setup's progress lines, swtpm_setup's --logfile: one
 * line per step, appended to the file when one is given, else dropped (a
 * failure is always one line on stderr, printed by main). Control bytes
 * become '?' as in every log line of the project (log_make_printable()).
 */
#ifndef VTPMD_SETUP_LOG_H
#define VTPMD_SETUP_LOG_H

/* Open PATH for appending (not through a symlink). Returns 0 / -errno. */
int slog_open(const char *path);
/* The log's fd, or -1. */
int slog_fd(void);
void slog_close(void);

void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
