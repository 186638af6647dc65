/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cuse_floor - the cheapest possible CUSE "TPM": the floor vtpmd is
 * measured against. It creates /dev/NAME with libfuse3 and does no work: a
 * write is accepted whole and the next read returns a fixed 10-byte TPM 2.0
 * success response; a (restricted) ioctl answers zeros of the size its
 * request code names. What a client measures through it is the kernel's
 * CUSE round trip plus libfuse, nothing else.
 *
 * usage: cuse_floor -n NAME [--mt]
 *   --mt  serve with libfuse's multithreaded loop (vtpmd's) instead of the
 *         single-threaded one, to show what the loop itself costs.
 * Runs in the foreground until SIGTERM/SIGINT. Like vtpmd it opts out of
 * transparent huge pages, so its memory is what libfuse itself costs.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

static const char response[10] = { (char)0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0 };
static atomic_bool pending; /* a response is waiting for read() */

static void floor_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void floor_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)off;
	(void)fi;
	if (!pending) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	pending = false;
	fuse_reply_buf(req, response, size < sizeof(response) ? size : sizeof(response));
}

static void floor_write(fuse_req_t req, const char *buf, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	(void)buf;
	(void)off;
	(void)fi;
	pending = true;
	fuse_reply_write(req, size);
}

static void floor_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi,
			unsigned flags, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	static const char zeros[4096];

	(void)cmd;
	(void)arg;
	(void)fi;
	(void)in_buf;
	(void)in_bufsz;
	if ((flags & FUSE_IOCTL_UNRESTRICTED) || out_bufsz > sizeof(zeros)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	fuse_reply_ioctl(req, 0, out_bufsz ? zeros : NULL, out_bufsz);
}

static const struct cuse_lowlevel_ops ops = {
	.open = floor_open,
	.read = floor_read,
	.write = floor_write,
	.ioctl = floor_ioctl,
};

int main(int argc, char **argv)
{
	char devname[128];
	const char *dev_info_argv[] = { devname };
	char *fuse_argv[] = { argv[0], "-f", NULL };
	struct cuse_info ci = { .dev_info_argc = 1, .dev_info_argv = dev_info_argv };
	struct fuse_session *se;
	bool mt = false;
	int multithreaded = 0, ret;

	if (argc < 3 || strcmp(argv[1], "-n") != 0 ||
	    (argc == 4 && strcmp(argv[3], "--mt") != 0) || argc > 4) {
		fprintf(stderr, "usage: cuse_floor -n NAME [--mt]\n");
		return 2;
	}
	mt = argc == 4;
	/* As vtpmd: no transparent huge pages, so memory compares like for like. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	if (snprintf(devname, sizeof(devname), "DEVNAME=%s", argv[2]) >= (int)sizeof(devname))
		return 2;
	se = cuse_lowlevel_setup(2, fuse_argv, &ci, &ops, &multithreaded, NULL);
	if (!se) {
		fprintf(stderr, "cuse_floor: cannot create /dev/%s\n", argv[2]);
		return 1;
	}
	ret = mt ? fuse_session_loop_mt(se, 0) : fuse_session_loop(se);
	cuse_lowlevel_teardown(se);
	return ret < 0 ? 1 : 0;
}
