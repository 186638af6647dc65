/* SPDX-License-Identifier: BSD-3-Clause */
/* hook.c - createRuntime and poststop for one pool slot. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/log.h"
#include "os/privs.h"
#include "vtpm-cdi/dirtree.h"
#include "vtpm-cdi/hook.h"
#include "vtpm-cdi/oci_state.h"
#include "vtpm-cdi/proc.h"
#include "vtpm-cdi/slot.h"

#define STOP_TIMEOUT 30

static char *const child_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL,
};

/* One hook run: what it was asked and what it holds. */
struct hook {
	const struct cdi_opts *o;
	struct oci_state st;
	struct run_dir run;
	int log_fd;                     /* RUN/hook.log */
	const char *event;              /* "create" or "poststop" */
	char slot_name[96];             /* e.g. slot3 */
	char devname[96];               /* e.g. vtpm-slot3 */
	char cdir[OCI_ID_MAX + 8];      /* c-ID */
	char state_path[PATH_MAX];
	struct privs_user user;
	bool have_user;
};

/* One line to RUN/hook.log (when open) and, for errors, to stderr. */
__attribute__((format(printf, 3, 4)))
static void report(struct hook *h, bool error, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_make_printable(msg, strlen(msg));
	if (error)
		fprintf(stderr, "vtpm-cdi: %s: %s\n", h->slot_name, msg);
	if (h->log_fd >= 0) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		dprintf(h->log_fd, "%s %s %s container %.64s: %s%s\n", stamp, h->event,
			h->slot_name, h->st.id[0] ? h->st.id : "?", error ? "error: " : "", msg);
	}
}

static int begin(struct hook *h, const struct cdi_opts *o, const char *event, int state_fd)
{
	char err[512];
	int ret;

	memset(h, 0, sizeof(*h));
	h->o = o;
	h->event = event;
	h->log_fd = -1;
	h->run.fd = h->run.lock_fd = -1;
	cdi_slot_name(o, o->slot, h->slot_name, sizeof(h->slot_name));
	cdi_slot_devname(o, o->slot, h->devname, sizeof(h->devname));
	ret = run_dir_open_locked(o->run_dir, &h->run);
	if (ret < 0) {
		report(h, true, "run directory %s: %s", o->run_dir, strerror(-ret));
		return -1;
	}
	h->log_fd = openat(h->run.fd, "hook.log",
			   O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (oci_state_read(state_fd, &h->st, err, sizeof(err)) < 0) {
		report(h, true, "%s", err);
		return -1;
	}
	container_dir_name(h->cdir, sizeof(h->cdir), h->st.id);
	return 0;
}

static void end(struct hook *h)
{
	run_dir_close(&h->run);
	if (h->log_fd >= 0)
		close(h->log_fd);
	if (h->have_user)
		privs_user_free(&h->user);
}

/* A path below the run directory: RUN/c-ID/LEAF. */
static void run_path(const struct hook *h, char *buf, size_t len, const char *leaf)
{
	snprintf(buf, len, "%s/%s/%s", h->o->run_dir, h->cdir, leaf);
}

/* mkdirat DIRFD/NAME 0700 for the --runas user. */
static int make_state_dir(struct hook *h, int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0700) < 0)
		return -errno;
	if (h->have_user && fchownat(dirfd, name, h->user.uid, h->user.gid,
				     AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/*
 * The TPM's state directory: a fresh RUN/c-ID/state, or with --persistent
 * STATE/NAME (NAME: the vtpmd.io/state annotation, else the container id),
 * made on first use. *FRESH says whether it was just made.
 */
static int prepare_state(struct hook *h, int cfd, bool *fresh)
{
	const char *key = h->st.state_name[0] ? h->st.state_name : h->st.id;
	struct stat st;
	int base, ret;

	*fresh = false;
	if (!h->o->persistent) {
		snprintf(h->state_path, sizeof(h->state_path), "%s/%s/state", h->o->run_dir,
			 h->cdir);
		ret = make_state_dir(h, cfd, "state");
		*fresh = ret == 0;
		return ret;
	}
	snprintf(h->state_path, sizeof(h->state_path), "%s/%s", h->o->state_dir, key);
	if (mkdir(h->o->state_dir, 0711) < 0 && errno != EEXIST)
		return -errno;
	base = open(h->o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return -errno;
	if (fstatat(base, key, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ret = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	} else {
		ret = make_state_dir(h, base, key);
		*fresh = ret == 0;
	}
	close(base);
	return ret;
}

#define SETUP_LOG_TAIL 2048       /* what of setup.log reaches hook.log */
#define SETUP_LOG_LINES 8

/* The last lines the setup program wrote (OUT, setup.log) into hook.log,
 * since the failure removes the container's directory with the file; the
 * very last one into the error line. */
static void report_setup_failure(struct hook *h, int out, int status)
{
	char tail[SETUP_LOG_TAIL + 1], *line, *lines[SETUP_LOG_LINES], *last = NULL;
	off_t size = lseek(out, 0, SEEK_END), from;
	ssize_t n;
	size_t count = 0, i;

	from = size > SETUP_LOG_TAIL ? size - SETUP_LOG_TAIL : 0;
	n = size > 0 ? pread(out, tail, (size_t)(size - from), from) : 0;
	tail[n > 0 ? n : 0] = '\0';
	/* a cut first line is not a line */
	line = from > 0 && strchr(tail, '\n') ? strchr(tail, '\n') + 1 : tail;
	for (line = strtok(line, "\n"); line; line = strtok(NULL, "\n")) {
		if (count == SETUP_LOG_LINES)
			memmove(lines, lines + 1, --count * sizeof(*lines));
		lines[count++] = line;
		last = line;
	}
	for (i = 0; i < count; i++)
		report(h, false, "setup: %s", lines[i]);
	report(h, true, "%s failed (%s %d): %s", h->o->setup,
	       status < 0 ? "error" : "exit status", status < 0 ? -status : status,
	       last ? last : "no output");
}

/*
 * PROGRAM --tpm2 --tpmstate DIR [--runas USER] ARGS..., as root: vtpm-setup
 * and swtpm_setup both make the state for --runas USER while the CA they
 * sign with stays root's.
 */
static int run_setup(struct hook *h, int cfd)
{
	size_t n = 6 + h->o->nsetup_args + 1, k = 0;
	char **argv = calloc(n, sizeof(*argv));
	int out, status;

	if (!argv)
		return -ENOMEM;
	argv[k++] = (char *)h->o->setup;
	argv[k++] = "--tpm2";
	argv[k++] = "--tpmstate";
	argv[k++] = h->state_path;
	if (h->o->runas) {
		argv[k++] = "--runas";
		argv[k++] = (char *)h->o->runas;
	}
	for (size_t i = 0; i < h->o->nsetup_args; i++)
		argv[k++] = (char *)h->o->setup_args[i];
	out = openat(cfd, "setup.log", O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (out < 0) {
		free(argv);
		return -errno;
	}
	status = proc_run(argv, child_env, NULL, out, NULL, 0);
	if (status != 0)
		report_setup_failure(h, out, status);
	close(out);
	free(argv);
	return status != 0 ? -EIO : 0;
}

static int start_vtpmd(struct hook *h)
{
	char major[16], minor[16], dir[PATH_MAX + 8], pid[PATH_MAX + 8], logf[PATH_MAX + 32];
	char out[512], path[PATH_MAX];
	const char *fixed[] = {
		h->o->vtpmd, "-n", h->devname, "-M", major, "-m", minor,
		"--tpmstate", dir, "--pid", pid, "--log", logf,
		"--flags", "not-need-init,startup-clear",
		/* The container's node carries TPM commands and harmless
		 * queries only; the control plane stays the host's, on
		 * /dev/vtpm-NAME-ctl, which no container is given. */
		"--control-node",
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), n = 0;
	char **argv = calloc(nfixed + 2 + h->o->nvtpmd_args + 1, sizeof(*argv));
	int status;

	if (!argv)
		return -ENOMEM;
	snprintf(major, sizeof(major), "%u", h->o->major);
	snprintf(minor, sizeof(minor), "%u", h->o->first_minor + h->o->slot);
	snprintf(dir, sizeof(dir), "dir=%s", h->state_path);
	run_path(h, path, sizeof(path), "vtpmd.pid");
	snprintf(pid, sizeof(pid), "file=%s", path);
	run_path(h, path, sizeof(path), "vtpmd.log");
	snprintf(logf, sizeof(logf), "file=%s,level=2", path);
	for (size_t i = 0; i < nfixed; i++)
		argv[n++] = (char *)fixed[i];
	if (h->o->runas) {
		argv[n++] = "--runas";
		argv[n++] = (char *)h->o->runas;
	}
	for (size_t i = 0; i < h->o->nvtpmd_args; i++)
		argv[n++] = h->o->vtpmd_args[i];
	status = proc_run(argv, child_env, NULL, -1, out, sizeof(out));
	free(argv);
	if (status != 0) {
		out[strcspn(out, "\n")] = '\0';
		report(h, true, "vtpmd did not start (%s %d): %s",
		       status < 0 ? "error" : "exit status", status < 0 ? -status : status,
		       out[0] ? out : "no message");
		return -EIO;
	}
	return 0;
}

/* RUN/c-ID, empty (whatever an earlier start left is removed); its fd. */
static int make_container_dir(struct hook *h)
{
	int ret = dirtree_remove(h->run.fd, h->cdir), fd;

	if (ret < 0)
		return ret;
	if (mkdirat(h->run.fd, h->cdir, 0711) < 0)
		return -errno;
	fd = openat(h->run.fd, h->cdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void remove_persistent_state(struct hook *h)
{
	const char *key = h->st.state_name[0] ? h->st.state_name : h->st.id;
	int base = open(h->o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (base >= 0) {
		dirtree_remove(base, key);
		close(base);
	}
}

/*
 * Stop the vtpmd of container ID, known by the identity the hook recorded
 * when it started it (never by its program's path: an upgrade replaces
 * that file; never by a bare pid: it may be another process's by now).
 * Returns as proc_stop(), or 0 if no vtpmd was recorded for ID.
 */
static int stop_vtpmd_of(struct hook *h, const char *id, struct proc_id *vid)
{
	int ret = container_vtpmd(&h->run, id, vid);

	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	return proc_stop(vid, STOP_TIMEOUT);
}

/* A vtpmd this container left running (its poststop never ran): stop it. */
static int stop_leftover(struct hook *h)
{
	struct proc_id vid;
	int ret = stop_vtpmd_of(h, h->st.id, &vid);

	if (ret > 0)
		report(h, false, "stopped the vtpmd (pid %d) an earlier start left", (int)vid.pid);
	else if (ret < 0)
		report(h, true, "cannot stop the vtpmd (pid %d) an earlier start left: %s",
		       (int)vid.pid, strerror(-ret));
	return ret < 0 ? ret : 0;
}

/*
 * The slot's holder HOLDER is provably gone and its poststop never ran:
 * stop the vtpmd it left, remove its run directory (its ephemeral state
 * with it; a persistent state stays where it is).
 */
static int take_over(struct hook *h, const struct slot_holder *holder)
{
	char cdir[OCI_ID_MAX + 8];
	struct proc_id vid = { 0 };
	int stopped = stop_vtpmd_of(h, holder->id, &vid), ret;

	if (stopped < 0) {
		report(h, true, "container %.64s is gone, but its vtpmd (pid %d) cannot be stopped: %s",
		       holder->id, (int)vid.pid, strerror(-stopped));
		return stopped;
	}
	container_dir_name(cdir, sizeof(cdir), holder->id);
	ret = dirtree_remove(h->run.fd, cdir);
	if (ret < 0) {
		report(h, true, "cannot remove %s/%s: %s", h->o->run_dir, cdir, strerror(-ret));
		return ret;
	}
	report(h, false, "container %.64s left this slot without its poststop (its init, pid %d, is gone)%s: taken over",
	       holder->id, (int)holder->init.pid, stopped > 0 ? "; its vtpmd stopped" : "");
	return 0;
}

/*
 * Take the slot for this container, whose init is INIT. The exit status if
 * it cannot be taken (reported), else 0.
 */
static int claim_slot(struct hook *h, const struct proc_id *init)
{
	struct slot_holder holder;
	char why[384];
	int state, ret;

	state = slot_examine(&h->run, h->slot_name, h->st.id, &holder, why, sizeof(why));
	switch (state) {
	case SLOT_HELD:
		report(h, true, "in use by container %.64s (its init, pid %d, still runs); give this container another slot",
		       holder.id, (int)holder.init.pid);
		return HOOK_EXIT_BUSY;
	case SLOT_IN_DOUBT:
		report(h, true, "not handed out: %s; once that container is gone, remove %s/claim-%s",
		       why, h->o->run_dir, h->slot_name);
		return HOOK_EXIT_BUSY;
	case SLOT_ABANDONED:
		if (take_over(h, &holder) < 0)
			return 1;
		break;
	case SLOT_OURS:
		if (stop_leftover(h) < 0)
			return 1;
		break;
	case SLOT_FREE:
		break;
	default:
		report(h, true, "cannot look at the claim on %s: %s", h->slot_name, strerror(-state));
		return 1;
	}
	ret = slot_take(&h->run, h->slot_name, h->st.id, init);
	if (ret < 0) {
		report(h, true, "cannot take %s: %s", h->slot_name, strerror(-ret));
		return 1;
	}
	return 0;
}

/* The vtpmd just started: its identity into c-ID/vtpmd.id, for poststop and
 * for a later take-over. One that cannot be recorded is stopped again. */
static int record_vtpmd(struct hook *h)
{
	struct proc_id vid = { 0 };
	int ret = container_vtpmd_record(&h->run, h->st.id, &vid);

	if (ret == 0)
		return 0;
	report(h, true, "vtpmd started, but its identity cannot be recorded: %s", strerror(-ret));
	if (vid.pid > 0)
		proc_stop(&vid, STOP_TIMEOUT);
	return ret;
}

int hook_create(const struct cdi_opts *o, int state_fd)
{
	char err[512];
	struct proc_id init;
	struct hook h;
	bool fresh = false, claimed = false;
	int cfd = -1, ret;

	if (begin(&h, o, "create", state_fd) < 0) {
		end(&h);
		return 1;
	}
	if (o->runas) {
		if (privs_lookup_user(o->runas, &h.user, err, sizeof(err)) < 0) {
			report(&h, true, "%s", err);
			end(&h);
			return 1;
		}
		h.have_user = true;
	}
	/* The slot is tied to the container's init: without it, nothing could
	 * later tell whether the container is gone. */
	ret = h.st.pid > 0 ? proc_id_of(h.st.pid, &init) : -ESRCH;
	if (ret < 0) {
		report(&h, true, h.st.pid > 0 ? "the container's init (pid %d) cannot be seen: %s"
		       : "the container state on stdin names no init process (pid %d): %s",
		       h.st.pid, strerror(-ret));
		end(&h);
		return 1;
	}
	ret = claim_slot(&h, &init);
	if (ret != 0) {
		end(&h);
		return ret;
	}
	claimed = true;
	cfd = make_container_dir(&h);
	if (cfd < 0) {
		report(&h, true, "cannot make %s/%s: %s", o->run_dir, h.cdir, strerror(-cfd));
		goto fail;
	}
	ret = prepare_state(&h, cfd, &fresh);
	if (ret < 0) {
		report(&h, true, "state directory %s: %s", h.state_path, strerror(-ret));
		goto fail;
	}
	if (fresh && o->setup && run_setup(&h, cfd) < 0)
		goto fail;
	if (start_vtpmd(&h) < 0 || record_vtpmd(&h) < 0)
		goto fail;
	report(&h, false, "/dev/%s (%u:%u) started, state in %s%s", h.devname, o->major,
	       o->first_minor + o->slot, h.state_path, fresh ? " (new)" : "");
	close(cfd);
	end(&h);
	return 0;

fail:
	if (cfd >= 0)
		close(cfd);
	/* A persistent state made just now, and not usable, goes too. */
	if (fresh && o->persistent)
		remove_persistent_state(&h);
	dirtree_remove(h.run.fd, h.cdir);
	if (claimed)
		slot_release(&h.run, h.slot_name);
	end(&h);
	return 1;
}

int hook_poststop(const struct cdi_opts *o, int state_fd)
{
	struct slot_holder holder;
	struct proc_id vid = { 0 };
	struct hook h;
	int ret, status = 0;

	if (begin(&h, o, "poststop", state_fd) < 0) {
		end(&h);
		return 1;
	}
	if (slot_owner(&h.run, h.slot_name, &holder) == 0 && strcmp(holder.id, h.st.id) == 0) {
		ret = stop_vtpmd_of(&h, h.st.id, &vid);
		if (ret < 0) {
			/* Keep the claim and the state under a daemon that may
			 * still serve them: the next create finds this container
			 * gone and tries again. */
			report(&h, true, "cannot stop vtpmd (pid %d): %s; the slot stays claimed",
			       (int)vid.pid, strerror(-ret));
			end(&h);
			return 1;
		}
		if (ret == 2) {
			report(&h, true, "vtpmd (pid %d) ignored SIGTERM for %d s and was killed",
			       (int)vid.pid, STOP_TIMEOUT);
			status = 1;
		} else {
			report(&h, false, "/dev/%s stopped%s", h.devname,
			       ret == 0 ? " (it was not running)" : "");
		}
		slot_release(&h.run, h.slot_name);
	}
	/* Ours either way: the run directory and, without --persistent, the
	 * TPM state inside it. */
	ret = dirtree_remove(h.run.fd, h.cdir);
	if (ret < 0) {
		report(&h, true, "cannot remove %s/%s: %s", o->run_dir, h.cdir, strerror(-ret));
		status = 1;
	}
	end(&h);
	return status;
}
