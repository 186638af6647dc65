/* SPDX-License-Identifier: BSD-3-Clause */
/* migration.c - state blobs out of a running TPM and back, by ioctl chunks
 * and by read()/write(), timed (see bench.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "devctl.h"
#include "report.h"
#include "tpm_cmds.h"
#include "vtpm/ioctl.h"

static int migrate_once(int fd, bool by_rw, double *get_ms, double *set_ms,
			uint32_t *perm_len, uint32_t *vol_len)
{
	struct blob b[2] = { { .type = PTM_BLOB_TYPE_PERMANENT },
			     { .type = PTM_BLOB_TYPE_VOLATILE } };
	uint8_t cmd[CMD_MAX], resp[RESP_MAX];
	uint64_t t0;
	ssize_t n;
	int i, ret = 0;

	t0 = now_ns();
	for (i = 0; i < 2 && ret == 0; i++)
		ret = blob_get(fd, &b[i], by_rw);
	*get_ms = (double)(now_ns() - t0) / 1e6;
	if (ret == 0)
		ret = ptm_stop(fd);
	t0 = now_ns();
	for (i = 0; i < 2 && ret == 0; i++)
		ret = blob_set(fd, &b[i], by_rw);
	if (ret == 0)
		ret = ptm_init(fd);
	*set_ms = (double)(now_ns() - t0) / 1e6;
	*perm_len = b[0].len;
	*vol_len = b[1].len;
	blob_free(&b[0]);
	blob_free(&b[1]);
	if (ret < 0) {
		progress("migration (%s): %s", by_rw ? "read/write" : "ioctl chunks",
			 strerror(-ret));
		return ret;
	}
	/* The restored TPM must carry on where it was: no Startup needed. */
	n = fd_transact(&fd, cmd, cmd_getrandom(cmd, 8), resp, sizeof(resp));
	if (n < 0 || resp_rc(resp, (size_t)n) != 0) {
		progress("after migration the TPM answered 0x%x", n < 0 ? 0 : resp_rc(resp, (size_t)n));
		return -EPROTO;
	}
	return 0;
}

int measure_migration(int fd)
{
	double get[2][32], set[2][32];
	uint32_t perm = 0, vol = 0;
	size_t i, n = cnt.migrate > 32 ? 32 : cnt.migrate;
	int m, ret;

	progress("state migration: %zu rounds per method", n);
	for (i = 0; i < n; i++)
		for (m = 0; m < 2; m++)
			if ((ret = migrate_once(fd, m, &get[m][i], &set[m][i], &perm, &vol)) < 0)
				return ret;
	report_heading("State migration (ms, median)");
	report_table("method | GET_STATEBLOB permanent + volatile | "
		     "SET_STATEBLOB permanent + volatile + INIT | rounds");
	report_row("ioctl chunks (3 KiB) | %.2f | %.2f | %zu", median(get[0], n),
		   median(set[0], n), n);
	report_row("first ioctl, then read() / write() | %.2f | %.2f | %zu",
		   median(get[1], n), median(set[1], n), n);
	report_note("Blobs: permanent %u bytes, volatile %u bytes (TPM 2.0 has no "
		    "savestate blob). After each SET + INIT the TPM answers a command "
		    "without a new Startup.", perm, vol);
	return 0;
}
