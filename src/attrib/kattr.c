/*
 * kattr.c - the kernel attribution engine's user-space half: load the
 * programs of src/attrib/bpf/kattr.bpf.c through their skeleton, read their
 * ring buffer, and answer "who owns this flow" from what they reported.
 *
 * Why these hooks (the programs' file says how they work): the kernel here
 * has BTF, tracepoints, the BPF ring buffer and cgroup socket hooks, but no
 * kprobes and no fentry, so everything is a stable interface. A TCP active
 * open is not taken from sock:inet_sock_set_state CLOSE -> SYN_SENT, which
 * fires before the source port is chosen; the owner is noted at connect()
 * (cgroup/connect4|6, the caller's context) and reported with the 5-tuple of
 * the socket's first packet (cgroup_skb/egress, before the packet reaches a
 * device). UDP works the same through connect() or, for an unconnected
 * socket, sendmsg() (cgroup/sendmsg4|6): sock:sock_send_length fires in the
 * right context too, but after the packet is on the wire, so its record
 * would race the capture. Listeners come from inet_sock_set_state's LISTEN
 * transitions (listen() runs in the owner's context; a passive open runs in
 * softirq, where the current task is whoever was running) and bound UDP
 * sockets from cgroup/post_bind4|6 and cgroup/sock_release. The process
 * table comes from sched:sched_process_exec/fork/exit.
 *
 * Ordering: a socket's record is committed to the ring buffer before its
 * packet reaches libpcap, and a lookup drains the ring first, so the record
 * of a flow's first packet is there when the flow is. Records of different
 * CPUs may be read out of order (the ring is ordered per CPU), so the
 * process table keeps an exited process for WW_KATTR_EXITED_KEEP_US: a
 * socket record read after its process's exit record still finds the
 * program's path.
 *
 * Tables: three instances of one small table (below), each a pool of
 * fixed-size entries, chained buckets, and a FIFO of pool indexes in
 * insertion order; when full, or when its head has aged out, the head goes,
 * as in attribute.c's socket cache. Flows age out WW_KATTR_KEEP_US after
 * their record, listeners only when released or pushed out, processes
 * WW_KATTR_EXITED_KEEP_US after their exit.
 *
 * The program's path: /proc/TGID/exe while the process lives (the resolved
 * path, as the /proc engine reports it, so a policy matches the same
 * string), else what was read of it when its exec record was (the same
 * link, then; or the path given to execve, possibly relative or a
 * symlink's name, when it had exited already), else the parent's when the
 * process forked without exec, else unknown.
 *
 * Without the engine built (meson -Dbpf=disabled, or no libbpf or BTF on the
 * build machine) every function below but the mode parser reports "not
 * built".
 */
#include "wirewho/kattr.h"
#include "wirewho/caps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71   /* Linux 5.14; older C libraries lack the name */
#endif

int ww_kattr_parse_mode(const char *s, enum ww_kattr_mode *out)
{
	if (strcmp(s, "auto") == 0)
		*out = WW_KATTR_AUTO;
	else if (strcmp(s, "bpf") == 0)
		*out = WW_KATTR_BPF;
	else if (strcmp(s, "proc") == 0)
		*out = WW_KATTR_PROC;
	else
		return -EINVAL;
	return 0;
}

uint64_t ww_kattr_netns_cookie(void)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0)
		c = 0;
	close(fd);
	return c;
}

#ifndef WW_HAVE_BPF

bool ww_kattr_built(void)
{
	return false;
}

struct ww_kattr *ww_kattr_open(uint64_t netns_cookie, const char *btf_path, char *err, size_t errsz)
{
	(void)netns_cookie;
	(void)btf_path;
	snprintf(err, errsz, "the kernel engine is not built into this wirewho "
		 "(built without libbpf, bpftool, clang or BTF: meson -Dbpf)");
	errno = ENOTSUP;
	return NULL;
}

void ww_kattr_close(struct ww_kattr *k)
{
	(void)k;
}

int ww_kattr_fd(const struct ww_kattr *k)
{
	(void)k;
	return -1;
}

int ww_kattr_poll(struct ww_kattr *k, ww_time_t now)
{
	(void)k;
	(void)now;
	return -ENOTSUP;
}

int ww_kattr_lookup(struct ww_kattr *k, uint8_t proto, const struct ww_addr *lip, uint16_t lport,
		    const struct ww_addr *rip, uint16_t rport, bool inbound, ww_time_t now,
		    struct ww_kattr_hit *out)
{
	(void)k, (void)proto, (void)lip, (void)lport, (void)rip, (void)rport, (void)inbound;
	(void)now, (void)out;
	return -ENOENT;
}

int ww_kattr_lookup_foreign(struct ww_kattr *k, uint8_t proto, const struct ww_addr *lip, uint16_t lport,
			    const struct ww_addr *rip, uint16_t rport, bool inbound, ww_time_t now,
			    struct ww_kattr_hit *out, uint64_t *netns)
{
	(void)k, (void)proto, (void)lip, (void)lport, (void)rip, (void)rport, (void)inbound;
	(void)now, (void)out, (void)netns;
	return -ENOENT;
}

void ww_kattr_stats(const struct ww_kattr *k, struct ww_kattr_stats *st)
{
	(void)k;
	memset(st, 0, sizeof(*st));
}

#else /* WW_HAVE_BPF */

#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "bpf/kattr_event.h"
#include "kattr.skel.h"

#define NIL UINT32_MAX
#define CGROUP2_MAX_PATH 512
#define USER_CACHE 16        /* distinct uids remembered for user names: clients are few users */
#define LIBBPF_MSG_LEN 256   /* the last thing libbpf said, for the reason of a failure */

bool ww_kattr_built(void)
{
	return true;
}

/* --- the table -------------------------------------------------------------------- */

struct kkey {
	struct ww_addr l, r;
	uint16_t lport, rport;
	uint8_t proto;
	uint8_t kind;        /* K_FLOW, K_BOUND, K_PROC */
	uint16_t zero;
	uint32_t id;         /* K_PROC: the tgid */
	uint32_t zero2;
};
_Static_assert(sizeof(struct kkey) == 48, "keys are hashed and compared as 48 plain bytes");
enum { K_FLOW = 1, K_BOUND, K_PROC };

/* One entry. The process fields are used by K_PROC only, the task by the others. */
struct kent {
	struct kkey k;
	ww_time_t seen;          /* when its record was read */
	ww_time_t exited;        /* K_PROC: when its exit was read, 0 while it lives */
	struct ww_kev_task task;
	char *exe;               /* K_PROC: the program's path, or NULL */
	char *args;              /* K_PROC: its command line from the exec record (joined by
				    spaces), or NULL: names a process gone before /proc is read */
	uint32_t next;           /* bucket chain */
	uint32_t ppid;
	bool closed;             /* K_BOUND: released */
	bool ambiguous;          /* foreign flows: two namespaces reported this 5-tuple */
	uint64_t netns;          /* foreign flows: the namespace's cookie */
};

struct ktab {
	uint32_t *buckets, *fifo;
	struct kent *pool;
	uint32_t nbuckets, max, head, count, n_pool, free_head;
	ww_time_t keep;          /* 0: no ageing */
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	/* FNV-1a over 8-byte words: the keys are small and fixed in size. */
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static int ktab_init(struct ktab *t, uint32_t max, ww_time_t keep)
{
	t->max = max;
	t->nbuckets = max * 2;   /* chains of about half an entry */
	t->keep = keep;
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	t->fifo = malloc(max * sizeof(*t->fifo));
	t->pool = calloc(max, sizeof(*t->pool));
	if (!t->buckets || !t->fifo || !t->pool)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->nbuckets; i++)
		t->buckets[i] = NIL;
	t->free_head = NIL;
	return 0;
}

static void ktab_free(struct ktab *t)
{
	if (t->pool)
		for (uint32_t i = 0; i < t->n_pool; i++) {
			free(t->pool[i].exe);
			free(t->pool[i].args);
		}
	free(t->buckets);
	free(t->fifo);
	free(t->pool);
}

static uint32_t *ktab_slot(struct ktab *t, const struct kkey *k)
{
	uint32_t *p = &t->buckets[hash_bytes(k, sizeof(*k)) % t->nbuckets];
	while (*p != NIL && memcmp(&t->pool[*p].k, k, sizeof(*k)) != 0)
		p = &t->pool[*p].next;
	return p;
}

static struct kent *ktab_find(struct ktab *t, const struct kkey *k)
{
	uint32_t i = *ktab_slot(t, k);
	return i == NIL ? NULL : &t->pool[i];
}

/* Remove the oldest entry (the FIFO's head). */
static void ktab_pop(struct ktab *t)
{
	uint32_t idx = t->fifo[t->head];
	struct kent *e = &t->pool[idx];
	uint32_t *p = ktab_slot(t, &e->k);
	if (*p == idx)
		*p = e->next;
	free(e->exe);
	e->exe = NULL;
	free(e->args);
	e->args = NULL;
	e->next = t->free_head;
	t->free_head = idx;
	t->head = (t->head + 1) % t->max;
	t->count--;
}

/* The entry for `k`, made (empty but for its key) when new. Can't fail: the oldest makes room. */
static struct kent *ktab_put(struct ktab *t, const struct kkey *k, ww_time_t now, bool *fresh)
{
	uint32_t *p = ktab_slot(t, k), idx;
	*fresh = *p == NIL;
	if (*p != NIL) {
		t->pool[*p].seen = now;
		return &t->pool[*p];
	}
	if (t->count == t->max) {
		ktab_pop(t);
		p = ktab_slot(t, k);   /* the pop may have unlinked the chain we stood on */
	}
	if (t->free_head != NIL) {
		idx = t->free_head;
		t->free_head = t->pool[idx].next;
	} else {
		idx = t->n_pool++;
	}
	struct kent *e = &t->pool[idx];
	memset(e, 0, sizeof(*e));
	e->k = *k;
	e->seen = now;
	e->next = NIL;
	*p = idx;
	t->fifo[(t->head + t->count) % t->max] = idx;
	t->count++;
	return e;
}

/* Age out the head while it is older than the table keeps. */
static void ktab_expire(struct ktab *t, ww_time_t now, bool by_exit)
{
	while (t->keep && t->count) {
		struct kent *e = &t->pool[t->fifo[t->head]];
		ww_time_t since = by_exit ? e->exited : e->seen;
		if (since == 0 || now - since <= t->keep)
			break;   /* still good (or alive); younger ones wait their turn */
		ktab_pop(t);
	}
}

/* --- the engine -------------------------------------------------------------------- */

struct ww_kattr {
	struct kattr_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[16];
	int nlinks;
	int cgroup_fd;
	struct ktab flows, bound, procs;
	struct ktab foreign;          /* flows of other network namespaces, by 5-tuple (#12.3) */
	uint64_t own_netns;           /* ours; 0: the kernel cannot say, every record is ours */
	ww_time_t now;                /* of the poll being read */
	struct ww_kattr_stats st;
	struct {
		uint32_t uid;
		char *name;           /* NULL: no such user */
	} users[USER_CACHE];
	size_t n_users;
	char comm[WW_KEV_COMM_LEN + 1];   /* the last hit's strings */
	char exe[4096];
	char pcomm[WW_KEV_COMM_LEN + 1];
	char pexe[4096];
	char args[WW_KEV_ARGS_MAX + 1];
};

static char libbpf_msg[LIBBPF_MSG_LEN];

/* libbpf talks on stderr by default; only the commands may. Keep its last
 * warning as the reason of a failure instead. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char buf[LIBBPF_MSG_LEN];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n > 0) {
		size_t len = strlen(buf);
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			buf[--len] = '\0';
		if (len)
			memcpy(libbpf_msg, buf, len + 1);
	}
	return n;
}

static void set_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* The cgroup v2 mount point in the mount table `mountinfo`, with `prefix` before it. */
static int cgroup2_in(const char *mountinfo, const char *prefix, char *out, size_t outsz)
{
	FILE *f = fopen(mountinfo, "re");
	char line[1024];
	int rc = -ENOENT;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mountpoint options... - fstype source super */
		char *dash = strstr(line, " - ");
		char mnt[CGROUP2_MAX_PATH], fstype[32];
		if (!dash || sscanf(dash + 3, "%31s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		snprintf(out, outsz, "%s%s", prefix, mnt);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

#define CGROUP2_ANCESTORS 8   /* parents asked for their view of the cgroup v2 mount */

static int parent_of(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');   /* comm may hold spaces and parentheses */
	int ppid = -1;
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/*
 * Where the host's mounts show: "" (ours), else "/proc/PID/root" of the
 * nearest ancestor whose mount table has the cgroup v2 hierarchy. `ip netns
 * exec` runs us in a mount namespace of our own with a fresh /sys, which
 * hides the cgroup and tracefs mounts below it; the hierarchy and the
 * tracepoints are the same ones, and the process that ran `ip netns exec`
 * still sees them. The cgroup v2 root goes to `cg`.
 */
static int host_view(char *prefix, size_t prefixsz, char *cg, size_t cgsz)
{
	char mi[64];
	prefix[0] = '\0';
	if (cgroup2_in("/proc/self/mountinfo", "", cg, cgsz) == 0)
		return 0;
	int pid = getppid();
	for (int i = 0; i < CGROUP2_ANCESTORS && pid > 1; i++, pid = parent_of(pid)) {
		snprintf(mi, sizeof(mi), "/proc/%d/mountinfo", pid);
		snprintf(prefix, prefixsz, "/proc/%d/root", pid);
		if (cgroup2_in(mi, prefix, cg, cgsz) == 0 && access(cg, R_OK) == 0)
			return 0;
	}
	prefix[0] = '\0';
	return -ENOENT;
}

/* A tracepoint's id from tracefs, seen through `prefix`; -errno when there is none. */
static long tracepoint_id(const char *prefix, const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[CGROUP2_MAX_PATH];
	long id = -ENOENT;
	for (size_t r = 0; r < 2 * sizeof(roots) / sizeof(roots[0]) && id < 0; r++) {
		/* ours first, then the host's view */
		const char *pre = r % 2 ? prefix : "";
		if (r % 2 && !prefix[0])
			continue;
		snprintf(path, sizeof(path), "%s%s/events/%s/%s/id", pre, roots[r / 2], category, name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &id) != 1)
			id = -EINVAL;
		fclose(f);
	}
	return id;
}

static const char *user_name(struct ww_kattr *k, uint32_t uid)
{
	for (size_t i = 0; i < k->n_users; i++)
		if (k->users[i].uid == uid)
			return k->users[i].name;
	struct passwd pw, *res = NULL;
	char buf[1024];
	char *name = NULL;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		name = strdup(res->pw_name);
	if (k->n_users == USER_CACHE) {
		/* Full: the oldest goes. Its name is not pointed at any more: a
		 * hit's strings are copied (attribute.c) before the next call. */
		free(k->users[0].name);
		memmove(&k->users[0], &k->users[1], (USER_CACHE - 1) * sizeof(k->users[0]));
		k->n_users--;
	}
	k->users[k->n_users].uid = uid;
	k->users[k->n_users].name = name;
	k->n_users++;
	return name;
}

static struct kkey proc_key(uint32_t tgid)
{
	struct kkey k;
	memset(&k, 0, sizeof(k));
	k.kind = K_PROC;
	k.id = tgid;
	return k;
}

static void to_addr(struct ww_addr *a, uint8_t family, const uint8_t raw[16])
{
	if (family == 2)
		ww_addr_from_v4(a, raw);
	else
		memcpy(a->b, raw, 16);
}

static struct kkey sock_key(uint8_t kind, uint8_t proto, const struct ww_addr *l, uint16_t lport,
			    const struct ww_addr *r, uint16_t rport)
{
	struct kkey k;
	memset(&k, 0, sizeof(k));
	k.kind = kind;
	k.proto = proto;
	k.l = *l;
	k.lport = lport;
	if (r) {
		k.r = *r;
		k.rport = rport;
	}
	return k;
}

static void on_sock(struct ww_kattr *k, const struct ww_kev_sock *e)
{
	struct ww_addr l, r;
	bool fresh;
	to_addr(&l, e->h.family, e->laddr);
	to_addr(&r, e->h.family, e->raddr);
	bool foreign = k->own_netns && e->netns != k->own_netns;
	if (foreign) {
		/* Another namespace's socket (a container's): its flows only, by
		 * 5-tuple; a 5-tuple two namespaces reported is nobody's. Its
		 * listeners are not kept: wildcard listeners of several
		 * containers would all claim the same port. */
		if (e->h.kind != WW_KEV_FLOW)
			return;
		struct kkey key = sock_key(K_FLOW, e->h.proto, &l, e->lport, &r, e->rport);
		struct kent *x = ktab_put(&k->foreign, &key, k->now, &fresh);
		if (!fresh && x->netns != e->netns)
			x->ambiguous = true;
		else if (fresh)
			x->ambiguous = false;
		x->netns = e->netns;
		x->task = e->task;
		k->st.flows++;
		return;
	}
	if (e->h.kind == WW_KEV_FLOW) {
		struct kkey key = sock_key(K_FLOW, e->h.proto, &l, e->lport, &r, e->rport);
		struct kent *x = ktab_put(&k->flows, &key, k->now, &fresh);
		x->task = e->task;
		k->st.flows++;
		return;
	}
	struct kkey key = sock_key(K_BOUND, e->h.proto, &l, e->lport, NULL, 0);
	k->st.bound++;
	if (e->h.kind == WW_KEV_RELEASE) {
		struct kent *x = ktab_find(&k->bound, &key);
		if (x && x->task.tgid == e->task.tgid)
			x->closed = true;
		return;
	}
	struct kent *x = ktab_put(&k->bound, &key, k->now, &fresh);
	x->task = e->task;
	x->closed = false;
}

/*
 * The program an exec record ran: /proc/TGID/exe when the process still
 * lives as the record is read (usually: records are read within
 * milliseconds), the resolved path the /proc engine would report, so a
 * process that exits later is named the same way ("/usr/bin/dash", not the
 * "/bin/sh" it was started as); else the path given to execve.
 */
static char *exec_path(const struct ww_kev_proc *e)
{
	char link[64], path[4096];
	snprintf(link, sizeof(link), "/proc/%u/exe", e->task.tgid);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n > 0) {
		path[n] = '\0';
		return strdup(path);
	}
	return e->filename[0] ? strndup(e->filename, sizeof(e->filename)) : NULL;
}

static void on_proc(struct ww_kattr *k, const struct ww_kev_proc *e)
{
	struct kkey key;
	struct kent *x;
	bool fresh;
	k->st.procs++;
	switch (e->h.kind) {
	case WW_KEV_EXEC:
		key = proc_key(e->task.tgid);
		x = ktab_put(&k->procs, &key, k->now, &fresh);
		free(x->exe);
		x->exe = exec_path(e);
		free(x->args);
		x->args = NULL;
		if (e->args_len && e->args_len < sizeof(e->args) && (x->args = malloc(e->args_len + 1))) {
			uint32_t n = e->args_len;
			memcpy(x->args, e->args, n);
			while (n && x->args[n - 1] == '\0')
				n--;
			for (uint32_t i = 0; i < n; i++)
				if (x->args[i] == '\0')
					x->args[i] = ' ';   /* as /proc's are joined (procs.c) */
			x->args[n] = '\0';
		}
		x->task = e->task;
		x->ppid = e->task.ppid;
		x->exited = 0;
		break;
	case WW_KEV_FORK: {
		/* A thread's creation looks the same; its entry, keyed by a
		 * thread id no process has, costs a slot until its exit. */
		key = proc_key(e->task.tgid);
		struct kent *parent = ktab_find(&k->procs, &key);
		if (!parent || !parent->exe) {
			/* A parent that ran its program before we started: ask
			 * /proc once, while it most likely still lives. */
			char link[64], path[4096];
			snprintf(link, sizeof(link), "/proc/%u/exe", e->task.tgid);
			ssize_t n = readlink(link, path, sizeof(path) - 1);
			if (!parent) {
				parent = ktab_put(&k->procs, &key, k->now, &fresh);
				parent->task = e->task;
				parent->ppid = e->task.ppid;
			}
			if (n > 0) {
				path[n] = '\0';
				parent->exe = strdup(path);
			}
		}
		char *exe = parent->exe ? strdup(parent->exe) : NULL;
		char *args = parent->args ? strdup(parent->args) : NULL;
		key = proc_key(e->child);
		x = ktab_put(&k->procs, &key, k->now, &fresh);
		free(x->exe);
		x->exe = exe;
		free(x->args);
		x->args = args;
		x->task = e->task;
		x->task.pid = x->task.tgid = e->child;
		x->ppid = e->task.tgid;
		x->exited = 0;
		break;
	}
	case WW_KEV_EXIT:
		if (e->task.pid != e->task.tgid) {   /* a thread: its fork entry goes */
			key = proc_key(e->task.pid);
			x = ktab_find(&k->procs, &key);
			if (x && !x->exited)
				x->exited = k->now;
		}
		if (e->h.flags & WW_KEV_F_GROUP_DEAD) {
			key = proc_key(e->task.tgid);
			x = ktab_find(&k->procs, &key);
			if (x)
				x->exited = k->now;
		}
		break;
	}
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct ww_kattr *k = ctx;
	const struct ww_kev_hdr *h = data;
	k->st.records++;
	if (len < sizeof(*h))
		return 0;
	switch (h->kind) {
	case WW_KEV_FLOW:
	case WW_KEV_BOUND:
	case WW_KEV_RELEASE:
		if (len >= sizeof(struct ww_kev_sock))
			on_sock(k, data);
		break;
	case WW_KEV_EXEC:
	case WW_KEV_FORK:
	case WW_KEV_EXIT:
		if (len >= sizeof(struct ww_kev_proc))
			on_proc(k, data);
		break;
	}
	return 0;
}

#define ATTACH_CGROUP(prog) \
	do { \
		struct bpf_link *l = bpf_program__attach_cgroup(k->skel->progs.prog, k->cgroup_fd); \
		if (!l) { what = #prog; goto attach_err; } \
		k->links[k->nlinks++] = l; \
	} while (0)
#define ATTACH_TP(prog, category, name) \
	do { \
		struct bpf_link *l = attach_tracepoint(k->skel->progs.prog, prefix, category, name); \
		if (!l) { what = category ":" name; goto attach_err; } \
		k->links[k->nlinks++] = l; \
	} while (0)

/*
 * Attach `prog` to a tracepoint through a perf event, as libbpf would, but
 * with the id read through the host's view (libbpf looks only in our own
 * mounts). NULL with errno when that fails.
 */
static struct bpf_link *attach_tracepoint(struct bpf_program *prog, const char *prefix,
					  const char *category, const char *name)
{
	long id = tracepoint_id(prefix, category, name);
	if (id < 0) {
		errno = (int)-id;
		return NULL;
	}
	struct perf_event_attr pa;
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = (uint64_t)id;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	int pfd = (int)syscall(SYS_perf_event_open, &pa, -1 /* every task */, 0 /* cpu */, -1,
			       PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return NULL;
	struct bpf_link *l = bpf_program__attach_perf_event(prog, pfd);
	if (!l) {
		int e = errno;
		close(pfd);
		errno = e;
	}
	return l;   /* the link owns pfd now */
}

struct ww_kattr *ww_kattr_open(uint64_t netns_cookie, const char *btf_path, char *err, size_t errsz)
{
	struct ww_kattr *k;
	char cg[CGROUP2_MAX_PATH], prefix[64];
	const char *missing, *what = "";
	const char *btf = btf_path ? btf_path : "/sys/kernel/btf/vmlinux";
	int rc;

	libbpf_set_print(libbpf_print);
	libbpf_msg[0] = '\0';
	if (access(btf, R_OK) < 0) {
		rc = errno;
		set_err(err, errsz, "no kernel BTF at %s (%s): CO-RE programs cannot be relocated",
			btf, strerror(rc));
		errno = rc == EACCES ? EPERM : ENOENT;
		return NULL;
	}
	if ((missing = ww_caps_missing_for_bpf()) != NULL) {
		set_err(err, errsz, "without %s the kernel refuses to load the programs", missing);
		errno = EPERM;
		return NULL;
	}
	if (host_view(prefix, sizeof(prefix), cg, sizeof(cg)) < 0) {
		set_err(err, errsz, "no cgroup v2 hierarchy is mounted, here or where our parents run "
			"(the socket hooks attach to its root)");
		errno = ENOENT;
		return NULL;
	}
	if (!(k = calloc(1, sizeof(*k)))) {
		set_err(err, errsz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	k->cgroup_fd = -1;
	if (ktab_init(&k->flows, WW_KATTR_FLOWS_MAX, WW_KATTR_KEEP_US) < 0 ||
	    ktab_init(&k->bound, WW_KATTR_BOUND_MAX, 0) < 0 ||
	    ktab_init(&k->procs, WW_KATTR_PROCS_MAX, WW_KATTR_EXITED_KEEP_US) < 0 ||
	    ktab_init(&k->foreign, WW_KATTR_FLOWS_MAX, WW_KATTR_KEEP_US) < 0) {
		set_err(err, errsz, "out of memory");
		rc = ENOMEM;
		goto err;
	}
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	k->skel = kattr_bpf__open_opts(&oo);
	if (!k->skel) {
		rc = errno ? errno : EINVAL;
		set_err(err, errsz, "cannot open the BPF programs (%s)%s%s", strerror(rc),
			libbpf_msg[0] ? ": " : "", libbpf_msg);
		goto err;
	}
	/* Every namespace's records: ours answer our flows, the others' the
	 * flows of containers seen through their veth (ww_kattr_lookup_foreign()). */
	k->skel->rodata->target_netns = 0;
	k->own_netns = netns_cookie;
	if ((rc = kattr_bpf__load(k->skel)) < 0) {
		rc = -rc;
		set_err(err, errsz, "the kernel refused the BPF programs (%s)%s%s", strerror(rc),
			libbpf_msg[0] ? ": " : "", libbpf_msg);
		goto err;
	}
	k->cgroup_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k->cgroup_fd < 0) {
		rc = errno;
		set_err(err, errsz, "cannot open the cgroup v2 root %s: %s", cg, strerror(rc));
		goto err;
	}
	/* The process table first, so a socket's process is known by the time
	 * its first record comes. */
	ATTACH_TP(ww_exec, "sched", "sched_process_exec");
	ATTACH_TP(ww_fork, "sched", "sched_process_fork");
	ATTACH_TP(ww_exit, "sched", "sched_process_exit");
	ATTACH_TP(ww_set_state, "sock", "inet_sock_set_state");
	ATTACH_CGROUP(ww_connect4);
	ATTACH_CGROUP(ww_connect6);
	ATTACH_CGROUP(ww_sendmsg4);
	ATTACH_CGROUP(ww_sendmsg6);
	ATTACH_CGROUP(ww_post_bind4);
	ATTACH_CGROUP(ww_post_bind6);
	ATTACH_CGROUP(ww_sock_release);
	ATTACH_CGROUP(ww_egress);
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), on_record, k, NULL);
	if (!k->rb) {
		rc = errno ? errno : ENOMEM;
		set_err(err, errsz, "cannot map the ring buffer: %s", strerror(rc));
		goto err;
	}
	return k;
attach_err:
	rc = errno ? errno : EINVAL;
	set_err(err, errsz, "the kernel lacks a hook the engine needs (%s: %s)%s%s", what, strerror(rc),
		libbpf_msg[0] ? ": " : "", libbpf_msg);
err:
	ww_kattr_close(k);
	errno = rc;
	return NULL;
}

void ww_kattr_close(struct ww_kattr *k)
{
	if (!k)
		return;
	ring_buffer__free(k->rb);
	for (int i = k->nlinks - 1; i >= 0; i--)
		bpf_link__destroy(k->links[i]);
	kattr_bpf__destroy(k->skel);
	if (k->cgroup_fd >= 0)
		close(k->cgroup_fd);
	ktab_free(&k->flows);
	ktab_free(&k->bound);
	ktab_free(&k->procs);
	ktab_free(&k->foreign);
	for (size_t i = 0; i < k->n_users; i++)
		free(k->users[i].name);
	free(k);
}

int ww_kattr_fd(const struct ww_kattr *k)
{
	return ring_buffer__epoll_fd(k->rb);
}

int ww_kattr_poll(struct ww_kattr *k, ww_time_t now)
{
	k->now = now;
	int n = ring_buffer__consume(k->rb);
	if (n < 0)
		return n;
	ktab_expire(&k->flows, now, false);
	ktab_expire(&k->foreign, now, false);
	ktab_expire(&k->procs, now, true);
	k->st.lost = k->skel->bss->lost;
	return n;
}

/* The program's path for a hit (see the file's comment for the order). */
static const char *exe_of(struct ww_kattr *k, uint32_t tgid, bool *exited)
{
	struct kkey key = proc_key(tgid);
	struct kent *p = ktab_find(&k->procs, &key);
	char link[64];
	ssize_t n;

	*exited = p && p->exited;
	if (!*exited) {
		snprintf(link, sizeof(link), "/proc/%u/exe", tgid);
		n = readlink(link, k->exe, sizeof(k->exe) - 1);
		if (n > 0) {
			k->exe[n] = '\0';
			return k->exe;
		}
	}
	if (p && p->exe) {
		snprintf(k->exe, sizeof(k->exe), "%s", p->exe);
		return k->exe;
	}
	return NULL;
}

/*
 * The parent's comm and program, and the process's own command line as its
 * exec record gave it, from the process table; what it lacks the caller
 * reads from /proc (attribute.c). A parent pid reused since is not told
 * apart: the table keeps exited processes, so a reuse within
 * WW_KATTR_EXITED_KEEP_US finds the old one's exit and leaves it unknown.
 */
static void parent_of_hit(struct ww_kattr *k, uint32_t tgid, uint32_t ppid, struct ww_owner *o)
{
	struct kkey key = proc_key(tgid);
	struct kent *self = ktab_find(&k->procs, &key);
	if (self && self->args) {
		snprintf(k->args, sizeof(k->args), "%s", self->args);
		o->cmdline = k->args;
	}
	if (!ppid)
		return;
	key = proc_key(ppid);
	struct kent *p = ktab_find(&k->procs, &key);
	if (p) {
		memcpy(k->pcomm, p->task.comm, WW_KEV_COMM_LEN);
		k->pcomm[WW_KEV_COMM_LEN] = '\0';
		o->parent_comm = k->pcomm[0] ? k->pcomm : NULL;
	}
	/* the program's path as for the process itself (exe_of()): /proc while
	 * it lives, the resolved path; else what its exec record said */
	if (!p || !p->exited) {
		char link[64];
		snprintf(link, sizeof(link), "/proc/%u/exe", ppid);
		ssize_t n = readlink(link, k->pexe, sizeof(k->pexe) - 1);
		if (n > 0) {
			k->pexe[n] = '\0';
			o->parent_exe = k->pexe;
		}
	}
	if (!o->parent_exe && p && p->exe) {
		snprintf(k->pexe, sizeof(k->pexe), "%s", p->exe);
		o->parent_exe = k->pexe;
	}
}

static void fill_hit(struct ww_kattr *k, const struct kent *e, bool listener, struct ww_kattr_hit *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(k->comm, e->task.comm, WW_KEV_COMM_LEN);
	k->comm[WW_KEV_COMM_LEN] = '\0';
	out->owner.pid = (int)e->task.tgid;
	out->owner.uid = (int)e->task.uid;
	out->owner.comm = k->comm;
	out->owner.exe = exe_of(k, e->task.tgid, &out->exited);
	out->owner.user = user_name(k, e->task.uid);
	out->tid = (int)e->task.pid;
	out->ppid = (int)e->task.ppid;
	out->owner.ppid = out->ppid;
	parent_of_hit(k, e->task.tgid, e->task.ppid, &out->owner);
	out->cgroup_id = e->task.cgroup_id;
	out->listener = listener;
	k->st.hits++;
	if (out->exited)
		k->st.exited_hits++;
}

static const struct ww_addr any4 = { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 } };
static const struct ww_addr any6 = { { 0 } };

int ww_kattr_lookup(struct ww_kattr *k, uint8_t proto, const struct ww_addr *lip, uint16_t lport,
		    const struct ww_addr *rip, uint16_t rport, bool inbound, ww_time_t now,
		    struct ww_kattr_hit *out)
{
	ww_kattr_poll(k, now);
	struct kkey key = sock_key(K_FLOW, proto, lip, lport, rip, rport);
	struct kent *e = ktab_find(&k->flows, &key);
	if (e) {
		fill_hit(k, e, false, out);
		return 0;
	}
	if (inbound || proto == WW_IPPROTO_UDP) {
		/* The exact address, then the wildcards (a dual-stack [::] takes IPv4 too). */
		const struct ww_addr *try[3] = { lip, ww_addr_is_v4(lip) ? &any4 : &any6, &any6 };
		for (int i = 0; i < 3; i++) {
			key = sock_key(K_BOUND, proto, try[i], lport, NULL, 0);
			e = ktab_find(&k->bound, &key);
			if (e && !e->closed) {
				fill_hit(k, e, true, out);
				return 0;
			}
		}
	}
	k->st.misses++;
	return -ENOENT;
}

int ww_kattr_lookup_foreign(struct ww_kattr *k, uint8_t proto, const struct ww_addr *lip, uint16_t lport,
			    const struct ww_addr *rip, uint16_t rport, bool inbound, ww_time_t now,
			    struct ww_kattr_hit *out, uint64_t *netns)
{
	(void)inbound;   /* listeners of other namespaces are not kept (on_sock()) */
	ww_kattr_poll(k, now);
	struct kkey key = sock_key(K_FLOW, proto, lip, lport, rip, rport);
	struct kent *e = ktab_find(&k->foreign, &key);
	if (!e)
		return -ENOENT;
	if (e->ambiguous)
		return -EEXIST;
	fill_hit(k, e, false, out);
	*netns = e->netns;
	return 0;
}

void ww_kattr_stats(const struct ww_kattr *k, struct ww_kattr_stats *st)
{
	*st = k->st;
}

#endif /* WW_HAVE_BPF */
