/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backends.c - TPM2_NV_Increment, which writes the permanent state on every
 * command, through vtpmd on each state backend: a state directory
 * (temporary file, fsync, rename, fsync of the directory), a linear file
 * and a linear file on a loop block device (new blob, fdatasync, header,
 * fdatasync). One daemon per backend, measured in interleaved rounds, one
 * report table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "report.h"

enum backend { BK_DIR, BK_FILE, BK_LOOP, BK_COUNT };

static const char *const bk_names[BK_COUNT] = {
	"directory", "linear file", "linear file on a loop device",
};
static const char *const bk_devs[BK_COUNT] = { "vtpmbkdir", "vtpmbkfile", "vtpmbkloop" };

static struct {
	bool measured[BK_COUNT];
	struct summary lat[BK_COUNT];
	double ratio[BK_COUNT];         /* median over rounds of p50 / directory's */
	char loop[64];
} bk;

/* A loop device on a new 4 MiB file in the work directory, in bk.loop;
 * false where there is none. */
static bool loop_attach(void)
{
	char img[512], cmd[600];
	FILE *p;
	int fd;

	path_in_work(img, sizeof(img), "backend-disk");
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4 << 20) < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "losetup --find --show '%s' 2>/dev/null", img);
	p = popen(cmd, "r");
	if (!p)
		return false;
	if (!fgets(bk.loop, sizeof(bk.loop), p))
		bk.loop[0] = '\0';
	pclose(p);
	bk.loop[strcspn(bk.loop, "\n")] = '\0';
	return bk.loop[0] == '/';
}

static void loop_detach(void)
{
	char cmd[128];

	if (!bk.loop[0])
		return;
	snprintf(cmd, sizeof(cmd), "losetup -d '%s'", bk.loop);
	if (system(cmd) != 0)
		progress("could not detach %s", bk.loop);
	bk.loop[0] = '\0';
}

int measure_backends(void)
{
	char state[BK_COUNT][600], path[512];
	pid_t pid[BK_COUNT] = { -1, -1, -1 };
	int fd[BK_COUNT] = { -1, -1, -1 };
	struct xport x[BK_COUNT];
	struct samples s[BK_COUNT] = { { 0 } };
	double ratio[BK_COUNT][ROUNDS_MAX];
	size_t per_round = (cnt.nv + ROUNDS - 1) / ROUNDS, nr = 0, r;
	int b, ret = 0;

	path_in_work(state[BK_DIR], sizeof(state[BK_DIR]), "backend-dir");
	path_in_work(path, sizeof(path), "backend.img");
	snprintf(state[BK_FILE], sizeof(state[BK_FILE]), "file://%s", path);
	bk.measured[BK_LOOP] = loop_attach();
	snprintf(state[BK_LOOP], sizeof(state[BK_LOOP]), "file://%s", bk.loop);
	bk.measured[BK_DIR] = bk.measured[BK_FILE] = true;
	if (!bk.measured[BK_LOOP])
		progress("no loop device: the linear file on one is not measured");

	for (b = 0; b < BK_COUNT && ret == 0; b++) {
		if (!bk.measured[b])
			continue;
		progress("vtpmd on a %s", bk_names[b]);
		pid[b] = start_vtpmd(bk_devs[b], state[b], NULL);
		fd[b] = pid[b] < 0 ? -1 : open_dev(bk_devs[b]);
		x[b] = (struct xport){ .name = bk_names[b], .transact = fd_transact,
				       .ctx = &fd[b] };
		if (fd[b] < 0 || workload_prepare(&x[b]) < 0 ||
		    samples_init(&s[b], per_round * ROUNDS) < 0)
			ret = -1;
	}
	progress("NV_Increment on each backend: %zu each", per_round * ROUNDS);
	for (r = 0; r < ROUNDS && ret == 0; r++) {
		double p50[BK_COUNT] = { 0 };
		uint64_t deadline = now_ns() + (uint64_t)cnt.budget_cheap_s * 1000000000u /
				    (ROUNDS * BK_COUNT);

		for (b = 0; b < BK_COUNT && ret == 0; b++) {
			size_t from;

			if (!bk.measured[b])
				continue;
			from = s[b].n;
			ret = workload_run(&x[b], OP_NV_INCREMENT, per_round, r ? 0 : 20, 0,
					   deadline, &s[b]);
			p50[b] = samples_p50_from(&s[b], from);
		}
		if (ret == 0 && p50[BK_DIR] > 0) {
			for (b = 0; b < BK_COUNT; b++)
				ratio[b][nr] = p50[b] / p50[BK_DIR];
			nr++;
		}
	}
	for (b = 0; b < BK_COUNT; b++) {
		if (!bk.measured[b])
			continue;
		if (ret == 0) {
			bk.lat[b] = samples_summarize(&s[b]);
			bk.ratio[b] = median(ratio[b], nr);
		}
		samples_free(&s[b]);
		if (fd[b] >= 0)
			close(fd[b]);
		if (pid[b] > 0)
			stop_pid(pid[b], bk_devs[b], STOP_TIMEOUT_MS);
	}
	loop_detach();
	if (ret < 0)
		return ret;

	report_heading("NV_Increment by state backend (µs)");
	report_table("backend | n | mean | p50 | p99 | ops/s | p50 / directory's (median of rounds)");
	for (b = 0; b < BK_COUNT; b++)
		if (bk.measured[b])
			report_row("%s | %zu | %.1f | %.1f | %.1f | %.0f | %.3f", bk_names[b],
				   bk.lat[b].n, bk.lat[b].mean_us, bk.lat[b].p50_us,
				   bk.lat[b].p99_us, bk.lat[b].ops_per_s, bk.ratio[b]);
	report_note("Each increment writes the permanent state durably: in a directory a "
		    "temporary file, fsync, rename and fsync of the directory; in a linear file "
		    "(docs/state.md) the new blob, fdatasync, one header write, fdatasync. One "
		    "vtpmd per backend, in %d interleaved rounds; the state lives in the VM's "
		    "tmpfs-backed overlay (the loop device's backing file too), so the syncs "
		    "cost little and the numbers show the backends' own work, not a disk's.",
		    ROUNDS);
	return 0;
}
