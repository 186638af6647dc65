/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.h - a monotonic clock and latency samples -> mean, p50, p99. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

uint64_t now_ns(void);

/* Latencies of one measured run, in nanoseconds. */
struct samples {
	uint64_t *ns;
	size_t n, cap;
	uint64_t wall_ns;       /* whole run, for throughput */
};

struct summary {
	size_t n;
	double mean_us, p50_us, p99_us, min_us, max_us;
	double ops_per_s;
};

/* 0 or -ENOMEM. */
int samples_init(struct samples *s, size_t cap);
void samples_add(struct samples *s, uint64_t ns);
void samples_free(struct samples *s);
/* Sorts S->ns in place. An empty S gives all zeros. */
struct summary samples_summarize(struct samples *s);

/* Median (µs) of the samples from index FROM on; sorts that part in place.
 * 0 if there are none. */
double samples_p50_from(struct samples *s, size_t from);

/* Median of N doubles (sorts V in place); 0 for N == 0. */
double median(double *v, size_t n);

#endif
