/*
 * netscope.h - where an address reaches: the two scopes the socket audit
 * reads first, as an analyst reads the address columns of `netstat -an`.
 *
 * bind_scope answers "who can reach this socket": every interface (the
 * unspecified address), loopback only, or one interface address.
 * remote_scope answers "who is it talking to": nobody, this host, a
 * private or otherwise non-global network, a link-local neighbour, or the
 * internet. The special-purpose ranges of RFC 6890 (and its successors
 * in the IANA registries: RFC 8190, RFC 9637, RFC 9602) decide what is not
 * "internet". IPv4-mapped IPv6 (::ffff:a.b.c.d) is IPv4 — struct ww_addr
 * already stores IPv4 that way, so a dual-stack socket is judged by the
 * IPv4 address it really uses.
 *
 * A site can declare its own networks (--home-net CIDR,... or a policy
 * `home_net` line: Suricata's HOME_NET, Zeek's Site::local_nets). Then an
 * address that the registries call private or internet is private inside a
 * declared network and internet outside it; loopback, link-local, the
 * unspecified address, "this network" (0.0.0.0/8), multicast and the
 * limited broadcast keep their registry scope. Without a declaration the
 * registries (RFC 6890) decide alone.
 *
 * The functions are pure but for that one process-wide declaration, which
 * is set before the judging starts (or on a policy reload, from the thread
 * that judges); none can fail but the parser.
 */
#ifndef WIREWHO_NETSCOPE_H
#define WIREWHO_NETSCOPE_H

#include "wirewho/common.h"

enum ww_bind_scope {
	WW_BIND_ANY = 0,      /* 0.0.0.0 or ::: every interface */
	WW_BIND_INTERFACE,    /* one non-loopback address or device */
	WW_BIND_LOOPBACK,     /* 127.0.0.0/8, ::1, or bound to the lo device */
};

enum ww_remote_scope {
	WW_REMOTE_NONE = 0,   /* no peer: unspecified address */
	WW_REMOTE_LOOPBACK,   /* this host: 127.0.0.0/8, ::1 */
	WW_REMOTE_PRIVATE,    /* not globally reachable: RFC 1918, ULA, CGN,
	                         documentation, benchmarking, reserved, multicast
	                         beyond link scope, broadcast */
	WW_REMOTE_LINK_LOCAL, /* 169.254.0.0/16, fe80::/10, link-scope multicast */
	WW_REMOTE_INTERNET,   /* everything globally reachable */
};

/* True for 0.0.0.0 and :: (and ::ffff:0.0.0.0). */
bool ww_netscope_is_unspecified(const struct ww_addr *a);

/*
 * Scope of a local (bound) address. `ifindex` is the device the socket is
 * bound to with SO_BINDTODEVICE (0 none); `lo_ifindex` the loopback
 * device's index in the socket's namespace (1 on Linux: lo is always
 * registered first in a network namespace). A wildcard socket bound to a
 * device is reachable through that device only.
 */
enum ww_bind_scope ww_netscope_bind(const struct ww_addr *local, uint32_t ifindex,
				    uint32_t lo_ifindex);

/* Scope of a remote address (unspecified -> none). */
enum ww_remote_scope ww_netscope_remote(const struct ww_addr *remote);

#define WW_NETSCOPE_HOME_MAX 64   /* declared networks: a site lists a handful, not a routing table */

/* A set of declared home networks (n == 0: none declared). */
struct ww_netscope_home {
	struct { struct ww_addr a; uint8_t len; } net[WW_NETSCOPE_HOME_MAX];   /* len over the 128-bit form */
	size_t n;
};

/*
 * Parse "CIDR[,CIDR...]" (a.b.c.d/n, x::/n or bare addresses) into *h,
 * adding to what it holds. Returns 0, or -EINVAL with the reason in err
 * ("'x' is not an IPv4/IPv6 address or CIDR", "more than 64 networks").
 */
int ww_netscope_home_parse(const char *list, size_t len, struct ww_netscope_home *h,
			   char *err, size_t errsz);

/*
 * Declare the home networks from now on (h NULL or h->n == 0: none, the
 * registries decide). `lock`: the command line's declaration, which a
 * policy's home_net line (lock false) does not override. Can't fail.
 */
void ww_netscope_set_home(const struct ww_netscope_home *h, bool lock);

/*
 * --home-net CIDR[,CIDR...]: parse and declare, locked (the command line
 * wins over a policy's home_net line). Returns 0, or -EINVAL with the
 * reason in err.
 */
int ww_netscope_home_option(const char *arg, char *err, size_t errsz);

/* "any", "interface", "loopback". */
const char *ww_netscope_bind_name(enum ww_bind_scope s);
/* "none", "loopback", "private", "link_local", "internet". */
const char *ww_netscope_remote_name(enum ww_remote_scope s);

#endif
