/*
 * conntrack.c - ctnetlink "new connection" events into a table of NATed
 * connections, reply tuple -> original tuple (conntrack.h says why).
 *
 * The socket is non-blocking and read only when asked (a lookup, or
 * ww_ct_lookup's caller's housekeeping through a lookup): nobody sleeps on
 * it. Only connections whose reply tuple is not the original one reversed
 * are kept (a NAT changed an address or port); the others need no
 * translation. The table: open addressing over a power-of-two array, keys
 * compared whole, a FIFO of insertion order for expiry and for making room
 * (the oldest goes), as the kernel engine's tables. A deleted slot is
 * refilled by moving later entries of its probe run back (no tombstones).
 * After an overrun (ENOBUFS: events were dropped) the table keeps what it
 * has; the connections lost are unresolved, as without this module.
 */
#include "wirewho/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define SLOTS (WW_CT_MAX * 2)   /* at most half full */

struct ctkey {
	struct ww_addr c, s;    /* the packets' client and server as seen outside */
	uint16_t cport, sport;
	uint8_t proto;
	uint8_t pad[3];
};

struct ctent {
	struct ctkey k;
	struct ww_addr oc, os;
	uint16_t ocport, osport;
	ww_time_t seen;
	bool used;
};

struct ww_ct {
	struct mnl_socket *nl;
	char *buf;
	struct ctent *slots;
	uint32_t *fifo;          /* slot indexes in insertion order */
	uint32_t head, count;
	uint64_t events, nat, hits;
	ww_time_t now;
};

static uint32_t key_hash(const struct ctkey *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32)) & (SLOTS - 1);
}

static struct ctent *find(struct ww_ct *c, const struct ctkey *k)
{
	for (uint32_t i = key_hash(k);; i = (i + 1) & (SLOTS - 1)) {
		if (!c->slots[i].used)
			return NULL;
		if (memcmp(&c->slots[i].k, k, sizeof(*k)) == 0)
			return &c->slots[i];
	}
}

/* Remove slot i, moving later members of its probe run back into the hole. */
static void remove_slot(struct ww_ct *c, uint32_t i)
{
	c->slots[i].used = false;
	for (uint32_t j = (i + 1) & (SLOTS - 1); c->slots[j].used; j = (j + 1) & (SLOTS - 1)) {
		uint32_t h = key_hash(&c->slots[j].k);
		/* j's entry may fill i when i lies cyclically in [h, j) */
		bool movable = i <= j ? (h <= i || h > j) : (h <= i && h > j);
		if (!movable)
			continue;
		c->slots[i] = c->slots[j];
		c->slots[j].used = false;
		for (uint32_t q = 0, p = c->head; q < c->count; q++, p = (p + 1) % WW_CT_MAX)
			if (c->fifo[p] == j) {
				c->fifo[p] = i;
				break;
			}
		i = j;
	}
}

static void pop_oldest(struct ww_ct *c)
{
	uint32_t i = c->fifo[c->head];
	c->head = (c->head + 1) % WW_CT_MAX;
	c->count--;
	if (c->slots[i].used)
		remove_slot(c, i);
}

static void put(struct ww_ct *c, const struct ctkey *k, const struct ww_addr *oc, uint16_t ocport,
		const struct ww_addr *os, uint16_t osport)
{
	struct ctent *e = find(c, k);
	if (!e) {
		if (c->count == WW_CT_MAX)
			pop_oldest(c);
		uint32_t i = key_hash(k);
		while (c->slots[i].used)
			i = (i + 1) & (SLOTS - 1);
		e = &c->slots[i];
		e->used = true;
		e->k = *k;
		c->fifo[(c->head + c->count) % WW_CT_MAX] = i;
		c->count++;
	}
	e->oc = *oc;
	e->os = *os;
	e->ocport = ocport;
	e->osport = osport;
	e->seen = c->now;
	c->nat++;
}

struct tuple {
	struct ww_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	bool have_ip, have_proto;
};

static int nested_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (type >= 0 && type <= 16)
		tb[type] = a;
	return MNL_CB_OK;
}

static void parse_tuple(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[17] = { 0 }, *ip[17] = { 0 }, *pr[17] = { 0 };
	memset(t, 0, sizeof(*t));
	mnl_attr_parse_nested(nest, nested_cb, tb);
	if (tb[CTA_TUPLE_IP]) {
		mnl_attr_parse_nested(tb[CTA_TUPLE_IP], nested_cb, ip);
		if (ip[CTA_IP_V4_SRC] && ip[CTA_IP_V4_DST] &&
		    mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]) >= 4 &&
		    mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) >= 4) {
			ww_addr_from_v4(&t->src, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]));
			ww_addr_from_v4(&t->dst, mnl_attr_get_payload(ip[CTA_IP_V4_DST]));
			t->have_ip = true;
		} else if (ip[CTA_IP_V6_SRC] && ip[CTA_IP_V6_DST] &&
			   mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) >= 16 &&
			   mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) >= 16) {
			memcpy(t->src.b, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
			memcpy(t->dst.b, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
			t->have_ip = true;
		}
	}
	if (tb[CTA_TUPLE_PROTO]) {
		mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], nested_cb, pr);
		if (pr[CTA_PROTO_NUM] && pr[CTA_PROTO_SRC_PORT] && pr[CTA_PROTO_DST_PORT]) {
			t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
			t->sport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
			t->dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
			t->have_proto = true;
		}
	}
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ww_ct *c = data;
	const struct nlattr *tb[CTA_MAX + 1];
	memset(tb, 0, sizeof(tb));
	c->events++;
	if ((nlh->nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW)
		return MNL_CB_OK;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		int type = mnl_attr_get_type(a);
		if (type > 0 && type <= CTA_MAX)
			tb[type] = a;
	}
	if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY])
		return MNL_CB_OK;
	struct tuple o, r;
	parse_tuple(tb[CTA_TUPLE_ORIG], &o);
	parse_tuple(tb[CTA_TUPLE_REPLY], &r);
	if (!o.have_ip || !r.have_ip || !o.have_proto || !r.have_proto ||
	    (o.proto != 6 && o.proto != 17))
		return MNL_CB_OK;
	/* not translated: the reply is the original reversed */
	if (!memcmp(&o.src, &r.dst, sizeof(o.src)) && !memcmp(&o.dst, &r.src, sizeof(o.dst)) &&
	    o.sport == r.dport && o.dport == r.sport)
		return MNL_CB_OK;
	/* outside, the packets go r.dst:r.dport -> r.src:r.sport */
	struct ctkey k;
	memset(&k, 0, sizeof(k));
	k.c = r.dst;
	k.cport = r.dport;
	k.s = r.src;
	k.sport = r.sport;
	k.proto = o.proto;
	put(c, &k, &o.src, o.sport, &o.dst, o.dport);
	return MNL_CB_OK;
}

static void drain(struct ww_ct *c, ww_time_t now)
{
	c->now = now;
	for (int i = 0; i < 64; i++) {   /* bounded: a flood of events waits for the next call */
		ssize_t n = mnl_socket_recvfrom(c->nl, c->buf, MNL_SOCKET_BUFFER_SIZE);
		if (n <= 0)
			break;   /* EAGAIN: nothing more; ENOBUFS: some were lost (see the head) */
		mnl_cb_run(c->buf, (size_t)n, 0, 0, event_cb, c);
	}
	while (c->count) {
		struct ctent *e = &c->slots[c->fifo[c->head]];
		if (e->used && now - e->seen <= WW_CT_KEEP_US)
			break;
		pop_oldest(c);
	}
}

struct ww_ct *ww_ct_open(int *err)
{
	struct ww_ct *c = calloc(1, sizeof(*c));
	if (!c || !(c->buf = malloc(MNL_SOCKET_BUFFER_SIZE)) ||
	    !(c->slots = calloc(SLOTS, sizeof(*c->slots))) ||
	    !(c->fifo = malloc(WW_CT_MAX * sizeof(*c->fifo)))) {
		ww_ct_free(c);
		*err = -ENOMEM;
		return NULL;
	}
	c->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!c->nl) {
		*err = -errno;
		ww_ct_free(c);
		return NULL;
	}
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		ww_ct_free(c);
		return NULL;
	}
	int group = NFNLGRP_CONNTRACK_NEW;
	if (mnl_socket_setsockopt(c->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		*err = -errno;
		ww_ct_free(c);
		return NULL;
	}
	int on = 1;   /* an overrun is reported, not fatal */
	(void)mnl_socket_setsockopt(c->nl, NETLINK_NO_ENOBUFS, &on, sizeof(on));
	return c;
}

void ww_ct_free(struct ww_ct *c)
{
	if (!c)
		return;
	if (c->nl)
		mnl_socket_close(c->nl);
	free(c->buf);
	free(c->slots);
	free(c->fifo);
	free(c);
}

int ww_ct_lookup(struct ww_ct *c, uint8_t proto, const struct ww_addr *cip, uint16_t cport,
		 const struct ww_addr *sip, uint16_t sport, ww_time_t now,
		 struct ww_addr *ocip, uint16_t *ocport, struct ww_addr *osip, uint16_t *osport)
{
	drain(c, now);
	struct ctkey k;
	memset(&k, 0, sizeof(k));
	k.c = *cip;
	k.cport = cport;
	k.s = *sip;
	k.sport = sport;
	k.proto = proto;
	struct ctent *e = find(c, &k);
	if (!e)
		return -ENOENT;
	*ocip = e->oc;
	*ocport = e->ocport;
	*osip = e->os;
	*osport = e->osport;
	c->hits++;
	return 0;
}

void ww_ct_stats(const struct ww_ct *c, uint64_t *events, uint64_t *nat, uint64_t *hits)
{
	*events = c ? c->events : 0;
	*nat = c ? c->nat : 0;
	*hits = c ? c->hits : 0;
}
