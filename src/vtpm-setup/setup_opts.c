/* SPDX-License-Identifier: BSD-3-Clause */
/* setup_opts.c - vtpm-setup's command line (see setup_opts.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vtpm-setup/setup_cert.h"
#include "vtpm-setup/setup_cmds.h"
#include "os/log.h"
#include "text/number.h"
#include "vtpm-setup/setup_opts.h"

#define PLATFORM_STR_MAX 255    /* STRMAX of the TCG profile */

enum {
	OPT_TPM2 = 256, OPT_TPMSTATE, OPT_CREATEEK, OPT_EK_CERT_CREATE,
	OPT_PLATFORM_CERT, OPT_SPK, OPT_ECC, OPT_RSA_KEYSIZE, OPT_LOCK_NVRAM,
	OPT_PCR_BANKS, OPT_OVERWRITE, OPT_NOT_OVERWRITE, OPT_KEYFILE,
	OPT_KEYFILE_FD, OPT_PWDFILE, OPT_PWDFILE_FD, OPT_CIPHER, OPT_VMID,
	OPT_LOGFILE, OPT_PRINT_CAPS, OPT_VERSION, OPT_CA_DIR, OPT_CA_KEY,
	OPT_CA_CERT, OPT_CA_PWDFILE, OPT_CA_PWDFILE_FD, OPT_DAYS, OPT_EK_PUB,
	OPT_EK_CERT, OPT_PLATFORM_MANUFACTURER, OPT_PLATFORM_MODEL,
	OPT_PLATFORM_VERSION, OPT_RUNAS,
	OPT_TPM12_ONLY,         /* swtpm_setup's TPM 1.2 options */
	OPT_UNSUPPORTED,        /* swtpm_setup options vtpm-setup lacks */
};

static const struct option long_options[] = {
	{ "tpm2", no_argument, NULL, OPT_TPM2 },
	{ "tpmstate", required_argument, NULL, OPT_TPMSTATE },
	{ "tpm-state", required_argument, NULL, OPT_TPMSTATE },
	{ "createek", no_argument, NULL, OPT_CREATEEK },
	{ "create-ek-cert", no_argument, NULL, OPT_EK_CERT_CREATE },
	{ "create-platform-cert", no_argument, NULL, OPT_PLATFORM_CERT },
	{ "create-spk", no_argument, NULL, OPT_SPK },
	{ "ecc", no_argument, NULL, OPT_ECC },
	{ "rsa-keysize", required_argument, NULL, OPT_RSA_KEYSIZE },
	{ "lock-nvram", no_argument, NULL, OPT_LOCK_NVRAM },
	{ "pcr-banks", required_argument, NULL, OPT_PCR_BANKS },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ "not-overwrite", no_argument, NULL, OPT_NOT_OVERWRITE },
	{ "keyfile", required_argument, NULL, OPT_KEYFILE },
	{ "keyfile-fd", required_argument, NULL, OPT_KEYFILE_FD },
	{ "pwdfile", required_argument, NULL, OPT_PWDFILE },
	{ "pwdfile-fd", required_argument, NULL, OPT_PWDFILE_FD },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "vmid", required_argument, NULL, OPT_VMID },
	{ "logfile", required_argument, NULL, OPT_LOGFILE },
	{ "runas", required_argument, NULL, OPT_RUNAS },
	{ "print-capabilities", no_argument, NULL, OPT_PRINT_CAPS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "ca-dir", required_argument, NULL, OPT_CA_DIR },
	{ "ca-key", required_argument, NULL, OPT_CA_KEY },
	{ "ca-cert", required_argument, NULL, OPT_CA_CERT },
	{ "ca-pwdfile", required_argument, NULL, OPT_CA_PWDFILE },
	{ "ca-pwdfile-fd", required_argument, NULL, OPT_CA_PWDFILE_FD },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "ek-pub", required_argument, NULL, OPT_EK_PUB },
	{ "ek-cert", required_argument, NULL, OPT_EK_CERT },
	{ "platform-manufacturer", required_argument, NULL, OPT_PLATFORM_MANUFACTURER },
	{ "platform-model", required_argument, NULL, OPT_PLATFORM_MODEL },
	{ "platform-version", required_argument, NULL, OPT_PLATFORM_VERSION },
	{ "tpm12", optional_argument, NULL, OPT_TPM12_ONLY },
	{ "take-ownership", optional_argument, NULL, OPT_TPM12_ONLY },
	{ "ownerpass", optional_argument, NULL, OPT_TPM12_ONLY },
	{ "owner-well-known", optional_argument, NULL, OPT_TPM12_ONLY },
	{ "srkpass", optional_argument, NULL, OPT_TPM12_ONLY },
	{ "srk-well-known", optional_argument, NULL, OPT_TPM12_ONLY },
	{ "tpm", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "swtpm_ioctl", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "config", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "display", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "allow-signing", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "decryption", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "write-ek-cert-files", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "create-config-files", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "reconfigure", optional_argument, NULL, OPT_UNSUPPORTED },
	{ "tcsd-system-ps-file", optional_argument, NULL, OPT_UNSUPPORTED },
	{ NULL, 0, NULL, 0 },
};

/* Add the comma-separated bank names of LIST (blanks around names are
 * dropped, as swtpm_setup does). */
static int add_banks(struct setup_options *o, const char *list, char *err,
		     size_t errlen)
{
	char name[32];
	const char *p = list;

	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		uint16_t alg;
		size_t i;

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(name))
			return log_errline(err, errlen, -EINVAL,
					   "--pcr-banks: empty or overlong bank "
					   "name in '%s'", list);
		memcpy(name, p, len);
		name[len] = '\0';
		if (strcmp(name, "-") == 0) {
			o->pcr_banks_keep = true;
		} else {
			alg = tpm2_bank_alg(name);
			if (!alg)
				return log_errline(err, errlen, -EINVAL,
						   "--pcr-banks: unknown PCR bank "
						   "'%s' (known: sha1, sha256, sha384, sha512, "
						   "sm3-256, sha3-256, sha3-384, sha3-512)", name);
			for (i = 0; i < o->n_pcr_banks && o->pcr_banks[i] != alg; i++)
				;
			if (i == o->n_pcr_banks) {
				if (o->n_pcr_banks == SETUP_MAX_BANKS)
					return log_errline(err, errlen, -EINVAL,
							   "--pcr-banks: too many banks");
				o->pcr_banks[o->n_pcr_banks++] = alg;
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (o->pcr_banks_keep && o->n_pcr_banks)
		return log_errline(err, errlen, -EINVAL,
				   "--pcr-banks: '-' (leave the banks as "
				   "they are) cannot be combined with bank names");
	return 0;
}

static int set_key_source(struct setup_options *o, int opt, const char *arg,
			  unsigned *sources, char *err, size_t errlen)
{
	uint64_t fd;

	if (++*sources > 1)
		return log_errline(err, errlen, -EINVAL,
				   "give only one of --keyfile, --keyfile-fd, "
				   "--pwdfile and --pwdfile-fd");
	o->key.given = true;
	o->key.passphrase = opt == OPT_PWDFILE || opt == OPT_PWDFILE_FD;
	if (opt == OPT_KEYFILE || opt == OPT_PWDFILE) {
		if (!*arg)
			return log_errline(err, errlen, -EINVAL, "%s: empty file name",
					   opt == OPT_KEYFILE ? "--keyfile" : "--pwdfile");
		o->key.file = arg;
		return 0;
	}
	if (number_parse(arg, NUMBER_DEC, INT_MAX, &fd) < 0)
		return log_errline(err, errlen, -EINVAL,
				   "%s: '%s' is not a file descriptor",
				   opt == OPT_KEYFILE_FD ? "--keyfile-fd" : "--pwdfile-fd", arg);
	o->key.fd = (int)fd;
	return 0;
}

static int set_string(const char **dst, const char *arg, const char *name,
		      size_t max, char *err, size_t errlen)
{
	size_t len = strlen(arg), i;

	if (len == 0 || len > max)
		return log_errline(err, errlen, -EINVAL,
				   "%s: must be 1 to %zu bytes", name, max);
	for (i = 0; i < len; i++)
		if ((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f)
			return log_errline(err, errlen, -EINVAL,
					   "%s: control characters are not allowed",
					   name);
	*dst = arg;
	return 0;
}

/* The option at ARGV[optind - 1] as the user wrote it, without "=value". */
static const char *opt_text(char **argv, int idx, char *buf, size_t len)
{
	const char *a = argv[idx];

	snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
	return buf;
}

static int parse_one(struct setup_options *o, int c, const char *arg,
		     unsigned *key_sources, bool *cipher_given,
		     bool *banks_given, char *err, size_t errlen)
{
	uint64_t n;

	switch (c) {
	case OPT_TPM2:
		break;
	case OPT_TPMSTATE:
		o->state_linear = strncmp(arg, "file://", 7) == 0;
		if (o->state_linear)
			arg += 7;
		else if (strncmp(arg, "dir://", 6) == 0)
			arg += 6;
		if (!*arg)
			return log_errline(err, errlen, -EINVAL, "--tpmstate: empty %s name",
					   o->state_linear ? "file" : "directory");
		o->state_dir = arg;
		break;
	case OPT_CREATEEK:
		o->create_ek = true;
		break;
	case OPT_EK_CERT_CREATE:
		o->create_ek_cert = true;
		break;
	case OPT_PLATFORM_CERT:
		o->create_platform_cert = true;
		break;
	case OPT_SPK:
		o->create_spk = true;
		break;
	case OPT_ECC:
		o->ecc_spk = true;
		break;
	case OPT_RSA_KEYSIZE:
		if (strcmp(arg, "2048") == 0)
			o->rsa_bits = 2048;
		else if (strcmp(arg, "3072") == 0 || strcmp(arg, "max") == 0)
			o->rsa_bits = 3072;
		else
			return log_errline(err, errlen, -EINVAL,
					   "--rsa-keysize: '%s' is not 2048, "
					   "3072 or max", arg);
		break;
	case OPT_LOCK_NVRAM:
		o->lock_nvram = true;
		break;
	case OPT_PCR_BANKS:
		*banks_given = true;
		return add_banks(o, arg, err, errlen);
	case OPT_OVERWRITE:
	case OPT_NOT_OVERWRITE:
		if (o->existing != EXISTING_REFUSE &&
		    o->existing != (c == OPT_OVERWRITE ? EXISTING_OVERWRITE : EXISTING_KEEP))
			return log_errline(err, errlen, -EINVAL,
					   "--overwrite and --not-overwrite "
					   "contradict each other");
		o->existing = c == OPT_OVERWRITE ? EXISTING_OVERWRITE : EXISTING_KEEP;
		break;
	case OPT_KEYFILE:
	case OPT_KEYFILE_FD:
	case OPT_PWDFILE:
	case OPT_PWDFILE_FD:
		return set_key_source(o, c, arg, key_sources, err, errlen);
	case OPT_CIPHER:
		if (strcmp(arg, "aes-128-cbc") == 0 || strcmp(arg, "aes-cbc") == 0)
			o->key.aes256 = false;
		else if (strcmp(arg, "aes-256-cbc") == 0)
			o->key.aes256 = true;
		else
			return log_errline(err, errlen, -EINVAL,
					   "--cipher: '%s' is not aes-128-cbc "
					   "or aes-256-cbc", arg);
		*cipher_given = true;
		break;
	case OPT_VMID:
		return set_string(&o->vmid, arg, "--vmid", SETUP_VMID_MAX, err, errlen);
	case OPT_LOGFILE:
		if (!*arg)
			return log_errline(err, errlen, -EINVAL,
					   "--logfile: empty file name");
		o->logfile = arg;
		break;
	case OPT_RUNAS:
		if (!*arg)
			return log_errline(err, errlen, -EINVAL, "--runas: empty user name");
		o->runas = arg;
		break;
	case OPT_PRINT_CAPS:
		o->action = SETUP_PRINT_CAPABILITIES;
		break;
	case 'h':
		o->action = SETUP_HELP;
		break;
	case OPT_VERSION:
		o->action = SETUP_VERSION;
		break;
	case OPT_CA_DIR:
		if (!*arg)
			return log_errline(err, errlen, -EINVAL,
					   "--ca-dir: empty directory name");
		o->ca.dir = arg;
		break;
	case OPT_CA_KEY:
	case OPT_CA_CERT:
	case OPT_CA_PWDFILE:
		if (!*arg)
			return log_errline(err, errlen, -EINVAL, "%s: empty file name",
					   c == OPT_CA_KEY ? "--ca-key" :
					   c == OPT_CA_CERT ? "--ca-cert" : "--ca-pwdfile");
		if (c == OPT_CA_KEY)
			o->ca.key_file = arg;
		else if (c == OPT_CA_CERT)
			o->ca.cert_file = arg;
		else
			o->ca.pwd_file = arg;
		break;
	case OPT_CA_PWDFILE_FD:
		if (number_parse(arg, NUMBER_DEC, INT_MAX, &n) < 0)
			return log_errline(err, errlen, -EINVAL,
					   "--ca-pwdfile-fd: '%s' is not a file "
					   "descriptor", arg);
		o->ca.pwd_fd = (int)n;
		break;
	case OPT_DAYS:
		/* -1 is a word here, not a signed number */
		if (strcmp(arg, "-1") == 0)
			n = 0;
		else if (number_parse(arg, NUMBER_DEC, 36500, &n) < 0 || n == 0)
			return log_errline(err, errlen, -EINVAL,
					   "--days: '%s' is not 1 to 36500, or "
					   "-1 for no expiry", arg);
		o->days = n ? (int)n : CERT_NO_EXPIRY;
		break;
	case OPT_EK_PUB:
		if (!*arg)
			return log_errline(err, errlen, -EINVAL,
					   "--ek-pub: empty file name");
		o->ek_pub = arg;
		break;
	case OPT_EK_CERT:
		if (!*arg)
			return log_errline(err, errlen, -EINVAL,
					   "--ek-cert: empty file name");
		if (o->n_ek_cert == SETUP_MAX_EK_CERTS)
			return log_errline(err, errlen, -EINVAL,
					   "--ek-cert: at most %d certificates "
					   "(one RSA, one ECC)", SETUP_MAX_EK_CERTS);
		o->ek_cert[o->n_ek_cert++] = arg;
		break;
	case OPT_PLATFORM_MANUFACTURER:
		return set_string(&o->platform_manufacturer, arg, "--platform-manufacturer",
				  PLATFORM_STR_MAX, err, errlen);
	case OPT_PLATFORM_MODEL:
		return set_string(&o->platform_model, arg, "--platform-model",
				  PLATFORM_STR_MAX, err, errlen);
	case OPT_PLATFORM_VERSION:
		return set_string(&o->platform_version, arg, "--platform-version",
				  PLATFORM_STR_MAX, err, errlen);
	default:
		return log_errline(err, errlen, -EINVAL, "internal error: option %d", c);
	}
	return 0;
}

/* The checks that need the whole command line. */
static int check_combinations(struct setup_options *o, bool cipher_given,
			      bool banks_given, char *err, size_t errlen)
{
	if (!o->state_dir)
		return log_errline(err, errlen, -EINVAL, "--tpmstate DIR is required");
	if (cipher_given && !o->key.given)
		return log_errline(err, errlen, -EINVAL,
				   "--cipher needs --keyfile, --keyfile-fd, "
				   "--pwdfile or --pwdfile-fd");
	if (!o->ca.key_file != !o->ca.cert_file)
		return log_errline(err, errlen, -EINVAL,
				   "--ca-key and --ca-cert go together");
	if ((o->ca.pwd_file || o->ca.pwd_fd >= 0) && !o->ca.key_file)
		return log_errline(err, errlen, -EINVAL,
				   "--ca-pwdfile and --ca-pwdfile-fd need --ca-key");
	if (o->ca.pwd_file && o->ca.pwd_fd >= 0)
		return log_errline(err, errlen, -EINVAL,
				   "give only one of --ca-pwdfile and --ca-pwdfile-fd");
	if (o->ca.dir && o->ca.key_file)
		return log_errline(err, errlen, -EINVAL,
				   "--ca-dir (the local CA) and --ca-key/--ca-cert "
				   "(your CA) are alternatives");

	if (o->create_platform_cert)
		o->create_ek_cert = true;
	if (o->create_ek_cert)
		o->create_ek = true;

	if (o->n_ek_cert > 0) {
		if (o->create_ek || o->create_spk || banks_given ||
		    o->existing != EXISTING_REFUSE)
			return log_errline(err, errlen, -EINVAL,
					   "--ek-cert stores a certificate in an "
					   "existing TPM; it does not go with --createek, "
					   "--create-*, --pcr-banks, --overwrite or "
					   "--not-overwrite");
		return 0;
	}
	if (o->ek_pub && !o->create_ek)
		return log_errline(err, errlen, -EINVAL,
				   "--ek-pub needs --createek (or --ek-cert)");
	return 0;
}

int setup_opts_parse(struct setup_options *o, int argc, char **argv,
		     char *err, size_t errlen)
{
	unsigned key_sources = 0;
	bool cipher_given = false, banks_given = false;
	char text[64];
	int c;

	memset(o, 0, sizeof(*o));
	o->rsa_bits = 2048;
	o->key.fd = -1;
	o->ca.pwd_fd = -1;
	o->days = CERT_NO_EXPIRY;
	o->platform_manufacturer = "vtpmd";
	o->platform_model = "vtpmd";
	o->platform_version = VTPMD_VERSION;

	optind = 0;             /* full re-initialization, also for tests */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case '?':
			if (optopt)
				return log_errline(err, errlen, -EINVAL,
						   "unknown option '-%c' (see --help)",
						   optopt);
			return log_errline(err, errlen, -EINVAL,
					   "unknown option '%s' (see --help)",
					   opt_text(argv, optind - 1, text, sizeof(text)));
		case ':':
			return log_errline(err, errlen, -EINVAL,
					   "option '%s' needs an argument",
					   opt_text(argv, optind - 1, text, sizeof(text)));
		case OPT_TPM12_ONLY:
			return log_errline(err, errlen, -EINVAL,
					   "%s: TPM 1.2 is not supported; "
					   "vtpm-setup makes TPM 2.0 state (--tpm2)",
					   opt_text(argv, optind - 1, text, sizeof(text)));
		case OPT_UNSUPPORTED:
			return log_errline(err, errlen, -EINVAL,
					   "%s: this swtpm_setup option is not "
					   "supported by vtpm-setup (see --help)",
					   opt_text(argv, optind - 1, text, sizeof(text)));
		default:
			if (parse_one(o, c, optarg, &key_sources, &cipher_given,
				      &banks_given, err, errlen) < 0)
				return -EINVAL;
		}
	}
	if (optind < argc)
		return log_errline(err, errlen, -EINVAL,
				   "unexpected argument '%s'", argv[optind]);
	if (o->action != SETUP_RUN)
		return 0;
	if (!banks_given) {
		o->pcr_banks[0] = TPM2_ALG_SHA256;     /* swtpm_setup's default */
		o->n_pcr_banks = 1;
	}
	return check_combinations(o, cipher_given, banks_given, err, errlen);
}

bool setup_opts_manufactures(const struct setup_options *o)
{
	return o->n_ek_cert == 0;
}

void setup_opts_usage(FILE *out, const char *prog)
{
	fprintf(out,
"Usage: %s --tpmstate DIR [options]\n"
"\n"
"Manufacture a TPM 2.0 state directory in-process, as swtpm_setup does:\n"
"endorsement keys, their certificates, PCR banks. DIR is replaced only when\n"
"everything worked.\n"
"\n"
"  --tpm2                   make a TPM 2.0 (the only kind; accepted for swtpm_setup)\n"
"  --tpmstate DIR|dir://DIR the state directory (also --tpm-state)\n"
"  --tpmstate file://PATH   or a linear state file (swtpm's backend-uri=file://):\n"
"                           a regular file or block device, all slots replaced\n"
"                           in one crash-safe update\n"
"  --createek               RSA EK (0x81010001, 0x8101001c for 3072 bits) and\n"
"                           ECC NIST P-384 EK (0x81010016), made persistent\n"
"  --create-ek-cert         EK certificates in NV 0x01c00002 (or 0x01c0001c) and\n"
"                           0x01c00016; implies --createek\n"
"  --create-platform-cert   platform certificate in NV 0x01c08000; implies\n"
"                           --create-ek-cert\n"
"  --create-spk             storage primary key at 0x81000001 (RSA, or ECC P-384\n"
"                           with --ecc)\n"
"  --ecc                    make the SPK an ECC key\n"
"  --rsa-keysize 2048|3072|max  RSA EK and SPK size (default 2048)\n"
"  --lock-nvram             write-lock the certificate indices\n"
"  --pcr-banks LIST|-       banks to allocate, e.g. sha1,sha256 (default sha256);\n"
"                           '-' leaves the allocation as it is\n"
"  --overwrite              replace an existing state\n"
"  --not-overwrite          leave an existing state alone and succeed\n"
"                           (without either, an existing state is an error)\n"
"  --keyfile FILE | --keyfile-fd FD     encrypt the state with this AES key (hex)\n"
"  --pwdfile FILE | --pwdfile-fd FD     ... with a key derived from a passphrase\n"
"  --cipher aes-128-cbc|aes-256-cbc     the key's cipher (default aes-128-cbc)\n"
"  --vmid ID                the certificates' subject CN (default 'unknown')\n"
"  --logfile FILE           append progress lines to FILE\n"
"  --runas USER             (root) read and write the state as USER, who owns\n"
"                           it; the CA, --logfile and --ek-pub stay root's\n"
"  --print-capabilities     print the supported features as JSON and exit\n"
"  --help, --version\n"
"\n"
"Certificates:\n"
"  --ca-dir DIR             the local CA, made on first use (default %s)\n"
"  --ca-key FILE --ca-cert FILE         your own CA (PEM key and certificate)\n"
"  --ca-pwdfile FILE | --ca-pwdfile-fd FD  passphrase of --ca-key (first line)\n"
"  --days N                 validity of the certificates (default: no expiry)\n"
"  --platform-manufacturer S, --platform-model S, --platform-version S\n"
"                           the platform certificate's attributes\n"
"  --ek-pub FILE            write the EK public keys as PEM (for an external CA)\n"
"  --ek-cert FILE           store an EK certificate issued elsewhere (PEM or DER)\n"
"                           in an existing TPM after checking it is this TPM's EK\n"
"                           (one RSA and one ECC at most)\n"
"\n"
"Exit status: 0 on success (also when --not-overwrite found a state), 1 on\n"
"any failure, which leaves DIR as it was (as after SIGINT, SIGTERM, SIGHUP).\n",
		prog, SETUP_CA_DIR_DEFAULT);
}
