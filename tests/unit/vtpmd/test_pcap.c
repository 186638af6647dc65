/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_pcap.c - the --pcap writer produces well-formed pcapng: block lengths
 * that chain, valid IPv4 and TCP checksums, ports that mark commands and
 * responses, sequence numbers that follow the bytes sent, payloads intact.
 * (tests/device/pcap.bats checks that tshark decodes a real recording.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtpmd/pcap.h"

static char dir[64];
static char path[128];

static const uint8_t cmd_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x7b, 0, 8 };
static const uint8_t rsp_getrandom8[] = {
	0x80, 0x01, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t rsp_odd[] = {     /* odd length: checksum padding */
	0x80, 0x01, 0, 0, 0, 0x0b, 0, 0, 1, 0x01, 0xff };

struct file {
	uint8_t *data;
	size_t len;
};

struct packet {
	const uint8_t *frame;
	size_t len;
};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pcap.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/out.pcapng", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static uint32_t u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

static struct file slurp(void)
{
	struct file f = { calloc(1, 1 << 20), 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_non_null(f.data);
	assert_true(fd >= 0);
	while ((n = read(fd, f.data + f.len, (1 << 20) - f.len)) > 0)
		f.len += (size_t)n;
	close(fd);
	return f;
}

/* Walk the blocks: every length is a multiple of 4 and repeated at the end.
 * Counts section headers and collects the packets. Returns the packet count. */
static size_t walk(const struct file *f, size_t *sections, struct packet *pkts, size_t max)
{
	size_t off = 0, n = 0;

	*sections = 0;
	while (off < f->len) {
		uint32_t type = u32(f->data + off), len = u32(f->data + off + 4);

		assert_true(len >= 12 && len % 4 == 0 && off + len <= f->len);
		assert_int_equal(u32(f->data + off + len - 4), len);
		if (type == 0x0a0d0d0a) {
			assert_int_equal(u32(f->data + off + 8), 0x1a2b3c4d);
			(*sections)++;
		} else if (type == 6) {
			uint32_t cap = u32(f->data + off + 20);

			assert_int_equal(cap, u32(f->data + off + 24));
			assert_true(28 + cap + 4 <= len);
			assert_true(n < max);
			pkts[n].frame = f->data + off + 28;
			pkts[n].len = cap;
			n++;
		} else {
			assert_int_equal(type, 1); /* interface description */
			assert_int_equal(u32(f->data + off + 8) & 0xffff, 1); /* Ethernet */
		}
		off += len;
	}
	assert_int_equal(off, f->len);
	return n;
}

static uint16_t checksum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Check one frame; returns its TCP sequence number. */
static uint32_t check_frame(const struct packet *p, bool from_client,
			    const uint8_t *payload, size_t len)
{
	const uint8_t *ip = p->frame + 14, *tcp = ip + 20;
	uint8_t pseudo[12];
	uint32_t sum;

	assert_int_equal(p->len, 14 + 20 + 20 + len);
	assert_int_equal(be16(p->frame + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(be16(ip + 2), 20 + 20 + len);
	assert_int_equal(ip[9], 6);
	assert_int_equal(checksum(0, ip, 20), 0xffff);

	assert_int_equal(be16(tcp + (from_client ? 2 : 0)), 2321);
	assert_true(be16(tcp + (from_client ? 0 : 2)) > 2321); /* client port */
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	pseudo[10] = (uint8_t)((20 + len) >> 8);
	pseudo[11] = (uint8_t)(20 + len);
	sum = checksum(0, pseudo, sizeof(pseudo));
	assert_int_equal(checksum(sum, tcp, 20 + len), 0xffff);
	assert_memory_equal(tcp + 20, payload, len);
	return be32(tcp + 4);
}

static void test_exchanges(void **state)
{
	struct pcap_writer *w;
	struct packet pkts[8];
	size_t sections, n;
	struct file f;
	const uint8_t *tcp;

	(void)state;
	assert_int_equal(pcap_open(&w, path, -1, true, 0600, "vtpm7"), 0);
	assert_int_equal(pcap_write_exchange(w, cmd_getrandom8, sizeof(cmd_getrandom8),
					     rsp_getrandom8, sizeof(rsp_getrandom8)), 0);
	assert_int_equal(pcap_write_exchange(w, cmd_getrandom8, sizeof(cmd_getrandom8),
					     rsp_odd, sizeof(rsp_odd)), 0);
	pcap_close(w);

	f = slurp();
	n = walk(&f, &sections, pkts, 8);
	assert_int_equal(sections, 1);
	assert_int_equal(n, 4);
	/* Each side's sequence advances by what it sent; acks follow the peer. */
	assert_int_equal(check_frame(&pkts[0], true, cmd_getrandom8, sizeof(cmd_getrandom8)), 1);
	assert_int_equal(check_frame(&pkts[1], false, rsp_getrandom8, sizeof(rsp_getrandom8)), 1);
	assert_int_equal(check_frame(&pkts[2], true, cmd_getrandom8, sizeof(cmd_getrandom8)),
			 1 + sizeof(cmd_getrandom8));
	assert_int_equal(check_frame(&pkts[3], false, rsp_odd, sizeof(rsp_odd)),
			 1 + sizeof(rsp_getrandom8));
	tcp = pkts[3].frame + 34;
	assert_int_equal(be32(tcp + 8), 1 + 2 * sizeof(cmd_getrandom8));
	free(f.data);
}

static void test_mode_append_truncate(void **state)
{
	struct pcap_writer *w;
	struct packet pkts[8];
	size_t sections;
	struct stat st;
	struct file f;

	(void)state;
	umask(0);
	assert_int_equal(pcap_open(&w, path, -1, false, 0604, "vtpm0"), 0);
	pcap_write_exchange(w, cmd_getrandom8, sizeof(cmd_getrandom8),
			    rsp_odd, sizeof(rsp_odd));
	pcap_close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0604);

	/* Appending starts a second section; truncating starts over. */
	assert_int_equal(pcap_open(&w, path, -1, false, 0600, "vtpm0"), 0);
	pcap_close(w);
	f = slurp();
	assert_int_equal(walk(&f, &sections, pkts, 8), 2);
	assert_int_equal(sections, 2);
	free(f.data);

	assert_int_equal(pcap_open(&w, path, -1, true, 0600, "vtpm0"), 0);
	pcap_close(w);
	f = slurp();
	assert_int_equal(walk(&f, &sections, pkts, 8), 0);
	assert_int_equal(sections, 1);
	free(f.data);
}

/* It records every secret the TPM sees: an existing file more open than
 * MODE loses the extra bits, and only a regular file of ours is taken. */
static void test_existing_file_made_private(void **state)
{
	struct pcap_writer *w = (void *)1;
	char fifo[160];
	struct stat st;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0664), 0);
	close(fd);
	assert_int_equal(pcap_open(&w, path, -1, false, 0640, "vtpm0"), 0);
	pcap_close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(pcap_open(&w, path, -1, true, 0600, "vtpm0"), 0);
	pcap_close(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	w = (void *)1;
	assert_int_equal(pcap_open(&w, fifo, -1, false, 0600, "vtpm0"), -EINVAL);
	assert_null(w);
	unlink(fifo);
	assert_int_equal(pcap_open(&w, "/dev/null", -1, false, 0600, "vtpm0"), -EINVAL);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(pcap_open(&w, path, -1, false, 0600, "vtpm0"), -EPERM);
	}
}

static void test_no_symlink(void **state)
{
	struct pcap_writer *w = (void *)1;
	char target[160];

	(void)state;
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_true(pcap_open(&w, path, -1, true, 0600, "vtpm0") < 0);
	assert_null(w);
	assert_int_equal(access(target, F_OK), -1);
}

static void test_write_error_is_contained(void **state)
{
	struct pcap_writer *w;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pcap_open(&w, NULL, fds[1], false, 0, "vtpm0"), 0);
	close(fds[0]);  /* the reader goes away: EPIPE from now on */
	signal(SIGPIPE, SIG_IGN);
	assert_true(pcap_write_exchange(w, cmd_getrandom8, sizeof(cmd_getrandom8),
					rsp_odd, sizeof(rsp_odd)) < 0);
	/* After the first failure the writer stays quiet. */
	assert_int_equal(pcap_write_exchange(w, cmd_getrandom8, sizeof(cmd_getrandom8),
					     rsp_odd, sizeof(rsp_odd)), 0);
	pcap_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exchanges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_append_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_file_made_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_is_contained, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
