/* SPDX-License-Identifier: BSD-3-Clause */
/* nodes.c - the daemon's nodes: CUSE callbacks onto the device's doors (the
 * node, the host's control node) and onto the resource manager. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "vtpmd/nodes.h"

/*
 * The loop of each node (cuse_node_options.threads): 0 is libfuse's
 * multithreaded loop with its default of up to 10 workers, N > 1 at most N
 * workers, 1 a single reader. The plain node has one open file: one reader
 * answers its write, then runs the command while the client comes back
 * for the response, and a standby reader takes CANCEL and the queries once
 * a command has run a while (cuse_dev.h). Measured beside swtpm's CUSE
 * mode, its commands were 5-15% faster than with libfuse's multithreaded
 * loop of two workers (shipped before), whose hand-offs between workers
 * cost what a single thread saves, and as fast as a single reader without
 * the standby, which cannot cancel. The resource-managed node serves many
 * open files, but every command runs under the one TPM lock: in four quiet
 * runs its single-threaded loop served 64 clients at 1.1-1.4x the
 * throughput of libfuse's default (at most 2 workers did no better than
 * the default), and it has no ioctl to answer during a command; it also
 * spares the workers' stacks and buffers. (One run under host load 10-20
 * had the default ahead, 1.8x.) make bench builds vtpmd with the other
 * choices and measures them side by side (bench/rm_bench.c,
 * bench/NOTES.md).
 */
#ifndef VTPMD_TPM_NODE_THREADS
#define VTPMD_TPM_NODE_THREADS 1
#endif
#ifndef VTPMD_TPM_NODE_STANDBY
#define VTPMD_TPM_NODE_STANDBY true
#endif
#ifndef VTPMD_RM_NODE_THREADS
#define VTPMD_RM_NODE_THREADS 1
#endif

static int door_open(void *ctx, void **file)
{
	struct vtpmd_door *d = ctx;

	*file = NULL;
	return vtpm_open(d->vtpm, d->door);
}

static void door_release(void *ctx, void *file)
{
	struct vtpmd_door *d = ctx;

	(void)file;
	vtpm_release(d->vtpm, d->door);
}

static ssize_t door_read(void *ctx, void *file, uint8_t *buf, size_t len)
{
	struct vtpmd_door *d = ctx;

	(void)file;
	return vtpm_read(d->vtpm, d->door, buf, len);
}

static ssize_t door_write(void *ctx, void *file, const uint8_t *buf, size_t len)
{
	struct vtpmd_door *d = ctx;

	(void)file;
	return vtpm_write_accept(d->vtpm, d->door, buf, len);
}

static void door_run(void *ctx, void *file, const uint8_t *buf, size_t len)
{
	struct vtpmd_door *d = ctx;

	(void)file;
	vtpm_write_run(d->vtpm, d->door, buf, len);
}

static unsigned door_poll(void *ctx, void *file)
{
	struct vtpmd_door *d = ctx;

	(void)file;
	return vtpm_poll(d->vtpm, d->door);
}

static int door_ioctl(void *ctx, void *file, unsigned int cmd, void *arg,
		      size_t *out_len)
{
	struct vtpmd_door *d = ctx;

	(void)file;
	return vtpm_ioctl(d->vtpm, d->door, cmd, arg, out_len);
}

static bool door_exit_requested(void *ctx)
{
	struct vtpmd_door *d = ctx;

	return vtpm_exit_requested(d->vtpm);
}

static struct cuse_node_ops door_ops = {
	.open = door_open,
	.release = door_release,
	.read = door_read,
	.write = door_write,
	.run = door_run,
	.poll = door_poll,
	.ioctl = door_ioctl,
	.exit_requested = door_exit_requested,
};

const struct cuse_node_ops *nodes_door_ops(void)
{
	door_ops.ioctl_max = vtpm_ioctl_max_size();
	return &door_ops;
}

/* The resource-managed node: an open file is a space; CTX is the nodes'
 * struct rm pointer. No ioctls, as the kernel's /dev/tpmrmN. */
static int rm_node_open(void *ctx, void **file)
{
	return rm_open(*(struct rm **)ctx, (struct rm_space **)file);
}

static void rm_node_release(void *ctx, void *file)
{
	(void)ctx;
	rm_release(file);
}

static ssize_t rm_node_read(void *ctx, void *file, uint8_t *buf, size_t len)
{
	(void)ctx;
	return rm_read(file, buf, len);
}

static ssize_t rm_node_write(void *ctx, void *file, const uint8_t *buf, size_t len)
{
	(void)ctx;
	return rm_write(file, buf, len);
}

static unsigned rm_node_poll(void *ctx, void *file)
{
	(void)ctx;
	return rm_poll(file);
}

static const struct cuse_node_ops rm_ops = {
	.open = rm_node_open,
	.release = rm_node_release,
	.read = rm_node_read,
	.write = rm_node_write,
	.poll = rm_node_poll,
};

void nodes_init(struct vtpmd_nodes *n, const char *name, unsigned major,
		unsigned minor, const char *control)
{
	for (int i = 0; i < VTPMD_NODES; i++) {
		n->wanted[i] = false;
		n->cuse_fd[i] = -1;
	}
	n->wanted[VTPMD_NODE_TPM] = true;
	snprintf(n->name[VTPMD_NODE_TPM], sizeof(n->name[0]), "%s", name);
	n->door[VTPMD_NODE_TPM].door = VTPM_DOOR_NODE;
	n->opt[VTPMD_NODE_TPM] = (struct cuse_node_options){
		.name = n->name[VTPMD_NODE_TPM],
		.major = major,
		.minor = minor,
		.ops = nodes_door_ops(),
		.ctx = &n->door[VTPMD_NODE_TPM],
		.threads = VTPMD_TPM_NODE_THREADS,
		.standby = VTPMD_TPM_NODE_STANDBY,
	};
	if (!control)
		return;
	n->wanted[VTPMD_NODE_CONTROL] = true;
	snprintf(n->name[VTPMD_NODE_CONTROL], sizeof(n->name[0]), "%s", control);
	n->door[VTPMD_NODE_CONTROL].door = VTPM_DOOR_CONTROL;
	n->opt[VTPMD_NODE_CONTROL] = (struct cuse_node_options){
		.name = n->name[VTPMD_NODE_CONTROL],
		.ops = nodes_door_ops(),
		.ctx = &n->door[VTPMD_NODE_CONTROL],
		.threads = 0,   /* CANCEL while the host's own command runs */
	};
}

void nodes_want_rm(struct vtpmd_nodes *n, bool wanted, const char *rmname,
		   unsigned major, unsigned minor)
{
	n->wanted[VTPMD_NODE_RM] = wanted;
	if (!wanted) {
		if (n->cuse_fd[VTPMD_NODE_RM] >= 0)
			close(n->cuse_fd[VTPMD_NODE_RM]);
		n->cuse_fd[VTPMD_NODE_RM] = -1;
		return;
	}
	snprintf(n->name[VTPMD_NODE_RM], sizeof(n->name[0]), "%s", rmname);
	n->opt[VTPMD_NODE_RM] = (struct cuse_node_options){
		.name = n->name[VTPMD_NODE_RM],
		.major = major,
		.minor = minor,
		.ops = &rm_ops,
		.ctx = &n->rm,
		.threads = VTPMD_RM_NODE_THREADS,
	};
}

int nodes_open_cuse(struct vtpmd_nodes *n, const char **failed)
{
	for (int i = 0; i < VTPMD_NODES; i++) {
		if (!n->wanted[i])
			continue;
		n->cuse_fd[i] = cuse_node_open();
		if (n->cuse_fd[i] < 0) {
			int ret = n->cuse_fd[i];

			n->cuse_fd[i] = -1;
			*failed = n->name[i];
			return ret;
		}
	}
	return 0;
}

int nodes_serve(struct vtpmd_nodes *n, struct vtpm *v, int (*on_ready)(void *ctx),
		void *ctx)
{
	struct cuse_server *s = cuse_server_new();
	int ret = s ? 0 : -ENOMEM;

	for (int i = 0; i < VTPMD_NODES; i++) {
		if (!n->wanted[i])
			continue;
		n->door[i].vtpm = v;
		if (ret == 0)
			ret = cuse_server_add(s, &n->opt[i], n->cuse_fd[i]);
		else
			close(n->cuse_fd[i]);
		n->cuse_fd[i] = -1;
	}
	if (ret == 0)
		ret = cuse_server_run(s, on_ready, ctx);
	cuse_server_free(s);
	return ret;
}

void nodes_close(struct vtpmd_nodes *n)
{
	for (int i = 0; i < VTPMD_NODES; i++) {
		if (n->cuse_fd[i] >= 0)
			close(n->cuse_fd[i]);
		n->cuse_fd[i] = -1;
	}
}
