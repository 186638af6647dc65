/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * print_states.c - --print-states. Management tools (libvirt) ask this to
 * learn whether a vTPM already has state, so the output is swtpm's, byte
 * for byte; the names are libtpms' blob names, the sizes the file sizes
 * (in a linear file: the blobs' sizes, as swtpm gives them).
 */
#include <errno.h>
#include <stdio.h>

#include "vtpmd/print_states.h"
#include "store/store.h"

int print_states(FILE *out, const struct vtpmd_config *cfg)
{
	struct store_state_info info[STORE_STATE_COUNT];
	enum tpm_version ver = cfg->tpm_version;
	char err[512] = "";
	const char *sep = "";
	size_t i;
	int ret;

	if (cfg->state_file) {
		ret = store_list_file_states(cfg->state_file, info, err, sizeof(err));
	} else if (!cfg->state_dir) {
		fprintf(stderr, "vtpmd: --print-states needs --tpmstate dir=DIR (or $TPM_PATH)\n");
		return -EINVAL;
	} else {
		/* the same choice a daemon on this directory would make */
		if (!cfg->tpm_version_given && store_detect_version(cfg->state_dir) == 1)
			ver = TPM_VERSION_12;
		ret = store_list_states(cfg->state_dir, ver == TPM_VERSION_12, info,
					err, sizeof(err));
	}
	if (ret < 0) {
		fprintf(stderr, "vtpmd: --print-states: %s\n", err);
		return ret;
	}
	fprintf(out, "{ \"type\": \"swtpm\", \"states\": [");
	for (i = 0; i < STORE_STATE_COUNT; i++) {
		if (!info[i].present)
			continue;
		fprintf(out, "%s {\"name\": \"%s\", \"size\": %lld}", sep,
			info[i].name, (long long)info[i].size);
		sep = ",";
	}
	fprintf(out, "%s] }", *sep ? " " : "");
	return fflush(out) == 0 ? 0 : -EIO;
}
