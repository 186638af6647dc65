/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_keys.c - a store's state keys (--key, --migration-key) and the
 * state blobs sealed or opened with them. The state files (store_dir.c) and
 * the blobs of GET/SET_STATEBLOB both use them.
 */
#include "store/blob.h"
#include "store/store_internal.h"

static void key_copy(struct state_key *dst, const struct state_key *src)
{
	key_wipe(dst);
	if (key_present(src))
		*dst = *src;
}

void store_keys_set(struct store *s, const struct state_key *file_key,
		    const struct state_key *migration_key)
{
	key_copy(&s->file_key, file_key);
	key_copy(&s->migration_key, migration_key);
}

void store_keys_clear(struct store *s)
{
	key_wipe(&s->file_key);
	key_wipe(&s->migration_key);
}

bool store_has_file_key(const struct store *s)
{
	return key_present(&s->file_key);
}

bool store_has_migration_key(const struct store *s)
{
	return key_present(&s->migration_key);
}

const struct state_key *store_file_key(const struct store *s)
{
	return key_present(&s->file_key) ? &s->file_key : NULL;
}

TPM_RESULT store_blob_export(const struct store *s, const uint8_t *plain,
			     size_t len, bool decrypted, uint8_t **blob,
			     size_t *bloblen, bool *encrypted)
{
	const struct blob_keys keys = { &s->file_key, &s->migration_key };

	return blob_migration_encode(&keys, decrypted, plain, len, blob,
				     bloblen, encrypted);
}

TPM_RESULT store_blob_import(const struct store *s, const uint8_t *blob,
			     size_t len, bool encrypted, uint8_t **plain,
			     size_t *plen)
{
	const struct blob_keys keys = { &s->file_key, &s->migration_key };

	return blob_migration_decode(&keys, blob, len, encrypted, plain, plen);
}
