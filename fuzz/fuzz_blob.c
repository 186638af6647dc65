/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_blob.c - the state-file and migration-blob parsers and decryptor.
 *
 * The first byte picks the mode and the keys:
 *   bit 0    0: state file (blob_file_decode), 1: migration blob
 *   bit 1    a --key (file key) is configured
 *   bit 2    a --migration-key is configured
 *   bit 3    the keys are AES-256 (else AES-128)
 *   bit 4    SET_STATEBLOB's ENCRYPTED flag
 *   bit 5    round trip: encode the rest as a payload with those keys, flip
 *            the byte the second byte points at (0: none), decode. Without
 *            a flip the payload must come back unchanged. This reaches the
 *            decryption past the MAC, which random bytes never get to.
 * The rest is the blob (or the payload).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>

#include "store/blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void make_key(struct state_key *k, uint8_t fill, bool aes256)
{
	k->len = aes256 ? 32 : 16;
	for (size_t i = 0; i < k->len; i++)
		k->bytes[i] = (uint8_t)(fill + i);
}

static void round_trip(const struct blob_keys *keys, bool migration, bool decrypted,
		       size_t flip, const uint8_t *payload, size_t len)
{
	uint8_t *blob = NULL, *back = NULL;
	size_t blen = 0, plen = 0;
	bool encrypted = false;
	TPM_RESULT rc;

	if (migration)
		rc = blob_migration_encode(keys, decrypted, payload, len, &blob, &blen,
					   &encrypted);
	else
		rc = blob_file_encode(keys->file, payload, len, &blob, &blen);
	if (rc != TPM_SUCCESS)
		abort();        /* encoding what we hold never fails */
	if (flip && blen)
		blob[flip % blen] ^= 0x5a;
	if (migration)
		rc = blob_migration_decode(keys, blob, blen, encrypted, &back, &plen);
	else
		rc = blob_file_decode(keys->file, blob, blen, &back, &plen);
	if (!flip) {
		if (rc != TPM_SUCCESS || plen != len || (len && memcmp(back, payload, len)))
			abort();        /* decode(encode(x)) != x */
	}
	free(back);
	free(blob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_key file_key = { .len = 0 }, mig_key = { .len = 0 };
	struct blob_keys keys = { &file_key, &mig_key };
	uint8_t mode, *payload = NULL;
	size_t plen = 0;

	if (size < 1)
		return 0;
	mode = data[0];
	if (mode & 2)
		make_key(&file_key, 0x10, mode & 8);
	if (mode & 4)
		make_key(&mig_key, 0x80, mode & 8);
	data++;
	size--;

	if (mode & 0x20) {
		size_t flip = size ? data[0] : 0;

		if (size) {
			data++;
			size--;
		}
		round_trip(&keys, mode & 1, mode & 0x40, flip, data, size);
		return 0;
	}
	if (mode & 1)
		blob_migration_decode(&keys, data, size, (mode & 0x10) ? 1 : 0,
				      &payload, &plen);
	else
		blob_file_decode(&file_key, data, size, &payload, &plen);
	if (!payload && plen)
		abort();
	free(payload);
	return 0;
}
