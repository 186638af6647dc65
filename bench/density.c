/* SPDX-License-Identifier: BSD-3-Clause */
/* density.c - cfg.density devices started at once: how long until all
 * answer, and what they weigh together (see bench.h). They are numbered on
 * one major (-M DENSITY_MAJOR -m i), as many devices on one host should be:
 * a CUSE node without numbers takes a dynamic major of its own, and the
 * kernel has about 150 of those, so 128 vtpmd with their resource-managed
 * nodes (two each) would not fit. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "report.h"

#define DENSITY_MAJOR "240"     /* the first of the kernel's "local use" majors */

int measure_density(void)
{
	unsigned n = cfg.density, i, left;
	pid_t *child = calloc(n, sizeof(*child)), *pid = calloc(n, sizeof(*pid));
	double *answered = calloc(n, sizeof(*answered));
	char name[32], dir[512], pidfile[512], logfile[512], minor[16];
	char *extra[20];
	long rss = 0, pss = 0, anon = 0, rss_max = 0;
	uint64_t t0;
	int ret = 0;

	if (!child || !pid || !answered)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "/dev/vtpm%u", i);
		if (access(name, F_OK) == 0) {
			report_heading("Density");
			report_note("Skipped: %s exists on this machine.", name);
			return 0;
		}
	}
	progress("density: starting %u devices", n);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "vtpm%u", i);
		snprintf(dir, sizeof(dir), "%s/density/%u", cfg.work, i);
		snprintf(pidfile, sizeof(pidfile), "%s/density/%u.pid", cfg.work, i);
		snprintf(logfile, sizeof(logfile), "%s/density/%u.log", cfg.work, i);
		snprintf(minor, sizeof(minor), "%u", i);
		for (int j = 0; j < cfg.nextra; j++)
			extra[j] = cfg.extra[j];
		extra[cfg.nextra] = "-M";
		extra[cfg.nextra + 1] = DENSITY_MAJOR;
		extra[cfg.nextra + 2] = "-m";
		extra[cfg.nextra + 3] = minor;
		child[i] = spawn_vtpmd(cfg.vtpmd, name, dir, pidfile, logfile, true,
				       extra, cfg.nextra + 4);
		if (child[i] < 0) {
			progress("device %s: could not start vtpmd", name);
			ret = -1;
		}
	}
	/* Serve whichever start-up finishes first. */
	for (left = n; left > 0 && ret == 0;) {
		bool any = false;

		for (i = 0; i < n; i++) {
			int st;

			if (child[i] <= 0 || waitpid(child[i], &st, WNOHANG) != child[i])
				continue;
			any = true;
			child[i] = 0;
			left--;
			snprintf(name, sizeof(name), "vtpm%u", i);
			snprintf(pidfile, sizeof(pidfile), "%s/density/%u.pid", cfg.work, i);
			pid[i] = read_pidfile(pidfile);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
			    first_answer(name, NODE_TIMEOUT_MS) < 0) {
				snprintf(logfile, sizeof(logfile), "%s/density/%u.log", cfg.work, i);
				progress("device %s did not start or answer", name);
				print_log(logfile);
				ret = -1;
				break;
			}
			answered[i] = (double)(now_ns() - t0) / 1e9;
		}
		if (!any)
			usleep(1000);
	}
	res.density_s = (double)(now_ns() - t0) / 1e9;
	for (i = 0; i < n && ret == 0; i++) {
		struct mem m;

		if (read_mem(pid[i], &m) < 0) {
			progress("device vtpm%u: no memory figures for pid %d (the daemon "
				 "is gone?)", i, (int)pid[i]);
			snprintf(logfile, sizeof(logfile), "%s/density/%u.log", cfg.work, i);
			print_log(logfile);
			ret = -1;
			break;
		}
		rss += m.rss;
		pss += m.pss;
		anon += m.rss_anon;
		if (m.rss > rss_max)
			rss_max = m.rss;
	}
	progress("density: stopping %u devices", n);
	for (i = 0; i < n; i++)
		if (child[i] > 0)
			wait_exit(child[i]);
	for (i = 0; i < n; i++)
		if (pid[i] > 0)
			kill(pid[i], SIGTERM);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "vtpm%u", i);
		if (pid[i] > 0)
			stop_pid(pid[i], name, STOP_TIMEOUT_MS);
	}
	report_heading("Density: devices started at once");
	if (ret < 0) {
		report_note("**Failed**: not every device started and answered (see stderr).");
		free(child);
		free(pid);
		free(answered);
		return ret;
	}
	res.density_rss_avg = rss / n;
	res.density_pss_avg = pss / n;
	res.density_rss_max = rss_max;
	res.density_ok = res.density_s <= TARGET_DENSITY_S &&
			 res.density_rss_avg <= TARGET_RSS_KIB;
	report_table("devices | all answered after s | median device answered after s | "
		     "total VmRSS MiB | total Pss MiB | total RssAnon MiB | "
		     "VmRSS / device KiB (max) | Pss / device KiB");
	report_row("%u | %.2f | %.2f | %.1f | %.1f | %.1f | %ld (%ld) | %ld", n, res.density_s,
		   median(answered, n), rss / 1024.0, pss / 1024.0, anon / 1024.0,
		   res.density_rss_avg, rss_max, res.density_pss_avg);
	report_note("Fresh state directories (each TPM is manufactured), `vtpm0`..`vtpm%u` "
		    "numbered " DENSITY_MAJOR ":0.. (their `vtpmrmN` " DENSITY_MAJOR ":65536..), "
		    "all started before the first is waited for. Target: all answering "
		    "within %.0f s, ≤ %d KiB each: %s.", n - 1, TARGET_DENSITY_S,
		    TARGET_RSS_KIB, res.density_ok ? "met" : "**missed**");
	free(child);
	free(pid);
	free(answered);
	return 0;
}
