/* SPDX-License-Identifier: BSD-3-Clause */
/* devctl.c - control ioctls and state-blob transfer (see devctl.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devctl.h"
#include "vtpm/ioctl.h"

int ioctl_latency(int fd, unsigned long req, size_t n, size_t warmup,
		  uint64_t deadline, struct samples *out)
{
	uint8_t arg[4096];
	uint64_t t0, start = 0;
	size_t i;

	if (_IOC_SIZE(req) > sizeof(arg))
		return -EINVAL;
	for (i = 0; i < warmup + n; i++) {
		if (i == warmup)
			start = now_ns();
		memset(arg, 0, _IOC_SIZE(req));
		t0 = now_ns();
		if (ioctl(fd, req, arg) < 0)
			return -errno;
		if (i >= warmup) {
			samples_add(out, now_ns() - t0);
			if (deadline && now_ns() > deadline)
				break;
		}
	}
	out->wall_ns += now_ns() - start;
	return 0;
}

static int tpm_error(const char *what, uint32_t rc)
{
	fprintf(stderr, "bench: %s: TPM result 0x%x\n", what, rc);
	return -EPROTO;
}

int blob_get(int fd, struct blob *b, bool by_read)
{
	struct ptm_getstate g;
	uint32_t off = 0, total;
	uint8_t *data = NULL;

	b->data = NULL;
	b->len = 0;
	do {
		memset(&g, 0, sizeof(g));
		g.u.req.type = b->type;
		g.u.req.offset = off;
		if (ioctl(fd, PTM_GET_STATEBLOB, &g) < 0) {
			free(data);
			return -errno;
		}
		if (g.u.resp.tpm_result != 0) {
			free(data);
			return tpm_error("GET_STATEBLOB", g.u.resp.tpm_result);
		}
		total = g.u.resp.totlength;
		if (!data && !(data = malloc(total ? total : 1)))
			return -ENOMEM;
		if (g.u.resp.length > total - off) {
			free(data);
			return -EPROTO;
		}
		memcpy(data + off, g.u.resp.data, g.u.resp.length);
		off += g.u.resp.length;
		b->flags = g.u.resp.state_flags;
		if (g.u.resp.length == 0)
			break;
	} while (off < total && !by_read);
	while (off < total) {           /* by_read: the rest through read() */
		ssize_t n = read(fd, data + off, total - off);

		if (n <= 0) {
			free(data);
			return n < 0 ? -errno : -EPROTO;
		}
		off += (uint32_t)n;
	}
	b->data = data;
	b->len = off;
	return 0;
}

static int set_chunk(int fd, const struct blob *b, const uint8_t *p, uint32_t len)
{
	struct ptm_setstate s;

	memset(&s, 0, sizeof(s));
	s.u.req.state_flags = b->flags;
	s.u.req.type = b->type;
	s.u.req.length = len;
	if (len)
		memcpy(s.u.req.data, p, len);
	if (ioctl(fd, PTM_SET_STATEBLOB, &s) < 0)
		return -errno;
	return s.u.resp.tpm_result ? tpm_error("SET_STATEBLOB", s.u.resp.tpm_result) : 0;
}

int blob_set(int fd, const struct blob *b, bool by_write)
{
	uint32_t off = 0, n;
	int ret;

	if (by_write) {
		if ((ret = set_chunk(fd, b, NULL, 0)) < 0)
			return ret;
		while (off < b->len) {
			ssize_t w = write(fd, b->data + off, b->len - off);

			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			off += (uint32_t)w;
		}
		return set_chunk(fd, b, NULL, 0);
	}
	/* A full chunk means "more follows": end with a short (maybe empty) one. */
	for (;;) {
		n = b->len - off < PTM_STATE_BLOB_SIZE ? b->len - off : PTM_STATE_BLOB_SIZE;
		if ((ret = set_chunk(fd, b, b->data + off, n)) < 0)
			return ret;
		off += n;
		if (n < PTM_STATE_BLOB_SIZE)
			return 0;
	}
}

void blob_free(struct blob *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

int ptm_stop(int fd)
{
	ptm_res res = 0;

	if (ioctl(fd, PTM_STOP, &res) < 0)
		return -errno;
	return res ? tpm_error("STOP", res) : 0;
}

int ptm_init(int fd)
{
	struct ptm_init init;

	memset(&init, 0, sizeof(init));
	if (ioctl(fd, PTM_INIT, &init) < 0)
		return -errno;
	return init.u.resp.tpm_result ? tpm_error("INIT", init.u.resp.tpm_result) : 0;
}
