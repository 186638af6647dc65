/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_main.c - vtpm-setup: manufacture a TPM 2.0 state directory
 * in-process (no daemon, no socket, no child process), swtpm_setup's
 * options, all or nothing.
 *
 * Order: parse; open and lock DIR and look at it (an existing state is
 * refused, kept or replaced); lock the CA and load it (a new local CA is
 * made in memory); make the new state in a temporary directory through the
 * project's TPM and store; stage --ek-pub; then, with SIGINT, SIGTERM and
 * SIGHUP held, commit: the CA's files and counter, the state, --ek-pub,
 * each undone if a later one fails. Before the commit a signal stops the
 * run, which removes what it made. A linear state file (file://PATH) takes
 * the same steps through setup_linear.c: the state is made in a private
 * temporary directory and put into PATH with one crash-safe update.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "os/log.h"
#include "os/privs.h"
#include "vtpm-setup/setup_ca.h"
#include "vtpm-setup/setup_files.h"
#include "vtpm-setup/setup_info.h"
#include "vtpm-setup/setup_linear.h"
#include "vtpm-setup/setup_log.h"
#include "vtpm-setup/setup_manufacture.h"
#include "vtpm-setup/setup_opts.h"
#include "vtpm-setup/setup_place.h"
#include "vtpm-setup/setup_tpm.h"

#define ERR_MAX 512

/* The one line a failure prints, also into the log. */
static int failure(const char *msg)
{
	char line[ERR_MAX];

	snprintf(line, sizeof(line), "%s", msg);
	log_make_printable(line, strlen(line));
	fprintf(stderr, "vtpm-setup: %s\n", line);
	slog("Error: %s", line);
	return 1;
}

static int print_version(void)
{
	char lib[32];

	setup_tpm_lib_version(lib, sizeof(lib));
	printf("vtpm-setup %s (libtpms %s)\n", VTPMD_VERSION, lib);
	return 0;
}

/* swtpm_setup's JSON shape, listing only what works here. */
static int print_capabilities(void)
{
	unsigned sizes[8];
	size_t n, i;
	char err[ERR_MAX];

	if (setup_info_rsa_keysizes(sizes, 8, &n, err, sizeof(err)) < 0)
		return failure(err);
	printf("{ \"type\": \"swtpm_setup\", \"features\": [ \"tpm-2.0\", "
	       "\"cmdarg-keyfile-fd\", \"cmdarg-pwdfile-fd\"");
	if (n == 0)
		printf(", \"tpm2-rsa-keysize-2048\"");
	for (i = 0; i < n; i++)
		printf(", \"tpm2-rsa-keysize-%u\"", sizes[i]);
	printf(" ], \"version\": \"%s\" }\n", VTPMD_VERSION);
	return 0;
}

static int check_rsa_size(unsigned bits, char *err, size_t errlen)
{
	unsigned sizes[8];
	size_t n, i;

	if (bits == 2048)
		return 0;
	if (setup_info_rsa_keysizes(sizes, 8, &n, err, errlen) < 0)
		return -EIO;
	for (i = 0; i < n; i++)
		if (sizes[i] == bits)
			return 0;
	snprintf(err, errlen, "--rsa-keysize %u: this libtpms does not make %u-bit RSA keys",
		 bits, bits);
	return -ENOTSUP;
}

struct run {
	const struct setup_options *o;
	struct placement place;         /* a state directory, or */
	struct linear_placement lplace; /* a linear file (o->state_linear) */
	bool lowner;                    /* --runas: the owner of a file made here */
	uid_t luid;
	gid_t lgid;
	struct setup_ca ca;
	bool ca_open;
	struct cert_tpm_info tpm_info;
	struct setup_eks eks;
	struct staged_file ek_pub;
	char err[ERR_MAX];
};

/* SIGINT, SIGTERM, SIGHUP: the run stops at its next step and cleans up. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(void)
{
	/* no SA_RESTART: a wait for a lock returns and sees the signal */
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The commit is short and is not interrupted: it finishes, or is undone. */
static void hold_stop_signals(bool hold)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* Where the state goes: a directory (setup_place.h) or a linear file
 * (setup_linear.h), through the same steps. */
static int target_inspect(struct run *r)
{
	return r->o->state_linear ?
		linear_place_inspect(&r->lplace, r->o->state_dir, r->err, sizeof(r->err)) :
		place_inspect(&r->place, r->o->state_dir, r->err, sizeof(r->err));
}

static bool target_has(const struct run *r, bool volatile_state)
{
	if (r->o->state_linear)
		return volatile_state ? r->lplace.has_volatile : r->lplace.has_state;
	return volatile_state ? r->place.has_volatile : r->place.has_state;
}

static int target_begin(struct run *r, bool copy)
{
	return r->o->state_linear ?
		linear_place_begin(&r->lplace, copy, r->err, sizeof(r->err)) :
		place_begin(&r->place, copy, r->err, sizeof(r->err));
}

static int target_fill_check(struct run *r)
{
	return r->o->state_linear ? linear_place_fill_check(&r->lplace) :
		place_fill_check(&r->place);
}

static void target_end(struct run *r)
{
	if (r->o->state_linear)
		linear_place_end(&r->lplace);
	else
		place_end(&r->place);
}

/* The TPM in the temporary directory: its descriptor and its name. */
static int target_tmp_open(struct run *r, const char **name)
{
	int fd;

	if (!r->o->state_linear) {
		*name = r->place.dir;
		return dup(r->place.tmp_fd);
	}
	*name = r->lplace.tmp;
	fd = open(r->lplace.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

/* The TPM work in the temporary directory. */
static int fill(struct run *r, bool manufacture)
{
	const struct manufacture_env env = {
		.ca = r->ca_open ? &r->ca : NULL,
		.tpm_info = &r->tpm_info,
		.now = time(NULL),
	};
	char why[ERR_MAX];
	const char *name;
	int fd = target_tmp_open(r, &name), ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(r->err, sizeof(r->err), "%.400s: %s", name, strerror(-ret));
		return ret;
	}
	ret = setup_tpm_open(fd, name, &r->o->key, r->err, sizeof(r->err));

	if (ret == 0)
		ret = manufacture ? setup_manufacture(r->o, &env, &r->eks, r->err,
						      sizeof(r->err)) :
			setup_amend(r->o, &r->eks, r->err, sizeof(r->err));
	setup_tpm_close();
	close(fd);
	if (ret < 0 && setup_tpm_write_error()) {
		/* libtpms only knows that the write failed; the store knows why */
		snprintf(why, sizeof(why), "%s", r->err);
		snprintf(r->err, sizeof(r->err), "cannot write the new state of %.200s: %s (%.200s)",
			 r->o->state_dir, strerror(setup_tpm_write_error()), why);
	}
	if (ret == 0) {
		ret = target_fill_check(r);
		if (ret < 0)
			snprintf(r->err, sizeof(r->err), "making the state failed: %s",
				 strerror(-ret));
	}
	return ret;
}

/* Written beside --ek-pub and checked now: only a rename is left for the
 * commit. */
static int stage_ek_pub(struct run *r)
{
	char *pem;
	size_t len;
	int ret;

	if (!r->o->ek_pub)
		return 0;
	ret = setup_eks_pem(&r->eks, &pem, &len);
	if (ret == 0)
		ret = files_stage(&r->ek_pub, r->o->ek_pub, pem, len, 0644);
	free(pem);
	if (ret < 0)
		snprintf(r->err, sizeof(r->err), "cannot write --ek-pub %s: %s",
			 r->o->ek_pub, strerror(-ret));
	return ret;
}

static int prepare_certificates(struct run *r)
{
	int ret;

	if (!r->o->create_ek_cert)
		return 0;
	ret = setup_info_tpm(&r->tpm_info, r->err, sizeof(r->err));
	if (ret == 0)
		ret = setup_ca_open(&r->ca, &r->o->ca, setup_cert_count(r->o),
				    r->err, sizeof(r->err));
	r->ca_open = ret == 0;
	return ret;
}

enum mode {
	MODE_NOTHING,           /* --not-overwrite found a state */
	MODE_MANUFACTURE,
	MODE_AMEND,             /* --ek-cert */
	MODE_EXPORT,            /* --not-overwrite --ek-pub: read the EKs only */
};

/* What to do, given what DIR holds. */
static int decide(struct run *r, enum mode *mode)
{
	const struct setup_options *o = r->o;

	if (!setup_opts_manufactures(o)) {
		*mode = MODE_AMEND;
		if (!target_has(r, false)) {
			snprintf(r->err, sizeof(r->err), "%s holds no TPM state to add "
				 "a certificate to", o->state_dir);
			return -ENOENT;
		}
		if (target_has(r, true)) {
			snprintf(r->err, sizeof(r->err), "%s holds a saved volatile "
				 "state (a suspended TPM); start and stop it first",
				 o->state_dir);
			return -EBUSY;
		}
		return 0;
	}
	*mode = MODE_MANUFACTURE;
	if (!target_has(r, false) || o->existing == EXISTING_OVERWRITE)
		return 0;
	if (o->existing == EXISTING_KEEP) {
		slog("Not overwriting the existing state in %s.", o->state_dir);
		*mode = o->ek_pub ? MODE_EXPORT : MODE_NOTHING;
		return 0;
	}
	snprintf(r->err, sizeof(r->err), "%s already holds a TPM state; "
		 "--overwrite replaces it, --not-overwrite keeps it", o->state_dir);
	return -EEXIST;
}

/*
 * The commit, all or nothing across the CA, the state and --ek-pub: the CA's
 * new files and counter, then the state, then --ek-pub; a failure takes
 * back what went before it.
 */
static int commit(struct run *r, enum mode mode)
{
	char how[PATH_MAX + 64];
	int ret = 0;

	if (mode != MODE_EXPORT && r->ca_open)
		ret = setup_ca_commit(&r->ca, r->err, sizeof(r->err));
	if (ret == 0 && mode != MODE_EXPORT && r->lowner && !r->lplace.existed &&
	    lchown(r->o->state_dir, r->luid, r->lgid) < 0) {
		ret = -errno;
		snprintf(r->err, sizeof(r->err), "--runas: cannot hand %s over: %s",
			 r->o->state_dir, strerror(-ret));
	}
	if (ret == 0 && mode != MODE_EXPORT) {
		ret = r->o->state_linear ?
			linear_place_commit(&r->lplace, r->err, sizeof(r->err)) :
			place_commit(&r->place, r->err, sizeof(r->err));
		if (ret < 0 && r->ca_open)
			setup_ca_rollback(&r->ca);
	}
	if (ret < 0)
		return ret;
	ret = files_stage_commit(&r->ek_pub);
	if (ret < 0) {
		/* A linear file's update cannot be taken back: say so. */
		snprintf(r->err, sizeof(r->err), "--ek-pub %s could not be written: %s%s",
			 r->o->ek_pub, strerror(-ret), r->o->state_linear &&
			 mode != MODE_EXPORT ? " (the new state is in place)" : "");
		if (!r->o->state_linear) {
			(void)place_undo(&r->place, NULL, 0);
			if (r->ca_open)
				setup_ca_rollback(&r->ca);
		}
		return ret;
	}
	if (mode != MODE_EXPORT)
		slog("Placed the new state in %s %s.", r->o->state_dir,
		     r->o->state_linear ? "with one update of the file" :
		     place_mode_text(&r->place, how, sizeof(how)));
	return 0;
}

static int run_setup(struct run *r)
{
	enum mode mode = MODE_NOTHING;
	int ret;

	ret = target_inspect(r);
	if (ret < 0)
		return ret;
	ret = decide(r, &mode);
	if (ret < 0 || mode == MODE_NOTHING)
		return ret;
	if (mode == MODE_MANUFACTURE) {
		ret = check_rsa_size(r->o->rsa_bits, r->err, sizeof(r->err));
		if (ret == 0)
			ret = prepare_certificates(r);
	}
	if (ret == 0)
		ret = target_begin(r, mode != MODE_MANUFACTURE);
	if (ret == 0) {
		slog("%s the TPM in %s.", mode == MODE_MANUFACTURE ? "Manufacturing" :
		     mode == MODE_AMEND ? "Amending" : "Reading",
		     r->o->state_linear ? r->lplace.tmp : r->place.tmp_name);
		ret = fill(r, mode == MODE_MANUFACTURE);
	}
	if (ret == 0)
		ret = stage_ek_pub(r);
	if (ret == 0) {
		hold_stop_signals(true);
		ret = stop_signal ? -EINTR : commit(r, mode);
		target_end(r);
		hold_stop_signals(false);
	}
	return ret;
}

/* --runas USER: the new state is USER's. */
static int set_state_owner(struct run *r)
{
	struct privs_user u;
	int ret;

	if (!r->o->runas)
		return 0;
	if (geteuid() != 0) {
		snprintf(r->err, sizeof(r->err), "--runas %s: only root can make a state "
			 "for another user", r->o->runas);
		return -EPERM;
	}
	ret = privs_lookup_user(r->o->runas, &u, r->err, sizeof(r->err));
	if (ret < 0)
		return ret;
	/* A linear file this run makes becomes USER's before the state goes
	 * in; an existing file or a block device keeps its owner. */
	r->lowner = r->o->state_linear;
	r->luid = u.uid;
	r->lgid = u.gid;
	r->place.set_owner = true;
	r->place.uid = u.uid;
	r->place.gid = u.gid;
	privs_user_free(&u);
	return 0;
}

static void warn(const char *msg)
{
	char line[sizeof(((struct placement *)0)->warning)];

	snprintf(line, sizeof(line), "%s", msg);
	log_make_printable(line, strlen(line));
	fprintf(stderr, "vtpm-setup: warning: %s\n", line);
	slog("Warning: %s", line);
}

int main(int argc, char **argv)
{
	struct setup_options o;
	struct run r = { .o = &o, .place = { .parent_fd = -1, .dir_fd = -1, .lock_fd = -1,
					      .tmp_fd = -1 } };
	char err[ERR_MAX];
	int ret;

	if (setup_opts_parse(&o, argc, argv, err, sizeof(err)) < 0)
		return failure(err);
	switch (o.action) {
	case SETUP_HELP:
		setup_opts_usage(stdout, "vtpm-setup");
		return 0;
	case SETUP_VERSION:
		return print_version();
	case SETUP_PRINT_CAPABILITIES:
		return print_capabilities();
	case SETUP_RUN:
		break;
	}
	if (o.logfile && (ret = slog_open(o.logfile)) < 0) {
		snprintf(err, sizeof(err), "--logfile %s: %s", o.logfile, strerror(-ret));
		return failure(err);
	}
	setup_tpm_log_to(slog_fd());
	slog("vtpm-setup %s: TPM 2.0 state in %s", VTPMD_VERSION, o.state_dir);

	catch_stop_signals();
	r.place.stop = &stop_signal;
	setup_tpm_stop_on(&stop_signal);
	setup_ca_stop_on(&stop_signal);
	ret = set_state_owner(&r);
	if (ret == 0)
		ret = run_setup(&r);
	files_stage_abort(&r.ek_pub);
	target_end(&r);
	setup_eks_free(&r.eks);
	if (r.ca_open)
		setup_ca_close(&r.ca);
	if (r.place.warning[0])
		warn(r.place.warning);
	if (ret < 0 && stop_signal) {
		snprintf(err, sizeof(err), "stopped by SIG%s; %s is as it was",
			 sigabbrev_np(stop_signal), o.state_dir);
		failure(err);
		slog_close();
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
		return 1;
	}
	if (ret < 0) {
		failure(r.err);
		slog_close();
		return 1;
	}
	slog("Successfully authored the TPM state in %s.", o.state_dir);
	slog_close();
	return 0;
}
