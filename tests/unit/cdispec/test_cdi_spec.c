/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cdi_spec.c - the CDI specs vtpmd writes, parsed back with json-c and
 * held to the rules of the CDI library Debian 12's podman 4.3 reads them
 * with (spec 0.5.0): only the fields it knows (it decodes strictly), the
 * version, kind and name rules, device node and hook fields; and the JSON
 * writer's escaping of every string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cdispec/cdi_names.h"
#include "cdispec/cdi_spec.h"
#include "cdispec/json_writer.h"

/* --- a checker for the CDI 0.5.0 rules, on json-c's tree ------------------ */

static bool only_keys(struct json_object *o, const char *const *known, size_t n)
{
	json_object_object_foreach(o, key, val) {
		bool found = false;

		(void)val;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(key, known[i]) == 0;
		if (!found) {
			fprintf(stderr, "unknown field '%s'\n", key);
			return false;
		}
	}
	return true;
}

#define ONLY_KEYS(o, ...) \
	only_keys(o, (const char *const[]){ __VA_ARGS__ }, \
		  sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool int_member(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool string_array(struct json_object *o, const char *key, bool env)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, key, &a))
		return true;                    /* optional */
	if (!json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *s = json_object_array_get_idx(a, i);
		const char *eq;

		if (!json_object_is_type(s, json_type_string))
			return false;
		eq = strchr(json_object_get_string(s), '=');
		if (env && (!eq || eq == json_object_get_string(s)))
			return false;
	}
	return true;
}

static bool node_ok(struct json_object *n)
{
	const char *path = str_member(n, "path"), *type = str_member(n, "type");
	const char *perm = str_member(n, "permissions");
	int64_t major, minor, mode;

	if (!ONLY_KEYS(n, "path", "hostPath", "type", "major", "minor", "fileMode",
		       "permissions", "uid", "gid"))
		return false;
	if (!path || !*path || !type || strcmp(type, "c") != 0)
		return false;
	if (!int_member(n, "major", &major) || !int_member(n, "minor", &minor) ||
	    major <= 0 || minor < 0)
		return false;
	if (int_member(n, "fileMode", &mode) && (mode < 0 || mode > 0777))
		return false;
	if (!perm || strspn(perm, "rwm") != strlen(perm))
		return false;
	return true;
}

static bool hook_ok(struct json_object *h)
{
	static const char *const names[] = { "prestart", "createRuntime", "createContainer",
					     "startContainer", "poststart", "poststop" };
	const char *name = str_member(h, "hookName"), *path = str_member(h, "path");
	bool known = false;
	int64_t t;

	if (!ONLY_KEYS(h, "hookName", "path", "args", "env", "timeout") || !name || !path ||
	    !*path)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		known |= strcmp(name, names[i]) == 0;
	if (!known || !string_array(h, "args", false) || !string_array(h, "env", true))
		return false;
	if (json_object_object_get_ex(h, "timeout", NULL) && (!int_member(h, "timeout", &t) || t <= 0))
		return false;
	return true;
}

static bool edits_ok(struct json_object *e)
{
	struct json_object *a;

	if (!json_object_is_type(e, json_type_object) ||
	    !ONLY_KEYS(e, "env", "deviceNodes", "hooks", "mounts") || !string_array(e, "env", true))
		return false;
	if (json_object_object_get_ex(e, "deviceNodes", &a)) {
		if (!json_object_is_type(a, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!node_ok(json_object_array_get_idx(a, i)))
				return false;
	}
	if (json_object_object_get_ex(e, "hooks", &a)) {
		if (!json_object_is_type(a, json_type_array))
			return false;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!hook_ok(json_object_array_get_idx(a, i)))
				return false;
	}
	return true;
}

/* RFC 8259 forbids raw control bytes inside strings; json-c lets them
 * through even in strict mode, so look for them here. */
static void assert_no_raw_control_in_strings(const char *text)
{
	bool in_string = false;

	for (const char *p = text; *p; p++) {
		if (in_string && (unsigned char)*p < 0x20)
			fail_msg("raw control byte 0x%02x inside a string at offset %td",
				 (unsigned char)*p, p - text);
		if (in_string && *p == '\\' && p[1])
			p++;
		else if (*p == '"')
			in_string = !in_string;
	}
	assert_false(in_string);
}

/* json-c in strict mode: no trailing commas, nothing after the document (a
 * newline aside); and no raw control bytes in strings. */
static struct json_object *parse_strict(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	size_t len = strlen(text);

	assert_no_raw_control_in_strings(text);
	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root)
		fail_msg("json-c: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	assert_true(strspn(text + json_tokener_get_parse_end(tok), "\n") ==
		    len - json_tokener_get_parse_end(tok));
	json_tokener_free(tok);
	return root;
}

/* Parse TEXT and check it; returns the tree (json_object_put it) or NULL. */
static struct json_object *parse_valid_spec(const char *text)
{
	struct json_object *root = parse_strict(text), *devs, *edits;
	const char *version, *kind;

	assert_non_null(root);
	assert_true(ONLY_KEYS(root, "cdiVersion", "kind", "devices", "containerEdits"));
	version = str_member(root, "cdiVersion");
	kind = str_member(root, "kind");
	assert_non_null(version);
	assert_string_equal(version, "0.5.0");
	assert_non_null(kind);
	assert_int_equal(cdi_check_kind(kind, NULL, 0), 0);
	assert_true(json_object_object_get_ex(root, "devices", &devs));
	assert_true(json_object_is_type(devs, json_type_array));
	assert_true(json_object_array_length(devs) > 0);
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);
		const char *name = str_member(d, "name");

		assert_true(ONLY_KEYS(d, "name", "containerEdits"));
		assert_non_null(name);
		assert_int_equal(cdi_check_device_name(name, NULL, 0), 0);
		assert_true(json_object_object_get_ex(d, "containerEdits", &edits));
		assert_true(edits_ok(edits));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(name,
				str_member(json_object_array_get_idx(devs, j), "name"));
	}
	return root;
}

/* The Nth device's first node. */
static struct json_object *node_of(struct json_object *root, size_t n)
{
	struct json_object *devs, *edits, *nodes;

	json_object_object_get_ex(root, "devices", &devs);
	json_object_object_get_ex(json_object_array_get_idx(devs, n), "containerEdits", &edits);
	assert_true(json_object_object_get_ex(edits, "deviceNodes", &nodes));
	assert_int_equal(json_object_array_length(nodes), 1);
	return json_object_array_get_idx(nodes, 0);
}

/* Node N is a character device PATH from HOST at MAJOR:MINOR, mode MODE,
 * cgroup access rw. */
static void assert_node(struct json_object *n, const char *path, const char *host,
			int64_t major, int64_t minor, int64_t mode)
{
	int64_t v;

	assert_string_equal(str_member(n, "path"), path);
	assert_string_equal(str_member(n, "hostPath"), host);
	assert_string_equal(str_member(n, "type"), "c");
	assert_string_equal(str_member(n, "permissions"), "rw");
	assert_true(int_member(n, "major", &v));
	assert_int_equal(v, major);
	assert_true(int_member(n, "minor", &v));
	assert_int_equal(v, minor);
	assert_true(int_member(n, "fileMode", &v));
	assert_int_equal(v, mode);
}

/* --- the spec ---------------------------------------------------------------- */

static void test_one_device(void **state)
{
	const struct cdi_device dev = {
		.name = "vtpm0", .path = "/dev/tpm0", .host_path = "/dev/vtpm0",
		.major = 240, .minor = 7, .file_mode = 0660,
	};
	struct json_object *root, *devs, *edits;
	char *text, err[256];
	size_t len;

	(void)state;
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)), 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(text[len - 1], '\n');
	root = parse_valid_spec(text);
	assert_string_equal(str_member(root, "kind"), "vtpmd.io/tpm");
	json_object_object_get_ex(root, "devices", &devs);
	assert_int_equal(json_object_array_length(devs), 1);
	assert_string_equal(str_member(json_object_array_get_idx(devs, 0), "name"), "vtpm0");
	assert_node(node_of(root, 0), "/dev/tpm0", "/dev/vtpm0", 240, 7, 0660);
	/* No hooks asked for, none written. */
	json_object_object_get_ex(json_object_array_get_idx(devs, 0), "containerEdits", &edits);
	assert_false(json_object_object_get_ex(edits, "hooks", NULL));
	json_object_put(root);
	free(text);
}

/* Minor 0 is written, not left out: it is a real number here. */
static void test_minor_zero_and_no_mode(void **state)
{
	const struct cdi_device dev = {
		.name = "a", .path = "/dev/tpm0", .host_path = "/dev/a", .major = 10, .minor = 0,
	};
	struct json_object *root;
	char *text, err[256];
	size_t len;
	int64_t v;

	(void)state;
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)), 0);
	root = parse_valid_spec(text);
	assert_true(int_member(node_of(root, 0), "minor", &v));
	assert_int_equal(v, 0);
	assert_false(json_object_object_get_ex(node_of(root, 0), "fileMode", NULL));
	json_object_put(root);
	free(text);
}

/* The resource-managed node beside the device: a second node of the same
 * device, with the same mode; refused where it is no second node. */
static void test_rm_node(void **state)
{
	struct cdi_device dev = {
		.name = "vtpm0", .path = "/dev/tpm0", .host_path = "/dev/vtpm0",
		.major = 240, .minor = 7, .file_mode = 0660,
		.rm_path = "/dev/tpmrm0", .rm_host_path = "/dev/vtpmrm0",
		.rm_major = 240, .rm_minor = 7 + CDI_RM_MINOR_OFFSET,
	};
	struct json_object *root, *devs, *edits, *nodes;
	char *text, err[256];
	size_t len;

	(void)state;
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)), 0);
	root = parse_valid_spec(text);
	json_object_object_get_ex(root, "devices", &devs);
	json_object_object_get_ex(json_object_array_get_idx(devs, 0), "containerEdits", &edits);
	assert_true(json_object_object_get_ex(edits, "deviceNodes", &nodes));
	assert_int_equal(json_object_array_length(nodes), 2);
	assert_node(json_object_array_get_idx(nodes, 0), "/dev/tpm0", "/dev/vtpm0", 240, 7, 0660);
	assert_node(json_object_array_get_idx(nodes, 1), "/dev/tpmrm0", "/dev/vtpmrm0", 240,
		    65543, 0660);
	json_object_put(root);
	free(text);

	dev.rm_path = "dev/tpmrm0";
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not an absolute path"));
	dev.rm_path = "/dev/tpm0";
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "its two nodes are one"));
	dev.rm_path = "/dev/tpmrm0";
	dev.rm_minor = 7;
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)),
			 -EINVAL);
	dev.rm_minor = 1;
	dev.rm_major = 0;
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "is not a character device number"));
	dev.rm_major = 240;
	dev.rm_host_path = "vtpmrm0";
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", &dev, 1, &text, &len, err, sizeof(err)),
			 -EINVAL);
}

/* Hook arguments are arbitrary strings: quotes, backslashes, control bytes
 * and non-ASCII text come back exactly. */
static void test_hooks_and_escaping(void **state)
{
	const char *const args[] = {
		"vtpm-cdi", "hook", "create", "quote\" back\\slash", "tab\tnl\nesc\x1b del\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", "",
	};
	const char *const env[] = { "PATH=/usr/sbin:/usr/bin", "X==" };
	const struct cdi_hook hooks[] = {
		{ .hook_name = "createRuntime", .path = "/usr/bin/vtpm-cdi", .args = args,
		  .nargs = sizeof(args) / sizeof(args[0]), .env = env, .nenv = 2, .timeout = 60 },
		{ .hook_name = "poststop", .path = "/usr/bin/vtpm-cdi", .args = args, .nargs = 3 },
	};
	struct cdi_device devs[3];
	struct json_object *root, *d, *edits, *hk, *a;
	char *text, err[256], name[16], host[32];
	size_t len;
	int64_t v;

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "slot%d", i);
		snprintf(host, sizeof(host), "/dev/vtpm-slot%d", i);
		devs[i] = (struct cdi_device){ .name = strdup(name), .path = "/dev/tpm0",
					       .host_path = strdup(host), .major = 241,
					       .minor = (unsigned)i, .file_mode = 0660,
					       .hooks = hooks, .nhooks = 2 };
	}
	assert_int_equal(cdi_spec_format("example.com/virtual-tpm", devs, 3, &text, &len, err,
					 sizeof(err)), 0);
	root = parse_valid_spec(text);
	json_object_object_get_ex(root, "devices", &d);
	assert_int_equal(json_object_array_length(d), 3);
	json_object_object_get_ex(json_object_array_get_idx(d, 2), "containerEdits", &edits);
	assert_true(json_object_object_get_ex(edits, "hooks", &hk));
	assert_int_equal(json_object_array_length(hk), 2);
	assert_string_equal(str_member(json_object_array_get_idx(hk, 0), "hookName"), "createRuntime");
	assert_true(int_member(json_object_array_get_idx(hk, 0), "timeout", &v));
	assert_int_equal(v, 60);
	assert_false(json_object_object_get_ex(json_object_array_get_idx(hk, 1), "timeout", NULL));
	assert_false(json_object_object_get_ex(json_object_array_get_idx(hk, 1), "env", NULL));
	json_object_object_get_ex(json_object_array_get_idx(hk, 0), "args", &a);
	assert_int_equal(json_object_array_length(a), sizeof(args) / sizeof(args[0]));
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		assert_string_equal(json_object_get_string(json_object_array_get_idx(a, i)), args[i]);
	assert_true(int_member(node_of(root, 1), "minor", &v));
	assert_int_equal(v, 1);
	json_object_put(root);
	free(text);
	for (int i = 0; i < 3; i++) {
		free((char *)devs[i].name);
		free((char *)devs[i].host_path);
	}
}

/* What the CDI rules refuse is refused before anything is written. */
static void test_refusals(void **state)
{
	static const struct {
		const char *kind, *name, *path, *host;
		unsigned major, minor, mode;
		const char *hook, *hook_path, *env;
		int want;
	} cases[] = {
		{ "vtpmd.io", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "v/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "1v.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm.x", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tp/m", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "-a", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a-", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a b", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a=b", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "", "/dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "dev/tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/../etc/x", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev//tpm0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm\n0", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "dev/a0", 240, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 0, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 4096, 0, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 1u << 20, 0, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 01660, NULL, NULL, NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, "prestop", "/bin/x", NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, "poststop", "bin/x", NULL, -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, "poststop", "/bin/x", "=x", -EINVAL },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a0", 240, 0, 0, "poststop", "/bin/x", "PATH", -EINVAL },
		/* Not UTF-8: a JSON reader would replace the byte. */
		{ "vtpmd.io/tpm", "a0", "/dev/tpm\xff", "/dev/a0", 240, 0, 0, NULL, NULL, NULL, -EILSEQ },
		{ "vtpmd.io/tpm", "a0", "/dev/tpm0", "/dev/a\xc0\xaf", 240, 0, 0, NULL, NULL, NULL, -EILSEQ },
		/* The edges that pass. */
		{ "ab/cd", "0", "/t", "/d", 1, 0, 0, NULL, NULL, NULL, 0 },
		{ "a_b-c.d/e_f-9", "x.y:z_w-0", "/dev/tpm0", "/dev/a0", 4095, 1048575, 0777,
		  "createRuntime", "/x", "A=", 0 },
	};
	char *text = NULL, err[256];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const env[] = { cases[i].env };
		const struct cdi_hook hook = {
			.hook_name = cases[i].hook, .path = cases[i].hook_path,
			.env = env, .nenv = cases[i].env ? 1 : 0,
		};
		const struct cdi_device dev = {
			.name = cases[i].name, .path = cases[i].path, .host_path = cases[i].host,
			.major = cases[i].major, .minor = cases[i].minor,
			.file_mode = cases[i].mode, .hooks = &hook, .nhooks = cases[i].hook ? 1 : 0,
		};
		int ret;

		err[0] = '\0';
		ret = cdi_spec_format(cases[i].kind, &dev, 1, &text, &len, err, sizeof(err));
		if (ret != cases[i].want)
			fail_msg("case %zu (%s %s %s): got %d, want %d (%s)", i, cases[i].kind,
				 cases[i].name, cases[i].path, ret, cases[i].want, err);
		if (ret == 0) {
			json_object_put(parse_valid_spec(text));
			free(text);
		} else {
			assert_true(strlen(err) > 0);
			assert_null(strchr(err, '\n'));
		}
	}
}

static void test_duplicate_and_empty(void **state)
{
	const struct cdi_device devs[2] = {
		{ .name = "s1", .path = "/dev/tpm0", .host_path = "/dev/x", .major = 240 },
		{ .name = "s1", .path = "/dev/tpm0", .host_path = "/dev/y", .major = 240, .minor = 1 },
	};
	char *text, err[256];
	size_t len;

	(void)state;
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", devs, 2, &text, &len, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(cdi_spec_format("vtpmd.io/tpm", devs, 0, &text, &len, err, sizeof(err)),
			 -EINVAL);
}

/* --- the writer on its own ---------------------------------------------------- */

static void test_writer_nesting_errors(void **state)
{
	struct json_writer w;
	char *out;
	size_t len;

	(void)state;
	json_init(&w, 0);
	json_object_begin(&w);
	assert_int_equal(json_finish(&w, &out, &len), -EINVAL);       /* left open */
	json_init(&w, 0);
	json_array_end(&w);
	assert_int_equal(json_finish(&w, &out, &len), -EINVAL);       /* closed, never opened */
	json_init(&w, 0);
	json_array_begin(&w);
	json_key(&w, "k");                                             /* key in an array */
	json_array_end(&w);
	assert_int_equal(json_finish(&w, &out, &len), -EINVAL);
	json_init(&w, 0);
	json_object_begin(&w);
	json_key(&w, "k");
	json_object_end(&w);                                           /* key without value */
	assert_int_equal(json_finish(&w, &out, &len), -EINVAL);
	json_init(&w, 0);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	assert_int_equal(json_finish(&w, &out, &len), -EINVAL);
}

static void test_writer_compact_and_values(void **state)
{
	struct json_writer w;
	struct json_object *root, *a;
	char *out;
	size_t len;

	(void)state;
	json_init(&w, 0);
	json_object_begin(&w);
	json_member_int(&w, "min", INT64_MIN);
	json_member_int(&w, "max", INT64_MAX);
	json_key(&w, "empty");
	json_array_begin(&w);
	json_array_end(&w);
	json_key(&w, "obj");
	json_object_begin(&w);
	json_object_end(&w);
	json_key(&w, "list");
	json_array_begin(&w);
	json_string(&w, "\x01\x1f");
	json_int(&w, -1);
	json_array_end(&w);
	json_object_end(&w);
	assert_int_equal(json_finish(&w, &out, &len), 0);
	assert_string_equal(out, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
				 "\"empty\":[],\"obj\":{},\"list\":[\"\\u0001\\u001f\",-1]}\n");
	root = parse_strict(out);
	assert_true(json_object_object_get_ex(root, "list", &a));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "\x01\x1f");
	json_object_put(root);
	free(out);
}

static void test_utf8(void **state)
{
	static const struct { const char *s; bool ok; } cases[] = {
		{ "plain", true }, { "\xc3\xa9", true }, { "\xe2\x82\xac", true },
		{ "\xf0\x9f\x94\x91", true }, { "\xf4\x8f\xbf\xbf", true },
		{ "\xc3", false }, { "\xc0\x80", false }, { "\xe0\x80\x80", false },
		{ "\xed\xa0\x80", false },              /* a surrogate */
		{ "\xf4\x90\x80\x80", false },          /* above U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", false }, { "\x80", false }, { "\xe2\x82", false },
		{ "\xff", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (json_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu", i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_device),
		cmocka_unit_test(test_minor_zero_and_no_mode),
		cmocka_unit_test(test_rm_node),
		cmocka_unit_test(test_hooks_and_escaping),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_duplicate_and_empty),
		cmocka_unit_test(test_writer_nesting_errors),
		cmocka_unit_test(test_writer_compact_and_values),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
