/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h - everything vtpmd's command line decides, as one plain struct. */
#ifndef VTPMD_CONFIG_H
#define VTPMD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "os/seccomp.h"
#include "rm/rm.h"
#include "store/key.h"
#include "tpm/tpm.h"

enum config_action {
	ACTION_RUN = 0,
	ACTION_HELP,
	ACTION_VERSION,
	ACTION_PRINT_CAPABILITIES,
	ACTION_PRINT_STATES,
	ACTION_PRINT_INFO,
};

struct vtpmd_config {
	enum config_action action;

	char *name;             /* -n: device name, "vtpm0" -> /dev/vtpm0 */
	unsigned major;         /* -M, 0 = dynamic */
	unsigned minor;         /* -m */
	bool foreground;        /* -f */

	enum tpm_version tpm_version;
	bool tpm_version_given; /* --tpm2 or --tpm12 was on the command line */

	char *state_dir;        /* --tpmstate dir= (or backend-uri=dir://), else $TPM_PATH */
	char *state_file;       /* or --tpmstate backend-uri=file://: a linear file */
	mode_t state_mode;      /* --tpmstate mode=, default 0640 */
	bool state_mode_given;

	bool not_need_init;     /* --flags not-need-init (implied by startup-*) */
	enum startup_type startup;
	bool disable_auto_shutdown;

	bool reject_locality_4; /* --locality reject-locality-4 */
	bool allow_set_locality;

	char *log_file;         /* --log file=, "-" = no logging */
	int log_fd;             /* --log fd=, -1 = not given */
	unsigned log_level;     /* --log level=, default 1 when file/fd given */
	bool log_level_given;
	char *log_prefix;
	bool log_truncate;

	char *pid_file;         /* --pid file= */
	int pid_fd;             /* --pid fd=, -1 = not given */

	struct key_source key;           /* --key: encrypts the state files */
	struct key_source migration_key; /* --migration-key: encrypts blobs */

	bool state_backup;      /* --tpmstate backup */
	bool migration_incoming;          /* --migration incoming */
	bool migration_release_lock_outgoing; /* ... release-lock-outgoing */

	char *runas;            /* -r: user to become once the device exists */
	char *chroot_dir;       /* -R */
	enum seccomp_action seccomp;

	char *pcap_file;        /* --pcap file= */
	int pcap_fd;            /* --pcap fd=, -1 = not given */
	bool pcap_truncate;
	mode_t pcap_mode;       /* --pcap mode=, default 0640 */

	uint64_t print_info_flags; /* --print-info FLAGS */

	char *cdi_dir;          /* --cdi: publish a CDI spec here; NULL = no spec */
	char *cdi_kind;         /* --cdi kind=VENDOR/CLASS (default vtpmd.io/tpm) */
	char *cdi_path;         /* --cdi path=: the node in the container (default /dev/tpm0) */
	char *cdi_pathrm;       /* --cdi pathrm=: the RM node there (default /dev/tpmrm0) */

	bool control_node;      /* --control-node, or --cdi: /dev/NAME is a
				 * client's node, the control plane is the host's */
	char *control_name;     /* its name: --control-node=CTL, else NAME-ctl */

	bool rm_off;            /* --resource-manager off: no /dev/vtpmrmN */
	struct rm_options rm;   /* --resource-manager objects=,sessions=,abandoned= */
};

/* The control node's name is the device's with this after it. */
#define CONFIG_CONTROL_SUFFIX "-ctl"

/*
 * Parse argv into cfg. On error returns -1 and writes one line (no newline)
 * naming the problem into err; nothing else has happened then. Returns 0 on
 * success. The environment fallback TPM_PATH is applied here.
 */
int config_parse(struct vtpmd_config *cfg, int argc, char **argv,
		 char *err, size_t errlen);
void config_free(struct vtpmd_config *cfg);
/* The --help text. */
void config_usage(const char *prog, FILE *out);

#endif
