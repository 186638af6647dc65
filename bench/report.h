/* SPDX-License-Identifier: BSD-3-Clause */
/* report.h - the results table, in Markdown, on stdout. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>

#include "stats.h"

void report_heading(const char *title);
/* A table header: COLS column names separated by '|'. */
void report_table(const char *cols);
void report_row(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_latency_row(const char *what, const char *path, const struct summary *s);
void report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
