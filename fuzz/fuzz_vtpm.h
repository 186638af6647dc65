/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_vtpm.h - one real device model (real libtpms, a temporary state
 * directory) shared by every input of a fuzz run, as one daemon serves
 * every client. Rebuilt when an input made it ask to exit (PTM_SHUTDOWN).
 */
#ifndef VTPMD_FUZZ_VTPM_H
#define VTPMD_FUZZ_VTPM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device/device.h"
#include "os/log.h"
#include "vtpm_options.h"

static struct vtpm fuzz_vtpm;
static char fuzz_dir[] = "/tmp/vtpmd-fuzz-XXXXXX";

/*
 * With startup-clear the start fails when an input left volatile state
 * behind (STORE_VOLATILE, then SHUTDOWN): libtpms resumes from it and
 * refuses a second Startup, as swtpm's would. Start without then.
 */
static inline void fuzz_vtpm_start(void)
{
	struct vtpm_options opt = test_vtpm_options(fuzz_dir, true, STARTUP_CLEAR, true);

	if (vtpm_init(&fuzz_vtpm, &opt) == 0) {
		if (vtpm_start(&fuzz_vtpm) == 0)
			return;
		vtpm_fini(&fuzz_vtpm);
	}
	opt.startup = STARTUP_NONE;
	if (vtpm_init(&fuzz_vtpm, &opt) < 0 || vtpm_start(&fuzz_vtpm) < 0) {
		fprintf(stderr, "fuzz: the TPM did not start\n");
		abort();
	}
}

/* At exit: the state directory goes (libtpms' files, the lock). */
static void fuzz_vtpm_cleanup(void)
{
	static const char *const names[] = {
		"tpm2-00.permall", "tpm2-00.volatilestate", "tpm2-00.savestate",
		"tpm2-00.permall.bak", "TMP2-00.permall", "TMP2-00.volatilestate",
		"TMP2-00.savestate", ".lock",
	};
	char path[sizeof(fuzz_dir) + 32];

	vtpm_fini(&fuzz_vtpm);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, names[i]);
		unlink(path);
	}
	rmdir(fuzz_dir);
}

/* Once per process: the state directory and the TPM. */
static inline void fuzz_vtpm_setup(void)
{
	char *dir = fuzz_dir;

	if (!getenv("FUZZ_LOG"))
		log_disable();  /* thousands of refused requests per second */
	if (!mkdtemp(dir)) {
		fprintf(stderr, "fuzz: cannot set up a state directory\n");
		abort();
	}
	fuzz_vtpm_start();
	atexit(fuzz_vtpm_cleanup);
}

/* After an input: bring the device back if the input ended it. */
static inline void fuzz_vtpm_recover(void)
{
	if (!vtpm_exit_requested(&fuzz_vtpm))
		return;
	vtpm_fini(&fuzz_vtpm);
	fuzz_vtpm_start();
}

/* Reading the input: a byte, a little-endian number, a slice. */
struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v = 0;

	if (in->left) {
		v = *in->p++;
		in->left--;
	}
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_input *in, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)fuzz_u8(in) << (8 * i);
	return v;
}

/* Up to WANT bytes of the input; *GOT says how many. */
static inline const uint8_t *fuzz_bytes(struct fuzz_input *in, size_t want, size_t *got)
{
	const uint8_t *p = in->p;

	*got = want < in->left ? want : in->left;
	in->p += *got;
	in->left -= *got;
	return p;
}

#endif
