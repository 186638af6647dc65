/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_state.c - state blob transfer for --save/--load.
 *
 * GET: the first ioctl (offset 0) returns up to 3072 bytes and the total
 * length; further chunks come from more ioctls with a growing offset, or
 * from read() on the device, which continues where the first chunk ended.
 * SET: chunks of exactly 3072 bytes mean "more follows", a shorter one ends
 * the blob; or a first ioctl of length 0 switches write() on the device to
 * appending, and a closing ioctl of length 0 ends it and carries the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/io.h"
#include "mem/secret.h"
#include "tpm/tpm_wire.h"
#include "vtpm/ioctl.h"
#include "vtpmctl/ctl_dev.h"
#include "vtpmctl/ctl_state.h"

/* Larger buffers gain nothing: the device moves at most 4 KiB per call. */
#define BUFSIZE_MAX (1024 * 1024)

size_t ctl_state_buffersize_from_env(void)
{
	const char *s = getenv("SWTPM_IOCTL_BUFFERSIZE");
	unsigned long long v;
	char *end;

	if (!s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || *s == '-' || v < 1)
		return 1;
	return v > BUFSIZE_MAX ? BUFSIZE_MAX : (size_t)v;
}

static int get_chunk(int fd, uint32_t type, uint32_t offset, struct ptm_getstate *g)
{
	int ret;

	memset(g, 0, sizeof(*g));
	g->u.req.state_flags = PTM_STATE_FLAG_DECRYPTED;
	g->u.req.type = type;
	g->u.req.offset = offset;
	ret = ctl_ioctl(fd, PTM_GET_STATEBLOB, g);
	/* a TPM 2 answers a savestate GET with TPM_RETRY (non-fatal) and no
	 * data, which is not an error */
	if (ret == 0 && (g->u.resp.tpm_result & TPM12_NON_FATAL))
		return 0;
	ret = ctl_report(ret, "ioctl PTM_GET_STATEBLOB", "PTM_GET_STATEBLOB",
			 g->u.resp.tpm_result);
	if (ret == 0 && g->u.resp.length > sizeof(g->u.resp.data)) {
		fprintf(stderr, "PTM_GET_STATEBLOB: chunk of %u bytes is too long\n",
			g->u.resp.length);
		ret = -EPROTO;
	}
	return ret;
}

static int put_file(int out, const char *path, const void *buf, size_t len)
{
	int ret = io_write_full(out, buf, len);

	if (ret < 0)
		fprintf(stderr, "Could not write to file '%s': %s\n", path, strerror(-ret));
	return ret;
}

static int length_mismatch(size_t remain)
{
	fprintf(stderr, "Unexpected number of remaining bytes: %zu\n", remain);
	return -EPROTO;
}

/* After the first chunk: read() the rest from the device. */
static int save_by_read(int fd, int out, const char *path, size_t bufsize, size_t remain)
{
	unsigned char *buf = malloc(bufsize);
	int ret = 0;

	if (!buf) {
		fprintf(stderr, "Could not allocate buffer with %zu bytes.\n", bufsize);
		return -ENOMEM;
	}
	while (remain > 0 && ret == 0) {
		ssize_t n = read(fd, buf, bufsize);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			fprintf(stderr, "Could not read from TPM: %s\n", strerror(errno));
		} else if (n == 0 || (size_t)n > remain) {
			ret = length_mismatch(remain);
		} else {
			ret = put_file(out, path, buf, (size_t)n);
			remain -= (size_t)n;
		}
	}
	secret_wipe(buf, bufsize);
	free(buf);
	return ret;
}

static int save_chunks(int fd, int out, uint32_t type, const char *path, size_t bufsize,
		       struct ptm_getstate *g)
{
	uint32_t offset = 0;
	size_t remain = 0;
	int ret;

	for (;;) {
		ret = get_chunk(fd, type, offset, g);
		if (ret < 0)
			return ret;
		if (offset == 0)
			remain = g->u.resp.totlength;
		if (g->u.resp.length > remain)
			return length_mismatch(remain);
		ret = put_file(out, path, g->u.resp.data, g->u.resp.length);
		if (ret < 0)
			return ret;
		remain -= g->u.resp.length;
		offset += g->u.resp.length;
		if (remain == 0)
			return 0;
		if (bufsize)
			return save_by_read(fd, out, path, bufsize, remain);
		if (g->u.resp.length == 0)
			return length_mismatch(remain);        /* no progress */
	}
}

int ctl_state_save(int fd, uint32_t type, const char *path, size_t bufsize)
{
	struct ptm_getstate *g;
	int out, ret;

	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = -errno;
		fprintf(stderr, "Could not open file '%s' for writing: %s\n", path, strerror(errno));
		return ret;
	}
	g = malloc(sizeof(*g));
	if (!g) {
		close(out);
		return -ENOMEM;
	}
	ret = save_chunks(fd, out, type, path, bufsize, g);
	/* The blob is decrypted from the state-file key. */
	secret_wipe(g, sizeof(*g));
	free(g);
	if (close(out) < 0 && ret == 0) {
		ret = -errno;
		fprintf(stderr, "Could not write to file '%s': %s\n", path, strerror(errno));
	}
	return ret;
}

/* Send s with its data[] already filled. */
static int set_chunk(int fd, uint32_t type, uint32_t len, struct ptm_setstate *s)
{
	int ret;

	s->u.req.state_flags = 0;
	s->u.req.type = type;
	s->u.req.length = len;
	ret = ctl_ioctl(fd, PTM_SET_STATEBLOB, s);
	return ctl_report(ret, "ioctl PTM_SET_STATEBLOB", "PTM_SET_STATEBLOB",
			  s->u.resp.tpm_result);
}

static int load_by_ioctl(int fd, int in, uint32_t type, const char *path,
			 struct ptm_setstate *s)
{
	const size_t chunk = sizeof(s->u.req.data);
	int ret;

	for (;;) {
		ssize_t n = io_read_full(in, s->u.req.data, chunk);

		if (n < 0) {
			fprintf(stderr, "Could not read from file '%s': %s\n", path,
				strerror((int)-n));
			return (int)n;
		}
		/* A full chunk means "more follows"; a blob of k * 3072
		 * bytes therefore ends with an empty chunk. */
		ret = set_chunk(fd, type, (uint32_t)n, s);
		if (ret < 0 || (size_t)n < chunk)
			return ret;
	}
}

static int load_by_write(int fd, int in, uint32_t type, const char *path,
			 size_t bufsize, struct ptm_setstate *s)
{
	unsigned char *buf;
	int ret;

	ret = set_chunk(fd, type, 0, s);        /* write() appends from here */
	if (ret < 0)
		return ret;
	buf = malloc(bufsize);
	if (!buf) {
		fprintf(stderr, "Could not allocate buffer with %zu bytes.\n", bufsize);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = io_read_full(in, buf, bufsize);
		int w;

		if (n < 0) {
			fprintf(stderr, "Could not read from file '%s': %s\n", path,
				strerror((int)-n));
			ret = (int)n;
			break;
		}
		if (n == 0)
			break;
		w = io_write_full(fd, buf, (size_t)n);
		if (w < 0) {
			fprintf(stderr, "Could not write to the TPM: %s\n", strerror(-w));
			ret = w;
			break;
		}
		if ((size_t)n < bufsize)
			break;
	}
	secret_wipe(buf, bufsize);
	free(buf);
	if (ret < 0)
		return ret;
	return set_chunk(fd, type, 0, s);       /* ends the blob, carries the result */
}

int ctl_state_load(int fd, uint32_t type, const char *path, size_t bufsize)
{
	struct ptm_setstate *s;
	int in, ret;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ret = -errno;
		fprintf(stderr, "Could not open file '%s' for reading: %s\n", path, strerror(errno));
		return ret;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(in);
		return -ENOMEM;
	}
	if (bufsize)
		ret = load_by_write(fd, in, type, path, bufsize, s);
	else
		ret = load_by_ioctl(fd, in, type, path, s);
	/* State blobs are secrets when the TPM has no state-file key. */
	secret_wipe(s, sizeof(*s));
	free(s);
	close(in);
	return ret;
}
