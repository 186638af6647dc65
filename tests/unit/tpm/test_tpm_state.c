/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tpm_state.c - the TPM's state files under a real libtpms with keys,
 * damage and backups: swtpm's encrypted state boots libtpms; what libtpms writes
 * through an encrypted store is encrypted, and Debian's swtpm 0.7.1 (when
 * installed) opens it; every failed load -- each truncation of a file, a
 * flipped bit, a wrong key or mode, the other TPM version's file -- fails
 * the start and leaves every file on disk as it was; --tpmstate backup
 * keeps the previous permanent state, and tpm_start() falls back to it.
 *
 * Fixtures: state_fixtures.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "mem/bytes.h"
#include "store/blob.h"
#include "tpm/tpm.h"
#include "state_fixtures.h"
#include "test_files.h"

static struct tpm T;
static char base[256];          /* per-test temp dir */
static char sdir[300];          /* the state dir inside it */

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/vtpmd-test-store-state.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	path_in(sdir, sizeof(sdir), base, "state");
	umask(022);
	return mkdir(sdir, 0750);
}

static int teardown(void **state)
{
	char cmd[2 * sizeof(base) + 64];

	(void)state;
	TPMLIB_Terminate();
	tpm_close(&T);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[400];

	path_in(path, sizeof(path), sdir, name);
	write_file_at(path, data, len, 0640);
}

/* NAME's bytes, or NULL (*LEN 0) if it does not exist. */
static uint8_t *read_file(const char *name, size_t *len)
{
	char path[400];

	path_in(path, sizeof(path), sdir, name);
	return read_file_at(path, len);
}

/* The directory's entries (but "." and ".."), sorted, space-separated. */
static void dir_list(char *out, size_t outlen)
{
	struct dirent **ents;
	size_t used = 0;
	int n, i;

	out[0] = '\0';
	n = scandir(sdir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			used += (size_t)snprintf(out + used, outlen - used, "%s%s",
						 used ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
}

/* ---- libtpms on the store ---- */

static uint32_t tpm2_cmd(const uint8_t *cmd, uint32_t len)
{
	unsigned char *resp = NULL;
	uint32_t resp_len = 0, resp_size = 0, rc;

	assert_int_equal(TPMLIB_Process(&resp, &resp_len, &resp_size,
					(unsigned char *)cmd, len), TPM_SUCCESS);
	assert_true(resp_len >= 10);
	rc = get_be32(resp + 6);
	free(resp);
	return rc;
}

static const uint8_t startup_clear[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0,
};
static const uint8_t get_random8[] = {
	0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8,
};

/* A start of libtpms on the state dir: TPM_SUCCESS and a working TPM, or
 * the failure, with libtpms reset. */
static TPM_RESULT boot(void)
{
	TPM_RESULT rc = TPMLIB_MainInit();

	if (rc != TPM_SUCCESS) {
		TPMLIB_Terminate();
		return rc;
	}
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	assert_int_equal(tpm2_cmd(get_random8, sizeof(get_random8)), 0);
	return TPM_SUCCESS;
}

/* The TPM of VERSION on SDIR, with libtpms' callbacks pointed at it; the
 * tests drive libtpms themselves unless they test tpm_start(). */
static void open_tpm_as(enum tpm_version version, const struct state_key *fkey,
			bool backup)
{
	const struct tpm_options opt = {
		.version = version,
		.store = {
			.dir = sdir, .file_mode = STORE_MODE_DEFAULT,
			.backup = backup, .file_key = fkey,
		},
	};

	assert_int_equal(tpm_open(&T, &opt), 0);
}

static void open_tpm(const struct state_key *fkey, bool backup)
{
	open_tpm_as(TPM_VERSION_2, fkey, backup);
}

static void copy_fixture_as(const char *fixture, const char *name)
{
	uint8_t *buf;
	size_t len;

	buf = read_fixture(fixture, &len);
	write_file(name, buf, len);
	free(buf);
}

/* ---- encrypted state ---- */

static void test_swtpm_encrypted_state_boots(void **state)
{
	struct state_key k;

	(void)state;
	key256(&k);
	copy_fixture_as("aes256.permall", "tpm2-00.permall");
	open_tpm(&k, false);
	assert_int_equal(boot(), TPM_SUCCESS);
	TPMLIB_Terminate();

	/* what libtpms wrote back is still encrypted with the same key */
	{
		uint8_t *f, *p;
		size_t flen, plen;

		f = read_file("tpm2-00.permall", &flen);
		assert_non_null(f);
		assert_int_equal(f[5], BLOB_FLAG_ENCRYPTED | BLOB_FLAG_ENCRYPTED_256BIT_KEY);
		assert_int_equal(blob_file_decode(&k, f, flen, &p, &plen), TPM_SUCCESS);
		free(p);
		free(f);
	}
	key_wipe(&k);
}

/* What we encrypt, swtpm 0.7.1 opens: it starts on the directory with the
 * key, and exports (decrypted) exactly the state we wrote. */
static void test_swtpm_opens_our_encrypted_state(void **state)
{
	char cmd[8192], keyfile[PATH_MAX];
	uint8_t *f, *blob, *ours, *theirs;
	size_t flen, blen, olen, tlen;
	struct state_key k;

	(void)state;
	if (system("command -v swtpm >/dev/null && command -v swtpm_ioctl >/dev/null") != 0)
		skip();
	key128(&k);
	open_tpm(&k, false);
	assert_int_equal(boot(), TPM_SUCCESS);      /* manufactures */
	TPMLIB_Terminate();
	tpm_close(&T);
	f = read_file("tpm2-00.permall", &flen);
	assert_int_equal(f[5], BLOB_FLAG_ENCRYPTED);
	assert_int_equal(blob_file_decode(&k, f, flen, &ours, &olen), TPM_SUCCESS);

	fixture_path(cmd, sizeof(cmd), "key128.hex");
	assert_non_null(realpath(cmd, keyfile));
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; swtpm socket --tpm2 --tpmstate dir=\"$PWD/state\" "
		 "--key file='%s' --flags not-need-init --server type=unixio,path=s "
		 "--ctrl type=unixio,path=c --pid file=pid -d; "
		 "for i in $(seq 50); do [ -S c ] && break; sleep 0.1; done; "
		 "swtpm_ioctl --save permanent out --unix c; swtpm_ioctl -s --unix c",
		 base, keyfile);
	assert_int_equal(system(cmd), 0);
	{
		char path[400];
		int fd;
		struct stat sb;

		path_in(path, sizeof(path), base, "out");
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &sb), 0);
		blen = (size_t)sb.st_size;
		blob = malloc(blen);
		assert_int_equal(read(fd, blob, blen), (ssize_t)blen);
		close(fd);
	}
	assert_int_equal(blob_migration_decode(NULL, blob, blen, 0, &theirs, &tlen),
			 TPM_SUCCESS);
	assert_int_equal(tlen, olen);
	assert_memory_equal(theirs, ours, olen);
	free(theirs);
	free(ours);
	free(blob);
	free(f);
	key_wipe(&k);
}

/* ---- bad state input: the start fails, nothing on disk changes ---- */

/* Boot on the directory as it is; it must fail, and every file must be
 * byte for byte what it was, with no file added or removed. */
static void assert_refused_untouched(const char *what)
{
	char before[512], after[512];
	uint8_t *p0, *v0, *p1, *v1;
	size_t pl0, vl0, pl1, vl1;
	TPM_RESULT rc;

	dir_list(before, sizeof(before));
	p0 = read_file("tpm2-00.permall", &pl0);
	v0 = read_file("tpm2-00.volatilestate", &vl0);
	rc = boot();
	if (rc == TPM_SUCCESS)
		fail_msg("%s: libtpms started", what);
	TPMLIB_Terminate();
	dir_list(after, sizeof(after));
	if (strcmp(before, after) != 0)
		fail_msg("%s: files '%s' became '%s'", what, before, after);
	p1 = read_file("tpm2-00.permall", &pl1);
	v1 = read_file("tpm2-00.volatilestate", &vl1);
	if (pl0 != pl1 || (pl0 && memcmp(p0, p1, pl0)) ||
	    vl0 != vl1 || (vl0 && memcmp(v0, v1, vl0)))
		fail_msg("%s: a file was rewritten", what);
	free(p0);
	free(v0);
	free(p1);
	free(v1);
}

static void test_every_truncation_refused(void **state)
{
	uint8_t *file;
	size_t flen, n;
	char what[64];

	(void)state;
	file = read_fixture("mig128.permall", &flen);     /* a plain TPM 2 */
	open_tpm(NULL, false);
	for (n = 0; n < flen; n++) {
		write_file("tpm2-00.permall", file, n);
		snprintf(what, sizeof(what), "permall cut to %zu bytes", n);
		assert_refused_untouched(what);
	}
	/* the whole file is fine (and the test can tell) */
	write_file("tpm2-00.permall", file, flen);
	assert_int_equal(boot(), TPM_SUCCESS);
	free(file);
}

static void test_encrypted_truncation_and_bit_flips_refused(void **state)
{
	struct state_key k;
	uint8_t *file;
	size_t flen, n;
	char what[64];

	(void)state;
	key128(&k);
	file = read_fixture("aes128.permall", &flen);
	open_tpm(&k, false);
	for (n = 0; n < flen; n += 7) {
		write_file("tpm2-00.permall", file, n);
		snprintf(what, sizeof(what), "encrypted permall cut to %zu", n);
		assert_refused_untouched(what);
	}
	/* a flipped bit anywhere in the records: the MAC catches it */
	for (n = BLOB_HEADER_SIZE; n < flen; n += 5) {
		file[n] ^= 0x10;
		write_file("tpm2-00.permall", file, flen);
		file[n] ^= 0x10;
		snprintf(what, sizeof(what), "bit 4 of byte %zu flipped", n);
		assert_refused_untouched(what);
	}
	write_file("tpm2-00.permall", file, flen);
	assert_int_equal(boot(), TPM_SUCCESS);
	free(file);
	key_wipe(&k);
}

static void test_plain_bit_flips(void **state)
{
	uint8_t *file;
	size_t flen, n;
	unsigned refused = 0, started = 0;

	(void)state;
	/* A plain file has no MAC: libtpms' own checks are all there is.
	 * Whatever it makes of a flipped bit, a refused start never touches
	 * the files. */
	file = read_fixture("mig128.permall", &flen);
	open_tpm(NULL, false);
	for (n = 0; n < flen; n += 13) {
		char before[512], after[512];
		uint8_t *again;
		size_t alen;

		file[n] ^= 0x01;
		write_file("tpm2-00.permall", file, flen);
		dir_list(before, sizeof(before));
		if (boot() == TPM_SUCCESS) {
			started++;
			TPMLIB_Terminate();
		} else {
			refused++;
			TPMLIB_Terminate();
			dir_list(after, sizeof(after));
			assert_string_equal(before, after);
			again = read_file("tpm2-00.permall", &alen);
			assert_int_equal(alen, flen);
			assert_memory_equal(again, file, flen);
			free(again);
		}
		file[n] ^= 0x01;
	}
	assert_true(refused > 0);
	free(file);
}

static void test_wrong_key_and_mode_refused(void **state)
{
	struct state_key k;

	(void)state;
	copy_fixture_as("aes128.permall", "tpm2-00.permall");
	other128(&k);
	open_tpm(&k, false);
	assert_refused_untouched("wrong key");
	tpm_close(&T);
	key256(&k);             /* the other mode */
	open_tpm(&k, false);
	assert_refused_untouched("aes-256 key for an aes-128 file");
	tpm_close(&T);
	open_tpm(NULL, false);
	assert_refused_untouched("no key for an encrypted file");
	tpm_close(&T);
	/* and a plain file while a key is set */
	copy_fixture_as("mig128.permall", "tpm2-00.permall");
	key128(&k);
	open_tpm(&k, false);
	assert_refused_untouched("key set, file plain");
	key_wipe(&k);
}

static void test_other_tpm_version_refused(void **state)
{
	(void)state;
	/* a TPM 1.2 state where the TPM 2 state belongs */
	copy_fixture_as("tpm12.permall", "tpm2-00.permall");
	open_tpm(NULL, false);
	assert_refused_untouched("TPM 1.2 state as tpm2-00.permall");
	tpm_close(&T);
	TPMLIB_Terminate();

	/* a TPM 2 state where the TPM 1.2 state belongs */
	{
		char p[400];

		path_in(p, sizeof(p), sdir, "tpm2-00.permall");
		assert_int_equal(unlink(p), 0);
	}
	copy_fixture_as("mig128.permall", "tpm-00.permall");
	open_tpm_as(TPM_VERSION_12, NULL, false);
	{
		char before[512], after[512];
		uint8_t *p0, *p1;
		size_t l0, l1;

		dir_list(before, sizeof(before));
		p0 = read_file("tpm-00.permall", &l0);
		assert_int_not_equal(TPMLIB_MainInit(), TPM_SUCCESS);
		TPMLIB_Terminate();
		dir_list(after, sizeof(after));
		assert_string_equal(before, after);
		p1 = read_file("tpm-00.permall", &l1);
		assert_int_equal(l0, l1);
		assert_memory_equal(p0, p1, l0);
		free(p0);
		free(p1);
	}
}

/*
 * The volatile state. One libtpms can check (its checksum) stops the start;
 * one the store cannot decode is logged and left out, and libtpms -- as
 * with swtpm -- starts as after a power cycle, waiting for a Startup.
 */
static void test_bad_volatile_state(void **state)
{
	static const uint8_t shutdown_state[] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 1,
	};
	uint8_t *vol;
	size_t vlen;

	(void)state;
	copy_fixture_as("mig128.permall", "tpm2-00.permall");
	open_tpm(NULL, false);
	assert_int_equal(boot(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(shutdown_state, sizeof(shutdown_state)), 0);
	{
		unsigned char *buf;
		uint32_t len;

		assert_int_equal(TPMLIB_VolatileAll_Store(&buf, &len), TPM_SUCCESS);
		assert_int_equal(store_save(&T.store, TPM_VOLATILESTATE_NAME, buf, len),
				 TPM_SUCCESS);
		free(buf);
	}
	TPMLIB_Terminate();
	vol = read_file("tpm2-00.volatilestate", &vlen);
	assert_non_null(vol);

	/* intact, it resumes: running without a Startup */
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(get_random8, sizeof(get_random8)), 0);
	TPMLIB_Terminate();

	/* a flipped bit in the middle: libtpms' checksum stops the start */
	vol[vlen / 2] ^= 0x80;
	write_file("tpm2-00.volatilestate", vol, vlen);
	assert_refused_untouched("volatilestate with a flipped bit");
	vol[vlen / 2] ^= 0x80;

	/* cut in half: left out; not resumed (TPM_RC_INITIALIZE until a
	 * Startup), and a fresh start works */
	write_file("tpm2-00.volatilestate", vol, vlen / 2);
	assert_int_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(get_random8, sizeof(get_random8)), 0x100);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	TPMLIB_Terminate();
	free(vol);
}

/* ---- --tpmstate backup ---- */

static void test_backup_keeps_previous_and_falls_back(void **state)
{
	uint8_t *first, *bak, *second;
	size_t flen, blen, slen;
	char list[512];

	(void)state;
	open_tpm(NULL, true);
	assert_int_equal(store_save(&T.store, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"one", 3),
			 TPM_SUCCESS);
	dir_list(list, sizeof(list));
	assert_string_equal(list, ".lock tpm2-00.permall");   /* nothing to keep yet */
	first = read_file("tpm2-00.permall", &flen);
	assert_int_equal(store_save(&T.store, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"two", 3),
			 TPM_SUCCESS);
	dir_list(list, sizeof(list));
	assert_string_equal(list, ".lock tpm2-00.permall tpm2-00.permall.bak");
	bak = read_file("tpm2-00.permall.bak", &blen);
	assert_int_equal(blen, flen);
	assert_memory_equal(bak, first, flen);  /* the previous file, as it was */
	free(bak);
	assert_true(store_backup_available(&T.store));

	/* main file damaged: loads come from the .bak */
	second = read_file("tpm2-00.permall", &slen);
	write_file("tpm2-00.permall", second, slen - 1);
	{
		unsigned char *d;
		uint32_t l;

		assert_int_equal(store_load(&T.store, TPM_PERMANENT_ALL_NAME, &d, &l), TPM_SUCCESS);
		assert_int_equal(l, 3);
		assert_memory_equal(d, "one", 3);
		free(d);
	}
	/* the next write replaces the bad main file and keeps the good .bak */
	assert_int_equal(store_save(&T.store, TPM_PERMANENT_ALL_NAME, (const uint8_t *)"three", 5),
			 TPM_SUCCESS);
	bak = read_file("tpm2-00.permall.bak", &blen);
	assert_int_equal(blen, flen);
	assert_memory_equal(bak, first, flen);
	free(bak);
	/* main file missing: the .bak again */
	{
		char p[400];
		unsigned char *d;
		uint32_t l;

		path_in(p, sizeof(p), sdir, "tpm2-00.permall");
		assert_int_equal(unlink(p), 0);
		assert_int_equal(store_load(&T.store, TPM_PERMANENT_ALL_NAME, &d, &l), TPM_SUCCESS);
		assert_memory_equal(d, "one", 3);
		free(d);
	}
	free(first);
	free(second);
}

/* A main file libtpms refuses although the store can read it (a plain file
 * with damage only libtpms sees): tpm_start() retries on the .bak. */
static void test_backup_when_libtpms_refuses(void **state)
{
	uint8_t *good;
	size_t glen;

	(void)state;
	good = read_fixture("mig128.permall", &glen);
	open_tpm(NULL, true);
	write_file("tpm2-00.permall.bak", good, glen);
	/* a valid swtpm blob around a payload that is not a TPM state */
	{
		uint8_t *bad;
		size_t blen;

		assert_int_equal(blob_file_encode(NULL, (const uint8_t *)"garbage", 7,
						  &bad, &blen), TPM_SUCCESS);
		write_file("tpm2-00.permall", bad, blen);
		free(bad);
	}
	assert_int_not_equal(TPMLIB_MainInit(), TPM_SUCCESS);
	TPMLIB_Terminate();
	assert_true(store_backup_available(&T.store));
	assert_int_equal(tpm_start(&T), TPM_SUCCESS);
	assert_int_equal(tpm2_cmd(startup_clear, sizeof(startup_clear)), 0);
	assert_int_equal(tpm2_cmd(get_random8, sizeof(get_random8)), 0);
	/* the next write replaces the bad main file, and the .bak stays */
	tpm_stop(&T);
	{
		uint8_t *bak, *main_file, *payload;
		size_t blen, mlen, plen;

		bak = read_file("tpm2-00.permall.bak", &blen);
		assert_int_equal(blen, glen);
		assert_memory_equal(bak, good, glen);
		free(bak);
		main_file = read_file("tpm2-00.permall", &mlen);
		assert_int_equal(blob_file_decode(NULL, main_file, mlen, &payload,
						  &plen), TPM_SUCCESS);
		assert_false(plen == 7 && memcmp(payload, "garbage", 7) == 0);
		free(payload);
		free(main_file);
	}
	assert_int_equal(boot(), TPM_SUCCESS);  /* and it starts from it */
	free(good);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_swtpm_encrypted_state_boots),
		T(test_swtpm_opens_our_encrypted_state),
		T(test_every_truncation_refused),
		T(test_encrypted_truncation_and_bit_flips_refused),
		T(test_plain_bit_flips),
		T(test_wrong_key_and_mode_refused),
		T(test_other_tpm_version_refused),
		T(test_bad_volatile_state),
		T(test_backup_keeps_previous_and_falls_back),
		T(test_backup_when_libtpms_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
