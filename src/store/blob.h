/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * blob.h - swtpm's state blob format: a 10-byte big-endian header followed by
 * TLV records. Used for state files and for blobs that leave or enter the
 * device through GET/SET_STATEBLOB.
 *
 * All functions return a TPM result code (0 = TPM_SUCCESS); outputs are
 * malloc'ed and owned by the caller. Inputs are untrusted and fully checked.
 * An empty payload is returned as (NULL, 0). Decode errors, as swtpm gives
 * them: short header or totlen != length -> TPM_BAD_PARAMETER, min_version
 * too new -> TPM_BAD_VERSION, hdrsize != 10 or a TLV record that does not
 * fit -> TPM_BAD_DATASIZE, duplicate data record -> TPM_BAD_PARAMETER, no
 * data record -> TPM_FAIL, encrypted and no key -> TPM_KEYNOTFOUND,
 * allocation failure -> TPM_SIZE. Decrypted data is wiped before it is
 * freed; the caller wipes the payloads it gets.
 */
#ifndef VTPMD_BLOB_H
#define VTPMD_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libtpms/tpm_types.h>

#include "store/key.h"

#define BLOB_HEADER_SIZE 10
#define BLOB_VERSION 2

/* header flags */
#define BLOB_FLAG_ENCRYPTED            0x01
#define BLOB_FLAG_MIGRATION_ENCRYPTED  0x02
#define BLOB_FLAG_MIGRATION_DATA       0x04
#define BLOB_FLAG_ENCRYPTED_256BIT_KEY 0x08
#define BLOB_FLAG_MIGRATION_256BIT_KEY 0x10

/* TLV tags */
#define BLOB_TAG_DATA                        1
#define BLOB_TAG_ENCRYPTED_DATA              2
#define BLOB_TAG_HMAC                        3
#define BLOB_TAG_MIGRATION_DATA              4
#define BLOB_TAG_ENCRYPTED_MIGRATION_DATA    5
#define BLOB_TAG_IVEC_ENCRYPTED_DATA         6
#define BLOB_TAG_IVEC_ENCRYPTED_MIGRATION_DATA 7

/* Which keys a blob is sealed or opened with; NULL, or a key of length 0,
 * means "none". Either pointer may be NULL, and so may the struct. */
struct blob_keys {
	const struct state_key *file;       /* --key */
	const struct state_key *migration;  /* --migration-key */
};

/*
 * State file. Without a key: header(flags 0) | TLV(DATA, payload). With one:
 * header(ENCRYPTED [| ENCRYPTED_256BIT_KEY]) | TLV(ENCRYPTED_DATA, AES-CBC of
 * the padded payload) | TLV(HMAC, HMAC-SHA256 over ciphertext || IV) |
 * TLV(IVEC_ENCRYPTED_DATA, a fresh random IV of the key's length).
 */
TPM_RESULT blob_file_encode(const struct state_key *key,
			    const uint8_t *payload, size_t len,
			    uint8_t **out, size_t *outlen);
/* Accepts what swtpm writes (v2 plain or encrypted, legacy v1, whose
 * encryption is checked in constant time as it has no MAC); returns the
 * libtpms payload. As swtpm does, with a key configured the file must be
 * encrypted with it. Wrong key or altered data -> TPM_DECRYPT_ERROR (the MAC
 * is checked before anything is decrypted); key of the other size ->
 * TPM_BAD_KEY_PROPERTY; plain file while a key is configured -> TPM_FAIL. */
TPM_RESULT blob_file_decode(const struct state_key *key,
			    const uint8_t *file, size_t len,
			    uint8_t **payload, size_t *plen);

/*
 * Migration blob (GET_STATEBLOB): inner = TLV(DATA, payload), or, with a
 * file key and unless DECRYPTED is asked for, the payload encrypted with the
 * file key as in a state file. outer = TLV(MIGRATION_DATA, inner), or inner
 * encrypted with the migration key (tags ENCRYPTED_MIGRATION_DATA, HMAC,
 * IVEC_ENCRYPTED_MIGRATION_DATA). Header flags: MIGRATION_DATA and the
 * flags of each encryption used. *ENCRYPTED (may be NULL) says whether the
 * inner layer is still under the file key (PTM_STATE_FLAG_ENCRYPTED).
 */
TPM_RESULT blob_migration_encode(const struct blob_keys *keys, bool decrypted,
				 const uint8_t *payload, size_t len,
				 uint8_t **out, size_t *outlen, bool *encrypted);
/* Inverse, for SET_STATEBLOB; header version 2 only (version 1 has no MAC:
 * TPM_BAD_VERSION, before any key is used). ENCRYPTED_FLAG is the ioctl's
 * PTM_STATE_FLAG_ENCRYPTED. A blob whose header says MIGRATION_ENCRYPTED
 * needs the migration key; one that does not is taken as plain even when a
 * migration key is set (swtpm's "upgrade" path). The inner layer needs the
 * file key if ENCRYPTED_FLAG or the header's ENCRYPTED says so. Missing key
 * -> TPM_KEYNOTFOUND. An empty blob or a bare header decodes to (NULL, 0):
 * swtpm passes that to TPMLIB_SetState() as "no cached state". */
TPM_RESULT blob_migration_decode(const struct blob_keys *keys,
				 const uint8_t *blob, size_t len,
				 int encrypted_flag,
				 uint8_t **payload, size_t *plen);

/* A short phrase saying what a decode result means, for log lines. */
const char *blob_strerror(TPM_RESULT rc);

#endif
