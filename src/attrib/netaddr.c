/*
 * netaddr.c - this host's addresses: an RTM_GETADDR dump, then change
 * notifications, answered through a small open-addressing hash set.
 *
 * Two structures. The list of (address, interface) entries is the truth: the
 * same address can sit on two interfaces, and removing it from one must not
 * make it foreign. The hash set of distinct addresses is what the hot path
 * probes; it is rebuilt from the list on every change, which is rare (an
 * address added or removed) and costs microseconds for the tens of addresses
 * a host has. The set is sized to at most half full, so a probe for an
 * address that is not there ends after one or two slots: is_local() is a
 * hash, one cache line and a 16-byte compare.
 *
 * Subscribe before dumping: a change between the dump and the subscription
 * would otherwise be lost. A change that also shows up in the dump is
 * idempotent (add is a no-op when present, delete when absent). When the
 * kernel drops notifications because we read too slowly (ENOBUFS), the set
 * is rebuilt from a fresh dump rather than left silently wrong.
 */
#include "wirewho/netaddr.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NETADDR_MIN_SLOTS 16   /* power of two; a host with a few addresses never rehashes */

struct entry {
	struct ww_addr a;
	int ifindex;
};

struct ww_netaddr {
	struct mnl_socket *events;    /* subscribed to address changes, non-blocking */
	struct entry *ent;            /* every (address, interface) */
	size_t n_ent, cap_ent;
	struct ww_addr *slots;        /* distinct addresses, open addressing */
	uint8_t *used;
	size_t mask;                  /* slots - 1 */
	size_t n_distinct;
	uint64_t generation;
	char *buf;                    /* MNL_SOCKET_BUFFER_SIZE receive buffer */
};

static const uint8_t v4_loopback_prefix[13] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127 };

static inline size_t addr_hash(const struct ww_addr *a, size_t mask)
{
	uint64_t lo, hi;
	memcpy(&lo, a->b, 8);
	memcpy(&hi, a->b + 8, 8);
	/* Fibonacci hashing of the folded halves; the top bits are the best mixed. */
	uint64_t h = (lo ^ (hi << 29 | hi >> 35) ^ hi) * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & mask;
}

static int rebuild(struct ww_netaddr *n)
{
	size_t slots = NETADDR_MIN_SLOTS;
	while (slots < n->n_ent * 2)
		slots *= 2;
	struct ww_addr *s = calloc(slots, sizeof(*s));
	uint8_t *u = calloc(slots, 1);
	if (!s || !u) {
		free(s);
		free(u);
		return -ENOMEM;
	}
	size_t distinct = 0;
	for (size_t i = 0; i < n->n_ent; i++) {
		size_t h = addr_hash(&n->ent[i].a, slots - 1);
		while (u[h] && memcmp(&s[h], &n->ent[i].a, sizeof(s[h])) != 0)
			h = (h + 1) & (slots - 1);
		if (!u[h]) {
			u[h] = 1;
			s[h] = n->ent[i].a;
			distinct++;
		}
	}
	free(n->slots);
	free(n->used);
	n->slots = s;
	n->used = u;
	n->mask = slots - 1;
	n->n_distinct = distinct;
	n->generation++;
	return 0;
}

struct ww_netaddr *ww_netaddr_new(void)
{
	struct ww_netaddr *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	if (rebuild(n) < 0) {
		free(n);
		return NULL;
	}
	n->generation = 0;
	return n;
}

void ww_netaddr_close(struct ww_netaddr *n)
{
	if (!n)
		return;
	if (n->events)
		mnl_socket_close(n->events);
	free(n->ent);
	free(n->slots);
	free(n->used);
	free(n->buf);
	free(n);
}

int ww_netaddr_add(struct ww_netaddr *n, const struct ww_addr *a, int ifindex)
{
	for (size_t i = 0; i < n->n_ent; i++)
		if (n->ent[i].ifindex == ifindex && memcmp(&n->ent[i].a, a, sizeof(*a)) == 0)
			return 0;
	if (n->n_ent == n->cap_ent) {
		size_t cap = n->cap_ent ? n->cap_ent * 2 : 16;
		struct entry *e = realloc(n->ent, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		n->ent = e;
		n->cap_ent = cap;
	}
	n->ent[n->n_ent++] = (struct entry){ *a, ifindex };
	if (rebuild(n) < 0) {
		n->n_ent--;
		return -ENOMEM;
	}
	return 0;
}

int ww_netaddr_del(struct ww_netaddr *n, const struct ww_addr *a, int ifindex)
{
	for (size_t i = 0; i < n->n_ent; i++)
		if (n->ent[i].ifindex == ifindex && memcmp(&n->ent[i].a, a, sizeof(*a)) == 0) {
			struct entry saved = n->ent[i];
			n->ent[i] = n->ent[--n->n_ent];
			if (rebuild(n) < 0) {
				n->ent[n->n_ent++] = saved;   /* keep the old set rather than a wrong one */
				return -ENOMEM;
			}
			return 0;
		}
	return -ENOENT;
}

bool ww_netaddr_is_local(const struct ww_netaddr *n, const struct ww_addr *a)
{
	if (WW_UNLIKELY(memcmp(a->b, v4_loopback_prefix, sizeof(v4_loopback_prefix)) == 0))
		return true;
	size_t h = addr_hash(a, n->mask);
	while (n->used[h]) {
		if (memcmp(&n->slots[h], a, sizeof(*a)) == 0)
			return true;
		h = (h + 1) & n->mask;
	}
	return false;
}

size_t ww_netaddr_count(const struct ww_netaddr *n)
{
	return n->n_distinct;
}


int ww_netaddr_fd(const struct ww_netaddr *n)
{
	return n->events ? mnl_socket_get_fd(n->events) : -1;
}

/* --- netlink ---------------------------------------------------------------- */

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;   /* newer kernel attribute: not ours */
	if ((type == IFA_ADDRESS || type == IFA_LOCAL) &&
	    mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

int ww_netaddr_apply(struct ww_netaddr *n, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg *ifa;
	const struct nlattr *at;
	struct ww_addr a;

	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return 0;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifa))
		return 0;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb) < 0)
		return 0;
	/* IPv4 point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours.
	 * IPv6 sends IFA_ADDRESS only (IFA_LOCAL appears with a peer). */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!at)
		return 0;
	if (ifa->ifa_family == AF_INET && mnl_attr_get_payload_len(at) == 4)
		ww_addr_from_v4(&a, mnl_attr_get_payload(at));
	else if (ifa->ifa_family == AF_INET6 && mnl_attr_get_payload_len(at) == 16)
		memcpy(a.b, mnl_attr_get_payload(at), 16);
	else
		return 0;
	if (nlh->nlmsg_type == RTM_NEWADDR) {
		size_t before = n->n_ent;
		int rc = ww_netaddr_add(n, &a, (int)ifa->ifa_index);
		return rc < 0 ? rc : n->n_ent != before;
	}
	return ww_netaddr_del(n, &a, (int)ifa->ifa_index) == 0;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	return ww_netaddr_apply(data, nlh) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Replace the entries with a fresh RTM_GETADDR dump, on a private socket. */
static int dump(struct ww_netaddr *n)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned seq = (unsigned)time(NULL), portid;
	ssize_t len;
	int rc = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	n->n_ent = 0;
	while ((len = mnl_socket_recvfrom(nl, n->buf, MNL_SOCKET_BUFFER_SIZE)) > 0) {
		int r = mnl_cb_run(n->buf, (size_t)len, seq, portid, dump_cb, n);
		if (r == MNL_CB_STOP)
			break;
		if (r < 0) {
			rc = errno ? -errno : -EIO;
			goto out;
		}
	}
	if (len < 0)
		rc = -errno;
	else
		rc = rebuild(n);
out:
	mnl_socket_close(nl);
	return rc;
}

struct ww_netaddr *ww_netaddr_open(int *err)
{
	struct ww_netaddr *n = ww_netaddr_new();
	int rc;

	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	n->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!n->buf) {
		rc = -ENOMEM;
		goto err;
	}
	n->events = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!n->events) {
		rc = -errno;
		goto err;
	}
	if (mnl_socket_bind(n->events, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto err;
	}
	if ((rc = dump(n)) < 0)
		goto err;
	return n;
err:
	*err = rc;
	ww_netaddr_close(n);
	return NULL;
}

int ww_netaddr_process(struct ww_netaddr *n)
{
	int applied = 0;

	if (!n->events)
		return 0;
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(n->events, n->buf, MNL_SOCKET_BUFFER_SIZE);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return applied;
			if (errno == ENOBUFS) {
				/* Notifications were lost: start over from the truth. */
				int rc = dump(n);
				if (rc < 0)
					return rc;
				applied++;
				continue;
			}
			return -errno;
		}
		/* Notifications carry seq 0 and the kernel's port id 0. */
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)n->buf;
		int left = (int)len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			int rc = ww_netaddr_apply(n, nlh);
			if (rc < 0)
				return rc;
			applied++;
		}
	}
}
