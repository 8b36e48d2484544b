/*
 * gen_capture.c - writes the replay benchmark's capture, deterministically.
 *
 * usage: gen_capture OUT.pcap [FLOWS]   (default 250000 flows, ~2.2M packets)
 *
 * Flows are interleaved the way a busy link interleaves them: a window of
 * WINDOW concurrent flows advances one packet at a time in a pseudo-random
 * order (xorshift, fixed seed), so consecutive packets rarely hit the same
 * flow and the flow table sees realistic cache behaviour. Mix: 40% TCP/IPv4,
 * 20% TCP/IPv6, 30% UDP/IPv4 (DNS-like), 10% UDP/IPv6. TCP flows do a full
 * handshake, a request with an application payload (HTTP, TLS ClientHello
 * start, SSH banner, or random bytes), response data and FIN/FIN.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 20000          /* concurrent flows */
#define TCP_PKTS 9            /* SYN, SYN/ACK, ACK, req, ack, resp, resp, FIN, FIN */
#define UDP_PKTS 2            /* query, answer */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct gflow {
	uint32_t id;
	uint8_t kind;       /* 0 tcp4, 1 tcp6, 2 udp4, 3 udp6 */
	uint8_t step;
	uint8_t app;
	uint16_t cport, sport;
	uint32_t cseq, sseq;
};

static FILE *out;
static uint64_t ts_us = 1795600000ull * 1000000ull;
static uint64_t npkts;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static void write_pkt(const uint8_t *d, uint32_t len)
{
	uint32_t h[4] = { (uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000), len, len };
	fwrite(h, sizeof(h), 1, out);
	fwrite(d, 1, len, out);
	ts_us += 3;   /* ~330k packets per second of capture time */
	npkts++;
}

static const char *const apps[] = {
	"GET /index.html HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n",
	"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03",
	"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
	"\x8f\x1a\x33\x00\x41\x9c\xde\x10\x02\x77\x61\x19",
};

static void emit(struct gflow *f, bool toserver, uint8_t flags, uint32_t paylen, const char *pay,
		 size_t patlen)
{
	uint8_t b[1600];
	uint32_t off = 14, l4;
	bool v6 = f->kind & 1, tcp = f->kind < 2;
	uint32_t l4hdr = tcp ? 20 : 8;

	memset(b, 0, 14);
	b[0] = 0x02; b[6] = 0x02; b[11] = 1;
	put16(b + 12, v6 ? 0x86dd : 0x0800);
	if (!v6) {
		uint8_t *ip = b + off;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4hdr + paylen));
		put16(ip + 4, (uint16_t)f->id);
		ip[8] = 64;
		ip[9] = tcp ? 6 : 17;
		uint32_t c = 0xc6120000u | (f->id & 0xffff), s = 0xcb007100u | ((f->id >> 16) & 0xff);
		put32(ip + 12, toserver ? c : s);
		put32(ip + 16, toserver ? s : c);
		off += 20;
	} else {
		uint8_t *ip = b + off;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(l4hdr + paylen));
		ip[6] = tcp ? 6 : 17;
		ip[7] = 64;
		uint8_t *c = ip + (toserver ? 8 : 24), *s = ip + (toserver ? 24 : 8);
		c[0] = 0x20; c[1] = 0x01; c[2] = 0x0d; c[3] = 0xb8; put32(c + 12, f->id);
		s[0] = 0x20; s[1] = 0x01; s[2] = 0x0d; s[3] = 0xb8; s[5] = 1; put32(s + 12, f->id >> 12);
		off += 40;
	}
	l4 = off;
	put16(b + l4, toserver ? f->cport : f->sport);
	put16(b + l4 + 2, toserver ? f->sport : f->cport);
	if (tcp) {
		memset(b + l4 + 4, 0, 16);
		put32(b + l4 + 4, toserver ? f->cseq : f->sseq);
		put32(b + l4 + 8, toserver ? f->sseq : f->cseq);
		b[l4 + 12] = 0x50;
		b[l4 + 13] = flags;
		put16(b + l4 + 14, 64240);
		if (toserver) f->cseq += paylen; else f->sseq += paylen;
	} else {
		put16(b + l4 + 4, (uint16_t)(8 + paylen));
		put16(b + l4 + 6, 0);
	}
	off += l4hdr;
	for (uint32_t i = 0; i < paylen; i++)
		b[off + i] = pay ? (uint8_t)pay[i % patlen] : (uint8_t)(i * 7 + f->id);
	write_pkt(b, off + paylen);
}

static void init_flow(struct gflow *f, uint32_t id)
{
	uint64_t r = next_rand();
	unsigned m = (unsigned)(r % 10);
	f->id = id;
	f->kind = m < 4 ? 0 : m < 6 ? 1 : m < 9 ? 2 : 3;
	f->step = 0;
	f->app = (uint8_t)((r >> 8) % 4);
	f->cport = (uint16_t)(32768 + (r >> 16) % 28000);
	static const uint16_t tcp_ports[4] = { 80, 443, 22, 8443 };
	f->sport = f->kind < 2 ? tcp_ports[f->app] : 53;
	f->cseq = (uint32_t)(r >> 24);
	f->sseq = (uint32_t)(r >> 32);
}

/* Emit the next packet of f; returns false when the flow is complete. */
static bool step(struct gflow *f)
{
	static const char dnsq[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07" "example\x04test\x00\x00\x01\x00\x01";
	static const char dnsa[] = "\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x03www\x07" "example\x04test\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x01";
	if (f->kind >= 2) {
		if (f->step == 0)
			emit(f, true, 0, sizeof(dnsq) - 1, dnsq, sizeof(dnsq) - 1);
		else
			emit(f, false, 0, sizeof(dnsa) - 1, dnsa, sizeof(dnsa) - 1);
		return ++f->step < UDP_PKTS;
	}
	switch (f->step) {
	case 0: emit(f, true, 0x02, 0, NULL, 0); break;
	case 1: emit(f, false, 0x12, 0, NULL, 0); break;
	case 2: emit(f, true, 0x10, 0, NULL, 0); break;
	case 3: emit(f, true, 0x18, (uint32_t)strlen(apps[f->app]) + (f->app == 1 ? 180 : 0), apps[f->app],
		     strlen(apps[f->app])); break;
	case 4: emit(f, false, 0x10, 0, NULL, 0); break;
	case 5: emit(f, false, 0x18, 1200, NULL, 0); break;
	case 6: emit(f, false, 0x18, 300, NULL, 0); break;
	case 7: emit(f, true, 0x11, 0, NULL, 0); break;
	case 8: emit(f, false, 0x11, 0, NULL, 0); break;
	}
	return ++f->step < TCP_PKTS;
}

int main(int argc, char **argv)
{
	uint32_t nflows = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 250000;
	struct gflow *win = calloc(WINDOW, sizeof(*win));
	uint32_t started = 0, done = 0, live = 0;

	if (argc < 2 || !win) {
		fprintf(stderr, "usage: gen_capture OUT.pcap [FLOWS]\n");
		return 2;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		return 2;
	}
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1 };
	fwrite(gh, sizeof(gh), 1, out);
	for (uint32_t i = 0; i < WINDOW && started < nflows; i++, live++)
		init_flow(&win[i], started++);
	while (done < nflows) {
		uint32_t i = (uint32_t)(next_rand() % live);
		if (!step(&win[i])) {
			done++;
			if (started < nflows)
				init_flow(&win[i], started++);
			else
				win[i] = win[--live];
		}
	}
	fclose(out);
	fprintf(stderr, "%u flows, %llu packets\n", nflows, (unsigned long long)npkts);
	free(win);
	return 0;
}
