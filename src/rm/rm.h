/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rm.h - the resource manager behind /dev/vtpmrmN: the kernel's /dev/tpmrm0
 * semantics on the TPM of src/tpm, for any number of open files at once.
 *
 * Each open file is a space: the transient objects and sessions its client
 * made. Its client names objects by virtual handles (0x80FFFFFF downwards)
 * that only it can use; between its commands every session is saved, and
 * its objects (saved when made) are flushed before anyone else uses the
 * TPM, so the TPM's few slots serve everyone.
 * The command path of an open file follows the kernel's /dev/tpmrmN rules
 * (kernel-tpm-chardev.md): E2BIG, EINVAL, EBUSY while a response is unread,
 * reads continue at an offset.
 *
 * The resource manager talks to tpm/ only, under its one lock: commands of
 * the raw node and of every space are serialised there, and the resource
 * manager never touches an object or session it did not make for a space.
 *
 * Threads: every call may come from any thread. Lock order: a space's own
 * lock, then the TPM lock.
 *
 * Return values: byte counts or -errno for the file calls; 0 or -errno
 * elsewhere. A client's TPM errors travel inside responses, never as errno.
 */
#ifndef VTPMD_RM_H
#define VTPMD_RM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tpm/tpm.h"

#define RM_DEFAULT_OBJECTS   27  /* tpm2-abrmd's default per connection */
#define RM_DEFAULT_ABANDONED 16  /* tpm2-abrmd keeps 4: too few for a few
				  * tpm2-tools flows at once */

struct rm_options {
	unsigned max_objects;   /* per space; 0: RM_DEFAULT_OBJECTS */
	unsigned max_sessions;  /* per space; 0: as many as the TPM has active
				 * sessions, shared fairly between spaces */
	/*
	 * Sessions a client saved itself (TPM2_ContextSave) outlive its open
	 * file, up to this many overall, for another open file to load
	 * (tpm2-abrmd's session continuation); oldest flushed first.
	 * 0: RM_DEFAULT_ABANDONED; RM_NO_ABANDONED: none.
	 */
	unsigned max_abandoned;
	/*
	 * A session the resource manager saved is saved again (refreshed)
	 * once this many session contexts were saved after it, so that the
	 * TPM's context gap never stops anyone. 0: half the TPM's
	 * TPM_PT_CONTEXT_GAP_MAX. (Tests set it high to exercise the recovery
	 * from TPM_RC_CONTEXT_GAP itself.)
	 */
	uint64_t gap_refresh;
};
#define RM_NO_ABANDONED (~0u)

struct rm;
struct rm_space;

/* A resource manager on T (a TPM 2; -EOPNOTSUPP for a TPM 1.2), which
 * must outlive it. 0, -ENOMEM or -EOPNOTSUPP. */
int rm_new(struct rm **out, struct tpm *t, const struct rm_options *opt);
/* Every space must be released first; the sessions they left behind for
 * others are flushed. */
void rm_free(struct rm *rm);

/* An open file: a new, empty space. 0 or -ENOMEM. */
int rm_open(struct rm *rm, struct rm_space **out);
/* Close (or the client died): waits for its command, flushes every object
 * and session of the space from the TPM, frees it. */
void rm_release(struct rm_space *s);

/*
 * The kernel's command path on one open file. A write runs the command
 * before it returns (as a blocking write to /dev/tpmrm0 does): LEN, or
 * -E2BIG, -EINVAL (also, as the kernel's, for a command shorter than its
 * header and handle area, or naming a transient handle the file does not
 * own: no response then), -EBUSY (a response not read at all yet), -EIO,
 * -ENOMEM. A read returns what is left of the response (0: none pending).
 */
ssize_t rm_write(struct rm_space *s, const uint8_t *buf, size_t len);
ssize_t rm_read(struct rm_space *s, uint8_t *buf, size_t len);
/* POLLIN|POLLRDNORM while a response is pending, else POLLOUT|POLLWRNORM. */
unsigned rm_poll(struct rm_space *s);

#endif
