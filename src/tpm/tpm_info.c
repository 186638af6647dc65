/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpm_info.c - libtpms' description of its TPM (TPMLIB_GetInfo) read into
 * plain values, so that neither vtpmd nor vtpm-setup parses its JSON.
 *
 * libtpms writes small documents such as
 *   {"TPMSpecification":{"family":"2.0","level":0,"revision":164},
 *    "TPMAttributes":{"manufacturer":"id:00001014","version":"...",...},
 *    "TPMFeatures":{"RSAKeySizes":[1024,2048,3072],...}}
 * The reader takes any well-formed JSON (members in any order, blanks,
 * members it does not know) and refuses the rest: the whole document must
 * be one JSON object and nothing after it, nesting at most
 * INFO_DEPTH_MAX, a member it reads present once, of the expected type.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_library.h>

#include "text/number.h"
#include "tpm/tpm_internal.h"

#define INFO_DEPTH_MAX 8
#define INFO_NAME_MAX  64       /* longer member names match nothing we read */

static void skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * The string at *P, moved past. Its text goes into OUT (LEN bytes with the
 * NUL) unless OUT is NULL: -ENOSPC if it does not fit; escapes other than
 * \" \\ \/ are refused there (libtpms writes none in the values we read),
 * only checked when skipping.
 */
static int read_string(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	if (*s++ != '"')
		return -EBADMSG;
	for (; *s != '"'; s++) {
		char c = *s;

		if ((unsigned char)c < 0x20)    /* a control byte, or the end */
			return -EBADMSG;
		if (c == '\\') {
			c = *++s;
			if (c == 'u') {
				if (!is_hex(s[1]) || !is_hex(s[2]) || !is_hex(s[3]) ||
				    !is_hex(s[4]))
					return -EBADMSG;
				s += 4;
			} else if (c == '\0' || !strchr("\"\\/bfnrt", c)) {
				return -EBADMSG;
			}
			if (out && c != '"' && c != '\\' && c != '/')
				return -EBADMSG;
		}
		if (out) {
			if (n + 1 >= len)
				return -ENOSPC;
			out[n++] = c;
		}
	}
	if (out)
		out[n] = '\0';
	*p = s + 1;
	return 0;
}

/* JSON's number grammar at *P, moved past; *INTEGER says whether it is
 * digits alone. */
static int skip_number(const char **p, bool *integer)
{
	const char *s = *p;

	*integer = *s != '-';
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (is_digit(*s))
		while (is_digit(*s))
			s++;
	else
		return -EBADMSG;
	if (*s == '.') {
		*integer = false;
		if (!is_digit(*++s))
			return -EBADMSG;
		while (is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		*integer = false;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return -EBADMSG;
		while (is_digit(*s))
			s++;
	}
	*p = s;
	return 0;
}

static int skip_value(const char **p, unsigned depth);

/* The members (or elements, with ARRAY) of the object or array at *P,
 * skipped, *P moved past its end. */
static int skip_container(const char **p, unsigned depth, bool array)
{
	const char *s = *p + 1;
	char close = array ? ']' : '}';
	int ret;

	if (depth >= INFO_DEPTH_MAX)
		return -EBADMSG;
	skip_blanks(&s);
	if (*s == close) {
		*p = s + 1;
		return 0;
	}
	for (;;) {
		if (!array) {
			if ((ret = read_string(&s, NULL, 0)) < 0)
				return ret;
			skip_blanks(&s);
			if (*s++ != ':')
				return -EBADMSG;
			skip_blanks(&s);
		}
		if ((ret = skip_value(&s, depth + 1)) < 0)
			return ret;
		skip_blanks(&s);
		if (*s == close)
			break;
		if (*s++ != ',')
			return -EBADMSG;
		skip_blanks(&s);
	}
	*p = s + 1;
	return 0;
}

static int skip_value(const char **p, unsigned depth)
{
	static const char *const words[] = { "true", "false", "null" };
	bool integer;

	switch (**p) {
	case '{':
		return skip_container(p, depth, false);
	case '[':
		return skip_container(p, depth, true);
	case '"':
		return read_string(p, NULL, 0);
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(*p, words[i], strlen(words[i])) == 0) {
			*p += strlen(words[i]);
			return 0;
		}
	return skip_number(p, &integer);
}

/*
 * In the object at OBJ (already checked well-formed), the value of member
 * KEY in *VAL: 0, -ENOENT if it has none, -EBADMSG if it has two.
 */
static int member(const char *obj, const char *key, const char **val)
{
	const char *s = obj + 1, *name_at;
	char name[INFO_NAME_MAX];
	bool found = false;
	int ret;

	if (*obj != '{')
		return -EBADMSG;
	skip_blanks(&s);
	while (*s != '}') {
		name_at = s;
		if (read_string(&s, name, sizeof(name)) < 0) {
			/* too long, or escaped: not a name we look for */
			s = name_at;
			name[0] = '\0';
			if ((ret = read_string(&s, NULL, 0)) < 0)
				return ret;
		}
		skip_blanks(&s);
		s++;                    /* ':' */
		skip_blanks(&s);
		if (strcmp(name, key) == 0) {
			if (found)
				return -EBADMSG;
			found = true;
			*val = s;
		}
		if ((ret = skip_value(&s, 1)) < 0)
			return ret;
		skip_blanks(&s);
		if (*s == ',') {
			s++;
			skip_blanks(&s);
		}
	}
	return found ? 0 : -ENOENT;
}

/* The one JSON object DOC holds, nothing else: its start in *OBJ. */
static int document(const char *doc, const char **obj)
{
	const char *s = doc;

	skip_blanks(&s);
	*obj = s;
	if (*s != '{' || skip_value(&s, 0) < 0)
		return -EBADMSG;
	skip_blanks(&s);
	return *s == '\0' ? 0 : -EBADMSG;
}

/* A number of digits alone at V, at most MAX. */
static int read_uint(const char *v, unsigned max, unsigned *out)
{
	const char *end = v;
	char digits[24];
	bool integer;
	uint64_t n;

	if (skip_number(&end, &integer) < 0 || !integer ||
	    (size_t)(end - v) >= sizeof(digits))
		return -EBADMSG;
	memcpy(digits, v, (size_t)(end - v));
	digits[end - v] = '\0';
	if (number_parse(digits, NUMBER_DEC, max, &n) < 0)
		return -EBADMSG;
	*out = (unsigned)n;
	return 0;
}

/* OBJ[KEY], a non-empty string, into OUT (LEN bytes). */
static int string_member(const char *obj, const char *key, char *out, size_t len)
{
	const char *v;

	if (member(obj, key, &v) < 0 || read_string(&v, out, len) < 0 || !*out)
		return -EBADMSG;
	return 0;
}

static int uint_member(const char *obj, const char *key, unsigned max, unsigned *out)
{
	const char *v;

	if (member(obj, key, &v) < 0 || read_uint(v, max, out) < 0)
		return -EBADMSG;
	return 0;
}

int tpm_info_parse_identity(const char *doc, struct tpm_lib_identity *id)
{
	const char *obj, *spec, *attr;

	memset(id, 0, sizeof(*id));
	if (document(doc, &obj) < 0 ||
	    member(obj, "TPMSpecification", &spec) < 0 ||
	    member(obj, "TPMAttributes", &attr) < 0 ||
	    string_member(spec, "family", id->family, sizeof(id->family)) < 0 ||
	    uint_member(spec, "level", 0xffff, &id->level) < 0 ||
	    uint_member(spec, "revision", 0xffff, &id->revision) < 0 ||
	    string_member(attr, "manufacturer", id->manufacturer,
			  sizeof(id->manufacturer)) < 0 ||
	    string_member(attr, "version", id->version, sizeof(id->version)) < 0 ||
	    string_member(attr, "model", id->model, sizeof(id->model)) < 0) {
		memset(id, 0, sizeof(*id));
		return -EBADMSG;
	}
	return 0;
}

int tpm_info_parse_rsa_keysizes(const char *doc, unsigned *sizes, size_t cap,
				size_t *n)
{
	const char *obj, *features, *s;
	int ret;

	*n = 0;
	if (document(doc, &obj) < 0)
		return -EBADMSG;
	ret = member(obj, "TPMFeatures", &features);
	if (ret == 0)
		ret = member(features, "RSAKeySizes", &s);
	if (ret == -ENOENT)
		return 0;               /* a TPM 1.2 lists none */
	if (ret < 0 || *s++ != '[')
		return -EBADMSG;
	skip_blanks(&s);
	while (*s != ']') {
		unsigned bits;
		const char *at = s;
		bool integer;

		if (read_uint(at, 0xffff, &bits) < 0 || skip_number(&s, &integer) < 0) {
			*n = 0;
			return -EBADMSG;
		}
		if (*n == cap) {
			*n = 0;
			return -ENOBUFS;
		}
		sizes[(*n)++] = bits;
		skip_blanks(&s);
		if (*s == ',') {
			s++;
			skip_blanks(&s);
		}
	}
	return 0;
}

/* libtpms' document of FLAGS for V (malloc'ed), or NULL with *RET set. */
static char *info_text(enum tpm_version v, unsigned flags, int *ret)
{
	char *text;

	*ret = 0;
	if (!tpm_lib_has(v)) {
		*ret = -ENOTSUP;
		return NULL;
	}
	text = tpm_lib_info(v, flags);
	if (!text)
		*ret = -EIO;
	return text;
}

int tpm_lib_identity(enum tpm_version v, struct tpm_lib_identity *id)
{
	int ret;
	char *text = info_text(v, TPMLIB_INFO_TPMSPECIFICATION |
				  TPMLIB_INFO_TPMATTRIBUTES, &ret);

	memset(id, 0, sizeof(*id));
	if (text)
		ret = tpm_info_parse_identity(text, id);
	free(text);
	return ret;
}

int tpm_lib_rsa_keysizes(enum tpm_version v, unsigned *sizes, size_t cap, size_t *n)
{
	int ret;
	char *text = info_text(v, TPMLIB_INFO_TPMFEATURES, &ret);

	*n = 0;
	if (text)
		ret = tpm_info_parse_rsa_keysizes(text, sizes, cap, n);
	free(text);
	return ret;
}
