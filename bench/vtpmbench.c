/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtpmbench - measure vtpmd against the two things it cannot be faster
 * than: the kernel's CUSE round trip (a do-nothing CUSE device, the
 * "floor") and libtpms itself (in this process, no transport). Prints one
 * Markdown report on stdout; progress goes to stderr.
 *
 * usage: vtpmbench --vtpmd PATH --floor PATH --work DIR [--quick]
 *                  [--density N] [--vtpmd-arg ARG]... [--swtpm-cuse PATH]
 *                  [--vtpmd-mt PATH] [--vtpmd-st PATH]
 *                  [--vtpmd-rm10 PATH] [--vtpmd-rm2 PATH]
 * Needs root and /dev/cuse (bench/run starts a VM where there is none).
 *
 * Latencies are measured in interleaved rounds (floor, libtpms, vtpmd,
 * floor, ...) so that load from elsewhere on the machine hits every path
 * alike; the ratios are what to read, not the absolute times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "inproc.h"
#include "report.h"
#include "workload.h"

struct cfg cfg;
struct counts cnt;
struct results res;

static const struct counts full = { 5000, 1000, 5, 50, 5000, 7, 10, 25, 90, 30 };
static const struct counts quick = { 500, 100, 1, 5, 500, 3, 2, 10, 30, 10 };
static pid_t floor_pid = -1, floor_mt_pid = -1, main_pid = -1;

static void report_header(void)
{
	char date[64], cpu[256] = "unknown", line[512];
	struct utsname u;
	time_t t = time(NULL);
	FILE *f = fopen("/proc/cpuinfo", "r");
	const char *vm = getenv("BENCH_VM");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && p) {
			snprintf(cpu, sizeof(cpu), "%s", p + 2);
			cpu[strcspn(cpu, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	printf("# vtpmd benchmark%s\n\n", cfg.quick ? " (quick run: few iterations)" : "");
	report_table("what | value");
	report_row("date | %s", date);
	report_row("CPU (as the benchmark sees it) | %s, %ld online", cpu, ncpu);
	report_row("kernel | %s %s", u.release, u.version);
	report_row("VM | %s", vm && *vm ? vm : "no");
	if (getenv("BENCH_HOST"))
		report_row("host | %s", getenv("BENCH_HOST"));
	if (getenv("BENCH_LOAD"))
		report_row("host load (1-min loadavg) before the run | %s", getenv("BENCH_LOAD"));
	report_row("vtpmd | %s", cfg.vtpmd);
	for (int i = 0; i < cfg.nextra; i++)
		report_row("extra vtpmd argument | `%s`", cfg.extra[i]);
}

static void report_targets(void)
{
	double r_rand = res.round_ratio[OP_GETRANDOM], r_pcr = res.round_ratio[OP_PCR_EXTEND];

	char sw_start[64] = "-", sw_rss[64] = "-", sw_growth[64] = "-";

	if (res.swtpm) {
		snprintf(sw_start, sizeof(sw_start), "%.1f ms", res.start_swtpm_ms);
		snprintf(sw_rss, sizeof(sw_rss), "%ld KiB", res.m_swtpm_10k.rss);
		snprintf(sw_growth, sizeof(sw_growth), "%+ld KiB",
			 res.m_swtpm_10k.rss - res.m_swtpm_1k.rss);
	}
	report_heading("Targets");
	report_table("target | measured | verdict | swtpm (socket mode), same run");
	report_row("GetRandom: vtpmd / (floor + libtpms) ≤ 1.10 (per-round p50) | %.3f | %s | -",
		   r_rand,
		   r_rand <= 1.10 ? "met" : "**missed**");
	report_row("PCR_Extend: vtpmd / (floor + libtpms) ≤ 1.10 (per-round p50) | %.3f | %s | -",
		   r_pcr,
		   r_pcr <= 1.10 ? "met" : "**missed**");
	report_row("start-up, existing state ≤ 100 ms | %.1f ms | %s | %s",
		   res.start_existing_ms,
		   res.start_existing_ms <= TARGET_STARTUP_MS ? "met" : "**missed**", sw_start);
	report_row("VmRSS after 10,000 commands ≤ 2 MiB | %ld KiB | %s | %s", res.m_10k.rss,
		   res.m_10k.rss <= TARGET_RSS_KIB ? "met" : "**missed**", sw_rss);
	report_row("no VmRSS growth 1,000 → 10,000 commands | %+ld KiB | %s | %s",
		   res.rss_growth, res.rss_growth <= 0 ? "met" : "**missed**", sw_growth);
	report_versus_targets();
	report_rm_targets();
	if (cfg.density)
		report_row("%u devices answering ≤ 30 s, ≤ 2 MiB VmRSS each | %.2f s, %ld KiB "
			   "(Pss %ld KiB) | %s | -", cfg.density, res.density_s,
			   res.density_rss_avg, res.density_pss_avg,
			   res.density_ok ? "met" : "**missed**");
}

static int run(void)
{
	char main_dir[512], swtpm_dir[512], path[512];
	struct path_ctx floor_p = { .any_response = true }, floor_mt_p = { .any_response = true };
	struct path_ctx lib_p = { .x = inproc_xport }, sum_p = { 0 }, vt_p = { 0 };
	struct path_ctx *cheap[P_COUNT] = { &floor_p, &floor_mt_p, &lib_p, &sum_p, &vt_p };
	struct path_ctx *heavy[P_COUNT] = { NULL, NULL, &lib_p, NULL, &vt_p };
	int ret;
	enum op op;

	path_in_work(main_dir, sizeof(main_dir), "state-main");
	report_header();

	/* libtpms first: it manufactures the TPM the daemon will load. */
	progress("libtpms in-process on %s", main_dir);
	if (inproc_start(main_dir) < 0)
		return -1;

	progress("CUSE floor devices");
	floor_pid = spawn_floor(cfg.floor, FLOOR_NAME, false);
	floor_mt_pid = spawn_floor(cfg.floor, FLOORMT_NAME, true);
	if (floor_pid < 0 || floor_mt_pid < 0 || wait_node(FLOOR_NAME, NODE_TIMEOUT_MS) < 0 ||
	    wait_node(FLOORMT_NAME, NODE_TIMEOUT_MS) < 0) {
		progress("the floor devices did not appear");
		return -1;
	}
	floor_p.fd = open_dev(FLOOR_NAME);
	floor_mt_p.fd = open_dev(FLOORMT_NAME);
	floor_p.x = (struct xport){ .name = path_names[P_FLOOR], .transact = fd_transact,
				    .ctx = &floor_p.fd };
	floor_mt_p.x = (struct xport){ .name = path_names[P_FLOOR_MT],
				       .transact = fd_transact, .ctx = &floor_mt_p.fd };
	sum_p.x = (struct xport){ .name = path_names[P_SUM], .transact = sum_transact,
				  .ctx = &floor_p.fd };

	progress("vtpmd on %s", main_dir);
	main_pid = start_vtpmd(MAIN_NAME, main_dir, NULL);
	if (main_pid < 0 || floor_p.fd < 0 || floor_mt_p.fd < 0)
		return -1;
	read_mem(main_pid, &res.m_start);
	vt_p.fd = open_dev(MAIN_NAME);
	if (vt_p.fd < 0)
		return -1;
	vt_p.x = (struct xport){ .name = path_names[P_VTPMD], .transact = fd_transact,
				 .ctx = &vt_p.fd };
	if (workload_prepare(&vt_p.x) < 0)
		return -1;

	progress("memory: 10,000 commands");
	if (workload_mix(&vt_p.x, 1000) < 0)
		return -1;
	read_mem(main_pid, &res.m_1k);
	if (workload_mix(&vt_p.x, 9000) < 0)
		return -1;
	read_mem(main_pid, &res.m_10k);
	path_in_work(swtpm_dir, sizeof(swtpm_dir), "state-swtpm");
	if (mkdir(swtpm_dir, 0700) < 0 || measure_swtpm_memory(swtpm_dir) < 0)
		return -1;

	for (op = 0; op < OP_COUNT; op++) {
		size_t n = op == OP_NV_INCREMENT ? cnt.nv : op == OP_CREATE_RSA ? cnt.rsa :
			   op == OP_CREATE_ECC ? cnt.ecc : cnt.cheap;
		bool key = op == OP_CREATE_RSA || op == OP_CREATE_ECC;

		/* A floor for a key generation is noise; measured for the rest. */
		unsigned budget = op == OP_CREATE_RSA ? cnt.budget_rsa_s :
				  op == OP_CREATE_ECC ? cnt.budget_ecc_s : cnt.budget_cheap_s;

		ret = measure_op(op, key ? heavy : cheap, n, key ? 0 : 20, budget);
		if (ret < 0)
			return -1;
	}
	if (measure_ioctls(floor_p.fd, floor_mt_p.fd, vt_p.fd) < 0)
		return -1;
	inproc_stop();
	report_latency();

	if (measure_migration(vt_p.fd) < 0)
		return -1;
	read_mem(main_pid, &res.m_end);
	read_mem(floor_pid, &res.m_floor);
	read_mem(floor_mt_pid, &res.m_floor_mt);
	report_memory();

	close(vt_p.fd);
	close(floor_p.fd);
	close(floor_mt_p.fd);
	stop_pid(main_pid, MAIN_NAME, STOP_TIMEOUT_MS);
	main_pid = -1;
	stop_pid(floor_pid, FLOOR_NAME, STOP_TIMEOUT_MS);
	stop_pid(floor_mt_pid, FLOORMT_NAME, STOP_TIMEOUT_MS);
	floor_pid = floor_mt_pid = -1;

	if (measure_startup(main_dir, swtpm_dir) < 0)
		return -1;
	if (measure_versus() < 0)
		return -1;
	if (measure_backends() < 0)
		return -1;
	if (measure_rm(main_pid) < 0)
		return -1;
	if (cfg.density) {
		path_in_work(path, sizeof(path), "density");
		mkdir(path, 0700);
		if (measure_density() < 0)
			return -1;
	}
	report_targets();
	return 0;
}

/* --versus: only the side by side with cfg.swtpm_cuse, and its targets. */
static int run_versus(void)
{
	report_header();
	if (measure_versus() < 0)
		return -1;
	report_heading("Targets");
	report_table("target | measured | verdict | swtpm (socket)");
	report_versus_targets();
	return 0;
}

/* --rm: only the resource-managed node and the loops, and their targets. */
static int run_rm(void)
{
	report_header();
	if (measure_rm(-1) < 0)
		return -1;
	report_heading("Targets");
	report_table("target | measured | verdict | swtpm (socket)");
	report_rm_targets();
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: vtpmbench --vtpmd PATH --floor PATH --work DIR [--quick] "
			"[--density N] [--vtpmd-arg ARG]... [--swtpm-cuse PATH] [--versus] [--rm] "
			"[--vtpmd-mt PATH] [--vtpmd-st PATH] [--vtpmd-rm10 PATH] [--vtpmd-rm2 PATH]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i, ret;

	cfg.density = 128;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			cfg.quick = true;
		else if (strcmp(argv[i], "--versus") == 0)
			cfg.versus_only = true;
		else if (strcmp(argv[i], "--rm") == 0)
			cfg.rm_only = true;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(argv[i], "--vtpmd") == 0)
			cfg.vtpmd = argv[++i];
		else if (strcmp(argv[i], "--floor") == 0)
			cfg.floor = argv[++i];
		else if (strcmp(argv[i], "--work") == 0)
			cfg.work = argv[++i];
		else if (strcmp(argv[i], "--vtpmd-arg") == 0 && cfg.nextra < 16)
			cfg.extra[cfg.nextra++] = argv[++i];
		else if (strcmp(argv[i], "--swtpm-cuse") == 0)
			cfg.swtpm_cuse = argv[++i];
		else if (strcmp(argv[i], "--vtpmd-mt") == 0)
			cfg.vtpmd_mt = argv[++i];
		else if (strcmp(argv[i], "--vtpmd-st") == 0)
			cfg.vtpmd_st = argv[++i];
		else if (strcmp(argv[i], "--vtpmd-rm10") == 0)
			cfg.vtpmd_rm10 = argv[++i];
		else if (strcmp(argv[i], "--vtpmd-rm2") == 0)
			cfg.vtpmd_rm2 = argv[++i];
		else if (strcmp(argv[i], "--density") == 0)
			cfg.density = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			usage();
	}
	if (!cfg.vtpmd || !cfg.floor || !cfg.work)
		usage();
	cnt = cfg.quick ? quick : full;
	ret = cfg.versus_only ? run_versus() : cfg.rm_only ? run_rm() : run();
	/* Whatever failed, leave nothing running. */
	if (main_pid > 0)
		stop_pid(main_pid, MAIN_NAME, STOP_TIMEOUT_MS);
	if (floor_pid > 0)
		stop_pid(floor_pid, FLOOR_NAME, STOP_TIMEOUT_MS);
	if (floor_mt_pid > 0)
		stop_pid(floor_mt_pid, FLOORMT_NAME, STOP_TIMEOUT_MS);
	if (ret < 0) {
		printf("\n**The benchmark did not complete** (see its stderr).\n");
		return 1;
	}
	return 0;
}
