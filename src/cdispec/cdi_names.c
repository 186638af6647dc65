/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_names.c - kind, device name and container path checks, and the name
 * of the resource-managed node beside a device (see cdi_names.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cdispec/cdi_names.h"
#include "os/log.h"

/* ASCII only: the CDI library checks bytes, never the locale. */
static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9');
}

/*
 * S[0..LEN) against one of the three rules: the first character passes
 * FIRST_LETTER ? is_letter : is_alnum, the middle ones are alphanumeric or
 * in MIDDLE, the last one is alphanumeric.
 */
static bool name_ok(const char *s, size_t len, bool first_letter,
		    const char *middle)
{
	if (len == 0)
		return false;
	if (first_letter ? !is_letter(s[0]) : !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_alnum(s[i]) && !strchr(middle, s[i]))
			return false;
	return is_alnum(s[len - 1]);
}

int cdi_check_kind(const char *kind, char *err, size_t errlen)
{
	const char *slash = strchr(kind, '/');
	size_t vlen, clen;

	if (!slash)
		return log_errline(err, errlen, -EINVAL,
				   "CDI kind '%s' is not VENDOR/CLASS (e.g. %s)",
				   kind, CDI_KIND_DEFAULT);
	vlen = (size_t)(slash - kind);
	clen = strlen(slash + 1);
	if (vlen < 2 || vlen > 253 || !name_ok(kind, vlen, true, "_-."))
		return log_errline(err, errlen, -EINVAL,
				   "CDI kind '%s': the vendor must be 2-253 letters, digits, '_', '-' or '.', starting with a letter and ending with a letter or digit",
				   kind);
	if (clen < 2 || clen > 63 || !name_ok(slash + 1, clen, true, "_-"))
		return log_errline(err, errlen, -EINVAL,
				   "CDI kind '%s': the class must be 2-63 letters, digits, '_' or '-', starting with a letter and ending with a letter or digit",
				   kind);
	return 0;
}

int cdi_check_device_name(const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);

	if (len > 253 || !name_ok(name, len, false, "_-.:"))
		return log_errline(err, errlen, -EINVAL,
				   "'%s' is not a CDI device name: letters, digits, '_', '-', '.' or ':', starting and ending with a letter or digit",
				   name);
	return 0;
}

int cdi_check_container_path(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	const char *p = path;

	if (path[0] != '/' || len > 4095)
		return log_errline(err, errlen, -EINVAL,
				   "container path '%s' is not an absolute path", path);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return log_errline(err, errlen, -EINVAL,
					   "container path '%s' holds a control character", path);
	while (*p) {
		size_t n;

		p++;                    /* past the '/' */
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return log_errline(err, errlen, -EINVAL,
					   "container path '%s' has an empty, '.' or '..' component",
					   path);
		p += n;
	}
	return 0;
}

int cdi_rm_devname(const char *name, char *out, size_t len)
{
	const char *tpm = strstr(name, "tpm");
	int n;

	if (tpm)
		n = snprintf(out, len, "%.*stpmrm%s", (int)(tpm - name), name, tpm + 3);
	else
		n = snprintf(out, len, "%srm", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
