/* SPDX-License-Identifier: BSD-3-Clause */
/* print_caps.c - --print-capabilities and --print-info (see print_caps.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vtpmd/print_caps.h"

/* Stands in the list for the "rsa-keysize-N" entries libtpms reports. */
#define RSA_KEYSIZES "rsa-keysize-*"

/*
 * Every feature name swtpm defines that vtpmd could claim, in swtpm's order,
 * and whether this build really has it. This is the one list: flip an entry
 * when its option starts to work. tests/device/introspection.bats fails when
 * a listed option is refused or an unlisted one is accepted.
 */
static const struct feature {
	const char *name;
	bool works;
} features[] = {
	{ "flags-opt-startup", true },
	{ "flags-opt-disable-auto-shutdown", true },
	/* swtpm's CUSE mode claims this too, but it names --ctrl's terminate,
	 * an option of the socket interface that CUSE has no use for. */
	{ "ctrl-opt-terminate", false },
	{ "cmdarg-seccomp", true },           /* --seccomp */
	{ "cmdarg-key-fd", true },            /* --key fd= */
	{ "cmdarg-pwd-fd", true },            /* --key pwdfd= */
	{ "cmdarg-print-states", true },      /* --print-states */
	{ "cmdarg-chroot", true },            /* -R/--chroot */
	{ "cmdarg-migration", true },         /* --migration */
	{ "nvram-backend-dir", true },         /* backend-uri=dir:// */
	{ "nvram-backend-file", true },        /* backend-uri=file://, linear */
	{ RSA_KEYSIZES, true },
	{ "cmdarg-print-info", true },
	{ "tpmstate-opt-lock", true },        /* the lock is always taken */
	{ "tpmstate-dir-backend-opt-backup", true },
	{ "tpmstate-dir-backend-opt-fsync", true }, /* writes are always durable */
	{ "cmdarg-pcap", true },
	{ "systemd-notify", true },
};

/* Print "rsa-keysize-N" for each RSA key size libtpms lists. */
static int print_rsa_keysizes(FILE *out, enum tpm_version version, const char **sep)
{
	unsigned sizes[TPM_LIB_RSA_KEYSIZES_MAX];
	size_t n, i;
	int ret = tpm_lib_rsa_keysizes(version, sizes, TPM_LIB_RSA_KEYSIZES_MAX, &n);

	if (ret == -ENOTSUP || ret == -EIO)
		return 0;               /* no such TPM, no features: no sizes */
	if (ret < 0) {
		fprintf(stderr, "vtpmd: libtpms reported malformed RSA key sizes\n");
		return -1;
	}
	for (i = 0; i < n; i++) {
		fprintf(out, "%s\"rsa-keysize-%u\"", *sep, sizes[i]);
		*sep = ", ";
	}
	return 0;
}

int print_capabilities(FILE *out, enum tpm_version version)
{
	const char *sep = " ";
	size_t i;

	fprintf(out, "{ \"type\": \"swtpm\", \"features\": [");
	if (tpm_lib_has(TPM_VERSION_12)) {
		fprintf(out, "%s\"tpm-1.2\"", sep);
		sep = ", ";
	}
	if (tpm_lib_has(TPM_VERSION_2)) {
		fprintf(out, "%s\"tpm-2.0\"", sep);
		sep = ", ";
	}
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (!features[i].works)
			continue;
		if (strcmp(features[i].name, RSA_KEYSIZES) == 0) {
			if (print_rsa_keysizes(out, version, &sep) < 0)
				return -1;
			continue;
		}
		fprintf(out, "%s\"%s\"", sep, features[i].name);
		sep = ", ";
	}
	fprintf(out, " ], \"version\": \"%s\" }\n", VTPMD_VERSION);
	return 0;
}

int print_info(FILE *out, enum tpm_version version, uint64_t flags)
{
	char *info;

	if (!tpm_lib_has(version)) {
		fprintf(stderr, "vtpmd: --print-info: libtpms has no %s\n",
			version == TPM_VERSION_12 ? "TPM 1.2" : "TPM 2.0");
		return -1;
	}
	info = tpm_lib_info(version, flags);
	if (!info) {
		fprintf(stderr, "vtpmd: --print-info: libtpms returned nothing for flags 0x%llx\n",
			(unsigned long long)flags);
		return -1;
	}
	fprintf(out, "%s\n", info);
	free(info);
	return 0;
}
