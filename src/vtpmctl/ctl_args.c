/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_args.c - parse swtpm_ioctl's command line.
 *
 * swtpm_ioctl parses with getopt_long_only and an empty short-option string,
 * so "-c" and "--c" are the same long option, unambiguous prefixes work
 * ("--sto"), and the device may come before or after the command. The same
 * parser with the same option names gives scripts written for swtpm_ioctl the
 * same meaning here.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text/number.h"
#include "vtpm/ioctl.h"
#include "vtpmctl/ctl_args.h"

#ifndef VTPMD_VERSION
#define VTPMD_VERSION "unknown"
#endif

enum {
	OPT_TPM_DEVICE = 256,
	OPT_TCP,
	OPT_UNIX,
	OPT_SAVE,
	OPT_LOAD,
	OPT_INFO,
	OPT_LOCK_STORAGE,
	OPT_HELP,
	OPT_VERSION,
	OPT_STOP,
};

static const struct option options[] = {
	{ "tpm-device",   required_argument, NULL, OPT_TPM_DEVICE },
	{ "tcp",          required_argument, NULL, OPT_TCP },
	{ "unix",         required_argument, NULL, OPT_UNIX },
	{ "c",            no_argument,       NULL, 'c' },
	{ "i",            no_argument,       NULL, 'i' },
	{ "stop",         no_argument,       NULL, OPT_STOP },
	{ "s",            no_argument,       NULL, 's' },
	{ "e",            no_argument,       NULL, 'e' },
	{ "r",            required_argument, NULL, 'r' },
	{ "v",            no_argument,       NULL, 'v' },
	{ "C",            no_argument,       NULL, 'C' },
	{ "l",            required_argument, NULL, 'l' },
	{ "h",            required_argument, NULL, 'h' },
	{ "g",            no_argument,       NULL, 'g' },
	{ "b",            required_argument, NULL, 'b' },
	{ "save",         required_argument, NULL, OPT_SAVE },
	{ "load",         required_argument, NULL, OPT_LOAD },
	{ "info",         required_argument, NULL, OPT_INFO },
	{ "lock-storage", required_argument, NULL, OPT_LOCK_STORAGE },
	{ "version",      no_argument,       NULL, OPT_VERSION },
	{ "help",         no_argument,       NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

uint32_t ctl_blob_type(const char *name)
{
	if (strcmp(name, "permanent") == 0)
		return PTM_BLOB_TYPE_PERMANENT;
	if (strcmp(name, "volatile") == 0)
		return PTM_BLOB_TYPE_VOLATILE;
	if (strcmp(name, "savestate") == 0)
		return PTM_BLOB_TYPE_SAVESTATE;
	return 0;
}

static int parse_locality(const char *s, struct ctl_args *args)
{
	uint64_t v;

	if (number_parse(s, NUMBER_DEC, UINT32_MAX, &v) < 0) {
		fprintf(stderr, "Could not get locality number from %s.\n", s);
		return -EINVAL;
	}
	if (v > 4) {
		fprintf(stderr, "Locality outside valid range of [0..4].\n");
		return -EINVAL;
	}
	args->locality = (uint8_t)v;
	return 0;
}

/* --save/--load TYPE FILE: FILE is the word after TYPE, as in swtpm_ioctl. */
static int parse_blob(int argc, char **argv, const char *opt, struct ctl_args *args)
{
	const char *type = optarg;

	if (optind >= argc || argv[optind][0] == '-') {
		fprintf(stderr, "Missing filename argument for --%s option\n", opt);
		return -EINVAL;
	}
	args->blob_type = ctl_blob_type(type);
	if (args->blob_type == 0) {
		fprintf(stderr, "Unknown TPM state type '%s'\n", type);
		return -EINVAL;
	}
	args->blob_file = argv[optind++];
	return 0;
}

static int parse_option(int opt, int argc, char **argv, struct ctl_args *args)
{
	uint64_t v;

	switch (opt) {
	case 'r':
	case 'l':
		return parse_locality(optarg, args);
	case 'h':
		args->hash_data = optarg;
		return 0;
	case OPT_SAVE:
		return parse_blob(argc, argv, "save", args);
	case OPT_LOAD:
		return parse_blob(argc, argv, "load", args);
	case 'b':
		if (number_parse(optarg, NUMBER_DEC, UINT32_MAX, &v) < 0) {
			fprintf(stderr, "Could not get buffersize from %s.\n", optarg);
			return -EINVAL;
		}
		args->buffersize = (uint32_t)v;
		return 0;
	case OPT_INFO:
		if (number_parse(optarg, NUMBER_C, UINT64_MAX, &v) < 0) {
			fprintf(stderr, "Cannot parse info flags.\n");
			return -EINVAL;
		}
		args->info_flags = v;
		return 0;
	case OPT_LOCK_STORAGE:
		if (number_parse(optarg, NUMBER_DEC, UINT32_MAX, &v) < 0) {
			fprintf(stderr, "Could not get the number of retries from %s.\n", optarg);
			return -EINVAL;
		}
		args->retries = (uint32_t)v;
		return 0;
	}
	return 0;
}

static enum ctl_command command_of(int opt)
{
	switch (opt) {
	case 'c': return CTL_CAPS;
	case 'i': return CTL_INIT;
	case OPT_STOP: return CTL_STOP;
	case 's': return CTL_SHUTDOWN;
	case 'e': return CTL_GET_ESTABLISHED;
	case 'r': return CTL_RESET_ESTABLISHED;
	case 'v': return CTL_STORE_VOLATILE;
	case 'C': return CTL_CANCEL;
	case 'l': return CTL_SET_LOCALITY;
	case 'h': return CTL_HASH;
	case 'g': return CTL_GET_CONFIG;
	case 'b': return CTL_BUFFERSIZE;
	case OPT_SAVE: return CTL_SAVE;
	case OPT_LOAD: return CTL_LOAD;
	case OPT_INFO: return CTL_INFO;
	case OPT_LOCK_STORAGE: return CTL_LOCK_STORAGE;
	}
	return CTL_NONE;
}

int ctl_args_parse(int argc, char **argv, struct ctl_args *args)
{
	int opt, ret;

	memset(args, 0, sizeof(*args));
	optind = 0;     /* full re-initialisation of getopt (glibc) */
	while ((opt = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
		enum ctl_command cmd = command_of(opt);

		switch (opt) {
		case '?':
			return -EINVAL;         /* getopt printed why */
		case OPT_HELP:
			args->command = CTL_HELP;
			return 0;
		case OPT_VERSION:
			args->command = CTL_VERSION;
			return 0;
		case OPT_TPM_DEVICE:
			args->device = optarg;
			continue;
		case OPT_TCP:
		case OPT_UNIX:
			fprintf(stderr, "--tcp and --unix are not supported: vtpmctl talks "
				"to a character device only (use swtpm_ioctl for swtpm's sockets).\n");
			return -EINVAL;
		}
		if (args->command != CTL_NONE) {
			fprintf(stderr, "Only one command may be given.\n");
			return -EINVAL;
		}
		args->command = cmd;
		ret = parse_option(opt, argc, argv, args);
		if (ret < 0)
			return ret;
	}
	if (args->command == CTL_NONE) {
		fprintf(stderr, "No valid command.\n");
		return -EINVAL;
	}
	if (!args->device) {
		if (optind >= argc) {
			fprintf(stderr, "Error: Missing device name.\n");
			return -EINVAL;
		}
		args->device = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, "Unexpected argument '%s'.\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

void ctl_version(FILE *out)
{
	fprintf(out, "vtpmctl version %s, control tool for vtpmd and swtpm CUSE devices\n",
		VTPMD_VERSION);
}

void ctl_usage(const char *prog, FILE *out)
{
	ctl_version(out);
	fprintf(out,
"\n"
"Usage: %s command <device path>\n"
"       %s bios [options] [<device path>]\n"
"\n"
"The following commands are supported:\n"
"--tpm-device <device> : use the given device\n"
"-c                    : get ptm capabilities\n"
"-i                    : do a hardware TPM_Init; if volatile state is found,\n"
"                        it will resume the TPM with it and delete it\n"
"                        afterwards\n"
"--stop                : stop the TPM without exiting\n"
"-s                    : shutdown the TPM; stops and exits\n"
"-e                    : get the tpmEstablished bit\n"
"-r <loc>              : reset the tpmEstablished bit; use the given locality\n"
"-v                    : store the TPM's volatile data\n"
"-C                    : cancel an ongoing TPM command\n"
"-l <loc>              : set the locality to the given number; valid\n"
"                        localities are 0-4\n"
"-h <data>             : hash the given data; if data is '-' then data are\n"
"                        read from stdin\n"
"--save <type> <file>  : store the TPM state blob of given type in a file;\n"
"                        type may be one of volatile, permanent, or savestate\n"
"--load <type> <file>  : load the TPM state blob of given type from a file;\n"
"                        type may be one of volatile, permanent, or savestate\n"
"-g                    : get configuration flags indicating which keys are in\n"
"                        use\n"
"-b <buffersize>       : set the buffer size of the TPM and get its current\n"
"                        size; get minimum and maximum supported sizes\n"
"--info <flags>        : get TPM implementation specific information;\n"
"                        flags must be an integer value\n"
"--lock-storage <n>    : lock the state (directory or linear file), retrying\n"
"                        n times 10 ms apart\n"
"--version             : display version and exit\n"
"--help                : display help screen and exit\n"
"\n"
"bios: send TPM2_Startup and optionally a self-test, as swtpm_bios --tpm2;\n"
"see '%s bios --help'.\n"
"\n"
"SWTPM_IOCTL_BUFFERSIZE=<n> in the environment moves state blobs with\n"
"read()/write() of n bytes after the first ioctl instead of by ioctl only.\n",
		prog, prog, prog);
}
