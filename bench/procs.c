/* SPDX-License-Identifier: BSD-3-Clause */
/* procs.c - starting, stopping and weighing processes (see procs.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procs.h"
#include "stats.h"
#include "tpm_cmds.h"
#include "workload.h"

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* Child: stdin and stdout from /dev/null, stderr kept, then exec. */
pid_t spawn_cmd(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		execv(argv[0], argv);
		fprintf(stderr, "bench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid < 0 ? -errno : pid;
}

pid_t spawn_vtpmd(const char *vtpmd, const char *name, const char *dir,
		  const char *pidfile, const char *logfile, bool not_need_init,
		  char *const extra[], int nextra)
{
	char state[512], pid[512], log[512];
	char *argv[40];
	int i = 0, j;

	if (nextra < 0 || nextra > 20)
		return -E2BIG;
	/* a URI (file://PATH) is a backend-uri, anything else a directory */
	snprintf(state, sizeof(state), "%s=%s", strstr(dir, "://") ? "backend-uri" : "dir",
		 dir);
	snprintf(pid, sizeof(pid), "file=%s", pidfile);
	snprintf(log, sizeof(log), "file=%s,level=1", logfile);
	argv[i++] = (char *)vtpmd;
	argv[i++] = "-n";
	argv[i++] = (char *)name;
	argv[i++] = "--tpmstate";
	argv[i++] = state;
	argv[i++] = "--pid";
	argv[i++] = pid;
	argv[i++] = "--log";
	argv[i++] = log;
	if (not_need_init) {
		argv[i++] = "--flags";
		argv[i++] = "not-need-init,startup-clear";
	}
	for (j = 0; j < nextra; j++)
		argv[i++] = extra[j];
	argv[i] = NULL;
	return spawn_cmd(argv);
}

pid_t spawn_floor(const char *floor, const char *name, bool multithreaded)
{
	char *argv[] = { (char *)floor, "-n", (char *)name,
			 multithreaded ? "--mt" : NULL, NULL };

	return spawn_cmd(argv);
}

int wait_exit(pid_t child)
{
	int status;

	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

pid_t read_pidfile(const char *pidfile)
{
	char buf[32] = { 0 };
	int fd = open(pidfile, O_RDONLY);
	ssize_t n;
	long v;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : -EINVAL;
}

int wait_node(const char *name, unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/%s", name);
	while (stat(path, &st) != 0 || !S_ISCHR(st.st_mode)) {
		if (now_ns() > end)
			return -ETIMEDOUT;
		sleep_us(200);
	}
	return 0;
}

int answer_getrandom(int fd)
{
	uint8_t cmd[CMD_MAX], resp[RESP_MAX];
	ssize_t n = fd_transact(&fd, cmd, cmd_getrandom(cmd, 8), resp, sizeof(resp));

	close(fd);
	if (n < 0)
		return (int)n;
	return resp_rc(resp, (size_t)n) == 0 ? 0 : -EPROTO;
}

int first_answer(const char *name, unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	while ((fd = open(path, O_RDWR)) < 0) {
		if ((errno != ENOENT && errno != ENXIO && errno != ENODEV) ||
		    now_ns() > end)
			return errno == ENOENT ? -ETIMEDOUT : -errno;
		sleep_us(200);
	}
	return answer_getrandom(fd);
}

static bool gone(pid_t pid, const char *name)
{
	char path[256];
	struct stat st;
	int status;

	/* Reap it if it is our child; a zombie is gone for our purposes. */
	(void)waitpid(pid, &status, WNOHANG);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (stat(path, &st) == 0) {
		char buf[512];
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				p = strrchr(buf, ')');
			fclose(f);
		}
		if (!p || p[1] == '\0' || p[2] != 'Z')
			return false;
	}
	if (name) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		if (stat(path, &st) == 0)
			return false;
	}
	return true;
}

int stop_pid(pid_t pid, const char *name, unsigned timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000u;

	if (pid <= 0)
		return -EINVAL;
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return -errno;
	while (!gone(pid, name)) {
		if (now_ns() > end) {
			fprintf(stderr, "bench: pid %d ignored SIGTERM; SIGKILL\n", (int)pid);
			kill(pid, SIGKILL);
			return -ETIMEDOUT;
		}
		sleep_us(1000);
	}
	return 0;
}

/* "Key:   123 kB" lines of a /proc file into the matching fields. */
static int scan_kb(const char *path, const char *const keys[], long *vals[], int nkeys)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int i;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < nkeys; i++) {
			size_t kl = strlen(keys[i]);

			if (strncmp(line, keys[i], kl) == 0 && line[kl] == ':')
				*vals[i] = strtol(line + kl + 1, NULL, 10);
		}
	}
	fclose(f);
	return 0;
}

int read_mem(pid_t pid, struct mem *m)
{
	static const char *const skeys[] = { "VmHWM", "Threads" };
	static const char *const rkeys[] = { "Rss", "Pss", "Anonymous" };
	long threads = 0;
	long *svals[] = { &m->hwm, &threads };
	long *rvals[] = { &m->rss, &m->pss, &m->rss_anon };
	char path[64];
	int ret;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((ret = scan_kb(path, skeys, svals, 2)) < 0)
		return ret;
	m->threads = (int)threads;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((ret = scan_kb(path, rkeys, rvals, 3)) < 0)
		return ret;
	m->rss_file = m->rss - m->rss_anon;
	return 0;
}

/* The part a smaps header line (address range, perms, offset, device,
 * inode, path) belongs to. */
static void part_name(const char *header, char *name, size_t size)
{
	const char *path = header;
	const char *slash;
	size_t len;
	int field;

	for (field = 0; field < 5 && path; field++) {
		path = strchr(path, ' ');
		if (path)
			path += strspn(path, " ");
	}
	if (!path || *path == '\n' || *path == '\0') {
		snprintf(name, size, "[anonymous]");
		return;
	}
	slash = strrchr(path, '/');
	if (slash && path[0] == '/')
		path = slash + 1;
	len = strcspn(path, " \n");
	snprintf(name, size, "%.*s", (int)len, path);
}

static int by_rss(const void *a, const void *b)
{
	const struct mem_part *x = a, *y = b;

	return (y->rss > x->rss) - (y->rss < x->rss);
}

int read_mem_parts(pid_t pid, struct mem_part parts[], int max)
{
	struct mem_part all[64];
	char path[64], line[512], name[48] = "";
	int n = 0, cur = -1, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long from, to;
		char perms[8];
		long kb;

		if (sscanf(line, "%lx-%lx %7s", &from, &to, perms) == 3) {
			part_name(line, name, sizeof(name));
			for (cur = 0; cur < n && strcmp(all[cur].name, name) != 0; cur++)
				;
			if (cur == n && n < (int)(sizeof(all) / sizeof(all[0]))) {
				snprintf(all[n].name, sizeof(all[n].name), "%s", name);
				all[n].rss = all[n].anon = 0;
				n++;
			}
			if (cur == n)
				cur = -1;
		} else if (cur >= 0 && sscanf(line, "Rss: %ld kB", &kb) == 1) {
			all[cur].rss += kb;
		} else if (cur >= 0 && sscanf(line, "Anonymous: %ld kB", &kb) == 1) {
			all[cur].anon += kb;
		}
	}
	fclose(f);
	qsort(all, (size_t)n, sizeof(all[0]), by_rss);
	for (i = 0; i < n && i < max; i++)
		parts[i] = all[i];
	return i;
}
