/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cdi_opts.h - vtpm-cdi's command line. One option set serves both
 * subcommands: "pool" writes it into the spec's hook arguments, and the
 * runtime hands it back to "hook create" and "hook poststop".
 */
#ifndef VTPM_CDI_OPTS_H
#define VTPM_CDI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CDI_POOL_SLOTS_MAX   1024
#define CDI_RUN_DIR_DEFAULT   "/run/vtpm-cdi"
#define CDI_STATE_DIR_DEFAULT "/var/lib/vtpm-cdi"
#define CDI_PREFIX_DEFAULT    "slot"
#define CDI_TIMEOUT_DEFAULT   120
/* Every slot's vtpmd serves as this system user unless --runas says
 * otherwise (systemd/vtpmd.sysusers creates it). */
#define CDI_RUNAS_DEFAULT     "vtpmd"
/* A container names its persistent state with this annotation. */
#define CDI_STATE_ANNOTATION  "vtpmd.io/state"

enum cdi_command {
	CMD_NONE = 0,
	CMD_HELP,
	CMD_VERSION,
	CMD_POOL,               /* write the pool's spec (or --remove it) */
	CMD_HOOK_CREATE,        /* createRuntime: start the slot's vtpmd */
	CMD_HOOK_POSTSTOP,      /* poststop: end it, drop ephemeral state */
};

struct cdi_opts {
	enum cdi_command cmd;
	const char *kind;               /* --kind, default vtpmd.io/tpm */
	const char *prefix;             /* --prefix: slots are PREFIX0 ... */
	const char *path;               /* --path: the node in the container */
	const char *pathrm;             /* --pathrm: the RM node there */
	const char *dir;                /* --dir: the CDI spec directory */
	const char *run_dir;            /* --run-dir: claims, pids, logs, ephemeral state */
	const char *state_dir;          /* --state-dir: persistent state */
	const char *runas;              /* --runas: passed to vtpmd (default vtpmd) */
	const char *setup;              /* --setup: manufacture new state with it */
	const char *vtpmd;              /* --vtpmd: absolute path */
	unsigned slots;                 /* --slots */
	unsigned major;                 /* --major */
	unsigned first_minor;           /* --first-minor */
	unsigned slot;                  /* --slot (hooks) */
	unsigned timeout;               /* --timeout: hook timeout in seconds */
	bool slot_given;
	bool persistent;                /* --persistent */
	bool remove;                    /* pool --remove */
	const char **setup_args;        /* --setup-arg, repeatable */
	size_t nsetup_args;
	char *const *vtpmd_args;        /* after "--": extra vtpmd options */
	size_t nvtpmd_args;
};

/*
 * Parse ARGV (ARGV[0] is the program; then "pool" or "hook create|poststop"
 * or -h/-V). Strings point into ARGV. Returns 0, or -EINVAL with one line in ERR.
 * Everything is checked here: numbers, names, paths, the slot range.
 */
int cdi_opts_parse(struct cdi_opts *o, int argc, char **argv, char *err, size_t errlen);
void cdi_opts_free(struct cdi_opts *o);

/* The CDI name of slot N (PREFIX N) and its host node name (vtpm-PREFIX N). */
int cdi_slot_name(const struct cdi_opts *o, unsigned n, char *buf, size_t len);
int cdi_slot_devname(const struct cdi_opts *o, unsigned n, char *buf, size_t len);

/*
 * The argument vector of the hook SUBCMD ("create" or "poststop") for
 * slot N: SELF, "hook", SUBCMD, then every option the hook needs. *ARGV is
 * a NULL-terminated array of malloc'd strings (cdi_argv_free()).
 */
int cdi_opts_hook_argv(const struct cdi_opts *o, const char *self, const char *subcmd,
		       unsigned n, char ***argv, size_t *argc);
void cdi_argv_free(char **argv);

void cdi_opts_usage(FILE *out);

#endif
