/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_args.h - vtpmctl's command line: swtpm_ioctl's grammar, one command. */
#ifndef VTPMCTL_ARGS_H
#define VTPMCTL_ARGS_H

#include <stdint.h>
#include <stdio.h>

enum ctl_command {
	CTL_NONE = 0,
	CTL_HELP,               /* --help */
	CTL_VERSION,            /* --version */
	CTL_CAPS,               /* -c */
	CTL_INIT,               /* -i */
	CTL_STOP,               /* --stop */
	CTL_SHUTDOWN,           /* -s */
	CTL_GET_ESTABLISHED,    /* -e */
	CTL_RESET_ESTABLISHED,  /* -r LOC */
	CTL_STORE_VOLATILE,     /* -v */
	CTL_CANCEL,             /* -C */
	CTL_SET_LOCALITY,       /* -l LOC */
	CTL_HASH,               /* -h DATA|- */
	CTL_SAVE,               /* --save TYPE FILE */
	CTL_LOAD,               /* --load TYPE FILE */
	CTL_GET_CONFIG,         /* -g */
	CTL_BUFFERSIZE,         /* -b SIZE */
	CTL_INFO,               /* --info FLAGS */
	CTL_LOCK_STORAGE,       /* --lock-storage RETRIES */
};

struct ctl_args {
	enum ctl_command command;
	const char *device;     /* --tpm-device DEV, or the first operand */
	uint8_t locality;       /* -r, -l: 0..4 */
	const char *hash_data;  /* -h: the data, or "-" for stdin */
	uint32_t blob_type;     /* --save/--load: PTM_BLOB_TYPE_* */
	const char *blob_file;
	uint32_t buffersize;    /* -b */
	uint64_t info_flags;    /* --info */
	uint32_t retries;       /* --lock-storage */
};

/*
 * Parse argv (argv[0] is the program name). Returns 0, or -EINVAL after
 * printing one line saying why on stderr. For --help and --version the
 * device is not required and command says which.
 */
int ctl_args_parse(int argc, char **argv, struct ctl_args *args);

/* PTM_BLOB_TYPE_* for "permanent", "volatile", "savestate"; 0 otherwise. */
uint32_t ctl_blob_type(const char *name);

void ctl_usage(const char *prog, FILE *out);
void ctl_version(FILE *out);

#endif
