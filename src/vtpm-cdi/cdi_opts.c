/* SPDX-License-Identifier: BSD-3-Clause */
/* cdi_opts.c - vtpm-cdi's options, parsed once and written back into hook arguments. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdispec/cdi_names.h"
#include "os/log.h"
#include "text/number.h"
#include "vtpm-cdi/cdi_opts.h"

enum {
	OPT_SLOTS = 256, OPT_MAJOR, OPT_FIRST_MINOR, OPT_PREFIX, OPT_KIND, OPT_PATH, OPT_PATHRM,
	OPT_DIR, OPT_RUN_DIR, OPT_STATE_DIR, OPT_PERSISTENT, OPT_RUNAS, OPT_SETUP,
	OPT_SETUP_ARG, OPT_VTPMD, OPT_TIMEOUT, OPT_SLOT, OPT_REMOVE,
};

static const struct option longopts[] = {
	{ "slots",       required_argument, NULL, OPT_SLOTS },
	{ "major",       required_argument, NULL, OPT_MAJOR },
	{ "first-minor", required_argument, NULL, OPT_FIRST_MINOR },
	{ "prefix",      required_argument, NULL, OPT_PREFIX },
	{ "kind",        required_argument, NULL, OPT_KIND },
	{ "path",        required_argument, NULL, OPT_PATH },
	{ "pathrm",      required_argument, NULL, OPT_PATHRM },
	{ "dir",         required_argument, NULL, OPT_DIR },
	{ "run-dir",     required_argument, NULL, OPT_RUN_DIR },
	{ "state-dir",   required_argument, NULL, OPT_STATE_DIR },
	{ "persistent",  no_argument,       NULL, OPT_PERSISTENT },
	{ "runas",       required_argument, NULL, OPT_RUNAS },
	{ "setup",       required_argument, NULL, OPT_SETUP },
	{ "setup-arg",   required_argument, NULL, OPT_SETUP_ARG },
	{ "vtpmd",       required_argument, NULL, OPT_VTPMD },
	{ "timeout",     required_argument, NULL, OPT_TIMEOUT },
	{ "slot",        required_argument, NULL, OPT_SLOT },
	{ "remove",      no_argument,       NULL, OPT_REMOVE },
	{ "help",        no_argument,       NULL, 'h' },
	{ "version",     no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* A decimal option value up to MAX, by text/number.h's rule. */
static int number(const char *s, unsigned max, unsigned *out)
{
	uint64_t v;
	int ret = number_parse(s, NUMBER_DEC, max, &v);

	if (ret == 0)
		*out = (unsigned)v;
	return ret;
}

static int set_absolute(const char **out, const char *opt, const char *v,
			char *err, size_t errlen)
{
	if (v[0] != '/')
		return log_errline(err, errlen, -EINVAL,
				   "--%s: '%s' is not an absolute path", opt, v);
	*out = v;
	return 0;
}

static void defaults(struct cdi_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = CDI_KIND_DEFAULT;
	o->prefix = CDI_PREFIX_DEFAULT;
	o->path = CDI_PATH_DEFAULT;
	o->pathrm = CDI_PATHRM_DEFAULT;
	o->dir = CDI_DIR_DEFAULT;
	o->run_dir = CDI_RUN_DIR_DEFAULT;
	o->state_dir = CDI_STATE_DIR_DEFAULT;
	o->timeout = CDI_TIMEOUT_DEFAULT;
	o->runas = CDI_RUNAS_DEFAULT;
}

int cdi_slot_name(const struct cdi_opts *o, unsigned n, char *buf, size_t len)
{
	int r = snprintf(buf, len, "%s%u", o->prefix, n);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

int cdi_slot_devname(const struct cdi_opts *o, unsigned n, char *buf, size_t len)
{
	int r = snprintf(buf, len, "vtpm-%s%u", o->prefix, n);

	/* vtpmd's -n takes at most 64 characters. */
	return r < 0 || (size_t)r >= len || r > 64 ? -ENAMETOOLONG : 0;
}

/* Once all options are in: what each command needs, and what fits together. */
static int check(struct cdi_opts *o, char *err, size_t errlen)
{
	char name[128], why[256];
	unsigned last;

	if (o->cmd == CMD_POOL && o->remove)
		return 0;
	if (o->cmd == CMD_POOL && (o->slots == 0 || o->major == 0))
		return log_errline(err, errlen, -EINVAL,
				   "pool: --slots N and --major M are required");
	if ((o->cmd == CMD_HOOK_CREATE || o->cmd == CMD_HOOK_POSTSTOP) &&
	    (!o->slot_given || o->major == 0 || !o->vtpmd))
		return log_errline(err, errlen, -EINVAL,
				   "hook: --slot, --major and --vtpmd are required");
	last = o->cmd == CMD_POOL ? o->slots - 1 : o->slot;
	if (o->first_minor + last > 65535)
		return log_errline(err, errlen, -EINVAL,
				   "--first-minor %u with slot %u goes past minor 65535",
				   o->first_minor, last);
	/* They end up in vtpmd's DIR=... sub-options, which split at ','. */
	if (strchr(o->run_dir, ',') || strchr(o->state_dir, ','))
		return log_errline(err, errlen, -EINVAL,
				   "--run-dir and --state-dir may not contain ','");
	if (cdi_check_kind(o->kind, why, sizeof(why)) < 0)
		return log_errline(err, errlen, -EINVAL, "--kind: %s", why);
	if (cdi_check_container_path(o->path, why, sizeof(why)) < 0)
		return log_errline(err, errlen, -EINVAL, "--path: %s", why);
	if (cdi_check_container_path(o->pathrm, why, sizeof(why)) < 0)
		return log_errline(err, errlen, -EINVAL, "--pathrm: %s", why);
	if (strcmp(o->path, o->pathrm) == 0)
		return log_errline(err, errlen, -EINVAL, "--path and --pathrm name the same node");
	if (cdi_slot_name(o, last, name, sizeof(name)) < 0 ||
	    cdi_slot_devname(o, last, name, sizeof(name)) < 0)
		return log_errline(err, errlen, -EINVAL,
				   "--prefix: '%s' is too long", o->prefix);
	cdi_slot_name(o, 0, name, sizeof(name));
	if (strchr(o->prefix, ':') || cdi_check_device_name(name, why, sizeof(why)) < 0)
		return log_errline(err, errlen, -EINVAL,
				   "--prefix: '%s' must start with a letter or digit and hold only letters, digits, '_', '-' or '.'",
				   o->prefix);
	return 0;
}

static int parse_one(struct cdi_opts *o, int c, const char *arg, char *err, size_t errlen)
{
	const char *opt = NULL;

	for (const struct option *p = longopts; p->name; p++)
		if (p->val == c)
			opt = p->name;
	switch (c) {
	case OPT_SLOTS:
		if (number(arg, CDI_POOL_SLOTS_MAX, &o->slots) < 0 || o->slots == 0)
			return log_errline(err, errlen, -EINVAL,
					   "--slots: '%s' is not a number from 1 to %u", arg,
					   CDI_POOL_SLOTS_MAX);
		return 0;
	case OPT_MAJOR:
		/* the kernel refuses character majors from 512 (CHRDEV_MAJOR_MAX) */
		if (number(arg, 511, &o->major) < 0 || o->major == 0)
			return log_errline(err, errlen, -EINVAL,
					   "--major: '%s' is not a major from 1 to 511", arg);
		return 0;
	case OPT_FIRST_MINOR:
		if (number(arg, 65535, &o->first_minor) < 0)
			return log_errline(err, errlen, -EINVAL,
					   "--first-minor: '%s' is not a number from 0 to 65535", arg);
		return 0;
	case OPT_SLOT:
		if (number(arg, CDI_POOL_SLOTS_MAX - 1, &o->slot) < 0)
			return log_errline(err, errlen, -EINVAL,
					   "--slot: '%s' is not a slot number", arg);
		o->slot_given = true;
		return 0;
	case OPT_TIMEOUT:
		if (number(arg, 86400, &o->timeout) < 0 || o->timeout == 0)
			return log_errline(err, errlen, -EINVAL,
					   "--timeout: '%s' is not a number of seconds (1-86400)", arg);
		return 0;
	case OPT_PERSISTENT:
		o->persistent = true;
		return 0;
	case OPT_REMOVE:
		o->remove = true;
		return 0;
	}
	if (!*arg)
		return log_errline(err, errlen, -EINVAL, "--%s: empty value", opt);
	switch (c) {
	case OPT_PREFIX: o->prefix = arg; break;
	case OPT_KIND: o->kind = arg; break;
	case OPT_PATH: o->path = arg; break;
	case OPT_PATHRM: o->pathrm = arg; break;
	case OPT_RUNAS: o->runas = arg; break;
	case OPT_DIR: return set_absolute(&o->dir, opt, arg, err, errlen);
	case OPT_RUN_DIR: return set_absolute(&o->run_dir, opt, arg, err, errlen);
	case OPT_STATE_DIR: return set_absolute(&o->state_dir, opt, arg, err, errlen);
	case OPT_SETUP: return set_absolute(&o->setup, opt, arg, err, errlen);
	case OPT_VTPMD: return set_absolute(&o->vtpmd, opt, arg, err, errlen);
	case OPT_SETUP_ARG: {
		const char **v = realloc(o->setup_args, (o->nsetup_args + 1) * sizeof(*v));

		if (!v)
			return log_errline(err, errlen, -EINVAL, "out of memory");
		v[o->nsetup_args++] = arg;
		o->setup_args = v;
		break;
	}
	}
	return 0;
}

static int parse_command(struct cdi_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	if (argc < 2)
		return log_errline(err, errlen, -EINVAL,
				   "no command: give pool or hook (see vtpm-cdi --help)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		o->cmd = CMD_HELP;
		return 1;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		o->cmd = CMD_VERSION;
		return 1;
	}
	if (strcmp(argv[1], "pool") == 0) {
		o->cmd = CMD_POOL;
		return 2;
	}
	if (strcmp(argv[1], "hook") == 0 && argc >= 3 && strcmp(argv[2], "create") == 0) {
		o->cmd = CMD_HOOK_CREATE;
		return 3;
	}
	if (strcmp(argv[1], "hook") == 0 && argc >= 3 && strcmp(argv[2], "poststop") == 0) {
		o->cmd = CMD_HOOK_POSTSTOP;
		return 3;
	}
	if (strcmp(argv[1], "hook") == 0)
		return log_errline(err, errlen, -EINVAL, "hook: give create or poststop");
	return log_errline(err, errlen, -EINVAL,
			   "unknown command '%s': give pool or hook", argv[1]);
}

int cdi_opts_parse(struct cdi_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	int first, c;

	defaults(o);
	first = parse_command(o, argc, argv, err, errlen);
	if (first < 0)
		return -EINVAL;
	if (o->cmd == CMD_HELP || o->cmd == CMD_VERSION)
		return 0;
	/* getopt sees the subcommand's words as its program name. */
	optind = 0;
	opterr = 0;
	argc -= first - 1;
	argv += first - 1;
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			/* after a command too: "vtpm-cdi pool --version" */
			cdi_opts_free(o);
			o->cmd = c == 'h' ? CMD_HELP : CMD_VERSION;
			return 0;
		}
		if (c == ':' || c == '?') {
			const char *a = argv[optind - 1];

			cdi_opts_free(o);
			return log_errline(err, errlen, -EINVAL,
					   c == ':' ? "option '%s' needs a value"
					   : "unknown option '%s'", a);
		}
		if (parse_one(o, c, optarg, err, errlen) < 0) {
			cdi_opts_free(o);
			return -EINVAL;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		cdi_opts_free(o);
		return log_errline(err, errlen, -EINVAL,
				   "unexpected argument '%s' (vtpmd options go after --)",
				   argv[optind]);
	}
	o->vtpmd_args = argv + optind;
	o->nvtpmd_args = (size_t)(argc - optind);
	if (check(o, err, errlen) < 0) {
		cdi_opts_free(o);
		return -EINVAL;
	}
	return 0;
}

void cdi_opts_free(struct cdi_opts *o)
{
	free(o->setup_args);
	o->setup_args = NULL;
	o->nsetup_args = 0;
}

/* --- hook arguments ------------------------------------------------------------ */

struct argv_builder {
	char **v;
	size_t n, cap;
	int err;
};

static void add(struct argv_builder *b, const char *s)
{
	if (b->err)
		return;
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char **v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			b->err = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n] = strdup(s);
	if (!b->v[b->n]) {
		b->err = -ENOMEM;
		return;
	}
	b->v[++b->n] = NULL;
}

static void add_opt(struct argv_builder *b, const char *opt, const char *val)
{
	add(b, opt);
	add(b, val);
}

static void add_num(struct argv_builder *b, const char *opt, unsigned v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	add_opt(b, opt, num);
}

void cdi_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int cdi_opts_hook_argv(const struct cdi_opts *o, const char *self, const char *subcmd,
		       unsigned n, char ***argv, size_t *argc)
{
	struct argv_builder b = { 0 };

	add(&b, self);
	add(&b, "hook");
	add(&b, subcmd);
	add_num(&b, "--slot", n);
	add_num(&b, "--major", o->major);
	add_num(&b, "--first-minor", o->first_minor);
	add_opt(&b, "--prefix", o->prefix);
	add_opt(&b, "--run-dir", o->run_dir);
	add_opt(&b, "--vtpmd", o->vtpmd);
	if (o->persistent) {
		add(&b, "--persistent");
		add_opt(&b, "--state-dir", o->state_dir);
	}
	if (o->runas)
		add_opt(&b, "--runas", o->runas);
	if (o->setup)
		add_opt(&b, "--setup", o->setup);
	for (size_t i = 0; i < o->nsetup_args; i++)
		add_opt(&b, "--setup-arg", o->setup_args[i]);
	if (o->nvtpmd_args)
		add(&b, "--");
	for (size_t i = 0; i < o->nvtpmd_args; i++)
		add(&b, o->vtpmd_args[i]);
	if (b.err) {
		cdi_argv_free(b.v);
		return b.err;
	}
	*argv = b.v;
	*argc = b.n;
	return 0;
}

void cdi_opts_usage(FILE *out)
{
	fputs(
"Usage: vtpm-cdi pool --slots N --major M [options] [-- VTPMD-OPTIONS...]\n"
"       vtpm-cdi pool --remove [--dir DIR] [--prefix P]\n"
"       vtpm-cdi hook create|poststop --slot N ...   (run by the container runtime)\n"
"\n"
"Write a Container Device Interface spec of N TPM slots. A container that asks\n"
"for KIND=PREFIXn gets a brand-new vTPM as PATH, and its resource-managed node\n"
"as PATHRM: the runtime's createRuntime hook starts vtpmd for it\n"
"(/dev/vtpm-PREFIXn, device M:first-minor+n, and /dev/vtpmrm-PREFIXn,\n"
"M:first-minor+n+65536) and its poststop hook ends it and removes the TPM's\n"
"state.\n"
"\n"
"  --slots N            number of slots (1-1024)\n"
"  --major M            character major of every slot (1-511, one that\n"
"                       /proc/devices does not list; 240-254 are for local use)\n"
"  --first-minor K      minor of slot 0 (default 0)\n"
"  --prefix P           slot names P0, P1, ... (default slot)\n"
"  --kind VENDOR/CLASS  CDI kind (default vtpmd.io/tpm)\n"
"  --path PATH          the node in the container (default /dev/tpm0)\n"
"  --pathrm PATH        the resource-managed node in the container, for any\n"
"                       number of programs at once (default /dev/tpmrm0)\n"
"  --dir DIR            CDI spec directory (default /var/run/cdi, gone at reboot;\n"
"                       /etc/cdi keeps the pool); only root may write it\n"
"  --run-dir DIR        slot claims, pid and log files, and the TPM state of\n"
"                       containers without --persistent (default /run/vtpm-cdi)\n"
"  --persistent         keep each TPM's state in --state-dir (default\n"
"                       /var/lib/vtpm-cdi) under the container's annotation\n"
"                       vtpmd.io/state, or its id; it survives the container\n"
"  --runas USER         vtpmd serves as USER, who owns the state directory\n"
"                       (default vtpmd, a system user of its own)\n"
"  --setup PROGRAM      run PROGRAM --tpm2 --tpmstate DIR --runas USER\n"
"                       [--setup-arg ...] as root on each new state directory\n"
"                       (vtpm-setup or swtpm_setup, to create an EK and its\n"
"                       certificate with root's CA; the state is USER's)\n"
"  --setup-arg ARG      one more argument for PROGRAM (repeatable)\n"
"  --vtpmd PATH         the vtpmd to start (default: next to vtpm-cdi)\n"
"  --timeout SECONDS    how long the runtime lets a hook run (default 120)\n"
"  -- VTPMD-OPTIONS     more vtpmd options for every slot (e.g. --key ...)\n"
"  -h, --help, -V, --version\n", out);
}
