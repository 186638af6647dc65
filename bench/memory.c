/* SPDX-License-Identifier: BSD-3-Clause */
/* memory.c - what vtpmd and the swtpm reference weigh after start and
 * after 1,000 and 10,000 commands, and the memory table (see bench.h). */
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "report.h"
#include "swtpm_ref.h"

/* Manufactures swtpm's state in DIR (its first start) and weighs it like
 * vtpmd: after start, after 1,000 and after 10,000 commands. */
int measure_swtpm_memory(const char *dir)
{
	struct xport x;
	pid_t pid;
	int fd, ret = -1;

	res.swtpm = swtpm_ref_available(res.swtpm_version, sizeof(res.swtpm_version));
	if (!res.swtpm)
		return 0;
	progress("reference: %s, socket mode", res.swtpm_version);
	pid = swtpm_ref_start(dir, NULL);
	if (pid < 0) {
		progress("swtpm did not start on %s: %s", dir, strerror((int)-pid));
		return -1;
	}
	read_mem(pid, &res.m_swtpm_start);
	fd = swtpm_ref_connect(dir);
	x = (struct xport){ .name = "swtpm", .transact = fd_transact, .ctx = &fd };
	if (fd >= 0 && workload_prepare(&x) == 0 && workload_mix(&x, 1000) == 0 &&
	    read_mem(pid, &res.m_swtpm_1k) == 0 && workload_mix(&x, 9000) == 0 &&
	    read_mem(pid, &res.m_swtpm_10k) == 0)
		ret = 0;
	if (fd >= 0)
		close(fd);
	stop_pid(pid, NULL, STOP_TIMEOUT_MS);
	if (ret < 0)
		progress("the swtpm reference failed");
	return ret;
}


static void mem_row(const char *what, const struct mem *m)
{
	report_row("%s | %ld | %ld | %ld | %ld | %ld | %d", what, m->rss, m->hwm,
		   m->rss_anon, m->rss_file, m->pss, m->threads);
}

void report_memory(void)
{
	res.rss_growth = res.m_10k.rss - res.m_1k.rss;
	report_heading("Memory of one device (KiB)");
	report_table("process, when | VmRSS | VmHWM | RssAnon | RssFile | Pss | threads");
	mem_row("vtpmd after start", &res.m_start);
	mem_row("vtpmd after 1,000 commands", &res.m_1k);
	mem_row("vtpmd after 10,000 commands", &res.m_10k);
	mem_row("vtpmd after every benchmark (incl. key generation, migration)", &res.m_end);
	mem_row("CUSE floor (single-threaded), idle", &res.m_floor);
	mem_row("CUSE floor (mt loop), idle", &res.m_floor_mt);
	if (res.swtpm) {
		char what[256];

		snprintf(what, sizeof(what), "reference: %s (socket mode) after start",
			 res.swtpm_version);
		mem_row(what, &res.m_swtpm_start);
		mem_row("reference: swtpm after 1,000 commands", &res.m_swtpm_1k);
		mem_row("reference: swtpm after 10,000 commands", &res.m_swtpm_10k);
	}
	report_note("Growth of VmRSS from 1,000 to 10,000 commands: %+ld KiB (target: none). "
		    "VmRSS after 10,000 commands: %ld KiB (target ≤ %d KiB): %s. "
		    "RssFile is shared library text, shared by every vtpmd on the host; "
		    "Pss splits shared pages among the processes using them. VmRSS, "
		    "RssAnon and RssFile are counted from the page tables (smaps_rollup); "
		    "VmHWM is the kernel's own counter, which lags behind on this kernel.",
		    res.rss_growth, res.m_10k.rss, TARGET_RSS_KIB,
		    res.m_10k.rss <= TARGET_RSS_KIB && res.rss_growth <= 0 ? "met" : "**missed**");
}
