/* SPDX-License-Identifier: BSD-3-Clause */
/* notify.c - READY=1 / STOPPING=1 to $NOTIFY_SOCKET (see notify.h). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "os/log.h"
#include "os/notify.h"

static int notify_fd = -1;

/* Fill ADDR from NAME; '@' at the start names an abstract socket (leading
 * NUL byte, no terminator counted). Returns the address length or -errno. */
static int notify_address(const char *name, struct sockaddr_un *addr)
{
	size_t len = strlen(name);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	/* systemd only ever passes these two forms */
	if ((name[0] != '/' && name[0] != '@') || len < 2)
		return -EINVAL;
	if (len >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memcpy(addr->sun_path, name, len);
	if (name[0] == '@') {
		addr->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int notify_open(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	int len, fd, ret;

	if (!name || !*name || notify_fd >= 0)
		return 0;
	len = notify_address(name, &addr);
	if (len < 0) {
		log_error("NOTIFY_SOCKET '%s': %s", name, strerror(-len));
		return len;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		log_error("NOTIFY_SOCKET: cannot create a socket: %s", strerror(errno));
		return ret;
	}
	/* Connecting resolves the path now, while we may still reach it. */
	if (connect(fd, (struct sockaddr *)&addr, (socklen_t)len) < 0) {
		ret = -errno;
		log_error("NOTIFY_SOCKET '%s': %s", name, strerror(errno));
		close(fd);
		return ret;
	}
	notify_fd = fd;
	return 0;
}

int notify_send(const char *state)
{
	ssize_t n;

	if (notify_fd < 0)
		return 0;
	/* write(), not send(): the seccomp allow-list has it anyway, and on a
	 * connected datagram socket it sends one datagram all the same. */
	n = write(notify_fd, state, strlen(state));
	if (n < 0) {
		int ret = -errno;

		log_error("NOTIFY_SOCKET: cannot send %s: %s", state, strerror(errno));
		return ret;
	}
	log_debug("sent %s to the service manager", state);
	return 0;
}

void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
