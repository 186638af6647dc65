/* SPDX-License-Identifier: BSD-3-Clause */
/* slot.c - claims as symlinks, under one lock per pool. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/number.h"
#include "vtpm-cdi/proc.h"
#include "vtpm-cdi/slot.h"

int run_dir_open_locked(const char *path, struct run_dir *r)
{
	int ret;

	r->fd = r->lock_fd = -1;
	if (mkdir(path, 0711) < 0 && errno != EEXIST)
		return -errno;
	r->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	r->lock_fd = openat(r->fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->lock_fd < 0) {
		ret = -errno;
		run_dir_close(r);
		return ret;
	}
	while (flock(r->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			run_dir_close(r);
			return ret;
		}
	}
	return 0;
}

void run_dir_close(struct run_dir *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);         /* releases the lock */
	if (r->fd >= 0)
		close(r->fd);
	r->fd = r->lock_fd = -1;
}

int container_dir_name(char *buf, size_t len, const char *id)
{
	int n = snprintf(buf, len, "c-%s", id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "claim-SLOT"; SLOT is a CDI slot name (letters, digits, '_', '-', '.'). */
static int claim_name(char *buf, size_t len, const char *slot)
{
	int n = snprintf(buf, len, "claim-%s", slot);

	return n < 0 || (size_t)n >= len || strchr(slot, '/') ? -EINVAL : 0;
}

/* A claim's text: "ID PID START BOOT", or a bare "ID" (older vtpm-cdi). */
static int claim_parse(const char *text, struct slot_holder *h)
{
	const char *sp = strchr(text, ' ');
	size_t idlen = sp ? (size_t)(sp - text) : strlen(text);

	memset(h, 0, sizeof(*h));
	if (idlen == 0 || idlen > OCI_ID_MAX)
		return -EINVAL;
	memcpy(h->id, text, idlen);
	h->id[idlen] = '\0';
	if (!oci_id_valid(h->id))
		return -EINVAL;
	h->has_init = sp && proc_id_parse(sp + 1, &h->init) == 0;
	return 0;
}

int slot_owner(struct run_dir *r, const char *slot, struct slot_holder *h)
{
	char name[128], text[OCI_ID_MAX + 128];
	ssize_t len;

	memset(h, 0, sizeof(*h));
	if (claim_name(name, sizeof(name), slot) < 0)
		return -EINVAL;
	len = readlinkat(r->fd, name, text, sizeof(text) - 1);
	if (len < 0)
		return -errno;
	text[len] = '\0';
	return claim_parse(text, h);
}

int slot_examine(struct run_dir *r, const char *slot, const char *id, struct slot_holder *h,
		 char *why, size_t whylen)
{
	int ret = slot_owner(r, slot, h), alive;

	if (whylen)
		why[0] = '\0';
	if (ret == -ENOENT)
		return SLOT_FREE;
	if (ret == -EINVAL) {
		snprintf(why, whylen, "its claim (claim-%s) names no valid container", slot);
		return SLOT_IN_DOUBT;
	}
	if (ret < 0)
		return ret;
	if (strcmp(h->id, id) == 0)
		return SLOT_OURS;
	if (!h->has_init) {
		snprintf(why, whylen, "container %.64s claimed it without recording its init process",
			 h->id);
		return SLOT_IN_DOUBT;
	}
	alive = proc_id_alive(&h->init);
	if (alive < 0) {
		snprintf(why, whylen, "whether container %.64s (init pid %d) still runs cannot be told: %s",
			 h->id, (int)h->init.pid, strerror(-alive));
		return SLOT_IN_DOUBT;
	}
	return alive ? SLOT_HELD : SLOT_ABANDONED;
}

int slot_take(struct run_dir *r, const char *slot, const char *id, const struct proc_id *init)
{
	char name[128], tmp[136], text[OCI_ID_MAX + 128], ident[96];
	int ret = proc_id_format(init, ident, sizeof(ident));

	if (ret < 0)
		return ret;
	if (snprintf(text, sizeof(text), "%s %s", id, ident) >= (int)sizeof(text))
		return -ENAMETOOLONG;
	if (claim_name(name, sizeof(name), slot) < 0)
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s.new", name);
	/* One rename: the claim is the old one or the new one, never none. */
	if (unlinkat(r->fd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	if (symlinkat(text, r->fd, tmp) < 0)
		return -errno;
	if (renameat(r->fd, tmp, r->fd, name) < 0) {
		ret = -errno;
		unlinkat(r->fd, tmp, 0);
		return ret;
	}
	return 0;
}

int slot_release(struct run_dir *r, const char *slot)
{
	char name[128];

	if (claim_name(name, sizeof(name), slot) < 0)
		return -EINVAL;
	if (unlinkat(r->fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Up to LEN - 1 bytes of c-ID/LEAF, NUL-terminated. */
static int read_leaf(struct run_dir *r, const char *id, const char *leaf, char *buf,
		     size_t len)
{
	char path[OCI_ID_MAX + 32];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "c-%s/%s", id, leaf) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = openat(r->fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

pid_t container_vtpmd_pid(struct run_dir *r, const char *id)
{
	char buf[32];
	uint64_t pid;
	size_t len;
	int ret = read_leaf(r, id, "vtpmd.pid", buf, sizeof(buf));

	if (ret < 0)
		return ret;
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';           /* the line vtpmd --pid writes */
	if (number_parse(buf, NUMBER_DEC, INT_MAX, &pid) < 0 || pid <= 1)
		return -EINVAL;
	return (pid_t)pid;
}

int container_vtpmd_record(struct run_dir *r, const char *id, struct proc_id *out)
{
	char path[OCI_ID_MAX + 32], text[96];
	pid_t pid = container_vtpmd_pid(r, id);
	int fd, ret;

	if (pid < 0)
		return pid;
	ret = proc_id_of(pid, out);
	if (ret == 0)
		ret = proc_id_format(out, text, sizeof(text));
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "c-%s/vtpmd.id", id);
	fd = openat(r->fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = dprintf(fd, "%s\n", text) < 0 ? -EIO : 0;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

int container_vtpmd(struct run_dir *r, const char *id, struct proc_id *out)
{
	char buf[96];
	int ret = read_leaf(r, id, "vtpmd.id", buf, sizeof(buf));

	if (ret < 0)
		return ret;
	buf[strcspn(buf, "\n")] = '\0';
	return proc_id_parse(buf, out);
}
