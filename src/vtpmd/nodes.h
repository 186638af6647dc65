/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nodes.h - the nodes this daemon serves, and what each maps onto:
 * /dev/NAME, the device's node door; with --control-node (or --cdi) the
 * host's control node /dev/CTL, the device's control door; and beside them
 * /dev/RMNAME, the resource manager (src/rm) on the same TPM. Each node
 * gets its own /dev/cuse file (opened as root, before any chroot) and its
 * own loop thread once served.
 *
 * Nodes are created in the order of enum vtpmd_node: the control node
 * first, so that it exists by the time udev sees /dev/NAME appear (the
 * shipped rule grants a group only a node whose control node is there).
 *
 * Functions return 0 or -errno.
 */
#ifndef VTPMD_NODES_H
#define VTPMD_NODES_H

#include <stdbool.h>

#include "cuse/cuse_dev.h"
#include "device/device.h"
#include "rm/rm.h"

enum vtpmd_node {
	VTPMD_NODE_CONTROL = 0, /* /dev/CTL: the device's control door */
	VTPMD_NODE_TPM,         /* /dev/NAME: the device's node door */
	VTPMD_NODE_RM,          /* /dev/RMNAME: the resource manager */
	VTPMD_NODES
};

/* A node backed by one of the device's doors. */
struct vtpmd_door {
	struct vtpm *vtpm;
	enum vtpm_door door;
};

struct vtpmd_nodes {
	bool wanted[VTPMD_NODES];
	char name[VTPMD_NODES][128];
	int cuse_fd[VTPMD_NODES];       /* -1: not open */
	struct vtpmd_door door[VTPMD_NODES];
	struct cuse_node_options opt[VTPMD_NODES];
	struct rm *rm;                  /* VTPMD_NODE_RM's, set before serving */
};

/* The callbacks of a node backed by a door; CTX is a struct vtpmd_door. */
const struct cuse_node_ops *nodes_door_ops(void);

/* The nodes for device NAME (major/minor for /dev/NAME), and the control
 * node CONTROL (NULL: none; its numbers are the kernel's). Nothing opened. */
void nodes_init(struct vtpmd_nodes *n, const char *name, unsigned major,
		unsigned minor, const char *control);
/* The resource-managed node RMNAME beside it (major/minor for it), or,
 * WANTED false, none (a TPM 1.2 has none: its /dev/cuse file is closed). */
void nodes_want_rm(struct vtpmd_nodes *n, bool wanted, const char *rmname,
		   unsigned major, unsigned minor);
/* Open /dev/cuse once per wanted node; on error the node's name goes to
 * *FAILED and what was opened stays for nodes_close(). -ENODEV: no CUSE. */
int nodes_open_cuse(struct vtpmd_nodes *n, const char **failed);
/* Create the nodes on V and serve them until the run ends (see
 * cuse_server_run(); ON_READY runs once all exist). The /dev/cuse files
 * are handed over (closed by the time this returns). */
int nodes_serve(struct vtpmd_nodes *n, struct vtpm *v, int (*on_ready)(void *ctx),
		void *ctx);
/* Close what nodes_open_cuse() opened and nodes_serve() did not take. */
void nodes_close(struct vtpmd_nodes *n);

#endif
