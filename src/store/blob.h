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
 * allocation failure -> TPM_SIZE.
 */
#ifndef VTPMD_BLOB_H
#define VTPMD_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <libtpms/tpm_types.h>

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

/* State file: header(flags 0) | TLV(DATA, payload). */
TPM_RESULT blob_file_encode(const uint8_t *payload, size_t len,
			    uint8_t **out, size_t *outlen);
/* Accepts what swtpm writes (plain v2, and legacy v1 plain); returns the
 * libtpms payload. Encrypted files without a key give TPM_KEYNOTFOUND. */
TPM_RESULT blob_file_decode(const uint8_t *file, size_t len,
			    uint8_t **payload, size_t *plen);

/* Migration blob (GET_STATEBLOB): header(flags MIGRATION_DATA) |
 * TLV(MIGRATION_DATA, TLV(DATA, payload)). */
TPM_RESULT blob_migration_encode(const uint8_t *payload, size_t len,
				 uint8_t **out, size_t *outlen);
/* Inverse, for SET_STATEBLOB. ENCRYPTED_FLAG is the ioctl's
 * PTM_STATE_FLAG_ENCRYPTED; without keys configured, encrypted input gives
 * TPM_KEYNOTFOUND. An empty blob or a bare header decodes to (NULL, 0):
 * swtpm passes that to TPMLIB_SetState() as "no cached state". */
TPM_RESULT blob_migration_decode(const uint8_t *blob, size_t len,
				 int encrypted_flag,
				 uint8_t **payload, size_t *plen);

#endif
