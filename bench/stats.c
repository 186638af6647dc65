/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.c - latency samples and their summary (see stats.h). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "stats.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int samples_init(struct samples *s, size_t cap)
{
	s->ns = calloc(cap ? cap : 1, sizeof(*s->ns));
	s->n = 0;
	s->cap = cap;
	s->wall_ns = 0;
	return s->ns ? 0 : -ENOMEM;
}

void samples_add(struct samples *s, uint64_t ns)
{
	if (s->n < s->cap)
		s->ns[s->n++] = ns;
}

void samples_free(struct samples *s)
{
	free(s->ns);
	s->ns = NULL;
	s->n = s->cap = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted V (P in 0..100). */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

struct summary samples_summarize(struct samples *s)
{
	struct summary r = { 0 };
	double sum = 0;
	size_t i;

	if (s->n == 0)
		return r;
	qsort(s->ns, s->n, sizeof(*s->ns), cmp_u64);
	for (i = 0; i < s->n; i++)
		sum += (double)s->ns[i];
	r.n = s->n;
	r.mean_us = sum / (double)s->n / 1e3;
	r.p50_us = (double)percentile(s->ns, s->n, 50) / 1e3;
	r.p99_us = (double)percentile(s->ns, s->n, 99) / 1e3;
	r.min_us = (double)s->ns[0] / 1e3;
	r.max_us = (double)s->ns[s->n - 1] / 1e3;
	if (s->wall_ns)
		r.ops_per_s = (double)s->n * 1e9 / (double)s->wall_ns;
	return r;
}

double samples_p50_from(struct samples *s, size_t from)
{
	size_t n;

	if (from >= s->n)
		return 0;
	n = s->n - from;
	qsort(s->ns + from, n, sizeof(*s->ns), cmp_u64);
	return (double)percentile(s->ns + from, n, 50) / 1e3;
}

double median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
