/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - vtpmd: a TPM 2.0 (or 1.2) from libtpms behind /dev/NAME via CUSE.
 *
 * Start-up order: parse options; refuse an existing /dev/NAME; go to the
 * background (the parent waits); open and lock the state directory; set up
 * the TPM; create the node. Only once the kernel has created the node is the
 * pid file written and the parent released. On the way out the TPM gets its
 * orderly shutdown and the state is written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libtpms/tpm_library.h>

#include "cli/config.h"
#include "cuse/cuse_dev.h"
#include "device/device.h"
#include "os/daemon.h"
#include "os/log.h"
#include "os/pidfile.h"
#include "store/store.h"

struct vtpmd {
	struct vtpmd_config cfg;
	struct vtpm vtpm;
	bool failed;            /* start-up failed after the node appeared */
};

/* A start-up error: one line on stderr (where the user ran us), and in the
 * log if that is somewhere else. */
static void startup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void startup_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vtpmd: %s\n", msg);
	if (log_fd() != STDERR_FILENO && log_fd() >= 0)
		log_error("%s", msg);
}

static void print_version(void)
{
	uint32_t v = TPMLIB_GetVersion();

	printf("vtpmd %s (libtpms %u.%u.%u)\n", VTPMD_VERSION,
	       (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

static int setup_logging(const struct vtpmd_config *cfg)
{
	int ret = 0;

	if (cfg->log_file && strcmp(cfg->log_file, "-") == 0) {
		log_disable();
		return 0;
	}
	if (cfg->log_file)
		ret = log_open_file(cfg->log_file, cfg->log_truncate);
	else if (cfg->log_fd >= 0)
		ret = log_set_fd(cfg->log_fd);
	if (ret < 0) {
		startup_error("--log: cannot open '%s': %s",
			      cfg->log_file ? cfg->log_file : "fd", strerror(-ret));
		return ret;
	}
	log_set_level(cfg->log_level_given ? cfg->log_level : 1);
	if (cfg->log_prefix)
		log_set_prefix(cfg->log_prefix);
	if (cfg->log_level >= 5) {
		TPMLIB_SetDebugFD(log_fd());
		TPMLIB_SetDebugLevel(cfg->log_level - 4);
	}
	return 0;
}

/* An existing TPM 1.2 state directory stays TPM 1.2 unless told otherwise. */
static void pick_tpm_version(struct vtpmd_config *cfg)
{
	if (cfg->tpm_version_given)
		return;
	if (store_detect_version(cfg->state_dir) == 1) {
		cfg->tpm_version = TPM_VERSION_12;
		log_info("%s holds TPM 1.2 state: running a TPM 1.2", cfg->state_dir);
	}
}

static void on_device_ready(void *ctx)
{
	struct vtpmd *d = ctx;
	int ret;

	if (d->cfg.pid_file || d->cfg.pid_fd >= 0) {
		ret = pidfile_write(d->cfg.pid_file, d->cfg.pid_fd);
		if (ret < 0) {
			startup_error("--pid: cannot write '%s': %s",
				      d->cfg.pid_file ? d->cfg.pid_file : "fd",
				      strerror(-ret));
			d->failed = true;
			cuse_dev_stop();
			return;
		}
	}
	if (!d->cfg.foreground)
		daemon_ready();
}

static int open_state(struct vtpmd_config *cfg)
{
	int ret = store_open(cfg->state_dir, cfg->tpm_version,
			     cfg->state_mode_given ? cfg->state_mode : STORE_MODE_DEFAULT);

	if (ret == -EAGAIN)
		startup_error("state directory %s is in use by another process",
			      cfg->state_dir);
	else if (ret < 0)
		startup_error("state directory %s: %s", cfg->state_dir, strerror(-ret));
	return ret;
}

static int run(struct vtpmd *d)
{
	struct vtpmd_config *cfg = &d->cfg;
	struct cuse_dev_options opt = {
		.name = cfg->name,
		.major = cfg->major,
		.minor = cfg->minor,
		.on_ready = on_device_ready,
		.ctx = d,
	};
	char node[256];
	int ret;

	snprintf(node, sizeof(node), "/dev/%s", cfg->name);
	if (access(node, F_OK) == 0) {
		startup_error("%s already exists", node);
		return 1;
	}
	if (!cfg->foreground && (ret = daemon_start()) < 0) {
		startup_error("cannot go to the background: %s", strerror(-ret));
		return 1;
	}
	pick_tpm_version(cfg);
	if (open_state(cfg) < 0)
		return 1;
	if (vtpm_init(&d->vtpm, cfg) < 0) {
		startup_error("the TPM did not start (state in %s)", cfg->state_dir);
		vtpm_fini(&d->vtpm);
		store_close();
		return 1;
	}
	ret = cuse_dev_run(&d->vtpm, &opt);
	if (ret == -ENODEV)
		startup_error("cannot create %s: /dev/cuse is not available (modprobe cuse?)", node);
	else if (ret < 0)
		startup_error("cannot create %s: the kernel refused the device", node);
	vtpm_fini(&d->vtpm);
	pidfile_remove();
	store_close();
	log_info("exiting");
	return ret < 0 || d->failed ? 1 : 0;
}

/* Options parsed but not wired up in this build yet: refuse them rather
 * than silently run without what the user asked for. */
static int refuse_unimplemented(const struct vtpmd_config *cfg)
{
	const char *what = NULL;

	if (cfg->key.given)
		what = "--key";
	else if (cfg->migration_key.given)
		what = "--migration-key";
	else if (cfg->state_backup)
		what = "--tpmstate backup";
	else if (cfg->migration_incoming)
		what = "--migration incoming";
	else if (cfg->runas)
		what = "--runas";
	else if (cfg->chroot_dir)
		what = "--chroot";
	else if (cfg->pcap_file || cfg->pcap_fd >= 0)
		what = "--pcap";
	else if (cfg->action == ACTION_PRINT_CAPABILITIES)
		what = "--print-capabilities";
	else if (cfg->action == ACTION_PRINT_STATES)
		what = "--print-states";
	else if (cfg->action == ACTION_PRINT_INFO)
		what = "--print-info";
	if (!what)
		return 0;
	fprintf(stderr, "vtpmd: %s is not implemented in this build yet\n", what);
	return -1;
}

int main(int argc, char **argv)
{
	static struct vtpmd d;
	char err[512];
	int ret;

	if (config_parse(&d.cfg, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpmd: %s\nTry 'vtpmd --help' for more information.\n", err);
		return 1;
	}
	switch (d.cfg.action) {
	case ACTION_HELP:
		config_usage(argv[0], stdout);
		config_free(&d.cfg);
		return 0;
	case ACTION_VERSION:
		print_version();
		config_free(&d.cfg);
		return 0;
	case ACTION_RUN:
	case ACTION_PRINT_CAPABILITIES:
	case ACTION_PRINT_STATES:
	case ACTION_PRINT_INFO:
		break;
	}
	if (refuse_unimplemented(&d.cfg) < 0) {
		config_free(&d.cfg);
		return 1;
	}
	ret = setup_logging(&d.cfg) < 0 ? 1 : run(&d);
	config_free(&d.cfg);
	log_close();
	return ret;
}
