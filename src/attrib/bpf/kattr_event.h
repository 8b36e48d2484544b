/*
 * kattr_event.h - the records the kernel attribution programs
 * (kattr.bpf.c) put in their ring buffer, shared with user space (kattr.c).
 *
 * Every record starts with the same 8-byte header, so the reader can tell
 * its kind and size before it looks further. A record carries everything
 * needed to name the process even when it has exited by the time the
 * record is read: the task as the kernel saw it at the system call (pid,
 * tgid, parent, effective uid, cgroup, comm), and for a socket the network
 * namespace (its cookie) and the 5-tuple of the first packet on the wire.
 * Addresses are in network order (IPv4 in the first 4 bytes), ports in host
 * order. Both sides compile this file: the BPF side after vmlinux.h (which
 * defines the __u* types), user space after <linux/types.h>.
 */
#ifndef WIREWHO_KATTR_EVENT_H
#define WIREWHO_KATTR_EVENT_H

#define WW_KEV_COMM_LEN 16     /* TASK_COMM_LEN */
#define WW_KEV_PATH_MAX 256    /* of the exec filename; longer ones are cut */
#define WW_KEV_ARGS_MAX 512    /* of the exec's arguments, 511 bytes read (NUL-separated, as in
				  /proc/PID/cmdline); longer ones are cut: it names
				  a process that exits before user space reads it */

enum ww_kev_kind {
	WW_KEV_FLOW = 1,   /* a socket's first packet to a peer (connect or send) */
	WW_KEV_BOUND,      /* a TCP socket listens, or a UDP socket was bound */
	WW_KEV_RELEASE,    /* that listening or bound socket was closed */
	WW_KEV_EXEC,       /* a process ran a new program */
	WW_KEV_FORK,       /* a process or thread was created */
	WW_KEV_EXIT,       /* a thread exited (group_dead: the whole process) */
};

struct ww_kev_hdr {
	__u8 kind;         /* enum ww_kev_kind */
	__u8 proto;        /* sockets: 6 or 17 */
	__u8 family;       /* sockets: 2 (AF_INET) or 10 (AF_INET6) */
	__u8 flags;        /* WW_KEV_F_* */
	__u32 cpu;         /* where it was produced: the ring is ordered per CPU */
};

#define WW_KEV_F_GROUP_DEAD 1   /* exit: the last thread of the process */

/* The task at the system call. */
struct ww_kev_task {
	__u64 cgroup_id;   /* cgroup v2 id */
	__u32 pid;         /* thread id */
	__u32 tgid;        /* process id */
	__u32 ppid;        /* the real parent's tgid */
	__u32 uid;         /* effective uid */
	char comm[WW_KEV_COMM_LEN];  /* the process's (group leader's) comm */
};

struct ww_kev_sock {
	struct ww_kev_hdr h;
	__u64 netns;       /* network namespace cookie (SO_NETNS_COOKIE) */
	__u64 ts_ns;       /* CLOCK_MONOTONIC */
	__u8 laddr[16];    /* local: the packet's source for WW_KEV_FLOW */
	__u8 raddr[16];    /* remote: zero for WW_KEV_BOUND/RELEASE */
	__u16 lport, rport;
	__u32 pad;
	struct ww_kev_task task;
};

struct ww_kev_proc {
	struct ww_kev_hdr h;
	__u64 ts_ns;
	struct ww_kev_task task;     /* exec: the process after the exec; fork: the parent;
					exit: the thread that exits */
	__u32 child;                 /* fork: the new task's id */
	__u32 pad;
	char filename[WW_KEV_PATH_MAX];  /* exec: the path given to execve */
	__u32 args_len;                  /* exec: bytes of args[] read, 0 none */
	__u32 pad2;
	char args[WW_KEV_ARGS_MAX];      /* exec: the new program's argv, NUL-separated */
};

#endif
