/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl_ops.c - the single-request commands of swtpm_ioctl, same output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/io.h"
#include "vtpm/ioctl.h"
#include "vtpmctl/ctl_dev.h"
#include "vtpmctl/ctl_ops.h"

/* A GET_INFO document larger than this is a broken device, not information. */
#define INFO_MAX (1024 * 1024)

int ctl_caps(int fd)
{
	ptm_cap cap = 0;
	int ret = ctl_ioctl(fd, PTM_GET_CAPABILITY, &cap);

	/* The capability reply has no result code. */
	ret = ctl_report(ret, "PTM_GET_CAPABILITY", "PTM_GET_CAPABILITY", 0);
	if (ret == 0)
		printf("ptm capability is 0x%" PRIx64 "\n", (uint64_t)cap);
	return ret;
}

int ctl_init(int fd)
{
	struct ptm_init init = { .u.req.init_flags = PTM_INIT_FLAG_DELETE_VOLATILE };
	int ret = ctl_ioctl(fd, PTM_INIT, &init);

	return ctl_report(ret, "PTM_INIT", "PTM_INIT", init.u.resp.tpm_result);
}

/* The requests whose reply is a bare result code. */
static int result_only(int fd, unsigned long request, const char *name)
{
	ptm_res res = 0;
	int ret = ctl_ioctl(fd, request, &res);

	return ctl_report(ret, name, name, res);
}

int ctl_stop(int fd)
{
	return result_only(fd, PTM_STOP, "PTM_STOP");
}

int ctl_shutdown(int fd)
{
	return result_only(fd, PTM_SHUTDOWN, "PTM_SHUTDOWN");
}

int ctl_store_volatile(int fd)
{
	return result_only(fd, PTM_STORE_VOLATILE, "PTM_STORE_VOLATILE");
}

int ctl_cancel(int fd)
{
	return result_only(fd, PTM_CANCEL_TPM_CMD, "PTM_CANCEL_TPM_CMD");
}

int ctl_get_established(int fd)
{
	struct ptm_est est;
	int ret;

	memset(&est, 0, sizeof(est));
	ret = ctl_ioctl(fd, PTM_GET_TPMESTABLISHED, &est);
	/* swtpm_ioctl names the request two ways; scripts may match either. */
	ret = ctl_report(ret, "PTM_GET_ESTABLISHED", "PTM_GET_TPMESTABLISHED",
			 est.u.resp.tpm_result);
	if (ret == 0)
		printf("tpmEstablished is %d\n", est.u.resp.bit);
	return ret;
}

int ctl_reset_established(int fd, uint8_t locality)
{
	struct ptm_reset_est r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.u.req.loc = locality;
	ret = ctl_ioctl(fd, PTM_RESET_TPMESTABLISHED, &r);
	return ctl_report(ret, "PTM_RESET_ESTABLISHED", "PTM_RESET_TPMESTABLISHED",
			  r.u.resp.tpm_result);
}

int ctl_set_locality(int fd, uint8_t locality)
{
	struct ptm_loc loc;
	int ret;

	memset(&loc, 0, sizeof(loc));
	loc.u.req.loc = locality;
	ret = ctl_ioctl(fd, PTM_SET_LOCALITY, &loc);
	return ctl_report(ret, "PTM_SET_LOCALITY", "PTM_SET_LOCALITY", loc.u.resp.tpm_result);
}

int ctl_get_config(int fd)
{
	struct ptm_getconfig cfg;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	ret = ctl_ioctl(fd, PTM_GET_CONFIG, &cfg);
	ret = ctl_report(ret, "PTM_GET_CONFIG", "PTM_GET_CONFIG", cfg.u.resp.tpm_result);
	if (ret == 0)
		printf("ptm configuration flags: 0x%x\n", cfg.u.resp.flags);
	return ret;
}

int ctl_buffersize(int fd, uint32_t size)
{
	struct ptm_setbuffersize b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.u.req.buffersize = size;
	ret = ctl_ioctl(fd, PTM_SET_BUFFERSIZE, &b);
	ret = ctl_report(ret, "PTM_SET_BUFFERSIZE", "PTM_SET_BUFFERSIZE", b.u.resp.tpm_result);
	if (ret == 0)
		printf("TPM buffersize: %u\nminimum size  : %u\nmaximum size  : %u\n",
		       b.u.resp.buffersize, b.u.resp.minsize, b.u.resp.maxsize);
	return ret;
}

int ctl_lock_storage(int fd, uint32_t retries)
{
	struct ptm_lockstorage l;
	int ret;

	memset(&l, 0, sizeof(l));
	l.u.req.retries = retries;
	ret = ctl_ioctl(fd, PTM_LOCK_STORAGE, &l);
	return ctl_report(ret, "PTM_LOCK_STORAGE", "PTM_LOCK_STORAGE", l.u.resp.tpm_result);
}

/* The document may exceed one reply (3 KiB): fetch it chunk by chunk. */
int ctl_info(int fd, uint64_t flags)
{
	struct ptm_getinfo gi;
	char *doc = NULL;
	uint32_t off = 0, total = 0;
	int ret;

	do {
		memset(&gi, 0, sizeof(gi));
		gi.u.req.flags = flags;
		gi.u.req.offset = off;
		ret = ctl_ioctl(fd, PTM_GET_INFO, &gi);
		ret = ctl_report(ret, "PTM_GET_INFO", "PTM_GET_INFO", gi.u.resp.tpm_result);
		if (ret < 0)
			goto out;
		if (off == 0) {
			total = gi.u.resp.totlength;
			if (total > INFO_MAX || !(doc = calloc(1, (size_t)total + 1))) {
				fprintf(stderr, "PTM_GET_INFO: unexpected document size %u\n", total);
				ret = -EPROTO;
				goto out;
			}
		}
		if (gi.u.resp.length > sizeof(gi.u.resp.buffer) ||
		    gi.u.resp.length > total - off ||
		    (gi.u.resp.length == 0 && off < total)) {
			fprintf(stderr, "PTM_GET_INFO: inconsistent chunk of %u bytes at %u of %u\n",
				gi.u.resp.length, off, total);
			ret = -EPROTO;
			goto out;
		}
		memcpy(doc + off, gi.u.resp.buffer, gi.u.resp.length);
		off += gi.u.resp.length;
	} while (off < total);
	printf("%s\n", doc ? doc : "");
out:
	free(doc);
	return ret;
}

static int hash_chunk(int fd, const uint8_t *data, size_t len)
{
	struct ptm_hdata h;
	int ret;

	memset(&h, 0, sizeof(h));
	h.u.req.length = (uint32_t)len;
	memcpy(h.u.req.data, data, len);
	ret = ctl_ioctl(fd, PTM_HASH_DATA, &h);
	return ctl_report(ret, "ioctl PTM_HASH_DATA", "PTM_HASH_DATA", h.u.resp.tpm_result);
}

static int hash_stream(int fd, int in)
{
	uint8_t buf[sizeof(((struct ptm_hdata *)0)->u.req.data)];
	ssize_t n;
	int ret;

	for (;;) {
		n = io_read_full(in, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "Could not read the data to hash: %s\n", strerror((int)-n));
			return (int)n;
		}
		if (n == 0)
			return 0;
		ret = hash_chunk(fd, buf, (size_t)n);
		if (ret < 0 || (size_t)n < sizeof(buf))
			return ret;
	}
}

int ctl_hash(int fd, const char *data)
{
	const size_t chunk = sizeof(((struct ptm_hdata *)0)->u.req.data);
	ptm_res res = 0;
	int ret;

	ret = ctl_ioctl(fd, PTM_HASH_START, &res);
	ret = ctl_report(ret, "ioctl PTM_HASH_START", "PTM_HASH_START", res);
	if (ret < 0)
		return ret;
	if (strcmp(data, "-") == 0) {
		ret = hash_stream(fd, STDIN_FILENO);
	} else {
		size_t len = strlen(data), off;

		for (off = 0; off < len && ret == 0; off += chunk)
			ret = hash_chunk(fd, (const uint8_t *)data + off,
					 len - off < chunk ? len - off : chunk);
	}
	if (ret < 0)
		return ret;
	res = 0;
	ret = ctl_ioctl(fd, PTM_HASH_END, &res);
	return ctl_report(ret, "ioctl PTM_HASH_END", "PTM_HASH_END", res);
}
