/*
 * conntrack.h - NAT seen backwards: the inside 5-tuple of a flow captured
 * after masquerading (#12.3), from the kernel's connection tracking.
 *
 * A router that masquerades its inside network rewrites a container's
 * 192.0.2.10:40000 -> 198.51.100.2:80 into 198.51.100.1:61000 ->
 * 198.51.100.2:80 on its outside interface; watched there, the flow's
 * client is the router's own address, and no socket has that 5-tuple. The
 * kernel's conntrack entry holds both: the original tuple and the reply
 * tuple (198.51.100.2:80 -> 198.51.100.1:61000). This module subscribes to
 * ctnetlink's "new connection" events (a NETLINK_NETFILTER socket bound to
 * NFNLGRP_CONNTRACK_NEW: binding needs CAP_NET_ADMIN, receiving afterwards
 * does not) and keeps, for each NATed connection, reply tuple -> original
 * tuple in a bounded table. The event of a connection is queued when the
 * kernel confirms it, after NAT and before its first packet leaves, so it
 * is there to read when the packet reaches the capture; a lookup reads
 * waiting events first.
 */
#ifndef WIREWHO_CONNTRACK_H
#define WIREWHO_CONNTRACK_H

#include "wirewho/common.h"

#define WW_CT_MAX 65536                          /* NATed connections remembered; the oldest go */
#define WW_CT_KEEP_US (120 * WW_USEC_PER_SEC)   /* as the kernel engine's flows */

struct ww_ct;

/*
 * Subscribe to this network namespace's conntrack events. Returns NULL
 * with -errno in *err (-EPERM without CAP_NET_ADMIN, -EPROTONOSUPPORT
 * without ctnetlink).
 */
struct ww_ct *ww_ct_open(int *err);

/* Close and free. NULL is allowed. */
void ww_ct_free(struct ww_ct *c);

/*
 * The original tuple of the NATed connection whose packets leave as
 * cip:cport -> sip:sport (`proto` 6 or 17): the inside client's address
 * and port into *ocip and *ocport, the original destination into
 * *osip and *osport. Reads waiting events first (wall time `now`). Returns 0,
 * or -ENOENT when no NATed connection has that tuple.
 */
int ww_ct_lookup(struct ww_ct *c, uint8_t proto, const struct ww_addr *cip, uint16_t cport,
		 const struct ww_addr *sip, uint16_t sport, ww_time_t now,
		 struct ww_addr *ocip, uint16_t *ocport, struct ww_addr *osip, uint16_t *osport);

/* Events read, NATed connections kept, lookups answered. Can't fail. */
void ww_ct_stats(const struct ww_ct *c, uint64_t *events, uint64_t *nat, uint64_t *hits);

#endif
