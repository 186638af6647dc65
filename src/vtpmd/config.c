/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c - the command line, with swtpm cuse's spelling and sub-option
 * grammar (key[=value],key[=value],...).
 *
 * Decisions, where swtpm leaves room:
 *  - A repeated option: the last one wins, as a whole (--log file=a --log fd=3
 *    logs to fd 3 only). swtpm does the same, except that it keeps the first -n.
 *  - A key repeated inside one value (dir=a,dir=b) is an error; swtpm would
 *    silently take the first, and we would rather not guess.
 *  - Empty values (dir=), empty parameters (a,,b / trailing ',') and empty
 *    option values are errors, as they are in swtpm.
 *  - Booleans: bare key, =true or =1 is on; =false or =0 is off; else an error.
 *  - -h and -v end parsing where they stand, as in swtpm: a bad option before
 *    them is still reported, anything after them is not looked at.
 *  - -n, -M and -m are checked where they stand; values with parameters are
 *    checked once all options are read (only the last of each), as in swtpm.
 *  - Paths are kept as given (relative ones stay relative).
 */
#include "vtpmd/config.h"
#include "cdispec/cdi_names.h"
#include "vtpmd/devname.h"
#include "os/log.h"
#include "text/number.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SUBOPT_MAX  8

/* Long-only options get codes outside the char range. */
enum {
	OPT_TPMSTATE = 256,
	OPT_TPM2,
	OPT_TPM12,
	OPT_FLAGS,
	OPT_LOCALITY,
	OPT_LOG,
	OPT_PID,
	OPT_KEY,
	OPT_MIGRATION_KEY,
	OPT_SECCOMP,
	OPT_MIGRATION,
	OPT_PCAP,
	OPT_PRINT_CAPABILITIES,
	OPT_PRINT_STATES,
	OPT_PRINT_INFO,
	OPT_CDI,
	OPT_CONTROL_NODE,
	OPT_RESOURCE_MANAGER,
	OPT_UNSUPPORTED,        /* swtpm cuse has it, vtpmd does not */
};

static const struct option longopts[] = {
	{ "name",       required_argument, NULL, 'n' },
	{ "maj",        required_argument, NULL, 'M' },
	{ "min",        required_argument, NULL, 'm' },
	{ "foreground", no_argument,       NULL, 'f' },
	{ "tpmstate",   required_argument, NULL, OPT_TPMSTATE },
	{ "tpm2",       no_argument,       NULL, OPT_TPM2 },
	{ "tpm12",      no_argument,       NULL, OPT_TPM12 },
	{ "flags",      required_argument, NULL, OPT_FLAGS },
	{ "locality",   required_argument, NULL, OPT_LOCALITY },
	{ "log",        required_argument, NULL, OPT_LOG },
	{ "pid",        required_argument, NULL, OPT_PID },
	{ "help",       no_argument,       NULL, 'h' },
	{ "version",    no_argument,       NULL, 'v' },
	{ "runas",              required_argument, NULL, 'r' },
	{ "chroot",             required_argument, NULL, 'R' },
	{ "key",                required_argument, NULL, OPT_KEY },
	{ "migration-key",      required_argument, NULL, OPT_MIGRATION_KEY },
	{ "seccomp",            required_argument, NULL, OPT_SECCOMP },
	{ "migration",          required_argument, NULL, OPT_MIGRATION },
	{ "pcap",               required_argument, NULL, OPT_PCAP },
	{ "print-capabilities", no_argument,       NULL, OPT_PRINT_CAPABILITIES },
	{ "print-states",       no_argument,       NULL, OPT_PRINT_STATES },
	{ "print-info",         required_argument, NULL, OPT_PRINT_INFO },
	{ "cdi",                required_argument, NULL, OPT_CDI },
	{ "control-node",       optional_argument, NULL, OPT_CONTROL_NODE },
	{ "resource-manager",   required_argument, NULL, OPT_RESOURCE_MANAGER },
	/* Known so that users get "not supported", not "unknown option":
	 * libtpms 0.9 has no profiles. */
	{ "profile",            required_argument, NULL, OPT_UNSUPPORTED },
	{ "print-profiles",     no_argument,       NULL, OPT_UNSUPPORTED },
	{ NULL, 0, NULL, 0 },
};

/* Leading ':' makes getopt report a missing value as ':' rather than '?'. */
static const char shortopts[] = ":n:M:m:fhvr:R:";

/* Where error lines go. */
struct errbuf {
	char *buf;
	size_t len;
};

/* One line, whatever the quoted argument holds: control bytes become '?'. */
__attribute__((format(printf, 2, 3)))
static int fail(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;

	if (e->buf && e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
		log_make_printable(e->buf, strlen(e->buf));
	}
	return -1;
}

static int parse_devnum(struct errbuf *e, const char *opt, const char *s,
			unsigned *out)
{
	uint64_t v;
	int rc = number_parse(s, NUMBER_DEC, 65535, &v);

	if (rc == -EINVAL)
		return fail(e, "%s: '%s' is not a number", opt, s);
	if (rc == -ERANGE)
		return fail(e, "%s: '%s' is out of range (0-65535)", opt, s);
	*out = (unsigned)v;
	return 0;
}

/* -n NAME or -n /dev/NAME: the node is /dev/NAME (vtpmd/devname.h). */
static int parse_devname(struct errbuf *e, const char *arg, const char **name)
{
	char why[256];

	if (devname_parse(arg, name, why, sizeof(why)) < 0)
		return fail(e, "--name: %s", why);
	return 0;
}

/* --- key[=value],... values --------------------------------------------- */

/* One option's value, cut into its parameters. */
struct subopts {
	const char *opt;                /* "--log", for messages */
	char *const *keys;              /* NULL-terminated, as getsubopt wants */
	char *copy;                     /* getsubopt writes into this */
	bool seen[SUBOPT_MAX];
	char *val[SUBOPT_MAX];          /* NULL: the key came without '=' */
};

static void subopts_free(struct subopts *so)
{
	free(so->copy);
	so->copy = NULL;
}

static int subopts_split(struct errbuf *e, struct subopts *so, const char *opt,
			 char *const *keys, const char *arg)
{
	size_t len = strlen(arg);
	char *p;

	memset(so, 0, sizeof(*so));
	so->opt = opt;
	so->keys = keys;
	if (len == 0)
		return fail(e, "%s: empty value", opt);
	/* getsubopt would report these as a nameless unknown key. */
	if (arg[0] == ',' || arg[len - 1] == ',' || strstr(arg, ",,"))
		return fail(e, "%s: empty parameter in '%s'", opt, arg);

	so->copy = strdup(arg);
	if (!so->copy)
		return fail(e, "%s: out of memory", opt);
	p = so->copy;
	while (*p) {
		char *val;
		int i = getsubopt(&p, keys, &val);

		if (i < 0)
			return fail(e, "%s: unknown parameter '%.*s'", opt,
				    (int)strcspn(val, "="), val);
		if (so->seen[i])
			return fail(e, "%s: '%s' given more than once", opt, keys[i]);
		so->seen[i] = true;
		so->val[i] = val;
	}
	return 0;
}

/* A non-empty string value. */
static int sub_string(struct errbuf *e, const struct subopts *so, int i,
		      char **out)
{
	const char *v = so->val[i];

	if (!v)
		return fail(e, "%s: '%s' needs a value (%s=...)", so->opt,
			    so->keys[i], so->keys[i]);
	if (!*v)
		return fail(e, "%s: empty value for '%s'", so->opt, so->keys[i]);
	free(*out);
	*out = strdup(v);
	if (!*out)
		return fail(e, "%s: out of memory", so->opt);
	return 0;
}

static int sub_bool(struct errbuf *e, const struct subopts *so, int i, bool *out)
{
	const char *v = so->val[i];

	if (!v || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else if (!*v)
		return fail(e, "%s: empty value for '%s'", so->opt, so->keys[i]);
	else
		return fail(e, "%s: '%s' takes true or false, not '%s'",
			    so->opt, so->keys[i], v);
	return 0;
}

static int sub_number(struct errbuf *e, const struct subopts *so, int i,
		      enum number_base base, uint64_t max, uint64_t *out)
{
	const char *v = so->val[i];
	int rc;

	if (!v)
		return fail(e, "%s: '%s' needs a value (%s=...)", so->opt,
			    so->keys[i], so->keys[i]);
	if (!*v)
		return fail(e, "%s: empty value for '%s'", so->opt, so->keys[i]);
	rc = number_parse(v, base, max, out);
	if (rc == -EINVAL)
		return fail(e, "%s: %s '%s' is not %s", so->opt, so->keys[i], v,
			    base == NUMBER_OCT ? "an octal number" : "a number");
	if (rc == -ERANGE)
		return fail(e, base == NUMBER_OCT ? "%s: %s '%s' is out of range (0-0%llo)"
						  : "%s: %s '%s' is out of range (0-%llu)",
			    so->opt, so->keys[i], v, (unsigned long long)max);
	return 0;
}

static int sub_fd(struct errbuf *e, const struct subopts *so, int i, int *out)
{
	uint64_t v;

	if (sub_number(e, so, i, NUMBER_DEC, INT_MAX, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* --- the options with parameters ---------------------------------------- */

/* struct subopts has room for SUBOPT_MAX keys per option. */
#define KEYS_FIT(keys) \
	_Static_assert(sizeof(keys) / sizeof(keys[0]) - 1 <= SUBOPT_MAX, \
		       #keys " has more keys than struct subopts holds")

enum { TS_DIR, TS_URI, TS_MODE, TS_LOCK, TS_FSYNC, TS_BACKUP };
static char *const tpmstate_keys[] = {
	[TS_DIR] = "dir", [TS_URI] = "backend-uri", [TS_MODE] = "mode",
	[TS_LOCK] = "lock", [TS_FSYNC] = "fsync", [TS_BACKUP] = "backup", NULL,
};
KEYS_FIT(tpmstate_keys);

/* backend-uri=dir://DIR or file://PATH: the part after the scheme goes to
 * cfg->state_dir or cfg->state_file. */
static int parse_backend_uri(struct errbuf *e, struct vtpmd_config *cfg,
			     struct subopts *so)
{
	static const char uri_dir[] = "dir://", uri_file[] = "file://";
	const char *uri = so->val[TS_URI];
	bool file = uri && strncmp(uri, uri_file, strlen(uri_file)) == 0;
	size_t skip = file ? strlen(uri_file) : strlen(uri_dir);
	char **dst = file ? &cfg->state_file : &cfg->state_dir;

	if (uri && *uri && !file && strncmp(uri, uri_dir, strlen(uri_dir)) != 0)
		return fail(e, "--tpmstate: backend-uri '%s' is not supported "
			    "(dir://DIR or file://PATH)", uri);
	if (sub_string(e, so, TS_URI, dst) < 0)
		return -1;
	memmove(*dst, *dst + skip, strlen(*dst) - skip + 1);
	if (!**dst)
		return fail(e, "--tpmstate: backend-uri '%s' names no %s", uri,
			    file ? "file" : "directory");
	return 0;
}

static int parse_tpmstate(struct errbuf *e, struct vtpmd_config *cfg,
			  struct subopts *so)
{
	uint64_t mode;
	bool on;

	if (so->seen[TS_DIR] && so->seen[TS_URI])
		return fail(e, "--tpmstate: give dir= or backend-uri=, not both");
	if (so->seen[TS_DIR]) {
		if (sub_string(e, so, TS_DIR, &cfg->state_dir) < 0)
			return -1;
	} else if (so->seen[TS_URI]) {
		if (parse_backend_uri(e, cfg, so) < 0)
			return -1;
	} else {
		return fail(e, "--tpmstate: dir=DIR, backend-uri=dir://DIR or "
			    "backend-uri=file://PATH is required");
	}

	if (so->seen[TS_MODE]) {
		if (sub_number(e, so, TS_MODE, NUMBER_OCT, 0777, &mode) < 0)
			return -1;
		cfg->state_mode = (mode_t)mode;
		cfg->state_mode_given = true;
	}
	/* vtpmd always locks and always syncs, so these can only be confirmed. */
	if (so->seen[TS_LOCK]) {
		if (sub_bool(e, so, TS_LOCK, &on) < 0)
			return -1;
		if (!on)
			return fail(e, "--tpmstate: lock=%s is not supported; the state is always locked",
				    so->val[TS_LOCK]);
	}
	if (so->seen[TS_FSYNC]) {
		if (sub_bool(e, so, TS_FSYNC, &on) < 0)
			return -1;
		if (!on)
			return fail(e, "--tpmstate: fsync=%s is not supported; state writes are always synced",
				    so->val[TS_FSYNC]);
	}
	if (so->seen[TS_BACKUP] && sub_bool(e, so, TS_BACKUP, &cfg->state_backup) < 0)
		return -1;
	if (cfg->state_backup && cfg->state_file)
		return fail(e, "--tpmstate: backup is for a state directory; a linear "
			    "file (file://) keeps no backup");
	return 0;
}

/* --key and --migration-key share one grammar. */
enum { KY_FILE, KY_FD, KY_PWDFILE, KY_PWDFD, KY_MODE, KY_FORMAT, KY_REMOVE, KY_KDF };
static char *const key_keys[] = {
	[KY_FILE] = "file", [KY_FD] = "fd", [KY_PWDFILE] = "pwdfile",
	[KY_PWDFD] = "pwdfd", [KY_MODE] = "mode", [KY_FORMAT] = "format",
	[KY_REMOVE] = "remove", [KY_KDF] = "kdf", NULL,
};
KEYS_FIT(key_keys);

static int parse_key_source(struct errbuf *e, struct key_source *k,
			    struct subopts *so)
{
	int sources = so->seen[KY_FILE] + so->seen[KY_FD] +
		      so->seen[KY_PWDFILE] + so->seen[KY_PWDFD];
	const char *v;

	if (sources != 1)
		return fail(e, "%s: give exactly one of file=, fd=, pwdfile= or pwdfd=",
			    so->opt);
	k->given = true;
	k->passphrase = so->seen[KY_PWDFILE] || so->seen[KY_PWDFD];
	if (so->seen[KY_FILE] && sub_string(e, so, KY_FILE, &k->file) < 0)
		return -1;
	if (so->seen[KY_PWDFILE] && sub_string(e, so, KY_PWDFILE, &k->file) < 0)
		return -1;
	if (so->seen[KY_FD] && sub_fd(e, so, KY_FD, &k->fd) < 0)
		return -1;
	if (so->seen[KY_PWDFD] && sub_fd(e, so, KY_PWDFD, &k->fd) < 0)
		return -1;
	if (so->seen[KY_MODE]) {
		v = so->val[KY_MODE] ? so->val[KY_MODE] : "";
		if (strcmp(v, "aes-cbc") == 0 || strcmp(v, "aes-128-cbc") == 0)
			k->cipher = KEY_AES_128_CBC;
		else if (strcmp(v, "aes-256-cbc") == 0)
			k->cipher = KEY_AES_256_CBC;
		else
			return fail(e, "%s: mode '%s' is not one of aes-cbc, aes-128-cbc, aes-256-cbc",
				    so->opt, v);
	}
	if (so->seen[KY_FORMAT]) {
		v = so->val[KY_FORMAT] ? so->val[KY_FORMAT] : "";
		if (k->passphrase)
			return fail(e, "%s: format= applies to file= and fd= keys only", so->opt);
		if (strcmp(v, "hex") == 0)
			k->format = KEY_FORMAT_HEX;
		else if (strcmp(v, "binary") == 0)
			k->format = KEY_FORMAT_BINARY;
		else
			return fail(e, "%s: format '%s' is not hex or binary", so->opt, v);
	}
	if (so->seen[KY_KDF]) {
		v = so->val[KY_KDF] ? so->val[KY_KDF] : "";
		if (!k->passphrase)
			return fail(e, "%s: kdf= applies to pwdfile= and pwdfd= only", so->opt);
		if (strcmp(v, "pbkdf2") == 0)
			k->kdf = KEY_KDF_PBKDF2;
		else if (strcmp(v, "sha512") == 0)
			k->kdf = KEY_KDF_SHA512;
		else
			return fail(e, "%s: kdf '%s' is not pbkdf2 or sha512", so->opt, v);
	}
	if (so->seen[KY_REMOVE] && sub_bool(e, so, KY_REMOVE, &k->remove) < 0)
		return -1;
	return 0;
}

static int parse_key(struct errbuf *e, struct vtpmd_config *cfg, struct subopts *so)
{
	return parse_key_source(e, &cfg->key, so);
}

static int parse_migration_key(struct errbuf *e, struct vtpmd_config *cfg,
			       struct subopts *so)
{
	return parse_key_source(e, &cfg->migration_key, so);
}

enum { SC_ACTION };
static char *const seccomp_keys[] = { [SC_ACTION] = "action", NULL };
KEYS_FIT(seccomp_keys);

static int parse_seccomp(struct errbuf *e, struct vtpmd_config *cfg,
			 struct subopts *so)
{
	const char *v = so->val[SC_ACTION];

	if (!so->seen[SC_ACTION])
		return fail(e, "--seccomp: action=kill|log|none is required");
	if (!v || !*v)
		return fail(e, "--seccomp: action needs a value (kill, log or none)");
	if (strcmp(v, "kill") == 0)
		cfg->seccomp = SECCOMP_ACTION_KILL;
	else if (strcmp(v, "log") == 0)
		cfg->seccomp = SECCOMP_ACTION_LOG;
	else if (strcmp(v, "none") == 0)
		cfg->seccomp = SECCOMP_ACTION_NONE;
	else
		return fail(e, "--seccomp: action '%s' is not kill, log or none", v);
	return 0;
}

enum { MG_INCOMING, MG_RELEASE };
static char *const migration_keys[] = {
	[MG_INCOMING] = "incoming", [MG_RELEASE] = "release-lock-outgoing", NULL,
};
KEYS_FIT(migration_keys);

/* release-lock-outgoing: the save state leaving gives the lock to the
 * destination only with it, as swtpm documents (tpm_state.c). */
static int parse_migration(struct errbuf *e, struct vtpmd_config *cfg,
			   struct subopts *so)
{
	if (so->seen[MG_INCOMING] &&
	    sub_bool(e, so, MG_INCOMING, &cfg->migration_incoming) < 0)
		return -1;
	if (so->seen[MG_RELEASE] &&
	    sub_bool(e, so, MG_RELEASE, &cfg->migration_release_lock_outgoing) < 0)
		return -1;
	return 0;
}

enum { PC_FILE, PC_FD, PC_TRUNCATE, PC_MODE };
static char *const pcap_keys[] = {
	[PC_FILE] = "file", [PC_FD] = "fd", [PC_TRUNCATE] = "truncate",
	[PC_MODE] = "mode", NULL,
};
KEYS_FIT(pcap_keys);

static int parse_pcap(struct errbuf *e, struct vtpmd_config *cfg,
		      struct subopts *so)
{
	uint64_t mode;

	if (so->seen[PC_FILE] == so->seen[PC_FD])
		return fail(e, "--pcap: give exactly one of file= or fd=");
	if (so->seen[PC_FILE] && sub_string(e, so, PC_FILE, &cfg->pcap_file) < 0)
		return -1;
	if (so->seen[PC_FD] && sub_fd(e, so, PC_FD, &cfg->pcap_fd) < 0)
		return -1;
	if (so->seen[PC_TRUNCATE] &&
	    sub_bool(e, so, PC_TRUNCATE, &cfg->pcap_truncate) < 0)
		return -1;
	if (so->seen[PC_MODE]) {
		if (sub_number(e, so, PC_MODE, NUMBER_OCT, 0777, &mode) < 0)
			return -1;
		cfg->pcap_mode = (mode_t)mode;
	}
	return 0;
}

enum { LG_FILE, LG_FD, LG_LEVEL, LG_PREFIX, LG_TRUNCATE };
static char *const log_keys[] = {
	[LG_FILE] = "file", [LG_FD] = "fd", [LG_LEVEL] = "level",
	[LG_PREFIX] = "prefix", [LG_TRUNCATE] = "truncate", NULL,
};
KEYS_FIT(log_keys);

/* Neither file= nor fd= is fine, as in swtpm: level and prefix then apply to stderr. */
static int parse_log(struct errbuf *e, struct vtpmd_config *cfg,
		     struct subopts *so)
{
	uint64_t level;

	if (so->seen[LG_FILE] && so->seen[LG_FD])
		return fail(e, "--log: give file= or fd=, not both");
	if (so->seen[LG_FILE] && sub_string(e, so, LG_FILE, &cfg->log_file) < 0)
		return -1;
	if (so->seen[LG_FD] && sub_fd(e, so, LG_FD, &cfg->log_fd) < 0)
		return -1;
	if (so->seen[LG_LEVEL]) {
		if (sub_number(e, so, LG_LEVEL, NUMBER_DEC, UINT_MAX, &level) < 0)
			return -1;
		cfg->log_level = (unsigned)level;
		cfg->log_level_given = true;
	}
	if (so->seen[LG_PREFIX] && sub_string(e, so, LG_PREFIX, &cfg->log_prefix) < 0)
		return -1;
	if (so->seen[LG_TRUNCATE] && sub_bool(e, so, LG_TRUNCATE, &cfg->log_truncate) < 0)
		return -1;
	return 0;
}

enum { PID_FILE, PID_FD };
static char *const pid_keys[] = { [PID_FILE] = "file", [PID_FD] = "fd", NULL };
KEYS_FIT(pid_keys);

static int parse_pid(struct errbuf *e, struct vtpmd_config *cfg,
		     struct subopts *so)
{
	if (so->seen[PID_FILE] == so->seen[PID_FD])
		return fail(e, "--pid: give exactly one of file= or fd=");
	if (so->seen[PID_FILE])
		return sub_string(e, so, PID_FILE, &cfg->pid_file);
	return sub_fd(e, so, PID_FD, &cfg->pid_fd);
}

enum { LOC_REJECT4, LOC_ALLOW_SET };
static char *const locality_keys[] = {
	[LOC_REJECT4] = "reject-locality-4",
	[LOC_ALLOW_SET] = "allow-set-locality", NULL,
};
KEYS_FIT(locality_keys);

static int parse_locality(struct errbuf *e, struct vtpmd_config *cfg,
			  struct subopts *so)
{
	if (so->seen[LOC_REJECT4] &&
	    sub_bool(e, so, LOC_REJECT4, &cfg->reject_locality_4) < 0)
		return -1;
	if (so->seen[LOC_ALLOW_SET] &&
	    sub_bool(e, so, LOC_ALLOW_SET, &cfg->allow_set_locality) < 0)
		return -1;
	return 0;
}

enum { FL_NOT_NEED_INIT, FL_NO_AUTO_SHUTDOWN,
       FL_ST_NONE, FL_ST_CLEAR, FL_ST_STATE, FL_ST_DEACTIVATED };
static char *const flags_keys[] = {
	[FL_NOT_NEED_INIT] = "not-need-init",
	[FL_NO_AUTO_SHUTDOWN] = "disable-auto-shutdown",
	[FL_ST_NONE] = "startup-none",
	[FL_ST_CLEAR] = "startup-clear",
	[FL_ST_STATE] = "startup-state",
	[FL_ST_DEACTIVATED] = "startup-deactivated", NULL,
};
KEYS_FIT(flags_keys);

static int parse_flags(struct errbuf *e, struct vtpmd_config *cfg,
		       struct subopts *so)
{
	static const enum startup_type type_of[] = {
		[FL_ST_NONE] = STARTUP_NONE, [FL_ST_CLEAR] = STARTUP_CLEAR,
		[FL_ST_STATE] = STARTUP_STATE,
		[FL_ST_DEACTIVATED] = STARTUP_DEACTIVATED,
	};
	const char *chosen = NULL;
	bool on;

	if (so->seen[FL_NOT_NEED_INIT] &&
	    sub_bool(e, so, FL_NOT_NEED_INIT, &cfg->not_need_init) < 0)
		return -1;
	if (so->seen[FL_NO_AUTO_SHUTDOWN] &&
	    sub_bool(e, so, FL_NO_AUTO_SHUTDOWN, &cfg->disable_auto_shutdown) < 0)
		return -1;

	/* swtpm silently prefers one of several startup-*; we refuse instead. */
	for (int i = FL_ST_NONE; i <= FL_ST_DEACTIVATED; i++) {
		if (!so->seen[i])
			continue;
		if (sub_bool(e, so, i, &on) < 0)
			return -1;
		if (!on)
			continue;
		if (chosen)
			return fail(e, "--flags: %s and %s exclude each other",
				    chosen, flags_keys[i]);
		chosen = flags_keys[i];
		cfg->startup = type_of[i];
	}
	/* Sending Startup needs a running TPM, hence no INIT to wait for. */
	if (cfg->startup != STARTUP_NONE)
		cfg->not_need_init = true;
	return 0;
}

/* Parse one option's value with its parser; NULL (option absent) is fine. */
static int parse_with(struct errbuf *e, struct vtpmd_config *cfg,
		      const char *opt, const char *arg, char *const *keys,
		      int (*parse)(struct errbuf *, struct vtpmd_config *,
				   struct subopts *))
{
	struct subopts so;
	int rc;

	if (!arg)
		return 0;
	rc = subopts_split(e, &so, opt, keys, arg);
	if (rc == 0)
		rc = parse(e, cfg, &so);
	subopts_free(&so);
	return rc;
}

/* --cdi [DIR|dir=DIR][,kind=VENDOR/CLASS][,path=PATH][,pathrm=PATH]: a
 * leading absolute path is the directory, so that "--cdi /var/run/cdi"
 * reads as it looks. */
enum { CDI_DIR, CDI_KIND, CDI_PATH, CDI_PATHRM };
static char *const cdi_keys[] = {
	[CDI_DIR] = "dir", [CDI_KIND] = "kind", [CDI_PATH] = "path",
	[CDI_PATHRM] = "pathrm", NULL,
};
KEYS_FIT(cdi_keys);

static int parse_cdi(struct errbuf *e, struct vtpmd_config *cfg,
		     struct subopts *so)
{
	char why[256];

	if (so->seen[CDI_DIR] && sub_string(e, so, CDI_DIR, &cfg->cdi_dir) < 0)
		return -1;
	if (so->seen[CDI_KIND]) {
		if (sub_string(e, so, CDI_KIND, &cfg->cdi_kind) < 0)
			return -1;
		if (cdi_check_kind(cfg->cdi_kind, why, sizeof(why)) < 0)
			return fail(e, "--cdi: %s", why);
	}
	if (so->seen[CDI_PATH]) {
		if (sub_string(e, so, CDI_PATH, &cfg->cdi_path) < 0)
			return -1;
		if (cdi_check_container_path(cfg->cdi_path, why, sizeof(why)) < 0)
			return fail(e, "--cdi: %s", why);
	}
	if (so->seen[CDI_PATHRM]) {
		if (sub_string(e, so, CDI_PATHRM, &cfg->cdi_pathrm) < 0)
			return -1;
		if (cdi_check_container_path(cfg->cdi_pathrm, why, sizeof(why)) < 0)
			return fail(e, "--cdi: pathrm: %s", why);
	}
	/* (--resource-manager is parsed before --cdi) */
	if (!cfg->rm_off &&
	    strcmp(cfg->cdi_path ? cfg->cdi_path : CDI_PATH_DEFAULT,
		   cfg->cdi_pathrm ? cfg->cdi_pathrm : CDI_PATHRM_DEFAULT) == 0)
		return fail(e, "--cdi: path and pathrm name the same node");
	return 0;
}

/* --resource-manager off|[objects=N][,sessions=N][,abandoned=N] */
enum { RM_OFF, RM_OBJECTS, RM_SESSIONS, RM_ABANDONED };
static char *const rm_keys[] = {
	[RM_OFF] = "off", [RM_OBJECTS] = "objects", [RM_SESSIONS] = "sessions",
	[RM_ABANDONED] = "abandoned", NULL,
};
KEYS_FIT(rm_keys);

static int parse_rm(struct errbuf *e, struct vtpmd_config *cfg, struct subopts *so)
{
	unsigned long v;

	if (so->seen[RM_OFF] && sub_bool(e, so, RM_OFF, &cfg->rm_off) < 0)
		return -1;
	if (so->seen[RM_OBJECTS]) {
		if (sub_number(e, so, RM_OBJECTS, 10, 1024, &v) < 0)
			return -1;
		if (v == 0)
			return fail(e, "--resource-manager: objects=0 leaves no room for any");
		cfg->rm.max_objects = (unsigned)v;
	}
	if (so->seen[RM_SESSIONS]) {
		/* above the TPM's 64 it means: as many as the TPM has */
		if (sub_number(e, so, RM_SESSIONS, 10, 1024, &v) < 0)
			return -1;
		if (v == 0)
			return fail(e, "--resource-manager: sessions=0 leaves no room for any");
		cfg->rm.max_sessions = (unsigned)v;
	}
	if (so->seen[RM_ABANDONED]) {
		if (sub_number(e, so, RM_ABANDONED, 10, 64, &v) < 0)
			return -1;
		cfg->rm.max_abandoned = v ? (unsigned)v : RM_NO_ABANDONED;
	}
	if (cfg->rm_off && (so->seen[RM_OBJECTS] || so->seen[RM_SESSIONS] ||
			    so->seen[RM_ABANDONED]))
		return fail(e, "--resource-manager: off takes no limits");
	return 0;
}

static int parse_cdi_arg(struct errbuf *e, struct vtpmd_config *cfg, const char *arg)
{
	size_t dirlen = arg[0] == '/' ? strcspn(arg, ",") : 0;
	char *lead = NULL;
	int rc = 0;

	if (!*arg)
		return fail(e, "--cdi: empty value");
	if (dirlen) {
		lead = strndup(arg, dirlen);
		if (!lead)
			return fail(e, "--cdi: out of memory");
		arg += dirlen;
		if (*arg && !*++arg) {          /* a ',' ending the value */
			free(lead);
			return fail(e, "--cdi: empty parameter in '%s'", arg - dirlen - 1);
		}
	}
	if (*arg)
		rc = parse_with(e, cfg, "--cdi", arg, cdi_keys, parse_cdi);
	if (rc == 0 && lead && cfg->cdi_dir)
		rc = fail(e, "--cdi: the directory is given twice");
	if (rc == 0 && lead) {
		cfg->cdi_dir = lead;
		lead = NULL;
	}
	free(lead);
	if (rc == 0 && !cfg->cdi_dir && !(cfg->cdi_dir = strdup(CDI_DIR_DEFAULT)))
		return fail(e, "--cdi: out of memory");
	return rc;
}

/* A non-empty string option value, copied. */
static int copy_path(struct errbuf *e, const char *opt, const char *arg, char **out)
{
	if (!arg)
		return 0;
	if (!*arg)
		return fail(e, "%s: empty value", opt);
	*out = strdup(arg);
	if (!*out)
		return fail(e, "%s: out of memory", opt);
	return 0;
}

/*
 * --control-node[=NAME] (implied by --cdi): /dev/NAME answers TPM commands
 * and harmless queries only; every control request goes to the control
 * node, NAME-ctl unless named. Checked once -n is known.
 */
static int set_control_node(struct errbuf *e, struct vtpmd_config *cfg, const char *arg)
{
	char why[256], def[DEVNAME_MAX + 8];
	const char *name;

	if (!arg) {
		snprintf(def, sizeof(def), "%s" CONFIG_CONTROL_SUFFIX, cfg->name);
		arg = def;
	}
	if (devname_parse(arg, &name, why, sizeof(why)) < 0)
		return fail(e, "--control-node: %s", why);
	if (strcmp(name, cfg->name) == 0)
		return fail(e, "--control-node: '%s' is the device's own name", name);
	cfg->control_name = strdup(name);
	if (!cfg->control_name)
		return fail(e, "--control-node: out of memory");
	cfg->control_node = true;
	return 0;
}

/* --- getopt errors -------------------------------------------------------- */

static const struct option *longopt_by_val(int val)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* An option's name for messages: "--maj" where one exists, else "-x". */
static int fail_option(struct errbuf *e, const char *what, int val)
{
	const struct option *o = longopt_by_val(val);

	if (o)
		return fail(e, "option '--%s' %s", o->name, what);
	return fail(e, "option '-%c' %s", val, what);
}

static int fail_unknown(struct errbuf *e, const char *arg, int optopt_val)
{
	size_t len;
	int matches = 0;

	/* getopt leaves optopt 0 only for a long option it could not match. */
	if (optopt_val != 0) {
		/* Every short option has a long twin, so this finds them all. */
		if (longopt_by_val(optopt_val))
			return fail_option(e, "takes no value", optopt_val);
		return fail(e, "unknown option '-%c'", optopt_val);
	}
	len = strcspn(arg + 2, "=");
	for (const struct option *o = longopts; o->name; o++)
		if (strncmp(o->name, arg + 2, len) == 0)
			matches++;
	if (matches > 1)
		return fail(e, "ambiguous option '%.*s'", (int)len + 2, arg);
	return fail(e, "unknown option '%.*s'", (int)len + 2, arg);
}

/* --- entry points -------------------------------------------------------- */

static void config_init(struct vtpmd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = ACTION_RUN;
	cfg->tpm_version = TPM_VERSION_2;
	cfg->state_mode = 0640;
	cfg->log_fd = -1;
	cfg->log_level = 1;
	cfg->pid_fd = -1;
	cfg->startup = STARTUP_NONE;
	cfg->key.fd = -1;
	cfg->migration_key.fd = -1;
	cfg->seccomp = SECCOMP_ACTION_KILL;
	cfg->pcap_fd = -1;
	cfg->pcap_mode = 0640;
}

/* Values of options whose last occurrence wins, parsed after the loop. */
struct raw_args {
	const char *name, *tpmstate, *flags, *locality, *log, *pid;
	const char *key, *migration_key, *seccomp, *migration, *pcap;
	const char *runas, *chroot_dir, *print_info, *cdi, *control_name, *rm;
	bool tpm2, tpm12, control_node;
};

int config_parse(struct vtpmd_config *cfg, int argc, char **argv,
		 char *err, size_t errlen)
{
	struct errbuf e = { err, errlen };
	struct raw_args raw = { 0 };
	const char *env;
	int c;

	config_init(cfg);
	if (err && errlen)
		err[0] = '\0';

	optind = 0;             /* 0, not 1: glibc then fully re-initializes */
	opterr = 0;             /* we word our own errors */
	for (;;) {
		int longindex = -1;

		c = getopt_long(argc, argv, shortopts, longopts, &longindex);
		if (c == -1)
			break;
		switch (c) {
		case 'n':
			if (parse_devname(&e, optarg, &raw.name) < 0)
				goto fail;
			break;
		case 'M':
			if (parse_devnum(&e, "--maj", optarg, &cfg->major) < 0)
				goto fail;
			break;
		case 'm':
			if (parse_devnum(&e, "--min", optarg, &cfg->minor) < 0)
				goto fail;
			break;
		case 'f':
			cfg->foreground = true;
			break;
		case OPT_TPMSTATE:
			raw.tpmstate = optarg;
			break;
		case OPT_TPM2:
			raw.tpm2 = true;
			break;
		case OPT_TPM12:
			raw.tpm12 = true;
			break;
		case OPT_FLAGS:
			raw.flags = optarg;
			break;
		case OPT_LOCALITY:
			raw.locality = optarg;
			break;
		case OPT_LOG:
			raw.log = optarg;
			break;
		case OPT_PID:
			raw.pid = optarg;
			break;
		case 'h':
			cfg->action = ACTION_HELP;
			return 0;
		case 'v':
			cfg->action = ACTION_VERSION;
			return 0;
		case 'r':
			raw.runas = optarg;
			break;
		case 'R':
			raw.chroot_dir = optarg;
			break;
		case OPT_KEY:
			raw.key = optarg;
			break;
		case OPT_MIGRATION_KEY:
			raw.migration_key = optarg;
			break;
		case OPT_SECCOMP:
			raw.seccomp = optarg;
			break;
		case OPT_MIGRATION:
			raw.migration = optarg;
			break;
		case OPT_PCAP:
			raw.pcap = optarg;
			break;
		case OPT_PRINT_CAPABILITIES:
			cfg->action = ACTION_PRINT_CAPABILITIES;
			break;
		case OPT_PRINT_STATES:
			cfg->action = ACTION_PRINT_STATES;
			break;
		case OPT_PRINT_INFO:
			cfg->action = ACTION_PRINT_INFO;
			raw.print_info = optarg;
			break;
		case OPT_CDI:
			raw.cdi = optarg;
			break;
		case OPT_CONTROL_NODE:
			raw.control_node = true;
			raw.control_name = optarg;
			break;
		case OPT_RESOURCE_MANAGER:
			raw.rm = optarg;
			break;
		case OPT_UNSUPPORTED:
			fail(&e, "option '--%s' is not supported",
			     longindex >= 0 ? longopts[longindex].name
					    : longopt_by_val(c)->name);
			goto fail;
		case ':':
			fail_option(&e, "needs a value", optopt);
			goto fail;
		default:
			fail_unknown(&e, argv[optind - 1], optopt);
			goto fail;
		}
	}
	if (optind < argc) {
		fail(&e, "unexpected argument '%s'", argv[optind]);
		goto fail;
	}

	if (raw.tpm2 && raw.tpm12) {
		fail(&e, "--tpm2 and --tpm12 exclude each other");
		goto fail;
	}
	cfg->tpm_version_given = raw.tpm2 || raw.tpm12;
	if (raw.tpm12)
		cfg->tpm_version = TPM_VERSION_12;

	if (parse_with(&e, cfg, "--log", raw.log, log_keys, parse_log) < 0 ||
	    parse_with(&e, cfg, "--pid", raw.pid, pid_keys, parse_pid) < 0 ||
	    parse_with(&e, cfg, "--tpmstate", raw.tpmstate, tpmstate_keys,
		       parse_tpmstate) < 0 ||
	    parse_with(&e, cfg, "--locality", raw.locality, locality_keys,
		       parse_locality) < 0 ||
	    parse_with(&e, cfg, "--flags", raw.flags, flags_keys, parse_flags) < 0 ||
	    parse_with(&e, cfg, "--key", raw.key, key_keys, parse_key) < 0 ||
	    parse_with(&e, cfg, "--migration-key", raw.migration_key, key_keys,
		       parse_migration_key) < 0 ||
	    parse_with(&e, cfg, "--seccomp", raw.seccomp, seccomp_keys,
		       parse_seccomp) < 0 ||
	    parse_with(&e, cfg, "--migration", raw.migration, migration_keys,
		       parse_migration) < 0 ||
	    parse_with(&e, cfg, "--pcap", raw.pcap, pcap_keys, parse_pcap) < 0 ||
	    parse_with(&e, cfg, "--resource-manager", raw.rm, rm_keys, parse_rm) < 0 ||
	    copy_path(&e, "--runas", raw.runas, &cfg->runas) < 0 ||
	    copy_path(&e, "--chroot", raw.chroot_dir, &cfg->chroot_dir) < 0 ||
	    (raw.cdi && parse_cdi_arg(&e, cfg, raw.cdi) < 0))
		goto fail;
	if (raw.print_info &&
	    number_parse(raw.print_info, NUMBER_C, UINT64_MAX, &cfg->print_info_flags) < 0) {
		fail(&e, "--print-info: '%s' is not a number", raw.print_info);
		goto fail;
	}

	/* Only known once every option is in: --tpm12 may come after --flags. */
	if (cfg->startup == STARTUP_DEACTIVATED &&
	    cfg->tpm_version != TPM_VERSION_12) {
		fail(&e, "--flags: startup-deactivated needs --tpm12 (TPM 2 has no deactivated startup)");
		goto fail;
	}

	if (cfg->tpm_version == TPM_VERSION_12 && raw.rm && !cfg->rm_off) {
		fail(&e, "--resource-manager: a TPM 1.2 has no resource manager (the kernel's tpmrm is TPM 2 only)");
		goto fail;
	}

	/* These print something and exit: no device is created. */
	if (cfg->action == ACTION_PRINT_CAPABILITIES || cfg->action == ACTION_PRINT_INFO)
		return 0;
	if (cfg->action == ACTION_RUN) {
		if (!raw.name) {
			fail(&e, "missing --name: the device to create, e.g. -n vtpm0");
			goto fail;
		}
		cfg->name = strdup(raw.name);
		if (!cfg->name) {
			fail(&e, "out of memory");
			goto fail;
		}
		if ((raw.control_node || cfg->cdi_dir) &&
		    set_control_node(&e, cfg, raw.control_name) < 0)
			goto fail;
		/* The device's CDI name is its own name. */
		if (cfg->cdi_dir) {
			char why[256];

			if (cdi_check_device_name(cfg->name, why, sizeof(why)) < 0) {
				fail(&e, "--cdi: the device name %s", why);
				goto fail;
			}
		}
	}

	/* An empty TPM_PATH counts as unset rather than as the current directory. */
	env = getenv("TPM_PATH");
	if (!cfg->state_dir && !cfg->state_file && env && *env) {
		cfg->state_dir = strdup(env);
		if (!cfg->state_dir) {
			fail(&e, "out of memory");
			goto fail;
		}
	}
	if (!cfg->state_dir && !cfg->state_file) {
		fail(&e, "no state directory: give --tpmstate dir=DIR or set TPM_PATH");
		goto fail;
	}
	return 0;

fail:
	config_free(cfg);
	return -1;
}

/* Leaves cfg at its defaults, so a second config_free is harmless. */
void config_free(struct vtpmd_config *cfg)
{
	free(cfg->name);
	free(cfg->state_dir);
	free(cfg->state_file);
	free(cfg->log_file);
	free(cfg->log_prefix);
	free(cfg->pid_file);
	free(cfg->key.file);
	free(cfg->migration_key.file);
	free(cfg->runas);
	free(cfg->chroot_dir);
	free(cfg->pcap_file);
	free(cfg->cdi_dir);
	free(cfg->cdi_kind);
	free(cfg->cdi_path);
	free(cfg->control_name);
	free(cfg->cdi_pathrm);
	config_init(cfg);
}

void config_usage(const char *prog, FILE *out)
{
	fprintf(out,
"Usage: %s -n NAME [options]\n"
"\n"
"Create the character device /dev/NAME through CUSE and serve a virtual TPM\n"
"on it. The options follow swtpm cuse.\n"
"\n"
"  -n, --name NAME      name of the device to create, e.g. vtpm0 (required)\n"
"  -M, --maj N          device major number, 0-65535 (default 0: chosen by\n"
"                       the kernel)\n"
"  -m, --min N          device minor number, 0-65535\n"
"  -f, --foreground     stay in the foreground instead of going to the\n"
"                       background once the device exists\n"
"  --tpmstate dir=DIR[,mode=0NNN][,lock][,backup][,fsync]\n"
"  --tpmstate backend-uri=dir://DIR[,mode=0NNN][,lock][,backup][,fsync]\n"
"                       directory holding the TPM's state; created if missing;\n"
"                       without this option $TPM_PATH names it; mode gives the\n"
"                       permission bits of the state files (default 0640);\n"
"                       the directory is always locked while in use\n"
"  --tpmstate backend-uri=file://PATH[,mode=0NNN][,lock][,fsync]\n"
"                       the state in one file (created if missing) or block\n"
"                       device, in swtpm's linear format; locked while in use;\n"
"                       every update is crash-safe\n"
"  --tpm2               emulate a TPM 2.0 (the default)\n"
"  --tpm12              emulate a TPM 1.2\n"
"  --flags [not-need-init][,startup-clear|startup-state|startup-deactivated|startup-none][,disable-auto-shutdown]\n"
"                       not-need-init: the TPM runs without waiting for the\n"
"                       INIT ioctl; startup-*: also send a Startup command of\n"
"                       that type (implies not-need-init; startup-deactivated\n"
"                       is TPM 1.2 only); disable-auto-shutdown: do not send\n"
"                       TPM2_Shutdown before a reset or at exit\n"
"  --locality [reject-locality-4][,allow-set-locality]\n"
"                       reject-locality-4: refuse locality 4;\n"
"                       allow-set-locality: accept the TPM 2 vendor command\n"
"                       SetLocality (0x20001000) on the command path\n"
"  --log file=PATH|fd=N[,level=N][,prefix=STR][,truncate]\n"
"                       where log lines go (default: stderr; file=- turns\n"
"                       logging off); level 1 logs errors, 2 adds information,\n"
"                       3 debugging, 5 and up also libtpms' own debugging;\n"
"                       prefix starts every line; truncate empties the file\n"
"  --pid file=PATH|fd=N write the daemon's process id here once the device\n"
"                       exists; a file is removed again at exit\n"
"  -h, --help           show this text and exit\n"
"  -v, --version        show the version and exit\n"
"\n"
"  --key file=PATH|fd=N[,mode=aes-cbc|aes-256-cbc][,format=hex|binary][,remove]\n"
"  --key pwdfile=PATH|pwdfd=N[,mode=...][,kdf=pbkdf2|sha512][,remove]\n"
"                       encrypt the state files with this key (AES-CBC with\n"
"                       HMAC-SHA256, swtpm's format), or with a key derived\n"
"                       from a passphrase; remove deletes the file once read\n"
"  --migration-key ...  the same grammar: encrypts state blobs leaving the\n"
"                       device through GET_STATEBLOB\n"
"  --migration [incoming][,release-lock-outgoing]\n"
"                       incoming: take the storage lock only when the state\n"
"                       is first used (for live migration on shared storage);\n"
"                       release-lock-outgoing: give it up once the save state\n"
"                       has left (GET_STATEBLOB savestate), and only then\n"
"  -r, --runas USER     become USER once the device exists\n"
"  -R, --chroot DIR     chroot to DIR once /dev/cuse and the --cdi directory\n"
"                       are open; later paths (state, log, keys, pcap, pid)\n"
"                       are inside DIR\n"
"  --seccomp action=kill|log|none\n"
"                       what a system call outside vtpmd's allow-list does\n"
"                       (default kill)\n"
"  --pcap file=PATH|fd=N[,truncate][,mode=0NNN]\n"
"                       record TPM commands and responses as pcapng\n"
"  --control-node[=CTL] /dev/NAME answers TPM commands and harmless queries\n"
"                       only (GET_CAPABILITY, GET_TPMESTABLISHED, GET_CONFIG,\n"
"                       GET_INFO; anything else: EPERM); every control\n"
"                       request goes to /dev/CTL (default NAME-ctl),\n"
"                       root:root 0600, for the host's swtpm_ioctl/vtpmctl\n"
"  --resource-manager off|[objects=N][,sessions=N][,abandoned=N]\n"
"                       beside /dev/NAME, vtpmd serves the same TPM as a\n"
"                       resource-managed node, as the kernel pairs tpmrmN\n"
"                       with tpmN: any number of programs at once, each\n"
"                       seeing only its own objects and sessions. It is\n"
"                       named by the first \"tpm\" in NAME becoming \"tpmrm\"\n"
"                       (vtpm0: /dev/vtpmrm0; a NAME without \"tpm\" gets\n"
"                       \"rm\" appended), numbered -M MAJ:MIN+65536 when -m is\n"
"                       given. Per open file: N objects (default 27),\n"
"                       N sessions (default: the TPM's 64, shared fairly),\n"
"                       N sessions a client saved itself kept for the next\n"
"                       (default 16; 0: none). off: no such node. TPM 2 only\n"
"  --cdi [DIR|dir=DIR][,kind=VENDOR/CLASS][,path=PATH][,pathrm=PATH]\n"
"                       once the device works, publish a Container Device\n"
"                       Interface spec for it in DIR (default /var/run/cdi),\n"
"                       so that containers ask for it as KIND=NAME (default\n"
"                       kind vtpmd.io/tpm) and see it as PATH (default\n"
"                       /dev/tpm0), its resource-managed node as PATHRM\n"
"                       (default /dev/tpmrm0); removed again when vtpmd\n"
"                       ends; implies --control-node\n"
"  --print-capabilities print the supported features as JSON and exit\n"
"  --print-states       print the state blobs in --tpmstate as JSON and exit\n"
"  --print-info FLAGS   print libtpms' information for FLAGS as JSON and exit\n"
"\n"
"Not supported: --profile, --print-profiles (libtpms 0.9 has no profiles).\n",
		prog);
}
