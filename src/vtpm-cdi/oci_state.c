/* SPDX-License-Identifier: BSD-3-Clause */
/* oci_state.c - the hook's stdin: JSON from the runtime, read with json-c. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "os/log.h"
#include "vtpm-cdi/cdi_opts.h"
#include "vtpm-cdi/oci_state.h"

static bool only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

int oci_id_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > OCI_ID_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

int oci_state_parse(const char *buf, size_t len, struct oci_state *st,
		    char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root, *v, *ann;
	const char *id = "", *name = "";
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (len > OCI_STATE_MAX)
		return log_errline(err, errlen, -EINVAL,
				   "the container state on stdin is larger than %d bytes",
				   OCI_STATE_MAX);
	if (memchr(buf, '\0', len))
		return log_errline(err, errlen, -EINVAL,
				   "the container state on stdin holds a NUL byte");
	tok = json_tokener_new();
	if (!tok)
		return log_errline(err, errlen, -EINVAL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (!root || !only_space(buf + json_tokener_get_parse_end(tok),
				 len - json_tokener_get_parse_end(tok))) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		ret = log_errline(err, errlen, -EINVAL,
				  "the container state on stdin is not JSON: %s",
				  !root && e == json_tokener_continue ? "it ends early" :
				  !root ? json_tokener_error_desc(e) : "more follows the object");
		json_object_put(root);
		json_tokener_free(tok);
		return ret;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object))
		ret = log_errline(err, errlen, -EINVAL,
				  "the container state on stdin is not a JSON object");
	else if (!json_object_object_get_ex(root, "id", &v) ||
		 !json_object_is_type(v, json_type_string))
		ret = log_errline(err, errlen, -EINVAL,
				  "the container state on stdin has no \"id\"");
	else if (!oci_id_valid(id = json_object_get_string(v)))
		ret = log_errline(err, errlen, -EINVAL,
				  "container id '%.64s' is not 1-255 letters, digits, '_', '+', '-' or '.'",
				  id);
	if (ret == 0 && json_object_object_get_ex(root, "pid", &v)) {
		int64_t pid = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || pid < 0 || pid > INT_MAX)
			ret = log_errline(err, errlen, -EINVAL,
					  "the container state on stdin has a \"pid\" that is not a process id");
		else
			st->pid = (int)pid;
	}
	if (ret == 0 && json_object_object_get_ex(root, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object) &&
	    json_object_object_get_ex(ann, CDI_STATE_ANNOTATION, &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    !oci_id_valid(name = json_object_get_string(v)))
			ret = log_errline(err, errlen, -EINVAL,
					  "annotation " CDI_STATE_ANNOTATION " '%.64s' is not 1-255 letters, digits, '_', '+', '-' or '.'",
					  json_object_is_type(v, json_type_string) ? name : "(not a string)");
	}
	if (ret == 0) {
		snprintf(st->id, sizeof(st->id), "%s", id);
		snprintf(st->state_name, sizeof(st->state_name), "%s", name);
	} else {
		st->pid = 0;
	}
	json_object_put(root);
	return ret;
}

int oci_state_read(int fd, struct oci_state *st, char *err, size_t errlen)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int ret;

	if (!buf)
		return log_errline(err, errlen, -EINVAL, "out of memory");
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			if (cap > OCI_STATE_MAX) {
				free(buf);
				return log_errline(err, errlen, -EINVAL,
						   "the container state on stdin is larger than %d bytes",
						   OCI_STATE_MAX);
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return log_errline(err, errlen, -EINVAL, "out of memory");
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = errno;
			free(buf);
			return log_errline(err, errlen, -EINVAL,
					   "cannot read the container state on stdin: %s",
					   strerror(ret));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ret = oci_state_parse(buf, len, st, err, errlen);
	free(buf);
	return ret;
}
