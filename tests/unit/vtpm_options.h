/* SPDX-License-Identifier: BSD-3-Clause */
/* vtpm_options.h - the device options the in-process tests and fuzzers
 * use: a TPM 2 on a state directory of their own, default file modes. */
#ifndef VTPMD_TEST_VTPM_OPTIONS_H
#define VTPMD_TEST_VTPM_OPTIONS_H

#include <stdbool.h>

#include "device/device.h"

static inline struct vtpm_options test_vtpm_options(const char *dir,
						    bool not_need_init,
						    enum startup_type startup,
						    bool auto_shutdown)
{
	return (struct vtpm_options){
		.tpm = {
			.version = TPM_VERSION_2,
			.auto_shutdown = auto_shutdown,
			.store = { .dir = dir, .file_mode = STORE_MODE_DEFAULT },
		},
		.not_need_init = not_need_init,
		.startup = startup,
	};
}

#endif
