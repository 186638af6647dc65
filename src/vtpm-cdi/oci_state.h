/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * oci_state.h - the container state an OCI runtime writes on a hook's
 * stdin ({"ociVersion", "id", "status", "pid", "bundle", "annotations"}),
 * parsed with json-c. Only what the hooks need is kept, and checked: the id
 * and the state name become file names.
 */
#ifndef VTPM_CDI_OCI_STATE_H
#define VTPM_CDI_OCI_STATE_H

#include <stddef.h>

/* Longer input than this is refused, not read to the end. */
#define OCI_STATE_MAX (1024 * 1024)
#define OCI_ID_MAX 255

struct oci_state {
	char id[OCI_ID_MAX + 1];
	char state_name[OCI_ID_MAX + 1]; /* the annotation vtpmd.io/state; "" if none */
	int pid;                /* the container's init, in the runtime's pid
				 * namespace; 0 if absent (or 0: poststop) */
};

/*
 * Parse BUF[0..LEN). The id must be 1-255 of letters, digits, '_', '+',
 * '-' and '.' (runc's rule) and not "." or ".."; the state name too; a
 * pid, if there, a whole number from 0 to INT_MAX. Returns
 * 0, or -EINVAL with one line in ERR.
 */
int oci_state_parse(const char *buf, size_t len, struct oci_state *st,
		    char *err, size_t errlen);

/* Read FD to its end (at most OCI_STATE_MAX bytes) and parse it. */
int oci_state_read(int fd, struct oci_state *st, char *err, size_t errlen);

/* The id rule above, for one string. */
int oci_id_valid(const char *s);

#endif
