/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h - everything vtpmd's command line decides, as one plain struct. */
#ifndef VTPMD_CONFIG_H
#define VTPMD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
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
	ACTION_PRINT_CAPABILITIES,
	ACTION_PRINT_STATES,
	ACTION_PRINT_INFO,
};

enum key_cipher {
	KEY_AES_128_CBC = 0,    /* default, "aes-cbc" / "aes-128-cbc" */
	KEY_AES_256_CBC,
};

enum key_format {
	KEY_FORMAT_HEX = 0,     /* default */
	KEY_FORMAT_BINARY,
};

enum key_kdf {
	KEY_KDF_PBKDF2 = 0,     /* default */
	KEY_KDF_SHA512,
};

/* --key / --migration-key: where a key comes from, never the key itself. */
struct key_source {
	bool given;
	bool passphrase;        /* pwdfile=/pwdfd=: the key is derived */
	char *file;             /* file= or pwdfile= */
	int fd;                 /* fd= or pwdfd=, -1 when not given */
	enum key_cipher cipher;
	enum key_format format;
	enum key_kdf kdf;
	bool remove;            /* unlink the file once read */
};

enum seccomp_action {
	SECCOMP_ACTION_KILL = 0, /* default */
	SECCOMP_ACTION_LOG,
	SECCOMP_ACTION_NONE,
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

	struct key_source key;           /* --key: encrypts the state files */
	struct key_source migration_key; /* --migration-key: encrypts blobs */

	bool state_backup;      /* --tpmstate backup */
	bool migration_incoming;          /* --migration incoming */
	bool migration_release_lock_outgoing;

	char *runas;            /* -r: user to become once the device exists */
	char *chroot_dir;       /* -R */
	enum seccomp_action seccomp;

	char *pcap_file;        /* --pcap file= */
	int pcap_fd;            /* --pcap fd=, -1 = not given */
	bool pcap_truncate;
	mode_t pcap_mode;
	bool pcap_mode_given;

	uint64_t print_info_flags; /* --print-info FLAGS */

	char *cdi_dir;          /* --cdi: publish a CDI spec here; NULL = no spec */
	char *cdi_kind;         /* --cdi kind=VENDOR/CLASS (default vtpmd.io/tpm) */
	char *cdi_path;         /* --cdi path=: the node in the container (default /dev/tpm0) */
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
