/* SPDX-License-Identifier: BSD-3-Clause */
/* cuse_dev.c - the kernel's CUSE requests -> a node's callbacks (through
 * libfuse3, or, for the reads, writes and ioctls its own readers take,
 * from the kernel's bytes); a node's loop (one reader and its standby, or
 * libfuse's); the server that runs several nodes, a loop thread each. */
/* This file uses libfuse's 3.12 loop API (struct fuse_loop_config); the
 * rest of the tree builds against the 3.1 API. */
#undef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include "cuse/cuse_dev.h"
#include "cuse/cuse_wire.h"
#include "os/log.h"

struct cuse_node {
	const struct cuse_node_options *opt;
	struct fuse_session *se;
	struct cuse_server *server; /* NULL: a node on its own (tests) */
	bool init_replied;      /* our CUSE_INIT reply went to the kernel */
	bool ready;             /* ... and the kernel kept the device */
	struct fuse_buf buf;    /* requests read outside a loop */
	pthread_mutex_t poll_lock; /* the files' poll handles, the list */
	struct cuse_file *files;   /* open files, released at detach if the
				    * kernel did not (it drops them with the
				    * connection) */
	pthread_t thread;       /* its loop, under a server */
	bool thread_started;
	/* The standby reader (opt->standby): */
	pthread_t standby;
	bool standby_started;
	sem_t standby_up;       /* posted once it made its timer, or failed */
	int standby_err;        /* ... -errno of the failure */
	timer_t standby_timer;  /* wakes it once a run has gone on a while */
	atomic_int runs;        /* run()s under way */
	struct fuse_buf standby_buf;
};

/* Where a request's answer goes: libfuse's request REQ, or, for one a
 * reader took from the kernel's bytes itself (cuse_wire.h), /dev/cuse
 * with the kernel's id of it, UNIQUE. */
struct answer {
	fuse_req_t req;
	uint64_t unique;
};

/* A read that came while its file's command runs: the kernel's request
 * stays unanswered (the reader waits in the kernel) until the run ends. */
struct parked_read {
	struct answer to;
	size_t size;
	struct parked_read *next;
};

/* One open file of a node. The fields below FILE are the node's poll_lock's. */
struct cuse_file {
	void *file;                     /* the node's handle */
	struct fuse_pollhandle *ph;     /* the last one the kernel gave us */
	unsigned writes;                /* writes of it under way (taken, run) */
	bool released;                  /* ... and the kernel released it meanwhile */
	struct parked_read *parked;     /* reads waiting for them to end */
	struct cuse_file *prev, *next;
};

static void file_link(struct cuse_node *n, struct cuse_file *cf)
{
	pthread_mutex_lock(&n->poll_lock);
	cf->next = n->files;
	if (n->files)
		n->files->prev = cf;
	n->files = cf;
	pthread_mutex_unlock(&n->poll_lock);
}

/* Take CF off the node's list (poll_lock held): no request finds it. */
static void file_unlink_locked(struct cuse_node *n, struct cuse_file *cf)
{
	if (cf->prev)
		cf->prev->next = cf->next;
	else
		n->files = cf->next;
	if (cf->next)
		cf->next->prev = cf->prev;
	cf->prev = cf->next = NULL;
}

static void file_destroy(struct cuse_file *cf)
{
	if (cf->ph)
		fuse_pollhandle_destroy(cf->ph);
	free(cf);
}

/* Unlink and free CF, and its poll handle. */
static void file_free(struct cuse_node *n, struct cuse_file *cf)
{
	pthread_mutex_lock(&n->poll_lock);
	file_unlink_locked(n, cf);
	pthread_mutex_unlock(&n->poll_lock);
	file_destroy(cf);
}

static struct cuse_node *node_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The open file the kernel names, if it is one of ours: the kernel only
 * names files we opened, but a handle is a number from the other side. */
static struct cuse_file *file_of(struct cuse_node *n, uint64_t fh)
{
	struct cuse_file *cf;

	pthread_mutex_lock(&n->poll_lock);
	for (cf = n->files; cf && (uintptr_t)cf != fh; cf = cf->next)
		;
	pthread_mutex_unlock(&n->poll_lock);
	return cf;
}

/* The open file a libfuse request names; NULL, the request answered
 * EBADF, if it is none of ours. */
static struct cuse_file *req_file(fuse_req_t req, struct fuse_file_info *fi)
{
	struct cuse_file *cf = file_of(node_of(req), fi->fh);

	if (!cf)
		fuse_reply_err(req, EBADF);
	return cf;
}

static void request_exit(struct cuse_node *n);

/* libfuse calls this after sending the reply, whatever the kernel made of
 * it; cuse_node_init() checks that the device really exists. */
static void on_init_done(void *userdata)
{
	struct cuse_node *n = userdata;

	n->init_replied = true;
}

static void on_open(fuse_req_t req, struct fuse_file_info *fi)
{
	struct cuse_node *n = node_of(req);
	struct cuse_file *cf = calloc(1, sizeof(*cf));
	int ret;

	if (!cf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ret = n->opt->ops->open(n->opt->ctx, &cf->file);
	if (ret < 0) {
		free(cf);
		fuse_reply_err(req, -ret);
		return;
	}
	fi->fh = (uintptr_t)cf;
	/* A character device: no page cache, no seeking. */
	fi->direct_io = 1;
	fi->nonseekable = 1;
	file_link(n, cf);
	if (fuse_reply_open(req, fi) != 0) {
		/* The opener is gone (interrupted): no release will come. */
		n->opt->ops->release(n->opt->ctx, cf->file);
		file_free(n, cf);
	}
}

static void wake_poller(struct cuse_node *n, struct cuse_file *cf)
{
	struct fuse_pollhandle *ph;

	pthread_mutex_lock(&n->poll_lock);
	ph = cf->ph;
	cf->ph = NULL;
	pthread_mutex_unlock(&n->poll_lock);
	if (ph) {
		fuse_lowlevel_notify_poll(ph);
		fuse_pollhandle_destroy(ph);
	}
}

static void on_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct cuse_node *n = node_of(req);
	struct cuse_file *cf = req_file(req, fi);
	bool running;

	if (!cf)
		return;
	n->opt->ops->release(n->opt->ctx, cf->file);
	wake_poller(n, cf);
	/* A write of it may still be running in another thread: that thread
	 * frees it when the run ends (and may have by the time the lock is
	 * dropped: CF is not touched after). */
	pthread_mutex_lock(&n->poll_lock);
	file_unlink_locked(n, cf);
	running = cf->released = cf->writes > 0;
	pthread_mutex_unlock(&n->poll_lock);
	if (!running)
		file_destroy(cf);
	fuse_reply_err(req, 0);
}

/* A run begins or ends: with a standby reader, the timer that brings it to
 * /dev/cuse while a run takes longer than CUSE_STANDBY_AFTER_US. */
static void standby_arm(struct cuse_node *n)
{
	static const struct itimerspec after = {
		.it_value = { .tv_nsec = CUSE_STANDBY_AFTER_US * 1000 },
	};

	if (!n->standby_started)
		return;
	atomic_fetch_add(&n->runs, 1);
	timer_settime(n->standby_timer, 0, &after, NULL);
}

static void standby_disarm(struct cuse_node *n)
{
	static const struct itimerspec off;

	if (n->standby_started && atomic_fetch_sub(&n->runs, 1) == 1)
		timer_settime(n->standby_timer, 0, &off, NULL);
}

/* RET, the result of a reply written straight to the kernel: a failure is
 * logged, unless the kernel had dropped the request (ENOENT: its caller
 * was interrupted or killed) or the node is ending. */
static void wire_sent(struct cuse_node *n, int ret)
{
	if (ret < 0 && ret != -ENOENT && !fuse_session_exited(n->se))
		log_error("/dev/%s: a reply did not reach the kernel: %s",
			  n->opt->name, strerror(-ret));
}

static void answer_err(struct cuse_node *n, const struct answer *a, int err)
{
	if (a->req)
		fuse_reply_err(a->req, err);
	else
		wire_sent(n, cuse_wire_send_err(fuse_session_fd(n->se), a->unique, err));
}

static void answer_written(struct cuse_node *n, const struct answer *a, size_t size)
{
	if (a->req)
		fuse_reply_write(a->req, size);
	else
		wire_sent(n, cuse_wire_send_written(fuse_session_fd(n->se), a->unique,
						    (uint32_t)size));
}

/* LEN bytes of R->data. */
static void answer_data(struct cuse_node *n, const struct answer *a,
			struct cuse_wire_reply *r, size_t len)
{
	if (a->req)
		fuse_reply_buf(a->req, (const char *)r->data, len);
	else
		wire_sent(n, cuse_wire_send_data(fuse_session_fd(n->se), a->unique, r, len));
}

/* Keep a read (to be answered to A) until CF's running write ends: true if
 * kept (or answered, out of memory), false if the run has ended meanwhile. */
static bool park_read(struct cuse_node *n, struct cuse_file *cf, const struct answer *a,
		      size_t size)
{
	struct parked_read *p, **end;

	pthread_mutex_lock(&n->poll_lock);
	if (cf->writes == 0) {
		pthread_mutex_unlock(&n->poll_lock);
		return false;
	}
	p = malloc(sizeof(*p));
	if (p) {
		*p = (struct parked_read){ .to = *a, .size = size };
		for (end = &cf->parked; *end; end = &(*end)->next)
			;
		*end = p;
	}
	pthread_mutex_unlock(&n->poll_lock);
	if (!p)
		answer_err(n, a, ENOMEM);
	return true;
}

/* Answer a read of CF now, or park it while CF's write runs. */
static void answer_read(struct cuse_node *n, struct cuse_file *cf, const struct answer *a,
			size_t size)
{
	struct cuse_wire_reply r;
	ssize_t got;

	if (size > CUSE_IO_MAX)
		size = CUSE_IO_MAX;
	/* -EINPROGRESS: the response is not there yet. Asked again only when
	 * the run ended between the node's answer and the park; a node that
	 * says so without a run under way gets its reader an EIO. */
	for (int tries = 0; tries < 3; tries++) {
		got = n->opt->ops->read(n->opt->ctx, cf->file, r.data, size);
		if (got != -EINPROGRESS)
			break;
		if (park_read(n, cf, a, size))
			return;
		got = -EIO;
	}
	if (got < 0)
		answer_err(n, a, (int)-got);
	else
		answer_data(n, a, &r, (size_t)got);
}

static void on_read(fuse_req_t req, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct cuse_file *cf = req_file(req, fi);

	(void)off;
	if (cf)
		answer_read(node_of(req), cf, &(struct answer){ .req = req }, size);
}

/* A write of CF ended (run, or refused). The last one under way answers
 * the reads that waited, checked under the lock with its own end, so that
 * none is left waiting. CF stays ours until then: a release meanwhile
 * leaves it to be freed here. */
static void end_run(struct cuse_node *n, struct cuse_file *cf)
{
	struct parked_read *p;
	bool released;

	wake_poller(n, cf);
	pthread_mutex_lock(&n->poll_lock);
	while (cf->writes == 1 && (p = cf->parked)) {
		cf->parked = NULL;
		pthread_mutex_unlock(&n->poll_lock);
		while (p) {
			struct parked_read *next = p->next;

			answer_read(n, cf, &p->to, p->size);
			free(p);
			p = next;
		}
		pthread_mutex_lock(&n->poll_lock);
	}
	released = --cf->writes == 0 && cf->released;
	pthread_mutex_unlock(&n->poll_lock);
	if (released)
		file_destroy(cf);
}

/* SIZE bytes of BUF written to CF, answered to A; with a node's run(),
 * then run. BUF stays the caller's until this returns. */
static void take_write(struct cuse_node *n, struct cuse_file *cf, const struct answer *a,
		       const uint8_t *buf, size_t size)
{
	const struct cuse_node_ops *ops = n->opt->ops;
	ssize_t got;

	if (!ops->run) {
		got = ops->write(n->opt->ctx, cf->file, buf, size);
		if (got < 0) {
			answer_err(n, a, (int)-got);
			return;
		}
		/* Before the answer: once the writer has it, it may close,
		 * and the release (another worker) frees CF. */
		wake_poller(n, cf);
		answer_written(n, a, (size_t)got);
		return;
	}
	/* Under way from before the node takes the bytes: a read that finds
	 * them taken also finds the write under way. */
	pthread_mutex_lock(&n->poll_lock);
	cf->writes++;
	pthread_mutex_unlock(&n->poll_lock);
	got = ops->write(n->opt->ctx, cf->file, buf, size);
	if (got < 0) {
		answer_err(n, a, (int)-got);
	} else {
		/* The writer has its answer and comes back for the response. */
		answer_written(n, a, (size_t)got);
		standby_arm(n);
		ops->run(n->opt->ctx, cf->file, buf, size);
		standby_disarm(n);
	}
	end_run(n, cf);
}

static void on_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct cuse_file *cf = req_file(req, fi);

	(void)off;
	/* BUF, libfuse's, stays ours until this callback returns. */
	if (cf)
		take_write(node_of(req), cf, &(struct answer){ .req = req },
			   (const uint8_t *)buf, size);
}

static void on_poll(fuse_req_t req, struct fuse_file_info *fi,
		    struct fuse_pollhandle *ph)
{
	struct cuse_node *n = node_of(req);
	struct cuse_file *cf = file_of(n, fi->fh);
	struct fuse_pollhandle *old = NULL;

	if (!cf) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_err(req, EBADF);
		return;
	}
	if (ph) {
		pthread_mutex_lock(&n->poll_lock);
		old = cf->ph;
		cf->ph = ph;
		pthread_mutex_unlock(&n->poll_lock);
		if (old)
			fuse_pollhandle_destroy(old);
	}
	fuse_reply_poll(req, n->opt->ops->poll(n->opt->ctx, cf->file));
}

/*
 * A control request of the file with handle FH. Restricted ioctls only:
 * the kernel derives both sizes from the request code, so a well-formed
 * call arrives with exactly _IOC_SIZE bytes in (for _IOC_WRITE) and room
 * for _IOC_SIZE bytes out (for _IOC_READ). Anything else is refused before
 * the node sees it. Returns the reply's length (its bytes in BUF, room for
 * CUSE_IOCTL_MAX), or -errno.
 */
static ssize_t ioctl_call(struct cuse_node *n, uint64_t fh, unsigned int cmd,
			  unsigned flags, const void *in, size_t in_size,
			  size_t out_size, uint8_t *buf)
{
	struct cuse_file *cf = file_of(n, fh);
	const struct cuse_node_ops *ops = n->opt->ops;
	size_t size = _IOC_SIZE(cmd), out_len = 0;
	size_t want_in = (_IOC_DIR(cmd) & _IOC_WRITE) ? size : 0;
	size_t want_out = (_IOC_DIR(cmd) & _IOC_READ) ? size : 0;
	int ret;

	if (!cf)
		return -EBADF;
	/* A directory's ioctl, never on a character device (libfuse's
	 * answer, as CUSE does not ask for them). */
	if (!ops->ioctl || (flags & FUSE_IOCTL_DIR))
		return -ENOTTY;
	if ((flags & FUSE_IOCTL_UNRESTRICTED) || size > ops->ioctl_max ||
	    in_size != want_in || out_size != want_out)
		return -EINVAL;
	/* Zeroed as far as this request's struct goes: all its handler
	 * reads or writes. */
	memset(buf, 0, size);
	if (in_size)
		memcpy(buf, in, in_size);
	ret = ops->ioctl(n->opt->ctx, cf->file, cmd, buf, &out_len);
	if (ret < 0)
		return ret;
	return (ssize_t)(out_len < out_size ? out_len : out_size);
}

/* After a control request's reply: PTM_SHUTDOWN ends the node's server. */
static void ioctl_after(struct cuse_node *n)
{
	const struct cuse_node_ops *ops = n->opt->ops;

	if (ops->exit_requested && ops->exit_requested(n->opt->ctx))
		request_exit(n);
}

/* A control request through libfuse (the loops libfuse runs). */
static void on_ioctl(fuse_req_t req, int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct cuse_node *n = node_of(req);
	/* Room for any request (cuse_node_attach() checked ioctl_max). On
	 * the stack: a malloc and free of it were a third of the
	 * instructions of a control request. */
	_Alignas(16) uint8_t buf[CUSE_IOCTL_MAX];
	ssize_t got;

	(void)arg;
	got = ioctl_call(n, fi->fh, (unsigned int)cmd, flags, in_buf, in_bufsz,
			 out_bufsz, buf);
	if (got < 0)
		fuse_reply_err(req, (int)-got);
	else
		fuse_reply_ioctl(req, 0, buf, (size_t)got);
	ioctl_after(n);
}

/* W, a control request taken from the kernel's bytes. Its own frame: the
 * reply's room is on the stack only while it is answered. */
static __attribute__((noinline)) void answer_ioctl(struct cuse_node *n,
						   const struct cuse_wire_req *w)
{
	struct cuse_wire_reply r;
	ssize_t got;

	got = ioctl_call(n, w->fh, w->cmd, w->flags, w->data, w->in_size, w->out_size,
			 r.data);
	if (got < 0)
		answer_err(n, &(struct answer){ .unique = w->unique }, (int)-got);
	else
		wire_sent(n, cuse_wire_send_ioctl(fuse_session_fd(n->se), w->unique, &r,
						  (size_t)got));
	ioctl_after(n);
}

/*
 * A client's read, write or control request, read by this node's own
 * reader (or its standby), answered here from the request's bytes (MSG,
 * LEN), each answer in one write: libfuse's request object (an allocation,
 * a mutex made and destroyed, two list locks) and its replies in pieces
 * were two thirds of the instructions of a control request. An interrupt
 * of such a request finds nothing in libfuse's list, as one of a request
 * libfuse answered itself: libfuse answers it EAGAIN with its next request,
 * and the kernel asks again while its caller still waits. False if MSG is
 * another request: libfuse handles it.
 */
static bool answer_direct(struct cuse_node *n, const void *msg, size_t len)
{
	struct cuse_wire_req w;
	enum cuse_wire_kind kind = cuse_wire_parse(msg, len, &w);
	const struct answer a = { .unique = w.unique };
	struct cuse_file *cf;

	if (kind == CUSE_WIRE_OTHER)
		return false;
	if (kind == CUSE_WIRE_MALFORMED) {
		answer_err(n, &a, EINVAL);
		return true;
	}
	if (kind == CUSE_WIRE_IOCTL) {
		answer_ioctl(n, &w);
		return true;
	}
	cf = file_of(n, w.fh);
	if (!cf)
		answer_err(n, &a, EBADF);
	else if (kind == CUSE_WIRE_READ)
		answer_read(n, cf, &a, w.size);
	else
		take_write(n, cf, &a, w.data, w.size);
	return true;
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
static bool connection_dead(struct cuse_node *n)
{
	struct pollfd p = { .fd = fuse_session_fd(n->se), .events = POLLIN };

	if (poll(&p, 1, 0) < 0)
		return false;
	return p.revents & (POLLERR | POLLHUP | POLLNVAL);
}

/* One request into BUF (the calling thread's), handled. */
static int process_one(struct cuse_node *n, struct fuse_buf *buf)
{
	int res;

	do {
		if (fuse_session_exited(n->se))
			return 0;
		res = fuse_session_receive_buf(n->se, buf);
	} while (res == -EINTR);
	if (res <= 0)
		return res == -ENODEV ? 0 : res;
	/* Until our CUSE_INIT reply went out every request is libfuse's. */
	if (!n->init_replied || (buf->flags & FUSE_BUF_IS_FD) ||
	    !answer_direct(n, buf->mem, (size_t)res))
		fuse_session_process_buf(n->se, buf);
	return 1;
}

int cuse_node_process_one(struct cuse_node *n)
{
	return process_one(n, &n->buf);
}

/* The kernel's first request is CUSE_INIT; our reply makes it create the
 * node. Handled in the caller's thread so that a ready callback can run
 * while the process still has a single thread. */
int cuse_node_init(struct cuse_node *n)
{
	int res = 1;

	while (!n->init_replied && res > 0)
		res = cuse_node_process_one(n);
	if (res < 0)
		return res;
	if (!n->init_replied || connection_dead(n)) {
		log_error("the kernel did not create /dev/%s (name already in use?)",
			  n->opt->name);
		return -EIO;
	}
	n->ready = true;
	log_info("/dev/%s is ready", n->opt->name);
	return 0;
}

/*
 * The standby reader: it sleeps in sigwaitinfo() until the node's timer
 * says a run has gone on for CUSE_STANDBY_AFTER_US (the timer's signal,
 * SIGUSR2, is blocked in this thread and sent to it alone), then serves
 * requests while runs are under way: CANCEL, the queries, the reader's
 * read and poll (kept until the run ends). The request it waits for when
 * the run ends goes to it too (one at most); then it sleeps again. At the
 * end SIGUSR2 gets it out of sigwaitinfo(), SIGUSR1 out of a read.
 */
static void *standby_main(void *arg)
{
	struct cuse_node *n = arg;
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR2,
	};
	sigset_t timer;

	sigemptyset(&timer);
	sigaddset(&timer, SIGUSR2);
	ev._sigev_un._tid = gettid();   /* glibc 2.36 has no name for it */
	n->standby_err = timer_create(CLOCK_MONOTONIC, &ev, &n->standby_timer) < 0 ? -errno : 0;
	sem_post(&n->standby_up);
	if (n->standby_err < 0)
		return NULL;
	while (!fuse_session_exited(n->se)) {
		if (sigwaitinfo(&timer, NULL) < 0)
			continue;
		while (atomic_load(&n->runs) > 0 && process_one(n, &n->standby_buf) > 0)
			;
	}
	return NULL;
}

/* Start the standby reader and its timer: 0 or -errno. */
static int standby_start(struct cuse_node *n)
{
	sigset_t timer;
	int ret;

	sigemptyset(&timer);
	sigaddset(&timer, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &timer, NULL);       /* and in the thread */
	sem_init(&n->standby_up, 0, 0);
	ret = -pthread_create(&n->standby, NULL, standby_main, n);
	if (ret == 0) {
		while (sem_wait(&n->standby_up) < 0)
			;
		ret = n->standby_err;
		if (ret < 0)
			pthread_join(n->standby, NULL);
	}
	sem_destroy(&n->standby_up);
	if (ret < 0)
		return ret;
	n->standby_started = true;
	return 0;
}

/* Wake thread T out of a blocking read (SIGUSR1) or, for a standby
 * reader, out of sigwaitinfo() (SIGUSR2), and join it; again every 20 ms,
 * since a wake-up may land just before it blocks again. */
static void wake_and_join(pthread_t t, bool standby)
{
	for (;;) {
		struct timespec until;

		if (standby)
			pthread_kill(t, SIGUSR2);
		pthread_kill(t, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 20 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(t, NULL, &until) == 0)
			return;
	}
}

/* One reader, and a standby that reads only while a run goes on long. */
static int loop_with_standby(struct cuse_node *n)
{
	int ret, res;

	ret = standby_start(n);
	if (ret < 0)
		return ret;
	while ((res = process_one(n, &n->buf)) > 0)
		;
	fuse_session_exit(n->se);
	wake_and_join(n->standby, true);
	n->standby_started = false;
	timer_delete(n->standby_timer);
	return res;
}

/* libfuse 3.14's 3.1 entry point leaks the loop configuration it makes;
 * the 3.12 one takes ours. Defaults: no clone_fd, at most 10 workers,
 * idle ones kept. */
int cuse_node_loop(struct cuse_node *n)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (n->opt->threads == 1 && n->opt->standby && n->server)
		return loop_with_standby(n);
	if (n->opt->threads == 1)
		return fuse_session_loop(n->se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	if (n->opt->threads > 1)
		fuse_loop_cfg_set_max_threads(cfg, n->opt->threads);
	ret = fuse_session_loop_mt(n->se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

bool cuse_node_exited(struct cuse_node *n)
{
	return fuse_session_exited(n->se);
}

static void node_free(struct cuse_node *n)
{
	free(n->buf.mem);
	free(n->standby_buf.mem);
	pthread_mutex_destroy(&n->poll_lock);
	free(n);
}

int cuse_node_open(void)
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

/* The peer closing its end is what the kernel dropping the device looks
 * like to libfuse: ENODEV, which ends the session quietly. */
static ssize_t custom_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t got = read(fd, buf, len);

	(void)userdata;
	if (got == 0) {
		errno = ENODEV;
		return -1;
	}
	return got;
}

static ssize_t custom_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	return writev(fd, iov, count);
}

struct cuse_node *cuse_node_attach(const struct cuse_node_options *opt, int fd)
{
	static const struct fuse_custom_io io = {
		.read = custom_read,
		.writev = custom_writev,
	};
	char devname[128];
	const char *dev_info_argv[] = { devname };
	char *argv[] = { "vtpmd", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct cuse_info ci = {
		.dev_major = opt->major,
		.dev_minor = opt->minor,
		.dev_info_argc = 1,
		.dev_info_argv = dev_info_argv,
		.flags = 0,             /* restricted ioctls */
	};
	struct cuse_node *n;

	if (snprintf(devname, sizeof(devname), "DEVNAME=%s", opt->name) >=
	    (int)sizeof(devname) || opt->ops->ioctl_max > CUSE_IOCTL_MAX)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->opt = opt;
	pthread_mutex_init(&n->poll_lock, NULL);
	n->se = cuse_lowlevel_new(&args, &ci, &cuse_ops, n);
	fuse_opt_free_args(&args);      /* option parsing may have copied them */
	if (!n->se) {
		node_free(n);
		return NULL;
	}
	if (fuse_session_custom_io(n->se, &io, fd) < 0) {
		fuse_session_destroy(n->se);
		node_free(n);
		return NULL;
	}
	return n;
}

void cuse_node_detach(struct cuse_node *n)
{
	if (!n)
		return;
	/* Closes the fd: the kernel removes the node and forgets its files
	 * without a release; the node lets go of them here. */
	fuse_session_destroy(n->se);
	while (n->files) {
		n->opt->ops->release(n->opt->ctx, n->files->file);
		file_free(n, n->files);
	}
	node_free(n);
}

/* --- the server ------------------------------------------------------------ */

#define SERVER_MAX_NODES 4

/*
 * Signals: the thread that runs the server takes SIGTERM, SIGINT and SIGHUP
 * with sigwaitinfo(); SIGUSR1 is the server's own wake-up: sent to that
 * thread when a node ends or asks to, and to a node's loop thread (and its
 * standby reader) to get it out of a blocking read once its session is
 * marked exited. SIGUSR2 is a standby reader's timer, blocked in it and
 * sent to it alone.
 */
struct cuse_server {
	struct cuse_node *node[SERVER_MAX_NODES];
	size_t count;
	pthread_t main;
	atomic_bool stopping;
};

static void on_wakeup(int sig)
{
	(void)sig;
}

struct cuse_server *cuse_server_new(void)
{
	return calloc(1, sizeof(struct cuse_server));
}

int cuse_server_add(struct cuse_server *s, const struct cuse_node_options *opt,
		    int cuse_fd)
{
	struct cuse_node *n;

	if (s->count == SERVER_MAX_NODES) {
		close(cuse_fd);
		return -ENOSPC;
	}
	n = cuse_node_attach(opt, cuse_fd);
	if (!n) {
		close(cuse_fd);
		log_error("could not set up the CUSE device /dev/%s", opt->name);
		return -ENOMEM;
	}
	n->server = s;
	s->node[s->count++] = n;
	return 0;
}

void cuse_server_stop(struct cuse_server *s)
{
	atomic_store(&s->stopping, true);
	pthread_kill(s->main, SIGUSR1);
}

static void request_exit(struct cuse_node *n)
{
	fuse_session_exit(n->se);
	if (n->server)
		cuse_server_stop(n->server);
}

static void *node_thread(void *arg)
{
	struct cuse_node *n = arg;
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	cuse_node_loop(n);
	/* The kernel dropped the node, or the server is ending it. */
	cuse_server_stop(n->server);
	return NULL;
}

/* Mark every node exited and wake its loop until the thread is gone (a
 * wake-up may land just before the loop blocks again: repeat it). */
static void stop_nodes(struct cuse_server *s)
{
	for (size_t i = 0; i < s->count; i++)
		fuse_session_exit(s->node[i]->se);
	for (size_t i = 0; i < s->count; i++) {
		struct cuse_node *n = s->node[i];

		if (n->thread_started)
			wake_and_join(n->thread, false);
		n->thread_started = false;
	}
}

/* Wait for a signal that ends the run, or for a stop. */
static void wait_for_end(struct cuse_server *s, const sigset_t *set)
{
	siginfo_t info;

	while (!atomic_load(&s->stopping)) {
		int sig = sigwaitinfo(set, &info);

		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			log_info("signal %d: ending", sig);
			return;
		}
	}
}

int cuse_server_run(struct cuse_server *s, int (*on_ready)(void *ctx), void *ctx)
{
	struct sigaction sa = { .sa_handler = on_wakeup };     /* no SA_RESTART */
	sigset_t set;
	int ret = 0;

	s->main = pthread_self();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* Blocked from here on in this thread and every loop thread it starts
	 * (and after the run: a late SIGTERM must not cut the orderly end
	 * short); one that comes during the set-up waits for sigwaitinfo(). */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	for (size_t i = 0; i < s->count && ret == 0; i++)
		ret = cuse_node_init(s->node[i]);
	if (ret == 0 && on_ready)
		ret = on_ready(ctx);
	for (size_t i = 0; i < s->count && ret == 0; i++) {
		struct cuse_node *n = s->node[i];

		ret = -pthread_create(&n->thread, NULL, node_thread, n);
		if (ret == 0)
			n->thread_started = true;
		else
			log_error("cannot start the loop of /dev/%s: %s", n->opt->name,
				  strerror(-ret));
	}
	if (ret == 0)
		wait_for_end(s, &set);
	stop_nodes(s);
	return ret;
}

void cuse_server_free(struct cuse_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->count; i++)
		cuse_node_detach(s->node[i]);
	free(s);
}
