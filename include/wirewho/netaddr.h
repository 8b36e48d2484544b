/*
 * netaddr.h - this host's own addresses, from netlink, kept current.
 *
 * The live monitor asks, for every new flow, "does it touch this host?"; only
 * then is there a local socket to look for. The answer must be cheap (one
 * hash probe) and right after an address is added or removed, so the set is
 * filled by an RTM_GETADDR dump and then follows RTM_NEWADDR/RTM_DELADDR
 * notifications (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR) on a descriptor the
 * caller polls. The whole of 127.0.0.0/8 is local, as the kernel treats it.
 */
#ifndef WIREWHO_NETADDR_H
#define WIREWHO_NETADDR_H

#include "wirewho/common.h"

struct nlmsghdr;
struct ww_netaddr;

/*
 * Subscribe to address changes, then dump the current addresses (in that
 * order, so no change between the two is lost). Returns NULL and sets
 * `*err` to -errno when a netlink socket cannot be opened or the dump fails.
 */
struct ww_netaddr *ww_netaddr_open(int *err);

/* An empty set with no netlink socket (tests, replay). NULL when out of memory. */
struct ww_netaddr *ww_netaddr_new(void);

/* Close and free. NULL is allowed. */
void ww_netaddr_close(struct ww_netaddr *n);

/* Descriptor to poll for change notifications, or -1. Can't fail. */
int ww_netaddr_fd(const struct ww_netaddr *n);

/*
 * Read every pending notification and update the set. Returns how many
 * messages were applied, or -errno. After a notification overrun (ENOBUFS)
 * the set is rebuilt from a fresh dump.
 */
int ww_netaddr_process(struct ww_netaddr *n);

/*
 * Apply one RTM_NEWADDR/RTM_DELADDR message (others are ignored). Returns 1
 * when it changed the set, 0 when not, -ENOMEM when out of memory.
 */
int ww_netaddr_apply(struct ww_netaddr *n, const struct nlmsghdr *nlh);

/* Add or remove one address of interface `ifindex`. 0 or -ENOMEM / -ENOENT. */
int ww_netaddr_add(struct ww_netaddr *n, const struct ww_addr *a, int ifindex);
int ww_netaddr_del(struct ww_netaddr *n, const struct ww_addr *a, int ifindex);

/* True when `a` is one of this host's addresses (or in 127/8). Can't fail. */
bool ww_netaddr_is_local(const struct ww_netaddr *n, const struct ww_addr *a);

/* Distinct addresses known (127/8 not counted). Can't fail. */
size_t ww_netaddr_count(const struct ww_netaddr *n);


#endif
