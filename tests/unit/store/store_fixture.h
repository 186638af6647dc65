/* SPDX-License-Identifier: BSD-3-Clause */
/* store_fixture.h - the store under test (S) on a fresh state directory
 * per test, for the tests of src/store. Include after state_dir.h. */
#ifndef VTPMD_STORE_FIXTURE_H
#define VTPMD_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "store/store.h"

static struct store S;

static inline int open_store(const char *dir, bool tpm12, mode_t mode)
{
	const struct store_options opt = {
		.dir = dir, .tpm12 = tpm12, .file_mode = mode,
	};

	return store_open(&S, &opt);
}

static inline int setup(void **state)
{
	(void)state;
	return state_dir_setup();
}

static inline int teardown(void **state)
{
	(void)state;
	store_close(&S);
	return state_dir_teardown();
}

static inline void assert_loads(const char *name, const void *want, size_t wantlen)
{
	unsigned char *data;
	uint32_t len;

	assert_int_equal(store_load(&S, name, &data, &len), TPM_SUCCESS);
	assert_int_equal(len, wantlen);
	assert_memory_equal(data, want, wantlen);
	free(data);
}

#endif
