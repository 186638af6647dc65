/* SPDX-License-Identifier: BSD-3-Clause */
/* tpm_lib.c - what is asked of libtpms itself, with no TPM open: its
 * version, which TPMs it has, its info documents (read by tpm_info.c),
 * where it logs. */
#include <errno.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "tpm/tpm_internal.h"

int tpm_lib_choose(enum tpm_version v)
{
	TPMLIB_TPMVersion lv = v == TPM_VERSION_12 ? TPMLIB_TPM_VERSION_1_2 :
						     TPMLIB_TPM_VERSION_2;

	return TPMLIB_ChooseTPMVersion(lv) == TPM_SUCCESS ? 0 : -ENOTSUP;
}

uint32_t tpm_lib_version(void)
{
	return TPMLIB_GetVersion();
}

bool tpm_lib_has(enum tpm_version v)
{
	return tpm_lib_choose(v) == 0;
}

char *tpm_lib_info(enum tpm_version v, uint64_t flags)
{
	if (tpm_lib_choose(v) != 0)
		return NULL;
	return TPMLIB_GetInfo((enum TPMLIB_InfoFlags)flags);
}

void tpm_lib_log_to(int fd, unsigned level, const char *prefix)
{
	TPMLIB_SetDebugFD(fd);
	TPMLIB_SetDebugLevel(level);
	if (prefix)
		TPMLIB_SetDebugPrefix(prefix);
}
