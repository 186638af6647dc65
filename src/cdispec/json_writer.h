/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * json_writer.h - a small JSON writer for the files vtpmd writes for others
 * to read (CDI specs). Output only: nothing here parses JSON.
 *
 * Calls append to a growing buffer and place the commas; the first error
 * (out of memory, a string that is not valid UTF-8, unbalanced nesting)
 * sticks, and json_finish() reports it. Every string is escaped: '"', '\'
 * and the control bytes; bytes of 0x80 and above must form valid UTF-8
 * (JSON readers would otherwise replace them, changing a path silently).
 */
#ifndef VTPMD_JSON_WRITER_H
#define VTPMD_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	char *buf;
	size_t len, cap;
	int err;                        /* first error, 0 or -errno */
	unsigned depth;
	bool need_comma[JSON_MAX_DEPTH + 1];
	bool after_key;                 /* a value is due */
	unsigned indent;                /* spaces per level, 0 = one line */
};

/* INDENT spaces per nesting level; 0 writes one line. */
void json_init(struct json_writer *w, unsigned indent);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* A member's name inside an object; the next call writes its value. */
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, int64_t v);
/* json_key + value in one call. */
void json_member_string(struct json_writer *w, const char *key, const char *s);
void json_member_int(struct json_writer *w, const char *key, int64_t v);

/*
 * The finished document (with a trailing newline), NUL-terminated, owned by
 * the caller (free()); its length in *LEN. Returns 0, or the first error:
 * -ENOMEM, -EILSEQ (a string was not valid UTF-8), -EINVAL (nesting left
 * open or closed twice, a key outside an object). On error nothing is
 * returned and the buffer is freed.
 */
int json_finish(struct json_writer *w, char **out, size_t *len);

/* True if S[0..LEN) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF). */
bool json_utf8_valid(const char *s, size_t len);

#endif
