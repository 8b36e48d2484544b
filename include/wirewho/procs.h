/*
 * procs.h - socket inode -> the processes that hold it, from /proc.
 *
 * The kernel does not say which process owns a socket; the only way is to
 * read every /proc/PID/fd/N link ("socket:[INODE]"), as ss -p and netstat -p
 * do. That is the expensive part of a socket audit, so the cache keeps each
 * process's socket inodes and rescans a process only when it may have
 * changed: a process is unchanged when it has the same pid and start time
 * (so the pid was not reused), the same comm (no exec), and the same number
 * of open descriptors (st_size of /proc/PID/fd, Linux 6.2+). The count alone
 * would miss "closed one socket, opened another"; the refresh covers that by
 * taking the set of inodes the caller needs: any inode still without an
 * owner after the changed processes were rescanned sends the scan through
 * the unchanged ones too, newest first, until every needed inode is found.
 * An inode that a full scan could not place (its owner is unreadable, in
 * another PID namespace, or gone) is remembered so it does not force a full
 * scan at every refresh. See procs.c for the residual case.
 *
 * Strings (comm, exe, cmdline) are untrusted process-chosen bytes; writers
 * escape them. Pointers returned by the lookups stay valid until the next
 * ww_procs_refresh() or ww_procs_free(); ww_procs_find_inode() keeps earlier
 * results valid.
 */
#ifndef WIREWHO_PROCS_H
#define WIREWHO_PROCS_H

#include "wirewho/common.h"
#include "wirewho/container.h"

/*
 * A process that owns a socket, as records show it (from /proc or a
 * recorded timeline). Strings are untrusted: the writers escape them.
 */
struct ww_owner {
	int pid;
	int uid;
	const char *comm;
	const char *exe;    /* NULL when unknown */
	const char *user;   /* NULL when unknown */
	uint32_t indicators; /* WW_IND_* bits: signs of a masquerading process */
	const char *script; /* an interpreter's script from its command line, NULL if none */
	const int *others;  /* the other processes that hold the same socket, by pid */
	unsigned n_others;  /* how many of them (others[] has at most WW_OWNER_OTHERS_MAX) */
	/* Who the process is (#12.4), added at the end: */
	int ppid;                 /* the parent's pid (tgid) when the process was read; 0 unknown */
	const char *parent_comm;  /* the parent's comm, NULL unknown (it had exited, or unreadable) */
	const char *parent_exe;   /* the parent's program path, NULL unknown */
	const char *cmdline;      /* arguments joined by spaces, at most WW_OWNER_CMDLINE_MAX bytes;
				     NULL unknown ("" a kernel thread's) */
	const char *exe_sha256;   /* the program's SHA-256 in hex (--hash-exe), NULL when not asked
				     or not readable */
	const struct ww_container *container;  /* its container (container.h) from its cgroup,
						  NULL when none or unknown */
	const char *pod_uid;      /* with a container: its Kubernetes pod's uid, NULL none */
	const char *unit;         /* the systemd unit (service or scope) of its cgroup, NULL none */
};

/* What a process's cgroup path says besides its container (procs.c). */
#define WW_POD_UID_LEN 37     /* a UUID and a NUL */
#define WW_UNIT_MAX 256       /* a systemd unit name (the kernel's NAME_MAX) */
struct ww_cgroup_ident {
	struct ww_container c;
	bool has_container;
	char pod_uid[WW_POD_UID_LEN];   /* "" none */
	char unit[WW_UNIT_MAX];         /* "" none */
};

/*
 * Parse a /proc/PID/cgroup text into *out: the container
 * (ww_container_parse()), the Kubernetes pod uid (a "pod<UID>" component,
 * or systemd's "kubepods-...-pod<UID with _>.slice"), and the deepest
 * component that is a systemd service or scope unit. Returns 1 when any
 * was found, 0 none. Can't fail.
 */
int ww_procs_parse_cgroup(const char *text, struct ww_cgroup_ident *out);

#define WW_OWNER_OTHERS_MAX 16   /* other holders of one socket listed (nginx: its workers) */
#define WW_OWNER_CMDLINE_MAX 4096 /* command line kept: /proc/PID/cmdline's first page (the
				     kernel engine's exec record keeps WW_KEV_ARGS_MAX); longer
				     ones are cut there */

/*
 * Signs that a process is not what its name says (issue #11.4), computed
 * from /proc (exe link, comm, cmdline) when the process is first read, and
 * recorded in the timeline. Each is a fact, not a verdict; the policy
 * decides what they weigh. The JSON names are ww_procs_indicator_name()'s.
 */
enum {
	WW_IND_DELETED_EXE = 1u << 0,     /* "deleted_exe": exe link ends in " (deleted)" */
	WW_IND_TEMP_EXE = 1u << 1,        /* "temp_exe": exe under /tmp, /var/tmp, /dev/shm,
					     /run/user, /dev/mqueue (world- or user-writable
					     scratch space) */
	WW_IND_MEMFD_EXE = 1u << 2,       /* "memfd_exe": exe is a memfd ("/memfd:NAME") */
	WW_IND_COMM_MISMATCH = 1u << 3,   /* "comm_mismatch": comm is neither the exe's
					     name nor (15-byte truncation) a prefix of it,
					     nor the script's name for an interpreter */
	WW_IND_KTHREAD_NAME = 1u << 4,    /* "kernel_thread_name": a user-space process
					     (it has an exe) named like a kernel thread
					     (kworker/..., ksoftirqd/..., [..], ...) */
	WW_IND_TEMP_SCRIPT = 1u << 5,     /* "temp_script": an interpreter's script lies
					     in one of the temp_exe places */
	WW_IND_EXE_UNREADABLE = 1u << 6,  /* "exe_unreadable": a user-space process whose
					     exe link could not be read (another user's,
					     not root): the other checks could not run */
};
#define WW_IND_COUNT 7

/*
 * The JSON name of one indicator bit (a single WW_IND_* value), NULL for
 * anything else. Can't fail.
 */
const char *ww_procs_indicator_name(unsigned bit);

/* A process as the audit shows it. `owner` is the record the writers take. */
struct ww_proc {
	struct ww_owner owner;      /* pid, uid (effective), comm, exe|NULL, user|NULL */
	const char *cmdline;        /* arguments joined by spaces, "" for kernel threads */
	uint64_t start_time;        /* clock ticks after boot (/proc/PID/stat field 22) */
};

/* Why a socket has no owner in the cache. */
enum ww_unowned {
	WW_UNOWNED_NO_INODE = 0,   /* TIME_WAIT / SYN_RECV: no file, no process */
	WW_UNOWNED_PERMISSION,     /* some fd tables could not be read (EACCES) */
	WW_UNOWNED_NOT_FOUND,      /* no visible process holds it */
};

struct ww_procs_stats {
	unsigned seen;         /* processes listed in the last refresh */
	unsigned scanned;      /* fd tables read in the last refresh */
	unsigned unchanged;    /* processes skipped as unchanged */
	unsigned denied;       /* fd tables we may not read (EACCES) */
	unsigned vanished;     /* processes that exited while we looked */
	uint64_t fds_read;     /* descriptor links read in the last refresh */
	bool count_criterion;  /* kernel reports fd counts (else: always rescan) */
};

struct ww_procs;

/*
 * A new, empty cache over `proc_root` (NULL: "/proc"). Returns NULL when
 * out of memory or when proc_root cannot be opened (errno says which).
 */
struct ww_procs *ww_procs_new(const char *proc_root);
void ww_procs_free(struct ww_procs *p);

/*
 * Bring the cache up to date: list the processes, drop those that exited,
 * rescan new and changed ones, then make sure every inode in want[0..n)
 * that some readable process holds is found (see above). `want` may be NULL.
 * Returns 0, or -ENOMEM, or -errno when /proc itself cannot be listed.
 * Processes that vanish or deny access mid-scan are counted, not errors.
 */
int ww_procs_refresh(struct ww_procs *p, const uint64_t *want, size_t n_want);

/*
 * The second half of a refresh alone: search the processes not rescanned
 * since the last refresh (newest first) for the inodes of want[0..n) that no
 * cached process holds. ww_procs_refresh(p, NULL, 0) followed by this is
 * ww_procs_refresh(p, want, n) — split so the caller can list processes
 * while the socket table is still being dumped. Returns 0 or -ENOMEM.
 */
int ww_procs_resolve(struct ww_procs *p, const uint64_t *want, size_t n_want);

/*
 * The owners of `inode` known to the cache, up to `max` into out[], ordered
 * by pid. Returns the total number of owners (may exceed max). Can't fail.
 */
size_t ww_procs_owners(const struct ww_procs *p, uint64_t inode,
		       const struct ww_proc **out, size_t max);

/*
 * For the live monitor on a miss: find the owners of one inode now. Uses
 * the cache when it knows the inode; otherwise scans processes newest first
 * — pids new since the last scan (highest pid first), then known processes
 * by descending start time, changed ones before unchanged ones — and stops
 * at the first process that holds it. Returns the number of owners found
 * (> 0), -ENOENT when no readable process holds it, -ENOMEM.
 */
int ww_procs_find_inode(struct ww_procs *p, uint64_t inode,
			const struct ww_proc **out, size_t max);

/*
 * For the live monitor on a miss, before ww_procs_find_inode(): look for
 * `inode` in the fd tables of the `n_newest` task ids at and below the
 * kernel's last allocated pid, without listing /proc. A client that just
 * started is almost always there, and this costs ~100 us where listing
 * /proc costs several hundred. The cache is neither used nor changed (see
 * procs.c). Returns 1 with the holding process in *out (its strings valid
 * until the next call), 0 when none of those tasks holds it (or the one
 * that did exited while read), -ENOENT when /proc/loadavg is unreadable.
 * Each fd table it may not read adds one to *denied.
 */
int ww_procs_find_newest(struct ww_procs *p, uint64_t inode, unsigned n_newest,
			 struct ww_owner *out, unsigned *denied);

/*
 * The indicators of a process known from elsewhere (the kernel engine's
 * record): `comm` and `exe` as it gave them (`exe` NULL when unknown), the
 * command line read from /proc while the process lives (an interpreter's
 * script into script[], "" when none or gone). Returns the WW_IND_* bits.
 * This function can't fail.
 */
#define WW_PROCS_SCRIPT_MAX 512   /* an interpreter's script path kept; longer ones are cut */
uint32_t ww_procs_indicators(struct ww_procs *p, int pid, const char *comm, const char *exe,
			     char *script, size_t scriptsz);

/*
 * The command line of a process known from elsewhere (the kernel engine's
 * record), while it lives: arguments joined by spaces into buf (bufsz
 * bytes, at most WW_OWNER_CMDLINE_MAX are read), "" when it is gone or
 * unreadable. Returns its length. This function can't fail.
 */
size_t ww_procs_cmdline(struct ww_procs *p, int pid, char *buf, size_t bufsz);

/*
 * The container, pod and systemd unit of a living process, from
 * /proc/PID/cgroup (ww_procs_parse_cgroup()): 1 with *out filled, 0 none,
 * -errno when unreadable (-ENOENT: gone).
 */
int ww_procs_container(struct ww_procs *p, int pid, struct ww_cgroup_ident *out);

/*
 * The parent of a living process: its pid (0 when the process is gone, or
 * the kernel started it), its comm and program path into comm[] and exe[]
 * ("" when unknown). This function can't fail.
 */
int ww_procs_parent(struct ww_procs *p, int pid, char *comm, size_t commsz, char *exe, size_t exesz);

/*
 * --hash-exe: owners found from now on carry their program's SHA-256
 * (exe_sha256), cached by the file's device, inode, size and mtime, so a
 * program is read once however many processes run it. Files over 512 MB
 * are not hashed. Returns 0, -ENOTSUP when wirewho was built without
 * libcrypto (ww_procs_hash_built()), -ENOMEM.
 */
#define WW_SHA256_HEX 65   /* 64 hex digits and a NUL */
bool ww_procs_hash_built(void);
int ww_procs_set_hash_exe(struct ww_procs *p, bool on);

/*
 * The SHA-256 of process `pid`'s program (/proc/PID/exe, the running file
 * even when deleted), or when that is gone of the absolute path `exe`
 * (NULL: none), as 64 hex digits into out (outsz >= WW_SHA256_HEX).
 * Returns 0, -EINVAL when --hash-exe is off, -ENOTSUP (not built), -EFBIG
 * (not a regular file, or too large), or the -errno of opening or reading it.
 */
int ww_procs_exe_sha256(struct ww_procs *p, int pid, const char *exe, char *out, size_t outsz);

/*
 * Why `inode` (of a socket with uid `sock_uid`) has no owner: a code and a
 * short sentence in buf. Can't fail.
 */
enum ww_unowned ww_procs_why_unowned(const struct ww_procs *p, uint64_t inode,
				     uint32_t sock_uid, char *buf, size_t bufsz);
/* "no_inode", "permission", "not_found". Can't fail. */
const char *ww_unowned_name(enum ww_unowned u);

/* Counters of the last refresh. Can't fail. */
void ww_procs_stats(const struct ww_procs *p, struct ww_procs_stats *st);

#endif
