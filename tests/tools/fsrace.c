/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fsrace.c - run COMMAND and, at the Nth event inotify reports in the
 * watched directories (and in the temporary directories COMMAND makes in
 * them), act on it from another process: what an attacker who may write
 * one of those directories can do, or a signal at that step.
 *
 *   fsrace --at N --watch DIR [--watch DIR]... ACTION -- COMMAND [ARG]...
 *
 * ACTION is one of
 *   --swap VICTIM --as USER   rename COMMAND's newest temporary directory
 *                             (a name holding ".vtpm-setup-") aside to
 *                             NAME~ and put a symbolic link to VICTIM in
 *                             its place, with USER's file system rights
 *                             (issue 18, item 9: a parent others may write)
 *   --signal SIG              send SIG (a number) to COMMAND
 *
 * Events counted: IN_CREATE, IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_FROM,
 * IN_MOVED_TO, IN_DELETE. Prints one line: "acted at event N: EVENT NAME",
 * "action at event N failed: WHY" or "no action: M events"; exits with
 * COMMAND's exit status (128 + signal if a signal ended it), 2 on a usage
 * or system error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WATCHES 64
#define EVENTS (IN_CREATE | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | \
		IN_DELETE)

static struct {
	int wd;
	char path[PATH_MAX];
} watches[MAX_WATCHES];
static int nwatches;

static void usage(void)
{
	fprintf(stderr, "usage: fsrace --at N --watch DIR... (--swap VICTIM --as USER | "
		"--signal SIG) -- COMMAND [ARG]...\n");
	exit(2);
}

static void add_watch(int fd, const char *path)
{
	int wd;

	if (nwatches == MAX_WATCHES)
		return;
	wd = inotify_add_watch(fd, path, EVENTS);
	if (wd < 0)
		return;         /* gone already */
	watches[nwatches].wd = wd;
	snprintf(watches[nwatches].path, sizeof(watches[nwatches].path), "%s", path);
	nwatches++;
}

static const char *watch_path(int wd)
{
	for (int i = 0; i < nwatches; i++)
		if (watches[i].wd == wd)
			return watches[i].path;
	return "?";
}

static const char *event_name(uint32_t mask)
{
	return mask & IN_CREATE ? "IN_CREATE" : mask & IN_ATTRIB ? "IN_ATTRIB" :
		mask & IN_CLOSE_WRITE ? "IN_CLOSE_WRITE" : mask & IN_MOVED_FROM ?
		"IN_MOVED_FROM" : mask & IN_MOVED_TO ? "IN_MOVED_TO" : "IN_DELETE";
}

/* Rename TMP aside and link VICTIM in its place, as UID/GID. */
static int swap(const char *tmp, const char *victim, uid_t uid, gid_t gid)
{
	char aside[PATH_MAX + 2];
	int err = 0;

	if (snprintf(aside, sizeof(aside), "%s~", tmp) >= (int)sizeof(aside))
		return ENAMETOOLONG;
	setfsgid(gid);
	setfsuid(uid);
	if (rename(tmp, aside) < 0 || symlink(victim, tmp) < 0)
		err = errno;
	setfsuid(0);
	setfsgid(0);
	return err;
}

static int exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'n' },
		{ "watch", required_argument, NULL, 'w' },
		{ "swap", required_argument, NULL, 's' },
		{ "as", required_argument, NULL, 'u' },
		{ "signal", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *victim = NULL, *dirs[MAX_WATCHES];
	char tmp[PATH_MAX * 2] = "", buf[8192] __attribute__((aligned(8)));
	unsigned long at = 0, count = 0;
	int ndirs = 0, sig = 0, fd, c, status;
	uid_t uid = 0;
	gid_t gid = 0;
	bool acted = false;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			at = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			if (ndirs < MAX_WATCHES)
				dirs[ndirs++] = optarg;
			break;
		case 's':
			victim = optarg;
			break;
		case 'u': {
			struct passwd *pw = getpwnam(optarg);

			if (!pw) {
				fprintf(stderr, "fsrace: no user %s\n", optarg);
				return 2;
			}
			uid = pw->pw_uid;
			gid = pw->pw_gid;
			break;
		}
		case 'k':
			sig = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (at == 0 || ndirs == 0 || optind >= argc || !victim == !sig)
		usage();
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		perror("fsrace: inotify_init1");
		return 2;
	}
	for (int i = 0; i < ndirs; i++)
		add_watch(fd, dirs[i]);
	pid = fork();
	if (pid < 0) {
		perror("fsrace: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		perror("fsrace: exec");
		_exit(127);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (poll(&p, 1, 20) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		for (char *q = buf; n > 0 && q < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)q;
			char path[PATH_MAX];

			q += sizeof(*e) + e->len;
			if (acted || !(e->mask & EVENTS))
				continue;
			snprintf(path, sizeof(path), "%.2048s/%.1024s", watch_path(e->wd),
				 e->len ? e->name : "");
			if ((e->mask & IN_CREATE) && (e->mask & IN_ISDIR) && e->len &&
			    strstr(e->name, ".vtpm-setup-") && !strchr(e->name, '~')) {
				snprintf(tmp, sizeof(tmp), "%s", path);
				add_watch(fd, path);
			}
			if (++count != at)
				continue;
			acted = true;
			if (sig) {
				kill(pid, sig);
				printf("acted at event %lu: %s %s\n", count, event_name(e->mask), path);
			} else if (!tmp[0]) {
				printf("action at event %lu failed: no temporary directory yet\n",
				       count);
			} else {
				int err = swap(tmp, victim, uid, gid);

				if (err)
					printf("action at event %lu failed: %s\n", count,
					       strerror(err));
				else
					printf("acted at event %lu: %s %s\n", count,
					       event_name(e->mask), path);
			}
			fflush(stdout);
		}
	}
	if (!acted)
		printf("no action: %lu events\n", count);
	return exit_status(status);
}
