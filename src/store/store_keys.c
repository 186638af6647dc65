/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_keys.c - the process' state keys (--key, --migration-key) and the
 * state blobs sealed or opened with them.
 *
 * The keys live here, in one place, for the process' lifetime: the state
 * files (store_dir.c) and the blobs of GET/SET_STATEBLOB both use them.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "store/blob.h"
#include "store/store.h"
#include "store/store_keys.h"

static struct state_key file_key, migration_key;

static void key_copy(struct state_key *dst, const struct state_key *src)
{
	key_wipe(dst);
	if (key_present(src))
		*dst = *src;
}

void store_set_keys(const struct state_key *fkey, const struct state_key *mkey)
{
	key_copy(&file_key, fkey);
	key_copy(&migration_key, mkey);
}

void store_clear_keys(void)
{
	key_wipe(&file_key);
	key_wipe(&migration_key);
}

bool store_has_file_key(void)
{
	return key_present(&file_key);
}

bool store_has_migration_key(void)
{
	return key_present(&migration_key);
}

const struct state_key *store_file_key(void)
{
	return key_present(&file_key) ? &file_key : NULL;
}

TPM_RESULT store_blob_export(const uint8_t *plain, size_t len, bool decrypted,
			     uint8_t **blob, size_t *bloblen, bool *encrypted)
{
	const struct blob_keys keys = { &file_key, &migration_key };

	return blob_migration_encode(&keys, decrypted, plain, len, blob,
				     bloblen, encrypted);
}

TPM_RESULT store_blob_import(const uint8_t *blob, size_t len, bool encrypted,
			     uint8_t **plain, size_t *plen)
{
	const struct blob_keys keys = { &file_key, &migration_key };

	return blob_migration_decode(&keys, blob, len, encrypted, plain, plen);
}
