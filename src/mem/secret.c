/* SPDX-License-Identifier: BSD-3-Clause */
/* secret.c - wiping and growing buffers that may hold secrets (secret.h). */
#include <stdlib.h>
#include <string.h>

#include "mem/secret.h"

void secret_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

void secret_free(void *p, size_t len)
{
	secret_wipe(p, len);
	free(p);
}

void *secret_grow(void *old, size_t used, size_t old_cap, size_t new_cap)
{
	void *p = malloc(new_cap ? new_cap : 1);

	if (!p)
		return NULL;
	if (used)
		memcpy(p, old, used);
	secret_free(old, old_cap);
	return p;
}
