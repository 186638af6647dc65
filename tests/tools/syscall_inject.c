/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * syscall_inject - make a running process execute one system call, to show
 * what its seccomp filter does with it; or stop one of its system calls
 * from happening: a fault between two steps of what it does (x86_64).
 *
 * The device tests use it on a running vtpmd: a call outside the allow-list
 * (execve) must kill the daemon with SIGSYS under --seccomp action=kill and
 * be let through (and logged) under action=log; an allowed one (getpid)
 * must leave it serving; an openat() of a path outside the state directory
 * must fail under Landlock. With --at, a state update is cut between two of
 * its steps: the daemon dies just before its Nth pwrite64 (or fdatasync),
 * or that call fails with an errno. No test hook lives in vtpmd itself.
 *
 * An argument "str:TEXT" passes the address of TEXT (NUL-terminated),
 * written into the thread's stack well below its stack pointer (where an
 * interrupted system call keeps nothing) and put back afterwards.
 *
 * How: ptrace-seize the process's main thread, interrupt it (it sits in a
 * system call, so the instruction before its rip is `syscall`), point rip
 * back at that instruction with the chosen number and arguments, single-step,
 * read the result, then restore the registers so the interrupted call is
 * restarted, and detach.
 *
 * --at: seize every thread (and those they start), follow their system
 * calls, and at the entry of the Nth call NR either SIGKILL the process
 * (the call is not made: a tracee killed in its syscall-entry stop does not
 * run it) or turn the call into getpid (which the seccomp filter, checking
 * after the tracer, allows) and make it return -ERRNO. Then exit: the
 * kernel detaches the threads.
 *
 * With VTPMD_SECCOMP_EXPECTED=FILE in the environment (scripts/check-san)
 * the target's pid is appended to FILE first: what the filter logs for
 * that process was asked for, not a call outside the allow-list.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERESTARTSYS           512
#define ERESTARTNOINTR        513
#define ERESTARTNOHAND        514
#define ERESTART_RESTARTBLOCK 516

static void usage(void)
{
	fprintf(stderr,
		"usage: syscall_inject PID NR [ARG...]   (at most 6 ARGs; str:TEXT\n"
		"passes a pointer to TEXT in the process's memory)\n"
		"Prints 'result N' (the call's return value, -errno on error) if the\n"
		"process survived, or 'killed SIGNAME' if the call killed it.\n"
		"Exit status: 0 the call was made, 1 it could not be, 2 usage.\n"
		"\n"
		"       syscall_inject --at NR:N --kill|--fail ERRNO PID\n"
		"Prints 'attached T threads' once every thread is followed; then, at\n"
		"the Nth entry into system call NR, 'killed before call N' (SIGKILL\n"
		"the process) or 'failed call N with errno E'. Exit status: 0 done,\n"
		"1 the process ended first or could not be traced, 2 usage.\n");
}

static int die(const char *what)
{
	fprintf(stderr, "syscall_inject: %s: %s\n", what, strerror(errno));
	return 1;
}

#define MAX_THREADS 512

/* Seize every thread of PID, again until no new one appears. */
static int seize_all(pid_t pid, unsigned *count)
{
	static pid_t seized[MAX_THREADS];
	char dir[64];
	bool more = true;

	*count = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	while (more) {
		DIR *d = opendir(dir);
		struct dirent *e;

		if (!d)
			return die("opening /proc/PID/task");
		more = false;
		while ((e = readdir(d)) != NULL) {
			pid_t tid = (pid_t)strtol(e->d_name, NULL, 10);
			unsigned i;

			if (tid <= 0)
				continue;
			for (i = 0; i < *count && seized[i] != tid; i++)
				;
			if (i < *count || *count == MAX_THREADS)
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0,
				   PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE) < 0 ||
			    ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
				if (errno == ESRCH)
					continue;       /* it ended meanwhile */
				closedir(d);
				return die("PTRACE_SEIZE");
			}
			seized[(*count)++] = tid;
			more = true;
		}
		closedir(d);
	}
	return 0;
}

/* --at NR:N --kill|--fail ERRNO PID */
static int run_at(long nr, unsigned nth, bool kill_it, int err, pid_t pid)
{
	struct user_regs_struct regs;
	unsigned threads, seen = 0;
	pid_t faking = 0, tid;
	int status;

	if (seize_all(pid, &threads) != 0)
		return 1;
	printf("attached %u threads\n", threads);
	fflush(stdout);
	for (;;) {
		int sig, deliver = 0;

		tid = waitpid(-1, &status, __WALL);
		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0) {
			printf("the process ended\n");
			return 1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid != pid)
				continue;
			if (kill_it && seen >= nth) {
				printf("killed before call %u\n", nth);
				return 0;
			}
			printf("the process ended\n");
			return 1;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		if (sig == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;

			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) < 0)
				return die("PTRACE_GET_SYSCALL_INFO");
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY && (long)info.entry.nr == nr &&
			    seen < nth && ++seen == nth) {
				if (kill_it) {
					/* stays stopped until SIGKILL takes it */
					kill(pid, SIGKILL);
					continue;
				}
				if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
					return die("PTRACE_GETREGS");
				regs.orig_rax = SYS_getpid;
				if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
					return die("PTRACE_SETREGS");
				faking = tid;
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT && tid == faking) {
				if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
					return die("PTRACE_GETREGS");
				regs.rax = (unsigned long long)-(long long)err;
				if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0)
					return die("PTRACE_SETREGS");
				printf("failed call %u with errno %d\n", nth, err);
				fflush(stdout);
				return 0;       /* exiting detaches every thread */
			}
		} else if (sig != SIGTRAP && (status >> 16) == 0) {
			deliver = sig;  /* a signal for the process */
		}
		/* interrupt and group stops, new threads: go on */
		if (ptrace(PTRACE_SYSCALL, tid, 0, deliver) < 0 && errno != ESRCH)
			return die("PTRACE_SYSCALL");
	}
}

static int main_at(int argc, char **argv)
{
	char *end;
	long nr;
	unsigned long nth;
	bool kill_it;
	int err = 0;

	/* --at NR:N --kill PID | --at NR:N --fail ERRNO PID */
	if (argc < 5)
		return 2;
	nr = strtol(argv[2], &end, 0);
	if (*end != ':' || nr < 0)
		return 2;
	nth = strtoul(end + 1, &end, 0);
	if (*end || nth == 0)
		return 2;
	kill_it = strcmp(argv[3], "--kill") == 0;
	if (kill_it && argc == 5)
		return run_at(nr, (unsigned)nth, true, 0, (pid_t)strtol(argv[4], NULL, 10));
	if (strcmp(argv[3], "--fail") != 0 || argc != 6)
		return 2;
	err = (int)strtol(argv[4], &end, 0);
	if (*end || err <= 0)
		return 2;
	return run_at(nr, (unsigned)nth, false, err, (pid_t)strtol(argv[5], NULL, 10));
}

/* Registers that make the interrupted call run again when resumed. */
static struct user_regs_struct restarting(struct user_regs_struct r)
{
	long err = -(long)r.rax;

	if (err == ERESTARTSYS || err == ERESTARTNOINTR || err == ERESTARTNOHAND) {
		r.rax = r.orig_rax;
		r.rip -= 2;
	} else if (err == ERESTART_RESTARTBLOCK) {
		r.rax = SYS_restart_syscall;
		r.rip -= 2;
	}
	r.orig_rax = (unsigned long long)-1;   /* no further restart fix-up */
	return r;
}

/* Scratch memory in the tracee for str: arguments: the words saved. */
#define SCRATCH_BELOW 2048      /* bytes below rsp: past the red zone */
#define SCRATCH_WORDS 128
static unsigned long scratch_old[SCRATCH_WORDS];
static size_t scratch_used;     /* words */

/* Copy TEXT (with its NUL) into the scratch area at BASE; its address. */
static int put_string(pid_t pid, unsigned long long base, const char *text,
		      unsigned long long *addr)
{
	size_t len = strlen(text) + 1, words = (len + 7) / 8;

	if (scratch_used + words > SCRATCH_WORDS) {
		fprintf(stderr, "syscall_inject: str: arguments too long\n");
		return -1;
	}
	*addr = base + scratch_used * 8;
	for (size_t w = 0; w < words; w++) {
		unsigned long word = 0, at = *addr + w * 8;

		memcpy(&word, text + w * 8, len - w * 8 < 8 ? len - w * 8 : 8);
		errno = 0;
		scratch_old[scratch_used + w] = (unsigned long)ptrace(PTRACE_PEEKDATA, pid,
								      (void *)at, 0);
		if (errno || ptrace(PTRACE_POKEDATA, pid, (void *)at, (void *)word) < 0) {
			perror("syscall_inject: writing a str: argument");
			return -1;
		}
	}
	scratch_used += words;
	return 0;
}

static void put_back(pid_t pid, unsigned long long base)
{
	for (size_t w = 0; w < scratch_used; w++)
		ptrace(PTRACE_POKEDATA, pid, (void *)(base + w * 8), (void *)scratch_old[w]);
}

/* See the top: the filter's log lines for PID are this tool's doing. */
static void expected(pid_t pid)
{
	const char *path = getenv("VTPMD_SECCOMP_EXPECTED");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct user_regs_struct saved, regs;
	unsigned long long args[6] = { 0 }, base;
	pid_t pid;
	long word;
	int status, i;

	if (argc > 1 && strcmp(argv[1], "--at") == 0) {
		int ret = main_at(argc, argv);

		if (ret == 2)
			usage();
		return ret;
	}
	if (argc < 3 || argc > 9) {
		usage();
		return 2;
	}
	pid = (pid_t)strtol(argv[1], NULL, 10);
	expected(pid);
	for (i = 3; i < argc; i++)
		if (strncmp(argv[i], "str:", 4) != 0)
			args[i - 3] = strtoull(argv[i], NULL, 0);

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return die("PTRACE_SEIZE");
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
		return die("PTRACE_INTERRUPT");
	if (waitpid(pid, &status, __WALL) < 0 || !WIFSTOPPED(status))
		return die("waiting for the stop");
	if (ptrace(PTRACE_GETREGS, pid, 0, &saved) < 0)
		return die("PTRACE_GETREGS");
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, (void *)(saved.rip - 2), 0);
	if (errno || (word & 0xffff) != 0x050f) {   /* 0f 05: syscall */
		fprintf(stderr, "syscall_inject: the thread is not stopped in a system call\n");
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return 1;
	}

	base = (saved.rsp - SCRATCH_BELOW - SCRATCH_WORDS * 8) & ~15ULL;
	for (i = 3; i < argc; i++) {
		if (strncmp(argv[i], "str:", 4) == 0 &&
		    put_string(pid, base, argv[i] + 4, &args[i - 3]) < 0) {
			put_back(pid, base);
			ptrace(PTRACE_DETACH, pid, 0, 0);
			return 1;
		}
	}

	regs = saved;
	regs.rax = strtoull(argv[2], NULL, 0);
	regs.orig_rax = (unsigned long long)-1;
	regs.rdi = args[0];
	regs.rsi = args[1];
	regs.rdx = args[2];
	regs.r10 = args[3];
	regs.r8 = args[4];
	regs.r9 = args[5];
	regs.rip = saved.rip - 2;
	if (ptrace(PTRACE_SETREGS, pid, 0, &regs) < 0)
		return die("PTRACE_SETREGS");
	if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
		return die("PTRACE_SINGLESTEP");
	/* Other stops (a signal arriving meanwhile) are passed over. */
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0)
			return die("waiting for the call");
		if (WIFSIGNALED(status)) {
			printf("killed %s\n", sigabbrev_np(WTERMSIG(status)) ?
			       sigabbrev_np(WTERMSIG(status)) : "?");
			return 0;
		}
		if (WIFEXITED(status)) {
			printf("exited %d\n", WEXITSTATUS(status));
			return 0;
		}
		if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP)
			break;
		if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0)
			return die("PTRACE_SINGLESTEP");
	}
	if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
		return die("PTRACE_GETREGS");
	printf("result %lld\n", (long long)regs.rax);
	put_back(pid, base);
	saved = restarting(saved);
	if (ptrace(PTRACE_SETREGS, pid, 0, &saved) < 0)
		return die("restoring the registers");
	if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
		return die("PTRACE_DETACH");
	return 0;
}
