/*
 * netns.h - the host's other network namespaces, for the live monitor:
 * their addresses and a socket table in each (#12.3).
 *
 * A container, or an `ip netns` namespace, talks through a veth whose
 * host side wirewho may watch: the flow's addresses are the namespace's,
 * not ours, and its sockets are in the namespace's socket table. The set
 * is found once, at start-up, while wirewho still may enter namespaces
 * (setns() needs CAP_SYS_ADMIN, which is dropped after): every namespace
 * some process is in (/proc/PID/ns/net) and every `ip netns` name
 * (/run/netns). A helper thread enters each in turn and opens two netlink
 * sockets there, which stay bound to it: a NETLINK_SOCK_DIAG socket table
 * (socktab.h) and a NETLINK_ROUTE socket whose address dumps say which
 * addresses the namespace has. The monitor's own thread never changes
 * namespace. Namespaces made later are not seen (the capability is gone);
 * their flows stay "not_local", as before.
 *
 * A flow's address may belong to several namespaces (test namespaces, or
 * containers on separate bridges, reuse addresses): the caller asks each
 * that has it and takes the socket only when exactly one namespace holds
 * that 5-tuple.
 */
#ifndef WIREWHO_NETNS_H
#define WIREWHO_NETNS_H

#include "wirewho/common.h"

#define WW_NETNS_MAX 256                           /* namespaces kept (two sockets each) */
#define WW_NETNS_REFRESH_US (10 * WW_USEC_PER_SEC)  /* addresses dumped again this often */

struct ww_netns_set;
struct ww_socktab;

/*
 * Find and open every network namespace but the calling thread's. Returns the set (possibly empty), or NULL with -errno in
 * *err when out of memory. Namespaces that cannot be entered (no
 * CAP_SYS_ADMIN, gone meanwhile) are counted in *skipped.
 */
struct ww_netns_set *ww_netns_open(unsigned *skipped, int *err);

/* Close every socket and free. NULL is allowed. */
void ww_netns_free(struct ww_netns_set *s);

/* Namespaces in the set. Can't fail. */
size_t ww_netns_count(const struct ww_netns_set *s);

/*
 * The namespaces that have address `a`, by index into out[] (at most max);
 * returns how many have it (may exceed max). Can't fail.
 */
size_t ww_netns_with_addr(const struct ww_netns_set *s, const struct ww_addr *a, size_t *out,
			  size_t max);

/* Namespace i's socket table, nsfs inode, and `ip netns` name ("" none). Can't fail. */
struct ww_socktab *ww_netns_socktab(const struct ww_netns_set *s, size_t i);
uint64_t ww_netns_ino(const struct ww_netns_set *s, size_t i);
const char *ww_netns_name(const struct ww_netns_set *s, size_t i);

/*
 * Dump every namespace's addresses again when WW_NETNS_REFRESH_US has
 * passed since the last dump (wall time `now`). Returns 0, or the -errno
 * of the first dump that failed (the others are still made; a namespace
 * whose dump fails keeps its old addresses).
 */
int ww_netns_refresh(struct ww_netns_set *s, ww_time_t now);

#endif
