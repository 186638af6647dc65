/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_spec.c - check a set of TPM devices against the CDI rules, write them as JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cdispec/cdi_names.h"
#include "cdispec/cdi_spec.h"
#include "cdispec/json_writer.h"
#include "os/log.h"

/* The kernel's largest character major and minor (12 and 20 bits). */
#define DEV_MAJOR_MAX 4095u
#define DEV_MINOR_MAX 1048575u

/* The hook names CDI 0.5.0 accepts (the OCI runtime spec's). */
static bool hook_name_ok(const char *name)
{
	static const char *const names[] = {
		"prestart", "createRuntime", "createContainer", "startContainer",
		"poststart", "poststop",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static int check_hook(const struct cdi_device *d, const struct cdi_hook *h,
		      char *err, size_t errlen)
{
	if (!h->hook_name || !hook_name_ok(h->hook_name))
		return log_errline(err, errlen, -EINVAL,
				   "device %s: unknown hook '%s'", d->name,
				   h->hook_name ? h->hook_name : "(none)");
	if (!h->path || h->path[0] != '/')
		return log_errline(err, errlen, -EINVAL,
				   "device %s: hook %s needs an absolute path",
				   d->name, h->hook_name);
	for (size_t i = 0; i < h->nenv; i++) {
		const char *eq = strchr(h->env[i], '=');

		if (!eq || eq == h->env[i])
			return log_errline(err, errlen, -EINVAL,
					   "device %s: hook environment entry '%s' is not NAME=VALUE",
					   d->name, h->env[i]);
	}
	return 0;
}

/* One node of device D: PATH in the container, HOST_PATH, MAJOR:MINOR. */
static int check_node(const struct cdi_device *d, const char *path, const char *host_path,
		      unsigned major, unsigned minor, char *err, size_t errlen)
{
	char why[256];

	if (!path || cdi_check_container_path(path, why, sizeof(why)) < 0)
		return log_errline(err, errlen, -EINVAL, "device %s: %s", d->name,
				   path ? why : "no container path");
	if (!host_path || host_path[0] != '/')
		return log_errline(err, errlen, -EINVAL,
				   "device %s: the host path must be absolute", d->name);
	/* Major 0 would make the runtime look the numbers up on the host. */
	if (major == 0 || major > DEV_MAJOR_MAX || minor > DEV_MINOR_MAX)
		return log_errline(err, errlen, -EINVAL,
				   "device %s: %u:%u is not a character device number",
				   d->name, major, minor);
	return 0;
}

static int check_device(const struct cdi_device *d, char *err, size_t errlen)
{
	char why[256];
	int ret;

	if (!d->name || cdi_check_device_name(d->name, why, sizeof(why)) < 0)
		return log_errline(err, errlen, -EINVAL,
				   "%s", d->name ? why : "a device has no name");
	if ((ret = check_node(d, d->path, d->host_path, d->major, d->minor, err, errlen)) < 0)
		return ret;
	if (d->rm_path) {
		if ((ret = check_node(d, d->rm_path, d->rm_host_path, d->rm_major, d->rm_minor,
				      err, errlen)) < 0)
			return ret;
		if (strcmp(d->rm_path, d->path) == 0 ||
		    (d->rm_major == d->major && d->rm_minor == d->minor))
			return log_errline(err, errlen, -EINVAL,
					   "device %s: its two nodes are one", d->name);
	}
	if (d->file_mode > 0777)
		return log_errline(err, errlen, -EINVAL,
				   "device %s: file mode 0%o has more than permission bits",
				   d->name, d->file_mode);
	for (size_t i = 0; i < d->nhooks; i++)
		if ((ret = check_hook(d, &d->hooks[i], err, errlen)) < 0)
			return ret;
	return 0;
}

static int check_all(const char *kind, const struct cdi_device *devs, size_t ndevs,
		     char *err, size_t errlen)
{
	int ret;

	if ((ret = cdi_check_kind(kind, err, errlen)) < 0)
		return ret;
	if (ndevs == 0)
		return log_errline(err, errlen, -EINVAL,
				   "a CDI spec needs at least one device");
	for (size_t i = 0; i < ndevs; i++) {
		if ((ret = check_device(&devs[i], err, errlen)) < 0)
			return ret;
		/* A runtime drops every device of a name given twice. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(devs[i].name, devs[j].name) == 0)
				return log_errline(err, errlen, -EINVAL,
						   "device name %s is given twice",
						   devs[i].name);
	}
	return 0;
}

static void write_strings(struct json_writer *w, const char *key,
			  const char *const *v, size_t n)
{
	if (n == 0)
		return;
	json_key(w, key);
	json_array_begin(w);
	for (size_t i = 0; i < n; i++)
		json_string(w, v[i]);
	json_array_end(w);
}

static void write_hook(struct json_writer *w, const struct cdi_hook *h)
{
	json_object_begin(w);
	json_member_string(w, "hookName", h->hook_name);
	json_member_string(w, "path", h->path);
	write_strings(w, "args", h->args, h->nargs);
	write_strings(w, "env", h->env, h->nenv);
	if (h->timeout)
		json_member_int(w, "timeout", h->timeout);
	json_object_end(w);
}

static void write_node(struct json_writer *w, const char *path, const char *host_path,
		       unsigned major, unsigned minor, unsigned file_mode)
{
	json_object_begin(w);
	json_member_string(w, "path", path);
	json_member_string(w, "hostPath", host_path);
	json_member_string(w, "type", "c");
	json_member_int(w, "major", major);
	json_member_int(w, "minor", minor);
	if (file_mode)
		json_member_int(w, "fileMode", file_mode);
	json_member_string(w, "permissions", "rw");
	json_object_end(w);
}

static void write_device(struct json_writer *w, const struct cdi_device *d)
{
	json_object_begin(w);
	json_member_string(w, "name", d->name);
	json_key(w, "containerEdits");
	json_object_begin(w);
	json_key(w, "deviceNodes");
	json_array_begin(w);
	write_node(w, d->path, d->host_path, d->major, d->minor, d->file_mode);
	if (d->rm_path)
		write_node(w, d->rm_path, d->rm_host_path, d->rm_major, d->rm_minor,
			   d->file_mode);
	json_array_end(w);
	if (d->nhooks) {
		json_key(w, "hooks");
		json_array_begin(w);
		for (size_t i = 0; i < d->nhooks; i++)
			write_hook(w, &d->hooks[i]);
		json_array_end(w);
	}
	json_object_end(w);
	json_object_end(w);
}

int cdi_spec_format(const char *kind, const struct cdi_device *devs, size_t ndevs,
		    char **out, size_t *len, char *err, size_t errlen)
{
	struct json_writer w;
	int ret = check_all(kind, devs, ndevs, err, errlen);

	if (ret < 0)
		return ret;
	json_init(&w, 2);
	json_object_begin(&w);
	json_member_string(&w, "cdiVersion", CDI_VERSION);
	json_member_string(&w, "kind", kind);
	json_key(&w, "devices");
	json_array_begin(&w);
	for (size_t i = 0; i < ndevs; i++)
		write_device(&w, &devs[i]);
	json_array_end(&w);
	json_object_end(&w);
	ret = json_finish(&w, out, len);
	if (ret == -EILSEQ)
		log_errline(err, errlen, -EINVAL,
			    "a name, path or hook argument is not valid UTF-8");
	else if (ret < 0)
		log_errline(err, errlen, -EINVAL,
			    "cannot format the CDI spec: %s", strerror(-ret));
	return ret;
}
