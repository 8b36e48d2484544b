/*
 * gen_unshaped.c - a replay benchmark capture not shaped for wirewho,
 * deterministically (xorshift from SEED).
 *
 * usage: gen_unshaped OUT.pcap [FLOWS [CONCURRENT [SEED]]]
 *        (defaults 200000 flows, 50000 at once, seed 1)
 *
 * bench/gen_capture.c's profiles have fixed packet sizes and flows of a few
 * fixed shapes; the replay ratio measured on them was not the one a
 * differently shaped capture gave (issue 16: 1.73M packets, 50,000 flows at
 * once, random payload sizes: 2.6x the floor). This one varies what the
 * other fixes, each flow drawing its own shape:
 *   - CONCURRENT flows open at any time (a window that refills as flows
 *     end), the next packet from a random one of them: consecutive packets
 *     almost never share a flow;
 *   - short flows (DNS and NTP-sized UDP exchanges, SYN scans answered by a
 *     RST, one-request HTTP) mixed with long ones (TLS and HTTP transfers
 *     of a heavy-tailed number of segments, interactive SSH of many small
 *     packets), ~45% of flows short;
 *   - payload sizes drawn uniformly (1..1448 bytes for bulk data, 1..200
 *     for interactive packets), request paths and server names of random
 *     length;
 *   - the classifier's protocols by their first payload: HTTP, TLS (a
 *     ClientHello with SNI), SSH, DNS, and opaque TCP and UDP on unassigned
 *     ports; IPv4 and IPv6.
 * Addresses are documentation ones: clients 198.51.100.0/24 and
 * 2001:db8:1::/48, servers 192.0.2.0/24 and 2001:db8:2::/48; a flow is
 * told apart by its client port and addresses. Packets are 10 us apart.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAY   1448
#define SNAP      65535

enum kind { K_DNS, K_UDP_OPAQUE, K_SCAN, K_HTTP_SHORT, K_HTTP, K_TLS, K_SSH, K_TCP_OPAQUE };

struct gflow {
	uint32_t id;
	uint8_t kind, v6, step;
	uint16_t cport, sport;
	uint32_t cseq, sseq;
	uint32_t left;      /* data packets still to send */
};

static uint64_t rng;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static uint32_t below(uint32_t n) { return (uint32_t)(next_rand() % n); }

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
	ts_us += 10;
	npkts++;
}

/* A heavy-tailed segment count: geometric with mean ~mean, capped. */
static uint32_t heavy(uint32_t mean, uint32_t cap)
{
	uint32_t n = 1;
	while (n < cap && below(mean) != 0)
		n++;
	return n;
}

/* A name of random length under example.test, into b; returns its length. */
static size_t rand_name(char *b)
{
	size_t n = 1 + below(40);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + below(26));
	memcpy(b + n, ".example.test", 13);
	return n + 13;
}

static size_t http_get(uint8_t *b)
{
	char path[128], host[64];
	size_t pl = 1 + below(100), hl = rand_name(host);
	for (size_t i = 0; i < pl; i++)
		path[i] = (char)('a' + below(26));
	return (size_t)sprintf((char *)b, "GET /%.*s HTTP/1.1\r\nHost: %.*s\r\nAccept: */*\r\n\r\n",
			       (int)pl, path, (int)hl, host);
}

/* A TLS 1.3 ClientHello with an SNI of random length (RFC 8446 layout). */
static size_t client_hello(uint8_t *b)
{
	char sni[64];
	size_t sl = rand_name(sni), n = 0, e;
	uint8_t *ext;

	b[0] = 0x16; b[1] = 3; b[2] = 1;
	n = 5;
	b[n] = 1;
	n += 4;
	b[n++] = 3; b[n++] = 3;
	for (int i = 0; i < 32; i++)
		b[n++] = (uint8_t)next_rand();
	b[n++] = 0;
	put16(b + n, 4); put16(b + n + 2, 0x1301); put16(b + n + 4, 0x1302); n += 6;
	b[n++] = 1; b[n++] = 0;
	ext = b + n + 2;
	put16(ext, 0); put16(ext + 2, (uint16_t)(sl + 5)); put16(ext + 4, (uint16_t)(sl + 3));
	ext[6] = 0; put16(ext + 7, (uint16_t)sl);
	memcpy(ext + 9, sni, sl);
	e = 9 + sl;
	static const uint8_t sv[] = { 0, 43, 0, 3, 2, 3, 4 };
	memcpy(ext + e, sv, sizeof(sv));
	e += sizeof(sv);
	put16(b + n, (uint16_t)e);
	n += 2 + e;
	put16(b + 3, (uint16_t)(n - 5));
	b[6] = 0; put16(b + 7, (uint16_t)(n - 9));
	return n;
}

static size_t dns_query(uint8_t *b, bool answer)
{
	char name[64];
	size_t nl = rand_name(name), n = 12, lab = 0;
	memset(b, 0, 12);
	put16(b, (uint16_t)next_rand());
	b[2] = answer ? 0x81 : 0x01; b[3] = answer ? 0x80 : 0;
	put16(b + 4, 1);
	if (answer)
		put16(b + 6, 1);
	/* labels */
	for (size_t i = 0; i <= nl; i++) {
		if (i == nl || name[i] == '.') {
			b[n++] = (uint8_t)(i - lab);
			memcpy(b + n, name + lab, i - lab);
			n += i - lab;
			lab = i + 1;
		}
	}
	b[n++] = 0;
	put16(b + n, 1); put16(b + n + 2, 1); n += 4;
	if (answer) {
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1 };
		memcpy(b + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	return n;
}

static void emit(struct gflow *f, bool toserver, uint8_t flags, const uint8_t *pay, uint32_t paylen)
{
	uint8_t b[14 + 40 + 20 + MAX_PAY];
	uint32_t off = 14, l4;
	bool tcp = f->kind >= K_SCAN;
	uint32_t l4hdr = tcp ? 20 : 8;

	memset(b, 0, 14);
	b[0] = 0x02; b[6] = 0x02; b[11] = 1;
	put16(b + 12, f->v6 ? 0x86dd : 0x0800);
	if (!f->v6) {
		uint8_t *ip = b + off;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4hdr + paylen));
		put16(ip + 4, (uint16_t)f->id);
		ip[8] = 64;
		ip[9] = tcp ? 6 : 17;
		uint32_t c = 0xc6336400u | (f->id & 0xff), s = 0xc0000200u | ((f->id >> 8) & 0xff);
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
		c[0] = 0x20; c[1] = 0x01; c[2] = 0x0d; c[3] = 0xb8; c[5] = 1; put32(c + 12, f->id);
		s[0] = 0x20; s[1] = 0x01; s[2] = 0x0d; s[3] = 0xb8; s[5] = 2; put32(s + 12, f->id >> 10);
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
		uint32_t adv = paylen + ((flags & 0x03) ? 1 : 0);   /* SYN and FIN take a number */
		if (toserver) f->cseq += adv; else f->sseq += adv;
	} else {
		put16(b + l4 + 4, (uint16_t)(8 + paylen));
	}
	off += l4hdr;
	if (pay)
		memcpy(b + off, pay, paylen);
	else
		for (uint32_t i = 0; i < paylen; i++)
			b[off + i] = (uint8_t)(i * 7 + f->id);
	write_pkt(b, off + paylen);
}

static void init_flow(struct gflow *f, uint32_t id)
{
	static const uint8_t kinds[20] = { K_DNS, K_DNS, K_DNS, K_DNS, K_UDP_OPAQUE, K_SCAN, K_SCAN,
					   K_HTTP_SHORT, K_HTTP_SHORT, K_HTTP, K_HTTP, K_TLS, K_TLS,
					   K_TLS, K_TLS, K_TLS, K_SSH, K_SSH, K_TCP_OPAQUE, K_TCP_OPAQUE };
	static const uint16_t ports[] = { 53, 40000, 8080, 80, 80, 443, 22, 9000 };
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->kind = kinds[below(20)];
	f->v6 = below(10) < 3;
	/* Distinct 5-tuples: the id picks the client address and port. */
	f->cport = (uint16_t)(1024 + (id >> 8) % 64000);
	f->sport = ports[f->kind];
	f->cseq = (uint32_t)next_rand();
	f->sseq = (uint32_t)next_rand();
	switch (f->kind) {
	case K_UDP_OPAQUE: f->left = 1 + below(8); break;
	case K_HTTP: f->left = heavy(10, 500); break;
	case K_TLS: f->left = heavy(12, 1000); break;
	case K_SSH: f->left = heavy(20, 1000); break;
	case K_TCP_OPAQUE: f->left = heavy(4, 200); break;
	default: break;
	}
}

/* Emit f's next packet; false when the flow is over. */
static bool step(struct gflow *f)
{
	uint8_t p[MAX_PAY];
	size_t n;

	if (f->kind == K_DNS) {
		n = dns_query(p, f->step == 1);
		emit(f, f->step == 0, 0, p, (uint32_t)n);
		return ++f->step < 2;
	}
	if (f->kind == K_UDP_OPAQUE) {
		emit(f, below(2), 0, NULL, 1 + below(MAX_PAY));
		return --f->left > 0;
	}
	switch (f->step) {
	case 0: emit(f, true, 0x02, NULL, 0); f->step++; return true;
	case 1:
		if (f->kind == K_SCAN) {
			emit(f, false, 0x14, NULL, 0);   /* RST/ACK */
			return false;
		}
		emit(f, false, 0x12, NULL, 0); f->step++; return true;
	case 2: emit(f, true, 0x10, NULL, 0); f->step++; return true;
	case 3:
		switch (f->kind) {
		case K_HTTP_SHORT: case K_HTTP: n = http_get(p); break;
		case K_TLS: n = client_hello(p); break;
		case K_SSH: n = (size_t)sprintf((char *)p, "SSH-2.0-OpenSSH_9.%u\r\n", below(10)); break;
		default: n = 1 + below(300); for (size_t i = 0; i < n; i++) p[i] = (uint8_t)next_rand(); break;
		}
		emit(f, true, 0x18, p, (uint32_t)n);
		f->step++;
		if (f->kind == K_HTTP_SHORT)
			f->left = 1;
		return true;
	case 4:
		if (f->left > 0) {
			bool interactive = f->kind == K_SSH;
			bool toserver = interactive ? below(2) : below(3) == 0;   /* bulk: ACKs back */
			uint32_t len = interactive ? 1 + below(200) : toserver ? 0 : 1 + below(MAX_PAY);
			emit(f, toserver, len ? 0x18 : 0x10, NULL, len);
			f->left--;
			return true;
		}
		emit(f, true, 0x11, NULL, 0); f->step++; return true;
	case 5: emit(f, false, 0x11, NULL, 0); f->step++; return true;
	default: emit(f, true, 0x10, NULL, 0); return false;
	}
}

int main(int argc, char **argv)
{
	uint32_t nflows = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 200000;
	uint32_t window = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 50000;
	uint32_t started = 0, done = 0, live = 0;
	struct gflow *win;

	rng = 0x9e3779b97f4a7c15ull ^ (argc > 4 ? strtoull(argv[4], NULL, 10) : 1);
	if (argc < 2 || nflows == 0 || window == 0 || nflows > 16000000u) {
		fprintf(stderr, "usage: gen_unshaped OUT.pcap [FLOWS (<= 16000000) [CONCURRENT [SEED]]]\n");
		return 2;
	}
	win = calloc(window, sizeof(*win));
	out = fopen(argv[1], "wb");
	if (!win || !out) {
		perror(argv[1]);
		return 2;
	}
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, SNAP, 1 };
	fwrite(gh, sizeof(gh), 1, out);
	for (uint32_t i = 0; i < window && started < nflows; i++, live++)
		init_flow(&win[i], started++);
	while (done < nflows) {
		uint32_t i = below(live);
		if (!step(&win[i])) {
			done++;
			if (started < nflows)
				init_flow(&win[i], started++);
			else
				win[i] = win[--live];
		}
	}
	fclose(out);
	fprintf(stderr, "%u flows (%u at once), %llu packets\n", nflows, window, (unsigned long long)npkts);
	free(win);
	return 0;
}
