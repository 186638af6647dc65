/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap.h - --pcap: TPM commands and responses recorded as a pcapng file.
 *
 * Each exchange becomes two synthetic Ethernet/IPv4/TCP frames on loopback:
 * the command from a client port to 2321, the response back. 2321 is the TPM
 * simulator's port, so Wireshark/tshark decode the payloads with their TPM 2.0
 * dissector without any configuration; sequence and acknowledgement numbers
 * and checksums are filled in as for a real connection.
 *
 * The writer does no locking: the caller serializes calls (the device model
 * does, with its lock). Functions return 0 or -errno; a write error is logged
 * once and ends the recording, never the daemon.
 */
#ifndef VTPMD_PCAP_H
#define VTPMD_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pcap_writer;

/*
 * Start a recording into PATH (created with MODE, appended to unless
 * TRUNCATE; never through a symlink; an existing file must be a regular
 * file of this process's user, else -EINVAL or -EPERM, and loses any
 * permission beyond MODE) or, with PATH NULL, into the open FD, which the
 * writer then owns. IFNAME names the capture interface (the device name).
 * Writes the section and interface headers. Sets *OUT.
 */
int pcap_open(struct pcap_writer **out, const char *path, int fd, bool truncate,
	      mode_t mode, const char *ifname);

/* Record one command of CMD_LEN bytes and its response of RESP_LEN bytes. */
int pcap_write_exchange(struct pcap_writer *w, const uint8_t *cmd, size_t cmd_len,
			const uint8_t *resp, size_t resp_len);

/* Close the file; NULL is fine. */
void pcap_close(struct pcap_writer *w);

#endif
