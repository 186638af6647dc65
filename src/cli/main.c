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
#include "cli/print_states.h"
#include "cli/print_caps.h"
#include "cdi/cdi_names.h"
#include "cdi/cdi_publish.h"
#include "cuse/cuse_dev.h"
#include "device/device.h"
#include "os/daemon.h"
#include "os/log.h"
#include "os/notify.h"
#include "os/pcap.h"
#include "os/pidfile.h"
#include "os/privs.h"
#include "os/seccomp.h"
#include "store/key.h"
#include "store/store.h"

struct vtpmd {
	struct vtpmd_config cfg;
	struct vtpm vtpm;
	struct pcap_writer *pcap;       /* --pcap, or NULL */
	struct privs_user user;         /* --runas */
	struct cdi_publisher cdi;       /* --cdi */
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
	log_make_printable(msg, strlen(msg));
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
	/* libtpms' own error lines (why a state did not load) belong in the
	 * same log, not on a terminal or a /dev/null stderr */
	if (cfg->log_file || cfg->log_fd >= 0)
		TPMLIB_SetDebugFD(log_fd());
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

/*
 * The node exists and nothing later needs root: become the --runas user
 * (or stay uid 0) without any capability, then allow only the syscalls the
 * daemon makes. The process has one thread here, so this covers all of it.
 */
static int lock_down(struct vtpmd *d)
{
	enum seccomp_action action = d->cfg.seccomp;
	int ret;

#ifdef __SANITIZE_ADDRESS__
	/* ASan and LSan make calls outside the allow-list (reports, the leak
	 * check at exit): a sanitizer build logs them rather than dying. */
	if (action == SECCOMP_ACTION_KILL)
		action = SECCOMP_ACTION_LOG;
#endif
	ret = privs_drop(d->cfg.runas ? &d->user : NULL);
	if (ret < 0) {
		startup_error("cannot drop privileges: %s", strerror(-ret));
		return ret;
	}
	log_info("serving as uid %u gid %u, no capabilities", (unsigned)getuid(),
		 (unsigned)getgid());
	ret = seccomp_allowlist_install(action);
	if (ret < 0)
		startup_error("cannot install the seccomp filter: %s", strerror(-ret));
	return ret;
}

/* --cdi: the spec goes out while we are still root, before lock_down(). */
static int publish_cdi(struct vtpmd *d)
{
	const struct cdi_publish_args args = {
		.devname = d->cfg.name,
		.kind = d->cfg.cdi_kind ? d->cfg.cdi_kind : CDI_KIND_DEFAULT,
		.container_path = d->cfg.cdi_path ? d->cfg.cdi_path : CDI_PATH_DEFAULT,
		.seccomp = d->cfg.seccomp,
	};
	char err[512];

	if (!d->cfg.cdi_dir || cdi_publish(&d->cdi, &args, err, sizeof(err)) == 0)
		return 0;
	startup_error("%s", err);
	return -EIO;
}

static int on_device_ready(void *ctx)
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
			return ret;
		}
	}
	ret = publish_cdi(d);
	if (ret == 0)
		ret = lock_down(d);
	if (ret < 0) {
		d->failed = true;
		return ret;
	}
	if (!d->cfg.foreground)
		daemon_ready();
	/* Last: a service manager may start QEMU the moment it reads this. */
	notify_send("READY=1");
	return 0;
}

/* State files are created by, and checked against, the --runas user. */
static int state_as_user(struct vtpmd *d)
{
	int ret = d->cfg.runas ? privs_enter_user(&d->user) : 0;

	if (ret < 0)
		startup_error("cannot act as user %s: %s", d->user.name, strerror(-ret));
	return ret;
}

static int back_to_root(struct vtpmd *d)
{
	int ret = d->cfg.runas ? privs_leave_user() : 0;

	if (ret < 0)
		startup_error("cannot return to uid 0: %s", strerror(-ret));
	return ret;
}

/* The device's recorder hook, writing to the --pcap file. */
static void record_exchange(void *ctx, const uint8_t *cmd, size_t cmd_len,
			    const uint8_t *resp, size_t resp_len)
{
	pcap_write_exchange(ctx, cmd, cmd_len, resp, resp_len);
}

/* --pcap is opened in the privileged phase, like every other file. */
static int open_pcap(struct vtpmd *d)
{
	const struct vtpmd_config *cfg = &d->cfg;
	int ret;

	if (!cfg->pcap_file && cfg->pcap_fd < 0)
		return 0;
	ret = pcap_open(&d->pcap, cfg->pcap_file, cfg->pcap_fd, cfg->pcap_truncate,
			cfg->pcap_mode, cfg->name);
	if (ret < 0)
		startup_error("--pcap: cannot write '%s': %s",
			      cfg->pcap_file ? cfg->pcap_file : "fd", strerror(-ret));
	return ret;
}

/* --key / --migration-key: read before anything is created, so that a bad
 * key source stops vtpmd with one line and leaves nothing behind. */
static int load_keys(const struct vtpmd_config *cfg)
{
	struct state_key file_key = { .len = 0 }, migration_key = { .len = 0 };
	char err[512];
	int ret = 0;

	if (cfg->key.given &&
	    key_load(&cfg->key, &file_key, err, sizeof(err)) < 0) {
		startup_error("--key: %s", err);
		ret = -1;
	} else if (cfg->migration_key.given &&
		   key_load(&cfg->migration_key, &migration_key, err, sizeof(err)) < 0) {
		startup_error("--migration-key: %s", err);
		ret = -1;
	} else {
		store_set_keys(&file_key, &migration_key);
	}
	key_wipe(&file_key);
	key_wipe(&migration_key);
	return ret;
}

static int open_state(struct vtpmd_config *cfg)
{
	const struct store_options sopt = {
		.file_mode = cfg->state_mode_given ? cfg->state_mode : STORE_MODE_DEFAULT,
		.backup = cfg->state_backup,
		.defer_lock = cfg->migration_incoming,
	};
	int ret = store_open_with(cfg->state_dir, cfg->tpm_version, &sopt);

	if (ret == -EAGAIN)
		startup_error("state directory %s is in use by another process",
			      cfg->state_dir);
	else if (ret == -EACCES && cfg->runas)
		startup_error("state directory %s is not writable by user %s",
			      cfg->state_dir, cfg->runas);
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
	if (load_keys(cfg) < 0)
		return 1;
	if (!cfg->foreground && (ret = daemon_start()) < 0) {
		startup_error("cannot go to the background: %s", strerror(-ret));
		return 1;
	}
	if (state_as_user(d) < 0)
		return 1;
	pick_tpm_version(cfg);
	/* Failures end as root too: the exit path (and LeakSanitizer) must not
	 * run half-switched. */
	if (open_state(cfg) < 0) {
		back_to_root(d);
		return 1;
	}
	if (back_to_root(d) < 0 || open_pcap(d) < 0) {
		pcap_close(d->pcap);
		store_close();
		return 1;
	}
	if (state_as_user(d) < 0 ||
	    vtpm_init_with_recorder(&d->vtpm, cfg, d->pcap ? record_exchange : NULL,
				    d->pcap) < 0 || back_to_root(d) < 0) {
		startup_error("the TPM did not start (state in %s)", cfg->state_dir);
		back_to_root(d);
		vtpm_fini(&d->vtpm);
		pcap_close(d->pcap);
		store_close();
		return 1;
	}
	ret = cuse_dev_run(&d->vtpm, &opt);
	cdi_unpublish(&d->cdi);         /* first: no runtime may pick up a gone node */
	notify_send("STOPPING=1");
	if (ret == -ENODEV)
		startup_error("cannot create %s: /dev/cuse is not available (modprobe cuse?)", node);
	else if (ret < 0 && !d->failed)
		startup_error("cannot create %s: the kernel refused the device", node);
	vtpm_fini(&d->vtpm);
	pcap_close(d->pcap);    /* after vtpm_fini: it records the shutdown */
	notify_close();
	pidfile_remove();
	store_close();
	log_info("exiting");
	return ret < 0 || d->failed ? 1 : 0;
}

/*
 * Before anything is created: look the --runas user up in the host's user
 * database (so the chroot needs none), then enter the --chroot; every path
 * after this resolves inside it.
 */
static int prepare_confinement(struct vtpmd *d)
{
	char err[512];
	int ret;

	if (d->cfg.runas &&
	    privs_lookup_user(d->cfg.runas, &d->user, err, sizeof(err)) < 0) {
		startup_error("%s", err);
		return -1;
	}
	/* The CDI directory and /dev are the host's, --chroot or not. */
	if (d->cfg.cdi_dir &&
	    cdi_publisher_open(&d->cdi, d->cfg.cdi_dir, d->cfg.name, err, sizeof(err)) < 0) {
		startup_error("%s", err);
		return -1;
	}
	if (d->cfg.chroot_dir && (ret = privs_chroot(d->cfg.chroot_dir)) < 0) {
		startup_error("--chroot %s: %s", d->cfg.chroot_dir, strerror(-ret));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct vtpmd d;
	char err[512];
	int ret;

	cdi_publisher_init(&d.cdi);
	if (config_parse(&d.cfg, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpmd: %s (see vtpmd --help)\n", err);
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
	case ACTION_PRINT_CAPABILITIES:
		ret = print_capabilities(stdout, d.cfg.tpm_version) < 0;
		config_free(&d.cfg);
		return ret;
	case ACTION_PRINT_INFO:
		ret = print_info(stdout, d.cfg.tpm_version, d.cfg.print_info_flags) < 0;
		config_free(&d.cfg);
		return ret;
	case ACTION_PRINT_STATES:
		ret = print_states(stdout, &d.cfg) < 0;
		config_free(&d.cfg);
		return ret;
	case ACTION_RUN:
		break;
	}
	/* Before --chroot hides the socket's path. A failure is logged; the
	 * TPM itself works without a service manager. */
	notify_open();
	ret = prepare_confinement(&d) < 0 || setup_logging(&d.cfg) < 0 ? 1 : run(&d);
	store_clear_keys();     /* run() may have set them, on every path */
	cdi_unpublish(&d.cdi);  /* closes what a failed start-up left open */
	privs_user_free(&d.user);
	config_free(&d.cfg);
	log_close();
	return ret;
}
