/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_dev.h - the thin CUSE transport: creates /dev/NAME nodes through
 * libfuse3's CUSE low-level API and maps the kernel's requests onto a
 * node's callbacks. No TPM knowledge lives here.
 *
 * A node is a set of callbacks (struct cuse_node_ops) and a context; each
 * open file gets the handle its open() returned. Sizes are checked here
 * before a node sees a byte: ioctls are restricted (their sizes come from
 * the request code and must match), a read asks for at most CUSE_IO_MAX
 * bytes (a bigger one gets that many).
 *
 * One server serves several nodes of one process: every node is created
 * (CUSE_INIT) in the calling thread, then a ready callback runs while the
 * process still has one thread (the place to drop privileges), then each
 * node runs its own loop thread until the server stops. All nodes go away
 * together.
 *
 * Functions return 0 or -errno unless they say otherwise.
 */
#ifndef VTPMD_CUSE_DEV_H
#define VTPMD_CUSE_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest read a node sees (the kernel's TPM buffer). */
#define CUSE_IO_MAX 4096
/* The most a node's ioctl_max may be (a node asking more is refused). */
#define CUSE_IOCTL_MAX 8192

/* What a node does with the kernel's requests; FILE is what open() put in
 * *FILE for this open file. Every callback may run in any of the node's
 * loop threads, several at once when the node has more than one. */
struct cuse_node_ops {
	int (*open)(void *ctx, void **file);             /* 0 or -errno */
	void (*release)(void *ctx, void *file);
	ssize_t (*read)(void *ctx, void *file, uint8_t *buf, size_t len);
	ssize_t (*write)(void *ctx, void *file, const uint8_t *buf, size_t len);
	/*
	 * NULL, or the second half of a write: the writer gets write()'s
	 * answer first, then run() gets the same bytes in the same thread, so
	 * that the node works while the writer comes back for the response.
	 * Until run() returns, the file's read() may return -EINPROGRESS: the
	 * reader then waits (its request unanswered) and its read() is asked
	 * again once the run returned. Not called when write() refused. The
	 * file's release() may come (from another thread) while it runs.
	 */
	void (*run)(void *ctx, void *file, const uint8_t *buf, size_t len);
	unsigned (*poll)(void *ctx, void *file);         /* POLLIN etc. now */
	/*
	 * A control request: ARG holds _IOC_SIZE(CMD) bytes in (zeroed where
	 * the request has none) and room for ioctl_max bytes; the reply's size
	 * goes to *OUT_LEN. NULL: the node has no ioctls (ENOTTY, as the
	 * kernel's /dev/tpmrmN).
	 */
	int (*ioctl)(void *ctx, void *file, unsigned int cmd, void *arg, size_t *out_len);
	size_t ioctl_max;
	/* Asked after each ioctl: true ends the server (PTM_SHUTDOWN). */
	bool (*exit_requested)(void *ctx);
};

struct cuse_node_options {
	const char *name;               /* /dev/NAME */
	unsigned major, minor;          /* 0 major: the kernel picks */
	const struct cuse_node_ops *ops;
	void *ctx;
	/* 1: libfuse's single-threaded loop; 0: its multithreaded loop with
	 * its default number of workers; N > 1: at most N workers. */
	unsigned threads;
	/*
	 * With threads 1: a second thread, the standby, that reads requests
	 * only while a run() has gone on for CUSE_STANDBY_AFTER_US, so that
	 * the node answers (a CANCEL, a query) during a long run while its
	 * short runs cost no hand-off between threads. Under a server only
	 * (its SIGUSR1 wakes the standby at the end); the timer's signal is
	 * SIGUSR2, sent to the standby alone.
	 */
	bool standby;
};

/* How long a run goes on before the standby reader takes requests. */
#define CUSE_STANDBY_AFTER_US 2000

/*
 * Open /dev/cuse: the one privileged step of the transport, done first so
 * that a start that cannot have a device creates nothing. The fd is never
 * 0, 1 or 2 (a stray printf must not reach the kernel). Returns the fd, or
 * -ENODEV if there is no /dev/cuse (no cuse module), or another -errno.
 */
int cuse_node_open(void);

/* --- one node ----------------------------------------------------------- */

/*
 * A node whose kernel side is FD (from cuse_node_open(), or for tests and
 * fuzzers one end of a SOCK_SEQPACKET socketpair, so that each read returns
 * one whole request and each reply is one message). Takes FD over (closed
 * by cuse_node_detach()). OPT must outlive the node. NULL on failure.
 */
struct cuse_node *cuse_node_attach(const struct cuse_node_options *opt, int fd);
/* Handle requests until our CUSE_INIT reply went out and the kernel kept
 * the device: 0, or -EIO if it refused it (e.g. a duplicate name). */
int cuse_node_init(struct cuse_node *n);
/* Read and handle one request in this thread: 1 if one was handled, 0 if
 * the peer closed its end or the node was told to exit, -errno. */
int cuse_node_process_one(struct cuse_node *n);
/* Serve requests in this thread (and the loop's workers) until the node
 * is told to exit or the kernel drops it. */
int cuse_node_loop(struct cuse_node *n);
/* Whether a request asked the node (or its server) to end. */
bool cuse_node_exited(struct cuse_node *n);
/* End the node: the fd is closed, files still open are released. */
void cuse_node_detach(struct cuse_node *n);

/* --- several nodes -------------------------------------------------------- */

struct cuse_server *cuse_server_new(void);
/* Add a node on CUSE_FD (taken over, closed by cuse_server_free(), which
 * also releases the files still open). */
int cuse_server_add(struct cuse_server *s, const struct cuse_node_options *opt,
		    int cuse_fd);
/*
 * Create every node (-EIO, logged, if the kernel refused one), call
 * ON_READY(CTX) (its negative errno ends the run), then serve each node in
 * a thread of its own until SIGTERM, SIGINT or SIGHUP arrives, a node ends
 * (the kernel dropped it), or a node's exit_requested() said so. The
 * calling thread takes the signals (they stay blocked in it afterwards)
 * and must be the process' only thread when called. Returns 0 once the
 * nodes existed and the run ended normally.
 */
int cuse_server_run(struct cuse_server *s, int (*on_ready)(void *ctx), void *ctx);
/* End the run from any thread. */
void cuse_server_stop(struct cuse_server *s);
void cuse_server_free(struct cuse_server *s);

#endif
