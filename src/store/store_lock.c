/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_lock.c - the storage lock: a write lock on the whole of
 * <statedir>/.lock, the range swtpm locks, so swtpm and vtpmd exclude each
 * other on one state directory. On a linear file it is a write lock on the
 * whole file itself, which is what swtpm locks there (0.10 and later, with
 * --tpmstate ...,lock; earlier versions lock nothing on a linear file).
 *
 * It is an open file description lock (F_OFD_SETLK), which conflicts with
 * swtpm's POSIX lock like another POSIX lock would, but belongs to the
 * open file rather than to the process: a daemon keeps it when it forks
 * into the background after starting its TPM, and it goes only with the
 * last descriptor of that open file (or an unlock).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/log.h"
#include "store/store_internal.h"

#define LOCK_FILE      ".lock"
/* After an outgoing migration released the lock, the destination may hold
 * it a moment longer than the source needs it back: wait up to 3 s. */
#define LOCK_RETRIES_AFTER_RELEASE 300

/* DIR/.lock, opened O_NONBLOCK: a FIFO planted there must not hang the
 * start (its open waits for a reader otherwise); it fails, or is refused
 * as not a regular file. Returns an fd or -errno. */
static int open_dir_lock(struct store *s)
{
	struct stat sb;
	int fd;

	fd = openat(s->dirfd, LOCK_FILE,
		    O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0660);
	if (fd < 0 && errno == ENXIO) {
		log_error("store: %s/%s is not a regular file (a FIFO?)", s->path, LOCK_FILE);
		return -EINVAL;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		log_error("store: %s/%s is not a regular file", s->path, LOCK_FILE);
		return -EINVAL;
	}
	return fd;
}

int store_lock_file_open(struct store *s)
{
	int fd;

	/* A linear file: a second descriptor of the same open file (its type
	 * was checked when it was opened); the lock belongs to the open file,
	 * which lives as long as either descriptor. */
	if (s->linear) {
		fd = fcntl(s->lin.fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	} else {
		fd = open_dir_lock(s);
		if (fd < 0)
			return fd;
	}
	s->lock.fd = fd;
	s->lock.open = true;
	s->lock.held = false;
	s->lock.deferred = false;
	s->lock.lazy_retries = 0;
	return 0;
}

void store_lock_file_close(struct store *s)
{
	if (s->lock.open)
		close(s->lock.fd);
	s->lock.open = false;
	s->lock.held = false;
}

static void sleep_retry_interval(void)
{
	struct timespec ts = { 0, STORE_LOCK_RETRY_NS };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int store_lock(struct store *s, unsigned retries)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,             /* the whole file */
	};
	unsigned attempt;

	if (!s->lock.open)
		return -EBADF;
	if (s->lock.held)
		return 0;

	for (attempt = 0; ; attempt++) {
		if (fcntl(s->lock.fd, F_OFD_SETLK, &fl) == 0) {
			s->lock.held = true;
			s->lock.deferred = false;
			s->lock.lazy_retries = 0;
			return 0;
		}
		if (errno == EINTR)
			continue;
		/* either means "held by another open file" */
		if (errno != EAGAIN && errno != EACCES) {
			int err = errno;

			log_error("store: locking %s: %s", s->linear ? s->path : LOCK_FILE,
				  strerror(err));
			return -err;
		}
		if (attempt >= retries)
			return -EAGAIN;
		sleep_retry_interval();
	}
}

void store_unlock(struct store *s)
{
	struct flock fl = {
		.l_type = F_UNLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,
	};

	if (!s->lock.open || !s->lock.held)
		return;
	/* F_UNLCK cannot conflict; a failure leaves nothing to do anyway */
	(void)fcntl(s->lock.fd, F_OFD_SETLK, &fl);
	s->lock.held = false;
}

bool store_locked(const struct store *s)
{
	return s->lock.held;
}

int store_ensure_locked(struct store *s)
{
	int ret;

	/* a store that writes nothing needs no lock */
	if (s->lock.held || s->discard_writes)
		return 0;
	ret = store_lock(s, s->lock.lazy_retries);
	if (ret == -EAGAIN)
		log_error("store: %s is locked by another process", s->path);
	return ret;
}

int store_lock_for_start(struct store *s)
{
	if (s->lock.deferred)
		return 0;
	return store_ensure_locked(s);
}

void store_release_outgoing(struct store *s)
{
	store_unlock(s);
	s->lock.lazy_retries = LOCK_RETRIES_AFTER_RELEASE;
	log_info("store: lock released for the migration destination");
}
