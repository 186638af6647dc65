/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_cmds.h - the raw TPM 2.0 commands the bench sends, as bytes.
 *
 * Each builder writes one complete command into OUT (at least CMD_MAX
 * bytes) and returns its length. Commands that need authorization carry one
 * empty password session (TPM_RS_PW), which a fresh TPM accepts for the
 * owner hierarchy and for an index defined with an empty auth value.
 */
#ifndef BENCH_TPM_CMDS_H
#define BENCH_TPM_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#define CMD_MAX 256
#define RESP_MAX 4096

/* The NV counter index the bench defines once per TPM. */
#define BENCH_NV_INDEX 0x01500016u

size_t cmd_startup_clear(uint8_t *out);
size_t cmd_getrandom(uint8_t *out, uint16_t bytes);
/* PCR_Extend of PCR 16 (the resettable debug PCR) with a SHA-256 digest. */
size_t cmd_pcr_extend(uint8_t *out, uint8_t fill);
/* NV_DefineSpace of BENCH_NV_INDEX as an 8-byte counter, auth read/write. */
size_t cmd_nv_define_counter(uint8_t *out);
size_t cmd_nv_increment(uint8_t *out);
/* CreatePrimary in the owner hierarchy: an RSA-2048 or ECC NIST P-256
 * restricted decryption (storage) key, the usual SRK template. */
size_t cmd_create_primary_rsa2048(uint8_t *out);
size_t cmd_create_primary_ecc_p256(uint8_t *out);
size_t cmd_flush_context(uint8_t *out, uint32_t handle);

/* Response accessors; LEN is the response length (>= 10 checked here). */
uint32_t resp_rc(const uint8_t *resp, size_t len);      /* 0xffffffff if short */
/* The object handle of a CreatePrimary response, 0 if none. */
uint32_t resp_handle(const uint8_t *resp, size_t len);

#endif
