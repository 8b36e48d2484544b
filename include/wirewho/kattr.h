/*
 * kattr.h - the kernel attribution engine: who opened a socket, told by the
 * kernel itself (eBPF programs in src/attrib/bpf/) before the socket's
 * first packet is on the wire, so a flow is attributed at its first packet
 * even when its process has already exited.
 *
 * The programs report into a ring buffer; this module reads it into four
 * bounded tables: flows by (protocol, local end, remote end) within the
 * watched network namespace, the same for every other namespace (a
 * container's, seen through its veth; ww_kattr_lookup_foreign()), listening and bound sockets by (protocol,
 * local address, local port), and a process table (program path, parent)
 * kept by exec/fork/exit events without scanning /proc. A lookup first
 * drains the ring buffer (the record of a flow's first packet was written
 * before the packet reached the capture), then answers from the tables.
 *
 * The engine degrades rather than breaks: ww_kattr_open() fails with a
 * sentence saying why (not built, no BTF, missing capabilities, a hook the
 * kernel lacks, no cgroup v2), and the caller runs the /proc + sock_diag
 * path instead (attribute.c always keeps it as the fallback for flows the
 * engine did not see). Once open, the engine needs no capability: the
 * programs stay attached through the descriptors it holds.
 *
 * Strings (comm, exe) are process-chosen bytes: the writers escape them.
 */
#ifndef WIREWHO_KATTR_H
#define WIREWHO_KATTR_H

#include "wirewho/common.h"
#include "wirewho/procs.h"

/* Tunables, with their reasons. */
#define WW_KATTR_KEEP_US        (120 * WW_USEC_PER_SEC)  /* a flow's owner stays known this long after its
							    first packet: covers TIME_WAIT (60 s) twice, as
							    attribute.c's closed sockets */
#define WW_KATTR_EXITED_KEEP_US (120 * WW_USEC_PER_SEC)  /* an exited process stays in the table as long as
							    a flow that names it may still be looked up */
#define WW_KATTR_FLOWS_MAX      65536   /* flows remembered; beyond, the oldest go first (~7 MB) */
#define WW_KATTR_BOUND_MAX      16384   /* listening and bound sockets remembered */
#define WW_KATTR_PROCS_MAX      65536   /* processes remembered: a fork bomb cannot grow it */

/* Which engine `watch --attribution` asks for. */
enum ww_kattr_mode {
	WW_KATTR_AUTO = 0,   /* the kernel engine when it can run, else /proc + sock_diag */
	WW_KATTR_BPF,        /* the kernel engine first (still falls back when it cannot run) */
	WW_KATTR_PROC,       /* /proc + sock_diag only */
};

/* "auto", "bpf", "proc" -> *out. 0, or -EINVAL for anything else. */
int ww_kattr_parse_mode(const char *s, enum ww_kattr_mode *out);

/* True when this wirewho was built with the engine (meson -Dbpf). Can't fail. */
bool ww_kattr_built(void);

/* A process the kernel named for a flow. */
struct ww_kattr_hit {
	struct ww_owner owner;   /* pid = the tgid; strings valid until the next ww_kattr_* call */
	int tid;                 /* the thread that connected, sent or listened */
	int ppid;                /* its parent's tgid at that moment */
	uint64_t cgroup_id;      /* cgroup v2 id */
	bool listener;           /* from the listening or bound socket on the local port */
	bool exited;             /* the process has exited since (an exit event was read) */
};

struct ww_kattr;

/*
 * Load, verify and attach the programs, for the network namespace whose
 * cookie is `netns_cookie` (0: take every namespace's records as ours);
 * other namespaces' flows are kept apart (ww_kattr_lookup_foreign()); `btf_path` is the
 * kernel BTF to relocate against (NULL: the kernel's own). Returns the
 * engine, or NULL with errno set and a sentence in `err` saying why the
 * kernel engine cannot run (ENOTSUP: not built; ENOENT: no BTF or no cgroup
 * v2 hierarchy; EPERM: capabilities; else what the kernel said).
 */
struct ww_kattr *ww_kattr_open(uint64_t netns_cookie, const char *btf_path, char *err, size_t errsz);

/* Detach everything and free. NULL is allowed. */
void ww_kattr_close(struct ww_kattr *k);

/* A descriptor that polls readable when records are waiting. Can't fail. */
int ww_kattr_fd(const struct ww_kattr *k);

/*
 * Read every waiting record into the tables, and forget what has aged out
 * as of wall time `now`. Returns the number of records read, or -errno.
 */
int ww_kattr_poll(struct ww_kattr *k, ww_time_t now);

/*
 * The owner of the local end lip:lport of a flow whose peer is rip:rport
 * (`proto` 6 or 17): the process that sent that socket's first packet to
 * that peer, else (`inbound`, or UDP) the one that listens on or bound the
 * local port. Reads waiting records first. Returns 0 with *out filled, or
 * -ENOENT when the kernel reported no such socket.
 */
int ww_kattr_lookup(struct ww_kattr *k, uint8_t proto, const struct ww_addr *lip, uint16_t lport,
		    const struct ww_addr *rip, uint16_t rport, bool inbound, ww_time_t now,
		    struct ww_kattr_hit *out);

/*
 * The owner of a flow of another network namespace (a container seen
 * through its veth, #12.3): the process whose socket sent that 5-tuple's
 * first packet, in whichever namespace, with the namespace's cookie in
 * *netns. Returns 0, -ENOENT when no namespace reported it, -EEXIST when
 * two did (the 5-tuple names nobody then).
 */
int ww_kattr_lookup_foreign(struct ww_kattr *k, uint8_t proto, const struct ww_addr *lip, uint16_t lport,
			    const struct ww_addr *rip, uint16_t rport, bool inbound, ww_time_t now,
			    struct ww_kattr_hit *out, uint64_t *netns);

struct ww_kattr_stats {
	uint64_t records;     /* ring-buffer records read */
	uint64_t flows;       /* flow records (first packets) */
	uint64_t bound;       /* listening/bound socket records */
	uint64_t procs;       /* exec/fork/exit records */
	uint64_t lost;        /* records the kernel could not queue (ring full) */
	uint64_t hits;        /* lookups answered */
	uint64_t exited_hits; /* of those, for a process that had exited */
	uint64_t misses;      /* lookups the kernel had no record for */
};

/* Counters so far. Can't fail. */
void ww_kattr_stats(const struct ww_kattr *k, struct ww_kattr_stats *st);

/* This network namespace's cookie (SO_NETNS_COOKIE), or 0 when the kernel cannot say. */
uint64_t ww_kattr_netns_cookie(void);

#endif
