/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_bios.c - "vtpmctl bios", swtpm_bios for a TPM 2 with the same option
 * spelling, so "swtpm_bios --tpm2 --tpm-device DEV -cs" becomes
 * "vtpmctl bios --tpm-device DEV -cs". Every command is one open file, one
 * write and one read, as a firmware or QEMU's passthrough backend does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "mem/secret.h"
#include "vtpmctl/ctl_args.h"
#include "vtpmctl/ctl_bios.h"
#include "vtpmctl/ctl_dev.h"
#include "vtpmctl/ctl_tpm2.h"

/* Generous: a TCG-emulated machine runs libtpms many times slower. */
#define COMMAND_TIMEOUT_S 120

enum {
	OPT_TPM_DEVICE = 256, OPT_TCP, OPT_UNIX, OPT_TPM2, OPT_HELP, OPT_VERSION,
	OPT_CLEAR, OPT_STATE, OPT_NONE, OPT_ONLY, OPT_SELFTEST, OPT_UNASSERT,
	OPT_DEACTIVATED, OPT_ENSURE_ACTIVATED,
};

static const struct option options[] = {
	{ "tpm-device", required_argument, NULL, OPT_TPM_DEVICE },
	{ "tcp",        required_argument, NULL, OPT_TCP },
	{ "unix",       required_argument, NULL, OPT_UNIX },
	{ "tpm2",       no_argument,       NULL, OPT_TPM2 },
	{ "c",          no_argument,       NULL, OPT_CLEAR },
	{ "s",          no_argument,       NULL, OPT_STATE },
	{ "n",          no_argument,       NULL, OPT_NONE },
	{ "o",          no_argument,       NULL, OPT_ONLY },
	{ "cs",         no_argument,       NULL, OPT_SELFTEST },
	{ "u",          no_argument,       NULL, OPT_UNASSERT },
	{ "d",          no_argument,       NULL, OPT_DEACTIVATED },
	{ "ea",         no_argument,       NULL, OPT_ENSURE_ACTIVATED },
	{ "h",          no_argument,       NULL, OPT_HELP },
	{ "help",       no_argument,       NULL, OPT_HELP },
	{ "v",          no_argument,       NULL, OPT_VERSION },
	{ "version",    no_argument,       NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(const char *prog, FILE *out)
{
	fprintf(out,
"Usage: %s bios [options] [<device path>]\n"
"\n"
"Does to a TPM 2 what a firmware does at power-on (swtpm_bios --tpm2):\n"
"sends TPM2_Startup, then optionally a self-test. The device is the operand,\n"
"--tpm-device, $TPM_DEVICE, or /dev/tpm0.\n"
"\n"
"  --tpm-device <device>  use the given device\n"
"  -c                     TPM2_Startup(SU_CLEAR) (the default)\n"
"  -s                     TPM2_Startup(SU_STATE): resume the saved state\n"
"  -n                     send no TPM2_Startup\n"
"  -cs                    run TPM2_IncrementalSelfTest (SHA-256)\n"
"  -u                     set the platform hierarchy's password to a random\n"
"                         value nobody knows, as a firmware does\n"
"  -o, --tpm2             accepted for swtpm_bios compatibility; no effect\n"
"  -h, --help             display this help screen and exit\n"
"  -v, --version          display version and exit\n"
"\n"
"Exit status: 0 success; 128 the TPM answered a command with an error\n"
"(printed as 'TPM2_xxx returned error code 0x...'); 1 any other failure.\n",
		prog);
}

int ctl_bios_parse(int argc, char **argv, struct ctl_bios_args *args)
{
	int opt;

	memset(args, 0, sizeof(*args));
	args->startup = true;
	args->startup_type = TPM2_SU_CLEAR;
	optind = 0;
	while ((opt = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_TPM_DEVICE:
			args->device = optarg;
			break;
		case OPT_CLEAR:
			args->startup = true;
			args->startup_type = TPM2_SU_CLEAR;
			break;
		case OPT_STATE:
			args->startup = true;
			args->startup_type = TPM2_SU_STATE;
			break;
		case OPT_NONE:
			args->startup = false;
			break;
		case OPT_SELFTEST:
			args->selftest = true;
			break;
		case OPT_UNASSERT:
			args->lock_platform = true;
			break;
		case OPT_ONLY:
		case OPT_TPM2:
			break;
		case OPT_HELP:
			args->help = true;
			return 0;
		case OPT_VERSION:
			args->version = true;
			return 0;
		case OPT_DEACTIVATED:
		case OPT_ENSURE_ACTIVATED:
			fprintf(stderr, "-d and -ea are TPM 1.2 options: vtpmctl bios "
				"initialises a TPM 2 only (use swtpm_bios for a TPM 1.2).\n");
			return -EINVAL;
		case OPT_TCP:
		case OPT_UNIX:
			fprintf(stderr, "--tcp and --unix are not supported: vtpmctl talks "
				"to a character device only.\n");
			return -EINVAL;
		default:
			return -EINVAL;         /* getopt printed why */
		}
	}
	if (optind < argc && !args->device)
		args->device = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "Unexpected argument '%s'.\n", argv[optind]);
		return -EINVAL;
	}
	if (!args->device)
		args->device = getenv("TPM_DEVICE");
	if (!args->device)
		args->device = "/dev/tpm0";
	return 0;
}

static const char *hint(bool startup, uint32_t rc)
{
	if (rc == TPM2_RC_INITIALIZE && startup)
		return " (TPM_RC_INITIALIZE: the TPM has already been started)";
	if (rc == TPM2_RC_INITIALIZE)
		return " (TPM_RC_INITIALIZE: the TPM has not been started)";
	if (rc == TPM2_RC_FAILURE)
		return " (TPM_RC_FAILURE: is the TPM initialised? see vtpmctl -i)";
	if (rc == TPM2_RC_LOCALITY)
		return " (TPM_RC_LOCALITY: not allowed at this locality; see vtpmctl -l 0)";
	return "";
}

/*
 * One command. Returns 0 when the TPM said success, CTL_BIOS_TPM_ERROR when
 * it answered with an error code, 1 when the exchange itself failed.
 */
static int run(int fd, const char *name, const uint8_t *cmd, size_t len, bool is_startup)
{
	uint16_t tag;
	uint32_t rc;

	if (len == 0 || tpm2_transact(fd, cmd, len, COMMAND_TIMEOUT_S, &tag, &rc) < 0)
		return 1;
	if (tag == TPM12_TAG_RSP_COMMAND) {
		fprintf(stderr, "The device answered %s like a TPM 1.2: vtpmctl bios "
			"initialises a TPM 2 only (use swtpm_bios for a TPM 1.2).\n", name);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "%s returned error code 0x%08x%s\n", name, rc,
			hint(is_startup, rc));
		return CTL_BIOS_TPM_ERROR;
	}
	return 0;
}

static int lock_platform(int fd)
{
	uint8_t auth[TPM2_PLATFORM_AUTH_LEN], cmd[128];
	size_t len;
	int ret;

	if (getrandom(auth, sizeof(auth), 0) != (ssize_t)sizeof(auth)) {
		fprintf(stderr, "Could not get random bytes: %s\n", strerror(errno));
		return 1;
	}
	len = tpm2_build_change_platform_auth(cmd, sizeof(cmd), auth, sizeof(auth));
	ret = run(fd, "TPM2_HierarchyChangeAuth", cmd, len, false);
	/* Nobody is meant to know the password, not even us. */
	secret_wipe(auth, sizeof(auth));
	secret_wipe(cmd, sizeof(cmd));
	return ret;
}

/* Worst of two results: an I/O failure (1) outranks a TPM error (128). */
static int worse(int a, int b)
{
	if (a == 1 || b == 1)
		return 1;
	return a ? a : b;
}

int ctl_bios_main(int argc, char **argv, const char *prog)
{
	struct ctl_bios_args a;
	uint8_t cmd[64];
	int fd, status = 0, r;

	if (ctl_bios_parse(argc, argv, &a) < 0)
		return 1;
	if (a.help) {
		usage(prog, stdout);
		return 0;
	}
	if (a.version) {
		ctl_version(stdout);
		return 0;
	}
	fd = ctl_dev_open(a.device);
	if (fd < 0)
		return 1;
	/* As swtpm_bios: a failed command does not stop the ones after it,
	 * only an exchange that broke does. */
	if (a.startup) {
		r = run(fd, "TPM2_Startup", cmd,
			tpm2_build_startup(cmd, sizeof(cmd), a.startup_type), true);
		status = worse(status, r);
	}
	if (status != 1 && a.selftest) {
		r = run(fd, "TPM2_IncrementalSelfTest", cmd,
			tpm2_build_incremental_selftest(cmd, sizeof(cmd)), false);
		status = worse(status, r);
	}
	if (status != 1 && a.lock_platform)
		status = worse(status, lock_platform(fd));
	close(fd);
	return status;
}
