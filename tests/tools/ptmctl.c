/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ptmctl - send one PTM_* control ioctl to a CUSE TPM and print the raw answer.
 *
 * swtpm_ioctl is the independent client the device tests use for the normal
 * cases; it checks arguments on the client side, so it cannot produce the
 * error paths (locality 5, oversized hash data, an unknown request, ...).
 * ptmctl sends exactly what it is told, through include/vtpm/ioctl.h, and
 * prints the result code and fields as one line a test can compare.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"
#include "vtpm/ioctl.h"

#define CANCEL_TIMEOUT_MS (300 * 1000)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ptmctl DEVICE REQUEST [ARG...]\n"
		"Sends one control request and prints one line:\n"
		"  caps                    -> 'caps 0xBITS'\n"
		"  init [FLAGS]            -> 'result 0xRC'   (FLAGS default 0)\n"
		"  stop | shutdown | hash-start | hash-end | cancel | store-volatile |\n"
		"  set-datafd              -> 'result 0xRC'\n"
		"  est                     -> 'result 0xRC bit N'\n"
		"  reset-est LOC           -> 'result 0xRC'\n"
		"  locality LOC            -> 'result 0xRC'\n"
		"  hash-data LEN           -> 'result 0xRC'   (length field LEN, data 'x')\n"
		"  config                  -> 'result 0xRC flags 0xF'\n"
		"  buffersize N            -> 'result 0xRC buffersize N min N max N'\n"
		"  info FLAGS [OFFSET]     -> 'result 0xRC totlength N length N'\n"
		"  lock-storage RETRIES    -> 'result 0xRC'\n"
		"  get-state TYPE FILE [encrypted]\n"
		"                          -> 'result 0xRC totlength N'  (all chunks into FILE;\n"
		"                             DECRYPTED is asked for unless 'encrypted')\n"
		"  set-state TYPE FILE     -> 'result 0xRC'  (FILE in 3072-byte chunks)\n"
		"  raw CODE                -> 'ioctl ok'  (any request number, 16 KiB buffer)\n"
		"  sweep                   -> every PTM request once, with harmless arguments,\n"
		"                             in a fixed order ending with SHUTDOWN: one line\n"
		"                             'NAME result 0xRC' or 'NAME errno NAME' each\n"
		"  cancel-rsa-primary      -> runs an RSA-2048 CreatePrimary on this file from a\n"
		"                             second thread and sends CANCEL_TPM_CMD until it\n"
		"                             ends; prints 'command-rc 0xRC', 'cancels N',\n"
		"                             'cancel-result 0xRC', then 'after-rc 0xRC' of a\n"
		"                             GetRandom on the same file\n"
		"  query-during-rsa-primary -> runs an RSA-2048 CreatePrimary from a second\n"
		"                             thread that then blocks in read() (no poll); asks\n"
		"                             GET_CAPABILITY every ms until the read returns;\n"
		"                             prints 'command-rc 0xRC' and\n"
		"                             'answered-while-running N'\n"
		"TYPE is 1 permanent, 2 volatile, 3 savestate. A failed ioctl prints 'errno NAME'.\n"
		"Exit status: 0 the request was answered (the result code is in the output),\n"
		"1 an ioctl, read, write or file operation failed, 2 usage error.\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Returns 0 or prints 'errno NAME' and returns 1. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	if (ioctl(fd, req, arg) < 0) {
		printf("errno %s\n", errname(errno));
		return 1;
	}
	return 0;
}

static int simple_request(int fd, unsigned long req)
{
	ptm_res res = 0xffffffff;

	if (xioctl(fd, req, &res))
		return 1;
	printf("result 0x%" PRIx32 "\n", res);
	return 0;
}

static int get_state(int fd, uint32_t type, const char *path, uint32_t flags)
{
	static struct ptm_getstate gs;
	uint32_t offset = 0, total = 0;
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "ptmctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	do {
		memset(&gs, 0, sizeof(gs));
		gs.u.req.state_flags = flags;
		gs.u.req.type = type;
		gs.u.req.offset = offset;
		if (xioctl(fd, PTM_GET_STATEBLOB, &gs)) {
			fclose(f);
			return 1;
		}
		if (gs.u.resp.tpm_result != 0) {
			printf("result 0x%" PRIx32 " totlength %" PRIu32 "\n",
			       gs.u.resp.tpm_result, gs.u.resp.totlength);
			fclose(f);
			return 0;
		}
		total = gs.u.resp.totlength;
		if (gs.u.resp.length > PTM_STATE_BLOB_SIZE ||
		    gs.u.resp.length > total - offset ||
		    (gs.u.resp.length == 0 && offset < total)) {
			fprintf(stderr, "ptmctl: bad chunk: offset %" PRIu32 " length %" PRIu32
				" totlength %" PRIu32 "\n", offset, gs.u.resp.length, total);
			fclose(f);
			return 1;
		}
		if (fwrite(gs.u.resp.data, 1, gs.u.resp.length, f) != gs.u.resp.length) {
			fclose(f);
			return 1;
		}
		offset += gs.u.resp.length;
	} while (offset < total);
	if (fclose(f) != 0)
		return 1;
	printf("result 0x0 totlength %" PRIu32 "\n", total);
	return 0;
}

static int set_state(int fd, uint32_t type, const char *path)
{
	static struct ptm_setstate ss;
	static uint8_t blob[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t total, off = 0;

	if (!f) {
		fprintf(stderr, "ptmctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	total = fread(blob, 1, sizeof(blob), f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "ptmctl: %s: read error or larger than %zu\n", path, sizeof(blob));
		fclose(f);
		return 1;
	}
	fclose(f);

	/* A chunk shorter than PTM_STATE_BLOB_SIZE is the last one; a blob of an
	 * exact multiple of it ends with an empty chunk. */
	for (;;) {
		size_t n = total - off < PTM_STATE_BLOB_SIZE ? total - off : PTM_STATE_BLOB_SIZE;

		memset(&ss, 0, sizeof(ss));
		ss.u.req.state_flags = 0;
		ss.u.req.type = type;
		ss.u.req.length = (uint32_t)n;
		memcpy(ss.u.req.data, blob + off, n);
		if (xioctl(fd, PTM_SET_STATEBLOB, &ss))
			return 1;
		off += n;
		if (ss.u.resp.tpm_result != 0 || n < PTM_STATE_BLOB_SIZE)
			break;
	}
	printf("result 0x%" PRIx32 "\n", ss.u.resp.tpm_result);
	return 0;
}

/* --- cancel-rsa-primary ------------------------------------------------ */

/* TPM2_CreatePrimary(owner, password session, RSA-2048 restricted decrypt key,
 * AES-128-CFB, sha256). Generating the primes takes long enough to cancel. */
static const uint8_t rsa_primary_cmd[] = {
	0x80, 0x02, 0x00, 0x00, 0x00, 0x43, 0x00, 0x00, 0x01, 0x31,
	0x40, 0x00, 0x00, 0x01,                         /* TPM_RH_OWNER */
	0x00, 0x00, 0x00, 0x09,                         /* auth area size */
	0x40, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, /* TPM_RS_PW */
	0x00, 0x04, 0x00, 0x00, 0x00, 0x00,             /* inSensitive */
	0x00, 0x1a,                                     /* inPublic */
	0x00, 0x01, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x72, /* RSA, sha256, attrs */
	0x00, 0x00,                                     /* authPolicy */
	0x00, 0x06, 0x00, 0x80, 0x00, 0x43,             /* AES-128-CFB */
	0x00, 0x10, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, /* null scheme, 2048, e */
	0x00, 0x00,                                     /* unique */
	0x00, 0x00,                                     /* outsideInfo */
	0x00, 0x00, 0x00, 0x00,                         /* creationPCR */
};

static const uint8_t getrandom_cmd[] = {
	0x80, 0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x01, 0x7b, 0x00, 0x08,
};

struct worker {
	int fd;
	atomic_bool done;
	int err;                /* errno of a failed step, 0 if fine */
	const char *step;
	uint8_t resp[4096];
	ssize_t resp_len;
};

/* Write a command and read its response on fd; 0 or an errno. */
static int transact(int fd, const uint8_t *cmd, size_t len, uint8_t *resp,
		    size_t size, ssize_t *resp_len, const char **step)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	*step = "write";
	n = write(fd, cmd, len);
	if (n < 0)
		return errno;
	*step = "poll";
	n = poll(&pfd, 1, CANCEL_TIMEOUT_MS);
	if (n < 0)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	*step = "read";
	n = read(fd, resp, size);
	if (n < 0)
		return errno;
	*resp_len = n;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->err = transact(w->fd, rsa_primary_cmd, sizeof(rsa_primary_cmd), w->resp,
			  sizeof(w->resp), &w->resp_len, &w->step);
	atomic_store(&w->done, true);
	return NULL;
}

static uint32_t resp_rc(const uint8_t *resp, ssize_t len)
{
	if (len < 10)
		return 0xffffffff;
	return (uint32_t)resp[6] << 24 | (uint32_t)resp[7] << 16 |
	       (uint32_t)resp[8] << 8 | resp[9];
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int cancel_rsa_primary(int fd)
{
	static struct worker w;
	pthread_t thread;
	unsigned cancels = 0;
	ptm_res first_bad = 0;
	long waited = 0;
	uint8_t resp[64];
	ssize_t resp_len = 0;
	const char *step;
	int err;

	w.fd = fd;
	atomic_init(&w.done, false);
	if (pthread_create(&thread, NULL, worker_main, &w) != 0) {
		fprintf(stderr, "ptmctl: pthread_create failed\n");
		return 1;
	}
	/* Keep cancelling until the command ends: a cancel that arrives before the
	 * command runs, or between two checks, must not make the test flaky. */
	while (!atomic_load(&w.done) && waited < CANCEL_TIMEOUT_MS) {
		ptm_res res = 0xffffffff;

		sleep_ms(2);
		waited += 2;
		if (atomic_load(&w.done))
			break;
		if (ioctl(fd, PTM_CANCEL_TPM_CMD, &res) < 0) {
			printf("errno %s\n", errname(errno));
			return 1;       /* exit ends the worker too */
		}
		cancels++;
		if (res != 0 && first_bad == 0)
			first_bad = res;
	}
	if (!atomic_load(&w.done)) {
		printf("command-rc timeout\n");
		return 1;
	}
	pthread_join(thread, NULL);
	if (w.err) {
		printf("command-rc %s %s\n", w.step, errname(w.err));
		return 1;
	}
	printf("command-rc 0x%" PRIx32 "\n", resp_rc(w.resp, w.resp_len));
	printf("cancels %u\n", cancels);
	printf("cancel-result 0x%" PRIx32 "\n", first_bad);

	err = transact(fd, getrandom_cmd, sizeof(getrandom_cmd), resp, sizeof(resp),
		       &resp_len, &step);
	if (err) {
		printf("after-rc %s %s\n", step, errname(err));
		return 1;
	}
	printf("after-rc 0x%" PRIx32 "\n", resp_rc(resp, resp_len));
	return 0;
}

/* --- query-during-rsa-primary ------------------------------------------ */

struct reader {
	int fd;
	atomic_bool written, done;
	int err;
	uint8_t resp[4096];
	ssize_t resp_len;
};

/* The command, then a plain blocking read: no poll first. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;

	if (write(r->fd, rsa_primary_cmd, sizeof(rsa_primary_cmd)) < 0) {
		r->err = errno;
	} else {
		atomic_store(&r->written, true);
		r->resp_len = read(r->fd, r->resp, sizeof(r->resp));
		if (r->resp_len < 0)
			r->err = errno;
	}
	atomic_store(&r->written, true);
	atomic_store(&r->done, true);
	return NULL;
}

static int query_during_rsa_primary(int fd)
{
	static struct reader r;
	pthread_t thread;
	unsigned answered = 0;
	long waited = 0;

	r.fd = fd;
	if (pthread_create(&thread, NULL, reader_main, &r) != 0) {
		fprintf(stderr, "ptmctl: pthread_create failed\n");
		return 1;
	}
	while (!atomic_load(&r.written))
		sleep_ms(1);
	/* Ask the capabilities every millisecond while the reader waits. */
	while (!atomic_load(&r.done) && waited < CANCEL_TIMEOUT_MS) {
		ptm_cap cap = 0;

		if (ioctl(fd, PTM_GET_CAPABILITY, &cap) < 0) {
			printf("errno %s\n", errname(errno));
			return 1;
		}
		if (!atomic_load(&r.done) && cap != 0)
			answered++;
		sleep_ms(1);
		waited++;
	}
	if (!atomic_load(&r.done)) {
		printf("command-rc timeout\n");
		return 1;
	}
	pthread_join(thread, NULL);
	if (r.err) {
		printf("command-rc %s\n", errname(r.err));
		return 1;
	}
	printf("command-rc 0x%" PRIx32 "\n", resp_rc(r.resp, r.resp_len));
	printf("answered-while-running %u\n", answered);
	return 0;
}

/* --- sweep ---------------------------------------------------------------- */

/* One line for one request: its result code at OFFSET of the answer, or the
 * errno of the ioctl. */
static void sweep_one(int fd, const char *name, unsigned long req, void *arg, size_t offset)
{
	ptm_res res;

	if (ioctl(fd, req, arg) < 0) {
		printf("%s errno %s\n", name, errname(errno));
		return;
	}
	memcpy(&res, (uint8_t *)arg + offset, sizeof(res));
	printf("%s result 0x%" PRIx32 "\n", name, res);
}

/* What a client of a node could try: every request swtpm defines. */
static int sweep(int fd)
{
	static union {
		ptm_cap cap;
		ptm_res res;
		struct ptm_init init;
		struct ptm_est est;
		struct ptm_reset_est re;
		struct ptm_loc loc;
		struct ptm_hdata hd;
		struct ptm_getconfig gc;
		struct ptm_setbuffersize sb;
		struct ptm_getinfo gi;
		struct ptm_lockstorage ls;
		struct ptm_getstate gs;
		struct ptm_setstate ss;
	} a;

#define CLEAR() memset(&a, 0, sizeof(a))
	CLEAR();
	if (ioctl(fd, PTM_GET_CAPABILITY, &a.cap) < 0)
		printf("GET_CAPABILITY errno %s\n", errname(errno));
	else
		printf("GET_CAPABILITY caps 0x%" PRIx64 "\n", a.cap);
	CLEAR(); sweep_one(fd, "GET_CONFIG", PTM_GET_CONFIG, &a.gc, 0);
	CLEAR(); sweep_one(fd, "GET_TPMESTABLISHED", PTM_GET_TPMESTABLISHED, &a.est, 0);
	CLEAR(); a.gi.u.req.flags = 1;
	sweep_one(fd, "GET_INFO", PTM_GET_INFO, &a.gi, 0);
	CLEAR(); sweep_one(fd, "CANCEL_TPM_CMD", PTM_CANCEL_TPM_CMD, &a.res, 0);
	CLEAR(); a.loc.u.req.loc = 4;
	sweep_one(fd, "SET_LOCALITY", PTM_SET_LOCALITY, &a.loc, 0);
	CLEAR(); sweep_one(fd, "HASH_START", PTM_HASH_START, &a.res, 0);
	CLEAR(); a.hd.u.req.length = 1;
	sweep_one(fd, "HASH_DATA", PTM_HASH_DATA, &a.hd, 0);
	CLEAR(); sweep_one(fd, "HASH_END", PTM_HASH_END, &a.res, 0);
	CLEAR(); a.re.u.req.loc = 3;
	sweep_one(fd, "RESET_TPMESTABLISHED", PTM_RESET_TPMESTABLISHED, &a.re, 0);
	CLEAR(); sweep_one(fd, "STORE_VOLATILE", PTM_STORE_VOLATILE, &a.res, 0);
	CLEAR(); sweep_one(fd, "SET_BUFFERSIZE", PTM_SET_BUFFERSIZE, &a.sb, 0);
	CLEAR(); sweep_one(fd, "LOCK_STORAGE", PTM_LOCK_STORAGE, &a.ls, 0);
	CLEAR(); a.gs.u.req.type = PTM_BLOB_TYPE_PERMANENT;
	a.gs.u.req.state_flags = PTM_STATE_FLAG_DECRYPTED;
	sweep_one(fd, "GET_STATEBLOB_DECRYPTED", PTM_GET_STATEBLOB, &a.gs, 0);
	CLEAR(); a.gs.u.req.type = PTM_BLOB_TYPE_PERMANENT;
	sweep_one(fd, "GET_STATEBLOB", PTM_GET_STATEBLOB, &a.gs, 0);
	CLEAR(); a.ss.u.req.type = PTM_BLOB_TYPE_VOLATILE;
	sweep_one(fd, "SET_STATEBLOB", PTM_SET_STATEBLOB, &a.ss, 0);
	CLEAR(); sweep_one(fd, "SET_DATAFD", PTM_SET_DATAFD, &a.res, 0);
	CLEAR(); sweep_one(fd, "INIT", PTM_INIT, &a.init, 0);
	CLEAR(); sweep_one(fd, "STOP", PTM_STOP, &a.res, 0);
	CLEAR(); sweep_one(fd, "SHUTDOWN", PTM_SHUTDOWN, &a.res, 0);
#undef CLEAR
	return 0;
}

/* ------------------------------------------------------------------------ */

static int bad_usage(void)
{
	usage(stderr);
	return 2;
}

static int need_args(int argc, int n)
{
	return argc == n ? 0 : bad_usage();
}

int main(int argc, char **argv)
{
	static const struct { const char *name; unsigned long req; } simple[] = {
		{ "stop", PTM_STOP }, { "shutdown", PTM_SHUTDOWN },
		{ "hash-start", PTM_HASH_START }, { "hash-end", PTM_HASH_END },
		{ "cancel", PTM_CANCEL_TPM_CMD }, { "store-volatile", PTM_STORE_VOLATILE },
		{ "set-datafd", PTM_SET_DATAFD },
	};
	const char *cmd;
	uint32_t a = 0, b = 0;
	uint64_t u64 = 0;
	int fd, rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	cmd = argv[2];

	/* Validate arguments before opening the device. */
	if (!strcmp(cmd, "init")) {
		if (argc > 4 || (argc == 4 && !parse_u32(argv[3], &a)))
			return bad_usage();
	} else if (!strcmp(cmd, "reset-est") || !strcmp(cmd, "locality") ||
		   !strcmp(cmd, "hash-data") || !strcmp(cmd, "buffersize") ||
		   !strcmp(cmd, "lock-storage")) {
		if ((rc = need_args(argc, 4)))
			return rc;
		if (!parse_u32(argv[3], &a))
			return bad_usage();
	} else if (!strcmp(cmd, "info")) {
		if (argc < 4 || argc > 5 || !parse_u64(argv[3], &u64) ||
		    (argc == 5 && !parse_u32(argv[4], &b)))
			return bad_usage();
	} else if (!strcmp(cmd, "get-state")) {
		if (argc != 5 && (argc != 6 || strcmp(argv[5], "encrypted")))
			return bad_usage();
		if (!parse_u32(argv[3], &a))
			return bad_usage();
	} else if (!strcmp(cmd, "set-state")) {
		if ((rc = need_args(argc, 5)))
			return rc;
		if (!parse_u32(argv[3], &a))
			return bad_usage();
	} else if (!strcmp(cmd, "raw")) {
		if ((rc = need_args(argc, 4)))
			return rc;
		if (!parse_u64(argv[3], &u64) || u64 > UINT32_MAX)
			return bad_usage();
	} else if ((rc = need_args(argc, 3))) {
		return rc;
	}

	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "ptmctl: open %s: %s\n", argv[1], errname(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (!strcmp(cmd, simple[i].name))
			return simple_request(fd, simple[i].req);

	if (!strcmp(cmd, "caps")) {
		ptm_cap cap = 0;
		if (xioctl(fd, PTM_GET_CAPABILITY, &cap))
			return 1;
		printf("caps 0x%" PRIx64 "\n", cap);
	} else if (!strcmp(cmd, "init")) {
		struct ptm_init init = { .u.req.init_flags = a };
		if (xioctl(fd, PTM_INIT, &init))
			return 1;
		printf("result 0x%" PRIx32 "\n", init.u.resp.tpm_result);
	} else if (!strcmp(cmd, "est")) {
		struct ptm_est est;
		memset(&est, 0xff, sizeof(est));
		if (xioctl(fd, PTM_GET_TPMESTABLISHED, &est))
			return 1;
		printf("result 0x%" PRIx32 " bit %u\n", est.u.resp.tpm_result, est.u.resp.bit);
	} else if (!strcmp(cmd, "reset-est")) {
		struct ptm_reset_est re = { .u.req.loc = (uint8_t)a };
		if (a > 255)
			return bad_usage();
		if (xioctl(fd, PTM_RESET_TPMESTABLISHED, &re))
			return 1;
		printf("result 0x%" PRIx32 "\n", re.u.resp.tpm_result);
	} else if (!strcmp(cmd, "locality")) {
		struct ptm_loc loc = { .u.req.loc = (uint8_t)a };
		if (a > 255)
			return bad_usage();
		if (xioctl(fd, PTM_SET_LOCALITY, &loc))
			return 1;
		printf("result 0x%" PRIx32 "\n", loc.u.resp.tpm_result);
	} else if (!strcmp(cmd, "hash-data")) {
		static struct ptm_hdata hd;
		hd.u.req.length = a;
		memset(hd.u.req.data, 'x', sizeof(hd.u.req.data));
		if (xioctl(fd, PTM_HASH_DATA, &hd))
			return 1;
		printf("result 0x%" PRIx32 "\n", hd.u.resp.tpm_result);
	} else if (!strcmp(cmd, "config")) {
		struct ptm_getconfig gc;
		memset(&gc, 0xff, sizeof(gc));
		if (xioctl(fd, PTM_GET_CONFIG, &gc))
			return 1;
		printf("result 0x%" PRIx32 " flags 0x%" PRIx32 "\n",
		       gc.u.resp.tpm_result, gc.u.resp.flags);
	} else if (!strcmp(cmd, "buffersize")) {
		struct ptm_setbuffersize sb = { .u.req.buffersize = a };
		if (xioctl(fd, PTM_SET_BUFFERSIZE, &sb))
			return 1;
		printf("result 0x%" PRIx32 " buffersize %" PRIu32 " min %" PRIu32 " max %" PRIu32 "\n",
		       sb.u.resp.tpm_result, sb.u.resp.buffersize, sb.u.resp.minsize,
		       sb.u.resp.maxsize);
	} else if (!strcmp(cmd, "info")) {
		static struct ptm_getinfo gi;
		gi.u.req.flags = u64;
		gi.u.req.offset = b;
		gi.u.req.pad = 0;
		if (xioctl(fd, PTM_GET_INFO, &gi))
			return 1;
		printf("result 0x%" PRIx32 " totlength %" PRIu32 " length %" PRIu32 "\n",
		       gi.u.resp.tpm_result, gi.u.resp.totlength, gi.u.resp.length);
	} else if (!strcmp(cmd, "lock-storage")) {
		struct ptm_lockstorage ls = { .u.req.retries = a };
		if (xioctl(fd, PTM_LOCK_STORAGE, &ls))
			return 1;
		printf("result 0x%" PRIx32 "\n", ls.u.resp.tpm_result);
	} else if (!strcmp(cmd, "get-state")) {
		return get_state(fd, a, argv[4], argc == 6 ? 0 : PTM_STATE_FLAG_DECRYPTED);
	} else if (!strcmp(cmd, "sweep")) {
		return sweep(fd);
	} else if (!strcmp(cmd, "set-state")) {
		return set_state(fd, a, argv[4]);
	} else if (!strcmp(cmd, "raw")) {
		static uint8_t buf[16384];
		if (xioctl(fd, (unsigned long)u64, buf))
			return 1;
		printf("ioctl ok\n");
	} else if (!strcmp(cmd, "cancel-rsa-primary")) {
		return cancel_rsa_primary(fd);
	} else if (!strcmp(cmd, "query-during-rsa-primary")) {
		return query_during_rsa_primary(fd);
	} else {
		fprintf(stderr, "ptmctl: unknown request '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	return 0;
}
