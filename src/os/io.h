/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io.h - whole reads and writes on file descriptors, retried across EINTR
 * and short transfers, so callers see one result for the whole buffer; and
 * the checks on a file a daemon writes that must stay private.
 */
#ifndef VTPMD_IO_H
#define VTPMD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all LEN bytes of BUF. 0, or -errno (-EIO if write returns 0). */
int io_write_full(int fd, const void *buf, size_t len);

/* Read until LEN bytes or end of file: the number of bytes read, or -errno. */
ssize_t io_read_full(int fd, void *buf, size_t len);

/* The same at offset OFF, leaving the file offset alone (pwrite, pread). */
int io_pwrite_full(int fd, const void *buf, size_t len, off_t off);
ssize_t io_pread_full(int fd, void *buf, size_t len, off_t off);

/*
 * Read FD to its end into a malloc'ed *BUF (*LEN bytes; an empty input gives
 * a 1-byte buffer and *LEN 0). More than MAX bytes: -EFBIG. The buffer grows
 * by copying and every discarded copy is wiped (secret.h), since the input
 * may be a key. Returns 0 or -errno; on failure *BUF is NULL.
 */
int io_read_all(int fd, size_t max, uint8_t **buf, size_t *len);

/* mkdir -p: PATH with MODE, its missing parents with PARENT_MODE (the
 * umask applies). An existing directory is fine. 0 / -errno. */
int io_mkdir_p(const char *path, mode_t parent_mode, mode_t mode);

/*
 * A file just opened for writing that must stay private (a log, a TPM
 * recording), whatever state it was found in: a regular file (or, with
 * CHAR_OK, a character device such as /dev/null, left as it is), owned by
 * this process's effective uid, and open to nobody beyond MODE: permission
 * bits outside MODE are cleared. Returns 0; -EINVAL for any other kind of
 * file, -EPERM for another owner, or the -errno of fchmod.
 */
int io_private_file(int fd, mode_t mode, bool char_ok);

#endif
