/* SPDX-License-Identifier: BSD-3-Clause */
/* cuse_dev.c - libfuse3 CUSE callbacks -> device model calls. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include "cuse/cuse_dev.h"
#include "os/log.h"

struct cuse_dev {
	struct vtpm *vtpm;
	const struct cuse_dev_options *opt;
	struct fuse_session *se;
	bool ready;

	/* The last poll handle the kernel gave us; woken when a response lands. */
	pthread_mutex_t poll_lock;
	struct fuse_pollhandle *ph;
};

static struct cuse_dev *active;

static struct cuse_dev *dev_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void on_init_done(void *userdata)
{
	struct cuse_dev *d = userdata;

	d->ready = true;
	log_info("/dev/%s is ready", d->opt->name);
	if (d->opt->on_ready)
		d->opt->on_ready(d->opt->ctx);
}

static void on_open(fuse_req_t req, struct fuse_file_info *fi)
{
	int ret = vtpm_open(dev_of(req)->vtpm);

	if (ret < 0) {
		fuse_reply_err(req, -ret);
		return;
	}
	/* A character device: no page cache, no seeking. */
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void wake_poller(struct cuse_dev *d)
{
	struct fuse_pollhandle *ph;

	pthread_mutex_lock(&d->poll_lock);
	ph = d->ph;
	d->ph = NULL;
	pthread_mutex_unlock(&d->poll_lock);
	if (ph) {
		fuse_lowlevel_notify_poll(ph);
		fuse_pollhandle_destroy(ph);
	}
}

static void on_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct cuse_dev *d = dev_of(req);

	(void)fi;
	vtpm_release(d->vtpm);
	wake_poller(d);
	fuse_reply_err(req, 0);
}

static void on_read(fuse_req_t req, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct cuse_dev *d = dev_of(req);
	uint8_t buf[4096];
	ssize_t n;

	(void)off;
	(void)fi;
	if (size > sizeof(buf))
		size = sizeof(buf);
	n = vtpm_read(d->vtpm, buf, size);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, (const char *)buf, (size_t)n);
}

static void on_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct cuse_dev *d = dev_of(req);
	ssize_t n;

	(void)off;
	(void)fi;
	n = vtpm_write(d->vtpm, (const uint8_t *)buf, size);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	fuse_reply_write(req, (size_t)n);
	wake_poller(d);
}

static void on_poll(fuse_req_t req, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct cuse_dev *d = dev_of(req);
	struct fuse_pollhandle *old = NULL;

	(void)fi;
	if (ph) {
		pthread_mutex_lock(&d->poll_lock);
		old = d->ph;
		d->ph = ph;
		pthread_mutex_unlock(&d->poll_lock);
		if (old)
			fuse_pollhandle_destroy(old);
	}
	fuse_reply_poll(req, vtpm_poll(d->vtpm));
}

/*
 * Restricted ioctls only: the kernel derives both sizes from the request
 * code, so a well-formed call arrives with exactly _IOC_SIZE bytes in (for
 * _IOC_WRITE) and room for _IOC_SIZE bytes out (for _IOC_READ). Anything
 * else is refused before the device model sees it.
 */
static void on_ioctl(fuse_req_t req, int cmd_signed, void *arg,
		     struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct cuse_dev *d = dev_of(req);
	unsigned int cmd = (unsigned int)cmd_signed;
	size_t size = _IOC_SIZE(cmd), max = vtpm_ioctl_max_size(), out_len = 0;
	size_t want_in = (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0;
	size_t want_out = (_IOC_DIR(cmd) & _IOC_READ) ? size : 0;
	void *buf;
	int ret;

	(void)arg;
	(void)fi;
	if ((flags & FUSE_IOCTL_UNRESTRICTED) || size > max ||
	    in_bufsz != want_in || out_bufsz != want_out) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	buf = calloc(1, max);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (in_bufsz)
		memcpy(buf, in_buf, in_bufsz);
	ret = vtpm_ioctl(d->vtpm, cmd, buf, &out_len);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_ioctl(req, 0, buf, out_len < out_bufsz ? out_len : out_bufsz);
	free(buf);
	if (vtpm_exit_requested(d->vtpm))
		fuse_session_exit(d->se);
}

static const struct cuse_lowlevel_ops cuse_ops = {
	.init_done = on_init_done,
	.open = on_open,
	.release = on_release,
	.read = on_read,
	.write = on_write,
	.poll = on_poll,
	.ioctl = on_ioctl,
};

int cuse_dev_run(struct vtpm *v, const struct cuse_dev_options *opt)
{
	char devname[128];
	const char *dev_info_argv[] = { devname };
	char *argv[] = { "vtpmd", "-f", NULL };
	struct cuse_info ci = {
		.dev_major = opt->major,
		.dev_minor = opt->minor,
		.dev_info_argc = 1,
		.dev_info_argv = dev_info_argv,
		.flags = 0, /* restricted ioctls */
	};
	struct cuse_dev d = { .vtpm = v, .opt = opt };
	int multithreaded = 0, ret;

	if (snprintf(devname, sizeof(devname), "DEVNAME=%s", opt->name) >=
	    (int)sizeof(devname))
		return -ENAMETOOLONG;
	if (access("/dev/cuse", R_OK | W_OK) != 0) {
		ret = -errno;
		log_error("cannot use /dev/cuse: %s (is the cuse module loaded? try 'modprobe cuse')",
			  strerror(errno));
		return ret == -ENOENT ? -ENODEV : ret;
	}
	pthread_mutex_init(&d.poll_lock, NULL);
	d.se = cuse_lowlevel_setup(2, argv, &ci, &cuse_ops, &multithreaded, &d);
	if (!d.se) {
		pthread_mutex_destroy(&d.poll_lock);
		log_error("could not set up the CUSE device");
		return -ENODEV;
	}
	active = &d;
	/* Multithreaded so CANCEL and queries are served while a command runs. */
	fuse_session_loop_mt(d.se, 0);
	active = NULL;
	cuse_lowlevel_teardown(d.se);
	if (d.ph)
		fuse_pollhandle_destroy(d.ph);
	pthread_mutex_destroy(&d.poll_lock);
	if (!d.ready) {
		log_error("the kernel did not create /dev/%s (name already in use?)",
			  opt->name);
		return -EIO;
	}
	return 0;
}

void cuse_dev_stop(void)
{
	if (active)
		fuse_session_exit(active->se);
}
