/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_bios.h - "vtpmctl bios": what swtpm_bios --tpm2 does, i.e. what a
 * firmware does to a TPM 2 at power-on: TPM2_Startup, optionally a self-test,
 * optionally locking the platform hierarchy with a random password.
 */
#ifndef VTPMCTL_BIOS_H
#define VTPMCTL_BIOS_H

#include <stdbool.h>
#include <stdint.h>

/* Exit status when the device answered a command with an error code (the
 * value swtpm_bios uses). */
#define CTL_BIOS_TPM_ERROR 128

struct ctl_bios_args {
	const char *device;     /* --tpm-device, operand, $TPM_DEVICE, /dev/tpm0 */
	bool startup;           /* false with -n */
	uint16_t startup_type;  /* TPM2_SU_CLEAR (-c, default) or TPM2_SU_STATE (-s) */
	bool selftest;          /* -cs */
	bool lock_platform;     /* -u */
	bool help, version;
};

/* argv[0] is "bios". Returns 0, or -EINVAL after printing why. */
int ctl_bios_parse(int argc, char **argv, struct ctl_bios_args *args);

/* Run it; returns the exit status: 0, 1 (usage, device or I/O error) or
 * CTL_BIOS_TPM_ERROR. */
int ctl_bios_main(int argc, char **argv, const char *prog);

#endif
