/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm_info.c - libtpms' description of its TPM as tpm/ reads it: the
 * real libtpms for both TPM versions, then documents libtpms never writes,
 * to hold the reader to JSON and to the values it takes (a field missing,
 * of another type, out of range, twice; junk after the document; every
 * cut of a real document, each in a buffer of its own so that ASan sees a
 * read past its end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm_internal.h"

static const char good[] =
	"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,\"revision\":164},"
	"\"TPMAttributes\":{\"manufacturer\":\"id:00001014\",\"version\":\"id:20191023\","
	"\"model\":\"swtpm\"},"
	"\"TPMFeatures\":{\"RSAKeySizes\":[1024,2048,3072],\"CamelliaKeySizes\":[128,256]}}";

static void test_real_libtpms(void **state)
{
	struct tpm_lib_identity id;
	unsigned sizes[TPM_LIB_RSA_KEYSIZES_MAX];
	size_t n, i;
	char *text;

	(void)state;
	assert_int_equal(tpm_lib_identity(TPM_VERSION_2, &id), 0);
	assert_string_equal(id.family, "2.0");
	assert_string_equal(id.manufacturer, "id:00001014");     /* libtpms' (IBM's) */
	assert_string_equal(id.model, "swtpm");
	assert_true(id.revision >= 100);
	assert_int_equal(tpm_lib_rsa_keysizes(TPM_VERSION_2, sizes, TPM_LIB_RSA_KEYSIZES_MAX,
					      &n), 0);
	assert_true(n >= 2);
	for (i = 0; i < n && sizes[i] != 2048; i++)
		;
	assert_true(i < n);                                     /* 2048 is listed */
	/* the same numbers as the JSON libtpms prints (--print-info 4) */
	text = tpm_lib_info(TPM_VERSION_2, 4);
	assert_non_null(text);
	for (i = 0; i < n; i++) {
		char num[16];

		snprintf(num, sizeof(num), "%u", sizes[i]);
		assert_non_null(strstr(text, num));
	}
	free(text);

	assert_int_equal(tpm_lib_identity(TPM_VERSION_12, &id), 0);
	assert_string_equal(id.family, "1.2");
	assert_int_equal(tpm_lib_rsa_keysizes(TPM_VERSION_12, sizes,
					      TPM_LIB_RSA_KEYSIZES_MAX, &n), 0);
	assert_int_equal(n, 0);                                 /* 1.2 lists no features */
}

static void test_any_layout_of_json(void **state)
{
	static const char doc[] =
		" \n{ \"unknown\" : [ {\"a\": [1, -2.5e+3, true, false, null, \"x\\\"\\u00e9\\n\"]}, {} ],\r\n"
		"  \"TPMAttributes\" : { \"model\" : \"sw\\\"tpm\\/1\", \"version\" : \"v\","
		"    \"manufacturer\" : \"m\", \"extra\": {\"deep\": [[[]]]} },\t"
		"  \"TPMSpecification\" : { \"revision\" : 1 , \"level\" : 65535 , \"family\" : \"9\" },"
		"  \"TPMFeatures\" : { \"RSAKeySizes\" : [ ] } } \n";
	struct tpm_lib_identity id;
	unsigned sizes[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(tpm_info_parse_identity(doc, &id), 0);
	assert_string_equal(id.family, "9");
	assert_int_equal(id.level, 65535);
	assert_int_equal(id.revision, 1);
	assert_string_equal(id.manufacturer, "m");
	assert_string_equal(id.model, "sw\"tpm/1");
	assert_string_equal(id.version, "v");
	assert_int_equal(tpm_info_parse_rsa_keysizes(doc, sizes, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tpm_info_parse_rsa_keysizes(good, sizes, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sizes[0], 1024);
	assert_int_equal(sizes[2], 3072);
	/* no features at all: no sizes, not an error */
	assert_int_equal(tpm_info_parse_rsa_keysizes("{}", sizes, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tpm_info_parse_rsa_keysizes("{\"TPMFeatures\":{}}", sizes, 4, &n), 0);
	assert_int_equal(n, 0);
}

#define SPEC "\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,\"revision\":164}"
#define ATTR "\"TPMAttributes\":{\"manufacturer\":\"m\",\"version\":\"v\",\"model\":\"x\"}"

static void test_identity_refusals(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "\"TPMSpecification\"", "{" SPEC "}", "{" ATTR "}",
		"{" SPEC "," ATTR "} x", "{" SPEC "," ATTR "}{}", "{" SPEC "," ATTR ",}",
		"{" SPEC ";" ATTR "}", "{" SPEC "," ATTR "," SPEC "}",
		/* a value missing, empty, of another type, out of range */
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"\",\"level\":0,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":2,\"level\":0,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":\"0\",\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":-1,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":1.5,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":1e2,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":65536,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"level\":012,\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":{\"family\":\"2.0\",\"family\":\"2.0\",\"level\":0,"
		"\"revision\":1}," ATTR "}",
		"{\"TPMSpecification\":[]," ATTR "}",
		/* strings: a control byte, an escape we do not copy, too long */
		"{" SPEC ",\"TPMAttributes\":{\"manufacturer\":\"m\",\"version\":\"v\","
		"\"model\":\"a\tb\"}}",
		"{" SPEC ",\"TPMAttributes\":{\"manufacturer\":\"m\",\"version\":\"v\","
		"\"model\":\"a\\nb\"}}",
		"{" SPEC ",\"TPMAttributes\":{\"manufacturer\":\"m\",\"version\":\"v\","
		"\"model\":\"a\\x\"}}",
		"{" SPEC ",\"TPMAttributes\":{\"manufacturer\":\"m\",\"version\":\"v\","
		"\"model\":\"0123456789012345678901234567890123456789012345678901234567890123\"}}",
		/* JSON itself: bare words, bad numbers, nesting too deep */
		"{" SPEC "," ATTR ",\"x\":tru}",
		"{" SPEC "," ATTR ",\"x\":-}",
		"{" SPEC "," ATTR ",\"x\":1.}",
		"{" SPEC "," ATTR ",\"x\":\"\\u12g4\"}",
		"{" SPEC "," ATTR ",\"x\":[1,]}",
		"{" SPEC "," ATTR ",\"x\":[[[[[[[[[[]]]]]]]]]]}",
		"{" SPEC "," ATTR ",x:1}",
	};
	struct tpm_lib_identity id;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&id, 0xa5, sizeof(id));
		if (tpm_info_parse_identity(bad[i], &id) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		if (id.family[0] || id.model[0])
			fail_msg("left values behind for: %s", bad[i]);
	}
	/* and the same members, well-formed, are fine */
	assert_int_equal(tpm_info_parse_identity("{" SPEC "," ATTR "}", &id), 0);
}

static void test_keysize_refusals(void **state)
{
	static const char *const bad[] = {
		"{\"TPMFeatures\":{\"RSAKeySizes\":{}}}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[\"2048\"]}}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[2048.0]}}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[-2048]}}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[65536]}}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[2048,]}}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[2048]},\"TPMFeatures\":{}}",
		"{\"TPMFeatures\":[]}",
		"{\"TPMFeatures\":{\"RSAKeySizes\":[2048]}",
	};
	unsigned sizes[8];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		if (tpm_info_parse_rsa_keysizes(bad[i], sizes, 8, &n) != -EBADMSG || n != 0)
			fail_msg("accepted: %s", bad[i]);
	}
	/* more sizes than the caller has room for */
	assert_int_equal(tpm_info_parse_rsa_keysizes(good, sizes, 2, &n), -ENOBUFS);
	assert_int_equal(n, 0);
	assert_int_equal(tpm_info_parse_rsa_keysizes(good, sizes, 3, &n), 0);
	assert_int_equal(n, 3);
}

/* Every cut of a real document is refused, read within its own bytes. */
static void test_every_cut(void **state)
{
	struct tpm_lib_identity id;
	unsigned sizes[8];
	size_t len = strlen(good), cut, n;

	(void)state;
	for (cut = 0; cut < len; cut++) {
		char *part = malloc(cut + 1);

		assert_non_null(part);
		memcpy(part, good, cut);
		part[cut] = '\0';
		if (tpm_info_parse_identity(part, &id) != -EBADMSG ||
		    tpm_info_parse_rsa_keysizes(part, sizes, 8, &n) != -EBADMSG)
			fail_msg("accepted the first %zu bytes", cut);
		free(part);
	}
	assert_int_equal(tpm_info_parse_identity(good, &id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_libtpms),
		cmocka_unit_test(test_any_layout_of_json),
		cmocka_unit_test(test_identity_refusals),
		cmocka_unit_test(test_keysize_refusals),
		cmocka_unit_test(test_every_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
