/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cdi_names.h - the Container Device Interface's rules for names, checked
 * before a spec is written, so that a runtime never meets a spec it drops.
 *
 * A device is asked for as KIND=NAME, KIND being VENDOR/CLASS:
 *   vendor  a letter, then letters, digits, '_', '-', '.', ending in a
 *           letter or digit (2-253 characters)
 *   class   a letter, then letters, digits, '_', '-', ending in a letter or
 *           digit (2-63 characters)
 *   name    a letter or digit, then letters, digits, '_', '-', '.', ':',
 *           ending in a letter or digit (at most 253 characters)
 * These are the checks of the CDI library Debian 12's podman 4.3 carries
 * (its spec version 0.5.0). Vendor and class are held to two characters or
 * more: that library's checks mishandle a one-character vendor or class.
 *
 * Each function returns 0, or -EINVAL with one line in ERR saying why.
 */
#ifndef VTPMD_CDI_NAMES_H
#define VTPMD_CDI_NAMES_H

#include <stddef.h>

#define CDI_KIND_DEFAULT "vtpmd.io/tpm"
#define CDI_PATH_DEFAULT "/dev/tpm0"
#define CDI_PATHRM_DEFAULT "/dev/tpmrm0"
#define CDI_DIR_DEFAULT  "/var/run/cdi"
#define CDI_VERSION      "0.5.0"

int cdi_check_kind(const char *kind, char *err, size_t errlen);
int cdi_check_device_name(const char *name, char *err, size_t errlen);
/* A device node's path in the container: absolute, no "." or ".."
 * component, no empty component, at most 4095 bytes. */
int cdi_check_container_path(const char *path, char *err, size_t errlen);

/*
 * The name of the resource-managed node beside the device NAME, as vtpmd
 * makes it and vtpm-cdi's pool names it: the first "tpm" in NAME becomes
 * "tpmrm" (vtpm0 -> vtpmrm0, vtpm-slot3 -> vtpmrm-slot3); a NAME without
 * one gets "rm" at its end. Into OUT (LEN bytes): 0, or -ENAMETOOLONG.
 */
int cdi_rm_devname(const char *name, char *out, size_t len);
/* Its device number beside the device's MINOR, as the kernel numbers
 * tpmrmN beside tpmN: the same major, MINOR + CDI_RM_MINOR_OFFSET. */
#define CDI_RM_MINOR_OFFSET 65536u

#endif
