/* SPDX-License-Identifier: BSD-3-Clause */
/* report.c - Markdown output (see report.h). */
#include <stdarg.h>
#include <string.h>

#include "report.h"

void report_heading(const char *title)
{
	printf("\n## %s\n\n", title);
}

void report_table(const char *cols)
{
	const char *p;

	printf("| %s |\n|", cols);
	printf("---|");
	for (p = cols; (p = strchr(p, '|')); p++)
		printf("---|");
	printf("\n");
}

void report_row(const char *fmt, ...)
{
	va_list ap;

	printf("| ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" |\n");
	fflush(stdout);
}

void report_latency_row(const char *what, const char *path, const struct summary *s)
{
	report_row("%s | %s | %zu | %.1f | %.1f | %.1f | %.0f", what, path, s->n,
		   s->mean_us, s->p50_us, s->p99_us, s->ops_per_s);
}

void report_note(const char *fmt, ...)
{
	va_list ap;

	printf("\n");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
