/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * store_dir.c - the state directory in swtpm's layout: opening it, swtpm's
 * file names, and libtpms' loads, saves and deletes with the backup of the
 * permanent state. The file primitives are in store_file.c. A store opened
 * on a linear file takes the same calls; what differs (where a blob is
 * read from and how it is replaced) is store_linear.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "os/io.h"
#include "os/log.h"
#include "mem/secret.h"
#include "store/blob.h"
#include "store/store_internal.h"

#define STORE_DIR_MODE      0750
#define STORE_FILE_MODE     0640
#define STORE_NAME_MAX      64
#define STORE_BACKUP_SUFFIX ".bak"

/* Bits of s->logged: which load failures were already reported. */
#define LOGGED_PERMANENT 0x01
#define LOGGED_VOLATILE  0x02
#define LOGGED_SAVESTATE 0x04
#define LOGGED_BACKUP    0x08
#define LOGGED_FALLBACK  0x10

static const char *const state_names[STORE_STATE_COUNT] = {
	TPM_PERMANENT_ALL_NAME, TPM_VOLATILESTATE_NAME, TPM_SAVESTATE_NAME,
};

/*
 * swtpm's names: tpm2-00.<name> (TPM 2) or tpm-00.<name> (TPM 1.2), and
 * TMP2-00.<name> / TMP-00.<name> while being written. NAME must be one of
 * libtpms' blob names: it becomes part of a path.
 */
static TPM_RESULT file_name(char *buf, size_t buflen, bool tpm12,
			    const char *name, bool temp)
{
	int n;

	if (!name || (strcmp(name, TPM_PERMANENT_ALL_NAME) != 0 &&
		      strcmp(name, TPM_VOLATILESTATE_NAME) != 0 &&
		      strcmp(name, TPM_SAVESTATE_NAME) != 0)) {
		log_error("store: unknown state name '%s'", name ? name : "");
		return TPM_BAD_PARAMETER;
	}
	n = snprintf(buf, buflen, "%s%s-00.%s", temp ? "TMP" : "tpm",
		     tpm12 ? "" : "2", name);
	if (n < 0 || (size_t)n >= buflen)
		return TPM_FAIL;
	return TPM_SUCCESS;
}

static int open_dir(struct store *s, const char *dir)
{
	int fd, err;

	/* The caller reports failures to the user; these lines add detail. */
	if (!dir || !*dir)
		return -EINVAL;

	err = io_mkdir_p(dir, STORE_DIR_MODE, STORE_DIR_MODE);
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
		close(fd);
		return err;
	}
	s->path = strdup(dir);
	if (!s->path) {
		close(fd);
		return -ENOMEM;
	}
	s->dirfd = fd;
	return 0;
}

int store_open(struct store *s, const struct store_options *opt)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	if (opt->err && opt->errlen)
		opt->err[0] = '\0';
	s->tpm12 = opt->tpm12;
	s->mode_exact = opt->file_mode != STORE_MODE_DEFAULT;
	s->mode = s->mode_exact ? (opt->file_mode & 07777) : STORE_FILE_MODE;
	s->backup = opt->backup;
	s->discard_writes = opt->discard_writes;
	err = opt->file ? store_linear_open(s, opt) : open_dir(s, opt->dir);
	if (err) {
		store_close(s);
		return err;
	}
	s->open = true;

	err = store_lock_file_open(s);
	if (err) {
		log_debug("store: opening the lock of %s: %s", s->path, strerror(-err));
		store_close(s);
		return err;
	}
	store_keys_set(s, opt->file_key, opt->migration_key);
	s->lock.deferred = opt->defer_lock;
	if (!opt->defer_lock && !opt->discard_writes) {
		err = store_lock(s, 0);
		if (err) {
			store_close(s); /* -EAGAIN says it all; the caller reports it */
			return err;
		}
	}
	return 0;
}

void store_close(struct store *s)
{
	store_lock_file_close(s);
	if (s->linear)
		store_linear_close(s);
	else if (s->open && s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
	s->open = false;
	free(s->path);
	s->path = NULL;
	store_keys_clear(s);
	s->backup = s->prefer_backup = s->main_bad = false;
}

int store_detect_version(const char *dir)
{
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;

	ret = store_file_exists(fd, "tpm2-00." TPM_PERMANENT_ALL_NAME);
	if (ret > 0) {
		ret = 2;
	} else if (ret == 0) {
		ret = store_file_exists(fd, "tpm-00." TPM_PERMANENT_ALL_NAME);
		if (ret > 0)
			ret = 1;
	}
	close(fd);
	return ret;
}

int store_list_states(const char *dir, bool tpm12,
		      struct store_state_info info[STORE_STATE_COUNT],
		      char *err, size_t errlen)
{
	char fname[STORE_NAME_MAX];
	struct stat sb;
	int fd, ret = 0;
	size_t i;

	/* O_PATH: listing needs search permission on DIR, not read */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < STORE_STATE_COUNT; i++)
		info[i] = (struct store_state_info){ .name = state_names[i] };
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;       /* no directory: no state */
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	for (i = 0; i < STORE_STATE_COUNT && ret == 0; i++) {
		if (file_name(fname, sizeof(fname), tpm12, state_names[i],
			      false) != TPM_SUCCESS) {
			ret = -EINVAL;
		} else if (fstatat(fd, fname, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				ret = -errno;
				snprintf(err, errlen, "%s/%s: %s", dir, fname,
					 strerror(-ret));
			}
		} else if (!S_ISREG(sb.st_mode)) {
			ret = -EINVAL;
			snprintf(err, errlen, "%s/%s is not a regular file", dir, fname);
		} else {
			info[i].present = true;
			info[i].size = sb.st_size;
		}
	}
	close(fd);
	return ret;
}

TPM_RESULT store_begin_loads(struct store *s)
{
	if (!s->open) {
		log_error("store: no state directory is open");
		return TPM_FAIL;
	}
	/* libtpms reads a file more than once per start: log each problem once */
	s->logged = 0;
	return TPM_SUCCESS;
}

static unsigned name_bit(const char *name)
{
	if (strcmp(name, TPM_PERMANENT_ALL_NAME) == 0)
		return LOGGED_PERMANENT;
	if (strcmp(name, TPM_VOLATILESTATE_NAME) == 0)
		return LOGGED_VOLATILE;
	return LOGGED_SAVESTATE;
}

/* The raw state file FNAME: a file of the directory, or in a linear file
 * the slot of the blob FNAME names. 0, -ENOENT, or -errno logged. */
static int read_raw(struct store *s, const char *fname, uint8_t **file,
		    size_t *flen)
{
	return s->linear ? store_linear_read(s, fname, file, flen) :
		store_read_file(s, fname, file, flen);
}

/*
 * Read and decode FNAME. TPM_RETRY if it does not exist; otherwise a decode
 * result, or TPM_FAIL if it cannot be read. A failure is logged once per
 * start (BIT of s->logged).
 */
static TPM_RESULT load_file(struct store *s, const char *fname, unsigned bit,
			    uint8_t **payload, size_t *plen)
{
	uint8_t *file;
	size_t flen;
	TPM_RESULT rc;
	int err;

	*payload = NULL;
	*plen = 0;
	err = read_raw(s, fname, &file, &flen);
	if (err == -ENOENT)
		return TPM_RETRY;       /* libtpms: no such state yet */
	if (err)
		return TPM_FAIL;        /* read_raw() said why */

	rc = blob_file_decode(store_file_key(s), file, flen, payload, plen);
	secret_free(file, flen);
	if (rc != TPM_SUCCESS && !(s->logged & bit)) {
		s->logged |= bit;
		log_error("store: cannot load %s%s%s%s: %s (TPM result 0x%x)",
			  s->path, s->linear ? " (" : "/", fname, s->linear ? ")" : "",
			  blob_strerror(rc), rc);
	}
	return rc;
}

/* The name a blob has in the store: its file's name in a directory, or in
 * a linear file libtpms' name, which picks the slot. */
static TPM_RESULT stored_name(const struct store *s, char *buf, size_t buflen,
			      const char *name, bool temp)
{
	if (!s->linear)
		return file_name(buf, buflen, s->tpm12, name, temp);
	if (linear_slot_of(name) < 0) {
		log_error("store: unknown state name '%s'", name ? name : "");
		return TPM_BAD_PARAMETER;
	}
	snprintf(buf, buflen, "%s", name);
	return TPM_SUCCESS;
}

/* The permanent state with --tpmstate backup: the main file, else (missing
 * or unreadable) the .bak; or the .bak first when told to prefer it. */
static TPM_RESULT load_permanent(struct store *s, const char *fname,
				 uint8_t **payload, size_t *plen)
{
	char bak[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX)];
	TPM_RESULT rc, rc_bak;

	snprintf(bak, sizeof(bak), "%s%s", fname, STORE_BACKUP_SUFFIX);
	if (s->prefer_backup) {
		rc = load_file(s, bak, LOGGED_BACKUP, payload, plen);
		if (rc == TPM_SUCCESS)
			s->main_bad = true;
		return rc;
	}
	rc = load_file(s, fname, LOGGED_PERMANENT, payload, plen);
	if (rc == TPM_SUCCESS)
		return rc;
	rc_bak = load_file(s, bak, LOGGED_BACKUP, payload, plen);
	if (rc_bak == TPM_RETRY)
		return rc;
	if (rc_bak == TPM_SUCCESS) {
		if (!(s->logged & LOGGED_FALLBACK))
			log_error("store: %s/%s is %s: using %s", s->path, fname,
				  rc == TPM_RETRY ? "missing" : "unusable", bak);
		s->logged |= LOGGED_FALLBACK;
		s->main_bad = true;
	}
	return rc_bak;
}

TPM_RESULT store_load(struct store *s, const char *name, unsigned char **data,
		      uint32_t *length)
{
	char fname[STORE_NAME_MAX];
	uint8_t *payload;
	size_t plen;
	TPM_RESULT rc;

	*data = NULL;
	*length = 0;
	if (!s->open) {
		log_error("store: no state directory is open");
		return TPM_FAIL;
	}
	rc = stored_name(s, fname, sizeof(fname), name, false);
	if (rc != TPM_SUCCESS)
		return rc;

	if (s->backup && strcmp(name, TPM_PERMANENT_ALL_NAME) == 0)
		rc = load_permanent(s, fname, &payload, &plen);
	else
		rc = load_file(s, fname, name_bit(name), &payload, &plen);
	if (rc != TPM_SUCCESS)
		return rc;
	*data = payload;
	*length = (uint32_t)plen;       /* plen is at most 16 MiB */
	return TPM_SUCCESS;
}

bool store_backup_available(const struct store *s)
{
	char fname[STORE_NAME_MAX], bak[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX)];

	if (!s->open || !s->backup || s->linear ||
	    file_name(fname, sizeof(fname), s->tpm12, TPM_PERMANENT_ALL_NAME,
		      false) != TPM_SUCCESS)
		return false;
	snprintf(bak, sizeof(bak), "%s%s", fname, STORE_BACKUP_SUFFIX);
	return store_file_exists(s->dirfd, bak) > 0;
}

void store_prefer_backup(struct store *s, bool prefer)
{
	s->prefer_backup = prefer;
}

/* Writers must hold the lock: two processes must never both write. A lock
 * deferred (--migration incoming) or released is taken here if it is free. */
static bool may_write(struct store *s)
{
	if (!s->open) {
		log_error("store: no state directory is open");
		return false;
	}
	if (store_ensure_locked(s) < 0) {
		log_error("store: refusing to write %s: storage is not locked",
			  s->path);
		return false;
	}
	return true;
}

TPM_RESULT store_save(struct store *s, const char *name,
		      const unsigned char *data, uint32_t length)
{
	char fname[STORE_NAME_MAX], tname[STORE_NAME_MAX];
	char bak[STORE_NAME_MAX + sizeof(STORE_BACKUP_SUFFIX)];
	bool permanent;
	uint8_t *file;
	size_t flen;
	TPM_RESULT rc;
	int err;

	if (s->discard_writes)
		return TPM_SUCCESS;
	if (!may_write(s))
		return TPM_FAIL;
	rc = stored_name(s, fname, sizeof(fname), name, false);
	if (rc == TPM_SUCCESS)
		rc = stored_name(s, tname, sizeof(tname), name, true);
	if (rc != TPM_SUCCESS)
		return rc;
	permanent = strcmp(name, TPM_PERMANENT_ALL_NAME) == 0;
	snprintf(bak, sizeof(bak), "%s%s", fname, STORE_BACKUP_SUFFIX);

	rc = blob_file_encode(store_file_key(s), data, length, &file, &flen);
	if (rc != TPM_SUCCESS) {
		log_error("store: encoding %s: %s (TPM result 0x%x)", fname,
			  blob_strerror(rc), rc);
		return rc;
	}
	/* Running on the backup: the main file is the bad one, do not keep it. */
	if (s->linear)
		err = store_linear_update(s, &name, &(struct store_raw){ file, flen }, 1);
	else
		err = store_write_file(s, tname, fname,
				       s->backup && permanent && !s->main_bad ? bak : NULL,
				       file, flen);
	secret_free(file, flen);
	if (err) {
		s->last_error = -err;
		return TPM_FAIL;
	}
	if (permanent)
		s->main_bad = false;
	return TPM_SUCCESS;
}

int store_last_error(const struct store *s)
{
	return s->last_error;
}

static TPM_RESULT delete_slot(struct store *s, const char *name, bool must_exist)
{
	int has = store_linear_has(s, name);

	if (has < 0)
		return TPM_FAIL;
	if (!has) {
		if (!must_exist)
			return TPM_SUCCESS;
		log_error("store: deleting %s (%s): no such state", s->path, name);
		return TPM_FAIL;
	}
	return store_linear_update(s, &name, &(struct store_raw){ NULL, 0 }, 1) ?
		TPM_FAIL : TPM_SUCCESS;
}

TPM_RESULT store_delete(struct store *s, const char *name, bool must_exist)
{
	char fname[STORE_NAME_MAX];
	TPM_RESULT rc;
	int err;

	if (s->discard_writes)
		return TPM_SUCCESS;
	if (!may_write(s))
		return TPM_FAIL;
	rc = stored_name(s, fname, sizeof(fname), name, false);
	if (rc != TPM_SUCCESS)
		return rc;
	if (s->linear)
		return delete_slot(s, name, must_exist);

	if (unlinkat(s->dirfd, fname, 0) < 0) {
		err = errno;
		if (err == ENOENT && !must_exist)
			return TPM_SUCCESS;
		log_error("store: deleting %s/%s: %s", s->path, fname, strerror(err));
		return TPM_FAIL;
	}
	/* so that a crash cannot bring the deleted state back */
	err = store_sync_dir(s);
	if (err) {
		log_error("store: deleting %s/%s: fsync of the directory: %s",
			  s->path, fname, strerror(-err));
		return TPM_FAIL;
	}
	return TPM_SUCCESS;
}

int store_read_raw(struct store *s, const char *name, uint8_t **buf, size_t *len)
{
	char fname[STORE_NAME_MAX];

	*buf = NULL;
	*len = 0;
	if (!s->open)
		return -EBADF;
	if (stored_name(s, fname, sizeof(fname), name, false) != TPM_SUCCESS)
		return -EINVAL;
	return read_raw(s, fname, buf, len);
}

int store_replace_raw(struct store *s, const struct store_raw raw[STORE_STATE_COUNT])
{
	if (!s->open)
		return -EBADF;
	if (!s->linear)
		return -EOPNOTSUPP;
	if (!may_write(s))
		return -EAGAIN;
	return store_linear_update(s, (const char *const *)state_names, raw,
				   STORE_STATE_COUNT);
}
