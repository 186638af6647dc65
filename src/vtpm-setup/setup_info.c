/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_info.c - what vtpm-setup takes from libtpms' description (see setup_info.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tpm/tpm.h"
#include "vtpm-setup/setup_info.h"

int setup_info_tpm(struct cert_tpm_info *info, char *err, size_t errlen)
{
	struct tpm_lib_identity id;
	int ret = tpm_lib_identity(TPM_VERSION_2, &id);

	memset(info, 0, sizeof(*info));
	if (ret == -ENOTSUP || ret == -EIO) {
		snprintf(err, errlen, "libtpms did not describe the TPM (TPMLIB_GetInfo)");
		return -EIO;
	}
	if (ret < 0) {
		snprintf(err, errlen, "libtpms' description of the TPM lacks the "
			 "specification or attributes the EK certificate needs");
		return -EINVAL;
	}
	_Static_assert(sizeof(info->family) == sizeof(id.family) &&
		       sizeof(info->manufacturer) == sizeof(id.manufacturer) &&
		       sizeof(info->model) == sizeof(id.model) &&
		       sizeof(info->version) == sizeof(id.version),
		       "cert_tpm_info holds what tpm_lib_identity does");
	memcpy(info->family, id.family, sizeof(info->family));
	memcpy(info->manufacturer, id.manufacturer, sizeof(info->manufacturer));
	memcpy(info->model, id.model, sizeof(info->model));
	memcpy(info->version, id.version, sizeof(info->version));
	info->level = id.level;
	info->revision = id.revision;
	return 0;
}

int setup_info_rsa_keysizes(unsigned *sizes, size_t cap, size_t *n,
			    char *err, size_t errlen)
{
	unsigned all[TPM_LIB_RSA_KEYSIZES_MAX];
	size_t count, i;

	*n = 0;
	if (tpm_lib_rsa_keysizes(TPM_VERSION_2, all, TPM_LIB_RSA_KEYSIZES_MAX,
				 &count) < 0) {
		snprintf(err, errlen, "libtpms did not describe its features");
		return -EIO;
	}
	for (i = 0; i < count && *n < cap; i++)
		if (all[i] >= 2048 && all[i] <= 16384)
			sizes[(*n)++] = all[i];
	return 0;
}
