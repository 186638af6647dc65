/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_fixture.h - the one TPM a tpm/ unit test opens (T), on a fresh state
 * directory per test: cmocka's setup and teardown for it. Teardown ends
 * libtpms whether the test started it through T (tpm_start) or drove it
 * itself, and closes T (its store and lock). Include after cmocka.h,
 * test_files.h and state_dir.h.
 */
#ifndef VTPMD_TPM_FIXTURE_H
#define VTPMD_TPM_FIXTURE_H

#include <libtpms/tpm_library.h>

#include "tpm/tpm.h"

static struct tpm T;

static int tpm_test_setup(void **state)
{
	(void)state;
	return state_dir_setup();
}

static int tpm_test_teardown(void **state)
{
	(void)state;
	if (!tpm_running(&T))
		TPMLIB_Terminate();
	tpm_close(&T);
	return state_dir_teardown();
}

#endif
