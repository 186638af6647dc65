/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * procs.h - the processes under test: start vtpmd or the CUSE floor, find
 * their node, stop them, and read what they cost in memory.
 *
 * Functions returning int give 0 or -errno.
 */
#ifndef BENCH_PROCS_H
#define BENCH_PROCS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start vtpmd in its default background mode on DIR (a state directory, or
 * a backend URI such as file://PATH): the returned child is the
 * parent process that exits once /dev/NAME works (or start-up failed).
 * The daemon writes its pid to PIDFILE and logs errors to LOGFILE.
 * NOT_NEED_INIT adds --flags not-need-init,startup-clear; EXTRA (may be
 * NULL) is appended: NEXTRA more arguments. */
pid_t spawn_vtpmd(const char *vtpmd, const char *name, const char *dir,
		  const char *pidfile, const char *logfile, bool not_need_init,
		  char *const extra[], int nextra);
/* Run ARGV (stdin/stdout from /dev/null); the child's pid or -errno. */
pid_t spawn_cmd(char *const argv[]);
/* Start the floor device in the foreground (the child is the device). */
pid_t spawn_floor(const char *floor, const char *name, bool multithreaded);

/* Wait for CHILD; its exit status, or -1 if it did not exit normally. */
int wait_exit(pid_t child);
/* The pid in PIDFILE, or -errno. */
pid_t read_pidfile(const char *pidfile);
/* Poll (every 0.2 ms) until /dev/NAME exists; -ETIMEDOUT after TIMEOUT_MS. */
int wait_node(const char *name, unsigned timeout_ms);
/*
 * Open /dev/NAME (retrying while it does not exist yet), send
 * GetRandom(8) and read the answer: the "first command answered" of
 * start-up. 0, -ETIMEDOUT, or -EPROTO if the TPM did not answer success.
 */
int first_answer(const char *name, unsigned timeout_ms);
/* Send GetRandom(8) on FD (a device or a socket), read the answer, close
 * FD: 0, -errno, or -EPROTO if the TPM did not answer success. */
int answer_getrandom(int fd);
/* SIGTERM PID and wait until it and /dev/NAME (if NAME) are gone;
 * SIGKILL after TIMEOUT_MS. Reaps PID if it is our child. */
int stop_pid(pid_t pid, const char *name, unsigned timeout_ms);

/*
 * What a process costs, in KiB. VmRSS, RssAnon and RssFile are counted from
 * its page tables (/proc/PID/smaps_rollup: Rss, Anonymous, the difference),
 * not taken from /proc/PID/status, whose counters lag behind on Linux
 * before 6.2: each thread keeps its own count of recent faults and adds
 * it in only now and then (a daemon that just served 10,000 commands
 * showed the VmRSS of its start). VmHWM and the thread count are status'.
 */
struct mem {
	long rss, hwm, rss_anon, rss_file, pss;
	int threads;
};
int read_mem(pid_t pid, struct mem *m);

/*
 * Where a process' resident pages are: Rss and Anonymous (KiB) summed per
 * mapped file (its base name, e.g. "libcrypto.so.3"; the executable too),
 * "[heap]", "[stack]", or "[anonymous]" (other anonymous mappings: thread
 * stacks, large allocations), from /proc/PID/smaps. At most MAX parts,
 * largest Rss first; the number found, or -errno.
 */
struct mem_part {
	char name[48];
	long rss, anon;
};
int read_mem_parts(pid_t pid, struct mem_part parts[], int max);

#endif
