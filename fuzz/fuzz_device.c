/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_device.c - the device model as the CUSE layer drives it: each input
 * is a program of operations on one open file (ioctls with any code and
 * size the CUSE layer would pass on, writes of raw bytes or of well-framed
 * TPM commands that reach libtpms, reads of any size, polls, close and
 * reopen), run against a real libtpms with a real state directory.
 *
 * Operation bytes (the low 3 bits pick):
 *   0 ioctl, known code   [index] [arg bytes...]
 *   1 ioctl, any code     [code:4] [arg bytes...]
 *   2 write raw           [len:2] [bytes]
 *   3 write framed        [len:1] [body]     (header size = real size)
 *   4 read                [len:2]
 *   5 poll
 *   6 release and open
 *   7 read everything pending
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <tss2/tss2_tpm2_types.h>

#include "fuzz_vtpm.h"
#include "mem/bytes.h"
#include "vtpm/ioctl.h"

static const unsigned int known_codes[] = {
	PTM_GET_CAPABILITY, PTM_INIT, PTM_SHUTDOWN, PTM_GET_TPMESTABLISHED,
	PTM_SET_LOCALITY, PTM_HASH_START, PTM_HASH_DATA, PTM_HASH_END,
	PTM_CANCEL_TPM_CMD, PTM_STORE_VOLATILE, PTM_RESET_TPMESTABLISHED,
	PTM_GET_STATEBLOB, PTM_SET_STATEBLOB, PTM_STOP, PTM_GET_CONFIG,
	PTM_SET_DATAFD, PTM_SET_BUFFERSIZE, PTM_GET_INFO, PTM_LOCK_STORAGE,
};

static uint8_t ioctl_arg[64 * 1024];
static uint8_t io_buf[16 * 1024];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_vtpm_setup();
	if (vtpm_ioctl_max_size() > sizeof(ioctl_arg))
		abort();
	return 0;
}

/* What cuse_dev does: sizes from the code, the rest of ARG zeroed. */
static void do_ioctl(struct fuzz_input *in, unsigned int cmd)
{
	size_t size = _IOC_SIZE(cmd), got = 0, out_len = 0;
	const uint8_t *p;

	if (size > vtpm_ioctl_max_size())
		return;         /* refused by the CUSE layer before the model */
	memset(ioctl_arg, 0, vtpm_ioctl_max_size());
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		p = fuzz_bytes(in, size, &got);
		memcpy(ioctl_arg, p, got);
	}
	vtpm_ioctl(&fuzz_vtpm, VTPM_DOOR_NODE, cmd, ioctl_arg, &out_len);
	if (out_len > vtpm_ioctl_max_size())
		abort();        /* the model claims more reply than its buffer */
}

static void write_framed(struct fuzz_input *in)
{
	size_t want = 10 + fuzz_u8(in), got;
	const uint8_t *body;

	put_be16(io_buf, TPM2_ST_NO_SESSIONS);
	put_be32(io_buf + 2, (uint32_t)want);
	body = fuzz_bytes(in, want - 6, &got);
	memcpy(io_buf + 6, body, got);
	memset(io_buf + 6 + got, 0, want - 6 - got);
	vtpm_write(&fuzz_vtpm, VTPM_DOOR_NODE, io_buf, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	ssize_t n;
	size_t len, got;
	const uint8_t *p;

	if (vtpm_open(&fuzz_vtpm, VTPM_DOOR_NODE) < 0)
		abort();        /* the last input did not release: a leak of the model */
	while (in.left && !vtpm_exit_requested(&fuzz_vtpm)) {
		switch (fuzz_u8(&in) & 7) {
		case 0:
			do_ioctl(&in, known_codes[fuzz_u8(&in) %
						  (sizeof(known_codes) / sizeof(known_codes[0]))]);
			break;
		case 1:
			do_ioctl(&in, fuzz_u32(&in, 4));
			break;
		case 2:
			len = fuzz_u32(&in, 2) % sizeof(io_buf);
			p = fuzz_bytes(&in, len, &got);
			memcpy(io_buf, p, got);
			vtpm_write(&fuzz_vtpm, VTPM_DOOR_NODE, io_buf, len);
			break;
		case 3:
			write_framed(&in);
			break;
		case 4:
			len = fuzz_u32(&in, 2) % sizeof(io_buf);
			n = vtpm_read(&fuzz_vtpm, VTPM_DOOR_NODE, io_buf, len);
			if (n > (ssize_t)len)
				abort();
			break;
		case 5:
			vtpm_poll(&fuzz_vtpm, VTPM_DOOR_NODE);
			break;
		case 6:
			vtpm_release(&fuzz_vtpm, VTPM_DOOR_NODE);
			if (vtpm_open(&fuzz_vtpm, VTPM_DOOR_NODE) < 0)
				abort();
			break;
		default:
			while (vtpm_read(&fuzz_vtpm, VTPM_DOOR_NODE, io_buf, sizeof(io_buf)) > 0)
				;
			break;
		}
	}
	vtpm_release(&fuzz_vtpm, VTPM_DOOR_NODE);
	fuzz_vtpm_recover();
	return 0;
}
