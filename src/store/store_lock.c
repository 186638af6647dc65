/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_lock.c - the storage lock: a POSIX write lock on the whole of
 * <statedir>/.lock, as swtpm takes it, so swtpm and vtpmd exclude each other
 * on one state directory.
 *
 * POSIX record locks belong to the process: a forked child does not inherit
 * them, and closing ANY descriptor of the file drops them. So the file is
 * opened once, here, and never anywhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "os/log.h"
#include "store/store.h"
#include "store/store_lock.h"

#define LOCK_FILE      ".lock"
#define LOCK_RETRY_NS  (10 * 1000 * 1000)     /* 10 ms, as swtpm */
/* After an outgoing migration released the lock, the destination may hold
 * it a moment longer than the source needs it back: wait up to 3 s. */
#define LOCK_RETRIES_AFTER_RELEASE 300

static int lock_fd = -1;
static bool lock_held;
static bool lock_deferred;              /* --migration incoming, not yet taken */
static unsigned lock_lazy_retries;      /* for store_ensure_locked() */

int store_lock_file_open(int dirfd)
{
	int fd;

	if (lock_fd >= 0)
		return -EBUSY;
	fd = openat(dirfd, LOCK_FILE, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0660);
	if (fd < 0)
		return -errno;
	lock_fd = fd;
	lock_held = false;
	lock_deferred = false;
	lock_lazy_retries = 0;
	return 0;
}

void store_lock_defer(void)
{
	lock_deferred = true;
}

void store_lock_file_close(void)
{
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
	lock_held = false;
}

static void sleep_retry_interval(void)
{
	struct timespec ts = { 0, LOCK_RETRY_NS };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int store_lock(unsigned retries)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,             /* the whole file */
	};
	unsigned attempt;

	if (lock_fd < 0)
		return -EBADF;
	if (lock_held)
		return 0;

	for (attempt = 0; ; attempt++) {
		if (fcntl(lock_fd, F_SETLK, &fl) == 0) {
			lock_held = true;
			lock_deferred = false;
			lock_lazy_retries = 0;
			return 0;
		}
		if (errno == EINTR)
			continue;
		/* POSIX allows either for "held by another process" */
		if (errno != EAGAIN && errno != EACCES) {
			int err = errno;

			log_error("store: locking %s: %s", LOCK_FILE,
				  strerror(err));
			return -err;
		}
		if (attempt >= retries)
			return -EAGAIN;
		sleep_retry_interval();
	}
}

void store_unlock(void)
{
	struct flock fl = {
		.l_type = F_UNLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,
	};

	if (lock_fd < 0 || !lock_held)
		return;
	/* F_UNLCK cannot conflict; a failure leaves nothing to do anyway */
	(void)fcntl(lock_fd, F_SETLK, &fl);
	lock_held = false;
}

bool store_locked(void)
{
	return lock_held;
}

int store_ensure_locked(void)
{
	int ret;

	if (lock_held)
		return 0;
	ret = store_lock(lock_lazy_retries);
	if (ret == -EAGAIN)
		log_error("store: the state directory is locked by another process");
	return ret;
}

int store_lock_for_init(void)
{
	if (lock_deferred)
		return 0;
	return store_ensure_locked();
}

void store_release_outgoing(void)
{
	store_unlock();
	lock_lazy_retries = LOCK_RETRIES_AFTER_RELEASE;
	log_info("store: lock released for the migration destination");
}
