/*
 * test_judge_port.c - the three port_mismatch judgements on hand-built flows:
 * what must alert (SSH on 443, HTTP on 4444, garbage on 80) and the
 * legitimate patterns that must not (HTTP on 8080, TLS on 993, STARTTLS,
 * CONNECT tunnels, DNS over TCP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "wirewho/judge_port.h"
#include "wirewho/ports.h"
#include "test_util.h"
#include "tls_hello.h"

static struct ww_flow mkflow(uint8_t proto, uint16_t cport, uint16_t sport, bool syn)
{
	/* The key orders 192.0.2.10 before 198.51.100.20: the client is key.a. */
	struct ww_flow f = ww_test_flow("192.0.2.10", cport, "198.51.100.20", sport, proto);
	if (proto == WW_IPPROTO_TCP && syn)
		f.tcp = WW_TCPS_SYN_C | WW_TCPS_SYN_S | WW_TCPS_EST;
	return f;
}

struct seg {
	enum ww_dir dir;
	const char *p;
	uint32_t n;
};
#define C2S(s) { WW_DIR_TOSERVER, (s), sizeof(s) - 1 }
#define S2C(s) { WW_DIR_TOCLIENT, (s), sizeof(s) - 1 }

static struct ww_alert alerts[4];

/*
 * Classify the segments on flow f as the flow engine would (counting
 * payload packets per direction, feeding until the answer is final), judge
 * it, return the number of alerts.
 */
static int judge(struct ww_flow *f, const struct seg *s, int n)
{
	struct ww_cls *c = ww_cls_new();
	assert_non_null(c);
	bool fin = false;
	f->payload_pkts[0] = f->payload_pkts[1] = 0;
	for (int i = 0; i < n; i++) {
		f->payload_pkts[s[i].dir]++;
		if (!fin)
			fin = ww_cls_feed(c, f, s[i].dir, (const uint8_t *)s[i].p, s[i].n, (uint64_t)i + 4);
	}
	ww_cls_finish(c, f);
	memset(alerts, 0, sizeof(alerts));
	struct ww_cls_result r;
	ww_cls_result(c, f, &r);
	int k = ww_judge_port(f, &r, 1000, alerts, 4);
	ww_cls_free(c);
	return k;
}

static const char tls_hello[] =
	"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	"\x00\x00\x02\x13\x01\x01\x00";

static void test_ssh_on_443_is_unexpected_protocol_high(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 443, true);
	struct seg s[] = { S2C("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), C2S("SSH-2.0-OpenSSH_9.2p1\r\n") };
	assert_int_equal(judge(&f, s, 2), 1);
	const struct ww_alert *a = &alerts[0];
	assert_int_equal(a->kind, WW_ALERT_PORT_UNEXPECTED);
	assert_int_equal(a->severity, WW_SEV_HIGH);
	assert_ptr_equal(a->flow, &f);
	assert_string_equal(a->ev.protocol, "ssh");
	assert_string_equal(a->ev.port_protocol, "tls");
	assert_int_equal(a->ev.pkt_no, 4);
	assert_int_equal(a->ev.direction, WW_DIR_TOCLIENT);
	assert_int_equal(a->ev.n_expected, 2);
	assert_int_equal(a->ev.expected_ports[0], 22);
	assert_memory_equal(a->ev.first_bytes, "SSH-2.0-", 8);
	assert_non_null(strstr(a->message, "SSH seen on TCP port 443"));
	assert_non_null(strstr(a->message, "TLS"));
}

static void test_http_on_4444_is_nonstandard_port(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 4444, true);
	struct seg s[] = { C2S("GET /payload HTTP/1.1\r\nHost: x\r\n\r\n") };
	assert_int_equal(judge(&f, s, 1), 1);
	assert_int_equal(alerts[0].kind, WW_ALERT_PORT_NONSTANDARD);
	assert_int_equal(alerts[0].severity, WW_SEV_MEDIUM);
	assert_string_equal(alerts[0].ev.protocol, "http");
	assert_null(alerts[0].ev.port_protocol);
	assert_int_equal(alerts[0].ev.expected_ports[0], 80);
	assert_non_null(strstr(alerts[0].message, "HTTP seen on TCP port 4444"));
}

static void test_ssh_on_an_odd_port_is_nonstandard_and_high(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 31337, true);
	struct seg s[] = { S2C("SSH-2.0-dropbear\r\n") };
	assert_int_equal(judge(&f, s, 1), 1);
	assert_int_equal(alerts[0].kind, WW_ALERT_PORT_NONSTANDARD);
	assert_int_equal(alerts[0].severity, WW_SEV_HIGH);
}

/* Before, "GET /\r\n" and its bare-body answer were unidentified on 80. */
static void test_http_0_9_request_on_80_is_no_mismatch(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 80, true);
	struct seg s[] = { C2S("GET /\r\n"), S2C("<html><body>It works!</body></html>\n") };
	assert_int_equal(judge(&f, s, 2), 0);
}

static void test_http_on_8080_is_no_mismatch(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 8080, true);
	struct seg s[] = { C2S("GET / HTTP/1.1\r\n\r\n"), S2C("HTTP/1.1 200 OK\r\n\r\n") };
	assert_int_equal(judge(&f, s, 2), 0);
}

static void test_tls_on_993_is_no_mismatch(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 993, true);
	struct seg s[] = { { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 } };
	assert_int_equal(judge(&f, s, 1), 0);
}

static void test_tls_on_4444_carries_sni_in_evidence(void **st)
{
	(void)st;
	/* ClientHello with server_name "c2.example.test" */
	static const char hello[] =
		"\x16\x03\x01\x00\x47\x01\x00\x00\x43\x03\x03"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"\x00\x00\x02\x13\x01\x01\x00"
		"\x00\x18\x00\x00\x00\x14\x00\x12\x00\x00\x0f" "c2.example.test";
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 4444, true);
	struct seg s[] = { { WW_DIR_TOSERVER, hello, sizeof(hello) - 1 } };
	assert_int_equal(judge(&f, s, 1), 1);
	assert_int_equal(alerts[0].kind, WW_ALERT_PORT_NONSTANDARD);
	assert_string_equal(alerts[0].ev.sni, "c2.example.test");
	assert_int_equal(alerts[0].ev.sni_len, 15);
	/* a name with a NUL reaches the evidence whole */
	static const char evil[] = "evil.example.test\0.good.example.test";
	uint8_t h[TLS_HELLO_BUF];
	struct seg t[] = { { WW_DIR_TOSERVER, (const char *)h,
			     (uint32_t)tls_client_hello(h, evil, sizeof(evil) - 1, NULL) } };
	assert_int_equal(judge(&f, t, 1), 1);
	assert_int_equal(alerts[0].ev.sni_len, sizeof(evil) - 1);
	assert_memory_equal(alerts[0].ev.sni, evil, sizeof(evil) - 1);
}

static void test_garbage_on_80_with_replies_is_unidentified(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 80, true);
	struct seg s[] = { C2S("\x17\x99\x02\x00\x10zz\x01\x02\x03\x04\x05"), S2C("\x88\x77\x66\x55\x44\x33") };
	assert_int_equal(judge(&f, s, 2), 1);
	assert_int_equal(alerts[0].kind, WW_ALERT_PORT_UNIDENTIFIED);
	assert_null(alerts[0].ev.protocol);
	assert_string_equal(alerts[0].ev.port_protocol, "http");
	assert_int_equal(alerts[0].ev.pkt_no, 4);
	assert_int_equal(alerts[0].ev.direction, WW_DIR_TOSERVER);
	assert_int_equal(alerts[0].ev.first_len, 12);
	assert_non_null(strstr(alerts[0].message, "does not look like HTTP"));
}

static void test_judging_as_soon_as_final_still_sees_the_reply(void **st)
{
	(void)st;
	/* the pipeline judges at the packet where ww_cls_feed() says final */
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 80, true);
	static const char q[] = "\x17\x99\x02\x00\x10zz\x01\x02\x03\x04\x05", r[] = "\x88\x77\x66\x55";
	struct ww_cls *c = ww_cls_new();
	f.payload_pkts[0] = 1;
	assert_false(ww_cls_feed(c, &f, WW_DIR_TOSERVER, (const uint8_t *)q, sizeof(q) - 1, 4));
	f.payload_pkts[1] = 1;
	assert_true(ww_cls_feed(c, &f, WW_DIR_TOCLIENT, (const uint8_t *)r, sizeof(r) - 1, 6));
	struct ww_cls_result res;
	ww_cls_result(c, &f, &res);
	assert_int_equal(ww_judge_port(&f, &res, 0, alerts, 4), 1);
	assert_int_equal(alerts[0].kind, WW_ALERT_PORT_UNIDENTIFIED);
	ww_cls_free(c);
}

static void test_garbage_without_handshake_or_reply_is_not_judged(void **st)
{
	(void)st;
	struct seg s[] = { C2S("\x17\x99\x02\x00\x10zz\x01\x02\x03\x04\x05"), S2C("\x88\x77\x66\x55\x44\x33") };
	struct ww_flow mid = mkflow(WW_IPPROTO_TCP, 40000, 80, false);   /* capture began mid-stream */
	assert_int_equal(judge(&mid, s, 2), 0);
	struct ww_flow oneway = mkflow(WW_IPPROTO_TCP, 40000, 80, true);
	assert_int_equal(judge(&oneway, s, 1), 0);
	struct ww_flow eph = mkflow(WW_IPPROTO_TCP, 40000, 50000, true);  /* no protocol known there */
	assert_int_equal(judge(&eph, s, 2), 0);
	struct ww_flow alt = mkflow(WW_IPPROTO_TCP, 40000, 8080, true);   /* not a strict port */
	assert_int_equal(judge(&alt, s, 2), 0);
}

static void test_starttls_on_25_is_no_mismatch(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 25, true);
	struct seg s[] = { S2C("220 mx.example.test ESMTP\r\n"), C2S("EHLO a.example.test\r\n"),
			   S2C("250-mx\r\n250 STARTTLS\r\n"), C2S("STARTTLS\r\n"), S2C("220 2.0.0 Ready\r\n"),
			   { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 } };
	assert_int_equal(judge(&f, s, 6), 0);
	/* and TLS alone on 25 in a capture that began after the upgrade (no SYN
	 * seen) is not an alert either */
	struct ww_flow mid = mkflow(WW_IPPROTO_TCP, 40000, 25, false);
	struct seg t[] = { { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 } };
	assert_int_equal(judge(&mid, t, 1), 0);
}

/* Every port whose protocol greets or asks in plaintext before TLS. */
static const struct { uint16_t port; const char *proto; } plain_first_ports[] = {
	{ 21, "ftp" }, { 25, "smtp" }, { 110, "pop3" }, { 119, NULL }, { 143, "imap" },
	{ 389, "ldap" }, { 587, "smtp" }, { 3306, "mysql" }, { 3389, "rdp" }, { 4190, NULL },
	{ 5222, "xmpp" }, { 5269, "xmpp" }, { 5432, "postgresql" },
};

static void test_tls_from_the_first_byte_on_a_starttls_port_is_another_service(void **st)
{
	(void)st;
	for (size_t i = 0; i < WW_ARRAY_SIZE(plain_first_ports); i++) {
		struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, plain_first_ports[i].port, true);
		struct seg s[] = { { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 } };
		assert_int_equal(judge(&f, s, 1), 1);
		const struct ww_alert *a = &alerts[0];
		assert_int_equal(a->kind, WW_ALERT_PORT_UNEXPECTED);
		assert_int_equal(a->severity, WW_SEV_MEDIUM);
		assert_string_equal(a->ev.protocol, "tls");
		if (plain_first_ports[i].proto)
			assert_string_equal(a->ev.port_protocol, plain_first_ports[i].proto);
		else
			assert_null(a->ev.port_protocol);
		assert_string_equal(a->ev.rule, "TLS without STARTTLS");
		assert_int_equal(a->ev.direction, WW_DIR_TOSERVER);
		assert_non_null(strstr(a->message, "TLS from the first byte"));
	}
	/* the server answering in TLS first is no better */
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 143, true);
	static const char server_hello[] = "\x16\x03\x03\x00\x2a\x02\x00\x00\x26\x03\x03"
					   "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\x00";
	struct seg s[] = { { WW_DIR_TOCLIENT, server_hello, sizeof(server_hello) - 1 } };
	assert_int_equal(judge(&f, s, 1), 1);
	assert_string_equal(alerts[0].ev.rule, "TLS without STARTTLS");
}

static void test_tls_first_on_implicit_tls_ports_is_no_mismatch(void **st)
{
	(void)st;
	static const uint16_t ports[] = { 443, 465, 563, 636, 853, 990, 993, 995, 5223, 1433 };
	for (size_t i = 0; i < WW_ARRAY_SIZE(ports); i++) {
		struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, ports[i], true);
		struct seg s[] = { { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 } };
		assert_int_equal(judge(&f, s, 1), 0);
	}
}

/* The in-protocol upgrades each protocol specifies stay quiet. */
static void test_each_protocols_own_upgrade_to_tls_is_no_mismatch(void **st)
{
	(void)st;
	const struct seg hello = { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 };
	struct {
		uint16_t port;
		struct seg s[6];
		int n;
	} cases[] = {
		{ 21, { S2C("220 (vsFTPd 3.0.3)\r\n"), C2S("AUTH TLS\r\n"), S2C("234 Proceed with negotiation.\r\n"), hello }, 4 },
		{ 110, { S2C("+OK Dovecot ready.\r\n"), C2S("STLS\r\n"), S2C("+OK Begin TLS negotiation now.\r\n"), hello }, 4 },
		{ 143, { S2C("* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"), C2S("a STARTTLS\r\n"), S2C("a OK Begin TLS\r\n"), hello }, 4 },
		{ 587, { S2C("220 mx.example.test ESMTP\r\n"), C2S("EHLO a\r\n"), S2C("250 STARTTLS\r\n"), C2S("STARTTLS\r\n"), S2C("220 Go ahead\r\n"), hello }, 6 },
		{ 119, { S2C("200 news.example.test ready\r\n"), C2S("STARTTLS\r\n"), S2C("382 Continue with TLS negotiation\r\n"), hello }, 4 },
		/* LDAP ExtendedRequest 1.3.6.1.4.1.1466.20037 (RFC 4511 §4.14.1) */
		{ 389, { C2S("\x30\x1d\x02\x01\x01\x77\x18\x80\x16" "1.3.6.1.4.1.1466.20037"), hello }, 2 },
		{ 5222, { C2S("<?xml version='1.0'?><stream:stream to='example.test' xmlns='jabber:client' version='1.0'>"),
			  S2C("<?xml version='1.0'?><stream:stream from='example.test' version='1.0'>"),
			  C2S("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), hello }, 4 },
		/* PostgreSQL SSLRequest, answered 'S' */
		{ 5432, { C2S("\x00\x00\x00\x08\x04\xd2\x16\x2f"), S2C("S"), hello }, 3 },
		/* MySQL greeting, then the client's SSL request */
		{ 3306, { S2C("\x0a\x00\x00\x00\x0a" "8.0.36\x00\x01\x00\x00\x00" "abcdefgh\x00\xff\xff"),
			  C2S("\x20\x00\x00\x01\x05\xae\xff\x01\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00"
			      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), hello }, 3 },
		/* RDP: X.224 Connection Request with RDP_NEG_REQ PROTOCOL_SSL|HYBRID, Confirm */
		{ 3389, { C2S("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00"),
			  S2C("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x02\x00\x00\x00"), hello }, 3 },
	};
	for (size_t i = 0; i < WW_ARRAY_SIZE(cases); i++) {
		struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, cases[i].port, true);
		assert_int_equal(judge(&f, cases[i].s, cases[i].n), 0);
	}
}

/* PostgreSQL 17's direct TLS (sslnegotiation=direct) must offer ALPN
 * "postgresql"; XEP-0368 direct TLS offers "xmpp-client". Without them,
 * TLS first on those ports is another service. */
static void test_direct_tls_with_the_protocols_alpn_is_no_mismatch(void **st)
{
	(void)st;
	uint8_t h[TLS_HELLO_BUF];
	size_t n = tls_client_hello(h, "db.example.test", 15, "postgresql");
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 5432, true);
	struct seg s[] = { { WW_DIR_TOSERVER, (const char *)h, (uint32_t)n } };
	assert_int_equal(judge(&f, s, 1), 0);
	n = tls_client_hello(h, "chat.example.test", 17, "xmpp-client");
	struct ww_flow x = mkflow(WW_IPPROTO_TCP, 40000, 5222, true);
	s[0].n = (uint32_t)n;
	assert_int_equal(judge(&x, s, 1), 0);
	n = tls_client_hello(h, "db.example.test", 15, "h2,http/1.1");
	s[0].n = (uint32_t)n;
	assert_int_equal(judge(&f, s, 1), 1);
	assert_string_equal(alerts[0].ev.rule, "TLS without STARTTLS");
	assert_string_equal(alerts[0].ev.alpn, "h2,http/1.1");
}

static void test_connect_tunnel_is_no_mismatch(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 3128, true);
	struct seg s[] = { C2S("CONNECT www.example.test:443 HTTP/1.1\r\nHost: www.example.test:443\r\n\r\n"),
			   S2C("HTTP/1.1 200 Connection established\r\n\r\n"),
			   { WW_DIR_TOSERVER, tls_hello, sizeof(tls_hello) - 1 } };
	assert_int_equal(judge(&f, s, 3), 0);
}

static void test_dns_over_tcp_on_53_is_no_mismatch(void **st)
{
	(void)st;
	static const char q[] = "\x00\x1c\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
				"\x07" "example" "\x04" "test" "\x00\x00\x01\x00\x01";
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 53, true);
	struct seg s[] = { { WW_DIR_TOSERVER, q, sizeof(q) - 1 } };
	assert_int_equal(judge(&f, s, 1), 0);
	struct ww_flow u = mkflow(WW_IPPROTO_UDP, 40000, 53, false);
	struct seg t[] = { { WW_DIR_TOSERVER, q + 2, sizeof(q) - 3 } };
	assert_int_equal(judge(&u, t, 1), 0);
}

/* A DNSCrypt client fetching its resolver's certificate (a TXT query for
 * "2.dnscrypt-cert.<provider>", nDPI's dnscrypt-v1-and-resolver-pings.pcap)
 * on the resolver's port - 8443, 443 - is the protocol's design; an A
 * query on 8443, or a TXT query whose name has no version label, is not. */
static void test_dnscrypt_certificate_query_off_53_is_no_mismatch(void **st)
{
	(void)st;
	static const char q[] = "\x7f\x47\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"
				"\x01" "2" "\x0d" "dnscrypt-cert" "\x08" "dnscrypt" "\x04" "ca-2" "\x00\x00\x10\x00\x01";
	struct ww_flow f = mkflow(WW_IPPROTO_UDP, 40000, 8443, false);
	struct seg s[] = { { WW_DIR_TOSERVER, q, sizeof(q) - 1 }, { WW_DIR_TOSERVER, q, sizeof(q) - 1 } };
	assert_int_equal(judge(&f, s, 2), 0);
	f = mkflow(WW_IPPROTO_UDP, 40000, 443, false);
	assert_int_equal(judge(&f, s, 2), 0);
	char a[sizeof(q)];
	memcpy(a, q, sizeof(q));
	a[sizeof(q) - 4] = 0x01;   /* type A */
	struct seg t[] = { { WW_DIR_TOSERVER, a, sizeof(q) - 1 } };
	f = mkflow(WW_IPPROTO_UDP, 40000, 8443, false);
	assert_int_equal(judge(&f, t, 1), 1);
	assert_int_equal(alerts[0].kind, WW_ALERT_PORT_NONSTANDARD);
	memcpy(a, q, sizeof(q));
	a[13] = 'x';               /* first label "x": no protocol version */
	assert_int_equal(judge(&f, t, 1), 1);
}

static void test_flow_without_payload_is_never_judged(void **st)
{
	(void)st;
	struct ww_flow f = mkflow(WW_IPPROTO_TCP, 40000, 443, true);
	assert_int_equal(ww_judge_port(&f, NULL, 0, alerts, 4), 0);
}

static void test_ntp_between_123_and_123_is_no_mismatch(void **st)
{
	(void)st;
	static const char req[48] = "\x21";   /* VN 4, mode 1 (symmetric active) */
	struct ww_flow f = mkflow(WW_IPPROTO_UDP, 123, 123, false);
	struct seg s[] = { { WW_DIR_TOSERVER, req, sizeof(req) } };
	assert_int_equal(judge(&f, s, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh_on_443_is_unexpected_protocol_high),
		cmocka_unit_test(test_http_on_4444_is_nonstandard_port),
		cmocka_unit_test(test_ssh_on_an_odd_port_is_nonstandard_and_high),
		cmocka_unit_test(test_http_on_8080_is_no_mismatch),
		cmocka_unit_test(test_tls_on_993_is_no_mismatch),
		cmocka_unit_test(test_tls_on_4444_carries_sni_in_evidence),
		cmocka_unit_test(test_garbage_on_80_with_replies_is_unidentified),
		cmocka_unit_test(test_judging_as_soon_as_final_still_sees_the_reply),
		cmocka_unit_test(test_garbage_without_handshake_or_reply_is_not_judged),
		cmocka_unit_test(test_http_0_9_request_on_80_is_no_mismatch),
		cmocka_unit_test(test_starttls_on_25_is_no_mismatch),
		cmocka_unit_test(test_tls_from_the_first_byte_on_a_starttls_port_is_another_service),
		cmocka_unit_test(test_tls_first_on_implicit_tls_ports_is_no_mismatch),
		cmocka_unit_test(test_each_protocols_own_upgrade_to_tls_is_no_mismatch),
		cmocka_unit_test(test_direct_tls_with_the_protocols_alpn_is_no_mismatch),
		cmocka_unit_test(test_connect_tunnel_is_no_mismatch),
		cmocka_unit_test(test_dns_over_tcp_on_53_is_no_mismatch),
		cmocka_unit_test(test_dnscrypt_certificate_query_off_53_is_no_mismatch),
		cmocka_unit_test(test_flow_without_payload_is_never_judged),
		cmocka_unit_test(test_ntp_between_123_and_123_is_no_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
