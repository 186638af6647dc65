/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup_tpm.c - the glue between vtpm-setup and the project's TPM (which
 * owns the store), key loader and the store's linear backend (see
 * setup_tpm.h). Every call vtpm-setup makes into the TPM's lifecycle, its
 * commands, the state key and the linear target is in this file, so that a
 * change of theirs is ported here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_nvfilename.h>

#include "mem/secret.h"
#include "os/io.h"
#include "os/log.h"
#include "store/key.h"
#include "store/store.h"
#include "tpm/tpm.h"
#include "vtpm-setup/setup_tpm.h"

static struct {
	struct tpm tpm;
	bool open;
	uint8_t *resp;          /* libtpms' response buffer, grown by it */
	uint32_t resp_cap;
	const volatile sig_atomic_t *stop;
	int write_error;        /* the store's, kept past its close */
} g;

void setup_tpm_log_to(int fd)
{
	static int devnull = -1;

	if (fd < 0) {
		/* libtpms writes its failure-mode lines to stderr unless told
		 * otherwise; a failure must stay one line of vtpm-setup's own */
		log_disable();
		if (devnull < 0)
			devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0)
			tpm_lib_log_to(devnull, 0, NULL);
		return;
	}
	if (log_set_fd(fd) == 0) {
		log_set_level(LOG_LEVEL_ERROR);
		tpm_lib_log_to(fd, 0, NULL);
	}
}

static int load_state_key(const struct setup_state_key *key,
			  struct state_key *file_key, char *err, size_t errlen)
{
	struct key_source src = {
		.given = true,
		.passphrase = key->passphrase,
		.file = (char *)key->file,
		.fd = key->fd,
		.cipher = key->aes256 ? KEY_AES_256_CBC : KEY_AES_128_CBC,
		.format = KEY_FORMAT_HEX,
		.kdf = KEY_KDF_PBKDF2,
		.remove = false,
	};
	char why[256];
	int ret = key_load(&src, file_key, why, sizeof(why));

	if (ret < 0)
		snprintf(err, errlen, "%s: %s", key->passphrase ? "--pwdfile" : "--keyfile",
			 why);
	return ret;
}

int setup_tpm_open(int dirfd, const char *name, const struct setup_state_key *key,
		   char *err, size_t errlen)
{
	struct state_key file_key = { .len = 0 };
	struct tpm_options topt = {
		.version = TPM_VERSION_2,
		.auto_shutdown = false,  /* vtpm-setup sends its own Shutdown */
		.store = {
			.dir = ".",     /* DIRFD, as the working directory */
			.file_mode = STORE_MODE_DEFAULT,
		},
	};
	int cwd, ret;

	if (g.open) {
		snprintf(err, errlen, "internal error: the TPM is already open");
		return -EBUSY;
	}
	if (key && key->given) {
		ret = load_state_key(key, &file_key, err, errlen);
		if (ret < 0)
			return ret;
		topt.store.file_key = &file_key;        /* the store copies it */
	}
	/* The store opens its directory by name: "." names DIRFD's directory
	 * and nothing a path lookup could be made to find instead. */
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || fchdir(dirfd) < 0) {
		ret = -errno;
		key_wipe(&file_key);
		if (cwd >= 0)
			close(cwd);
		snprintf(err, errlen, "state directory %s: %s", name, strerror(-ret));
		return ret;
	}
	g.write_error = 0;
	ret = tpm_open(&g.tpm, &topt);
	key_wipe(&file_key);
	if (fchdir(cwd) < 0 && ret == 0) {
		ret = -errno;
		tpm_close(&g.tpm);
	}
	close(cwd);
	if (ret < 0) {
		snprintf(err, errlen, "state directory %s: %s", name,
			 ret == -EAGAIN ? "in use by another process" : strerror(-ret));
		return ret;
	}
	g.open = true;
	return 0;
}

int setup_tpm_power_on(char *err, size_t errlen)
{
	TPM_RESULT rc = tpm_start(&g.tpm);

	if (rc != TPM_SUCCESS) {
		snprintf(err, errlen, "the TPM did not start: libtpms could not load "
			 "the state (0x%x; wrong key or damaged state?)", rc);
		return -EIO;
	}
	return 0;
}

void setup_tpm_power_off(void)
{
	if (g.open)
		tpm_stop(&g.tpm);
}

void setup_tpm_close(void)
{
	if (g.open) {
		g.write_error = store_last_error(&g.tpm.store);
		tpm_close(&g.tpm);
	}
	g.open = false;
	if (g.resp)
		secret_wipe(g.resp, g.resp_cap);
	free(g.resp);
	g.resp = NULL;
	g.resp_cap = 0;
}

void setup_tpm_stop_on(const volatile sig_atomic_t *flag)
{
	g.stop = flag;
}

int setup_tpm_write_error(void)
{
	return g.open ? store_last_error(&g.tpm.store) : g.write_error;
}

int setup_tpm_transact(const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
		       size_t resp_cap, size_t *resp_len)
{
	uint8_t copy[TPM_MAX_COMMAND_SIZE];
	uint32_t len = 0;

	*resp_len = 0;
	if (g.stop && *g.stop)
		return -EINTR;
	if (!g.open || cmd_len < TPM_HEADER_SIZE || cmd_len > sizeof(copy))
		return -EINVAL;
	/* tpm_execute() may look at (and libtpms work in) the command buffer */
	memcpy(copy, cmd, cmd_len);
	if (tpm_execute(&g.tpm, copy, (uint32_t)cmd_len, &g.resp, &len, &g.resp_cap) < 0 ||
	    !g.resp || len < TPM_HEADER_SIZE)
		return -EIO;
	if (len > resp_cap)
		return -EMSGSIZE;
	memcpy(resp, g.resp, len);
	*resp_len = len;
	return 0;
}

void setup_tpm_lib_version(char *buf, size_t len)
{
	uint32_t v = tpm_lib_version();

	snprintf(buf, len, "%u.%u.%u", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

/* --- a linear state file as the target ---------------------------------- */

static struct {
	struct store store;
	bool open;
} target;

int setup_tpm_file_open(const char *path,
			int (*inject)(enum store_linear_step, void *), void *ctx,
			char *err, size_t errlen)
{
	char why[400] = "";
	const struct store_options opt = {
		.file = path, .file_mode = STORE_MODE_DEFAULT, .defer_lock = true,
		.err = why, .errlen = sizeof(why),
		.linear_inject = inject, .linear_inject_ctx = ctx,
	};
	int ret;

	if (target.open)
		return -EBUSY;
	ret = store_open(&target.store, &opt);
	if (ret == 0) {
		ret = store_lock(&target.store, 0);
		if (ret < 0)
			store_close(&target.store);
	}
	if (ret == -EAGAIN)
		snprintf(err, errlen, "%s is in use by another process (a running vtpmd "
			 "or swtpm holds its lock)", path);
	else if (ret < 0 && why[0])
		snprintf(err, errlen, "%s", why);
	else if (ret < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	target.open = ret == 0;
	return ret;
}

int setup_tpm_file_holds(bool *has_state, bool *has_volatile, char *err,
			 size_t errlen)
{
	static const char *const names[] = {
		TPM_PERMANENT_ALL_NAME, TPM_VOLATILESTATE_NAME, TPM_SAVESTATE_NAME,
	};
	bool has[3];
	size_t i;

	for (i = 0; i < 3; i++) {
		uint8_t *buf;
		size_t len;
		int ret = store_read_raw(&target.store, names[i], &buf, &len);

		if (ret < 0 && ret != -ENOENT) {
			snprintf(err, errlen, "cannot read the state in %s: %s",
				 target.store.path, strerror(-ret));
			return ret;
		}
		has[i] = ret == 0;
		secret_free(buf, len);
	}
	*has_state = has[0];
	*has_volatile = has[1] || has[2];
	return 0;
}

int setup_tpm_file_read_permall(uint8_t **buf, size_t *len)
{
	return store_read_raw(&target.store, TPM_PERMANENT_ALL_NAME, buf, len);
}

int setup_tpm_file_replace(int dirfd, char *err, size_t errlen)
{
	static const char *const files[STORE_STATE_COUNT] = {
		"tpm2-00.permall", "tpm2-00.volatilestate", "tpm2-00.savestate",
	};
	struct store_raw raw[STORE_STATE_COUNT] = { { NULL, 0 } };
	uint8_t *buf[STORE_STATE_COUNT] = { NULL };
	size_t len[STORE_STATE_COUNT] = { 0 }, i;
	int ret = 0;

	for (i = 0; i < STORE_STATE_COUNT && ret == 0; i++) {
		int fd = openat(dirfd, files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0) {
			if (errno != ENOENT || i == 0)
				ret = -errno;
			continue;
		}
		ret = io_read_all(fd, 16u << 20, &buf[i], &len[i]);
		close(fd);
		if (ret == 0)
			raw[i] = (struct store_raw){ buf[i], len[i] };
	}
	if (ret == 0)
		ret = store_replace_raw(&target.store, raw);
	for (i = 0; i < STORE_STATE_COUNT; i++)
		secret_free(buf[i], len[i]);
	if (ret < 0)
		snprintf(err, errlen, "cannot put the new state into %s: %s",
			 target.store.path, strerror(-ret));
	return ret;
}

void setup_tpm_file_close(void)
{
	if (target.open)
		store_close(&target.store);
	target.open = false;
}
