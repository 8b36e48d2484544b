/*
 * test_flow.c - the flow engine: canonical keys, orientation, counters, TCP
 * state, port reuse, timeouts, eviction and flush order. Packets are built
 * as decoded views directly, so these tests pin the flow rules, not the
 * decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "wirewho/flows.h"
#include "test_util.h"

#define SEC WW_USEC_PER_SEC

struct ended {
	uint64_t id;
	uint8_t reason;
	uint64_t pkts[2];
	uint16_t cport, sport;
	uint8_t client_is_a;
};
static struct ended ended[64];
static int nended;

static void on_end(struct ww_flow *f, void *ud)
{
	(void)ud;
	assert_true(nended < 64);
	ended[nended++] = (struct ended){ f->id, f->end_reason, { f->pkts[0], f->pkts[1] },
					  ww_flow_client_port(f), ww_flow_server_port(f),
					  f->client_is_a };
}

static struct ww_pkt pkt(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			 uint8_t proto, uint8_t flags)
{
	struct ww_pkt p = ww_test_pkt(src, sp, dst, dp, proto);
	p.tcp_flags = flags;
	return p;
}

static struct ww_flows *engine(uint32_t max)
{
	struct ww_flow_cfg cfg = { .max_flows = max };
	nended = 0;
	struct ww_flows *fs = ww_flows_new(&cfg, 42, on_end, NULL);
	assert_non_null(fs);
	return fs;
}

static void test_both_directions_share_one_key(void **s)
{
	(void)s;
	struct ww_flowkey k1, k2;
	bool a1, a2;
	struct ww_pkt p = pkt("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, 0);
	struct ww_pkt q = pkt("192.0.2.2", 80, "192.0.2.1", 40000, WW_IPPROTO_TCP, 0);
	ww_flowkey_from_pkt(&p, &k1, &a1);
	ww_flowkey_from_pkt(&q, &k2, &a2);
	assert_true(ww_flowkey_eq(&k1, &k2));
	assert_true(a1 != a2);
}

static void test_keys_order_address_port_pairs_not_fields(void **s)
{
	(void)s;
	/* A:1 -> B:2 and A:2 -> B:1 are different conversations. */
	struct ww_flowkey k1, k2;
	bool a;
	struct ww_pkt p = pkt("192.0.2.1", 1, "192.0.2.2", 2, WW_IPPROTO_UDP, 0);
	struct ww_pkt q = pkt("192.0.2.1", 2, "192.0.2.2", 1, WW_IPPROTO_UDP, 0);
	ww_flowkey_from_pkt(&p, &k1, &a);
	ww_flowkey_from_pkt(&q, &k2, &a);
	assert_false(ww_flowkey_eq(&k1, &k2));
}

static void test_vlan_and_family_are_part_of_the_key(void **s)
{
	(void)s;
	struct ww_flowkey k1, k2;
	bool a;
	struct ww_pkt p = pkt("192.0.2.1", 1000, "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
	struct ww_pkt q = p;
	q.vlan = 7;
	ww_flowkey_from_pkt(&p, &k1, &a);
	ww_flowkey_from_pkt(&q, &k2, &a);
	assert_false(ww_flowkey_eq(&k1, &k2));
	q = p;
	q.family = 6;   /* same bytes, other family: an IPv4-mapped IPv6 packet */
	ww_flowkey_from_pkt(&q, &k2, &a);
	assert_false(ww_flowkey_eq(&k1, &k2));
}

static void test_syn_sender_is_the_client_even_on_a_low_port(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt p = pkt("192.0.2.1", 80, "192.0.2.2", 50000, WW_IPPROTO_TCP, WW_TCP_SYN);
	struct ww_flow *f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOSERVER);
	assert_int_equal(ww_flow_client_port(f), 80);
	assert_int_equal(ww_flow_server_port(f), 50000);
	ww_flows_free(fs);
}

static void test_synack_first_makes_its_receiver_the_client(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt p = pkt("192.0.2.2", 443, "192.0.2.1", 51000, WW_IPPROTO_TCP, WW_TCP_SYN | WW_TCP_ACK);
	struct ww_flow *f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOCLIENT);
	assert_int_equal(ww_flow_client_port(f), 51000);
	ww_flows_free(fs);
}

static void test_without_syn_the_well_known_port_is_the_server(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt p = pkt("192.0.2.2", 53, "192.0.2.1", 33000, WW_IPPROTO_UDP, 0);
	struct ww_flow *f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOCLIENT);
	assert_int_equal(ww_flow_server_port(f), 53);
	/* Both unprivileged: the non-ephemeral port serves. */
	p = pkt("192.0.2.1", 8080, "192.0.2.2", 45000, WW_IPPROTO_TCP, WW_TCP_ACK);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(ww_flow_server_port(f), 8080);
	/* Same port both sides: the first sender is the client. */
	p = pkt("192.0.2.9", 5353, "192.0.2.1", 5353, WW_IPPROTO_UDP, 0);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOSERVER);
	ww_flows_free(fs);
}

static void test_counters_are_kept_per_direction(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt c = pkt("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_ACK);
	struct ww_pkt r = pkt("192.0.2.2", 80, "192.0.2.1", 40000, WW_IPPROTO_TCP, WW_TCP_ACK);
	c.ip_len = 100;
	r.ip_len = 1500;
	ww_flows_packet(fs, &c, 1 * SEC, &d);
	ww_flows_packet(fs, &r, 2 * SEC, &d);
	struct ww_flow *f = ww_flows_packet(fs, &r, 3 * SEC, &d);
	assert_int_equal(f->pkts[WW_DIR_TOSERVER], 1);
	assert_int_equal(f->pkts[WW_DIR_TOCLIENT], 2);
	assert_int_equal(f->bytes[WW_DIR_TOSERVER], 100);
	assert_int_equal(f->bytes[WW_DIR_TOCLIENT], 3000);
	assert_int_equal(f->first, 1 * SEC);
	assert_int_equal(f->last, 3 * SEC);
	ww_flows_free(fs);
}

static void handshake(struct ww_flows *fs, ww_time_t t)
{
	enum ww_dir d;
	struct ww_pkt syn = pkt("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_SYN);
	struct ww_pkt sa = pkt("192.0.2.2", 80, "192.0.2.1", 40000, WW_IPPROTO_TCP, WW_TCP_SYN | WW_TCP_ACK);
	struct ww_pkt ack = pkt("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_ACK);
	ww_flows_packet(fs, &syn, t, &d);
	ww_flows_packet(fs, &sa, t + 1, &d);
	struct ww_flow *f = ww_flows_packet(fs, &ack, t + 2, &d);
	assert_true(f->tcp & WW_TCPS_EST);
}

/* The handshake's connection closed: client FIN at tc, server FIN at ts. */
static struct ww_flow *fin_fin(struct ww_flows *fs, ww_time_t tc, ww_time_t ts)
{
	enum ww_dir d;
	struct ww_pkt fc = pkt("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_FIN | WW_TCP_ACK);
	struct ww_pkt fsv = pkt("192.0.2.2", 80, "192.0.2.1", 40000, WW_IPPROTO_TCP, WW_TCP_FIN | WW_TCP_ACK);
	ww_flows_packet(fs, &fc, tc, &d);
	return ww_flows_packet(fs, &fsv, ts, &d);
}

/*
 * A flow whose last packet came shortly after it was linked (the final ACK
 * of a close) is emitted when its timeout has passed, not a timeout later:
 * the sweep once re-linked such a flow to its list's tail, and flows closed
 * in a capture's last twenty seconds came out as open at the end.
 */
static void test_closed_flow_expires_on_time_while_other_traffic_flows(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	handshake(fs, 1 * SEC);
	fin_fin(fs, 1 * SEC + 100000, 1 * SEC + 200000);   /* closed: linked to the closed list */
	struct ww_pkt ack = pkt("192.0.2.1", 40000, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_ACK);
	ww_flows_packet(fs, &ack, 1 * SEC + 800000, &d);    /* last packet, 0.6 s later */
	struct ww_pkt other = pkt("192.0.2.7", 5353, "192.0.2.8", 53, WW_IPPROTO_UDP, 0);
	ww_time_t t;
	for (t = 2 * SEC; t <= 30 * SEC && nended == 0; t += SEC / 10)
		ww_flows_packet(fs, &other, t, &d);
	assert_int_equal(nended, 1);
	assert_int_equal(ended[0].id, 1);
	assert_int_equal(ended[0].reason, WW_END_CLOSED);
	/* 10 s after its last packet, within the sweep's second of slack */
	assert_true(t - SEC / 10 > 11 * SEC + 800000);
	assert_true(t - SEC / 10 <= 12 * SEC + 800000);
	ww_flows_free(fs);
}

static void test_a_new_syn_after_fin_fin_starts_a_new_flow(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	handshake(fs, 1 * SEC);
	struct ww_flow *f = fin_fin(fs, 2 * SEC, 2 * SEC);
	assert_true(f->tcp & WW_TCPS_CLOSED);
	assert_int_equal(nended, 0);   /* closed flows linger for late ACKs */
	handshake(fs, 3 * SEC);
	assert_int_equal(nended, 1);
	assert_int_equal(ended[0].id, 1);
	assert_int_equal(ended[0].reason, WW_END_REUSED);
	assert_int_equal(ended[0].pkts[0], 3);
	assert_int_equal(ended[0].pkts[1], 2);
	assert_int_equal(ww_flows_created(fs), 2);
	ww_flows_free(fs);
}

static void test_rst_closes_and_the_closed_timeout_emits(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	handshake(fs, 1 * SEC);
	struct ww_pkt rst = pkt("192.0.2.2", 80, "192.0.2.1", 40000, WW_IPPROTO_TCP, WW_TCP_RST);
	ww_flows_packet(fs, &rst, 2 * SEC, &d);
	struct ww_pkt other = pkt("192.0.2.5", 1000, "192.0.2.6", 53, WW_IPPROTO_UDP, 0);
	ww_flows_packet(fs, &other, 11 * SEC, &d);    /* 9 s later: still lingering */
	assert_int_equal(nended, 0);
	ww_flows_packet(fs, &other, 13 * SEC, &d);    /* 11 s after the RST */
	assert_int_equal(nended, 1);
	assert_int_equal(ended[0].reason, WW_END_CLOSED);
	ww_flows_free(fs);
}

static void test_udp_idle_timeout_splits_a_conversation(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt p = pkt("192.0.2.1", 40000, "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
	ww_flows_packet(fs, &p, 0, &d);
	ww_flows_packet(fs, &p, 59 * SEC, &d);
	assert_int_equal(ww_flows_created(fs), 1);
	ww_flows_packet(fs, &p, 120 * SEC, &d);   /* 61 s idle */
	assert_int_equal(ww_flows_created(fs), 2);
	assert_int_equal(nended, 1);
	assert_int_equal(ended[0].reason, WW_END_TIMEOUT);
	ww_flows_free(fs);
}

static void test_a_busy_flow_outliving_its_timeout_is_never_expired(void **s)
{
	(void)s;
	/* Flows are re-linked lazily (at most once a second): the sweep must
	 * still look at the last packet, not at when the flow was linked. */
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt p = pkt("192.0.2.1", 40000, "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
	struct ww_pkt q = pkt("192.0.2.3", 40000, "192.0.2.4", 53, WW_IPPROTO_UDP, 0);
	ww_flows_packet(fs, &q, 0, &d);
	for (int i = 0; i <= 400; i++)           /* 200 s, a packet every 0.5 s */
		ww_flows_packet(fs, &p, i * SEC / 2, &d);
	assert_int_equal(ww_flows_created(fs), 2);
	assert_int_equal(nended, 1);            /* only the idle one */
	assert_int_equal(ended[0].id, 1);
	ww_flows_free(fs);
}

static void test_established_tcp_outlives_the_new_tcp_timeout(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	handshake(fs, 0);
	struct ww_pkt half = pkt("192.0.2.7", 41000, "192.0.2.2", 22, WW_IPPROTO_TCP, WW_TCP_SYN);
	ww_flows_packet(fs, &half, 0, &d);
	struct ww_pkt tick = pkt("192.0.2.5", 1000, "192.0.2.6", 53, WW_IPPROTO_UDP, 0);
	ww_flows_packet(fs, &tick, 31 * SEC, &d);
	assert_int_equal(nended, 1);              /* the lone SYN expired after 30 s */
	assert_int_equal(ended[0].id, 2);
	ww_flows_packet(fs, &tick, 299 * SEC, &d);
	assert_int_equal(nended, 2);              /* the UDP tick itself after 60 s idle... */
	ww_flows_packet(fs, &tick, 302 * SEC, &d);
	assert_int_equal(nended, 3);              /* ...and the established flow after 300 s */
	assert_int_equal(ended[2].id, 1);
	ww_flows_free(fs);
}

static void test_full_table_evicts_the_least_recently_active_flow(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(4);
	enum ww_dir d;
	for (int i = 0; i < 4; i++) {
		struct ww_pkt p = pkt("192.0.2.1", (uint16_t)(40000 + i), "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
		ww_flows_packet(fs, &p, i * SEC, &d);
	}
	struct ww_pkt again = pkt("192.0.2.1", 40000, "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
	ww_flows_packet(fs, &again, 5 * SEC, &d);  /* flow 1 is active again */
	struct ww_pkt fresh = pkt("192.0.2.1", 40009, "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
	ww_flows_packet(fs, &fresh, 6 * SEC, &d);
	assert_int_equal(ww_flows_evicted(fs), 1);
	assert_int_equal(nended, 1);
	assert_int_equal(ended[0].id, 2);          /* port 40001, idle longest */
	assert_int_equal(ended[0].reason, WW_END_EVICTED);
	assert_int_equal(ww_flows_active(fs), 4);
	ww_flows_free(fs);
}

/*
 * At the end of the input, a connection already closed by FIN+FIN or RST
 * (kept only for its last ACKs) ends "closed"; one still open ends
 * "end_of_input". The same from ww_flows_flush() and from
 * ww_flows_open_by_id(), the two-thread flush's listing.
 */
static void test_end_of_input_tells_closed_from_open(void **s)
{
	(void)s;
	for (int way = 0; way < 2; way++) {
		struct ww_flows *fs = engine(16);
		enum ww_dir d;
		nended = 0;
		handshake(fs, 1 * SEC);
		fin_fin(fs, 2 * SEC, 2 * SEC + 1);                        /* flow 1: FIN+FIN */
		struct ww_pkt o = pkt("192.0.2.1", 40001, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_SYN);
		ww_flows_packet(fs, &o, 3 * SEC, &d);                       /* flow 2: open */
		struct ww_pkt r = pkt("192.0.2.1", 40002, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_SYN);
		struct ww_pkt rst = pkt("192.0.2.2", 80, "192.0.2.1", 40002, WW_IPPROTO_TCP, WW_TCP_RST | WW_TCP_ACK);
		ww_flows_packet(fs, &r, 4 * SEC, &d);
		ww_flows_packet(fs, &rst, 4 * SEC + 1, &d);                  /* flow 3: refused */
		struct ww_pkt fin1 = pkt("192.0.2.1", 40003, "192.0.2.2", 80, WW_IPPROTO_TCP, WW_TCP_FIN | WW_TCP_ACK);
		ww_flows_packet(fs, &fin1, 5 * SEC, &d);                     /* flow 4: one FIN only */
		const uint8_t want[] = { WW_END_CLOSED, WW_END_EOF, WW_END_CLOSED, WW_END_EOF };
		if (way == 0) {
			ww_flows_flush(fs);
			assert_int_equal(nended, 4);
			for (int i = 0; i < 4; i++) {
				assert_int_equal(ended[i].id, (uint64_t)i + 1);
				assert_int_equal(ended[i].reason, want[i]);
			}
		} else {
			size_t n;
			struct ww_flow **all = ww_flows_open_by_id(fs, &n);
			assert_non_null(all);
			assert_int_equal(n, 4);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(all[i]->id, (uint64_t)i + 1);
				assert_int_equal(all[i]->end_reason, want[i]);
			}
			free(all);
			ww_flows_clear(fs);
			assert_int_equal(nended, 0);   /* the caller emits them */
		}
		ww_flows_free(fs);
	}
}

static void test_flush_emits_open_flows_in_creation_order(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	for (int i = 0; i < 5; i++) {
		struct ww_pkt p = pkt("192.0.2.1", (uint16_t)(40000 + i), "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
		ww_flows_packet(fs, &p, (5 - i) * SEC, &d);   /* later flows touched earlier */
	}
	handshake(fs, 6 * SEC);
	ww_flows_flush(fs);
	assert_int_equal(nended, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(ended[i].id, (uint64_t)i + 1);
		assert_int_equal(ended[i].reason, WW_END_EOF);
	}
	assert_int_equal(ww_flows_active(fs), 0);

	/* The engine goes on after a flush: new flows, new ids, flushed again. */
	nended = 0;
	for (int i = 0; i < 3; i++) {
		struct ww_pkt p = pkt("192.0.2.1", (uint16_t)(40000 + i), "192.0.2.2", 53, WW_IPPROTO_UDP, 0);
		assert_non_null(ww_flows_packet(fs, &p, 7 * SEC, &d));
	}
	assert_int_equal(ww_flows_active(fs), 3);
	assert_int_equal(nended, 0);
	ww_flows_expire(fs, 200 * SEC);   /* the UDP timeout ends them through the lists */
	assert_int_equal(nended, 3);
	assert_int_equal(ended[0].id, 7);
	assert_int_equal(ended[0].reason, WW_END_TIMEOUT);
	assert_int_equal(ww_flows_active(fs), 0);
	ww_flows_flush(fs);
	assert_int_equal(nended, 3);
	ww_flows_free(fs);
}

static void test_icmp_echo_reply_joins_its_request(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	struct ww_pkt rq = pkt("192.0.2.1", 0, "192.0.2.2", 0, WW_IPPROTO_ICMP, 0);
	rq.icmp_type = 8;
	rq.sport = 77;          /* identifier */
	rq.dport = 8;
	struct ww_pkt rp = pkt("192.0.2.2", 0, "192.0.2.1", 0, WW_IPPROTO_ICMP, 0);
	rp.icmp_type = 0;
	rp.sport = 77;
	rp.dport = 0;
	struct ww_flow *f = ww_flows_packet(fs, &rq, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOSERVER);
	struct ww_flow *g = ww_flows_packet(fs, &rp, 1 * SEC + 5, &d);
	assert_ptr_equal(f, g);
	assert_int_equal(d, WW_DIR_TOCLIENT);
	rq.sport = 78;          /* another identifier: another flow */
	ww_flows_packet(fs, &rq, 2 * SEC, &d);
	assert_int_equal(ww_flows_created(fs), 2);
	ww_flows_free(fs);
}

static void test_orientation_group_addresses_port_zero_and_client_role_ports(void **s)
{
	(void)s;
	struct ww_flows *fs = engine(16);
	enum ww_dir d;
	/* DHCPv6: the client (546) is not the server though its port is lower. */
	struct ww_pkt p = pkt("2001:db8::1", 546, "2001:db8::2", 547, WW_IPPROTO_UDP, 0);
	struct ww_flow *f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(ww_flow_server_port(f), 547);
	/* The server's reply seen first: still 547 serves. */
	p = pkt("2001:db8::4", 547, "2001:db8::3", 546, WW_IPPROTO_UDP, 0);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(ww_flow_server_port(f), 547);
	assert_int_equal(d, WW_DIR_TOCLIENT);
	/* Port 0 is never the server. */
	p = pkt("192.0.2.1", 40000, "192.0.2.2", 0, WW_IPPROTO_UDP, 0);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(ww_flow_server_port(f), 40000);
	/* A multicast destination is the server whatever the ports say. */
	p = pkt("192.0.2.1", 1900, "239.255.255.250", 50000, WW_IPPROTO_UDP, 0);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOSERVER);
	assert_int_equal(ww_flow_server_port(f), 50000);
	p = pkt("192.0.2.1", 67, "255.255.255.255", 68, WW_IPPROTO_UDP, 0);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(d, WW_DIR_TOSERVER);
	/* A port the port tables know (8080, HTTP) serves against one they do not (1500). */
	p = pkt("192.0.2.5", 8080, "192.0.2.6", 1500, WW_IPPROTO_TCP, WW_TCP_ACK);
	f = ww_flows_packet(fs, &p, 1 * SEC, &d);
	assert_int_equal(ww_flow_server_port(f), 8080);
	ww_flows_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_directions_share_one_key),
		cmocka_unit_test(test_orientation_group_addresses_port_zero_and_client_role_ports),
		cmocka_unit_test(test_keys_order_address_port_pairs_not_fields),
		cmocka_unit_test(test_vlan_and_family_are_part_of_the_key),
		cmocka_unit_test(test_syn_sender_is_the_client_even_on_a_low_port),
		cmocka_unit_test(test_synack_first_makes_its_receiver_the_client),
		cmocka_unit_test(test_without_syn_the_well_known_port_is_the_server),
		cmocka_unit_test(test_counters_are_kept_per_direction),
		cmocka_unit_test(test_a_new_syn_after_fin_fin_starts_a_new_flow),
		cmocka_unit_test(test_closed_flow_expires_on_time_while_other_traffic_flows),
		cmocka_unit_test(test_rst_closes_and_the_closed_timeout_emits),
		cmocka_unit_test(test_udp_idle_timeout_splits_a_conversation),
		cmocka_unit_test(test_a_busy_flow_outliving_its_timeout_is_never_expired),
		cmocka_unit_test(test_established_tcp_outlives_the_new_tcp_timeout),
		cmocka_unit_test(test_full_table_evicts_the_least_recently_active_flow),
		cmocka_unit_test(test_flush_emits_open_flows_in_creation_order),
		cmocka_unit_test(test_end_of_input_tells_closed_from_open),
		cmocka_unit_test(test_icmp_echo_reply_joins_its_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
