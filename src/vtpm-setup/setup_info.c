/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_info.c - libtpms' info documents (see setup_info.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "vtpm-setup/setup_info.h"
#include "vtpm-setup/setup_tpm.h"

#define INFO_SPECIFICATION 1
#define INFO_ATTRIBUTES    2
#define INFO_FEATURES      4

static struct json_object *get_info(unsigned flags)
{
	char *text = setup_tpm_info(flags);
	struct json_object *doc;

	if (!text)
		return NULL;
	doc = json_tokener_parse(text);
	free(text);
	return doc;
}

/* DOC[SECTION][KEY], of type TYPE, or NULL. */
static struct json_object *member(struct json_object *doc, const char *section,
				  const char *key, json_type type)
{
	struct json_object *s, *v;

	if (!json_object_object_get_ex(doc, section, &s) ||
	    !json_object_object_get_ex(s, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static int copy_string(struct json_object *v, char *dst, size_t len)
{
	const char *s = v ? json_object_get_string(v) : NULL;

	if (!s || !*s || strlen(s) >= len)
		return -EINVAL;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int copy_uint(struct json_object *v, unsigned *dst)
{
	int64_t n;

	if (!v)
		return -EINVAL;
	n = json_object_get_int64(v);
	if (n < 0 || n > 0xffff)
		return -EINVAL;
	*dst = (unsigned)n;
	return 0;
}

int setup_info_tpm(struct cert_tpm_info *info, char *err, size_t errlen)
{
	struct json_object *doc = get_info(INFO_SPECIFICATION | INFO_ATTRIBUTES);
	int ret;

	memset(info, 0, sizeof(*info));
	if (!doc) {
		snprintf(err, errlen, "libtpms did not describe the TPM (TPMLIB_GetInfo)");
		return -EIO;
	}
	ret = copy_string(member(doc, "TPMSpecification", "family", json_type_string),
			  info->family, sizeof(info->family));
	if (ret == 0)
		ret = copy_uint(member(doc, "TPMSpecification", "level", json_type_int),
				&info->level);
	if (ret == 0)
		ret = copy_uint(member(doc, "TPMSpecification", "revision", json_type_int),
				&info->revision);
	if (ret == 0)
		ret = copy_string(member(doc, "TPMAttributes", "manufacturer", json_type_string),
				  info->manufacturer, sizeof(info->manufacturer));
	if (ret == 0)
		ret = copy_string(member(doc, "TPMAttributes", "model", json_type_string),
				  info->model, sizeof(info->model));
	if (ret == 0)
		ret = copy_string(member(doc, "TPMAttributes", "version", json_type_string),
				  info->version, sizeof(info->version));
	json_object_put(doc);
	if (ret < 0)
		snprintf(err, errlen, "libtpms' description of the TPM lacks the "
			 "specification or attributes the EK certificate needs");
	return ret;
}

int setup_info_rsa_keysizes(unsigned *sizes, size_t cap, size_t *n,
			    char *err, size_t errlen)
{
	struct json_object *doc = get_info(INFO_FEATURES), *list;
	size_t i, count;

	*n = 0;
	if (!doc) {
		snprintf(err, errlen, "libtpms did not describe its features");
		return -EIO;
	}
	list = member(doc, "TPMFeatures", "RSAKeySizes", json_type_array);
	count = list ? json_object_array_length(list) : 0;
	for (i = 0; i < count && *n < cap; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		int64_t bits = json_object_is_type(v, json_type_int) ?
			json_object_get_int64(v) : 0;

		if (bits >= 2048 && bits <= 16384)
			sizes[(*n)++] = (unsigned)bits;
	}
	json_object_put(doc);
	return 0;
}
