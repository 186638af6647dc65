/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap.c - pcapng writer for TPM traffic (see pcap.h).
 *
 * pcapng blocks used: Section Header (one per recording, so appending to an
 * old file starts a new section), Interface Description (Ethernet), and one
 * Enhanced Packet per TCP segment. All fields are in our own byte order, as
 * the format allows; the byte-order magic tells readers which.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem/bytes.h"
#include "os/io.h"
#include "os/log.h"
#include "vtpmd/pcap.h"

#define BLOCK_SHB 0x0a0d0d0au
#define BLOCK_IDB 0x00000001u
#define BLOCK_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define LINKTYPE_ETHERNET 1
#define OPT_ENDOFOPT 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2

#define ETH_LEN 14
#define IPV4_LEN 20
#define TCP_LEN 20
#define FRAME_HEADERS (ETH_LEN + IPV4_LEN + TCP_LEN)
/* Largest payload one IPv4 packet carries; TPM messages are far smaller. */
#define SEGMENT_MAX (65535 - IPV4_LEN - TCP_LEN)

#define TPM_PORT 2321
#define CLIENT_PORT 49152
#define TCP_PSH_ACK 0x18

struct pcap_writer {
	int fd;
	bool failed;
	uint32_t seq[2];        /* next sequence number: [0] client, [1] TPM */
	uint16_t ip_id;
};

struct endpoint {
	const uint8_t *mac;
	uint8_t ip[4];
	uint16_t port;
};

static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t tpm_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const struct endpoint endpoints[2] = {
	{ client_mac, { 127, 0, 0, 1 }, CLIENT_PORT },
	{ tpm_mac, { 127, 0, 0, 1 }, TPM_PORT },
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* The Internet checksum's running sum over LEN bytes (big-endian words). */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int write_all(struct pcap_writer *w, const uint8_t *buf, size_t len)
{
	int ret = io_write_full(w->fd, buf, len);

	if (ret < 0) {
		if (!w->failed)
			log_error("--pcap: write failed, recording stopped: %s",
				  strerror(-ret));
		w->failed = true;
	}
	return ret;
}

/* Append option CODE with LEN bytes of VALUE (padded) at P; returns bytes used. */
static size_t put_option(uint8_t *p, uint16_t code, const void *value, size_t len)
{
	put_u16(p, code);
	put_u16(p + 2, (uint16_t)len);
	memset(p + 4, 0, pad4(len));
	if (len)
		memcpy(p + 4, value, len);
	return 4 + pad4(len);
}

/* A block around BODY_LEN bytes already at BLOCK + 8; returns the total. */
static size_t close_block(uint8_t *block, uint32_t type, size_t body_len)
{
	size_t total = 8 + body_len + 4;

	put_u32(block, type);
	put_u32(block + 4, (uint32_t)total);
	put_u32(block + 8 + body_len, (uint32_t)total);
	return total;
}

static int write_headers(struct pcap_writer *w, const char *ifname)
{
	static const char appl[] = "vtpmd " VTPMD_VERSION;
	uint8_t block[512], *body = block + 8;
	size_t n = 0, name_len = strlen(ifname);
	int ret;

	if (name_len > 255)
		name_len = 255;
	/* Section Header: magic, version 1.0, section length unknown (-1). */
	put_u32(body, BYTE_ORDER_MAGIC);
	put_u16(body + 4, 1);
	put_u16(body + 6, 0);
	memset(body + 8, 0xff, 8);
	n = 16;
	n += put_option(body + n, OPT_SHB_USERAPPL, appl, strlen(appl));
	n += put_option(body + n, OPT_ENDOFOPT, NULL, 0);
	ret = write_all(w, block, close_block(block, BLOCK_SHB, n));
	if (ret < 0)
		return ret;

	/* Interface Description: Ethernet, no snap length limit. */
	put_u16(body, LINKTYPE_ETHERNET);
	put_u16(body + 2, 0);
	put_u32(body + 4, 0);
	n = 8;
	n += put_option(body + n, OPT_IF_NAME, ifname, name_len);
	n += put_option(body + n, OPT_ENDOFOPT, NULL, 0);
	return write_all(w, block, close_block(block, BLOCK_IDB, n));
}

/* Fill the Ethernet, IPv4 and TCP headers at F for LEN bytes of payload
 * (already at F + FRAME_HEADERS) sent by endpoint FROM. */
static void build_frame(struct pcap_writer *w, uint8_t *f, int from, size_t len)
{
	const struct endpoint *src = &endpoints[from], *dst = &endpoints[!from];
	uint8_t *ip = f + ETH_LEN, *tcp = ip + IPV4_LEN, pseudo[12];
	uint16_t tcp_len = (uint16_t)(TCP_LEN + len);
	uint32_t sum;

	memcpy(f, dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	put_be16(f + 12, 0x0800);

	ip[0] = 0x45;                      /* IPv4, 20-byte header */
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(IPV4_LEN + tcp_len));
	put_be16(ip + 4, w->ip_id++);
	put_be16(ip + 6, 0x4000);          /* don't fragment */
	ip[8] = 64;
	ip[9] = 6;                         /* TCP */
	put_be16(ip + 10, 0);
	memcpy(ip + 12, src->ip, 4);
	memcpy(ip + 16, dst->ip, 4);
	put_be16(ip + 10, fold16(sum16(0, ip, IPV4_LEN)));

	put_be16(tcp, src->port);
	put_be16(tcp + 2, dst->port);
	put_be32(tcp + 4, w->seq[from]);
	put_be32(tcp + 8, w->seq[!from]);
	tcp[12] = (TCP_LEN / 4) << 4;
	tcp[13] = TCP_PSH_ACK;
	put_be16(tcp + 14, 65535);         /* window */
	put_be16(tcp + 16, 0);
	put_be16(tcp + 18, 0);             /* urgent pointer */

	memcpy(pseudo, src->ip, 4);
	memcpy(pseudo + 4, dst->ip, 4);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put_be16(pseudo + 10, tcp_len);
	sum = sum16(0, pseudo, sizeof(pseudo));
	sum = sum16(sum, tcp, tcp_len);
	put_be16(tcp + 16, fold16(sum));

	w->seq[from] += (uint32_t)len;
}

/* One Enhanced Packet Block per TCP segment of DATA, sent by FROM. */
static int write_message(struct pcap_writer *w, int from, const uint8_t *data,
			 size_t len, uint64_t usec)
{
	uint8_t *block;
	int ret = 0;

	block = malloc(28 + pad4(FRAME_HEADERS + (len < SEGMENT_MAX ? len : SEGMENT_MAX)) + 4);
	if (!block)
		return -ENOMEM;
	do {
		size_t seg = len < SEGMENT_MAX ? len : SEGMENT_MAX;
		size_t frame_len = FRAME_HEADERS + seg;
		uint8_t *body = block + 8, *frame = body + 20;

		put_u32(body, 0);                       /* interface 0 */
		put_u32(body + 4, (uint32_t)(usec >> 32));
		put_u32(body + 8, (uint32_t)usec);
		put_u32(body + 12, (uint32_t)frame_len); /* captured */
		put_u32(body + 16, (uint32_t)frame_len); /* on the wire */
		memcpy(frame + FRAME_HEADERS, data, seg);
		build_frame(w, frame, from, seg);
		memset(frame + frame_len, 0, pad4(frame_len) - frame_len);
		ret = write_all(w, block, close_block(block, BLOCK_EPB, 20 + pad4(frame_len)));
		data += seg;
		len -= seg;
	} while (ret == 0 && len);
	free(block);
	return ret;
}

int pcap_write_exchange(struct pcap_writer *w, const uint8_t *cmd, size_t cmd_len,
			const uint8_t *resp, size_t resp_len)
{
	struct timespec ts;
	uint64_t usec;
	int ret;

	if (!w || w->failed)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	usec = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	ret = write_message(w, 0, cmd, cmd_len, usec);
	if (ret == 0)
		ret = write_message(w, 1, resp, resp_len, usec);
	return ret;
}

int pcap_open(struct pcap_writer **out, const char *path, int fd, bool truncate,
	      mode_t mode, const char *ifname)
{
	struct pcap_writer *w;
	int ret;

	*out = NULL;
	if (path) {
		/* It records every secret the TPM sees: a regular file of ours,
		 * never more open than MODE, whatever was there before. */
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
			  (truncate ? O_TRUNC : O_APPEND), mode);
		if (fd < 0)
			return errno == ENXIO ? -EINVAL : -errno;
		ret = io_private_file(fd, mode, false);
		if (ret == 0 && fcntl(fd, F_SETFL, truncate ? 0 : O_APPEND) < 0)
			ret = -errno;
		if (ret < 0) {
			close(fd);
			return ret;
		}
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		close(fd);
		return -ENOMEM;
	}
	w->fd = fd;
	/* Both directions start where a connection's first data would. */
	w->seq[0] = w->seq[1] = 1;
	ret = write_headers(w, ifname);
	if (ret < 0) {
		pcap_close(w);
		return ret;
	}
	*out = w;
	return 0;
}

void pcap_close(struct pcap_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
