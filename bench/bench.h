/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench.h - what the phases of vtpmbench share: the options, the counts of
 * this run, the results each phase fills in and the report reads, and the
 * few helpers every phase uses (bench.c).
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procs.h"
#include "stats.h"
#include "workload.h"

#define MAIN_NAME  "vtpmbench0"
#define FLOOR_NAME "vtpmfloor"
#define FLOORMT_NAME "vtpmfloormt"
#define ROUNDS 25               /* interleaved rounds of the cheap commands */
#define ROUNDS_KEYGEN 5
#define ROUNDS_MAX 25
#define STR_(x) #x
#define STR(x) STR_(x)
#define NODE_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 30000

/* Targets from the issue. */
#define TARGET_OVERHEAD 0.10
#define TARGET_STARTUP_MS 100.0
#define TARGET_RSS_KIB 2048
#define TARGET_DENSITY_S 30.0

struct cfg {
	const char *vtpmd, *floor, *work;
	const char *swtpm_cuse;  /* --swtpm-cuse: upstream swtpm with CUSE, or NULL */
	/* --vtpmd-mt, --vtpmd-st, --vtpmd-rm10, --vtpmd-rm2: vtpmd built with
	 * other loops (bench.mk) */
	const char *vtpmd_mt, *vtpmd_st, *vtpmd_rm10, *vtpmd_rm2;
	bool quick;
	bool versus_only;         /* --versus: only the side by side with swtpm */
	bool rm_only;             /* --rm: only the resource-managed node's phase */
	unsigned density;
	char *extra[16];        /* --vtpmd-arg: appended to every vtpmd */
	int nextra;
};

/* Iterations per measured path (all rounds together), and the time one
 * command's measurement may take at most (all paths and rounds), so that
 * a loaded machine yields fewer samples instead of an unbounded run. */
struct counts {
	size_t cheap, nv, rsa, ecc, ioctl, startup, migrate;
	unsigned budget_cheap_s, budget_rsa_s, budget_ecc_s;
};

/*
 * The measured paths. libtpms runs in this process twice: alone, command
 * after command in a tight loop ("libtpms in-process"), and "floor +
 * libtpms": each command through libtpms in-process followed by the same
 * bytes through the floor device, timed together. The second is the sum
 * the target names, with what one part costs the other included:
 * under TCG, libtpms' working set evicts the emulated TLB the kernel's
 * FUSE path then refills, a cost that neither part shows alone and that
 * vtpmd pays too (its own path, measured with libtpms stubbed out, is
 * within the noise of the floor; see bench/NOTES.md).
 */
/* What versus.c measures on both daemons. */
enum vs_op { VS_GETRANDOM, VS_PCR_EXTEND, VS_NV_INCREMENT, VS_IOCTL, VS_COUNT };
enum vs_side { VS_VTPMD, VS_SWTPM, VS_SIDES };
#define VS_PARTS 24     /* mappings listed per daemon */

enum path { P_FLOOR, P_FLOOR_MT, P_LIBTPMS, P_SUM, P_VTPMD, P_COUNT };
extern const char *const path_names[P_COUNT];

struct path_ctx {
	struct xport x;
	int fd;
	bool any_response;
};

struct results {
	struct summary lat[OP_COUNT][P_COUNT];
	/* Per round: p50 vtpmd / p50 (floor + libtpms, back to back), the
	 * verdict, and p50 vtpmd / (p50 floor + p50 libtpms alone); the
	 * median over the rounds, and of the overhead in µs. 0 where not
	 * measured. */
	double round_ratio[OP_COUNT], round_overhead_us[OP_COUNT];
	double round_ratio_apart[OP_COUNT], round_overhead_apart_us[OP_COUNT];
	struct summary ioctl_floor, ioctl_floor_mt, ioctl_vtpmd;
	double ioctl_round_ratio;       /* median over rounds of vtpmd / floor p50 */
	double start_existing_ms, start_fresh_ms, start_floor_ms;
	struct mem m_start, m_1k, m_10k, m_end, m_floor, m_floor_mt;
	/* The reference: the distribution's swtpm, socket mode (swtpm_ref.h). */
	bool swtpm;
	char swtpm_version[128];
	double start_swtpm_ms;
	struct mem m_swtpm_start, m_swtpm_1k, m_swtpm_10k;
	/* Side by side with upstream swtpm in CUSE mode (versus.c); [side]. */
	bool vs;                        /* measured */
	char vs_version[128];
	size_t vs_start_runs;
	double vs_start_ms[VS_SIDES];   /* medians */
	struct mem vs_m_start[VS_SIDES], vs_m_10k[VS_SIDES];
	struct mem_part vs_parts[VS_SIDES][VS_PARTS]; /* after 10,000 commands */
	int vs_nparts[VS_SIDES];
	struct summary vs_lat[VS_COUNT][VS_SIDES];
	double vs_ratio[VS_COUNT];      /* median over rounds of p50 vtpmd / swtpm */
	long rss_growth;
	bool density_ok;
	double density_s;
	long density_rss_avg, density_pss_avg, density_rss_max;
};

extern struct cfg cfg;
extern struct counts cnt;
extern struct results res;

/* bench.c */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* BUF = cfg.work/NAME. */
void path_in_work(char *buf, size_t len, const char *name);
/* Copy LOGFILE to stderr, each line indented. */
void print_log(const char *logfile);
/* Start vtpmd as NAME on DIR and wait for its first answered command.
 * Returns the daemon's pid, or -1. *MS gets exec -> first answer. */
pid_t start_vtpmd(const char *name, const char *dir, double *ms);
/* Open /dev/NAME read-write: the fd, or -1 (a progress line says why). */
int open_dev(const char *name);

/* latency.c: one command OP through PATHS (NULL: not measured), N each,
 * in interleaved rounds; the control ioctl through the three devices;
 * the latency tables. Fill res.lat, res.round_*, res.ioctl_*. */
/* The "floor + libtpms" path's transport: CMD through libtpms
 * in-process, then the same bytes through the floor device (CTX: its
 * fd); libtpms' response. */
ssize_t sum_transact(void *ctx, const uint8_t *cmd, size_t len,
		     uint8_t *resp, size_t cap);
int measure_op(enum op op, struct path_ctx *paths[P_COUNT], size_t n,
	       size_t warmup, unsigned budget_s);
int measure_ioctls(int floor_fd, int floor_mt_fd, int vtpmd_fd);
void report_latency(void);

/* migration.c: state blobs out of and back into the TPM behind FD, timed
 * and reported. */
int measure_migration(int fd);

/* memory.c: the swtpm reference's weight (manufactured in DIR), and the
 * memory table. */
int measure_swtpm_memory(const char *dir);
void report_memory(void);

/* startup.c: start-up of vtpmd (EXISTING_DIR and fresh), the floor and
 * the swtpm reference (SWTPM_DIR), timed and reported. */
int measure_startup(const char *existing_dir, const char *swtpm_dir);

/* versus.c: vtpmd and cfg.swtpm_cuse side by side (start-up, memory,
 * latency), reported with their targets; without cfg.swtpm_cuse, a note
 * that says so. report_versus_targets() adds its rows to the targets. */
int measure_versus(void);
void report_versus_targets(void);

/* density.c: cfg.density devices started at once, timed, weighed and
 * reported. */
int measure_density(void);

/* backends.c: NV_Increment through vtpmd on a state directory, a linear
 * file and a linear file on a loop device (where there is one), in
 * interleaved rounds, reported. */
int measure_backends(void);
/* rm_bench.c: the resource-managed node against the plain node and the
 * kernel's /dev/tpmrmN, 64 clients at once, idle open files, and the
 * nodes' loops beside swtpm (CUSE); reported, its targets added by
 * report_rm_targets(). */
int measure_rm(pid_t main_pid);
void report_rm_targets(void);

#endif
