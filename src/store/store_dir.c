/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_dir.c - the state directory in swtpm's layout: file names, reads,
 * and atomic, durable writes.
 *
 * Everything is relative to a directory fd opened once by store_open(), so
 * a later chdir, chroot or privilege drop does not change which files are
 * used, and the parents of the directory need not stay searchable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "os/log.h"
#include "store/blob.h"
#include <libtpms/tpm_library.h>

#include "store/store.h"
#include "store/store_keys.h"
#include "store/store_lock.h"

#define STORE_DIR_MODE     0750
#define STORE_FILE_MODE    0640
#define STORE_MAX_FILE     (16u << 20)  /* far above any libtpms state */
#define STORE_NAME_MAX     64
#define STORE_BACKUP_SUFFIX ".bak"

static struct {
	int dirfd;
	char *path;             /* for log lines only */
	enum tpm_version ver;
	mode_t mode;
	bool mode_exact;        /* --tpmstate mode= given: ignore the umask */
	bool backup;            /* --tpmstate backup */
	bool prefer_backup;     /* load the permanent state from the .bak */
	bool main_bad;          /* running on the .bak: do not rotate into it */
	unsigned logged;        /* load failures already logged, by name bit */
} st = { .dirfd = -1 };

/* Plain state holds the TPM's seeds: wipe copies before freeing them. */
static void free_secret(void *p, size_t len)
{
	if (p)
		explicit_bzero(p, len);
	free(p);
}

/*
 * swtpm's names: tpm2-00.<name> (TPM 2) or tpm-00.<name> (TPM 1.2), and
 * TMP2-00.<name> / TMP-00.<name> while being written. NAME must be one of
 * libtpms' blob names: it becomes part of a path.
 */
static TPM_RESULT file_name(char *buf, size_t buflen, const char *name,
			    bool temp)
{
	const char *ver = st.ver == TPM_VERSION_2 ? "2" : "";
	int n;

	if (!name || (strcmp(name, TPM_PERMANENT_ALL_NAME) != 0 &&
		      strcmp(name, TPM_VOLATILESTATE_NAME) != 0 &&
		      strcmp(name, TPM_SAVESTATE_NAME) != 0)) {
		log_error("store: unknown state name '%s'", name ? name : "");
		return TPM_BAD_PARAMETER;
	}
	n = snprintf(buf, buflen, "%s%s-00.%s", temp ? "TMP" : "tpm", ver,
		     name);
	if (n < 0 || (size_t)n >= buflen)
		return TPM_FAIL;
	return TPM_SUCCESS;
}

/* mkdir -p. Returns 0 / -errno. */
static int mkdir_parents(const char *path, mode_t mode)
{
	char *p, *s;
	int err = 0;

	p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			err = -errno;
		*s = '/';
		if (err)
			goto out;
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		err = -errno;
out:
	free(p);
	return err;
}

/* Some filesystems cannot fsync a directory (EINVAL); nothing to do then. */
static int sync_dir(void)
{
	if (fsync(st.dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

int store_open(const char *dir, enum tpm_version ver, mode_t file_mode)
{
	const struct store_options opt = { .file_mode = file_mode };

	return store_open_with(dir, ver, &opt);
}

int store_open_with(const char *dir, enum tpm_version ver,
		    const struct store_options *opt)
{
	mode_t file_mode = opt->file_mode;
	int fd, err;

	if (st.dirfd >= 0)
		return -EBUSY;
	/* The caller reports failures to the user; these lines add detail. */
	if (!dir || !*dir)
		return -EINVAL;

	err = mkdir_parents(dir, STORE_DIR_MODE);
	if (err) {
		log_debug("store: creating %s: %s", dir, strerror(-err));
		return err;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_debug("store: opening %s: %s", dir, strerror(-err));
		return err;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		err = -errno;
		log_debug("store: %s is not writable: %s", dir, strerror(-err));
		goto fail;
	}
	st.path = strdup(dir);
	if (!st.path) {
		err = -ENOMEM;
		goto fail;
	}
	err = store_lock_file_open(fd);
	if (err) {
		log_debug("store: opening %s/.lock: %s", dir, strerror(-err));
		goto fail;
	}
	st.dirfd = fd;
	st.ver = ver;
	st.mode_exact = file_mode != STORE_MODE_DEFAULT;
	st.mode = st.mode_exact ? (file_mode & 07777) : STORE_FILE_MODE;
	st.backup = opt->backup;
	st.prefer_backup = st.main_bad = false;
	st.logged = 0;

	if (opt->defer_lock) {
		store_lock_defer();
		return 0;
	}
	err = store_lock(0);
	if (err) {
		store_close();  /* -EAGAIN says it all; the caller reports it */
		return err;
	}
	return 0;

fail:
	free(st.path);
	st.path = NULL;
	close(fd);
	return err;
}

void store_close(void)
{
	store_lock_file_close();
	if (st.dirfd >= 0)
		close(st.dirfd);
	st.dirfd = -1;
	free(st.path);
	st.path = NULL;
	st.backup = st.prefer_backup = st.main_bad = false;
}

/* 1 if NAME exists in DIRFD, 0 if not, -errno if that cannot be told. */
static int file_exists(int dirfd, const char *name)
{
	struct stat sb;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int store_detect_version(const char *dir)
{
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;

	ret = file_exists(fd, "tpm2-00." TPM_PERMANENT_ALL_NAME);
	if (ret > 0) {
		ret = 2;
	} else if (ret == 0) {
		ret = file_exists(fd, "tpm-00." TPM_PERMANENT_ALL_NAME);
		if (ret > 0)
			ret = 1;
	}
	close(fd);
	return ret;
}

TPM_RESULT store_nvram_init(void)
{
	if (st.dirfd < 0) {
		log_error("store: no state directory is open");
		return TPM_FAIL;
	}
	/* libtpms reads a file more than once per start: log each problem once */
	st.logged = 0;
	return TPM_SUCCESS;
}

/*
 * Read all of FNAME into a malloc'ed *BUF. Returns 0 / -errno; logs every
 * failure except -ENOENT, which only means there is no state yet.
 */
static int read_whole(const char *fname, uint8_t **buf, size_t *len)
{
	struct stat sb;
	uint8_t *p = NULL;
	size_t size, got = 0;
	const char *why;
	int fd, err;

	*buf = NULL;
	*len = 0;

	fd = openat(st.dirfd, fname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT)
			log_error("store: opening %s/%s: %s", st.path, fname,
				  err == -ELOOP ? "is a symlink" :
				  strerror(-err));
		return err;
	}
	if (fstat(fd, &sb) < 0) {
		err = -errno;
		why = strerror(-err);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		err = -EINVAL;
		why = "not a regular file";
		goto fail;
	}
	if (sb.st_size > STORE_MAX_FILE) {
		err = -EFBIG;
		why = "larger than 16 MiB";
		goto fail;
	}
	/* As swtpm does with mode=, bring old files to the configured mode;
	 * a file we cannot chmod can still be read and replaced. */
	if (st.mode_exact && (sb.st_mode & 07777) != st.mode &&
	    fchmod(fd, st.mode) < 0)
		log_error("store: chmod %s/%s: %s", st.path, fname,
			  strerror(errno));

	size = (size_t)sb.st_size;
	p = malloc(size ? size : 1);
	if (!p) {
		err = -ENOMEM;
		why = strerror(ENOMEM);
		goto fail;
	}
	while (got < size) {
		ssize_t n = read(fd, p + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			why = strerror(-err);
			goto fail;
		}
		if (n == 0) {
			err = -EIO;
			why = "file shrank while being read";
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = size;
	return 0;

fail:
	log_error("store: reading %s/%s: %s", st.path, fname, why);
	free_secret(p, got);
	close(fd);
	return err;
}

/* Bits of st.logged: which load failures were already reported. */
#define LOGGED_PERMANENT 0x01
#define LOGGED_VOLATILE  0x02
#define LOGGED_SAVESTATE 0x04
#define LOGGED_BACKUP    0x08
#define LOGGED_FALLBACK  0x10

static unsigned name_bit(const char *name)
{
	if (strcmp(name, TPM_PERMANENT_ALL_NAME) == 0)
		return LOGGED_PERMANENT;
	if (strcmp(name, TPM_VOLATILESTATE_NAME) == 0)
		return LOGGED_VOLATILE;
	return LOGGED_SAVESTATE;
}

/*
 * Read and decode FNAME. TPM_RETRY if it does not exist; otherwise a decode
 * result, or TPM_FAIL if it cannot be read. A failure is logged once per
 * start (BIT of st.logged).
 */
static TPM_RESULT load_file(const char *fname, unsigned bit,
			    uint8_t **payload, size_t *plen)
{
	uint8_t *file;
	size_t flen;
	TPM_RESULT rc;
	int err;

	*payload = NULL;
	*plen = 0;
	err = read_whole(fname, &file, &flen);
	if (err == -ENOENT)
		return TPM_RETRY;       /* libtpms: no such state yet */
	if (err)
		return TPM_FAIL;        /* read_whole() said why */

	rc = blob_file_decode(store_file_key(), file, flen, payload, plen);
	free_secret(file, flen);
	if (rc != TPM_SUCCESS && !(st.logged & bit)) {
		st.logged |= bit;
		log_error("store: cannot load %s/%s: %s (TPM result 0x%x)",
			  st.path, fname, blob_strerror(rc), rc);
	}
	return rc;
}

/* The permanent state with --tpmstate backup: the main file, else (missing
 * or unreadable) the .bak; or the .bak first when told to prefer it. */
static TPM_RESULT load_permanent(const char *fname, uint8_t **payload,
				 size_t *plen)
{
	char bak[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX)];
	TPM_RESULT rc, rc_bak;

	snprintf(bak, sizeof(bak), "%s%s", fname, STORE_BACKUP_SUFFIX);
	if (st.prefer_backup) {
		rc = load_file(bak, LOGGED_BACKUP, payload, plen);
		if (rc == TPM_SUCCESS)
			st.main_bad = true;
		return rc;
	}
	rc = load_file(fname, name_bit(TPM_PERMANENT_ALL_NAME), payload, plen);
	if (rc == TPM_SUCCESS)
		return rc;
	rc_bak = load_file(bak, LOGGED_BACKUP, payload, plen);
	if (rc_bak == TPM_RETRY)
		return rc;
	if (rc_bak == TPM_SUCCESS) {
		if (!(st.logged & LOGGED_FALLBACK))
			log_error("store: %s/%s is %s: using %s", st.path, fname,
				  rc == TPM_RETRY ? "missing" : "unusable", bak);
		st.logged |= LOGGED_FALLBACK;
		st.main_bad = true;
	}
	return rc_bak;
}

TPM_RESULT store_load(const char *name, unsigned char **data,
		      uint32_t *length)
{
	char fname[STORE_NAME_MAX];
	uint8_t *payload;
	size_t plen;
	TPM_RESULT rc;

	*data = NULL;
	*length = 0;
	if (st.dirfd < 0) {
		log_error("store: no state directory is open");
		return TPM_FAIL;
	}
	rc = file_name(fname, sizeof(fname), name, false);
	if (rc != TPM_SUCCESS)
		return rc;

	if (st.backup && strcmp(name, TPM_PERMANENT_ALL_NAME) == 0)
		rc = load_permanent(fname, &payload, &plen);
	else
		rc = load_file(fname, name_bit(name), &payload, &plen);
	if (rc != TPM_SUCCESS)
		return rc;
	*data = payload;
	*length = (uint32_t)plen;       /* plen < STORE_MAX_FILE */
	return TPM_SUCCESS;
}

bool store_backup_available(void)
{
	char fname[STORE_NAME_MAX], bak[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX)];

	if (st.dirfd < 0 || !st.backup ||
	    file_name(fname, sizeof(fname), TPM_PERMANENT_ALL_NAME, false) != TPM_SUCCESS)
		return false;
	snprintf(bak, sizeof(bak), "%s%s", fname, STORE_BACKUP_SUFFIX);
	return file_exists(st.dirfd, bak) > 0;
}

void store_prefer_backup(bool prefer)
{
	st.prefer_backup = prefer;
}

static int write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_atomic(const char *tmp, const char *final, const char *keep_as,
			const uint8_t *buf, size_t len);

/*
 * Keep the current FINAL as KEEP_AS: a copy, written atomically like any
 * state file (a hard link would be cheaper, but the seccomp allow-list has
 * no linkat, and renaming FINAL away would leave a moment without it).
 * No FINAL yet is fine. Failure is logged and the write goes on: a missing
 * backup must not fail a TPM command.
 */
static void keep_previous(const char *final, const char *keep_as)
{
	char tmp[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX) + 4];
	uint8_t *old;
	size_t len;
	int err;

	err = read_whole(final, &old, &len);
	if (err == -ENOENT)
		return;
	if (err == 0) {
		snprintf(tmp, sizeof(tmp), "TMP-%s", keep_as);
		err = write_atomic(tmp, keep_as, NULL, old, len);
		free_secret(old, len);
	}
	if (err)
		log_error("store: could not keep the previous %s/%s as %s",
			  st.path, final, keep_as);
}

/*
 * Replace FINAL with a file holding BUF: write TMP, fsync it, rename it
 * over FINAL, fsync the directory, so a crash at any instant leaves the old
 * or the new file. Until the rename, a failure leaves FINAL untouched and
 * removes TMP. KEEP_AS (or NULL) names the backup of the old FINAL.
 * Returns 0 / -errno; logs what failed.
 */
static int write_atomic(const char *tmp, const char *final, const char *keep_as,
			const uint8_t *buf, size_t len)
{
	const char *step;
	int fd = -1, err;
	bool created = false;

	/* A TMP left by a crash may carry another owner or mode: start afresh. */
	if (unlinkat(st.dirfd, tmp, 0) < 0 && errno != ENOENT) {
		step = "removing a stale temp file";
		goto fail;
	}
	fd = openat(st.dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    st.mode);
	if (fd < 0) {
		step = "creating the temp file";
		goto fail;
	}
	created = true;
	if (st.mode_exact && fchmod(fd, st.mode) < 0) {
		step = "chmod";
		goto fail;
	}
	err = write_full(fd, buf, len);
	if (err) {
		errno = -err;
		step = "write";
		goto fail;
	}
	if (fsync(fd) < 0) {
		step = "fsync";
		goto fail;
	}
	err = close(fd);
	fd = -1;
	if (err < 0) {
		step = "close";
		goto fail;
	}
	if (keep_as)
		keep_previous(final, keep_as);
	if (renameat(st.dirfd, tmp, st.dirfd, final) < 0) {
		step = "rename";
		goto fail;
	}
	err = sync_dir();
	if (err) {
		/* FINAL is already the new file; only durability is unknown */
		log_error("store: writing %s/%s: fsync of the directory: %s",
			  st.path, final, strerror(-err));
		return err;
	}
	return 0;

fail:
	err = -errno;
	log_error("store: writing %s/%s: %s: %s", st.path, final, step,
		  strerror(-err));
	if (fd >= 0)
		close(fd);
	if (created)
		unlinkat(st.dirfd, tmp, 0);
	return err;
}

/* Writers must hold the lock: two processes must never both write. A lock
 * deferred (--migration incoming) or released is taken here if it is free. */
static bool may_write(void)
{
	if (st.dirfd < 0) {
		log_error("store: no state directory is open");
		return false;
	}
	if (store_ensure_locked() < 0) {
		log_error("store: refusing to write %s: storage is not locked",
			  st.path);
		return false;
	}
	return true;
}

TPM_RESULT store_save(const char *name, const unsigned char *data,
		      uint32_t length)
{
	char fname[STORE_NAME_MAX], tname[STORE_NAME_MAX];
	char bak[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX)];
	bool permanent;
	uint8_t *file;
	size_t flen;
	TPM_RESULT rc;
	int err;

	if (!may_write())
		return TPM_FAIL;
	rc = file_name(fname, sizeof(fname), name, false);
	if (rc == TPM_SUCCESS)
		rc = file_name(tname, sizeof(tname), name, true);
	if (rc != TPM_SUCCESS)
		return rc;
	permanent = strcmp(name, TPM_PERMANENT_ALL_NAME) == 0;
	snprintf(bak, sizeof(bak), "%s%s", fname, STORE_BACKUP_SUFFIX);

	rc = blob_file_encode(store_file_key(), data, length, &file, &flen);
	if (rc != TPM_SUCCESS) {
		log_error("store: encoding %s: %s (TPM result 0x%x)", fname,
			  blob_strerror(rc), rc);
		return rc;
	}
	/* Running on the backup: the main file is the bad one, do not keep it. */
	err = write_atomic(tname, fname,
			   st.backup && permanent && !st.main_bad ? bak : NULL,
			   file, flen);
	free_secret(file, flen);
	if (err)
		return TPM_FAIL;
	if (permanent)
		st.main_bad = false;
	return TPM_SUCCESS;
}

TPM_RESULT store_delete(const char *name, bool must_exist)
{
	char fname[STORE_NAME_MAX];
	TPM_RESULT rc;
	int err;

	if (!may_write())
		return TPM_FAIL;
	rc = file_name(fname, sizeof(fname), name, false);
	if (rc != TPM_SUCCESS)
		return rc;

	if (unlinkat(st.dirfd, fname, 0) < 0) {
		err = errno;
		if (err == ENOENT && !must_exist)
			return TPM_SUCCESS;
		log_error("store: deleting %s/%s: %s", st.path, fname,
			  strerror(err));
		return TPM_FAIL;
	}
	/* so that a crash cannot bring the deleted state back */
	err = sync_dir();
	if (err) {
		log_error("store: deleting %s/%s: fsync of the directory: %s",
			  st.path, fname, strerror(-err));
		return TPM_FAIL;
	}
	return TPM_SUCCESS;
}

/* libtpms' callback signatures carry a TPM number; vtpmd runs TPM 0 only. */
static TPM_RESULT nvram_load(unsigned char **data, uint32_t *length,
			     uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	return store_load(name, data, length);
}

static TPM_RESULT nvram_store(const unsigned char *data, uint32_t length,
			      uint32_t tpm_number, const char *name)
{
	(void)tpm_number;
	return store_save(name, data, length);
}

static TPM_RESULT nvram_delete(uint32_t tpm_number, const char *name,
			       TPM_BOOL must_exist)
{
	(void)tpm_number;
	return store_delete(name, must_exist);
}

void store_set_nvram_callbacks(struct libtpms_callbacks *cbs)
{
	cbs->tpm_nvram_init = store_nvram_init;
	cbs->tpm_nvram_loaddata = nvram_load;
	cbs->tpm_nvram_storedata = nvram_store;
	cbs->tpm_nvram_deletename = nvram_delete;
}
