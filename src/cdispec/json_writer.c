/* SPDX-License-Identifier: BSD-3-Clause */
/* json_writer.c - escaping, commas and nesting for the JSON vtpmd writes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdispec/json_writer.h"

static void fail(struct json_writer *w, int err)
{
	if (w->err == 0)
		w->err = err;
}

static void put(struct json_writer *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n > SIZE_MAX / 2 - w->len) {
		fail(w, -ENOMEM);
		return;
	}
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char *p;

		while (cap < w->len + n + 1)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p) {
			fail(w, -ENOMEM);
			return;
		}
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void puts_(struct json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void newline(struct json_writer *w)
{
	if (!w->indent)
		return;
	put(w, "\n", 1);
	for (unsigned i = 0; i < w->depth * w->indent; i++)
		put(w, " ", 1);
}

/* Before any value or key: the comma and line break it needs. */
static void before_item(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		put(w, ",", 1);
	if (w->depth > 0)
		newline(w);
	w->need_comma[w->depth] = true;
}

void json_init(struct json_writer *w, unsigned indent)
{
	memset(w, 0, sizeof(*w));
	w->indent = indent;
}

static void open_(struct json_writer *w, char c)
{
	before_item(w);
	if (w->depth >= JSON_MAX_DEPTH) {
		fail(w, -EINVAL);
		return;
	}
	put(w, &c, 1);
	w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_(struct json_writer *w, char c)
{
	bool had_items;

	if (w->depth == 0 || w->after_key) {
		fail(w, -EINVAL);
		return;
	}
	had_items = w->need_comma[w->depth];
	w->depth--;
	if (had_items)
		newline(w);
	put(w, &c, 1);
}

void json_object_begin(struct json_writer *w) { open_(w, '{'); }
void json_object_end(struct json_writer *w) { close_(w, '}'); }
void json_array_begin(struct json_writer *w) { open_(w, '['); }
void json_array_end(struct json_writer *w) { close_(w, ']'); }

/* Length of the UTF-8 sequence at S (at most LEFT bytes), 0 if malformed. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;       /* continuation byte, overlong lead, or > U+10FFFF */
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool json_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static void put_escaped(struct json_writer *w, const char *s)
{
	size_t len = strlen(s), start = 0;

	if (!json_utf8_valid(s, len)) {
		fail(w, -EILSEQ);
		return;
	}
	put(w, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': puts_(w, "\\\""); break;
		case '\\': puts_(w, "\\\\"); break;
		case '\n': puts_(w, "\\n"); break;
		case '\t': puts_(w, "\\t"); break;
		case '\r': puts_(w, "\\r"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(w, esc);
		}
	}
	put(w, s + start, len - start);
	put(w, "\"", 1);
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->depth == 0 || w->after_key) {
		fail(w, -EINVAL);
		return;
	}
	before_item(w);
	put_escaped(w, key);
	puts_(w, w->indent ? ": " : ":");
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	before_item(w);
	put_escaped(w, s);
}

void json_int(struct json_writer *w, int64_t v)
{
	char num[32];

	before_item(w);
	snprintf(num, sizeof(num), "%" PRId64, v);
	puts_(w, num);
}

void json_member_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_member_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

/* Drop everything written so far. */
static void json_discard(struct json_writer *w)
{
	free(w->buf);
	json_init(w, w->indent);
}

int json_finish(struct json_writer *w, char **out, size_t *len)
{
	int err;

	if (w->depth != 0 || w->after_key || w->len == 0)
		fail(w, -EINVAL);
	put(w, "\n", 1);
	err = w->err;
	if (err) {
		json_discard(w);
		return err;
	}
	*out = w->buf;
	*len = w->len;
	w->buf = NULL;
	json_init(w, w->indent);
	return 0;
}
