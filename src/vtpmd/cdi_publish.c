/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_publish.c - vtpmd's own CDI spec: written once the node exists, removed at exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cdispec/cdi_file.h"
#include "vtpmd/cdi_publish.h"
#include "cdispec/cdi_spec.h"
#include "os/log.h"

static void close_dirs(struct cdi_publisher *p)
{
	if (p->dir_fd >= 0)
		close(p->dir_fd);
	if (p->dev_fd >= 0)
		close(p->dev_fd);
	p->dir_fd = p->dev_fd = -1;
}

void cdi_publisher_init(struct cdi_publisher *p)
{
	memset(p, 0, sizeof(*p));
	p->dir_fd = p->dev_fd = -1;
	p->janitor.pid = -1;
	p->janitor.release_fd = p->janitor.result_fd = -1;
}

int cdi_publisher_open(struct cdi_publisher *p, const char *dir, const char *devname,
		       char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (cdi_file_name_device(p->file, sizeof(p->file), devname) < 0)
		return log_errline(err, errlen, -EIO,
				   "--cdi: device name '%s' is too long", devname);
	ret = cdi_dir_open(dir, &p->dir_fd);
	if (ret < 0)
		return log_errline(err, errlen, -EIO,
				   "--cdi: cannot open or create '%s': %s", dir,
				   strerror(-ret));
	if (fstat(p->dir_fd, &st) < 0) {
		ret = errno;
		close_dirs(p);
		return log_errline(err, errlen, -EIO,
				   "--cdi: '%s': %s", dir, strerror(ret));
	}
	if (st.st_uid != 0 || (st.st_mode & 0300) != 0300) {
		close_dirs(p);
		return log_errline(err, errlen, -EIO,
				   "--cdi: '%s' must belong to root and be writable by it (a spec directory anyone else may write lets them run hooks as root)",
				   dir);
	}
	p->dev_fd = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->dev_fd < 0) {
		ret = errno;
		close_dirs(p);
		return log_errline(err, errlen, -EIO,
				   "--cdi: cannot open /dev: %s", strerror(ret));
	}
	return 0;
}

/* The numbers of the node the kernel just made, dynamic or fixed. */
static int node_numbers(struct cdi_publisher *p, const char *devname, struct stat *st,
			char *err, size_t errlen)
{
	int ret;

	errno = 0;
	if (fstatat(p->dev_fd, devname, st, 0) < 0 || !S_ISCHR(st->st_mode)) {
		ret = errno ? errno : ENODEV;
		close_dirs(p);
		return log_errline(err, errlen, -EIO,
				   "--cdi: cannot read the numbers of /dev/%s: %s",
				   devname, strerror(ret));
	}
	return 0;
}

int cdi_publish(struct cdi_publisher *p, const struct cdi_publish_args *a,
		char *err, size_t errlen)
{
	char host_path[300], rm_host_path[300], why[256];
	struct cdi_device dev;
	struct stat st, rm_st;
	char *json = NULL;
	size_t len;
	int ret;

	if (p->dir_fd < 0)
		return 0;
	if ((ret = node_numbers(p, a->devname, &st, err, errlen)) < 0 ||
	    (a->rm_devname && (ret = node_numbers(p, a->rm_devname, &rm_st, err, errlen)) < 0))
		return ret;
	snprintf(host_path, sizeof(host_path), "/dev/%s", a->devname);
	dev = (struct cdi_device){
		.name = a->devname,
		.path = a->container_path,
		.host_path = host_path,
		.major = major(st.st_rdev),
		.minor = minor(st.st_rdev),
		.file_mode = CDI_NODE_MODE,
	};
	if (a->rm_devname) {
		snprintf(rm_host_path, sizeof(rm_host_path), "/dev/%s", a->rm_devname);
		dev.rm_path = a->rm_container_path;
		dev.rm_host_path = rm_host_path;
		dev.rm_major = major(rm_st.st_rdev);
		dev.rm_minor = minor(rm_st.st_rdev);
	}
	ret = cdi_spec_format(a->kind, &dev, 1, &json, &len, why, sizeof(why));
	if (ret < 0) {
		close_dirs(p);
		return log_errline(err, errlen, -EIO, "--cdi: %s", why);
	}
	ret = cdi_file_write(p->dir_fd, p->file, json, len, why, sizeof(why));
	free(json);
	if (ret < 0) {
		close_dirs(p);
		return log_errline(err, errlen, -EIO,
				   "--cdi: cannot write %s: %s", p->file, why);
	}
	ret = cdi_janitor_start(&p->janitor, p->dir_fd, p->file, a->seccomp);
	if (ret < 0) {
		/* Still root here: take the file back ourselves. */
		cdi_file_remove(p->dir_fd, p->file);
		close_dirs(p);
		return log_errline(err, errlen, -EIO,
				   "--cdi: cannot start the spec's remover: %s",
				   strerror(-ret));
	}
	p->published = true;
	close_dirs(p);
	log_info("CDI: %s=%s (%u:%u) published as %s", a->kind, a->devname,
		 dev.major, dev.minor, p->file);
	return 0;
}

void cdi_unpublish(struct cdi_publisher *p)
{
	int ret;

	close_dirs(p);
	if (!p->published)
		return;
	p->published = false;
	ret = cdi_janitor_finish(&p->janitor);
	if (ret == 0)
		log_info("CDI: %s removed", p->file);
	else if (ret == -ECHILD)
		log_error("CDI: the spec's remover ended early; %s may be left behind", p->file);
	else
		log_error("CDI: cannot remove %s: %s", p->file, strerror(-ret));
}
