/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * versus.c - vtpmd side by side with the daemon it replaces: upstream swtpm
 * built with CUSE (--swtpm-cuse PATH). Both start from copies of one
 * golden state with the same flags, and they alternate: start-ups one
 * after the other, memory and latency with both running, batches taking
 * turns (see bench.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "devctl.h"
#include "report.h"
#include "swtpm_cuse.h"
#include "swtpm_ref.h"
#include "vtpm/ioctl.h"

#define GOLD_NAME "vtpmvsgold"
#define MIX_BATCH 1000
#define MIX_TOTAL 10000

/* The targets vtpmd is held to (bench/RESULTS.md), as ratios vtpmd / swtpm. */
#define TARGET_VS_RSS 1.0
#define TARGET_VS_START 0.8
#define TARGET_VS_LATENCY 1.0
#define TARGET_VS_NV 1.5

struct side {
	const char *what;
	const char *name;       /* /dev/NAME */
	char dir[512], pidfile[512], logfile[512];
	pid_t pid;
	int fd;
	struct xport x;
};

static const char *const vs_op_names[VS_COUNT] = {
	"GetRandom(32)", "PCR_Extend (SHA-256)", "NV_Increment",
	"control ioctl (PTM_GET_TPMESTABLISHED)",
};
static const double vs_op_targets[VS_COUNT] = {
	TARGET_VS_LATENCY, TARGET_VS_LATENCY, TARGET_VS_NV, TARGET_VS_LATENCY,
};

static struct side sides[VS_SIDES] = {
	[VS_VTPMD] = { .what = "vtpmd", .name = "vtpmvs", .pid = -1, .fd = -1 },
	[VS_SWTPM] = { .what = "swtpm", .name = "swtpmvs", .pid = -1, .fd = -1 },
};

static int copy_file(int from_dir, int to_dir, const char *name)
{
	uint8_t buf[8192];
	int in = openat(from_dir, name, O_RDONLY | O_CLOEXEC), out;
	ssize_t n = 0;
	int ret = 0;

	if (in < 0)
		return -errno;
	out = openat(to_dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while (ret == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			ret = -EIO;
	if (n < 0)
		ret = -errno;
	close(in);
	close(out);
	return ret;
}

/* The state files of FROM (not its lock) into a new directory TO. */
static int copy_state(const char *from, const char *to)
{
	int from_fd, to_fd, ret = 0;
	struct dirent *e;
	DIR *d;

	if (mkdir(to, 0700) < 0)
		return -errno;
	d = opendir(from);
	if (!d)
		return -errno;
	from_fd = dirfd(d);
	to_fd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (to_fd < 0) {
		closedir(d);
		return -errno;
	}
	while (ret == 0 && (e = readdir(d)))
		if (e->d_type == DT_REG && e->d_name[0] != '.')
			ret = copy_file(from_fd, to_fd, e->d_name);
	close(to_fd);
	closedir(d);
	return ret;
}

/* A TPM manufactured and started once by vtpmd: the state both begin with. */
static int make_golden(void)
{
	char gold[512];
	pid_t pid;
	int i, ret;

	path_in_work(gold, sizeof(gold), "vs-gold");
	pid = start_vtpmd(GOLD_NAME, gold, NULL);
	if (pid < 0 || stop_pid(pid, GOLD_NAME, STOP_TIMEOUT_MS) < 0)
		return -1;
	for (i = 0; i < VS_SIDES; i++) {
		struct side *s = &sides[i];
		char base[64];

		snprintf(base, sizeof(base), "vs-%s", s->what);
		path_in_work(s->dir, sizeof(s->dir), base);
		snprintf(s->pidfile, sizeof(s->pidfile), "%s/%s.pid", cfg.work, s->name);
		snprintf(s->logfile, sizeof(s->logfile), "%s/%s.log", cfg.work, s->name);
		if ((ret = copy_state(gold, s->dir)) < 0) {
			progress("copying the golden state to %s: %s", s->dir, strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/* Start S and wait for its first answer; its pid or -1. */
static pid_t side_start(struct side *s, double *ms)
{
	pid_t pid;

	if (s == &sides[VS_VTPMD])
		return start_vtpmd(s->name, s->dir, ms);
	pid = swtpm_cuse_start(cfg.swtpm_cuse, s->name, s->dir, s->pidfile, s->logfile, ms);
	if (pid < 0) {
		progress("%s cuse -n %s did not start: %s", cfg.swtpm_cuse, s->name,
			 strerror((int)-pid));
		print_log(s->logfile);
		return -1;
	}
	return pid;
}

static void side_stop(struct side *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->pid > 0)
		stop_pid(s->pid, s->name, STOP_TIMEOUT_MS);
	s->pid = -1;
}

/* Start-ups one after the other, each daemon first in every other run:
 * 15 of each (a start takes ~0.2 s; 7 let one slow swtpm start move the
 * ratio by 0.1). */
#define VS_STARTUPS 15
static int measure_startups(void)
{
	double ms[VS_SIDES][VS_STARTUPS];
	size_t i, n = VS_STARTUPS;
	int k;

	progress("versus: start-up, %zu runs each", n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < VS_SIDES; k++) {
			struct side *s = &sides[(i + (size_t)k) % VS_SIDES];

			s->pid = side_start(s, &ms[s - sides][i]);
			if (s->pid < 0)
				return -1;
			side_stop(s);
		}
	}
	for (k = 0; k < VS_SIDES; k++)
		res.vs_start_ms[k] = median(ms[k], n);
	res.vs_start_runs = n;
	return 0;
}

/* One batch of OP on side S into OUT, until DEADLINE. */
static int batch(enum vs_op op, struct side *s, size_t n, uint64_t deadline,
		 struct samples *out)
{
	static const enum op wop[VS_COUNT] = {
		[VS_GETRANDOM] = OP_GETRANDOM, [VS_PCR_EXTEND] = OP_PCR_EXTEND,
		[VS_NV_INCREMENT] = OP_NV_INCREMENT,
	};

	if (op == VS_IOCTL)
		return ioctl_latency(s->fd, PTM_GET_TPMESTABLISHED, n, 20, deadline, out);
	return workload_run(&s->x, wop[op], n, 20, 0, deadline, out);
}

/* OP on both, in ROUNDS rounds of one batch each, who goes first taking
 * turns; the verdict is the median over the rounds of p50 vtpmd / swtpm. */
static int measure_op_both(enum vs_op op, size_t n, unsigned budget_s)
{
	size_t per_round = (n + ROUNDS - 1) / ROUNDS, r, nr = 0;
	uint64_t batch_ns = (uint64_t)budget_s * 1000000000u / (ROUNDS * VS_SIDES);
	struct samples smp[VS_SIDES];
	double ratio[ROUNDS_MAX];
	int k, ret = 0;

	for (k = 0; k < VS_SIDES; k++)
		if (samples_init(&smp[k], per_round * ROUNDS) < 0)
			return -ENOMEM;
	progress("versus: %s, %zu each", vs_op_names[op], per_round * ROUNDS);
	for (r = 0; r < ROUNDS && ret == 0; r++) {
		double p50[VS_SIDES] = { 0 };

		for (k = 0; k < VS_SIDES && ret == 0; k++) {
			int i = (int)((r + (size_t)k) % VS_SIDES);
			size_t from = smp[i].n;

			ret = batch(op, &sides[i], per_round, now_ns() + batch_ns, &smp[i]);
			p50[i] = samples_p50_from(&smp[i], from);
		}
		if (ret == 0 && p50[VS_SWTPM] > 0)
			ratio[nr++] = p50[VS_VTPMD] / p50[VS_SWTPM];
	}
	if (ret < 0)
		progress("versus: %s: %s", vs_op_names[op], strerror(-ret));
	res.vs_ratio[op] = median(ratio, nr);
	for (k = 0; k < VS_SIDES; k++) {
		res.vs_lat[op][k] = samples_summarize(&smp[k]);
		samples_free(&smp[k]);
	}
	return ret;
}

/* Both running: memory after start and after 10,000 commands (batches of
 * 1,000 taking turns), then the latencies. */
static int measure_running(void)
{
	static const size_t *const count[VS_COUNT] = {
		[VS_GETRANDOM] = &cnt.cheap, [VS_PCR_EXTEND] = &cnt.cheap,
		[VS_NV_INCREMENT] = &cnt.nv, [VS_IOCTL] = &cnt.ioctl,
	};
	int k, b, op;

	for (k = 0; k < VS_SIDES; k++) {
		struct side *s = &sides[k];

		s->pid = side_start(s, NULL);
		if (s->pid < 0)
			return -1;
		s->fd = open_dev(s->name);
		if (s->fd < 0)
			return -1;
		s->x = (struct xport){ .name = s->what, .transact = fd_transact, .ctx = &s->fd };
	}
	for (k = 0; k < VS_SIDES; k++)
		if (read_mem(sides[k].pid, &res.vs_m_start[k]) < 0)
			return -1;
	progress("versus: %d commands each", MIX_TOTAL);
	for (b = 0; b < MIX_TOTAL / MIX_BATCH; b++)
		for (k = 0; k < VS_SIDES; k++)
			if (workload_mix(&sides[k].x, MIX_BATCH) < 0)
				return -1;
	for (k = 0; k < VS_SIDES; k++) {
		if (read_mem(sides[k].pid, &res.vs_m_10k[k]) < 0 ||
		    workload_prepare(&sides[k].x) < 0)
			return -1;
		res.vs_nparts[k] = read_mem_parts(sides[k].pid, res.vs_parts[k], VS_PARTS);
		if (res.vs_nparts[k] < 0)
			return -1;
	}
	for (op = 0; op < VS_COUNT; op++)
		if (measure_op_both((enum vs_op)op, *count[op], cnt.budget_cheap_s) < 0)
			return -1;
	return 0;
}

static double ratio_of(double v, double s)
{
	return s > 0 ? v / s : 0;
}

static const char *verdict(double ratio, double target)
{
	return ratio > 0 && ratio <= target ? "met" : "**missed**";
}

static void mem_rows(const char *when, const struct mem m[VS_SIDES])
{
	int k;

	for (k = 0; k < VS_SIDES; k++)
		report_row("%s, %s | %ld | %ld | %ld | %ld | %d", sides[k].what, when,
			   m[k].rss, m[k].rss_anon, m[k].rss_file, m[k].pss, m[k].threads);
}

/* The part named NAME of side K, or NULL. */
static const struct mem_part *find_part(int k, const char *name)
{
	int i;

	for (i = 0; i < res.vs_nparts[k]; i++)
		if (strcmp(res.vs_parts[k][i].name, name) == 0)
			return &res.vs_parts[k][i];
	return NULL;
}

static void part_row(const char *name)
{
	const struct mem_part *v = find_part(VS_VTPMD, name), *s = find_part(VS_SWTPM, name);

	report_row("%s | %ld | %ld | %ld | %ld", name, v ? v->rss : 0, v ? v->anon : 0,
		   s ? s->rss : 0, s ? s->anon : 0);
}

/* Where the resident pages are, per mapping: vtpmd's parts in its order,
 * then those only swtpm has. */
static void report_parts(void)
{
	int k, i;

	report_table("mapping, after 10,000 commands | vtpmd Rss | vtpmd anon | "
		     "swtpm Rss | swtpm anon");
	for (k = 0; k < VS_SIDES; k++)
		for (i = 0; i < res.vs_nparts[k]; i++)
			if (k == VS_VTPMD || !find_part(VS_VTPMD, res.vs_parts[k][i].name))
				part_row(res.vs_parts[k][i].name);
}

static void report_versus(void)
{
	int op, k;

	report_heading("Side by side with the daemon vtpmd replaces: upstream swtpm, CUSE mode");
	report_table("what | vtpmd | swtpm | vtpmd / swtpm | target | verdict");
	report_row("start-up, existing state: ms to the first answer (median of %zu) | "
		   "%.1f | %.1f | %.2f | ≤ %.1f | %s", res.vs_start_runs,
		   res.vs_start_ms[VS_VTPMD], res.vs_start_ms[VS_SWTPM],
		   ratio_of(res.vs_start_ms[VS_VTPMD], res.vs_start_ms[VS_SWTPM]),
		   TARGET_VS_START, verdict(ratio_of(res.vs_start_ms[VS_VTPMD],
						     res.vs_start_ms[VS_SWTPM]), TARGET_VS_START));
	report_row("VmRSS after start (KiB) | %ld | %ld | %.2f | ≤ %.1f | %s",
		   res.vs_m_start[VS_VTPMD].rss, res.vs_m_start[VS_SWTPM].rss,
		   ratio_of((double)res.vs_m_start[VS_VTPMD].rss, (double)res.vs_m_start[VS_SWTPM].rss),
		   TARGET_VS_RSS,
		   verdict(ratio_of((double)res.vs_m_start[VS_VTPMD].rss,
				    (double)res.vs_m_start[VS_SWTPM].rss), TARGET_VS_RSS));
	report_row("VmRSS after %d commands (KiB) | %ld | %ld | %.2f | ≤ %.1f | %s", MIX_TOTAL,
		   res.vs_m_10k[VS_VTPMD].rss, res.vs_m_10k[VS_SWTPM].rss,
		   ratio_of((double)res.vs_m_10k[VS_VTPMD].rss, (double)res.vs_m_10k[VS_SWTPM].rss),
		   TARGET_VS_RSS,
		   verdict(ratio_of((double)res.vs_m_10k[VS_VTPMD].rss,
				    (double)res.vs_m_10k[VS_SWTPM].rss), TARGET_VS_RSS));
	for (op = 0; op < VS_COUNT; op++)
		report_row("%s: p50 µs (ratio: per-round p50, median of %d rounds) | %.1f | %.1f | "
			   "%.3f | ≤ %.1f | %s", vs_op_names[op], ROUNDS,
			   res.vs_lat[op][VS_VTPMD].p50_us, res.vs_lat[op][VS_SWTPM].p50_us,
			   res.vs_ratio[op], vs_op_targets[op],
			   verdict(res.vs_ratio[op], vs_op_targets[op]));

	report_table("process, when | VmRSS | RssAnon | RssFile | Pss | threads");
	mem_rows("after start", res.vs_m_start);
	mem_rows("after 10,000 commands", res.vs_m_10k);
	report_parts();

	report_table("command | daemon | n | mean | p50 | p99 | ops/s");
	for (op = 0; op < VS_COUNT; op++)
		for (k = 0; k < VS_SIDES; k++)
			report_latency_row(vs_op_names[op], sides[k].what, &res.vs_lat[op][k]);

	report_note("swtpm: `%s` (%s), `swtpm cuse --tpm2`. Both daemons: copies of one "
		    "golden state (made by vtpmd), `--flags not-need-init,startup-clear`, "
		    "`--log file=...,level=1`, root without `--runas`, their default "
		    "seccomp filter (swtpm's makes it serve with libfuse's single-threaded "
		    "loop; vtpmd serves its plain node with one reader that answers a write "
		    "before it runs the command, and a standby reader once a command has "
		    "run 2 ms). Start-up: exec → first "
		    "GetRandom(8) answered on the node, each daemon first in every other run. "
		    "Memory and latency: both running; 10,000 commands (half GetRandom(32), "
		    "half PCR_Extend) in batches of 1,000 taking turns; then each command in "
		    "%d rounds of one batch per daemon, who goes first taking turns. "
		    "NV_Increment: vtpmd writes the state durably (temporary file, fsync, "
		    "rename, fsync of the directory), swtpm without fsync.",
		    cfg.swtpm_cuse, res.vs_version, ROUNDS);
}

int measure_versus(void)
{
	int ret = -1, k;

	if (!cfg.swtpm_cuse) {
		report_heading("Side by side with upstream swtpm, CUSE mode");
		report_note("Not run: no CUSE swtpm given (`SWTPM_CUSE=/path/to/swtpm make "
			    "bench`; bench/NOTES.md says how to build one). The CUSE floor, "
			    "libtpms in-process and Debian's swtpm (socket mode) above are "
			    "this run's comparisons.");
		return 0;
	}
	if (!swtpm_version(cfg.swtpm_cuse, res.vs_version, sizeof(res.vs_version))) {
		progress("%s --version failed", cfg.swtpm_cuse);
		return -1;
	}
	progress("versus: %s (%s)", cfg.swtpm_cuse, res.vs_version);
	if (make_golden() == 0 && measure_startups() == 0 && measure_running() == 0)
		ret = 0;
	for (k = 0; k < VS_SIDES; k++)
		side_stop(&sides[k]);
	if (ret == 0) {
		res.vs = true;
		report_versus();
	}
	return ret;
}

void report_versus_targets(void)
{
	int op;

	if (!res.vs) {
		report_row("side by side with upstream swtpm (CUSE) | not run | - | -");
		return;
	}
	report_row("start-up ≤ 0.8x swtpm (CUSE) | %.2fx | %s | -",
		   ratio_of(res.vs_start_ms[VS_VTPMD], res.vs_start_ms[VS_SWTPM]),
		   verdict(ratio_of(res.vs_start_ms[VS_VTPMD], res.vs_start_ms[VS_SWTPM]),
			   TARGET_VS_START));
	report_row("VmRSS after start ≤ 1.0x swtpm (CUSE) | %.2fx | %s | -",
		   ratio_of((double)res.vs_m_start[VS_VTPMD].rss, (double)res.vs_m_start[VS_SWTPM].rss),
		   verdict(ratio_of((double)res.vs_m_start[VS_VTPMD].rss,
				    (double)res.vs_m_start[VS_SWTPM].rss), TARGET_VS_RSS));
	report_row("VmRSS after 10,000 commands ≤ 1.0x swtpm (CUSE) | %.2fx | %s | -",
		   ratio_of((double)res.vs_m_10k[VS_VTPMD].rss, (double)res.vs_m_10k[VS_SWTPM].rss),
		   verdict(ratio_of((double)res.vs_m_10k[VS_VTPMD].rss,
				    (double)res.vs_m_10k[VS_SWTPM].rss), TARGET_VS_RSS));
	for (op = 0; op < VS_COUNT; op++)
		report_row("%s ≤ %.1fx swtpm (CUSE), per-round p50 | %.3fx | %s | -",
			   vs_op_names[op], vs_op_targets[op], res.vs_ratio[op],
			   verdict(res.vs_ratio[op], vs_op_targets[op]));
}
