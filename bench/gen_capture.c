/*
 * gen_capture.c - writes the replay benchmark's capture, deterministically.
 *
 * usage: gen_capture OUT.pcap [FLOWS [PROFILE [TUNNEL]]]
 *
 * PROFILE "small" (the default; 250000 flows are 1.55M packets of 232 bytes
 * on average) is the worst case for a flow monitor: few packets per flow,
 * tiny packets, so per-flow work dominates. PROFILE "web" is closer to a
 * real link: TCP responses of a geometric number of full-size segments
 * (mean 8, as web objects go) with an ACK every second segment, so flows
 * average ~14 packets and packets ~700 bytes.
 *
 * Flows are interleaved the way a busy link interleaves them: a window of
 * WINDOW concurrent flows advances one packet at a time in a pseudo-random
 * order (xorshift, fixed seed), so consecutive packets rarely hit the same
 * flow and the flow table sees realistic cache behaviour. Mix: 40% TCP/IPv4,
 * 20% TCP/IPv6, 30% UDP/IPv4 (DNS-like), 10% UDP/IPv6. TCP flows do a full
 * handshake, a request with an application payload (HTTP, TLS ClientHello
 * with SNI and ALPN, SSH banner, or an opaque private protocol on port 9000),
 * response data and FIN/FIN.
 *
 * TUNNEL "tunnel" wraps the same traffic, packet for packet, in overlays:
 * flows with an even id in VXLAN (outer Ethernet, IPv4, UDP to 4789 from a
 * source port hashed from the flow as Linux does, VNI id % 16), odd ones in
 * GRE (outer Ethernet and IPv4, a 4-byte GRE header, the inner IP packet),
 * between eight pairs of tunnel endpoints. Replaying it against the plain
 * file measures what decapsulation costs (issue 14: within 1.3x).
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
	uint8_t nseg;       /* web: response segments to send */
	uint8_t sent;       /* web: segments sent so far */
};

static bool web;        /* PROFILE "web" */
static bool tunnel;     /* TUNNEL "tunnel" */

static FILE *out;
static uint64_t ts_us = 1795600000ull * 1000000ull;
static uint64_t npkts;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static void write_pkt(const uint8_t *d, uint32_t len);

#define OUTER_HLEN (14 + 20)          /* outer Ethernet and IPv4 */
#define VXLAN_OVERHEAD (OUTER_HLEN + 8 + 8)
#define GRE_OVERHEAD (OUTER_HLEN + 4 - 14)   /* the inner frame loses its Ethernet header */

/* The frame `d` of flow `id`, in VXLAN (even ids) or GRE (odd ones). */
static void write_tunnelled(uint32_t id, bool toserver, const uint8_t *d, uint32_t len)
{
	uint8_t w[1700];
	bool vx = !(id & 1);
	uint32_t inner = vx ? len : len - 14;
	uint32_t ipl = 20 + (vx ? 8 + 8 : 4) + inner;
	uint32_t a = 0xc0000200u | (1 + (id & 7)), b = 0xc6336400u | (1 + (id & 7));   /* 192.0.2.x, 198.51.100.x */

	memset(w, 0, OUTER_HLEN);
	w[0] = 0x02; w[6] = 0x02; w[11] = 2;
	put16(w + 12, 0x0800);
	uint8_t *ip = w + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ipl);
	ip[8] = 64;
	ip[9] = vx ? 17 : 47;
	put32(ip + 12, toserver ? a : b);
	put32(ip + 16, toserver ? b : a);
	uint32_t off = OUTER_HLEN;
	if (vx) {
		put16(w + off, (uint16_t)(0xc000 | ((id * 2654435761u) >> 18)));
		put16(w + off + 2, 4789);
		put16(w + off + 4, (uint16_t)(8 + 8 + inner));
		put16(w + off + 6, 0);
		memset(w + off + 8, 0, 8);
		w[off + 8] = 0x08;
		put32(w + off + 12, (id % 16) << 8);
		off += 16;
		memcpy(w + off, d, len);
	} else {
		put16(w + off, 0);
		memcpy(w + off + 2, d + 12, 2);   /* the inner ethertype is GRE's protocol */
		off += 4;
		memcpy(w + off, d + 14, inner);
	}
	write_pkt(w, off + inner);
}

static void write_pkt(const uint8_t *d, uint32_t len)
{
	uint32_t h[4] = { (uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000), len, len };
	fwrite(h, sizeof(h), 1, out);
	fwrite(d, 1, len, out);
	ts_us += 10;  /* 100k packets per second: a busy gigabit link at ~700-byte packets */
	npkts++;
}

/* First payload of each application, built once in main(). */
struct app {
	const char *name;
	uint16_t port;
	uint8_t bytes[600];
	size_t len;
};
static struct app apps[4];

static size_t put_bytes(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return n;
}

/* A TLS 1.2/1.3 ClientHello with SNI and ALPN, as RFC 8446 lays it out. */
static size_t client_hello(uint8_t *b)
{
	static const char sni[] = "www.example.test";
	static const uint8_t alpn[] = { 0, 16, 0, 14, 0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	uint8_t ext[200];
	size_t e = 0, n = 0;
	size_t sl = sizeof(sni) - 1;

	/* server_name: type 0, list length, host_name(0), name */
	put16(ext + e, 0); put16(ext + e + 2, (uint16_t)(sl + 5)); put16(ext + e + 4, (uint16_t)(sl + 3));
	ext[e + 6] = 0; put16(ext + e + 7, (uint16_t)sl);
	e += 9 + put_bytes(ext + e + 9, sni, sl);
	e += put_bytes(ext + e, alpn, sizeof(alpn));
	/* supported_versions: TLS 1.3, 1.2 */
	static const uint8_t sv[] = { 0, 43, 0, 5, 4, 3, 4, 3, 3 };
	e += put_bytes(ext + e, sv, sizeof(sv));

	b[0] = 0x16; b[1] = 3; b[2] = 1;                 /* record: handshake, TLS 1.0 legacy */
	n = 5;
	b[n] = 1;                                        /* ClientHello */
	n += 4;
	b[n++] = 3; b[n++] = 3;                          /* legacy_version TLS 1.2 */
	for (int i = 0; i < 32; i++)
		b[n++] = (uint8_t)(i * 37 + 11);             /* random */
	b[n++] = 0;                                      /* session id */
	put16(b + n, 6); n += 2;                         /* cipher suites */
	put16(b + n, 0x1301); put16(b + n + 2, 0x1302); put16(b + n + 4, 0xc02f); n += 6;
	b[n++] = 1; b[n++] = 0;                          /* compression: null */
	put16(b + n, (uint16_t)e); n += 2;
	n += put_bytes(b + n, ext, e);
	put16(b + 3, (uint16_t)(n - 5));
	b[6] = 0; put16(b + 7, (uint16_t)(n - 9));
	return n;
}

static void init_apps(void)
{
	static const char get[] = "GET /index.html HTTP/1.1\r\nHost: www.example.test\r\n"
				  "User-Agent: bench/1.0\r\nAccept: */*\r\n\r\n";
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
	apps[0] = (struct app){ .name = "http", .port = 80 };
	apps[0].len = put_bytes(apps[0].bytes, get, sizeof(get) - 1);
	apps[1] = (struct app){ .name = "tls", .port = 443 };
	apps[1].len = client_hello(apps[1].bytes);
	apps[2] = (struct app){ .name = "ssh", .port = 22 };
	apps[2].len = put_bytes(apps[2].bytes, ssh, sizeof(ssh) - 1);
	apps[3] = (struct app){ .name = "opaque", .port = 9000 };   /* a private protocol */
	for (size_t i = 0; i < 64; i++)
		apps[3].bytes[i] = (uint8_t)(i * 151 + 7);
	apps[3].len = 64;
}

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
	if (tunnel)
		write_tunnelled(f->id, toserver, b, off + paylen);
	else
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
	f->sport = f->kind < 2 ? apps[f->app].port : 53;
	f->cseq = (uint32_t)(r >> 24);
	f->sseq = (uint32_t)(r >> 32);
	f->sent = 0;
	f->nseg = 1;
	if (web) {
		/* geometric, mean 8, at most 64 segments */
		uint64_t g = next_rand();
		while (f->nseg < 64 && (g & 7) != 0) {
			f->nseg++;
			g >>= 3;
			if (g == 0)
				g = next_rand();
		}
	}
}

/* Web profile TCP: handshake, request, nseg full segments with an ACK
 * every second one, FIN, FIN, ACK. */
static bool step_web(struct gflow *f)
{
	switch (f->step) {
	case 0: emit(f, true, 0x02, 0, NULL, 0); f->step++; return true;
	case 1: emit(f, false, 0x12, 0, NULL, 0); f->step++; return true;
	case 2: emit(f, true, 0x10, 0, NULL, 0); f->step++; return true;
	case 3: emit(f, true, 0x18, (uint32_t)apps[f->app].len, (const char *)apps[f->app].bytes,
		     apps[f->app].len);
		f->step++;
		return true;
	case 4:
		emit(f, false, 0x10, 1448, NULL, 0);
		if (++f->sent % 2 == 0 || f->sent == f->nseg)
			f->step = 5;
		return true;
	case 5:
		emit(f, true, 0x10, 0, NULL, 0);   /* ACK */
		f->step = f->sent == f->nseg ? 6 : 4;
		return true;
	case 6: emit(f, true, 0x11, 0, NULL, 0); f->step++; return true;
	case 7: emit(f, false, 0x11, 0, NULL, 0); f->step++; return true;
	default: emit(f, true, 0x10, 0, NULL, 0); return false;
	}
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
	if (web)
		return step_web(f);
	switch (f->step) {
	case 0: emit(f, true, 0x02, 0, NULL, 0); break;
	case 1: emit(f, false, 0x12, 0, NULL, 0); break;
	case 2: emit(f, true, 0x10, 0, NULL, 0); break;
	case 3: emit(f, true, 0x18, (uint32_t)apps[f->app].len, (const char *)apps[f->app].bytes,
		     apps[f->app].len); break;
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

	init_apps();
	web = argc > 3 && strcmp(argv[3], "web") == 0;
	tunnel = argc > 4 && strcmp(argv[4], "tunnel") == 0;
	if (argc < 2 || !win || (argc > 3 && !web && strcmp(argv[3], "small") != 0) ||
	    (argc > 4 && !tunnel)) {
		fprintf(stderr, "usage: gen_capture OUT.pcap [FLOWS [small|web [tunnel]]]\n");
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
