/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * print_states.c - --print-states. Management tools (libvirt) ask this to
 * learn whether a vTPM already has state, so the output is swtpm's, byte
 * for byte; the names are libtpms' blob names, the sizes the file sizes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libtpms/tpm_nvfilename.h>

#include "cli/print_states.h"
#include "store/store.h"

int print_states(FILE *out, const struct vtpmd_config *cfg)
{
	static const char *const names[] = {
		TPM_PERMANENT_ALL_NAME, TPM_VOLATILESTATE_NAME, TPM_SAVESTATE_NAME,
	};
	char list[512] = "", path[4096];
	enum tpm_version ver = cfg->tpm_version;
	size_t used = 0, i;

	if (!cfg->state_dir) {
		fprintf(stderr, "vtpmd: --print-states needs --tpmstate dir=DIR (or $TPM_PATH)\n");
		return -EINVAL;
	}
	/* the same choice a daemon on this directory would make */
	if (!cfg->tpm_version_given && store_detect_version(cfg->state_dir) == 1)
		ver = TPM_VERSION_12;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct stat sb;
		int n;

		n = snprintf(path, sizeof(path), "%s/%s-00.%s", cfg->state_dir,
			     ver == TPM_VERSION_2 ? "tpm2" : "tpm", names[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			fprintf(stderr, "vtpmd: --print-states: the state directory path is too long\n");
			return -ENAMETOOLONG;
		}
		if (lstat(path, &sb) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			n = errno;
			fprintf(stderr, "vtpmd: --print-states: %s: %s\n", path, strerror(n));
			return -n;
		}
		if (!S_ISREG(sb.st_mode)) {
			fprintf(stderr, "vtpmd: --print-states: %s is not a regular file\n", path);
			return -EINVAL;
		}
		n = snprintf(list + used, sizeof(list) - used,
			     "%s {\"name\": \"%s\", \"size\": %lld}",
			     used ? "," : "", names[i], (long long)sb.st_size);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	fprintf(out, "{ \"type\": \"swtpm\", \"states\": [%s%s] }", list,
		used ? " " : "");
	return fflush(out) == 0 ? 0 : -EIO;
}
