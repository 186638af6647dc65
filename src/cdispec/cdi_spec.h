/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cdi_spec.h - a Container Device Interface spec (version 0.5.0) for TPM
 * character devices, as JSON.
 *
 * Each device is one node, or two: the container sees PATH (character
 * device MAJOR:MINOR, FILE_MODE) and, if given, the resource-managed node
 * of the same TPM at RM_PATH (as Incus gives a container path and pathrm);
 * their cgroup allow rules are "rw", and the runtime
 * takes the numbers from the spec, so HOST_PATH need not exist when the
 * container is created (the pool's slots start their vtpmd from a hook).
 * Optional OCI hooks run with the device (createRuntime, poststop, ...).
 */
#ifndef VTPMD_CDI_SPEC_H
#define VTPMD_CDI_SPEC_H

#include <stddef.h>

/* The container's node: rw for its owner and group (0660), as the kernel's
 * tpmrm0; runtimes make it owned by the container's user. */
#define CDI_NODE_MODE 0660

struct cdi_hook {
	const char *hook_name;          /* createRuntime, poststop, ... */
	const char *path;               /* absolute, run by the runtime */
	const char *const *args;        /* argv, args[0] included */
	size_t nargs;
	const char *const *env;         /* NAME=VALUE */
	size_t nenv;
	unsigned timeout;               /* seconds; 0 = none given */
};

struct cdi_device {
	const char *name;               /* asked for as KIND=NAME */
	const char *path;               /* in the container, e.g. /dev/tpm0 */
	const char *host_path;          /* e.g. /dev/vtpm0 */
	unsigned major, minor;
	unsigned file_mode;             /* permission bits in the container; 0 = runtime's default */
	/* The resource-managed node beside it, e.g. /dev/tpmrm0 from
	 * /dev/vtpmrm0 (same file mode); none if RM_PATH is NULL. */
	const char *rm_path;
	const char *rm_host_path;
	unsigned rm_major, rm_minor;
	const struct cdi_hook *hooks;
	size_t nhooks;
};

/*
 * The spec for DEVS under KIND, indented JSON ending in a newline, in
 * *OUT (free() it) with its length in *LEN. Everything is checked first:
 * -EINVAL with one line in ERR for a name, path, hook or number the CDI
 * rules refuse or two devices of one name, -EILSEQ for a string that is not
 * UTF-8, -ENOMEM.
 */
int cdi_spec_format(const char *kind, const struct cdi_device *devs, size_t ndevs,
		    char **out, size_t *len, char *err, size_t errlen);

#endif
