/*
 * pktsend.c - send synthetic UDP/IPv4 frames into an interface at a fixed
 * rate, over a PF_PACKET socket (bench_load.sh's traffic source).
 *
 * usage: pktsend IFACE PPS SECONDS NFLOWS [FIRST_FLOW [udp|syn [DST]]]
 *
 * Frame i belongs to flow (FIRST_FLOW + i % NFLOWS): flow f is
 * 198.51.100.(1 + f / 60000 % 254):(1024 + f % 60000) -> DST:5000 (DST
 * 192.0.2.1 unless given; documentation ranges only: the traffic stays on
 * the test's veth, and every address it names is one a test may use),
 * 60-byte frames (64 on the wire with the FCS): UDP with 18 payload bytes,
 * or (syn) a bare TCP SYN, the flood of #16 item 4; distinct for the first
 * 15.2 million flows. With NFLOWS at least the packet count, every packet
 * opens a new flow (a flood of new flows). Pacing: every millisecond, send
 * what the schedule says is due, in sendmmsg() batches; PPS 0 sends as fast
 * as it can (the sender's ceiling). Prints "sent N packets in S s (R pps)"
 * and the sender's own CPU time at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64          /* frames per sendmmsg: amortises the system call */
#define FRAME 60          /* minimum Ethernet frame without FCS */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static bool syn_mode;
static uint8_t dst_ip[4] = { 192, 0, 2, 1 };

static void build(uint8_t *f, uint32_t flow)
{
	static const uint8_t dst_mac[6] = { 0x02, 0, 0, 0, 0, 2 }, src_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	memset(f, 0, FRAME);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[3] = syn_mode ? 40 : 46;  /* 20 IP + 20 TCP, or 20 IP + 8 UDP + 18 payload */
	ip[8] = 64;
	ip[9] = syn_mode ? 6 : 17;
	ip[12] = 198;
	ip[13] = 51;
	ip[14] = 100;
	ip[15] = (uint8_t)(1 + flow / 60000 % 254);
	memcpy(ip + 16, dst_ip, 4);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	uint8_t *udp = ip + 20;
	uint16_t sport = (uint16_t)(1024 + flow % 60000);
	if (syn_mode) {   /* TCP: ports, sequence number, data offset 5, SYN, window */
		udp[0] = (uint8_t)(sport >> 8);
		udp[1] = (uint8_t)sport;
		udp[2] = 5000 >> 8;
		udp[3] = 5000 & 0xff;
		udp[4] = (uint8_t)(flow >> 24);
		udp[5] = (uint8_t)(flow >> 16);
		udp[6] = (uint8_t)(flow >> 8);
		udp[7] = (uint8_t)flow;
		udp[12] = 5 << 4;
		udp[13] = 0x02;
		udp[14] = 0xfa;
		udp[15] = 0xf0;
		return;   /* checksum left 0: nothing on the veth checks it */
	}
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = 5000 >> 8;
	udp[3] = 5000 & 0xff;
	udp[5] = 26;
	memcpy(udp + 8, "wirewho-load-test", 17);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s IFACE PPS SECONDS NFLOWS [FIRST_FLOW [udp|syn [DST]]]\n", argv[0]);
		return 2;
	}
	double pps = atof(argv[2]), secs = atof(argv[3]);
	uint32_t nflows = (uint32_t)strtoul(argv[4], NULL, 10), first = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0;
	syn_mode = argc > 6 && strcmp(argv[6], "syn") == 0;
	if (argc > 7 && inet_pton(AF_INET, argv[7], dst_ip) != 1) {
		fprintf(stderr, "not an IPv4 address: %s\n", argv[7]);
		return 2;
	}
	int s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(argv[1]), .sll_halen = 6 };
	if (!sll.sll_ifindex) {
		fprintf(stderr, "no interface %s\n", argv[1]);
		return 1;
	}
	int one = 1;
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	static uint8_t frames[BATCH][FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = FRAME;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	bool flat_out = pps <= 0;   /* the sender's ceiling: as fast as sendmmsg goes, for SECONDS */
	uint64_t sent = 0, total = flat_out ? UINT64_MAX : (uint64_t)(pps * secs);
	double t0 = now_s();
	while (sent < total) {
		double el = now_s() - t0;
		if (flat_out && el >= secs)
			break;
		uint64_t due = flat_out ? sent + BATCH : (uint64_t)(el * pps);
		if (due > total)
			due = total;
		if (due <= sent) {
			struct timespec ts = { 0, 200000 };   /* 0.2 ms */
			nanosleep(&ts, NULL);
			continue;
		}
		while (sent < due) {
			int n = (int)(due - sent < BATCH ? due - sent : BATCH);
			for (int i = 0; i < n; i++)
				build(frames[i], first + (uint32_t)((sent + (uint64_t)i) % nflows));
			int r = sendmmsg(s, msgs, (unsigned)n, 0);
			if (r <= 0)
				break;
			sent += (uint64_t)r;
		}
	}
	double el = now_s() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("sent %llu packets in %.2f s (%.0f pps) cpu %.2f s (%.0f%%)\n", (unsigned long long)sent, el,
	       (double)sent / el, cpu, 100 * cpu / el);
	return 0;
}
