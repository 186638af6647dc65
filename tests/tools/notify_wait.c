/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify_wait - play systemd's part of the Type=notify protocol for a test.
 *
 *   notify_wait SOCKET NODE TIMEOUT_S -- COMMAND [ARG...]
 *
 * Binds a datagram socket at SOCKET ("@name" = abstract), starts COMMAND with
 * NOTIFY_SOCKET=SOCKET, and prints one line per event:
 *   pid N                      COMMAND started
 *   node-before-ready yes|no   whether NODE existed when the first message came
 *   msg TEXT                   a message (newlines shown as ';')
 *   ready-open ok|ERRNO        open(NODE, O_RDWR) right after READY=1 arrived
 *   ready-probe HEX|ERRNO      TPM2_GetRandom(8) on that file: the response rc
 *   sent SIGTERM               after the probe, to see STOPPING=1
 *   exit N | signal N          how COMMAND ended
 *   timeout                    TIMEOUT_S passed first (COMMAND is killed)
 * Exit status: 0 when COMMAND ended by itself, 1 on timeout, 2 on usage or
 * setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const uint8_t cmd_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case ENXIO: return "ENXIO";
	case ENODEV: return "ENODEV";
	case EIO: return "EIO";
	case EINTR: return "EINTR";
	default: return strerror(e);
	}
}

static int bind_socket(const char *name)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd;

	if (len < 2 || len >= sizeof(addr.sun_path)) {
		fprintf(stderr, "notify_wait: bad socket name '%s'\n", name);
		return -1;
	}
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	else
		len++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		perror("notify_wait: socket");
		return -1;
	}
	return fd;
}

/* Open NODE as a client would the moment READY=1 arrives, and use it once. */
static void probe_node(const char *node)
{
	uint8_t resp[64];
	ssize_t n;
	int fd = open(node, O_RDWR);

	if (fd < 0) {
		printf("ready-open %s\n", errno_name(errno));
		return;
	}
	printf("ready-open ok\n");
	if (write(fd, cmd_getrandom8, sizeof(cmd_getrandom8)) != (ssize_t)sizeof(cmd_getrandom8)) {
		printf("ready-probe %s\n", errno_name(errno));
	} else if ((n = read(fd, resp, sizeof(resp))) < 10) {
		printf("ready-probe %s\n", n < 0 ? errno_name(errno) : "short");
	} else {
		printf("ready-probe %02x%02x%02x%02x\n", resp[6], resp[7], resp[8], resp[9]);
	}
	close(fd);
}

/* One "msg" line; the newlines between assignments shown as ';'. */
static void print_msg(char *msg)
{
	for (char *c = msg; *c; c++)
		if (*c == '\n')
			*c = ';';
	printf("msg %s\n", msg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *sock_name, *node;
	bool first = true, terminated = false;
	double deadline;
	int fd, status;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: notify_wait SOCKET NODE TIMEOUT_S -- COMMAND [ARG...]\n");
		return 2;
	}
	sock_name = argv[1];
	node = argv[2];
	deadline = now() + atof(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = bind_socket(sock_name);
	if (fd < 0)
		return 2;

	pid = fork();
	if (pid < 0) {
		perror("notify_wait: fork");
		return 2;
	}
	if (pid == 0) {
		setenv("NOTIFY_SOCKET", sock_name, 1);
		execvp(argv[5], argv + 5);
		perror("notify_wait: exec");
		_exit(127);
	}
	printf("pid %d\n", (int)pid);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = (int)((deadline - now()) * 1000);
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (left <= 0) {
			printf("timeout\n");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			if (sock_name[0] == '/')
				unlink(sock_name);
			return 1;
		}
		if (poll(&p, 1, left < 100 ? left : 100) == 1) {
			char msg[4096];
			ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
			struct stat st;

			if (n < 0)
				continue;
			msg[n] = '\0';
			if (first) {
				printf("node-before-ready %s\n", stat(node, &st) == 0 ? "yes" : "no");
				first = false;
			}
			print_msg(msg);
			if (strstr(msg, "READY=1") && !terminated) {
				probe_node(node);
				kill(pid, SIGTERM);
				printf("sent SIGTERM\n");
				terminated = true;
			}
		}
	}
	/* Messages sent just before the exit are still queued. */
	for (;;) {
		char msg[4096];
		ssize_t n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);

		if (n < 0)
			break;
		msg[n] = '\0';
		print_msg(msg);
	}
	if (WIFEXITED(status))
		printf("exit %d\n", WEXITSTATUS(status));
	else
		printf("signal %d\n", WTERMSIG(status));
	if (sock_name[0] == '/')
		unlink(sock_name);
	return 0;
}
