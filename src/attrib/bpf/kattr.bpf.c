// SPDX-License-Identifier: GPL-2.0
/*
 * kattr.bpf.c - the kernel attribution programs: who opened each socket,
 * told to user space before the socket's first packet is on the wire.
 *
 * The owner of a socket is only certain in the context of the system call
 * that made it talk, and its 5-tuple is only complete once the kernel has
 * chosen the source port; no single stable hook has both for every
 * socket, so the work is split in two, joined through socket-local storage
 * (freed by the kernel with the socket):
 *   - cgroup/connect4|6 (connect(), TCP and UDP) and cgroup/sendmsg4|6 (an
 *     unconnected UDP send) run in the caller's context: they note the task
 *     (pid, tgid, parent, euid, cgroup, comm) in the socket's storage. At
 *     connect the source port is not chosen yet (TCP sets SYN_SENT, and so
 *     fires sock:inet_sock_set_state, before inet_hash_connect picks it;
 *     UDP binds after the connect hook), which is why they do not report.
 *   - cgroup_skb/egress runs on every IP packet a socket sends, before the
 *     packet reaches a device (and so before libpcap sees it), in any
 *     context (a SYN retransmitted from a timer, an ACK from softirq): it
 *     trusts only the storage, never the current task, and reports the
 *     packet's own 5-tuple with the noted task once per (socket, peer).
 *   - sock:inet_sock_set_state reports TCP listeners (CLOSE -> LISTEN runs
 *     in listen(), the owner's context) and their end; cgroup/post_bind4|6
 *     and cgroup/sock_release do the same for bound UDP sockets. A passive
 *     open is handled in softirq, where the current task is whoever was
 *     running, so it is not reported: user space gives an inbound flow the
 *     owner of the listener on its local port.
 *   - sched:sched_process_exec/fork/exit keep user space's process table
 *     (the program's path, the parent) without scanning /proc.
 * All cgroup programs are attached to the root of the cgroup v2 hierarchy
 * (BPF_F_ALLOW_MULTI: other tools' programs keep running) and always allow
 * the operation: the engine watches, it never filters. Records are
 * submitted without a wake-up: user space reads the ring when it meets a
 * new flow and once a second, never sleeps on it, so a wake-up per record
 * would be kernel work for nobody. Sockets of other
 * network namespaces than `target_netns` (set by user space before load;
 * 0: all) are not reported.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "kattr_event.h"

char LICENSE[] SEC("license") = "GPL";

#define RINGBUF_BYTES (4 << 20)   /* ~30,000 socket records: a second of a heavy burst
				     while user space is busy with packets */
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define PF_KTHREAD 0x00200000

const volatile __u64 target_netns = 0;

/* What a socket's storage holds: the task that made it talk, and the last
 * (source, peer) reported for it, so each is reported once. */
struct sk_owner {
	struct ww_kev_task task;
	__u64 last[5];   /* source address, peer address, ports; zero: nothing reported */
	__u8 baddr[16];  /* the bound address and port, for the RELEASE record */
	__u16 bport;
	__u8 bfamily;    /* nonzero: a BOUND record was sent, send RELEASE at the end */
	__u8 done;       /* a TCP or connected UDP socket was reported: its other packets
			    cost one storage lookup; a connect() sets it back */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_owner);
} sk_owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

/* Records lost because the ring was full: user space reports them. */
__u64 lost = 0;

static __always_inline bool is_kthread(struct task_struct *t)
{
	return BPF_CORE_READ(t, flags) & PF_KTHREAD;
}

static __always_inline void fill_task(struct ww_kev_task *o)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 pt = bpf_get_current_pid_tgid();
	o->pid = (__u32)pt;
	o->tgid = pt >> 32;
	o->ppid = BPF_CORE_READ(t, real_parent, tgid);
	o->uid = BPF_CORE_READ(t, cred, euid.val);
	o->cgroup_id = bpf_get_current_cgroup_id();
	/* The process's name, not the thread's ("DNS Resolver #1" is a thread). */
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	if (bpf_probe_read_kernel_str(o->comm, sizeof(o->comm), &leader->comm) < 0)
		bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* Note the calling task in the socket's storage (connect, unconnected send). */
static __always_inline int note_owner(struct bpf_sock *sk)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct sk_owner *o;

	if (!sk || is_kthread(t))
		return 1;   /* the kernel's own sockets (NFS, tunnels): no process to name */
	o = bpf_sk_storage_get(&sk_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		fill_task(&o->task);
		o->done = 0;   /* a new peer (connect) or a new sender (sendmsg) */
	}
	return 1;
}

SEC("cgroup/connect4")
int ww_connect4(struct bpf_sock_addr *ctx) { return note_owner(ctx->sk); }
SEC("cgroup/connect6")
int ww_connect6(struct bpf_sock_addr *ctx) { return note_owner(ctx->sk); }
SEC("cgroup/sendmsg4")
int ww_sendmsg4(struct bpf_sock_addr *ctx) { return note_owner(ctx->sk); }
SEC("cgroup/sendmsg6")
int ww_sendmsg6(struct bpf_sock_addr *ctx) { return note_owner(ctx->sk); }

/* The packet's 5-tuple; false for what is not a first fragment of TCP/UDP. */
static __always_inline bool packet_tuple(struct __sk_buff *skb, struct ww_kev_sock *e)
{
	__u16 ports[2];
	__u32 l4;

	if (skb->protocol == bpf_htons(0x0800)) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
			return false;
		if (ip.frag_off & bpf_htons(0x1fff))
			return false;
		e->h.family = AF_INET;
		e->h.proto = ip.protocol;
		__builtin_memcpy(e->laddr, &ip.saddr, 4);
		__builtin_memcpy(e->raddr, &ip.daddr, 4);
		l4 = (__u32)ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(0x86dd)) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
			return false;
		e->h.family = AF_INET6;
		e->h.proto = ip6.nexthdr;   /* extension headers: not a socket's first packet */
		__builtin_memcpy(e->laddr, &ip6.saddr, 16);
		__builtin_memcpy(e->raddr, &ip6.daddr, 16);
		l4 = sizeof(ip6);
	} else {
		return false;
	}
	if (e->h.proto != IPPROTO_TCP && e->h.proto != IPPROTO_UDP)
		return false;
	if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)) < 0)
		return false;
	e->lport = bpf_ntohs(ports[0]);
	e->rport = bpf_ntohs(ports[1]);
	return true;
}

SEC("cgroup_skb/egress")
int ww_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct sk_owner *o;
	struct ww_kev_sock ev, *e;
	__u64 netns;

	if (!sk || !(sk = bpf_sk_fullsock(sk)))
		return 1;
	o = bpf_sk_storage_get(&sk_owners, sk, 0, 0);
	if (!o || o->done)
		return 1;   /* nobody connected it (a kernel socket, an accepted one), or told */
	__builtin_memset(&ev, 0, sizeof(ev));
	if (!packet_tuple(skb, &ev))
		return 1;
	/* Once per (source, peer): a TCP socket reports its SYN, an unconnected
	 * UDP socket each new peer. Compared as 8-byte words (no memcmp here). */
	__u64 cur[5];
	__builtin_memcpy(cur, ev.laddr, 16);
	__builtin_memcpy(&cur[2], ev.raddr, 16);
	cur[4] = ((__u64)ev.lport << 16) | ev.rport | (1ull << 32);
	if (cur[0] == o->last[0] && cur[1] == o->last[1] && cur[2] == o->last[2] &&
	    cur[3] == o->last[3] && cur[4] == o->last[4])
		return 1;
	__builtin_memcpy(o->last, cur, sizeof(cur));
	if (sk->protocol == IPPROTO_TCP || sk->dst_port)
		o->done = 1;   /* one peer for good, until a connect() */
	netns = bpf_get_netns_cookie(skb);
	if (target_netns && netns != target_netns)
		return 1;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return 1;
	}
	ev.h.kind = WW_KEV_FLOW;
	ev.h.cpu = bpf_get_smp_processor_id();
	ev.netns = netns;
	ev.ts_ns = bpf_ktime_get_ns();
	ev.task = o->task;
	__builtin_memcpy(e, &ev, sizeof(ev));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 1;
}

/* A bound or listening socket, or its end, with the calling task. */
static __always_inline void report_bound(__u8 kind, __u8 proto, __u8 family, __u64 netns,
					 const void *laddr, __u16 lport)
{
	struct ww_kev_sock *e;

	if (target_netns && netns != target_netns)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->h.kind = kind;
	e->h.proto = proto;
	e->h.family = family;
	e->h.cpu = bpf_get_smp_processor_id();
	e->netns = netns;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel(e->laddr, family == AF_INET ? 4 : 16, laddr);
	e->lport = lport;
	fill_task(&e->task);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

SEC("tp/sock/inet_sock_set_state")
int ww_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const struct sock *sk = ctx->skaddr;
	__u8 kind;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_LISTEN)
		kind = WW_KEV_BOUND;        /* listen(): the owner's own context */
	else if (ctx->oldstate == TCP_LISTEN)
		kind = WW_KEV_RELEASE;
	else
		return 0;
	__u64 netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
	if (ctx->family == AF_INET)
		report_bound(kind, IPPROTO_TCP, AF_INET, netns, ctx->saddr, ctx->sport);
	else
		report_bound(kind, IPPROTO_TCP, AF_INET6, netns, ctx->saddr_v6, ctx->sport);
	return 0;
}

/* A UDP socket was bound (post_bind: the binder's context): note and report it. */
static __always_inline int udp_bound(struct bpf_sock *sk, __u8 family, const __u32 *addr)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct sk_owner *o;

	if (sk->protocol != IPPROTO_UDP || is_kthread(t))
		return 1;
	o = bpf_sk_storage_get(&sk_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;
	fill_task(&o->task);   /* a bound socket that later sends unconnected is ours too */
	__builtin_memcpy(o->baddr, addr, family == AF_INET ? 4 : 16);
	o->bport = (__u16)sk->src_port;
	o->bfamily = family;
	report_bound(WW_KEV_BOUND, IPPROTO_UDP, family, bpf_get_netns_cookie(sk), o->baddr, o->bport);
	return 1;
}

SEC("cgroup/post_bind4")
int ww_post_bind4(struct bpf_sock *sk)
{
	__u32 a[4] = { sk->src_ip4, 0, 0, 0 };
	return udp_bound(sk, AF_INET, a);
}

SEC("cgroup/post_bind6")
int ww_post_bind6(struct bpf_sock *sk)
{
	__u32 a[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };
	return udp_bound(sk, AF_INET6, a);
}

/* close() of a socket: the end of a bound UDP socket (TCP listeners end in ww_set_state). */
SEC("cgroup/sock_release")
int ww_sock_release(struct bpf_sock *sk)
{
	struct sk_owner *o;

	if (sk->protocol != IPPROTO_UDP)
		return 1;
	o = bpf_sk_storage_get(&sk_owners, sk, 0, 0);
	if (!o || !o->bfamily)
		return 1;
	report_bound(WW_KEV_RELEASE, IPPROTO_UDP, o->bfamily, bpf_get_netns_cookie(sk), o->baddr, o->bport);
	return 1;
}

/* --- the process table ------------------------------------------------------ */

static __always_inline struct ww_kev_proc *proc_event(__u8 kind)
{
	struct ww_kev_proc *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return NULL;
	}
	e->h.kind = kind;
	e->h.proto = 0;
	e->h.family = 0;
	e->h.flags = 0;
	e->h.cpu = bpf_get_smp_processor_id();
	e->ts_ns = bpf_ktime_get_ns();
	e->child = 0;
	e->pad = 0;
	e->filename[0] = '\0';
	e->args_len = 0;
	e->pad2 = 0;
	fill_task(&e->task);
	return e;
}

SEC("tp/sched/sched_process_exec")
int ww_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct ww_kev_proc *e = proc_event(WW_KEV_EXEC);
	if (!e)
		return 0;
	unsigned off = ctx->__data_loc_filename & 0xffff;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	/* The new argv, as /proc/PID/cmdline shows it: exec has just copied it
	 * onto the new stack, so the pages are there (a fault leaves it empty). */
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	unsigned long as = BPF_CORE_READ(t, mm, arg_start), ae = BPF_CORE_READ(t, mm, arg_end);
	__u64 n = ae > as ? ae - as : 0;
	if (n > WW_KEV_ARGS_MAX - 1)
		n = WW_KEV_ARGS_MAX - 1;
	n &= WW_KEV_ARGS_MAX - 1;   /* the verifier's bound */
	e->args_len = 0;
	if (n && bpf_probe_read_user(e->args, n, (void *)as) == 0)
		e->args_len = (__u32)n;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp/sched/sched_process_fork")
int ww_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	if (is_kthread(t))
		return 0;
	struct ww_kev_proc *e = proc_event(WW_KEV_FORK);
	if (!e)
		return 0;
	e->child = ctx->child_pid;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int ww_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	if (is_kthread(t))
		return 0;
	struct ww_kev_proc *e = proc_event(WW_KEV_EXIT);
	if (!e)
		return 0;
	bool dead;
	if (bpf_core_field_exists(ctx->group_dead))
		dead = ctx->group_dead;
	else   /* older kernels: the leader's exit stands for the process */
		dead = e->task.pid == e->task.tgid;
	if (dead)
		e->h.flags = WW_KEV_F_GROUP_DEAD;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
