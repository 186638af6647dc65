/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm2_marshal.h - bounds-checked TPM 2 marshalling: a writer and a reader
 * cursor over a byte buffer, and the command/response header on top. The
 * project's one way to compose and pick apart TPM 2 commands and responses
 * (vtpm-setup's manufacturing now, the resource manager's handle and
 * context work next); tpm2-tss' libtss2-mu was measured and not taken
 * (docs/architecture.md, "Why our own marshalling").
 *
 * Contract:
 * - Every buffer is given with its length; nothing is read or written
 *   outside [buf, buf + length); a NULL buffer gives a cursor that has
 *   failed already. Integers are big-endian (mem/bytes.h).
 * - Errors are sticky: a write that does not fit, or a read past the end of
 *   the data, sets the cursor's error and does nothing else (reads give 0 or
 *   NULL); every later call is then a no-op. A builder or a parser runs to
 *   its end and checks tpm2w_failed() / tpm2r_failed() (or the int result
 *   of the finishing call) once.
 * - Reads hand out pointers into the caller's buffer, never copies: they
 *   live as long as that buffer.
 * - Functions returning int give 0 or -errno; none returns a TPM code. The
 *   response code of a response is an out-parameter, passed on unchanged.
 * No allocation, no locking, no global state; a cursor belongs to its
 * caller's thread.
 */
#ifndef VTPMD_TPM2_MARSHAL_H
#define VTPMD_TPM2_MARSHAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPM2_HEADER_SIZE 10     /* tag, size, command or response code */

struct tpm2_writer {
	uint8_t *buf;
	size_t cap;             /* bytes at buf */
	size_t len;             /* bytes written */
	bool failed;
};

struct tpm2_reader {
	const uint8_t *buf;
	size_t len;             /* bytes at buf */
	size_t pos;             /* bytes consumed */
	bool failed;
};

/* --- writer ----------------------------------------------------------- */

void tpm2w_init(struct tpm2_writer *w, uint8_t *buf, size_t cap);
void tpm2w_u8(struct tpm2_writer *w, uint8_t v);
void tpm2w_u16(struct tpm2_writer *w, uint16_t v);
void tpm2w_u32(struct tpm2_writer *w, uint32_t v);
void tpm2w_u64(struct tpm2_writer *w, uint64_t v);
/* N bytes from P (P may be NULL when N is 0). */
void tpm2w_bytes(struct tpm2_writer *w, const void *p, size_t n);
void tpm2w_zeros(struct tpm2_writer *w, size_t n);
/* A TPM2B: a 16-bit size, then N bytes from P; N > 65535 fails. */
void tpm2w_tpm2b(struct tpm2_writer *w, const void *p, size_t n);
/*
 * A sized structure written in place (TPM2B_PUBLIC, TPM2B_NV_PUBLIC, a
 * command's authorization area...): _begin writes a 16- or 32-bit size
 * placeholder and returns where it is; _end sets it to the number of bytes
 * written since. An _end without its _begin, or a size that does not fit
 * the field, fails the writer.
 */
size_t tpm2w_size16_begin(struct tpm2_writer *w);
void tpm2w_size16_end(struct tpm2_writer *w, size_t at);
size_t tpm2w_size32_begin(struct tpm2_writer *w);
void tpm2w_size32_end(struct tpm2_writer *w, size_t at);
/* Overwrite a field written earlier at offset AT. */
void tpm2w_patch_u16(struct tpm2_writer *w, size_t at, uint16_t v);
void tpm2w_patch_u32(struct tpm2_writer *w, size_t at, uint32_t v);
bool tpm2w_failed(const struct tpm2_writer *w);

/* --- reader ----------------------------------------------------------- */

void tpm2r_init(struct tpm2_reader *r, const uint8_t *buf, size_t len);
uint8_t tpm2r_u8(struct tpm2_reader *r);
uint16_t tpm2r_u16(struct tpm2_reader *r);
uint32_t tpm2r_u32(struct tpm2_reader *r);
uint64_t tpm2r_u64(struct tpm2_reader *r);
/* N bytes in place, or NULL (and the reader failed) if they are not there. */
const uint8_t *tpm2r_bytes(struct tpm2_reader *r, size_t n);
void tpm2r_skip(struct tpm2_reader *r, size_t n);
/* A TPM2B: its bytes in place and their number in *N (0 and NULL when it
 * is not all there). */
const uint8_t *tpm2r_tpm2b(struct tpm2_reader *r, size_t *n);
/* A TPM2B copied into DST of CAP bytes; a longer one fails the reader. */
void tpm2r_tpm2b_copy(struct tpm2_reader *r, uint8_t *dst, size_t cap,
		      size_t *n);
/* A TPM2B read as a structure of its own: SUB reads exactly its bytes.
 * R moves past them; SUB starts failed if they are not all there. */
void tpm2r_sized(struct tpm2_reader *r, struct tpm2_reader *sub);
/* Bytes not yet read (0 once the reader failed). */
size_t tpm2r_remaining(const struct tpm2_reader *r);
bool tpm2r_failed(const struct tpm2_reader *r);
/* Read without failure and to the last byte. */
bool tpm2r_done(const struct tpm2_reader *r);

/* --- commands and responses ------------------------------------------- */

/* Start a command in BUF (CAP bytes): the header with its size left open. */
void tpm2_cmd_begin(struct tpm2_writer *w, uint8_t *buf, size_t cap,
		    uint16_t tag, uint32_t code);
/*
 * The authorization area of one password session (TPM2_RS_PW, empty
 * nonce, SESSION_ATTRS, the password AUTH of AUTH_LEN bytes), with its
 * 32-bit size: what a command with tag TPM2_ST_SESSIONS carries after
 * its handles.
 */
void tpm2_cmd_password(struct tpm2_writer *w, uint8_t session_attrs,
		       const void *auth, size_t auth_len);
/* Set the header's size. Returns 0 and the command's length in *LEN, or
 * -EMSGSIZE if anything did not fit (or the writer holds no header). */
int tpm2_cmd_end(struct tpm2_writer *w, size_t *len);

/*
 * Start reading a response of LEN bytes: a whole header whose size field
 * is LEN. Returns 0 with its tag and response code (R then reads what
 * follows the header), or -EBADMSG.
 */
int tpm2_rsp_begin(struct tpm2_reader *r, const uint8_t *buf, size_t len,
		   uint16_t *tag, uint32_t *rc);

#endif
