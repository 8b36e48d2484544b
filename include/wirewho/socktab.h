/*
 * socktab.h - the host's socket table, read from the kernel over netlink
 * NETLINK_SOCK_DIAG (libmnl), one network namespace per table.
 *
 * A table is bound to the network namespace its netlink socket was opened
 * in: open it while the thread is inside a namespace (see
 * ww_socktab_new_in_netns) and every later dump or exact query reads that
 * namespace, whatever namespace the caller is in by then.
 *
 * Two ways to read it:
 *   - ww_socktab_dump(): TCP and UDP, IPv4 and IPv6, every state, plus RAW
 *     sockets when the kernel has raw_diag; replaces the table's contents.
 *   - ww_socktab_query_exact(): one socket by its 5-tuple, for the live
 *     monitor on a miss — one request, one answer, no dump.
 * When sock_diag is unavailable (old or stripped kernel, seccomp), the table
 * falls back to parsing /proc/net/{tcp,udp,raw}{,6}; `backend` says which.
 */
#ifndef WIREWHO_SOCKTAB_H
#define WIREWHO_SOCKTAB_H

#include "wirewho/common.h"

/* Socket states: TCP's are the kernel's numbers (include/net/tcp_states.h). */
enum ww_sock_state {
	WW_SS_UNKNOWN = 0,
	WW_SS_ESTABLISHED = 1,
	WW_SS_SYN_SENT,
	WW_SS_SYN_RECV,
	WW_SS_FIN_WAIT1,
	WW_SS_FIN_WAIT2,
	WW_SS_TIME_WAIT,
	WW_SS_CLOSE,        /* TCP CLOSE; for UDP/RAW this is "unconnected" */
	WW_SS_CLOSE_WAIT,
	WW_SS_LAST_ACK,
	WW_SS_LISTEN,
	WW_SS_CLOSING,
	WW_SS_NEW_SYN_RECV, /* kernel-internal request socket; shown as SYN_RECV */
	WW_SS_NSTATES
};

#define WW_SOCK_PROTO_RAW 255   /* ww_sock.proto of a raw socket; raw_proto says which */

/*
 * One socket. 80 bytes, ordered by size: the two addresses first (the
 * fields every lookup compares), then 64-bit ids, then 32-bit counters,
 * then the small fields — no padding anywhere.
 */
struct ww_sock {
	struct ww_addr local, remote;   /* IPv4 stored mapped; remote :: when none */
	uint64_t inode;                 /* sockfs inode; 0 for TIME_WAIT/request sockets */
	uint64_t cookie;                /* kernel socket cookie: unique while it lives */
	uint32_t uid;                   /* owner uid as the kernel records it */
	uint32_t rqueue, wqueue;        /* bytes queued (LISTEN: backlog / max backlog) */
	uint32_t ifindex;               /* SO_BINDTODEVICE device, 0 none */
	uint32_t netns_idx;             /* index into the caller's namespace list (free use) */
	uint16_t lport, rport;          /* host order; raw sockets: lport = protocol */
	uint8_t proto;                  /* WW_IPPROTO_TCP, WW_IPPROTO_UDP, WW_SOCK_PROTO_RAW */
	uint8_t family;                 /* 4 or 6: the socket's family (AF_INET6 may carry v4-mapped) */
	uint8_t state;                  /* enum ww_sock_state */
	uint8_t raw_proto;              /* raw sockets: the IP protocol (1 = ICMP ...) */
};
_Static_assert(sizeof(struct ww_sock) == 80, "ww_sock is laid out to 80 bytes without padding");

/* Which sockets a dump reads. */
#define WW_SOCKTAB_TCP 0x1
#define WW_SOCKTAB_UDP 0x2
#define WW_SOCKTAB_RAW 0x4
#define WW_SOCKTAB_ALL (WW_SOCKTAB_TCP | WW_SOCKTAB_UDP | WW_SOCKTAB_RAW)

/* Flags for ww_socktab_new. */
#define WW_SOCKTAB_FORCE_PROCFS 0x100   /* tests: use the /proc/net fallback */

struct ww_socktab;

/*
 * A table for the network namespace the calling thread is in now. Opens a
 * NETLINK_SOCK_DIAG socket, or falls back to /proc/net when that fails.
 * Returns NULL when out of memory or when neither backend is usable
 * (errno says why).
 */
struct ww_socktab *ww_socktab_new(unsigned flags);

/*
 * A table for the network namespace `nsfd` refers to (an open
 * /proc/PID/ns/net): enters it with setns(), opens the netlink socket there
 * and returns to the caller's namespace before returning. Needs
 * CAP_SYS_ADMIN. The /proc fallback is bound to /proc/PID/net of
 * `pid_hint` (a process in that namespace). Returns NULL with errno set.
 */
struct ww_socktab *ww_socktab_new_in_netns(int nsfd, int pid_hint, unsigned flags);

void ww_socktab_free(struct ww_socktab *t);

/*
 * Replace the table with a fresh dump of the selected kinds (WW_SOCKTAB_*).
 * A missing raw_diag module is not an error (raw sockets are then absent;
 * ww_socktab_has_raw() says so). Returns 0, -ENOMEM, or the netlink/-errno
 * error of the dump.
 */
int ww_socktab_dump(struct ww_socktab *t, unsigned what);

/* The sockets of the last dump. Valid until the next dump or free. Can't fail. */
const struct ww_sock *ww_socktab_socks(const struct ww_socktab *t, size_t *n);

/*
 * Ask the kernel for the one socket with this 5-tuple (addresses of either
 * family; `family` 4 or 6). For TCP this finds the established socket, else
 * the listener that would accept the connection; for UDP the socket that
 * would receive a datagram from raddr:rport to laddr:lport (a connected
 * socket or the bound one). IPv4 tuples also find dual-stack AF_INET6
 * sockets. Does not change the table. Returns 0 and fills *out, -ENOENT when
 * no socket matches, -EOPNOTSUPP on the /proc fallback or for RAW, or another
 * -errno from netlink.
 */
int ww_socktab_query_exact(struct ww_socktab *t, uint8_t proto, int family,
			   const struct ww_addr *laddr, uint16_t lport,
			   const struct ww_addr *raddr, uint16_t rport, struct ww_sock *out);

/*
 * The socket that sent a local ICMP echo request from `laddr` (`family` 4
 * or 6) with identifier `echo_id`: first an ICMP datagram ("ping") socket
 * whose local port is that identifier (the kernel makes the identifier the
 * socket's port), from /proc/net/icmp or icmp6 (inet_diag cannot dump ping
 * sockets on every kernel); else a raw ICMP socket (protocol 1, or 58 for
 * ICMPv6), from /proc/net/raw or raw6, which matches by protocol only:
 * *n_raw is then how many raw ICMP sockets were candidates (more than one
 * is a guess: the newest-numbered inode is taken, as the latest opened).
 * Either must be bound to `laddr` or to the wildcard. Does not change the
 * table. Returns 0 and fills *out (proto WW_IPPROTO_ICMP/ICMPV6 for a ping
 * socket, WW_SOCK_PROTO_RAW for a raw one), -ENOENT when none matches, or
 * -ENOMEM.
 */
int ww_socktab_find_icmp(struct ww_socktab *t, int family, const struct ww_addr *laddr,
			 uint16_t echo_id, struct ww_sock *out, unsigned *n_raw);

/* "sock_diag" or "procfs". Can't fail. */
const char *ww_socktab_backend(const struct ww_socktab *t);
/* Whether the last dump could read RAW sockets. Can't fail. */
bool ww_socktab_has_raw(const struct ww_socktab *t);
/*
 * The name `ip netns` gives the network namespace of inode `ino`: the entry
 * of /run/netns (a bind mount of the namespace) whose inode it is, into buf
 * (bufsz bytes). Returns 0, or -ENOENT when none names it (the host's own,
 * a container's that no one named, /run/netns missing).
 */
int ww_socktab_netns_name(uint64_t ino, char *buf, size_t bufsz);

/* Inode of the network namespace this table reads (0 unknown). Can't fail. */
uint64_t ww_socktab_netns(const struct ww_socktab *t);

/*
 * netstat's name of a state for this protocol: "LISTEN", "ESTABLISHED",
 * ..., "UNCONN" for an unconnected UDP/RAW socket. Can't fail.
 */
const char *ww_sock_state_name(uint8_t proto, uint8_t state);
/* Parse a state name (case-insensitive, as above). Returns the state or -EINVAL. */
int ww_sock_state_parse(const char *name, size_t len);
/* "tcp", "udp", "raw". Can't fail. */
const char *ww_sock_proto_name(uint8_t proto);

#endif
