/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stateblob - move one TPM state blob out of or into a CUSE TPM through
 * GET/SET_STATEBLOB, by every path the protocol has, and say what came back.
 *
 * swtpm_ioctl always asks for decrypted blobs, never marks one encrypted,
 * and picks the read()/write() path only from SWTPM_IOCTL_BUFFERSIZE. The
 * device tests need each knob on its own: the request flags, the response
 * flags, and the transfer path (ioctl chunks, or read()/write() of a chosen
 * size after the first ioctl). Uses include/vtpm/ioctl.h only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errname.h"
#include "vtpm/ioctl.h"

#define MAX_BLOB (8u << 20)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: stateblob DEVICE get TYPE FILE [decrypted] [rw=N]\n"
		"       stateblob DEVICE set TYPE FILE [encrypted] [rw=N]\n"
		"TYPE: permanent, volatile or savestate (or 1, 2, 3).\n"
		"get: GET_STATEBLOB from offset 0, then further ioctls at the next offset\n"
		"     or, with rw=N, read()s of N bytes until the blob is complete; FILE\n"
		"     gets the blob. Prints 'result 0xRC flags 0xF totlength N'.\n"
		"     'decrypted' sets PTM_STATE_FLAG_DECRYPTED in the request.\n"
		"set: SET_STATEBLOB in 3072-byte chunks (the last shorter, or an empty\n"
		"     one after a multiple of 3072) or, with rw=N, an empty first ioctl,\n"
		"     write()s of N bytes and an empty last ioctl that carries the result.\n"
		"     Prints 'result 0xRC'. 'encrypted' sets PTM_STATE_FLAG_ENCRYPTED.\n"
		"Exit status: 0 answered (the result code is printed), 1 a system call\n"
		"failed (printed as 'errno NAME'), 2 usage.\n");
}

static int fail_errno(const char *what)
{
	int err = errno;

	printf("errno %s\n", errname(err));
	fprintf(stderr, "stateblob: %s: %s\n", what, strerror(err));
	return 1;
}

static int parse_type(const char *s, uint32_t *type)
{
	if (!strcmp(s, "permanent") || !strcmp(s, "1"))
		*type = PTM_BLOB_TYPE_PERMANENT;
	else if (!strcmp(s, "volatile") || !strcmp(s, "2"))
		*type = PTM_BLOB_TYPE_VOLATILE;
	else if (!strcmp(s, "savestate") || !strcmp(s, "3"))
		*type = PTM_BLOB_TYPE_SAVESTATE;
	else
		return -1;
	return 0;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0 || (size_t)sb.st_size > MAX_BLOB) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf || read(fd, buf, (size_t)sb.st_size) != sb.st_size) {
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static int get_blob(int fd, uint32_t type, const char *path, bool decrypted,
		    size_t rw)
{
	static struct ptm_getstate gs;
	uint8_t *blob = NULL;
	uint32_t total = 0, have = 0, flags = 0;

	for (;;) {
		memset(&gs, 0, sizeof(gs));
		gs.u.req.state_flags = decrypted ? PTM_STATE_FLAG_DECRYPTED : 0;
		gs.u.req.type = type;
		gs.u.req.offset = have;
		if (ioctl(fd, PTM_GET_STATEBLOB, &gs) < 0)
			return fail_errno("PTM_GET_STATEBLOB");
		if (gs.u.resp.tpm_result != 0) {
			printf("result 0x%" PRIx32 " flags 0x%" PRIx32 " totlength %" PRIu32 "\n",
			       gs.u.resp.tpm_result, gs.u.resp.state_flags,
			       gs.u.resp.totlength);
			free(blob);
			return 0;
		}
		if (!blob) {
			total = gs.u.resp.totlength;
			flags = gs.u.resp.state_flags;
			if (total > MAX_BLOB || !(blob = malloc(total + 1))) {
				fprintf(stderr, "stateblob: totlength %" PRIu32 "\n", total);
				return 1;
			}
		}
		if (gs.u.resp.totlength != total || gs.u.resp.state_flags != flags ||
		    gs.u.resp.length > total - have ||
		    gs.u.resp.length > sizeof(gs.u.resp.data) ||
		    (gs.u.resp.length == 0 && have < total)) {
			fprintf(stderr, "stateblob: inconsistent chunk at %" PRIu32
				": length %" PRIu32 " totlength %" PRIu32 " flags 0x%" PRIx32 "\n",
				have, gs.u.resp.length, gs.u.resp.totlength,
				gs.u.resp.state_flags);
			free(blob);
			return 1;
		}
		memcpy(blob + have, gs.u.resp.data, gs.u.resp.length);
		have += gs.u.resp.length;
		if (have >= total || rw)
			break;
	}
	/* read(): the device continues after the first chunk */
	while (have < total) {
		size_t want = rw < total - have ? rw : total - have;
		ssize_t n = read(fd, blob + have, want);

		if (n < 0) {
			free(blob);
			return fail_errno("read");
		}
		if ((size_t)n != want) {
			fprintf(stderr, "stateblob: read %zd of %zu at %" PRIu32 "\n", n, want, have);
			free(blob);
			return 1;
		}
		have += (uint32_t)n;
	}
	if (write_file(path, blob, total) < 0) {
		free(blob);
		return fail_errno(path);
	}
	free(blob);
	printf("result 0x0 flags 0x%" PRIx32 " totlength %" PRIu32 "\n", flags, total);
	return 0;
}

/* One SET_STATEBLOB ioctl of LEN bytes; *RESULT gets the TPM result. */
static int set_chunk(int fd, uint32_t type, uint32_t flags, const uint8_t *data,
		     uint32_t len, uint32_t *result)
{
	static struct ptm_setstate ss;

	memset(&ss, 0, sizeof(ss));
	ss.u.req.state_flags = flags;
	ss.u.req.type = type;
	ss.u.req.length = len;
	if (len)
		memcpy(ss.u.req.data, data, len);
	if (ioctl(fd, PTM_SET_STATEBLOB, &ss) < 0)
		return -1;
	*result = ss.u.resp.tpm_result;
	return 0;
}

static int set_blob(int fd, uint32_t type, const char *path, bool encrypted,
		    size_t rw)
{
	uint32_t flags = encrypted ? PTM_STATE_FLAG_ENCRYPTED : 0, rc = 0;
	size_t len, off = 0;
	uint8_t *blob = read_file(path, &len);

	if (!blob) {
		fprintf(stderr, "stateblob: cannot read %s\n", path);
		return 1;
	}
	if (rw) {
		if (set_chunk(fd, type, flags, NULL, 0, &rc) < 0)
			goto syserr;
		if (rc)
			goto done;
		while (off < len) {
			size_t n = rw < len - off ? rw : len - off;
			ssize_t w = write(fd, blob + off, n);

			if (w < 0)
				goto syserr;
			if ((size_t)w != n) {
				fprintf(stderr, "stateblob: short write %zd of %zu\n", w, n);
				free(blob);
				return 1;
			}
			off += n;
		}
		if (set_chunk(fd, type, flags, NULL, 0, &rc) < 0)
			goto syserr;
		goto done;
	}
	/* chunks: a full chunk means "more follows", so a blob that is a
	 * multiple of the chunk size ends with an empty one */
	do {
		size_t n = len - off < PTM_STATE_BLOB_SIZE ? len - off : PTM_STATE_BLOB_SIZE;

		if (set_chunk(fd, type, flags, blob + off, (uint32_t)n, &rc) < 0)
			goto syserr;
		off += n;
		if (rc || n < PTM_STATE_BLOB_SIZE)
			break;
	} while (1);
done:
	free(blob);
	printf("result 0x%" PRIx32 "\n", rc);
	return 0;
syserr:
	free(blob);
	return fail_errno("PTM_SET_STATEBLOB");
}

int main(int argc, char **argv)
{
	bool flag = false;
	size_t rw = 0;
	uint32_t type;
	int fd, i, ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 5 || (strcmp(argv[2], "get") && strcmp(argv[2], "set")) ||
	    parse_type(argv[3], &type) < 0) {
		usage(stderr);
		return 2;
	}
	for (i = 5; i < argc; i++) {
		if (!strcmp(argv[i], !strcmp(argv[2], "get") ? "decrypted" : "encrypted")) {
			flag = true;
		} else if (!strncmp(argv[i], "rw=", 3) && atoi(argv[i] + 3) > 0) {
			rw = (size_t)atoi(argv[i] + 3);
		} else {
			usage(stderr);
			return 2;
		}
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(argv[1]);
	if (!strcmp(argv[2], "get"))
		ret = get_blob(fd, type, argv[4], flag, rw);
	else
		ret = set_blob(fd, type, argv[4], flag, rw);
	close(fd);
	return ret;
}
