/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rm_bench.c - the resource-managed node (issue 21), measured:
 *
 *   - commands on a loaded key (TPM2_ReadPublic, where the resource
 *     manager's own work dominates, and an ECDSA P-256 TPM2_Sign) through
 *     vtpmd's /dev/vtpmrmN, its plain node (the key kept loaded) and the
 *     kernel's /dev/tpmrmN (tpm_vtpm_proxy and Debian's swtpm in chardev
 *     mode), in interleaved rounds;
 *   - 64 clients at once on the resource-managed node: throughput, p50 and
 *     p99, with the loops it may run (libfuse's default of up to 10
 *     workers, at most 2, its single-threaded loop), each twice, in turns
 *     (and the kernel's beside them);
 *   - what an idle open file costs vtpmd (VmRSS of 256 of them);
 *   - the loops the plain node may run (one reader and a standby reader,
 *     as shipped; libfuse's multithreaded loop with at most 2 workers, as
 *     shipped before; one reader without the standby; vtpmd builds made
 *     for the bench by bench.mk), beside swtpm's CUSE mode, and whether
 *     CANCEL stops a running command.
 *
 * Every comparison is measured in one run, the paths taking turns, on a
 * machine others share: the ratios are what to read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/tpm2_cmds.h"
#include "bench.h"
#include "cuse/cuse_dev.h"
#include "devctl.h"
#include "report.h"
#include "swtpm_cuse.h"
#include "tpm_cmds.h"
#include "vtpm/ioctl.h"

#define RMB_NAME "vtpm-rmb"             /* and /dev/vtpmrm-rmb */
#define RMB_RM   "vtpmrm-rmb"
#define CROWD 64
#define CROWD_OPS 60                    /* per client, ReadPublic and Sign by turns */
#define IDLE_FILES 256

/* The targets of issue 21. */
#define TARGET_RP_KERNEL 0.5            /* ReadPublic: RM node / kernel's tpmrm */
#define TARGET_RP_RAW 1.5               /* ReadPublic: RM node / plain node */
#define TARGET_SIGN_KERNEL 0.8
#define TARGET_IDLE_KIB 8.0

enum rpath { R_RM, R_RAW, R_KERNEL, R_PATHS };
enum rop { ROP_READPUBLIC, ROP_SIGN, ROP_COUNT };

static const char *const rpath_names[R_PATHS] = {
	"vtpmd /dev/vtpmrmN", "vtpmd /dev/vtpmN, key kept loaded",
	"kernel /dev/tpmrmN (vtpm_proxy, swtpm 0.7.1 chardev)",
};
static const char *const rop_names[ROP_COUNT] = {
	"TPM2_ReadPublic", "TPM2_Sign (ECDSA P-256)",
};

struct crowd {
	bool ok;
	size_t n;
	double ops_s, p50_us, p99_us;
};

/* The resource-managed node's loops under a crowd (vtpmd builds of
 * bench.mk), each measured CROWD_PASSES times, in turns. */
enum crowd_loop { C_DEFAULT, C_TWO, C_ST, C_COUNT };
static const char *const crowd_names[C_COUNT] = {
	"vtpmd /dev/vtpmrmN, multithreaded loop, libfuse's default (up to 10 workers)",
	"vtpmd /dev/vtpmrmN, multithreaded loop, at most 2 workers",
	"vtpmd /dev/vtpmrmN, single-threaded loop (as shipped)",
};
#define CROWD_PASSES 2

/* The loops compared (vtpmd builds of bench.mk) and swtpm CUSE. */
enum loop { L_SHIPPED, L_MT, L_ST, L_SWTPM, L_COUNT };
static const char *const loop_names[L_COUNT] = {
	"vtpmd as shipped: one reader, a standby reader once a command has run 2 ms",
	"vtpmd, multithreaded loop, at most 2 workers (shipped before)",
	"vtpmd, single-threaded loop, no standby", "swtpm 0.9.1 CUSE (libfuse 2, single-threaded)",
};

static struct {
	bool kernel;
	char why[160];                  /* why the kernel's was not measured */
	struct summary lat[ROP_COUNT][R_PATHS];
	double vs_kernel[ROP_COUNT], vs_raw[ROP_COUNT];
	struct crowd crowds[C_COUNT][CROWD_PASSES], crowd_kernel;
	double idle_kib;
	long rss_before, rss_after;
	/* loops */
	bool loops;
	char loops_why[160];
	double loop_ratio[2][L_COUNT];  /* GetRandom, ioctl: p50 / swtpm's */
	struct summary loop_lat[2][L_COUNT];
	char cancel[L_COUNT][96];
} rr;

static uint8_t cmd[T2_CMD_MAX], resp[RESP_MAX];

static ssize_t xfer(int fd, uint32_t len)
{
	return fd_transact(&fd, cmd, len, resp, sizeof(resp));
}

/* An ECC signing key on FD (a primary: the same key on every path). */
static int make_key(int fd, uint32_t *key)
{
	ssize_t n = xfer(fd, t2_create_primary(cmd, true, NULL, 7));

	if (n < 14 || get_be32(resp + 6) != 0) {
		progress("rm: CreatePrimary: %zd bytes, rc 0x%x", n, n >= 10 ? get_be32(resp + 6) : 0);
		return -1;
	}
	*key = get_be32(resp + 10);
	return 0;
}

static uint32_t build(enum rop op, uint32_t key, unsigned i)
{
	return op == ROP_READPUBLIC ? t2_read_public(cmd, key) : t2_sign(cmd, key, (uint8_t)i, 0);
}

/* N commands OP on FD, each timed into OUT. */
static int run_batch(int fd, enum rop op, uint32_t key, size_t n, struct samples *out)
{
	uint64_t start = now_ns();

	for (size_t i = 0; i < n; i++) {
		uint32_t len = build(op, key, (unsigned)i);
		uint64_t t0 = now_ns();
		ssize_t got = xfer(fd, len);

		if (got < 10 || get_be32(resp + 6) != 0) {
			progress("rm: %s: %zd bytes, rc 0x%x", rop_names[op], got,
				 got >= 10 ? get_be32(resp + 6) : 0);
			return -1;
		}
		samples_add(out, now_ns() - t0);
	}
	out->wall_ns += now_ns() - start;
	return 0;
}

/* OP on every path with a key, ROUNDS rounds, who goes first in turn. */
static int rounds(enum rop op, const int fd[R_PATHS], const uint32_t key[R_PATHS], size_t n)
{
	size_t per = (n + ROUNDS - 1) / ROUNDS, nk = 0, nr = 0;
	double to_kernel[ROUNDS_MAX], to_raw[ROUNDS_MAX];
	struct samples smp[R_PATHS];
	int ret = 0;

	for (int k = 0; k < R_PATHS; k++)
		if (samples_init(&smp[k], per * ROUNDS) < 0)
			return -1;
	progress("rm: %s, %zu each", rop_names[op], per * ROUNDS);
	for (size_t r = 0; r < ROUNDS && ret == 0; r++) {
		double p50[R_PATHS] = { 0 };

		for (int j = 0; j < R_PATHS && ret == 0; j++) {
			int k = (int)((r + (size_t)j) % R_PATHS);
			size_t from = smp[k].n;

			if (fd[k] < 0)
				continue;
			ret = run_batch(fd[k], op, key[k], per, &smp[k]);
			p50[k] = samples_p50_from(&smp[k], from);
		}
		if (ret == 0 && p50[R_KERNEL] > 0)
			to_kernel[nk++] = p50[R_RM] / p50[R_KERNEL];
		if (ret == 0 && p50[R_RAW] > 0)
			to_raw[nr++] = p50[R_RM] / p50[R_RAW];
	}
	rr.vs_kernel[op] = median(to_kernel, nk);
	rr.vs_raw[op] = median(to_raw, nr);
	for (int k = 0; k < R_PATHS; k++) {
		rr.lat[op][k] = samples_summarize(&smp[k]);
		samples_free(&smp[k]);
	}
	return ret;
}

/* --- the kernel's resource manager --------------------------------------- */

static pid_t kernel_pid = -1;

/* swtpm chardev behind tpm_vtpm_proxy: the path of its /dev/tpmrmN into
 * PATH, or -1 with rr.why saying why not. */
static int kernel_start(char *path, size_t len)
{
	char dir[512], pidfile[600], out[600], arg_dir[600], arg_pid[700], line[256];
	char *argv[] = { "/usr/bin/swtpm", "chardev", "--vtpm-proxy", "--tpm2", "--tpmstate",
			 arg_dir, "--flags", "not-need-init,startup-clear", "--pid", arg_pid,
			 "-d", NULL };
	unsigned n = ~0u;
	FILE *f;
	pid_t child;

	if (system("modprobe tpm_vtpm_proxy 2>/dev/null") != 0 && access("/sys/module/tpm_vtpm_proxy", F_OK) < 0) {
		snprintf(rr.why, sizeof(rr.why), "no tpm_vtpm_proxy module");
		return -1;
	}
	if (access(argv[0], X_OK) < 0) {
		snprintf(rr.why, sizeof(rr.why), "Debian's swtpm is not installed");
		return -1;
	}
	path_in_work(dir, sizeof(dir), "kernel-state");
	mkdir(dir, 0700);
	snprintf(arg_dir, sizeof(arg_dir), "dir=%s", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/swtpm.pid", dir);
	snprintf(arg_pid, sizeof(arg_pid), "file=%s", pidfile);
	snprintf(out, sizeof(out), "%s/swtpm.out", dir);
	child = fork();
	if (child == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o >= 0) {
			dup2(o, 1);
			dup2(o, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (child < 0 || wait_exit(child) != 0) {
		snprintf(rr.why, sizeof(rr.why), "swtpm chardev --vtpm-proxy did not start");
		return -1;
	}
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "New TPM device: /dev/tpm%u", &n) == 1)
			break;
	if (f)
		fclose(f);
	kernel_pid = read_pidfile(pidfile);
	if (n == ~0u) {
		snprintf(rr.why, sizeof(rr.why), "swtpm named no /dev/tpmN");
		return -1;
	}
	snprintf(path, len, "/dev/tpmrm%u", n);
	for (int i = 0; i < 300 && access(path, F_OK) < 0; i++)
		usleep(10000);
	return 0;
}

static void kernel_stop(void)
{
	if (kernel_pid > 0) {
		kill(kernel_pid, SIGTERM);
		for (int i = 0; i < 300 && kill(kernel_pid, 0) == 0; i++)
			usleep(10000);
	}
	kernel_pid = -1;
}

/* --- 64 clients at once --------------------------------------------------- */

static int open_path(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0)
		progress("rm: open %s: %s", path, strerror(errno));
	return fd;
}

/* One client: its key, then, once GO closes, CROWD_OPS commands timed
 * into FILE. */
static void crowd_client(const char *dev, int ready, int go, const char *file)
{
	uint64_t ns[CROWD_OPS];
	uint32_t key;
	char c;
	int fd = open_path(dev), out;

	if (fd < 0 || make_key(fd, &key) < 0)
		_exit(1);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 0)
		_exit(1);
	for (unsigned i = 0; i < CROWD_OPS; i++) {
		uint32_t len = build(i % 2 ? ROP_SIGN : ROP_READPUBLIC, key, i);
		uint64_t t0 = now_ns();

		if (xfer(fd, len) < 10 || get_be32(resp + 6) != 0)
			_exit(2);
		ns[i] = now_ns() - t0;
	}
	xfer(fd, t2_flush(cmd, key));
	out = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0 || write(out, ns, sizeof(ns)) != (ssize_t)sizeof(ns))
		_exit(3);
	_exit(0);
}

static int crowd(const char *dev, struct crowd *c)
{
	int ready[2], go[2], ret = 0;
	pid_t pid[CROWD];
	struct samples all;
	uint64_t t0, t1;
	char file[600], b;

	if (pipe(ready) < 0 || pipe(go) < 0 || samples_init(&all, CROWD * CROWD_OPS) < 0)
		return -1;
	progress("rm: %d clients at once on %s", CROWD, dev);
	for (int i = 0; i < CROWD; i++) {
		snprintf(file, sizeof(file), "%s/crowd.%d", cfg.work, i);
		pid[i] = fork();
		if (pid[i] == 0) {
			close(ready[0]);
			close(go[1]);
			crowd_client(dev, ready[1], go[0], file);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < CROWD; i++)
		if (read(ready[0], &b, 1) != 1)
			ret = -1;
	t0 = now_ns();
	close(go[1]);           /* all start at once */
	for (int i = 0; i < CROWD; i++)
		if (pid[i] > 0 && wait_exit(pid[i]) != 0)
			ret = -1;
	t1 = now_ns();
	close(ready[0]);
	for (int i = 0; i < CROWD && ret == 0; i++) {
		uint64_t ns[CROWD_OPS];
		int fd;

		snprintf(file, sizeof(file), "%s/crowd.%d", cfg.work, i);
		fd = open(file, O_RDONLY);
		if (fd < 0 || read(fd, ns, sizeof(ns)) != (ssize_t)sizeof(ns))
			ret = -1;
		if (fd >= 0)
			close(fd);
		for (unsigned j = 0; ret == 0 && j < CROWD_OPS; j++)
			samples_add(&all, ns[j]);
		unlink(file);
	}
	if (ret == 0) {
		struct summary s = samples_summarize(&all);

		c->ok = true;
		c->n = s.n;
		c->ops_s = (double)s.n / ((double)(t1 - t0) / 1e9);
		c->p50_us = s.p50_us;
		c->p99_us = s.p99_us;
	} else {
		progress("rm: a client on %s failed", dev);
	}
	samples_free(&all);
	return ret;
}

/* --- memory of idle open files -------------------------------------------- */

static int idle_files(pid_t pid, const char *dev)
{
	static int fds[IDLE_FILES];
	struct mem before, after;
	int n = 0;

	if (read_mem(pid, &before) < 0)
		return -1;
	for (; n < IDLE_FILES; n++)
		if ((fds[n] = open_path(dev)) < 0)
			break;
	if (n == IDLE_FILES && read_mem(pid, &after) == 0) {
		rr.rss_before = before.rss;
		rr.rss_after = after.rss;
		rr.idle_kib = (double)(after.rss - before.rss) / IDLE_FILES;
	}
	while (n-- > 0)
		close(fds[n]);
	return rr.rss_after ? 0 : -1;
}

/* --- the loops, beside swtpm's CUSE mode ----------------------------------- */

struct cancel_job {
	int fd;
	uint32_t rc;            /* the command's response code */
};

static void *long_command(void *arg)
{
	struct cancel_job *j = arg;
	uint8_t c[CMD_MAX], r[RESP_MAX];
	size_t len = cmd_create_primary_rsa2048(c);
	ssize_t n = fd_transact(&j->fd, c, len, r, sizeof(r));

	j->rc = n >= 10 ? get_be32(r + 6) : ~0u;
	return NULL;
}

/* Whether CANCEL on FD stops an RSA CreatePrimary running on it (its
 * answer is TPM_RC_CANCELED), and when the ioctl came back. */
static void cancel_check(int fd, char *out, size_t len)
{
	struct cancel_job j = { .fd = fd };
	uint32_t arg[4] = { 0 };
	uint64_t t0, answered;
	pthread_t t;

	if (pthread_create(&t, NULL, long_command, &j) != 0) {
		snprintf(out, len, "not measured");
		return;
	}
	usleep(20000);
	t0 = now_ns();
	ioctl(fd, PTM_CANCEL_TPM_CMD, arg);
	answered = now_ns();
	pthread_join(t, NULL);
	if (j.rc == TPM2_RC_CANCELED)
		snprintf(out, len, "yes: the ioctl came back in %.1f ms, the command "
			 "ended with TPM_RC_CANCELED", (double)(answered - t0) / 1e6);
	else
		snprintf(out, len, "no: the ioctl came back after %.1f ms, the command "
			 "ran to its end (0x%x)", (double)(answered - t0) / 1e6, j.rc);
}

static pid_t start_variant(const char *vtpmd, const char *name, const char *dir)
{
	char pidfile[600], logfile[600];
	pid_t child;

	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", cfg.work, name);
	snprintf(logfile, sizeof(logfile), "%s/%s.log", cfg.work, name);
	unlink(pidfile);
	mkdir(dir, 0700);
	child = spawn_vtpmd(vtpmd, name, dir, pidfile, logfile, true, cfg.extra, cfg.nextra);
	if (child < 0 || wait_exit(child) != 0 || first_answer(name, NODE_TIMEOUT_MS) < 0) {
		progress("rm: %s -n %s did not start", vtpmd, name);
		print_log(logfile);
		return -1;
	}
	return read_pidfile(pidfile);
}

/* 64 clients on the resource-managed node of each loop's daemon, started
 * fresh for each pass; the passes go round the loops in turn, the second
 * in the other order. Loops without a build are not measured. */
static int crowds(void)
{
	const char *bins[C_COUNT] = { cfg.vtpmd_rm10, cfg.vtpmd_rm2, cfg.vtpmd_st };
	char dir[512];

	for (int pass = 0; pass < CROWD_PASSES; pass++)
		for (int i = 0; i < C_COUNT; i++) {
			int c = pass % 2 ? C_COUNT - 1 - i : i;
			pid_t pid;
			int ret;

			if (!bins[c])
				continue;
			snprintf(dir, sizeof(dir), "%s/rm-crowd-%d-%d", cfg.work, c, pass);
			pid = start_variant(bins[c], RMB_NAME, dir);
			if (pid < 0)
				return -1;
			ret = crowd("/dev/" RMB_RM, &rr.crowds[c][pass]);
			stop_pid(pid, RMB_NAME, STOP_TIMEOUT_MS);
			if (ret < 0)
				return -1;
		}
	return 0;
}

static int measure_loops(void)
{
	static const char *const names[L_COUNT] = { "vtpmlp0", "vtpmlp1", "vtpmlp2", "swtpmlp" };
	const char *bins[L_COUNT] = { cfg.vtpmd, cfg.vtpmd_mt, cfg.vtpmd_st, cfg.swtpm_cuse };
	struct samples smp[2][L_COUNT];
	pid_t pid[L_COUNT];
	int fd[L_COUNT], ret = 0;
	size_t per = (cnt.cheap + ROUNDS - 1) / ROUNDS;
	double ratio[2][L_COUNT][ROUNDS_MAX];
	size_t nr[2][L_COUNT] = { { 0 } };

	if (!cfg.swtpm_cuse || !cfg.vtpmd_mt || !cfg.vtpmd_st) {
		snprintf(rr.loops_why, sizeof(rr.loops_why), "%s",
			 cfg.swtpm_cuse ? "the bench's vtpmd builds are missing" :
					  "no CUSE swtpm given (SWTPM_CUSE)");
		return 0;
	}
	for (int k = 0; k < L_COUNT; k++) {
		char dir[512], pidfile[600], logfile[600];

		snprintf(dir, sizeof(dir), "%s/loop-%d", cfg.work, k);
		if (k == L_SWTPM) {
			snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", cfg.work, names[k]);
			snprintf(logfile, sizeof(logfile), "%s/%s.log", cfg.work, names[k]);
			mkdir(dir, 0700);
			pid[k] = swtpm_cuse_start(bins[k], names[k], dir, pidfile, logfile, NULL);
		} else {
			pid[k] = start_variant(bins[k], names[k], dir);
		}
		fd[k] = pid[k] > 0 ? open_dev(names[k]) : -1;
		if (fd[k] < 0)
			ret = -1;
	}
	for (int m = 0; m < 2; m++)
		for (int k = 0; k < L_COUNT; k++)
			if (samples_init(&smp[m][k], per * ROUNDS) < 0)
				ret = -1;
	progress("rm: the nodes' loops beside swtpm (CUSE), %zu commands and ioctls each",
		 per * ROUNDS);
	for (size_t r = 0; ret == 0 && r < ROUNDS; r++) {
		double p50[2][L_COUNT];

		for (int j = 0; ret == 0 && j < L_COUNT; j++) {
			int k = (int)((r + (size_t)j) % L_COUNT);
			struct xport x = { .name = names[k], .transact = fd_transact, .ctx = &fd[k] };
			size_t f0 = smp[0][k].n, f1 = smp[1][k].n;

			ret = workload_run(&x, OP_GETRANDOM, per, 20, 0, 0, &smp[0][k]);
			if (ret == 0)
				ret = ioctl_latency(fd[k], PTM_GET_TPMESTABLISHED, per, 20, 0,
						    &smp[1][k]);
			p50[0][k] = samples_p50_from(&smp[0][k], f0);
			p50[1][k] = samples_p50_from(&smp[1][k], f1);
		}
		for (int m = 0; ret == 0 && m < 2; m++)
			for (int k = 0; k < L_COUNT; k++)
				if (p50[m][L_SWTPM] > 0)
					ratio[m][k][nr[m][k]++] = p50[m][k] / p50[m][L_SWTPM];
	}
	for (int m = 0; m < 2; m++)
		for (int k = 0; k < L_COUNT; k++) {
			rr.loop_ratio[m][k] = median(ratio[m][k], nr[m][k]);
			rr.loop_lat[m][k] = samples_summarize(&smp[m][k]);
			samples_free(&smp[m][k]);
		}
	for (int k = 0; ret == 0 && k < L_COUNT; k++)
		cancel_check(fd[k], rr.cancel[k], sizeof(rr.cancel[k]));
	for (int k = 0; k < L_COUNT; k++) {
		if (fd[k] >= 0)
			close(fd[k]);
		if (pid[k] > 0)
			stop_pid(pid[k], names[k], STOP_TIMEOUT_MS);
	}
	rr.loops = ret == 0;
	if (ret < 0)
		snprintf(rr.loops_why, sizeof(rr.loops_why), "a daemon did not start or answer");
	return 0;
}

/* --- the report ------------------------------------------------------------ */

static const char *verdict(double ratio, double target)
{
	return ratio > 0 && ratio <= target ? "met" : "**missed**";
}

static void crowd_row(const char *what, const struct crowd *c)
{
	if (c->ok)
		report_row("%s | %zu | %.0f | %.1f | %.1f", what, c->n, c->ops_s, c->p50_us,
			   c->p99_us);
	else
		report_row("%s | not measured | - | - | -", what);
}

static void report_rm(void)
{
	report_heading("The resource-managed node: /dev/vtpmrmN");
	report_table("command on a loaded key | RM node / kernel tpmrm (per-round p50) | target | "
		     "verdict | RM node / plain node | target | verdict");
	for (int op = 0; op < ROP_COUNT; op++) {
		double tk = op == ROP_READPUBLIC ? TARGET_RP_KERNEL : TARGET_SIGN_KERNEL;

		if (op == ROP_READPUBLIC)
			report_row("%s | %.3f | ≤ %.1f | %s | %.3f | ≤ %.1f | %s", rop_names[op],
				   rr.vs_kernel[op], tk,
				   rr.kernel ? verdict(rr.vs_kernel[op], tk) : "not run",
				   rr.vs_raw[op], TARGET_RP_RAW, verdict(rr.vs_raw[op], TARGET_RP_RAW));
		else
			report_row("%s | %.3f | ≤ %.1f | %s | %.3f | - | -", rop_names[op],
				   rr.vs_kernel[op], tk,
				   rr.kernel ? verdict(rr.vs_kernel[op], tk) : "not run", rr.vs_raw[op]);
	}
	report_table("command | path | n | mean | p50 | p99 | ops/s");
	for (int op = 0; op < ROP_COUNT; op++)
		for (int k = 0; k < R_PATHS; k++)
			if (rr.lat[op][k].n)
				report_latency_row(rop_names[op], rpath_names[k], &rr.lat[op][k]);
	report_table("64 clients at once, each " STR(CROWD_OPS) " commands (ReadPublic and "
		     "Sign by turns) | commands | ops/s | p50 µs | p99 µs");
	for (int c = 0; c < C_COUNT; c++)
		for (int pass = 0; pass < CROWD_PASSES; pass++) {
			char what[160];

			snprintf(what, sizeof(what), "%s, pass %d", crowd_names[c], pass + 1);
			crowd_row(what, &rr.crowds[c][pass]);
		}
	crowd_row("kernel /dev/tpmrmN", &rr.crowd_kernel);
	report_table("memory | value | target | verdict");
	report_row("VmRSS growth per idle open file of /dev/vtpmrmN (%d open) | %.2f KiB "
		   "(%ld → %ld KiB) | ≤ %.0f KiB | %s", IDLE_FILES, rr.idle_kib, rr.rss_before,
		   rr.rss_after, TARGET_IDLE_KIB, rr.rss_after ? verdict(rr.idle_kib, TARGET_IDLE_KIB) :
		   "not measured");
	if (!rr.kernel)
		report_note("The kernel's resource manager was not measured: %s.", rr.why);
	report_note("Interleaved rounds (%d), who goes first in turn; the same libtpms "
		    "(0.9) behind all three paths; the key an ECC P-256 primary. vtpmd's RM "
		    "node keeps the key loaded from one command of its open file to the "
		    "next (src/rm/rm_cache.c: it is flushed before any other file, the "
		    "plain node or a control request uses the TPM); the kernel's loads "
		    "the saved context for each command and saves and flushes it after; "
		    "the plain node keeps it loaded. The kernel's peer is Debian's swtpm in chardev mode "
		    "behind tpm_vtpm_proxy, in the same VM. 64 clients: each client makes its "
		    "key, then all start at once; each loop's daemon (bench.mk's vtpmd-rm10, "
		    "vtpmd-rm2, vtpmd-st) is started fresh for each of %d passes, the passes "
		    "going round the loops in turn, the second in the other order; the "
		    "kernel's once.", ROUNDS, CROWD_PASSES);

	report_heading("The nodes' loops, beside swtpm's CUSE mode");
	if (!rr.loops) {
		report_note("Not run: %s.", rr.loops_why);
		return;
	}
	report_table("loop | GetRandom(32) / swtpm (per-round p50) | control ioctl / swtpm | "
		     "CANCEL answered while an RSA CreatePrimary runs");
	for (int k = 0; k < L_COUNT; k++)
		report_row("%s | %.3f | %.3f | %s", loop_names[k], rr.loop_ratio[0][k],
			   rr.loop_ratio[1][k], rr.cancel[k]);
	report_table("what | loop | n | mean | p50 | p99 | ops/s");
	for (int k = 0; k < L_COUNT; k++)
		report_latency_row("GetRandom(32)", loop_names[k], &rr.loop_lat[0][k]);
	for (int k = 0; k < L_COUNT; k++)
		report_latency_row("PTM_GET_TPMESTABLISHED", loop_names[k], &rr.loop_lat[1][k]);
	report_note("The plain node of four daemons running at once, in %d interleaved "
		    "rounds: vtpmd as shipped (one reader; the writer has its answer before "
		    "the command runs; a standby reader takes requests once a command has "
		    "run %d ms: src/cuse/cuse_dev.h), vtpmd built with libfuse's "
		    "multithreaded loop of at most 2 workers and with a single reader and "
		    "no standby (bench.mk's vtpmd-mt and vtpmd-st), and swtpm 0.9.1 in "
		    "CUSE mode. CANCEL: an RSA-2048 CreatePrimary on the node, "
		    "PTM_CANCEL_TPM_CMD from a second thread 20 ms later; a single reader "
		    "takes the ioctl only after the command.", ROUNDS,
		    CUSE_STANDBY_AFTER_US / 1000);
}

int measure_rm(pid_t main_pid)
{
	char kdev[64], dir[512];
	int fd[R_PATHS] = { -1, -1, -1 };
	uint32_t key[R_PATHS];
	pid_t pid;
	int ret = -1;

	(void)main_pid;
	path_in_work(dir, sizeof(dir), "rm-state");
	pid = start_vtpmd(RMB_NAME, dir, NULL);
	if (pid < 0)
		return -1;
	rr.kernel = kernel_start(kdev, sizeof(kdev)) == 0;
	if ((fd[R_RM] = open_dev(RMB_RM)) < 0 || (fd[R_RAW] = open_dev(RMB_NAME)) < 0 ||
	    (rr.kernel && (fd[R_KERNEL] = open_path(kdev)) < 0))
		goto out;
	for (int k = 0; k < R_PATHS; k++)
		if (fd[k] >= 0 && make_key(fd[k], &key[k]) < 0)
			goto out;
	if (rounds(ROP_READPUBLIC, fd, key, cnt.cheap) < 0 ||
	    rounds(ROP_SIGN, fd, key, cnt.cheap / 5) < 0)
		goto out;
	for (int k = 0; k < R_PATHS; k++) {
		if (fd[k] >= 0)
			close(fd[k]);
		fd[k] = -1;
	}
	if (idle_files(pid, "/dev/" RMB_RM) < 0)
		goto out;
	if (rr.kernel && crowd(kdev, &rr.crowd_kernel) < 0)
		goto out;
	stop_pid(pid, RMB_NAME, STOP_TIMEOUT_MS);
	pid = -1;
	if (crowds() < 0)
		goto out;
	ret = measure_loops();
out:
	for (int k = 0; k < R_PATHS; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	if (pid > 0)
		stop_pid(pid, RMB_NAME, STOP_TIMEOUT_MS);
	kernel_stop();
	if (ret == 0)
		report_rm();
	return ret;
}

void report_rm_targets(void)
{
	report_row("RM node ReadPublic ≤ %.1fx the kernel's tpmrm (per-round p50) | %.3fx | %s | -",
		   TARGET_RP_KERNEL, rr.vs_kernel[ROP_READPUBLIC],
		   rr.kernel ? verdict(rr.vs_kernel[ROP_READPUBLIC], TARGET_RP_KERNEL) : "not run");
	report_row("RM node ReadPublic ≤ %.1fx vtpmd's plain node (per-round p50) | %.3fx | %s | -",
		   TARGET_RP_RAW, rr.vs_raw[ROP_READPUBLIC],
		   verdict(rr.vs_raw[ROP_READPUBLIC], TARGET_RP_RAW));
	report_row("RM node Sign ≤ %.1fx the kernel's tpmrm (per-round p50) | %.3fx | %s | -",
		   TARGET_SIGN_KERNEL, rr.vs_kernel[ROP_SIGN],
		   rr.kernel ? verdict(rr.vs_kernel[ROP_SIGN], TARGET_SIGN_KERNEL) : "not run");
	report_row("VmRSS growth per idle open RM file ≤ %.0f KiB | %.2f KiB | %s | -",
		   TARGET_IDLE_KIB, rr.idle_kib,
		   rr.rss_after ? verdict(rr.idle_kib, TARGET_IDLE_KIB) : "not measured");
}
