/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h - everything vtpmd's command line decides, as one plain struct. */
#ifndef VTPMD_CONFIG_H
#define VTPMD_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum tpm_version {
	TPM_VERSION_2 = 0,      /* default */
	TPM_VERSION_12,
};

/* What --flags startup-* asks vtpmd to send once the TPM is up. */
enum startup_type {
	STARTUP_NONE = 0,       /* no startup-* flag, or startup-none */
	STARTUP_CLEAR,
	STARTUP_STATE,
	STARTUP_DEACTIVATED,    /* TPM 1.2 only */
};

enum config_action {
	ACTION_RUN = 0,
	ACTION_HELP,
	ACTION_VERSION,
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
};

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
