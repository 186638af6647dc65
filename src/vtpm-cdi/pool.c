/* SPDX-License-Identifier: BSD-3-Clause */
/* pool.c - N slots, their hooks, one spec file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdispec/cdi_file.h"
#include "cdispec/cdi_names.h"
#include "cdispec/cdi_spec.h"
#include "os/io.h"
#include "os/log.h"
#include "os/privs.h"
#include "vtpm-cdi/pool.h"

static const char *const hook_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

/* Everything one slot's spec entry points to. */
struct slot_entry {
	char name[96], host_path[128], rm_host_path[128];
	char **create_argv, **poststop_argv;
	size_t create_argc, poststop_argc;
	struct cdi_hook hooks[2];
};

static void entries_free(struct slot_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cdi_argv_free(e[i].create_argv);
		cdi_argv_free(e[i].poststop_argv);
	}
	free(e);
}

static int fill_entry(const struct cdi_opts *o, const char *self, unsigned i,
		      struct slot_entry *e, struct cdi_device *d)
{
	char devname[96], rm_devname[100];
	int ret;

	cdi_slot_name(o, i, e->name, sizeof(e->name));
	cdi_slot_devname(o, i, devname, sizeof(devname));
	snprintf(e->host_path, sizeof(e->host_path), "/dev/%s", devname);
	/* the slot's vtpmd names and numbers its RM node by vtpmd's rule */
	if ((ret = cdi_rm_devname(devname, rm_devname, sizeof(rm_devname))) < 0)
		return ret;
	snprintf(e->rm_host_path, sizeof(e->rm_host_path), "/dev/%s", rm_devname);
	if ((ret = cdi_opts_hook_argv(o, self, "create", i, &e->create_argv,
				      &e->create_argc)) < 0 ||
	    (ret = cdi_opts_hook_argv(o, self, "poststop", i, &e->poststop_argv,
				      &e->poststop_argc)) < 0)
		return ret;
	e->hooks[0] = (struct cdi_hook){
		.hook_name = "createRuntime", .path = self,
		.args = (const char *const *)e->create_argv, .nargs = e->create_argc,
		.env = hook_env, .nenv = 1, .timeout = o->timeout,
	};
	e->hooks[1] = (struct cdi_hook){
		.hook_name = "poststop", .path = self,
		.args = (const char *const *)e->poststop_argv, .nargs = e->poststop_argc,
		.env = hook_env, .nenv = 1, .timeout = o->timeout,
	};
	*d = (struct cdi_device){
		.name = e->name, .path = o->path, .host_path = e->host_path,
		.major = o->major, .minor = o->first_minor + i, .file_mode = CDI_NODE_MODE,
		.rm_path = o->pathrm, .rm_host_path = e->rm_host_path,
		.rm_major = o->major, .rm_minor = o->first_minor + i + CDI_RM_MINOR_OFFSET,
		.hooks = e->hooks, .nhooks = 2,
	};
	return 0;
}

int pool_check_major(unsigned major, const char *devices, char *err, size_t errlen)
{
	const char *p = strstr(devices, "Character devices:\n");
	char name[64];
	unsigned m;
	int n;

	if (major == 0 || major >= 512)
		return log_errline(err, errlen, -ERANGE,
				   "--major %u: the kernel's character majors are 1 to 511", major);
	if (!p)
		return 0;
	for (p = strchr(p, '\n') + 1; *p && *p != '\n'; p = strchr(p, '\n') + 1) {
		if (sscanf(p, "%u %63s%n", &m, name, &n) == 2 && m == major &&
		    strcmp(name, "cuse") != 0)
			return log_errline(err, errlen, -EBUSY,
					   "--major %u is the kernel's '%s' (/proc/devices); "
					   "pick one it does not list (240-254 are for local use)",
					   major, name);
		if (!strchr(p, '\n'))
			break;
	}
	return 0;
}

/* Nobody but root or this user may replace what is in ST's directory. */
static bool trusted(const struct stat *st, bool sticky_ok)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return false;
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return true;
	return sticky_ok && (st->st_mode & S_ISVTX);
}

int pool_check_dir(const char *dir, char *err, size_t errlen)
{
	char *real = realpath(dir, NULL), *slash;
	struct stat st;
	bool last = true;
	int ret = 0;

	if (!real)
		return log_errline(err, errlen, -errno, "--dir %s: %s", dir, strerror(errno));
	for (;;) {
		if (lstat(real, &st) < 0) {
			ret = log_errline(err, errlen, -errno, "--dir %s: %s: %s", dir, real,
					  strerror(errno));
			break;
		}
		if (!trusted(&st, !last)) {
			ret = log_errline(err, errlen, -EPERM,
					  "--dir %s: %s may be written by others (owner %u, mode "
					  "%04o), and the pool's hooks run as root",
					  dir, real, (unsigned)st.st_uid,
					  (unsigned)(st.st_mode & 07777));
			break;
		}
		last = false;
		slash = strrchr(real, '/');
		if (!slash || slash == real) {
			if (real[1] && strcmp(real, "/") != 0) {
				real[1] = '\0';        /* then "/" itself */
				continue;
			}
			break;
		}
		*slash = '\0';
	}
	free(real);
	return ret;
}

/* The pool's settings that only the running system can refute. */
static int check_system(const struct cdi_opts *o)
{
	static char devices[64 * 1024];
	struct privs_user u;
	char err[512];
	ssize_t len = -1;
	int fd, ret = 0;

	fd = open("/proc/devices", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = io_read_full(fd, devices, sizeof(devices) - 1);
		close(fd);
	}
	devices[len > 0 ? len : 0] = '\0';
	ret = pool_check_major(o->major, devices, err, sizeof(err));
	if (ret == 0 && o->runas) {
		ret = privs_lookup_user(o->runas, &u, err, sizeof(err));
		if (ret == 0)
			privs_user_free(&u);
	}
	if (ret < 0)
		fprintf(stderr, "vtpm-cdi: %s\n", err);
	return ret;
}

/* The vtpmd beside this program, where no --vtpmd is given. */
static int default_vtpmd(const char *self, char *buf, size_t len)
{
	const char *slash = strrchr(self, '/');
	int n;

	if (!slash)
		return -EINVAL;
	n = snprintf(buf, len, "%.*s/vtpmd", (int)(slash - self), self);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pool_write(struct cdi_opts *o, const char *self)
{
	char vtpmd[PATH_MAX], file[256], err[512];
	struct slot_entry *entries;
	struct cdi_device *devs;
	char *json = NULL;
	size_t len;
	int dirfd, ret;

	if (!o->vtpmd) {
		if (default_vtpmd(self, vtpmd, sizeof(vtpmd)) < 0) {
			fprintf(stderr, "vtpm-cdi: cannot tell where vtpmd is: give --vtpmd PATH\n");
			return 1;
		}
		o->vtpmd = vtpmd;
	}
	if (access(o->vtpmd, X_OK) < 0) {
		fprintf(stderr, "vtpm-cdi: cannot run vtpmd '%s': %s (give --vtpmd PATH)\n",
			o->vtpmd, strerror(errno));
		return 1;
	}
	if (o->setup && access(o->setup, X_OK) < 0) {
		fprintf(stderr, "vtpm-cdi: --setup: cannot run '%s': %s\n", o->setup,
			strerror(errno));
		return 1;
	}
	if (cdi_file_name_pool(file, sizeof(file), o->prefix) < 0) {
		fprintf(stderr, "vtpm-cdi: --prefix '%s' is too long\n", o->prefix);
		return 1;
	}
	if (check_system(o) < 0)
		return 1;
	entries = calloc(o->slots, sizeof(*entries));
	devs = calloc(o->slots, sizeof(*devs));
	ret = entries && devs ? 0 : -ENOMEM;
	for (unsigned i = 0; ret == 0 && i < o->slots; i++)
		ret = fill_entry(o, self, i, &entries[i], &devs[i]);
	if (ret == 0)
		ret = cdi_spec_format(o->kind, devs, o->slots, &json, &len, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	if (entries)
		entries_free(entries, o->slots);
	free(devs);
	if (ret < 0) {
		fprintf(stderr, "vtpm-cdi: %s\n", err);
		return 1;
	}
	ret = cdi_dir_open(o->dir, &dirfd);
	if (ret == 0 && pool_check_dir(o->dir, err, sizeof(err)) < 0) {
		close(dirfd);
		free(json);
		fprintf(stderr, "vtpm-cdi: %s\n", err);
		return 1;
	}
	if (ret < 0) {
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	} else {
		ret = cdi_file_write(dirfd, file, json, len, err, sizeof(err));
		close(dirfd);
	}
	free(json);
	if (ret < 0) {
		fprintf(stderr, "vtpm-cdi: cannot write %s/%s: %s\n", o->dir, file, err);
		return 1;
	}
	printf("%s/%s: %s=%s0..%s%u on %u:%u..%u\n", o->dir, file, o->kind, o->prefix,
	       o->prefix, o->slots - 1, o->major, o->first_minor,
	       o->first_minor + o->slots - 1);
	return 0;
}

int pool_remove(const struct cdi_opts *o)
{
	char file[256];
	int dirfd, ret;

	if (cdi_file_name_pool(file, sizeof(file), o->prefix) < 0)
		return 1;
	ret = cdi_dir_open(o->dir, &dirfd);
	if (ret == 0) {
		ret = cdi_file_remove(dirfd, file);
		close(dirfd);
	}
	if (ret < 0) {
		fprintf(stderr, "vtpm-cdi: cannot remove %s/%s: %s\n", o->dir, file,
			strerror(-ret));
		return 1;
	}
	return 0;
}
