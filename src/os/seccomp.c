/* SPDX-License-Identifier: BSD-3-Clause */
/* seccomp.c - the allow-lists, built with libseccomp. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <seccomp.h>

#include "os/log.h"
#include "os/seccomp.h"

/*
 * Every call the serving daemon makes, by who makes it. Names are resolved
 * for the native architecture; one it does not have is skipped.
 */
static const char *const allowed[] = {
	/* memory: malloc, thread stacks, libtpms, OpenSSL */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* threads: the FUSE loop's workers, locks, their exit; glibc's malloc
	 * sizes its arena count with sched_getaffinity */
	"futex", "set_robust_list", "rseq", "sched_getaffinity",
	"getpid", "gettid", "exit", "exit_group",
	/* signals: the main thread waits for SIGTERM and wakes the nodes'
	 * loops (SIGUSR1), pthread_cancel ends the workers, the handlers go
	 * at exit */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
	/* the plain node's standby reader: the timer that wakes it while a
	 * command runs long (cuse_dev.h) */
	"timer_create", "timer_settime", "timer_delete",
	/* /dev/cuse: one read per request, one writev per reply; log lines */
	"read", "write", "writev",
	/* the state directory (relative to its fd), the pid file: Landlock
	 * confines which paths these reach (landlock.h); fcntl is below */
	"openat", "close", "fstat", "newfstatat", "lseek", "fsync", "fchmod",
	"renameat", "renameat2", "unlinkat", "unlink",
	/* a linear state file: blobs and header in place, its end cut off */
	"pread64", "pwrite64", "fdatasync", "ftruncate",
	/* releasing the parent (stdio onto /dev/null); READY=1 to systemd */
	"dup2", "dup3", "sendto",
	/* libtpms' clock, OpenSSL's randomness, the lock's retry sleep */
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep", "getrandom",
};

static int add(scmp_filter_ctx ctx, uint32_t action, const char *name,
	       unsigned nargs, const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	int ret;

	if (nr == __NR_SCMP_ERROR)
		return 0;
	ret = seccomp_rule_add_array(ctx, action, nr, nargs, args);
	if (ret < 0)
		log_error("seccomp: rule for %s: %s", name, strerror(-ret));
	return ret;
}

static int add_rules(scmp_filter_ctx ctx)
{
	/* A new thread, never a new process. */
	const struct scmp_arg_cmp clone_thread = {
		.arg = 0, .op = SCMP_CMP_MASKED_EQ,
		.datum_a = CLONE_THREAD, .datum_b = CLONE_THREAD,
	};
	/* isatty() only: libtpms prints its errors (a state it cannot load)
	 * with dprintf() on stderr, and glibc asks whether that is a tty. */
	const struct scmp_arg_cmp tcgets = {
		.arg = 1, .op = SCMP_CMP_EQ, .datum_a = TCGETS, .datum_b = 0,
	};
	/* pthread_cancel and abort() signal this process only. */
	const struct scmp_arg_cmp own_pid = {
		.arg = 0, .op = SCMP_CMP_EQ,
		.datum_a = (scmp_datum_t)getpid(), .datum_b = 0,
	};
	/* fcntl: the storage lock, and reading or setting close-on-exec and
	 * the status flags of an fd; never F_SETOWN / F_SETSIG (O_ASYNC would
	 * then signal any process), leases, notifications or pipe sizes. */
	static const int fcntl_cmds[] = {
		F_OFD_SETLK, F_OFD_GETLK, F_GETFD, F_SETFD, F_GETFL,
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		ret = add(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++) {
		const struct scmp_arg_cmp cmd = {
			.arg = 1, .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)fcntl_cmds[i],
		};

		ret = add(ctx, SCMP_ACT_ALLOW, "fcntl", 1, &cmd);
		if (ret < 0)
			return ret;
	}
	if ((ret = add(ctx, SCMP_ACT_ALLOW, "clone", 1, &clone_thread)) < 0 ||
	    /* Its flags sit in memory a filter cannot read: make glibc use clone. */
	    (ret = add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL)) < 0 ||
	    (ret = add(ctx, SCMP_ACT_ALLOW, "tgkill", 1, &own_pid)) < 0 ||
	    (ret = add(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &tcgets)) < 0)
		return ret;
	return 0;
}

/* A filter that denies with ACTION: NULL (and *NONE set) for action=none,
 * NULL with *NONE clear if it cannot be made (logged). */
static scmp_filter_ctx filter_new(enum seccomp_action action, bool *none)
{
	uint32_t deny = action == SECCOMP_ACTION_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;
	int ret;

	*none = action == SECCOMP_ACTION_NONE;
	if (*none)
		return NULL;
	ctx = seccomp_init(deny);
	if (!ctx) {
		log_error("seccomp: cannot set up a filter");
		return NULL;
	}
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny);
	if (ret == 0)
		/* All threads, should a library ever have started one. */
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (ret < 0) {
		log_error("seccomp: filter attributes: %s", strerror(-ret));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* Load the rules ADD_RET says were added, then release CTX. */
static int filter_load(scmp_filter_ctx ctx, int add_ret)
{
	int ret = add_ret;

	if (ret == 0) {
		ret = seccomp_load(ctx);
		if (ret < 0)
			log_error("seccomp: loading the filter: %s", strerror(-ret));
	}
	seccomp_release(ctx);
	return ret;
}

int seccomp_allowlist_install(enum seccomp_action action)
{
	bool none;
	scmp_filter_ctx ctx = filter_new(action, &none);
	int ret;

	if (none) {
		log_info("seccomp: no filter (--seccomp action=none)");
		return 0;
	}
	if (!ctx)
		return -ENOMEM;
	ret = filter_load(ctx, add_rules(ctx));
	if (ret == 0)
		log_info("seccomp: allow-list installed, anything else is %s",
			 action == SECCOMP_ACTION_LOG ? "logged" : "fatal");
	return ret;
}

int seccomp_unlinker_install(enum seccomp_action action, int dirfd)
{
	static const char *const calls[] = {
		"read", "write", "close", "exit", "exit_group", "rt_sigreturn",
	};
	/* unlinkat in the one directory only */
	const struct scmp_arg_cmp in_dir = {
		.arg = 0, .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)dirfd,
	};
	bool none;
	scmp_filter_ctx ctx = filter_new(action, &none);
	int ret = 0;

	if (none)
		return 0;
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; ret == 0 && i < sizeof(calls) / sizeof(calls[0]); i++)
		ret = add(ctx, SCMP_ACT_ALLOW, calls[i], 0, NULL);
	if (ret == 0)
		ret = add(ctx, SCMP_ACT_ALLOW, "unlinkat", 1, &in_dir);
	return filter_load(ctx, ret);
}
