/* SPDX-License-Identifier: BSD-3-Clause */
/* cuse_dev.c - libfuse3 CUSE callbacks -> device model calls. */
/* This file uses libfuse's 3.12 loop API (struct fuse_loop_config); the
 * rest of the tree builds against the 3.1 API. */
#undef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include "cuse/cuse_dev.h"
#include "os/log.h"

struct cuse_dev {
	struct vtpm *vtpm;
	const struct cuse_dev_options *opt;
	struct fuse_session *se;
	bool init_replied;      /* our CUSE_INIT reply went to the kernel */
	bool ready;             /* ... and the kernel kept the device */
	struct fuse_buf buf;    /* requests read outside the FUSE loop */

	/* The last poll handle the kernel gave us; woken when a response lands. */
	pthread_mutex_t poll_lock;
	struct fuse_pollhandle *ph;
};

static struct cuse_dev *dev_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* libfuse calls this after sending the reply, whatever the kernel made of
 * it; cuse_dev_serve() checks that the device really exists. */
static void on_init_done(void *userdata)
{
	struct cuse_dev *d = userdata;

	d->init_replied = true;
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
	/* Room for any request, zeroed as far as this one's struct goes: all
	 * that its handler reads or writes. (Zeroing all 4 KiB was two thirds
	 * of the instructions of a control request.) */
	buf = malloc(max);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(buf, 0, size);
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

/* The kernel answers a device it refuses (e.g. a duplicate name) by
 * aborting the connection after our reply; /dev/cuse then polls POLLERR. */
static bool connection_dead(struct cuse_dev *d)
{
	struct pollfd p = { .fd = fuse_session_fd(d->se), .events = POLLIN };

	if (poll(&p, 1, 0) < 0)
		return false;
	return p.revents & (POLLERR | POLLHUP | POLLNVAL);
}

int cuse_dev_process_one(struct cuse_dev *d)
{
	int res;

	do {
		res = fuse_session_receive_buf(d->se, &d->buf);
	} while (res == -EINTR && !fuse_session_exited(d->se));
	if (res <= 0)
		return res == -ENODEV ? 0 : res;
	fuse_session_process_buf(d->se, &d->buf);
	return 1;
}

/* The kernel's first request is CUSE_INIT; our reply makes it create the
 * node. Handled in the caller's thread so that on_ready runs while the
 * process still has a single thread. */
static int serve_init(struct cuse_dev *d)
{
	int res = 1;

	while (!d->init_replied && res > 0 && !fuse_session_exited(d->se))
		res = cuse_dev_process_one(d);
	if (res < 0)
		return res;
	if (!d->init_replied || connection_dead(d))
		return -EIO;
	return 0;
}

/* libfuse 3.14's 3.1 entry point leaks the loop configuration it makes;
 * the 3.12 one takes ours. Defaults: no clone_fd, at most 10
 * workers, idle ones kept. The workers share the main heap: an arena of
 * its own per worker (glibc's default) kept ~12 KiB resident each for
 * the few small blocks libfuse allocates per request. */
static int run_loop(struct cuse_dev *d)
{
	struct fuse_loop_config *cfg;

	mallopt(M_ARENA_MAX, 1);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_session_loop_mt(d->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return 0;
}

int cuse_dev_serve(struct cuse_dev *d)
{
	int ret;

	ret = serve_init(d);
	if (ret == 0) {
		d->ready = true;
		log_info("/dev/%s is ready", d->opt->name);
		if (d->opt->on_ready)
			ret = d->opt->on_ready(d->opt->ctx);
	}
	/* Multithreaded so CANCEL and queries are served while a command runs. */
	if (ret == 0)
		ret = run_loop(d);
	if (!d->ready) {
		log_error("the kernel did not create /dev/%s (name already in use?)",
			  d->opt->name);
		return -EIO;
	}
	return ret;
}

static void dev_free(struct cuse_dev *d)
{
	if (d->ph)
		fuse_pollhandle_destroy(d->ph);
	free(d->buf.mem);
	pthread_mutex_destroy(&d->poll_lock);
	free(d);
}

static struct cuse_dev *dev_new(struct vtpm *v, const struct cuse_dev_options *opt,
				char *devname, size_t devname_len,
				struct cuse_info *ci)
{
	struct cuse_dev *d;

	if (snprintf(devname, devname_len, "DEVNAME=%s", opt->name) >=
	    (int)devname_len)
		return NULL;
	ci->dev_major = opt->major;
	ci->dev_minor = opt->minor;
	ci->dev_info_argc = 1;
	ci->flags = 0;          /* restricted ioctls */
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->vtpm = v;
	d->opt = opt;
	pthread_mutex_init(&d->poll_lock, NULL);
	return d;
}

int cuse_dev_open(void)
{
	int fd, err;

	/* Like cuse_lowlevel_setup(): fill 0, 1 and 2 first if they are free. */
	do {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd > STDERR_FILENO)
			close(fd);
	} while (fd >= 0 && fd <= STDERR_FILENO);

	fd = open("/dev/cuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return err == ENOENT ? -ENODEV : -err;
	}
	return fd;
}

int cuse_dev_run(struct vtpm *v, const struct cuse_dev_options *opt, int cuse_fd)
{
	struct cuse_dev *d;
	int ret;

	/*
	 * Where transparent huge pages are "always" (Debian's default), each
	 * FUSE worker's 8 MiB stack and each malloc arena can be backed by a
	 * 2 MiB page as soon as one byte of it is touched: measured, that
	 * doubled a device's RSS. vtpmd uses kilobytes of each; opt out.
	 */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		log_info("cannot opt out of transparent huge pages: %s", strerror(errno));
	d = cuse_dev_attach(v, opt, cuse_fd);
	if (!d) {
		close(cuse_fd);
		log_error("could not set up the CUSE device");
		return -ENOMEM;
	}
	if (fuse_set_signal_handlers(d->se) < 0) {
		log_error("could not set up the signal handlers");
		cuse_dev_detach(d);
		return -ENOMEM;
	}
	ret = cuse_dev_serve(d);
	fuse_remove_signal_handlers(d->se);
	cuse_dev_detach(d);
	return ret;
}

/* The peer closing its end is what the kernel dropping the device looks
 * like to libfuse: ENODEV, which ends the session quietly. */
static ssize_t custom_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);

	(void)userdata;
	if (n == 0) {
		errno = ENODEV;
		return -1;
	}
	return n;
}

static ssize_t custom_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	return writev(fd, iov, count);
}

struct cuse_dev *cuse_dev_attach(struct vtpm *v, const struct cuse_dev_options *opt,
				 int fd)
{
	static const struct fuse_custom_io io = {
		.read = custom_read,
		.writev = custom_writev,
	};
	char devname[128];
	const char *dev_info_argv[] = { devname };
	char *argv[] = { "vtpmd", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct cuse_info ci = { .dev_info_argv = dev_info_argv };
	struct cuse_dev *d;

	d = dev_new(v, opt, devname, sizeof(devname), &ci);
	if (!d)
		return NULL;
	d->se = cuse_lowlevel_new(&args, &ci, &cuse_ops, d);
	fuse_opt_free_args(&args);      /* option parsing may have copied them */
	if (!d->se) {
		dev_free(d);
		return NULL;
	}
	if (fuse_session_custom_io(d->se, &io, fd) < 0) {
		fuse_session_destroy(d->se);
		dev_free(d);
		return NULL;
	}
	return d;
}

void cuse_dev_detach(struct cuse_dev *d)
{
	fuse_session_destroy(d->se);
	dev_free(d);
}
