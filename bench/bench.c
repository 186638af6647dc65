/* SPDX-License-Identifier: BSD-3-Clause */
/* bench.c - the helpers every phase of vtpmbench uses (see bench.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

void progress(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void path_in_work(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", cfg.work, name);
}

void print_log(const char *logfile)
{
	char line[512];
	FILE *f = fopen(logfile, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  log: %s", line);
	fclose(f);
}

pid_t start_vtpmd(const char *name, const char *dir, double *ms)
{
	char pidfile[512], logfile[512];
	uint64_t t0;
	pid_t child, pid;
	int st;

	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", cfg.work, name);
	snprintf(logfile, sizeof(logfile), "%s/%s.log", cfg.work, name);
	unlink(pidfile);
	t0 = now_ns();
	child = spawn_vtpmd(cfg.vtpmd, name, dir, pidfile, logfile, true, cfg.extra,
			    cfg.nextra);
	if (child < 0 || (st = wait_exit(child)) != 0) {
		progress("vtpmd -n %s did not start", name);
		print_log(logfile);
		return -1;
	}
	if (first_answer(name, NODE_TIMEOUT_MS) < 0) {
		progress("/dev/%s did not answer", name);
		print_log(logfile);
		return -1;
	}
	if (ms)
		*ms = (double)(now_ns() - t0) / 1e6;
	pid = read_pidfile(pidfile);
	if (pid < 0)
		progress("no pid in %s", pidfile);
	return pid;
}

int open_dev(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		progress("open %s: %s", path, strerror(errno));
	return fd;
}
