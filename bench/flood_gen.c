/*
 * flood_gen.c - the two captures of the new-flow micro-benchmark
 * (bench/flood_replay.sh): the same number of 64-byte TCP packets (60
 * captured, the FCS is not), the same number of flows in the table at any
 * time, and only one difference, whether a packet opens a flow.
 *
 * usage: flood_gen FILE new|same PACKETS [CONCURRENT=100000]
 *
 *   new:  every packet is a SYN of a new 5-tuple (the flood of #16 item 4,
 *         as pktsend sends it); replayed with --max-flows CONCURRENT, each
 *         one past the first CONCURRENT evicts the oldest.
 *   same: CONCURRENT flows, each opened by one SYN, then ACKs (no payload)
 *         of those flows round-robin: every packet is an existing flow's,
 *         and each lookup finds a flow the last CONCURRENT packets did not
 *         touch, as cold in the cache as a new flow's absent key is.
 *
 * Addresses are documentation ranges only: 198.51.100.(1 + f / 60000 % 254)
 * port 1024 + f % 60000 -> 192.0.2.1:5000, distinct for 15.2 M flows.
 * Packets 1 us apart (1 s per million): no flow reaches a timeout, so
 * what ends a flow is eviction (new) or the end of the input (both).
 * Deterministic: the same arguments write the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME 60   /* Ethernet 14 + IPv4 20 + TCP 20, padded to the minimum frame */

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);   /* the pcap header in host order: readers swap by the magic */
}

static void frame(uint8_t *b, uint32_t flow, uint8_t tcp_flags, uint32_t seq)
{
	memset(b, 0, FRAME);
	static const uint8_t mac[12] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 };
	memcpy(b, mac, 12);
	b[12] = 0x08;
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 198;
	ip[13] = 51;
	ip[14] = 100;
	ip[15] = (uint8_t)(1 + flow / 60000 % 254);
	ip[16] = 192;
	ip[17] = 0;
	ip[18] = 2;
	ip[19] = 1;
	uint8_t *t = ip + 20;
	uint16_t sport = (uint16_t)(1024 + flow % 60000);
	t[0] = (uint8_t)(sport >> 8);
	t[1] = (uint8_t)sport;
	t[2] = 5000 >> 8;
	t[3] = 5000 & 0xff;
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[12] = 5 << 4;
	t[13] = tcp_flags;
	t[14] = 0xfa;
	t[15] = 0xf0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[2], "new") != 0 && strcmp(argv[2], "same") != 0)) {
		fprintf(stderr, "usage: %s FILE new|same PACKETS [CONCURRENT=100000]\n", argv[0]);
		return 2;
	}
	int fresh = strcmp(argv[2], "new") == 0;
	uint64_t n = strtoull(argv[3], NULL, 10);
	uint32_t conc = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 100000;
	if (n == 0 || conc == 0 || n > 15000000) {
		fprintf(stderr, "flood_gen: PACKETS 1..15000000, CONCURRENT at least 1\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	put32(f, 0xa1b2c3d4);
	put32(f, 2 | 4u << 16);   /* version 2.4 */
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 1);              /* LINKTYPE_ETHERNET */
	uint8_t b[FRAME];
	for (uint64_t i = 0; i < n; i++) {
		uint32_t flow = fresh ? (uint32_t)i : (uint32_t)(i % conc);
		int first = fresh || i < conc;
		frame(b, flow, first ? 0x02 : 0x10, first ? 1000 : 1001);
		uint64_t us = 1700000000ull * 1000000 + i;
		put32(f, (uint32_t)(us / 1000000));
		put32(f, (uint32_t)(us % 1000000));
		put32(f, FRAME);
		put32(f, FRAME);
		fwrite(b, FRAME, 1, f);
	}
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
