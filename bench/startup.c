/* SPDX-License-Identifier: BSD-3-Clause */
/* startup.c - exec -> first answered command, for vtpmd, the floor and the
 * swtpm reference, all interleaved (see bench.h). */
#include <stdint.h>
#include <stdio.h>

#include "bench.h"
#include "report.h"
#include "swtpm_ref.h"

int measure_startup(const char *existing_dir, const char *swtpm_dir)
{
	double ex[16], fr[16], fl[16], ver[16], sw[16];
	char *version_argv[] = { (char *)cfg.vtpmd, "--version", NULL };
	size_t i, n = cnt.startup > 16 ? 16 : cnt.startup;
	char dir[512];
	pid_t pid;

	progress("start-up: %zu runs each", n);
	for (i = 0; i < n; i++) {
		uint64_t t0;

		pid = start_vtpmd(MAIN_NAME, existing_dir, &ex[i]);
		if (pid < 0 || stop_pid(pid, MAIN_NAME, STOP_TIMEOUT_MS) < 0)
			return -1;
		snprintf(dir, sizeof(dir), "%s/fresh-%zu", cfg.work, i);
		pid = start_vtpmd(MAIN_NAME, dir, &fr[i]);
		if (pid < 0 || stop_pid(pid, MAIN_NAME, STOP_TIMEOUT_MS) < 0)
			return -1;
		t0 = now_ns();
		pid = spawn_floor(cfg.floor, FLOOR_NAME "s", false);
		if (pid < 0 || wait_node(FLOOR_NAME "s", NODE_TIMEOUT_MS) < 0 ||
		    first_answer(FLOOR_NAME "s", NODE_TIMEOUT_MS) < 0) {
			progress("the floor device did not start");
			return -1;
		}
		fl[i] = (double)(now_ns() - t0) / 1e6;
		stop_pid(pid, FLOOR_NAME "s", STOP_TIMEOUT_MS);
		t0 = now_ns();
		pid = spawn_cmd(version_argv);
		if (pid < 0 || wait_exit(pid) != 0)
			return -1;
		ver[i] = (double)(now_ns() - t0) / 1e6;
		if (res.swtpm) {
			pid = swtpm_ref_start(swtpm_dir, &sw[i]);
			if (pid < 0 || stop_pid(pid, NULL, STOP_TIMEOUT_MS) < 0)
				return -1;
		}
	}
	if (res.swtpm)
		res.start_swtpm_ms = median(sw, n);
	res.start_existing_ms = median(ex, n);
	res.start_fresh_ms = median(fr, n);
	res.start_floor_ms = median(fl, n);
	report_heading("Start-up: exec → first command answered (ms, median)");
	report_table("what | runs | median ms | target");
	report_row("vtpmd, existing state directory | %zu | %.1f | ≤ %.0f: %s", n,
		   res.start_existing_ms, TARGET_STARTUP_MS,
		   res.start_existing_ms <= TARGET_STARTUP_MS ? "met" : "**missed**");
	report_row("vtpmd, fresh state directory (manufacture) | %zu | %.1f | -", n,
		   res.start_fresh_ms);
	report_row("CUSE floor device (no TPM) | %zu | %.1f | -", n, res.start_floor_ms);
	report_row("`vtpmd --version` (exec, dynamic linking, exit: no TPM, no device) | "
		   "%zu | %.1f | -", n, median(ver, n));
	if (res.swtpm)
		report_row("reference: %s, socket mode (no CUSE), existing state | %zu | %.1f | -",
			   res.swtpm_version, n, res.start_swtpm_ms);
	report_note("vtpmd is started in its default background mode with "
		    "`--flags not-need-init,startup-clear`; its parent returns once the "
		    "node works, then the bench opens it and sends GetRandom(8). swtpm "
		    "gets the same flags and `--daemon`; its parent returns before its "
		    "TPM starts, so the bench connects to its Unix socket until a "
		    "GetRandom(8) is answered. Each run interleaves all rows.");
	return 0;
}
