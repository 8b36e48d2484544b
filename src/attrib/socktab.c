/*
 * socktab.c - the socket table over NETLINK_SOCK_DIAG, with a /proc/net
 * fallback.
 *
 * A dump is one inet_diag_req_v2 per (protocol, family): TCP and UDP over
 * AF_INET and AF_INET6, every state, no extensions (idiag_ext = 0: we need
 * the addresses, inode, uid and queues, which are in the fixed inet_diag_msg;
 * asking for INET_DIAG_INFO would triple the bytes the kernel formats). RAW
 * sockets come from raw_diag (Linux 4.14+; its dump ignores
 * sdiag_raw_protocol and lists every raw protocol). A kernel without
 * raw_diag answers ENOENT in the NLMSG_DONE payload; then, and only for raw
 * sockets, /proc/net/raw{,6} is read instead — a raw socket is a finding in
 * itself and must not vanish because a module is missing.
 *
 * Replies are read with a 32 KiB buffer: netlink sizes each dump skb from the
 * largest buffer a reader has offered (capped at 32 KiB), so one recvmsg
 * carries ~200 sockets instead of ~50 with libmnl's default 8 KiB, and a
 * 20,000-socket dump takes ~100 system calls.
 *
 * The exact query is sock_diag's "dump one": the same request without
 * NLM_F_DUMP and with the 5-tuple filled in. TCP's lookup (inet_lookup)
 * takes idiag_src as the local end; UDP's takes the tuple the other way round
 * ("src and dst are swapped for historical reasons" says udp_diag.c), so the
 * request is built per protocol. Both look the socket up as the stack would
 * for an arriving packet, so an unconnected UDP socket or a listener is
 * found for a tuple with a remote end, which is what the live monitor needs.
 *
 * The /proc/net fallback parses the same four (six with raw) files netstat
 * reads. It is only used when the netlink socket cannot be opened or the
 * kernel refuses the first dump with EPROTONOSUPPORT/ENOENT for TCP; it has
 * no cookies, no device binding and no exact query.
 */
#include "wirewho/socktab.h"
#include "wirewho/netscope.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#define RECV_BUF_SIZE 32768     /* netlink's largest dump skb; see above */
#define INITIAL_CAP 256         /* a quiet host has a few dozen sockets */
#define ALL_STATES 0xffffffffu  /* idiag_states: every state bit */
#define DRAIN_MAX_READS 100000  /* a dump of millions of sockets, 32 KiB a read */

struct ww_socktab {
	struct mnl_socket *nl;      /* NULL: /proc/net fallback */
	unsigned portid, seq;
	bool has_raw;
	bool raw_from_procfs;       /* kernel without raw_diag */
	uint64_t netns;
	char procnet[32];           /* "/proc/self/net" or "/proc/PID/net" */
	struct ww_sock *socks;
	size_t n, cap;
	/* exact-query result, filled by the callback */
	struct ww_sock *qout;
	bool qfound;
	_Alignas(8) char buf[RECV_BUF_SIZE];   /* nlmsghdr needs 4-byte alignment */
};

static uint64_t current_netns(void)
{
	struct stat st;
	if (stat("/proc/thread-self/ns/net", &st) == 0 || stat("/proc/self/ns/net", &st) == 0)
		return st.st_ino;
	return 0;
}

static int open_netlink(struct ww_socktab *t)
{
	t->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!t->nl)
		return -errno;
	if (mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(t->nl);
		t->nl = NULL;
		return -e;
	}
	t->portid = mnl_socket_get_portid(t->nl);
	return 0;
}

static struct ww_socktab *alloc_tab(void)
{
	struct ww_socktab *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->seq = (unsigned)getpid();
	snprintf(t->procnet, sizeof(t->procnet), "/proc/self/net");
	return t;
}

struct ww_socktab *ww_socktab_new(unsigned flags)
{
	struct ww_socktab *t = alloc_tab();
	if (!t)
		return NULL;
	t->netns = current_netns();
	if (!(flags & WW_SOCKTAB_FORCE_PROCFS))
		(void)open_netlink(t);   /* failure selects the fallback */
	return t;
}

struct ww_socktab *ww_socktab_new_in_netns(int nsfd, int pid_hint, unsigned flags)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return NULL;
	struct ww_socktab *t = alloc_tab();
	if (!t)
		goto err;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		goto err;
	t->netns = current_netns();
	if (!(flags & WW_SOCKTAB_FORCE_PROCFS))
		(void)open_netlink(t);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Stuck in the other namespace: nothing later could be trusted. */
		int e = errno;
		ww_socktab_free(t);
		close(self);
		errno = e;
		return NULL;
	}
	if (pid_hint > 0)
		snprintf(t->procnet, sizeof(t->procnet), "/proc/%d/net", pid_hint);
	close(self);
	return t;
err:
	{
		int e = errno;
		free(t);
		close(self);
		errno = e;
	}
	return NULL;
}

void ww_socktab_free(struct ww_socktab *t)
{
	if (!t)
		return;
	if (t->nl)
		mnl_socket_close(t->nl);
	free(t->socks);
	free(t);
}

static struct ww_sock *push(struct ww_socktab *t)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : INITIAL_CAP;
		struct ww_sock *ns = realloc(t->socks, nc * sizeof(*ns));
		if (!ns)
			return NULL;
		t->socks = ns;
		t->cap = nc;
	}
	return &t->socks[t->n++];
}

static void addr_from_diag(struct ww_addr *a, uint8_t family, const __be32 raw[4])
{
	if (family == AF_INET)
		ww_addr_from_v4(a, (const uint8_t *)raw);
	else
		memcpy(a->b, raw, 16);
}

static void fill_from_msg(struct ww_sock *s, const struct inet_diag_msg *m, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	addr_from_diag(&s->local, m->idiag_family, m->id.idiag_src);
	addr_from_diag(&s->remote, m->idiag_family, m->id.idiag_dst);
	s->lport = ntohs(m->id.idiag_sport);
	s->rport = ntohs(m->id.idiag_dport);
	s->inode = m->idiag_inode;
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	s->uid = m->idiag_uid;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->ifindex = m->id.idiag_if;
	s->family = m->idiag_family == AF_INET ? 4 : 6;
	s->state = m->idiag_state < WW_SS_NSTATES ? m->idiag_state : WW_SS_UNKNOWN;
	if (s->state == WW_SS_NEW_SYN_RECV)
		s->state = WW_SS_SYN_RECV;
	s->proto = proto;
	if (proto == WW_SOCK_PROTO_RAW) {
		/* raw sockets hash under their protocol number as "port" */
		s->raw_proto = (uint8_t)s->lport;
	}
}

struct dump_ctx {
	struct ww_socktab *t;
	uint8_t proto;
	bool oom;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return MNL_CB_OK;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (c->t->qout) {
		fill_from_msg(c->t->qout, m, c->proto);
		c->t->qfound = true;
		return MNL_CB_OK;
	}
	struct ww_sock *s = push(c->t);
	if (!s) {
		c->oom = true;
		return MNL_CB_ERROR;
	}
	fill_from_msg(s, m, c->proto);
	return MNL_CB_OK;
}

/*
 * NLMSG_DONE of a dump carries the dump's return value; libmnl's default
 * handler ignores it, which would turn "no handler for this protocol"
 * (-ENOENT, e.g. no raw_diag) into a silently empty dump.
 */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
		int err;
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			errno = -err;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/*
 * Throw away what is left of an abandoned dump, so the next request does
 * not read its tail (and fail on the sequence number).
 */
static void drain(struct ww_socktab *t)
{
	int fd = mnl_socket_get_fd(t->nl);
	for (int i = 0; i < DRAIN_MAX_READS; i++)
		if (recv(fd, t->buf, sizeof(t->buf), MSG_DONTWAIT) <= 0)
			break;
}

/*
 * Send one sock_diag request and run the replies through dump_cb.
 * `req` is an inet_diag_req_v2 or inet_diag_req_raw (same size).
 */
static int request(struct ww_socktab *t, const void *req, size_t reqlen, uint16_t flags,
		   uint8_t proto)
{
	_Alignas(8) char sbuf[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(sbuf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++t->seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, reqlen), req, reqlen);
	if (mnl_socket_sendto(t->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	struct dump_ctx c = { .t = t, .proto = proto };
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(t->nl, t->buf, sizeof(t->buf));
		if (n < 0)
			return -errno;
		static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_DONE] = done_cb };
		errno = 0;
		int r = mnl_cb_run2(t->buf, (size_t)n, nlh->nlmsg_seq, t->portid, dump_cb, &c,
				    ctl, NLMSG_MIN_TYPE);
		if (c.oom || r < 0) {
			int e = c.oom ? ENOMEM : errno ? errno : EIO;
			drain(t);
			return -e;
		}
		if (r == MNL_CB_STOP || !(flags & NLM_F_DUMP))
			return 0;
	}
}

static int dump_one_kind(struct ww_socktab *t, uint8_t family, uint8_t proto)
{
	if (proto == WW_SOCK_PROTO_RAW) {
		struct inet_diag_req_raw r = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_RAW,
			.sdiag_raw_protocol = IPPROTO_RAW,
			.idiag_states = ALL_STATES,
		};
		return request(t, &r, sizeof(r), NLM_F_REQUEST | NLM_F_DUMP, proto);
	}
	struct inet_diag_req_v2 r = {
		.sdiag_family = family,
		.sdiag_protocol = proto,
		.idiag_states = ALL_STATES,
	};
	return request(t, &r, sizeof(r), NLM_F_REQUEST | NLM_F_DUMP, proto);
}

/* ---- /proc/net fallback ---- */

/* "0100007F" (IPv4) or 32 hex digits (IPv6): 32-bit words in host order. */
static bool parse_hex_addr(const char *h, size_t len, struct ww_addr *a, uint8_t *family)
{
	uint8_t raw[16];
	size_t words = len / 8;
	if (len != 8 && len != 32)
		return false;
	for (size_t w = 0; w < words; w++) {
		char tmp[9];
		memcpy(tmp, h + 8 * w, 8);
		tmp[8] = '\0';
		char *end;
		uint32_t v = (uint32_t)strtoul(tmp, &end, 16);
		if (*end)
			return false;
		memcpy(raw + 4 * w, &v, 4);   /* the kernel printed the raw word */
	}
	if (len == 8) {
		ww_addr_from_v4(a, raw);
		*family = 4;
	} else {
		memcpy(a->b, raw, 16);
		*family = 6;
	}
	return true;
}

static int parse_procnet_file(struct ww_socktab *t, const char *name, uint8_t proto)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "%s/%s", t->procnet, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;   /* no IPv6 / no raw: nothing to list */
	if (!fgets(line, sizeof(line), f)) {       /* header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char la[33], ra[33];
		unsigned lp, rp, st, txq, rxq, uid;
		unsigned long inode;
		if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %x:%x %*x:%*x %*x %u %*d %lu",
			   la, &lp, ra, &rp, &st, &txq, &rxq, &uid, &inode) != 9)
			continue;
		struct ww_sock *s = push(t);
		if (!s) {
			fclose(f);
			return -ENOMEM;
		}
		memset(s, 0, sizeof(*s));
		uint8_t fam = 0, fam2 = 0;
		if (!parse_hex_addr(la, strlen(la), &s->local, &fam) ||
		    !parse_hex_addr(ra, strlen(ra), &s->remote, &fam2)) {
			t->n--;
			continue;
		}
		s->family = fam;
		s->lport = (uint16_t)lp;
		s->rport = (uint16_t)rp;
		s->state = st < WW_SS_NSTATES ? (uint8_t)st : WW_SS_UNKNOWN;
		s->rqueue = rxq;
		s->wqueue = txq;
		s->uid = uid;
		s->inode = inode;
		s->proto = proto;
		if (proto == WW_SOCK_PROTO_RAW)
			s->raw_proto = (uint8_t)lp;
	}
	fclose(f);
	return 0;
}

/*
 * Scan /proc/net/NAME (the udp format, which icmp and raw share) for
 * sockets of local port `port` bound to laddr or a wildcard; the match with
 * the highest inode goes to *out. Returns the number of matches, or -errno.
 */
static int scan_icmp_file(const struct ww_socktab *t, const char *name, const struct ww_addr *laddr,
			  uint16_t port, uint8_t proto, struct ww_sock *out)
{
	char path[64], line[512];
	int n = 0;
	snprintf(path, sizeof(path), "%s/%s", t->procnet, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char la[33], ra[33];
		unsigned lp, rp, st, uid;
		unsigned long inode;
		struct ww_sock s;
		uint8_t fam = 0, fam2 = 0;
		if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %u %*d %lu",
			   la, &lp, ra, &rp, &st, &uid, &inode) != 7 || lp != port || !inode)
			continue;
		memset(&s, 0, sizeof(s));
		if (!parse_hex_addr(la, strlen(la), &s.local, &fam) ||
		    !parse_hex_addr(ra, strlen(ra), &s.remote, &fam2))
			continue;
		if (memcmp(&s.local, laddr, sizeof(s.local)) != 0 && !ww_netscope_is_unspecified(&s.local))
			continue;
		n++;
		if (n > 1 && inode < out->inode)
			continue;
		s.family = fam;
		s.lport = (uint16_t)lp;
		s.rport = (uint16_t)rp;
		s.state = st < WW_SS_NSTATES ? (uint8_t)st : WW_SS_UNKNOWN;
		s.uid = uid;
		s.inode = inode;
		s.proto = proto;
		if (proto == WW_SOCK_PROTO_RAW)
			s.raw_proto = (uint8_t)lp;
		*out = s;
	}
	fclose(f);
	return n;
}

int ww_socktab_find_icmp(struct ww_socktab *t, int family, const struct ww_addr *laddr,
			 uint16_t echo_id, struct ww_sock *out, unsigned *n_raw)
{
	bool v6 = family == 6;
	*n_raw = 0;
	int n = scan_icmp_file(t, v6 ? "icmp6" : "icmp", laddr, echo_id,
			       v6 ? WW_IPPROTO_ICMPV6 : WW_IPPROTO_ICMP, out);
	if (n < 0)
		return n;
	if (n > 0)
		return 0;
	n = scan_icmp_file(t, v6 ? "raw6" : "raw", laddr, v6 ? WW_IPPROTO_ICMPV6 : WW_IPPROTO_ICMP,
			   WW_SOCK_PROTO_RAW, out);
	if (n < 0)
		return n;
	*n_raw = (unsigned)n;
	return n > 0 ? 0 : -ENOENT;
}

static int dump_procfs(struct ww_socktab *t, unsigned what)
{
	static const struct { const char *name; uint8_t proto; unsigned bit; } files[] = {
		{ "tcp", WW_IPPROTO_TCP, WW_SOCKTAB_TCP }, { "tcp6", WW_IPPROTO_TCP, WW_SOCKTAB_TCP },
		{ "udp", WW_IPPROTO_UDP, WW_SOCKTAB_UDP }, { "udp6", WW_IPPROTO_UDP, WW_SOCKTAB_UDP },
		{ "raw", WW_SOCK_PROTO_RAW, WW_SOCKTAB_RAW }, { "raw6", WW_SOCK_PROTO_RAW, WW_SOCKTAB_RAW },
	};
	t->has_raw = (what & WW_SOCKTAB_RAW) != 0;
	for (size_t i = 0; i < WW_ARRAY_SIZE(files); i++) {
		if (!(what & files[i].bit))
			continue;
		int r = parse_procnet_file(t, files[i].name, files[i].proto);
		if (r < 0)
			return r;
	}
	return 0;
}

int ww_socktab_dump(struct ww_socktab *t, unsigned what)
{
	static const struct { uint8_t proto; unsigned bit; } kinds[] = {
		{ WW_IPPROTO_TCP, WW_SOCKTAB_TCP }, { WW_IPPROTO_UDP, WW_SOCKTAB_UDP },
		{ WW_SOCK_PROTO_RAW, WW_SOCKTAB_RAW },
	};
	static const uint8_t families[] = { AF_INET, AF_INET6 };

	t->n = 0;
	if (!t->nl)
		return dump_procfs(t, what);
	t->has_raw = false;
	for (size_t k = 0; k < WW_ARRAY_SIZE(kinds); k++) {
		if (!(what & kinds[k].bit))
			continue;
		bool raw_ok = true;
		for (size_t f = 0; f < WW_ARRAY_SIZE(families); f++) {
			int r = dump_one_kind(t, families[f], kinds[k].proto);
			if (r == 0)
				continue;
			if (kinds[k].proto == WW_SOCK_PROTO_RAW && (r == -ENOENT || r == -EINVAL ||
								    r == -EOPNOTSUPP)) {
				raw_ok = false;   /* no raw_diag in this kernel */
				continue;
			}
			if (f == 1 && r == -ENOENT)
				continue;         /* kernel without IPv6 diag */
			if (t->n == 0 && k == 0 && f == 0 && (r == -ENOENT || r == -EPROTONOSUPPORT)) {
				/* sock_diag present but inet_diag missing: use /proc/net */
				mnl_socket_close(t->nl);
				t->nl = NULL;
				return dump_procfs(t, what);
			}
			return r;
		}
		if (kinds[k].proto == WW_SOCK_PROTO_RAW) {
			/* No raw_diag: /proc/net/raw{,6} still lists them, and a raw
			 * socket is too important a finding to leave out. */
			t->raw_from_procfs = !raw_ok;
			t->has_raw = true;
			if (!raw_ok) {
				int r = parse_procnet_file(t, "raw", WW_SOCK_PROTO_RAW);
				if (r == 0)
					r = parse_procnet_file(t, "raw6", WW_SOCK_PROTO_RAW);
				if (r < 0)
					t->has_raw = false;
			}
		}
	}
	return 0;
}

const struct ww_sock *ww_socktab_socks(const struct ww_socktab *t, size_t *n)
{
	*n = t->n;
	return t->socks;
}

static void addr_to_diag(__be32 out[4], int family, const struct ww_addr *a)
{
	memset(out, 0, 16);
	if (family == 4)
		memcpy(out, a->b + 12, 4);
	else
		memcpy(out, a->b, 16);
}

static int query_family(struct ww_socktab *t, uint8_t proto, int family,
			const struct ww_addr *laddr, uint16_t lport,
			const struct ww_addr *raddr, uint16_t rport, struct ww_sock *out)
{
	struct inet_diag_req_v2 r = {
		.sdiag_family = family == 4 ? AF_INET : AF_INET6,
		.sdiag_protocol = proto,
		.idiag_states = ALL_STATES,
	};
	r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (proto == WW_IPPROTO_TCP) {
		addr_to_diag(r.id.idiag_src, family, laddr);
		addr_to_diag(r.id.idiag_dst, family, raddr);
		r.id.idiag_sport = htons(lport);
		r.id.idiag_dport = htons(rport);
	} else {
		/* udp_diag reads the tuple swapped: src is the remote end */
		addr_to_diag(r.id.idiag_src, family, raddr);
		addr_to_diag(r.id.idiag_dst, family, laddr);
		r.id.idiag_sport = htons(rport);
		r.id.idiag_dport = htons(lport);
	}
	t->qout = out;
	t->qfound = false;
	int e = request(t, &r, sizeof(r), NLM_F_REQUEST, proto);
	t->qout = NULL;
	if (e < 0)
		return e;
	return t->qfound ? 0 : -ENOENT;
}

int ww_socktab_query_exact(struct ww_socktab *t, uint8_t proto, int family,
			   const struct ww_addr *laddr, uint16_t lport,
			   const struct ww_addr *raddr, uint16_t rport, struct ww_sock *out)
{
	if (!t->nl || (proto != WW_IPPROTO_TCP && proto != WW_IPPROTO_UDP))
		return -EOPNOTSUPP;
	bool v4 = ww_addr_is_v4(laddr) && ww_addr_is_v4(raddr);
	int r = query_family(t, proto, v4 ? 4 : family == 4 ? 4 : 6, laddr, lport, raddr, rport, out);
	if (r == -ENOENT && v4)   /* a dual-stack AF_INET6 socket holding IPv4 */
		r = query_family(t, proto, 6, laddr, lport, raddr, rport, out);
	return r;
}

const char *ww_socktab_backend(const struct ww_socktab *t)
{
	return t->nl ? "sock_diag" : "procfs";
}

bool ww_socktab_has_raw(const struct ww_socktab *t)
{
	return t->has_raw;
}

uint64_t ww_socktab_netns(const struct ww_socktab *t)
{
	return t->netns;
}

static const char *const state_names[WW_SS_NSTATES] = {
	[WW_SS_UNKNOWN] = "UNKNOWN",
	[WW_SS_ESTABLISHED] = "ESTABLISHED", [WW_SS_SYN_SENT] = "SYN_SENT",
	[WW_SS_SYN_RECV] = "SYN_RECV", [WW_SS_FIN_WAIT1] = "FIN_WAIT1",
	[WW_SS_FIN_WAIT2] = "FIN_WAIT2", [WW_SS_TIME_WAIT] = "TIME_WAIT",
	[WW_SS_CLOSE] = "CLOSE", [WW_SS_CLOSE_WAIT] = "CLOSE_WAIT",
	[WW_SS_LAST_ACK] = "LAST_ACK", [WW_SS_LISTEN] = "LISTEN",
	[WW_SS_CLOSING] = "CLOSING", [WW_SS_NEW_SYN_RECV] = "SYN_RECV",
};

const char *ww_sock_state_name(uint8_t proto, uint8_t state)
{
	if (proto != WW_IPPROTO_TCP && state == WW_SS_CLOSE)
		return "UNCONN";
	return state < WW_SS_NSTATES ? state_names[state] : "UNKNOWN";
}

int ww_sock_state_parse(const char *name, size_t len)
{
	if (len == 6 && strncasecmp(name, "UNCONN", 6) == 0)
		return WW_SS_CLOSE;
	for (int i = 1; i < WW_SS_NEW_SYN_RECV; i++)
		if (strlen(state_names[i]) == len && strncasecmp(name, state_names[i], len) == 0)
			return i;
	return -EINVAL;
}

const char *ww_sock_proto_name(uint8_t proto)
{
	switch (proto) {
	case WW_IPPROTO_TCP: return "tcp";
	case WW_IPPROTO_UDP: return "udp";
	default: return "raw";
	}
}

/*
 * `ip netns add NAME` bind-mounts the namespace on /run/netns/NAME: the
 * mount's inode is the namespace's (nsfs), so a stat() of each entry names
 * it. WW_NETNS_RUN_DIR is iproute2's NETNS_RUN_DIR.
 */
#define WW_NETNS_RUN_DIR "/run/netns"

int ww_socktab_netns_name(uint64_t ino, char *buf, size_t bufsz)
{
	DIR *d = opendir(WW_NETNS_RUN_DIR);
	struct dirent *de;
	int rc = -ENOENT;
	if (!d || !ino)
		goto out;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && (uint64_t)st.st_ino == ino) {
			snprintf(buf, bufsz, "%s", de->d_name);
			rc = 0;
			break;
		}
	}
out:
	if (d)
		closedir(d);
	return rc;
}
