/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c - vtpmd: a TPM 2.0 (or 1.2) from libtpms behind /dev/NAME via CUSE.
 *
 * Start-up is one straight sequence, each step with one error line:
 *
 *   as root      parse options; look up the --runas user; open /dev/cuse
 *                (first: a start that cannot have a device creates nothing);
 *                open the --cdi directory; --chroot; logging; read the
 *                keys; open the --pcap file
 *   as the user  open and lock the state directory, start the TPM: every
 *                state file is made by, and checked against, the user that
 *                will write it later
 *   as root      go to the background; the kernel creates the nodes; then,
 *                in on_device_ready(), the pid file, the CDI spec, the drop
 *                of every privilege, seccomp, and the parent and the service
 *                manager are told; then each node runs its own loop thread
 *                and this one waits for the signal that ends it all
 *
 * The TPM starts before the fork, as in swtpm's CUSE mode: the daemon then
 * never runs (nor keeps resident) the code of the TPM's start and of
 * OpenSSL's set-up, and the storage lock, an open file lock, goes with it.
 *
 * On the way out the TPM gets its orderly shutdown and the state is written.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdispec/cdi_names.h"
#include "vtpmd/cdi_publish.h"
#include "vtpmd/config.h"
#include "vtpmd/devname.h"
#include "vtpmd/nodes.h"
#include "vtpmd/print_caps.h"
#include "vtpmd/print_states.h"
#include "device/device.h"
#include "os/daemon.h"
#include "os/landlock.h"
#include "os/log.h"
#include "os/notify.h"
#include "vtpmd/pcap.h"
#include "os/pidfile.h"
#include "os/privs.h"
#include "os/seccomp.h"
#include "store/key.h"

struct vtpmd {
	struct vtpmd_config cfg;
	struct privs_user user;         /* --runas */
	struct vtpmd_nodes nodes;       /* /dev/NAME ..., and their /dev/cuse files */
	struct state_key file_key;      /* --key */
	struct state_key migration_key; /* --migration-key */
	struct pcap_writer *pcap;       /* --pcap, or NULL */
	struct cdi_publisher cdi;       /* --cdi */
	struct vtpm vtpm;
	char rm_name[DEVNAME_RM_MAX + 1]; /* /dev/vtpmrmN, or "" for none */
	struct rm *rm;                  /* its resource manager */
	bool vtpm_open;                 /* vtpm_init() succeeded */
	bool served;                    /* the device existed */
	bool failed;                    /* start-up failed after the node appeared */
	char store_err[512];            /* why the state could not be opened */
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
	uint32_t v = tpm_lib_version();

	printf("vtpmd %s (libtpms %u.%u.%u)\n", VTPMD_VERSION,
	       (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

/* The actions that print something and exit. */
static int print_and_exit(const struct vtpmd_config *cfg, const char *prog)
{
	switch (cfg->action) {
	case ACTION_HELP:
		config_usage(prog, stdout);
		return 0;
	case ACTION_VERSION:
		print_version();
		return 0;
	case ACTION_PRINT_CAPABILITIES:
		return print_capabilities(stdout, cfg->tpm_version) < 0;
	case ACTION_PRINT_INFO:
		return print_info(stdout, cfg->tpm_version, cfg->print_info_flags) < 0;
	case ACTION_PRINT_STATES:
		return print_states(stdout, cfg) < 0;
	case ACTION_RUN:
		break;
	}
	return 1;
}

/* Refuse a name in use before anything is opened. Inside a --chroot the
 * host's /dev is out of sight; the kernel then refuses a duplicate. */
static int check_node_free(const char *name)
{
	char node[256];

	snprintf(node, sizeof(node), "/dev/%s", name);
	if (access(node, F_OK) == 0) {
		startup_error("%s already exists", node);
		return -EEXIST;
	}
	return 0;
}

static int check_nodes_free(const struct vtpmd *d)
{
	int ret = check_node_free(d->cfg.name);

	if (ret == 0 && d->cfg.control_node)
		ret = check_node_free(d->cfg.control_name);
	if (ret == 0 && d->rm_name[0])
		ret = check_node_free(d->rm_name);
	return ret;
}

/* The resource-managed node beside /dev/NAME (unless it is off): named
 * and numbered by the rule of --help, as the kernel pairs tpmrmN with
 * tpmN. Whether the TPM is a 1.2, which has none, is known only once its
 * state is read: the node is dropped then. */
static void plan_rm_node(struct vtpmd *d)
{
	const struct vtpmd_config *cfg = &d->cfg;

	d->rm_name[0] = '\0';
	if (cfg->rm_off || (cfg->tpm_version_given && cfg->tpm_version == TPM_VERSION_12))
		return;
	/* the name fits: the rule adds two characters to at most DEVNAME_MAX */
	cdi_rm_devname(cfg->name, d->rm_name, sizeof(d->rm_name));
	nodes_want_rm(&d->nodes, true, d->rm_name, cfg->major,
		      cfg->major ? cfg->minor + CDI_RM_MINOR_OFFSET : 0);
}

/* --runas is looked up in the host's user database, before any chroot, so
 * the chroot needs none. */
static int lookup_user(struct vtpmd *d)
{
	char err[256];
	int ret = 0;

	if (d->cfg.runas) {
		ret = privs_lookup_user(d->cfg.runas, &d->user, err, sizeof(err));
		if (ret < 0)
			startup_error("%s", err);
	}
	return ret;
}

static int open_cuse(struct vtpmd *d)
{
	const char *node = d->cfg.name;
	int ret;

	ret = nodes_open_cuse(&d->nodes, &node);
	if (ret == -ENODEV)
		startup_error("cannot create /dev/%s: /dev/cuse is not available (modprobe cuse?)",
			      node);
	else if (ret < 0)
		startup_error("cannot create /dev/%s: cannot open /dev/cuse: %s",
			      node, strerror(-ret));
	return ret;
}

/* --cdi: the spec directory (and /dev) are opened before any chroot, so
 * both are the host's. */
static int open_cdi(struct vtpmd *d)
{
	char err[512];
	int ret = 0;

	if (d->cfg.cdi_dir &&
	    (ret = cdi_publisher_open(&d->cdi, d->cfg.cdi_dir, d->cfg.name, err,
				      sizeof(err))) < 0)
		startup_error("%s", err);
	return ret;
}

/* Every path after this resolves inside --chroot DIR. */
static int enter_chroot(const struct vtpmd_config *cfg)
{
	int ret = 0;

	if (cfg->chroot_dir && (ret = privs_chroot(cfg->chroot_dir)) < 0)
		startup_error("--chroot %s: %s", cfg->chroot_dir, strerror(-ret));
	return ret;
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
	 * same log, not on a terminal or a /dev/null stderr. From level 5 on,
	 * as swtpm: its debug output at level N - 4, indented four spaces
	 * under our prefix. */
	if (cfg->log_level >= 5) {
		char prefix[256];

		snprintf(prefix, sizeof(prefix), "%s    ",
			 cfg->log_prefix ? cfg->log_prefix : "");
		tpm_lib_log_to(log_fd(), cfg->log_level - 4, prefix);
	} else if (cfg->log_file || cfg->log_fd >= 0) {
		tpm_lib_log_to(log_fd(), 0, NULL);
	}
	return 0;
}

/* --key / --migration-key: read before anything is created, so that a bad
 * key source stops vtpmd with one line and leaves nothing behind. */
static int load_keys(struct vtpmd *d)
{
	char err[512];

	if (d->cfg.key.given &&
	    key_load(&d->cfg.key, &d->file_key, err, sizeof(err)) < 0) {
		startup_error("--key: %s", err);
		return -EINVAL;
	}
	if (d->cfg.migration_key.given &&
	    key_load(&d->cfg.migration_key, &d->migration_key, err, sizeof(err)) < 0) {
		startup_error("--migration-key: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* The parent waits until the device works. The child keeps the TPM and
 * the storage lock (an open file lock: store_lock.c), and libgcc_s,
 * loaded here so that the child does not touch it until it exits. */
static int go_background(const struct vtpmd_config *cfg)
{
	int ret = 0;

	privs_preload_libs();
	if (!cfg->foreground && (ret = daemon_start()) < 0)
		startup_error("cannot go to the background: %s", strerror(-ret));
	return ret;
}

/* --pcap is opened as root, like every file outside the state directory. */
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

/* The device's recorder hook, writing to the --pcap file. */
static void record_exchange(void *ctx, const uint8_t *cmd, size_t cmd_len,
			    const uint8_t *resp, size_t resp_len)
{
	pcap_write_exchange(ctx, cmd, cmd_len, resp, resp_len);
}

/* What the device gets from the command line. */
static void device_options(struct vtpmd *d, struct vtpm_options *o)
{
	const struct vtpmd_config *cfg = &d->cfg;

	*o = (struct vtpm_options){
		.tpm = {
			.version = cfg->tpm_version,
			.auto_shutdown = !cfg->disable_auto_shutdown,
			.reject_locality_4 = cfg->reject_locality_4,
			.allow_set_locality = cfg->allow_set_locality,
			.store = {
				.dir = cfg->state_dir,
				.file = cfg->state_file,
				.err = d->store_err,
				.errlen = sizeof(d->store_err),
				.file_mode = cfg->state_mode_given ?
					     cfg->state_mode : STORE_MODE_DEFAULT,
				.backup = cfg->state_backup,
				.defer_lock = cfg->migration_incoming,
				.release_outgoing = cfg->migration_release_lock_outgoing,
				.file_key = &d->file_key,
				.migration_key = &d->migration_key,
			},
		},
		.not_need_init = cfg->not_need_init,
		.startup = cfg->startup,
		.record = d->pcap ? record_exchange : NULL,
		.record_ctx = d->pcap,
	};
}

/* The resource manager on the TPM, for /dev/RMNAME. */
static int start_rm(struct vtpmd *d)
{
	int ret;

	if (!d->rm_name[0])
		return 0;
	if (d->cfg.tpm_version == TPM_VERSION_12) {
		log_info("a TPM 1.2 has no resource manager: no /dev/%s", d->rm_name);
		nodes_want_rm(&d->nodes, false, NULL, 0, 0);
		d->rm_name[0] = '\0';
		return 0;
	}
	ret = rm_new(&d->rm, vtpm_tpm(&d->vtpm), &d->cfg.rm);
	if (ret < 0)
		startup_error("cannot set up the resource manager: %s", strerror(-ret));
	d->nodes.rm = d->rm;
	return ret;
}

/* The state directory and the TPM on it; run as the --runas user. */
static int start_tpm(struct vtpmd *d)
{
	struct vtpmd_config *cfg = &d->cfg;
	const char *what = cfg->state_file ? "state file" : "state directory";
	const char *where = cfg->state_file ? cfg->state_file : cfg->state_dir;
	struct vtpm_options opt;
	int ret;

	/* An existing TPM 1.2 state directory stays TPM 1.2 unless told
	 * otherwise. (A linear file does not say which TPM it holds.) */
	if (!cfg->tpm_version_given && cfg->state_dir &&
	    store_detect_version(cfg->state_dir) == 1) {
		cfg->tpm_version = TPM_VERSION_12;
		log_info("%s holds TPM 1.2 state: running a TPM 1.2", cfg->state_dir);
	}
	device_options(d, &opt);
	ret = vtpm_init(&d->vtpm, &opt);
	/* the store has its own copies now */
	key_wipe(&d->file_key);
	key_wipe(&d->migration_key);
	if (ret == -EAGAIN)
		startup_error("%s %s is in use by another process", what, where);
	else if (ret == -EACCES && cfg->runas)
		startup_error("%s %s is not writable by user %s", what, where, cfg->runas);
	else if (ret < 0 && d->store_err[0])
		startup_error("%s %s", what, d->store_err);
	else if (ret < 0)
		startup_error("%s %s: %s", what, where, strerror(-ret));
	if (ret < 0)
		return ret;
	d->vtpm_open = true;
	/* With a control node, /dev/NAME is a client's: TPM commands and the
	 * harmless queries; the control plane is the host's (device.h). */
	if (cfg->control_node)
		vtpm_set_policy(&d->vtpm, VTPM_DOOR_NODE, &VTPM_POLICY_CLIENT);
	ret = vtpm_start(&d->vtpm);
	if (ret < 0) {
		startup_error("the TPM did not start (state in %s)", where);
		return ret;
	}
	return start_rm(d);
}

/* The one window as the --runas user. Whatever happens inside, it ends as
 * root: the exit path (and LeakSanitizer) must not run half-switched. */
static int start_tpm_as_user(struct vtpmd *d)
{
	int ret = d->cfg.runas ? privs_enter_user(&d->user) : 0;
	int back;

	if (ret < 0) {
		startup_error("cannot act as user %s: %s", d->user.name, strerror(-ret));
		return ret;
	}
	ret = start_tpm(d);
	back = d->cfg.runas ? privs_leave_user() : 0;
	if (back < 0) {
		startup_error("cannot return to uid 0: %s", strerror(-back));
		return back;
	}
	return ret;
}

/* The directory of the --pid file, where Landlock lets the daemon remove
 * it at exit (and nothing else); NULL without one. */
static char *pid_file_dir(const struct vtpmd_config *cfg)
{
	char *slash, *dir;

	if (!cfg->pid_file)
		return NULL;
	slash = strrchr(cfg->pid_file, '/');
	if (!slash)
		return strdup(".");
	dir = strndup(cfg->pid_file, slash == cfg->pid_file ? 1 : (size_t)(slash - cfg->pid_file));
	return dir;
}

#ifdef __SANITIZE_ADDRESS__
/* A sanitizer build writes its reports to ASAN_OPTIONS' log_path=DIR/NAME,
 * once there is one to write: DIR, or NULL. */
static char *sanitizer_report_dir(void)
{
	const char *opts = getenv("ASAN_OPTIONS"), *path;
	const char *end, *slash;

	path = opts ? strstr(opts, "log_path=") : NULL;
	if (!path)
		return NULL;
	path += strlen("log_path=");
	end = path + strcspn(path, ":");
	for (slash = end; slash > path && slash[-1] != '/'; slash--)
		;
	return slash > path + 1 ? strndup(path, (size_t)(slash - 1 - path)) : NULL;
}
#endif

/* Landlock: from here on the file system is the state directory. */
static int confine_files(struct vtpmd *d)
{
	struct landlock_paths p = {
		.state_dir = d->cfg.state_dir,
		.remove_dir = pid_file_dir(&d->cfg),
#ifdef __SANITIZE_ADDRESS__
		/* LSan's leak check reads /proc/self/maps, ASan's reports the
		 * binaries and are written to files: a sanitizer build may
		 * read anything and write its reports. */
		.read_anywhere = true,
		.report_dir = sanitizer_report_dir(),
#endif
	};
	int ret = landlock_confine(&p);

	free((char *)p.remove_dir);
	free((char *)p.report_dir);
	if (ret < 0)
		startup_error("cannot confine the file system with Landlock: %s", strerror(-ret));
	return ret < 0 ? ret : 0;
}

/*
 * The node exists and nothing later needs root: become the --runas user
 * (or stay uid 0) without any capability, confine the file system to the
 * state directory, then allow only the syscalls the daemon makes. The
 * process has one thread here, so this covers all of it.
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
	if (getuid() == 0)
		log_error("serving as uid 0 (no --runas): without capabilities, but whatever "
			  "root owns is this process's to write where Landlock does not "
			  "confine it; give --runas USER");
	else
		log_info("serving as uid %u gid %u, no capabilities", (unsigned)getuid(),
			 (unsigned)getgid());
	ret = confine_files(d);
	if (ret < 0)
		return ret;
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
		.rm_devname = d->rm_name[0] ? d->rm_name : NULL,
		.rm_container_path = d->cfg.cdi_pathrm ? d->cfg.cdi_pathrm : CDI_PATHRM_DEFAULT,
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

/* The kernel creates the nodes; serve them until the run ends. */
static int serve(struct vtpmd *d)
{
	int ret = nodes_serve(&d->nodes, &d->vtpm, on_device_ready, d);

	d->served = true;
	cdi_unpublish(&d->cdi);         /* first: no runtime may pick up a gone node */
	notify_send("STOPPING=1");
	if (ret < 0 && !d->failed)
		startup_error("cannot create /dev/%s: the kernel refused the device",
			      d->cfg.name);
	return ret < 0 || d->failed ? -EIO : 0;
}

/*
 * Process-wide memory policy, before any thread exists. Where transparent
 * huge pages are "always" (Debian's default), each loop thread's 8 MiB
 * stack and each malloc arena can be backed by a 2 MiB page as soon as one
 * byte of it is touched: measured, that doubled a device's RSS. And the
 * loop threads share the main malloc arena: an arena of its own per thread
 * (glibc's default) kept ~12 KiB resident each for the few small blocks
 * libfuse allocates per request.
 */
static void memory_policy(void)
{
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		log_info("cannot opt out of transparent huge pages: %s", strerror(errno));
	mallopt(M_ARENA_MAX, 1);
}

static int run(struct vtpmd *d)
{
	int ret;

	memory_policy();
	nodes_init(&d->nodes, d->cfg.name, d->cfg.major, d->cfg.minor,
		   d->cfg.control_node ? d->cfg.control_name : NULL);
	plan_rm_node(d);
	cdi_publisher_init(&d->cdi);
	if ((ret = daemon_reset_signals()) < 0) {
		startup_error("cannot reset the signal mask: %s", strerror(-ret));
		goto out;
	}
	if ((ret = check_nodes_free(d)) < 0 || (ret = lookup_user(d)) < 0 ||
	    (ret = open_cuse(d)) < 0 || (ret = open_cdi(d)) < 0 ||
	    (ret = enter_chroot(&d->cfg)) < 0 ||
	    (ret = setup_logging(&d->cfg)) < 0 || (ret = load_keys(d)) < 0 ||
	    (ret = open_pcap(d)) < 0 || (ret = start_tpm_as_user(d)) < 0 ||
	    (ret = go_background(&d->cfg)) < 0)
		goto out;
	ret = serve(d);
out:
	cdi_unpublish(&d->cdi);         /* closes what a failed start-up left open */
	rm_free(d->rm);                 /* every space was released with its node */
	if (d->vtpm_open)
		vtpm_fini(&d->vtpm);
	pcap_close(d->pcap);    /* after vtpm_fini: it records the shutdown */
	nodes_close(&d->nodes);
	key_wipe(&d->file_key);
	key_wipe(&d->migration_key);
	notify_close();
	pidfile_remove();
	privs_user_free(&d->user);
	if (d->served)
		log_info("exiting");
	return ret < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct vtpmd d;
	char err[512];
	int ret;

	if (config_parse(&d.cfg, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpmd: %s (see vtpmd --help)\n", err);
		return 1;
	}
	if (d.cfg.action != ACTION_RUN) {
		ret = print_and_exit(&d.cfg, argv[0]);
	} else {
		/* Before --chroot hides the socket's path. A failure is logged;
		 * the TPM itself works without a service manager. */
		notify_open();
		ret = run(&d);
	}
	config_free(&d.cfg);
	log_close();
	return ret;
}
