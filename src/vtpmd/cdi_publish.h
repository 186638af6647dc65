/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cdi_publish.h - vtpmd --cdi: a CDI spec for this daemon's device, there
 * exactly while the device is.
 *
 *   start-up (root, before --chroot)   cdi_publisher_open(): open (or create)
 *                       the spec directory and /dev, so both are the host's
 *   device (root, node just created)   cdi_publish(): read the node's
 *                       numbers, write the spec atomically, fork the janitor
 *                       (cdi_janitor.h); the daemon then closes both
 *                       directories: it never touches them again, so its
 *                       seccomp allow-list needs nothing for CDI
 *   exit (any user, filtered)          cdi_unpublish(): close the janitor's
 *                       pipe and wait for it to have removed the file
 *
 * Functions return 0 or -errno.
 */
#ifndef VTPMD_CDI_PUBLISH_H
#define VTPMD_CDI_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "cdispec/cdi_spec.h"
#include "vtpmd/cdi_janitor.h"

struct cdi_publisher {
	int dir_fd;             /* the spec directory, until published */
	int dev_fd;             /* /dev, where the node's numbers are read */
	char file[256];         /* the spec's name in dir_fd */
	bool published;
	struct cdi_janitor janitor;
};

struct cdi_publish_args {
	const char *devname;            /* the node is /dev/DEVNAME; the CDI name too */
	const char *kind;               /* VENDOR/CLASS */
	const char *container_path;     /* e.g. /dev/tpm0 */
	/* The resource-managed node: /dev/RM_DEVNAME on the host, seen as
	 * RM_CONTAINER_PATH (e.g. /dev/tpmrm0); none if RM_DEVNAME is NULL. */
	const char *rm_devname;
	const char *rm_container_path;
	enum seccomp_action seccomp;    /* for the janitor's filter */
};

void cdi_publisher_init(struct cdi_publisher *p);

/*
 * Open DIR (created 0755 if missing) for DEVNAME's spec. The directory must
 * be root's and writable by its owner: the janitor removes the file as uid
 * 0 without capabilities. On error, one line in ERR.
 */
int cdi_publisher_open(struct cdi_publisher *p, const char *dir, const char *devname,
		       char *err, size_t errlen);

/* Write the spec and start the janitor. On error, one line in ERR and no
 * file left behind. */
int cdi_publish(struct cdi_publisher *p, const struct cdi_publish_args *a,
		char *err, size_t errlen);

/* Remove the spec (through the janitor), log what happened, close all. */
void cdi_unpublish(struct cdi_publisher *p);

#endif
