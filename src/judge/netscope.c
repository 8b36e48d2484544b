/*
 * netscope.c - bind and remote scopes from the IANA special-purpose address
 * registries (RFC 6890 and later updates).
 *
 * Each family has one small table of prefixes with the scope they imply;
 * the longest matching prefix wins, which is how the registries' exceptions
 * read (192.0.0.0/24 is not global, but 192.0.0.9/32 and 192.0.0.10/32 are;
 * 2001::/23 is not global, but several /32../128 inside it are). Anything no
 * entry covers is internet for IPv4; for IPv6 only global unicast
 * (2000::/3) is internet and the rest of the space, unallocated or reserved,
 * is "private" (not globally reachable) — an analyst should not read a
 * connection to 4000::1 as an ordinary internet peer.
 *
 * Tables are searched linearly: they have ~25 entries, are called once per
 * socket, and a trie would only obscure the registry they transcribe.
 */
#include "wirewho/netscope.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>

struct prefix {
	uint8_t addr[16];   /* IPv4 entries use the first 4 bytes */
	uint8_t len;        /* prefix length in bits */
	uint8_t scope;      /* enum ww_remote_scope */
};

#define V4(a, b, c, d) { a, b, c, d }
#define P WW_REMOTE_PRIVATE
#define L WW_REMOTE_LINK_LOCAL
#define I WW_REMOTE_INTERNET
#define LO WW_REMOTE_LOOPBACK

/* IPv4: RFC 6890 table 1..16 plus RFC 7335, RFC 8155 and multicast (RFC 5771). */
static const struct prefix v4_table[] = {
	{ V4(0, 0, 0, 0), 8, P },          /* "this network" (RFC 791) */
	{ V4(10, 0, 0, 0), 8, P },         /* private-use (RFC 1918) */
	{ V4(100, 64, 0, 0), 10, P },      /* shared address space, CGN (RFC 6598) */
	{ V4(127, 0, 0, 0), 8, LO },       /* loopback (RFC 1122) */
	{ V4(169, 254, 0, 0), 16, L },     /* link local (RFC 3927) */
	{ V4(172, 16, 0, 0), 12, P },      /* private-use (RFC 1918) */
	{ V4(192, 0, 0, 0), 24, P },       /* IETF protocol assignments (RFC 6890) */
	{ V4(192, 0, 0, 9), 32, I },       /* PCP anycast (RFC 7723): global */
	{ V4(192, 0, 0, 10), 32, I },      /* TURN anycast (RFC 8155): global */
	{ V4(192, 0, 2, 0), 24, P },       /* documentation TEST-NET-1 (RFC 5737) */
	{ V4(192, 31, 196, 0), 24, I },    /* AS112-v4 (RFC 7535): global */
	{ V4(192, 52, 193, 0), 24, I },    /* AMT (RFC 7450): global */
	{ V4(192, 88, 99, 0), 24, I },     /* deprecated 6to4 relay anycast: global */
	{ V4(192, 168, 0, 0), 16, P },     /* private-use (RFC 1918) */
	{ V4(192, 175, 48, 0), 24, I },    /* direct delegation AS112 (RFC 7534) */
	{ V4(198, 18, 0, 0), 15, P },      /* benchmarking (RFC 2544) */
	{ V4(198, 51, 100, 0), 24, P },    /* documentation TEST-NET-2 (RFC 5737) */
	{ V4(203, 0, 113, 0), 24, P },     /* documentation TEST-NET-3 (RFC 5737) */
	{ V4(224, 0, 0, 0), 4, P },        /* multicast: a group, not an internet host */
	{ V4(224, 0, 0, 0), 24, L },       /* local network control block: link scope */
	{ V4(240, 0, 0, 0), 4, P },        /* reserved (RFC 1112) */
	{ V4(255, 255, 255, 255), 32, P }, /* limited broadcast (RFC 919) */
};

#define V6(...) { __VA_ARGS__ }
/* IPv6: RFC 6890 table 17..27 plus RFC 8190, RFC 9637, RFC 9602, RFC 6052/8215. */
static const struct prefix v6_table[] = {
	{ V6(0), 8, P },                                  /* reserved by IETF (::/8) */
	{ V6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128, LO },  /* ::1 */
	{ V6(0, 0x64, 0xff, 0x9b), 96, I },               /* NAT64 well-known (RFC 6052) */
	{ V6(0, 0x64, 0xff, 0x9b, 0, 1), 48, P },         /* local-use NAT64 (RFC 8215) */
	{ V6(1, 0), 64, P },                              /* discard-only (RFC 6666) */
	{ V6(0x20, 0x01), 23, P },                        /* IETF protocol assignments */
	{ V6(0x20, 0x01), 32, I },                        /* Teredo (RFC 4380): tunnels to global peers */
	{ V6(0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128, I }, /* PCP anycast */
	{ V6(0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2), 128, I }, /* TURN anycast */
	{ V6(0x20, 0x01, 0, 2), 48, P },                  /* benchmarking (RFC 5180) */
	{ V6(0x20, 0x01, 0, 3), 32, I },                  /* AMT (RFC 7450) */
	{ V6(0x20, 0x01, 0, 4, 1, 0x12), 48, I },         /* AS112-v6 (RFC 7535) */
	{ V6(0x20, 0x01, 0, 0x20), 28, I },               /* ORCHIDv2 (RFC 7343) */
	{ V6(0x20, 0x01, 0x0d, 0xb8), 32, P },            /* documentation (RFC 3849) */
	{ V6(0x20, 0x02), 16, I },                        /* 6to4 (RFC 3056) */
	{ V6(0x20, 0x00), 3, I },                         /* global unicast */
	{ V6(0x3f, 0xff), 20, P },                        /* documentation (RFC 9637) */
	{ V6(0x5f, 0x00), 16, P },                        /* SRv6 SIDs (RFC 9602) */
	{ V6(0xfc), 7, P },                               /* unique local (RFC 4193) */
	{ V6(0xfe, 0x80), 10, L },                        /* link-local unicast (RFC 4291) */
	{ V6(0xfe, 0xc0), 10, P },                        /* deprecated site-local (RFC 3879) */
	{ V6(0xff), 8, P },                               /* multicast: a group */
	{ V6(0xff, 0x01), 16, LO },                       /* interface-local multicast */
	{ V6(0xff, 0x02), 16, L },                        /* link-local multicast */
};

#undef P
#undef L
#undef I
#undef LO

static bool prefix_match(const uint8_t *a, const uint8_t *p, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;
	if (memcmp(a, p, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (p[full] & mask);
}

/* Longest-prefix match; `dflt` when nothing matches. */
static enum ww_remote_scope lookup(const uint8_t *a, const struct prefix *t, size_t n,
				   enum ww_remote_scope dflt)
{
	int best = -1;
	enum ww_remote_scope s = dflt;
	for (size_t i = 0; i < n; i++) {
		if ((int)t[i].len > best && prefix_match(a, t[i].addr, t[i].len)) {
			best = t[i].len;
			s = (enum ww_remote_scope)t[i].scope;
		}
	}
	return s;
}

bool ww_netscope_is_unspecified(const struct ww_addr *a)
{
	static const uint8_t zero[16];
	if (ww_addr_is_v4(a))
		return memcmp(a->b + 12, zero, 4) == 0;
	return memcmp(a->b, zero, 16) == 0;
}

/* True for 127.0.0.0/8 (also IPv4-mapped) and ::1. */
static bool ww_netscope_is_loopback(const struct ww_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };
	if (ww_addr_is_v4(a))
		return a->b[12] == 127;
	return memcmp(a->b, one, 16) == 0;
}

enum ww_bind_scope ww_netscope_bind(const struct ww_addr *local, uint32_t ifindex,
				    uint32_t lo_ifindex)
{
	if (ww_netscope_is_loopback(local))
		return WW_BIND_LOOPBACK;
	if (ifindex != 0)   /* SO_BINDTODEVICE narrows even a wildcard bind */
		return ifindex == lo_ifindex ? WW_BIND_LOOPBACK : WW_BIND_INTERFACE;
	if (ww_netscope_is_unspecified(local))
		return WW_BIND_ANY;
	return WW_BIND_INTERFACE;
}

/* The declared home networks (netscope.h); n == 0 when none. */
static struct ww_netscope_home home;
static bool home_locked;

/* Registry ranges a home-net declaration does not re-scope: not hosts of any network. */
static bool keeps_registry_scope(const struct ww_addr *a)
{
	if (ww_addr_is_v4(a)) {
		const uint8_t *b = a->b + 12;
		return b[0] == 0 || b[0] >= 224;   /* this network; multicast, reserved, broadcast */
	}
	return a->b[0] == 0xff;                    /* multicast */
}

enum ww_remote_scope ww_netscope_remote(const struct ww_addr *remote)
{
	enum ww_remote_scope s;
	if (ww_netscope_is_unspecified(remote))
		return WW_REMOTE_NONE;
	if (ww_addr_is_v4(remote))
		s = lookup(remote->b + 12, v4_table, WW_ARRAY_SIZE(v4_table), WW_REMOTE_INTERNET);
	else
		s = lookup(remote->b, v6_table, WW_ARRAY_SIZE(v6_table), WW_REMOTE_PRIVATE);
	if (home.n == 0 || (s != WW_REMOTE_PRIVATE && s != WW_REMOTE_INTERNET) ||
	    keeps_registry_scope(remote))
		return s;
	for (size_t i = 0; i < home.n; i++)
		if (prefix_match(remote->b, home.net[i].a.b, home.net[i].len))
			return WW_REMOTE_PRIVATE;
	return WW_REMOTE_INTERNET;
}

int ww_netscope_home_parse(const char *list, size_t len, struct ww_netscope_home *h,
			   char *err, size_t errsz)
{
	const char *s = list, *end = list + len;
	while (s < end) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		const char *e = c ? c : end;
		char buf[64], *slash;
		uint8_t v4[4];
		unsigned max = 128, base = 0;
		size_t l = (size_t)(e - s);
		if (l == 0 || l >= sizeof(buf)) {
			snprintf(err, errsz, "'%.*s' is not an IPv4/IPv6 address or CIDR", (int)(l > 64 ? 64 : l), s);
			return -EINVAL;
		}
		memcpy(buf, s, l);
		buf[l] = '\0';
		if (h->n >= WW_NETSCOPE_HOME_MAX) {
			snprintf(err, errsz, "more than %d home networks", WW_NETSCOPE_HOME_MAX);
			return -EINVAL;
		}
		struct ww_addr *a = &h->net[h->n].a;
		if ((slash = strchr(buf, '/')))
			*slash = '\0';
		if (inet_pton(AF_INET, buf, v4) == 1) {
			ww_addr_from_v4(a, v4);
			max = 32;
			base = 96;
		} else if (inet_pton(AF_INET6, buf, a->b) != 1) {
			if (slash)
				*slash = '/';
			snprintf(err, errsz, "'%s' is not an IPv4/IPv6 address or CIDR", buf);
			return -EINVAL;
		}
		unsigned long plen = max;
		if (slash) {
			char *pe;
			plen = strtoul(slash + 1, &pe, 10);
			if (slash[1] < '0' || slash[1] > '9' || *pe || plen > max) {
				*slash = '/';
				snprintf(err, errsz, "bad prefix length in '%s' (0-%u)", buf, max);
				return -EINVAL;
			}
		}
		h->net[h->n++].len = (uint8_t)(base + plen);
		s = c ? c + 1 : end;
		if (c && s == end) {
			snprintf(err, errsz, "empty network after ','");
			return -EINVAL;
		}
	}
	return 0;
}

void ww_netscope_set_home(const struct ww_netscope_home *h, bool lock)
{
	if (home_locked && !lock)
		return;   /* --home-net was given: it wins over the policy's line */
	home_locked = lock;
	if (h)
		home = *h;
	else
		home.n = 0;
}

const char *ww_netscope_bind_name(enum ww_bind_scope s)
{
	switch (s) {
	case WW_BIND_ANY: return "any";
	case WW_BIND_INTERFACE: return "interface";
	case WW_BIND_LOOPBACK: return "loopback";
	}
	return "any";
}

const char *ww_netscope_remote_name(enum ww_remote_scope s)
{
	switch (s) {
	case WW_REMOTE_NONE: return "none";
	case WW_REMOTE_LOOPBACK: return "loopback";
	case WW_REMOTE_PRIVATE: return "private";
	case WW_REMOTE_LINK_LOCAL: return "link_local";
	case WW_REMOTE_INTERNET: return "internet";
	}
	return "none";
}

int ww_netscope_home_option(const char *arg, char *err, size_t errsz)
{
	struct ww_netscope_home h;
	h.n = 0;
	int rc = ww_netscope_home_parse(arg, strlen(arg), &h, err, errsz);
	if (rc == 0 && h.n == 0) {
		snprintf(err, errsz, "needs CIDR[,CIDR...]");
		rc = -EINVAL;
	}
	if (rc == 0)
		ww_netscope_set_home(&h, true);
	return rc;
}
