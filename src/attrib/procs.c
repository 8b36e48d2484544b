/*
 * procs.c - the process cache: who holds which socket inode.
 *
 * Layout. Processes live in individually allocated entries (so pointers
 * handed out stay put) listed in a vector sorted by pid; /proc lists pids in
 * ascending order, so a refresh merges the new listing with the old vector
 * in one pass and a lookup by pid is a binary search. The inode -> owners
 * index is an open-addressing hash (linear probing, power-of-two size, load
 * at most 1/2) of links {inode, entry, scan id}; a link is live only while
 * its scan id equals the entry's, so a rescan invalidates a process's old
 * links without touching the table. A refresh rebuilds the index from
 * scratch (one pass over ~one link per socket fd); the targeted search of
 * the live monitor only appends.
 *
 * Reading a process costs: /proc/PID/stat (identity and comm) every
 * refresh; /proc/PID/fd's stat (descriptor count) every refresh; and, only
 * when new or changed, status (uid), exe, cmdline and one readlinkat per
 * descriptor, relative to the fd directory's own descriptor so the kernel
 * walks one path component, not four.
 *
 * Why the change test is sound, and its one gap. A pid with the same start
 * time is the same process. Its fd table can change without the count
 * changing only by closing some descriptors and opening as many. New
 * sockets have new inodes, which the caller passes as `want`; any such
 * inode left without an owner triggers the newest-first scan of the
 * unchanged processes, so a process that swapped an old socket for a new one
 * is found. The gap: a process that receives an *existing* socket (fork is
 * a new pid, so it is fine; SCM_RIGHTS or pidfd_getfd is not) while closing
 * another descriptor, so its count stays the same, is listed as an owner
 * only after its next change. On kernels older than 6.2 the fd directory
 * reports size 0 and every process is rescanned on every refresh.
 *
 * The newest-first search (ww_procs_find_newest()) is the cheap first try
 * of the live monitor, and deliberately leaves the cache alone: it reads
 * the fd tables of the few task ids just below the kernel's last allocated
 * pid (the fifth field of /proc/loadavg), found without listing /proc, and
 * hands back one owner in scratch buffers the cache does not index. Those
 * task ids may be threads, whose fd table is their process's; the owner is
 * the process (Tgid from /proc/TID/status). It keeps its own one-entry
 * user-name cache: a burst of lookups is usually one user's.
 *
 * Failures are facts about processes, not errors: a process that exits
 * between listing and reading (ENOENT/ESRCH) is dropped and counted; an fd
 * table we may not read (EACCES: another user's process, not root) is kept
 * with its identity and counted as denied, so sockets it may hold are
 * explained as "permission". Processes of other PID namespaces are exactly
 * as visible as this /proc mount makes them.
 */
#include "wirewho/procs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMDLINE_MAX 4096      /* one page: /proc/PID/cmdline's first read */
#define STAT_MAX 1024         /* /proc/PID/stat is < 400 bytes plus a 16-byte comm */
#define COMM_MAX 64           /* comm is 16 bytes; room for a longer kthread name */
#define INIT_INODES 8         /* most processes hold a few sockets */
#define USER_CACHE 64         /* distinct uids remembered for user names */
#define SCAN_THREADS 4        /* fd-table readers; more buys little: the kernel's
                                 dcache locks are shared */
#define PARALLEL_MIN_FDS 2000 /* below this a thread costs more than it saves */
#define NEWEST_COMM_MAX 32    /* /proc/PID/comm: 15 bytes and a newline */
#define CGROUP_MAX 4096       /* /proc/PID/cgroup: one v2 line, or 13 v1 controllers */
#define NEWEST_STATUS_MAX 2048 /* /proc/PID/status up to Uid: is ~ 600 bytes */

struct link {
	uint64_t inode;          /* 0: empty slot */
	struct pent *p;
	uint32_t scan_id;
};

struct pent {
	struct ww_proc pub;
	int pid;
	uint32_t scan_id;        /* bumped at every rescan; links compare it */
	long long fdcount;       /* st_size of fd/ at the last scan, -1 unknown */
	uint64_t *inodes;
	size_t n_inodes, cap_inodes;
	bool denied;             /* fd table unreadable */
	bool dead;               /* exited (found by the targeted search) */
	bool scanned_now;        /* rescanned during the current refresh */
	bool fresh;              /* created by the current refresh */
	int scan_rc;             /* result of the parallel scan */
	char comm[COMM_MAX];
	char *exe, *cmdline, *script;
	char parent_comm[COMM_MAX];   /* "" unknown */
	char *parent_exe;
	char sha[WW_SHA256_HEX];      /* "" not hashed */
	struct ww_cgroup_ident ctr;   /* owner.container, pod_uid, unit point here */
};

struct ucache {
	uint32_t uid;
	char *name;              /* NULL: no such user */
};

/*
 * User names handed out stay valid as long as the cache: a process entry
 * points at its user's name. Past USER_CACHE distinct uids the names go on
 * a growing list (looked up linearly: a host with that many users running
 * processes is rare) instead of replacing a slot, whose name a process
 * entry may still point at.
 */

struct ww_procs {
	int procfd;
	bool count_ok;           /* kernel reports fd counts */
	bool root;
	struct pent **v;         /* sorted by pid */
	size_t n, cap;
	struct link *idx;        /* hash, idx_cap slots */
	size_t idx_cap, idx_used;
	uint64_t *unresolved;    /* sorted inodes a full scan could not place */
	size_t n_unresolved;
	struct ucache *users;    /* USER_CACHE at first, doubled when full (above) */
	size_t n_users, cap_users;
	bool hash_exe;           /* --hash-exe: owners carry their program's SHA-256 */
	struct ww_exehash *hashes;
	struct ww_procs_stats st;
	/* ww_procs_find_newest(): /proc/loadavg, opened at its first call */
	int loadavg_fd;          /* -1: not open (yet, or it cannot be) */
	bool loadavg_tried;
	struct {                 /* the owner it returned last, and its user name */
		char comm[NEWEST_COMM_MAX];
		char exe[4096];
		char user[64];
		char script[WW_PROCS_SCRIPT_MAX];
		char cmdline[CMDLINE_MAX];
		char parent_comm[COMM_MAX];
		char parent_exe[4096];
		char sha[WW_SHA256_HEX];
		struct ww_cgroup_ident ctr;
		uint32_t uid;
		bool have_user;
	} newest;
};

/* ---- small helpers ---- */

static int parent_of(int procfd, int pid, char *comm, size_t commsz, char *exe, size_t exesz);

static ssize_t read_at(int dirfd, const char *path, char *buf, size_t sz)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sz - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

/* comm, start time and (ppid non-NULL) the parent from /proc/PID/stat; comm may hold ')' and spaces. */
static int read_stat(int procfd, int pid, char *comm, size_t commsz, uint64_t *start, int *ppid)
{
	char path[32], buf[STAT_MAX];
	snprintf(path, sizeof(path), "%d/stat", pid);
	ssize_t n = read_at(procfd, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	char *open = strchr(buf, '('), *close_p = strrchr(buf, ')');
	if (!open || !close_p || close_p < open)
		return -EINVAL;
	size_t cl = (size_t)(close_p - open - 1);
	if (cl >= commsz)
		cl = commsz - 1;
	memcpy(comm, open + 1, cl);
	comm[cl] = '\0';
	/* fields after ")": 3 state, 4 ppid ... 22 starttime -> the 20th token after */
	char *s = close_p + 1;
	if (ppid && sscanf(s, " %*c %d", ppid) != 1)
		*ppid = 0;
	for (int field = 3; field < 22; field++) {
		s = strchr(s + 1, ' ');
		if (!s)
			return -EINVAL;
	}
	*start = strtoull(s + 1, NULL, 10);
	return 0;
}

static uint32_t read_euid(int procfd, int pid, uint32_t dflt)
{
	char path[32], buf[2048];
	snprintf(path, sizeof(path), "%d/status", pid);
	if (read_at(procfd, path, buf, sizeof(buf)) < 0)
		return dflt;
	char *u = strstr(buf, "\nUid:");
	unsigned ruid, euid;
	if (!u || sscanf(u + 5, "%u %u", &ruid, &euid) != 2)
		return dflt;
	return euid;
}

/* The exe link, or NULL with *err the reason (ENOENT: kernel thread, EACCES). */
static char *read_exe(int procfd, int pid, int *err)
{
	char path[32], buf[4096];
	snprintf(path, sizeof(path), "%d/exe", pid);
	ssize_t n = readlinkat(procfd, path, buf, sizeof(buf) - 1);
	if (n < 0) {
		*err = errno;
		return NULL;   /* kernel thread (ENOENT) or another user's (EACCES) */
	}
	*err = 0;
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * /proc/PID/cmdline's first page: the raw NUL-separated argv into raw[]
 * (rawsz bytes, NUL-terminated; its length in *rawn) and, returned, the
 * arguments joined by spaces (NULL when out of memory).
 */
static char *read_cmdline(int procfd, int pid, char *raw, size_t rawsz, size_t *rawn)
{
	char path[32], buf[CMDLINE_MAX];
	snprintf(path, sizeof(path), "%d/cmdline", pid);
	ssize_t n = read_at(procfd, path, buf, sizeof(buf));
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	size_t keep = (size_t)n < rawsz - 1 ? (size_t)n : rawsz - 1;
	memcpy(raw, buf, keep);
	raw[keep] = '\0';
	*rawn = keep;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strdup(buf);
}

/* ---- indicators: is the process what its name says? (procs.h) ---- */

/*
 * Scratch places anyone (or the logged-in user) may write: a program run
 * from there was put there, not installed. Prefixes with their slash.
 */
static const char *const temp_dirs[] = {
	"/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/run/user/", "/dev/mqueue/",
	"/var/crash/",
};

/*
 * Kernel-thread names (as ps shows them without brackets), so a user-space
 * process that takes one is hiding among them. Prefixes.
 */
static const char *const kthread_names[] = {
	"kworker/", "ksoftirqd/", "kthreadd", "migration/", "rcu_", "rcuog/", "rcuop/",
	"kswapd", "watchdog/", "watchdogd", "irq/", "kblockd", "jbd2/", "cpuhp/",
	"khugepaged", "kcompactd", "oom_reaper", "writeback", "kdevtmpfs", "kauditd",
	"ksmd", "kintegrityd", "kthrotld", "idle_inject/", "scsi_eh_", "kstrp", "xfsaild/",
	"ext4-rsv-conver", "netns", "md", "ipv6_addrconf", "mm_percpu_wq", "inet_frag_wq",
	"kaluad", "kmpath_rdacd", "zswap-shrink", "card0-crtc", "ttm",
};

/* Interpreters whose first operand is the program really running. */
static const char *const interpreters[] = {
	"python", "perl", "ruby", "node", "nodejs", "bash", "sh", "dash", "zsh", "ksh",
	"mksh", "ash", "php", "lua", "luajit", "tclsh", "wish", "pwsh", "Rscript", "java",
	"deno", "bun", "awk", "gawk", "mawk", "busybox",
};

static bool in_temp_dir(const char *path)
{
	for (size_t i = 0; i < WW_ARRAY_SIZE(temp_dirs); i++)
		if (strncmp(path, temp_dirs[i], strlen(temp_dirs[i])) == 0)
			return true;
	return false;
}

/* A kernel-thread name: one of the list, or bracketed as ps shows them. */
static bool kthread_like(const char *name)
{
	size_t n = strlen(name);
	if (n >= 2 && name[0] == '[' && name[n - 1] == ']')
		return true;
	for (size_t i = 0; i < WW_ARRAY_SIZE(kthread_names); i++) {
		size_t k = strlen(kthread_names[i]);
		/* short names ("md", "ttm", "netns") only whole, or before '/' */
		if (k <= 5 && kthread_names[i][k - 1] != '/' && kthread_names[i][k - 1] != '_') {
			if (strcmp(name, kthread_names[i]) == 0 ||
			    (strncmp(name, kthread_names[i], k) == 0 && name[k] == '/'))
				return true;
			continue;
		}
		if (strncmp(name, kthread_names[i], k) == 0)
			return true;
	}
	return false;
}

/* The last path component of `path`, " (deleted)" cut, into buf. */
static const char *base_name(const char *path, char *buf, size_t bufsz)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	static const char del[] = " (deleted)";
	if (n >= sizeof(del) - 1 && strcmp(b + n - (sizeof(del) - 1), del) == 0)
		n -= sizeof(del) - 1;
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	return buf;
}

/*
 * comm names `name`: equal, or `name` cut to the kernel's 15 bytes
 * (TASK_COMM_LEN - 1), which is how every long program name shows.
 */
static bool comm_names(const char *comm, const char *name)
{
	size_t c = strlen(comm);
	if (strcmp(comm, name) == 0)
		return true;
	return c == 15 && strncmp(comm, name, 15) == 0;
}

/* An interpreter by its exe's name: "python3.11" is python, "perl5.36.0" perl. */
static bool is_interpreter(const char *exe_base)
{
	for (size_t i = 0; i < WW_ARRAY_SIZE(interpreters); i++) {
		size_t k = strlen(interpreters[i]);
		if (strncmp(exe_base, interpreters[i], k) != 0)
			continue;
		const char *r = exe_base + k;
		while (*r == '.' || (*r >= '0' && *r <= '9'))
			r++;
		if (*r == '\0')
			return true;
	}
	return false;
}

/* "-xc", "-ec": a cluster of short options (sh, bash) that holds -c. */
static bool short_cluster_has_c(const char *a)
{
	size_t n = strlen(a);
	if (n < 3 || n > 4 || a[1] == '-')
		return false;
	for (size_t i = 1; i < n; i++)
		if (a[i] == 'c')
			return true;
	return false;
}

/*
 * An interpreter's script: the first operand of its argv (raw, NUL
 * separated, n bytes), skipping options; none when the program comes from
 * an option (-c, -e, -m, -r: code or a module, not a file) or stdin ("-").
 * Options that take a separate argument are the common ones below; an
 * unknown one may make the option's argument look like the script, which
 * the record shows for what it is.
 */
static const char *script_arg(const char *raw, size_t n)
{
	static const char *const with_arg[] = { "-W", "-X", "-Q", "-I", "-o", "-O", "-x",
						"-cp", "-classpath", "--require" };
	size_t i = strlen(raw) + 1;   /* skip argv[0] */
	bool seen_ddash = false;
	while (i < n) {
		const char *a = raw + i;
		i += strlen(a) + 1;
		if (!seen_ddash && a[0] == '-' && a[1]) {
			if (strcmp(a, "--") == 0) {
				seen_ddash = true;
				continue;
			}
			if (strcmp(a, "-c") == 0 || strcmp(a, "-e") == 0 || strcmp(a, "-E") == 0 ||
			    strcmp(a, "-m") == 0 || strcmp(a, "-r") == 0 || strcmp(a, "--eval") == 0 ||
			    short_cluster_has_c(a))
				return NULL;   /* code on the command line (sh -xc too) */
			if ((strcmp(a, "-f") == 0 || strcmp(a, "-jar") == 0) && i < n)
				return raw + i;   /* awk -f FILE, java -jar FILE: the program file */
			for (size_t k = 0; k < WW_ARRAY_SIZE(with_arg); k++)
				if (strcmp(a, with_arg[k]) == 0)
					i += i < n ? strlen(raw + i) + 1 : 0;
			continue;
		}
		if (strcmp(a, "-") == 0)
			return NULL;
		return a;
	}
	return NULL;
}

/* Same file: a name in a bin directory that links to the running exe. */
static bool same_file(const char *path, const struct stat *exe_st)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_dev == exe_st->st_dev && st.st_ino == exe_st->st_ino;
}

/*
 * comm is the name the program was started by (the last component of the
 * path given to execve), which differs from the exe's own name through a
 * symlink (python3 -> python3.11, sh -> dash, nc -> nc.openbsd): a comm
 * that names a file in the exe's own directory or a standard bin directory
 * that is the running exe is its name, not a disguise.
 */
static bool comm_is_link_to_exe(int procfd, int pid, const char *exe, const char *comm)
{
	static const char *const bins[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin",
					    "/usr/local/bin", "/usr/local/sbin" };
	char path[4200];
	struct stat exe_st;
	if (!comm[0] || strchr(comm, '/') || strcmp(comm, ".") == 0 || strcmp(comm, "..") == 0)
		return false;
	snprintf(path, sizeof(path), "%d/exe", pid);
	if (fstatat(procfd, path, &exe_st, 0) < 0)
		return false;
	const char *slash = strrchr(exe, '/');
	if (slash && slash != exe) {
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - exe), exe, comm);
		if (same_file(path, &exe_st))
			return true;
	}
	for (size_t i = 0; i < WW_ARRAY_SIZE(bins); i++) {
		snprintf(path, sizeof(path), "%s/%s", bins[i], comm);
		if (same_file(path, &exe_st))
			return true;
	}
	return false;
}

/*
 * The indicators of one process (procs.h) from its comm, its exe link
 * (`exe` NULL with `exe_errno` when unreadable), its raw argv, and, for an
 * interpreter, the script into script[] (made absolute with the process's
 * working directory when relative and that is readable; "" when none).
 */
static uint32_t compute_indicators(int procfd, int pid, const char *comm, const char *exe,
				   int exe_errno, const char *raw, size_t rawn,
				   char *script, size_t scriptsz)
{
	uint32_t ind = 0;
	char base[256], sbase[256];
	script[0] = '\0';
	if (!exe) {
		/* ENOENT: a kernel thread (or a zombie); EACCES: not ours to read */
		if (exe_errno == EACCES || exe_errno == EPERM) {
			ind |= WW_IND_EXE_UNREADABLE;
			if (kthread_like(comm) || (rawn && kthread_like(raw)))
				ind |= WW_IND_KTHREAD_NAME;   /* kernel threads have a readable exe: ENOENT */
		}
		return ind;
	}
	bool memfd = strncmp(exe, "/memfd:", 7) == 0;
	size_t el = strlen(exe);
	if (memfd)
		ind |= WW_IND_MEMFD_EXE;   /* it shows " (deleted)" too: one fact, not two */
	else if (el > 10 && strcmp(exe + el - 10, " (deleted)") == 0)
		ind |= WW_IND_DELETED_EXE;
	if (in_temp_dir(exe))
		ind |= WW_IND_TEMP_EXE;
	if (kthread_like(comm) || (rawn && kthread_like(raw)))
		ind |= WW_IND_KTHREAD_NAME;
	base_name(exe, base, sizeof(base));
	if (is_interpreter(base) && rawn) {
		const char *sc = script_arg(raw, rawn);
		if (sc && sc[0] != '/') {
			char cwd[4096], path[32];
			snprintf(path, sizeof(path), "%d/cwd", pid);
			ssize_t n = readlinkat(procfd, path, cwd, sizeof(cwd) - 1);
			if (n > 0) {
				cwd[n] = '\0';
				if (snprintf(script, scriptsz, "%s/%s", strcmp(cwd, "/") ? cwd : "", sc) >=
				    (int)scriptsz)
					script[scriptsz - 1] = '\0';   /* cut, as WW_PROCS_SCRIPT_MAX says */
			} else {
				snprintf(script, scriptsz, "%s", sc);
			}
		} else if (sc) {
			snprintf(script, scriptsz, "%s", sc);
		}
		if (script[0] && in_temp_dir(script))
			ind |= WW_IND_TEMP_SCRIPT;
	}
	bool named = comm_names(comm, base) ||
		     (script[0] && comm_names(comm, base_name(script, sbase, sizeof(sbase))));
	if (!named && !memfd)
		named = comm_is_link_to_exe(procfd, pid, exe, comm);
	if (!named)
		ind |= WW_IND_COMM_MISMATCH;
	return ind;
}

uint32_t ww_procs_indicators(struct ww_procs *p, int pid, const char *comm, const char *exe,
			     char *script, size_t scriptsz)
{
	char raw[CMDLINE_MAX];
	size_t rawn = 0;
	free(read_cmdline(p->procfd, pid, raw, sizeof(raw), &rawn));
	return compute_indicators(p->procfd, pid, comm ? comm : "", exe, exe ? 0 : ENOENT, raw, rawn,
				  script, scriptsz);
}

size_t ww_procs_cmdline(struct ww_procs *p, int pid, char *buf, size_t bufsz)
{
	char raw[CMDLINE_MAX];
	size_t rawn = 0;
	char *joined = read_cmdline(p->procfd, pid, raw, sizeof(raw), &rawn);
	int n = snprintf(buf, bufsz, "%s", joined ? joined : "");
	free(joined);
	return n < 0 ? 0 : (size_t)n < bufsz ? (size_t)n : bufsz - 1;
}

/* The cgroup path to read: the v2 line unless it is the root, else name=systemd's. */
static bool cgroup_path(const char *text, const char **path, size_t *len)
{
	const char *v2 = NULL, *sd = NULL;
	size_t v2n = 0, sdn = 0;
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n > 3 && memcmp(l, "0::", 3) == 0) {
			v2 = l + 3;
			v2n = n - 3;
		} else if (n > 15 && memcmp(l + 1, ":name=systemd:", 14) == 0) {
			sd = l + 15;
			sdn = n - 15;
		} else {
			const char *c = memchr(l, ':', n);
			if (c && n > 16 && memcmp(c, ":name=systemd:", 14) == 0) {
				sd = c + 14;
				sdn = n - (size_t)(c + 14 - l);
			}
		}
		l += n + (e != NULL);
	}
	if (v2 && !(v2n == 1 && v2[0] == '/')) {
		*path = v2;
		*len = v2n;
		return true;
	}
	if (sd) {
		*path = sd;
		*len = sdn;
		return true;
	}
	return false;
}

/* A pod uid (36 characters of hex and '-' or '_') at s: into out with '-'. */
static bool pod_uid_at(const char *s, size_t n, char *out)
{
	if (n < 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? (c != '-' && c != '_') : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = dash ? '-' : c;
	}
	out[36] = '\0';
	return true;
}

int ww_procs_parse_cgroup(const char *text, struct ww_cgroup_ident *out)
{
	const char *path;
	size_t len;
	memset(out, 0, sizeof(*out));
	out->has_container = ww_container_parse(text, &out->c) > 0;
	if (cgroup_path(text, &path, &len)) {
		for (size_t i = 0; i < len;) {
			size_t j = i;
			while (j < len && path[j] != '/')
				j++;
			const char *c = path + i;
			size_t n = j - i;
			/* cgroupfs: "pod<uid>"; systemd: "kubepods-besteffort-pod<uid_>.slice" */
			const char *pod = n > 3 && memcmp(c, "pod", 3) == 0 ? c + 3 : NULL;
			for (size_t k = 0; !pod && n > 4 && k + 4 <= n; k++)
				if (memcmp(c + k, "-pod", 4) == 0)
					pod = c + k + 4;
			if (pod && !pod_uid_at(pod, n - (size_t)(pod - c), out->pod_uid))
				out->pod_uid[0] = '\0';
			if ((n > 8 && memcmp(c + n - 8, ".service", 8) == 0) ||
			    (n > 6 && memcmp(c + n - 6, ".scope", 6) == 0))
				snprintf(out->unit, sizeof(out->unit), "%.*s", (int)n, c);
			i = j + 1;
		}
	}
	return out->has_container || out->pod_uid[0] || out->unit[0];
}

int ww_procs_container(struct ww_procs *p, int pid, struct ww_cgroup_ident *out)
{
	char path[32], buf[CGROUP_MAX];
	snprintf(path, sizeof(path), "%d/cgroup", pid);
	ssize_t n = read_at(p->procfd, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return ww_procs_parse_cgroup(buf, out);
}

/* Point o's container, pod and unit into id. */
static void owner_cgroup(struct ww_owner *o, const struct ww_cgroup_ident *id)
{
	o->container = id->has_container ? &id->c : NULL;
	o->pod_uid = id->has_container && id->pod_uid[0] ? id->pod_uid : NULL;
	o->unit = id->unit[0] ? id->unit : NULL;
}

int ww_procs_parent(struct ww_procs *p, int pid, char *comm, size_t commsz, char *exe, size_t exesz)
{
	return parent_of(p->procfd, pid, comm, commsz, exe, exesz);
}

static const char *user_name(struct ww_procs *p, uint32_t uid)
{
	for (size_t i = 0; i < p->n_users; i++)
		if (p->users[i].uid == uid)
			return p->users[i].name;
	struct passwd pw, *res = NULL;
	char buf[1024];
	char *name = NULL;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		name = strdup(res->pw_name);
	if (p->n_users == p->cap_users) {
		size_t nc = p->cap_users ? p->cap_users * 2 : USER_CACHE;
		struct ucache *nu = realloc(p->users, nc * sizeof(*nu));
		if (!nu) {
			free(name);
			return NULL;   /* out of memory: the record shows no user name */
		}
		p->users = nu;
		p->cap_users = nc;
	}
	p->users[p->n_users].uid = uid;
	p->users[p->n_users].name = name;
	p->n_users++;
	return name;
}

/* ---- --hash-exe: the program's SHA-256, cached by file identity ---- */

#define EXEHASH_MAX 1024          /* programs remembered; beyond, the oldest slot is reused
				     (the digest is copied out, so nobody points at it) */
#define EXEHASH_FILE_MAX (512LL << 20)   /* larger files are not hashed: one such read at a
					    flow's first packet would stall the capture */
#define EXEHASH_CHUNK 65536

struct exehash_ent {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	char hex[WW_SHA256_HEX];
};

struct ww_exehash {
	struct exehash_ent v[EXEHASH_MAX];
	size_t n, next;
};

static void ww_exehash_free(struct ww_exehash *h)
{
	free(h);
}

bool ww_procs_hash_built(void)
{
#ifdef WW_HAVE_LIBCRYPTO
	return true;
#else
	return false;
#endif
}

int ww_procs_set_hash_exe(struct ww_procs *p, bool on)
{
	if (on && !ww_procs_hash_built())
		return -ENOTSUP;
	if (on && !p->hashes && !(p->hashes = calloc(1, sizeof(*p->hashes))))
		return -ENOMEM;
	p->hash_exe = on;
	return 0;
}

#ifdef WW_HAVE_LIBCRYPTO
#include <openssl/evp.h>

static int sha256_fd(int fd, char hex[WW_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE], *buf = malloc(EXEHASH_CHUNK);
	unsigned mdlen = 0;
	int rc = -EIO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!buf || !ctx) {
		rc = -ENOMEM;
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, EXEHASH_CHUNK);
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}
#endif

int ww_procs_exe_sha256(struct ww_procs *p, int pid, const char *exe, char *out, size_t outsz)
{
#ifdef WW_HAVE_LIBCRYPTO
	char path[32];
	struct stat st;
	int fd = -1;
	if (!p->hash_exe || !p->hashes || outsz < WW_SHA256_HEX)
		return -EINVAL;
	if (pid > 0) {
		/* the running program itself, even deleted or in another mount namespace */
		snprintf(path, sizeof(path), "%d/exe", pid);
		fd = openat(p->procfd, path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 && exe && exe[0] == '/')
		fd = open(exe, O_RDONLY | O_CLOEXEC);   /* exited: the path it ran */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > EXEHASH_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	struct ww_exehash *h = p->hashes;
	for (size_t i = 0; i < h->n; i++) {
		const struct exehash_ent *x = &h->v[i];
		if (x->dev == st.st_dev && x->ino == st.st_ino && x->size == st.st_size &&
		    x->mtime.tv_sec == st.st_mtim.tv_sec && x->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			close(fd);
			memcpy(out, x->hex, WW_SHA256_HEX);
			return 0;
		}
	}
	char hex[WW_SHA256_HEX];
	int rc = sha256_fd(fd, hex);
	close(fd);
	if (rc < 0)
		return rc;
	size_t slot = h->n;
	if (h->n < EXEHASH_MAX) {
		h->n++;
	} else {
		slot = h->next;
		h->next = (h->next + 1) % EXEHASH_MAX;
	}
	struct exehash_ent *x = &h->v[slot];
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	x->size = st.st_size;
	x->mtime = st.st_mtim;
	memcpy(x->hex, hex, WW_SHA256_HEX);
	memcpy(out, hex, WW_SHA256_HEX);
	return 0;
#else
	(void)p, (void)pid, (void)exe, (void)out, (void)outsz;
	return -ENOTSUP;
#endif
}

static void pent_free(struct pent *e)
{
	if (!e)
		return;
	free(e->inodes);
	free(e->exe);
	free(e->cmdline);
	free(e->script);
	free(e->parent_exe);
	free(e);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool u64_in(const uint64_t *v, size_t n, uint64_t x)
{
	return v && n && bsearch(&x, v, n, sizeof(*v), cmp_u64) != NULL;
}

/* ---- index ---- */

static size_t hash_inode(uint64_t ino)
{
	ino ^= ino >> 33;
	ino *= 0xff51afd7ed558ccdULL;   /* murmur3 finaliser: inodes are sequential */
	ino ^= ino >> 33;
	return (size_t)ino;
}

static int idx_grow(struct ww_procs *p, size_t need)
{
	if ((need + 1) * 2 <= p->idx_cap)
		return 0;
	size_t nc = p->idx_cap ? p->idx_cap : 1024;
	while ((need + 1) * 2 > nc)
		nc *= 2;
	struct link *ni = calloc(nc, sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	size_t used = 0;
	for (size_t i = 0; i < p->idx_cap; i++) {
		struct link *l = &p->idx[i];
		if (!l->inode || l->scan_id != l->p->scan_id)
			continue;   /* drop stale links while we are at it */
		size_t h = hash_inode(l->inode) & (nc - 1);
		while (ni[h].inode)
			h = (h + 1) & (nc - 1);
		ni[h] = *l;
		used++;
	}
	free(p->idx);
	p->idx = ni;
	p->idx_cap = nc;
	p->idx_used = used;
	return 0;
}

static int idx_add_proc(struct ww_procs *p, struct pent *e)
{
	if (idx_grow(p, p->idx_used + e->n_inodes) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < e->n_inodes; i++) {
		size_t h = hash_inode(e->inodes[i]) & (p->idx_cap - 1);
		while (p->idx[h].inode)
			h = (h + 1) & (p->idx_cap - 1);
		p->idx[h] = (struct link){ e->inodes[i], e, e->scan_id };
		p->idx_used++;
	}
	return 0;
}

static int idx_rebuild(struct ww_procs *p)
{
	size_t total = 0;
	for (size_t i = 0; i < p->n; i++)
		total += p->v[i]->n_inodes;
	if (p->idx)
		memset(p->idx, 0, p->idx_cap * sizeof(*p->idx));
	p->idx_used = 0;
	if (idx_grow(p, total) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		if (idx_add_proc(p, p->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

static bool idx_has(const struct ww_procs *p, uint64_t inode)
{
	if (!p->idx_cap)
		return false;
	for (size_t h = hash_inode(inode) & (p->idx_cap - 1); p->idx[h].inode;
	     h = (h + 1) & (p->idx_cap - 1)) {
		const struct link *l = &p->idx[h];
		if (l->inode == inode && l->scan_id == l->p->scan_id && !l->p->dead)
			return true;
	}
	return false;
}

/* ---- scanning one process ---- */

static int add_inode(struct pent *e, uint64_t ino)
{
	if (e->n_inodes == e->cap_inodes) {
		size_t nc = e->cap_inodes ? e->cap_inodes * 2 : INIT_INODES;
		uint64_t *ni = realloc(e->inodes, nc * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		e->inodes = ni;
		e->cap_inodes = nc;
	}
	e->inodes[e->n_inodes++] = ino;
	return 0;
}

/* Parse "socket:[12345]"; false for anything else. */
static bool socket_link(const char *s, size_t n, uint64_t *ino)
{
	if (n < 10 || memcmp(s, "socket:[", 8) != 0 || s[n - 1] != ']')
		return false;
	uint64_t v = 0;
	for (size_t i = 8; i < n - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ino = v;
	return true;
}

/*
 * Read the socket inodes of e's fd table. Returns 0, -ENOENT (process gone),
 * -EACCES (denied; e->denied set) or -ENOMEM.
 */
static int scan_fds(struct ww_procs *p, struct pent *e)
{
	char path[32];
	snprintf(path, sizeof(path), "%d/fd", e->pid);
	int dfd = openat(p->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e->scan_id++;
	e->n_inodes = 0;
	e->scanned_now = true;
	__atomic_fetch_add(&p->st.scanned, 1, __ATOMIC_RELAXED);   /* scans run in parallel */
	if (dfd < 0) {
		if (errno == EACCES || errno == EPERM) {
			e->denied = true;
			e->fdcount = -1;
			return -EACCES;
		}
		return -ENOENT;
	}
	e->denied = false;
	struct stat st;
	/* count first: a descriptor opened during the read changes the next count */
	e->fdcount = (p->count_ok && fstat(dfd, &st) == 0) ? (long long)st.st_size : -1;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	struct dirent *de;
	char lnk[64];
	int rc = 0;
	uint64_t nread = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		ssize_t n = readlinkat(dfd, de->d_name, lnk, sizeof(lnk));
		nread++;
		uint64_t ino;
		if (n > 0 && socket_link(lnk, (size_t)n, &ino) && add_inode(e, ino) < 0) {
			rc = -ENOMEM;
			break;
		}
	}
	closedir(d);
	__atomic_fetch_add(&p->st.fds_read, nread, __ATOMIC_RELAXED);
	return rc;
}

/*
 * A process's parent, as it is now: its pid from stat (0 for a process the
 * kernel started, or when unreadable), its comm and exe (either may be
 * unknown: the parent exited, or is another user's). Returns the pid.
 */
static int parent_of(int procfd, int pid, char *comm, size_t commsz, char *exe, size_t exesz)
{
	char c[COMM_MAX], path[32];
	uint64_t start;
	int ppid = 0;
	comm[0] = exe[0] = '\0';
	if (read_stat(procfd, pid, c, sizeof(c), &start, &ppid) < 0 || ppid <= 0)
		return 0;
	if (read_stat(procfd, ppid, comm, commsz, &start, NULL) < 0)
		comm[0] = '\0';
	snprintf(path, sizeof(path), "%d/exe", ppid);
	ssize_t n = readlinkat(procfd, path, exe, exesz - 1);
	exe[n > 0 ? n : 0] = '\0';
	return ppid;
}

static void read_parent(struct ww_procs *p, struct pent *e)
{
	char exe[4096];
	free(e->parent_exe);
	e->parent_exe = NULL;
	e->pub.owner.ppid = parent_of(p->procfd, e->pid, e->parent_comm, sizeof(e->parent_comm),
				      exe, sizeof(exe));
	if (exe[0])
		e->parent_exe = strdup(exe);
	e->pub.owner.parent_comm = e->parent_comm[0] ? e->parent_comm : NULL;
	e->pub.owner.parent_exe = e->parent_exe;
}

/* Fill a new entry's identity (everything except the fd table). */
static void read_identity(struct ww_procs *p, struct pent *e)
{
	struct stat st;
	char path[32];
	snprintf(path, sizeof(path), "%d", e->pid);
	uint32_t dflt = fstatat(p->procfd, path, &st, 0) == 0 ? st.st_uid : (uint32_t)-1;
	char raw[CMDLINE_MAX], script[WW_PROCS_SCRIPT_MAX];
	size_t rawn;
	int exe_err;
	free(e->exe);
	free(e->cmdline);
	free(e->script);
	e->exe = read_exe(p->procfd, e->pid, &exe_err);
	e->cmdline = read_cmdline(p->procfd, e->pid, raw, sizeof(raw), &rawn);
	e->pub.owner.indicators = compute_indicators(p->procfd, e->pid, e->comm, e->exe, exe_err,
						     raw, rawn, script, sizeof(script));
	e->script = script[0] ? strdup(script) : NULL;
	e->pub.owner.script = e->script;
	e->pub.owner.uid = (int)read_euid(p->procfd, e->pid, dflt);
	e->pub.owner.pid = e->pid;
	e->pub.owner.comm = e->comm;
	e->pub.owner.exe = e->exe;
	e->pub.owner.user = user_name(p, (uint32_t)e->pub.owner.uid);
	e->pub.cmdline = e->cmdline ? e->cmdline : "";
	e->pub.owner.cmdline = e->pub.cmdline;
	read_parent(p, e);
	if (ww_procs_container(p, e->pid, &e->ctr) > 0)
		owner_cgroup(&e->pub.owner, &e->ctr);
	if (p->hash_exe && e->exe &&
	    ww_procs_exe_sha256(p, e->pid, e->exe, e->sha, sizeof(e->sha)) == 0)
		e->pub.owner.exe_sha256 = e->sha;
}

static long long fd_count(struct ww_procs *p, int pid)
{
	char path[32];
	struct stat st;
	snprintf(path, sizeof(path), "%d/fd", pid);
	if (!p->count_ok || fstatat(p->procfd, path, &st, 0) < 0)
		return -1;
	return (long long)st.st_size;
}

/* ---- public ---- */

struct ww_procs *ww_procs_new(const char *proc_root)
{
	struct ww_procs *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->procfd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->procfd < 0) {
		int e = errno;
		free(p);
		errno = e;
		return NULL;
	}
	struct stat st;
	/* we hold at least procfd, so a kernel that counts says > 0 */
	p->count_ok = fstatat(p->procfd, "self/fd", &st, 0) == 0 && st.st_size > 0;
	p->root = geteuid() == 0;
	p->loadavg_fd = -1;
	return p;
}

void ww_procs_free(struct ww_procs *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		pent_free(p->v[i]);
	free(p->v);
	free(p->idx);
	free(p->unresolved);
	for (size_t i = 0; i < p->n_users; i++)
		free(p->users[i].name);
	free(p->users);
	ww_exehash_free(p->hashes);
	close(p->procfd);
	if (p->loadavg_fd >= 0)
		close(p->loadavg_fd);
	free(p);
}

static struct pent *find_pid(struct ww_procs *p, int pid)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->v[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n && p->v[lo]->pid == pid ? p->v[lo] : NULL;
}

/* Pids listed in /proc, ascending. Caller frees. */
static int list_pids(struct ww_procs *p, int **out, size_t *n)
{
	int dfd = openat(p->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	size_t cap = 256, k = 0;
	int *v = malloc(cap * sizeof(*v));
	struct dirent *de;
	while (v && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (k == cap) {
			int *nv = realloc(v, cap * 2 * sizeof(*v));
			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
			cap *= 2;
		}
		v[k++] = atoi(de->d_name);
	}
	closedir(d);
	if (!v)
		return -ENOMEM;
	/* procfs lists ascending, but do not rely on it for the merge */
	for (size_t i = 1; i < k; i++) {
		int x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	*out = v;
	*n = k;
	return 0;
}

/* Newest first: later start time, then higher pid. */
static int cmp_newest(const void *a, const void *b)
{
	const struct pent *x = *(struct pent *const *)a, *y = *(struct pent *const *)b;
	if (x->pub.start_time != y->pub.start_time)
		return x->pub.start_time > y->pub.start_time ? -1 : 1;
	return y->pid - x->pid;
}

struct scan_job {
	struct ww_procs *p;
	struct pent **todo;
	size_t n;
	size_t next;             /* shared cursor, taken with an atomic add */
};

static void *scan_worker(void *arg)
{
	struct scan_job *j = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (i >= j->n)
			break;
		j->todo[i]->scan_rc = scan_fds(j->p, j->todo[i]);
	}
	return NULL;
}

static int cmp_bigger(const void *a, const void *b)
{
	long long x = (*(struct pent *const *)a)->fdcount, y = (*(struct pent *const *)b)->fdcount;
	return x > y ? -1 : x < y;
}

/*
 * Scan todo[0..n) on up to SCAN_THREADS threads. Reading a descriptor link
 * costs the kernel a dentry and inode per descriptor on first sight
 * (1.5-5 us), so a host where a few processes hold tens of thousands of
 * sockets is bound by it; the largest tables are started first so that
 * they end up on different threads. Each scan touches only its own entry
 * (and atomic counters), so no lock is needed.
 */
static void scan_parallel(struct ww_procs *p, struct pent **todo, size_t n)
{
	struct scan_job j = { p, todo, n, 0 };
	pthread_t th[SCAN_THREADS - 1];
	size_t nth = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t fds = 0;

	qsort(todo, n, sizeof(*todo), cmp_bigger);
	for (size_t i = 0; i < n; i++)
		fds += todo[i]->fdcount > 0 ? (uint64_t)todo[i]->fdcount : 0;
	if (fds >= PARALLEL_MIN_FDS)
		while (nth + 1 < SCAN_THREADS && (long)nth + 1 < ncpu &&
		       pthread_create(&th[nth], NULL, scan_worker, &j) == 0)
			nth++;
	scan_worker(&j);
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
}

int ww_procs_refresh(struct ww_procs *p, const uint64_t *want, size_t n_want)
{
	int *pids = NULL;
	size_t npids = 0;
	int rc = list_pids(p, &pids, &npids);
	if (rc < 0)
		return rc;
	memset(&p->st, 0, sizeof(p->st));
	p->st.count_criterion = p->count_ok;

	struct pent **nv = malloc((npids ? npids : 1) * sizeof(*nv));
	struct pent **todo = malloc((npids ? npids : 1) * sizeof(*todo));
	if (!nv || !todo) {
		free(nv);
		free(todo);
		free(pids);
		return -ENOMEM;
	}
	size_t nn = 0, ntodo = 0;
	for (size_t i = 0; i < npids; i++) {
		int pid = pids[i];
		char comm[COMM_MAX];
		uint64_t start;
		struct pent *old = find_pid(p, pid);
		p->st.seen++;
		if (read_stat(p->procfd, pid, comm, sizeof(comm), &start, NULL) < 0) {
			p->st.vanished++;
			continue;   /* exited between the listing and now */
		}
		struct pent *e = old;
		bool fresh = !old || old->dead || old->pub.start_time != start ||
			     strcmp(old->comm, comm) != 0;
		if (fresh) {
			if (old)
				old->dead = true;   /* freed below with the other leftovers */
			e = calloc(1, sizeof(*e));
			if (!e) {
				if (old)
					old->dead = false;
				rc = -ENOMEM;
				break;
			}
			e->pid = pid;
			e->pub.start_time = start;
			snprintf(e->comm, sizeof(e->comm), "%s", comm);
			read_identity(p, e);
		}
		e->scanned_now = false;
		e->fresh = fresh;
		long long cnt = fd_count(p, pid);
		if (!fresh && !e->denied && cnt >= 0 && cnt == e->fdcount) {
			p->st.unchanged++;
		} else {
			todo[ntodo++] = e;
			e->fdcount = cnt;   /* a size hint for the scheduling below */
		}
		nv[nn++] = e;
	}

	/* Read the fd tables that need it, on several threads (procs.c head). */
	if (rc == 0)
		scan_parallel(p, todo, ntodo);
	size_t k = 0;
	for (size_t i = 0; i < nn; i++) {
		struct pent *e = nv[i];
		int r = e->scanned_now ? e->scan_rc : 0;
		if (r == -ENOMEM && rc == 0)
			rc = -ENOMEM;
		if (r == -EACCES)
			p->st.denied++;
		if (r == -ENOENT || r == -ENOMEM) {
			p->st.vanished += r == -ENOENT;
			if (e->fresh)
				pent_free(e);    /* never in p->v */
			else
				e->dead = true;  /* freed below: it is not in nv */
			continue;
		}
		nv[k++] = e;
	}
	nn = k;
	if (rc < 0) {
		/* keep the cache consistent: old entries stay in p->v, new ones go */
		for (size_t i = 0; i < nn; i++)
			if (nv[i]->fresh)
				pent_free(nv[i]);
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i]->pid > 0)
				p->v[i]->dead = false;
		goto out;
	}
	/* Free entries that did not survive: dead ones and pids no longer listed. */
	for (size_t i = 0, j = 0; i < p->n; i++) {
		struct pent *e = p->v[i];
		while (j < nn && nv[j]->pid < e->pid)
			j++;
		if (j < nn && nv[j] == e)
			continue;
		pent_free(e);
	}
	free(p->v);
	p->v = nv;
	p->n = nn;
	p->cap = npids ? npids : 1;
	nv = NULL;
	rc = idx_rebuild(p);
	if (rc < 0)
		goto out;

	if (want && n_want)
		rc = ww_procs_resolve(p, want, n_want);
out:
	free(nv);
	free(todo);
	free(pids);
	return rc;
}

int ww_procs_resolve(struct ww_procs *p, const uint64_t *want, size_t n_want)
{
	int rc = 0;
	/* Needed inodes still without owner: look through the unchanged ones too. */
	uint64_t *missing = NULL;
	size_t n_missing = 0;
	if (want && n_want) {
		missing = malloc(n_want * sizeof(*missing));
		if (!missing) {
			rc = -ENOMEM;
			return rc;
		}
		for (size_t i = 0; i < n_want; i++)
			if (want[i] && !idx_has(p, want[i]) &&
			    !u64_in(p->unresolved, p->n_unresolved, want[i]))
				missing[n_missing++] = want[i];
		qsort(missing, n_missing, sizeof(*missing), cmp_u64);
	}
	if (n_missing) {
		struct pent **order = malloc((p->n ? p->n : 1) * sizeof(*order));
		size_t no = 0;
		if (!order) {
			free(missing);
			rc = -ENOMEM;
			return rc;
		}
		for (size_t i = 0; i < p->n; i++)
			if (!p->v[i]->scanned_now && !p->v[i]->denied)
				order[no++] = p->v[i];
		qsort(order, no, sizeof(*order), cmp_newest);
		bool *hitf = calloc(n_missing, sizeof(*hitf));
		size_t left = n_missing;
		if (!hitf) {
			free(order);
			free(missing);
			rc = -ENOMEM;
			return rc;
		}
		for (size_t i = 0; i < no && left; i++) {
			if (scan_fds(p, order[i]) == -ENOMEM) {
				rc = -ENOMEM;
				break;
			}
			for (size_t k = 0; k < order[i]->n_inodes; k++) {
				uint64_t *hit = bsearch(&order[i]->inodes[k], missing, n_missing,
							sizeof(*missing), cmp_u64);
				if (hit && !hitf[hit - missing]) {
					hitf[hit - missing] = true;
					left--;
				}
			}
			if (p->st.unchanged)
				p->st.unchanged--;
		}
		free(order);
		if (rc == 0)
			rc = idx_rebuild(p);
		/* The unfound ones become the new unresolved set. */
		size_t k = 0;
		for (size_t i = 0; i < n_missing; i++)
			if (!hitf[i])
				missing[k++] = missing[i];
		free(hitf);
		free(p->unresolved);
		p->unresolved = missing;
		p->n_unresolved = k;
		missing = NULL;
	}
	free(missing);
	return rc;
}

size_t ww_procs_owners(const struct ww_procs *p, uint64_t inode,
		       const struct ww_proc **out, size_t max)
{
	size_t n = 0;
	if (!p->idx_cap || !inode)
		return 0;
	for (size_t h = hash_inode(inode) & (p->idx_cap - 1); p->idx[h].inode;
	     h = (h + 1) & (p->idx_cap - 1)) {
		const struct link *l = &p->idx[h];
		if (l->inode != inode || l->scan_id != l->p->scan_id || l->p->dead)
			continue;
		if (n < max) {
			/* insertion by pid keeps the output stable across runs */
			size_t j = n;
			while (j > 0 && out[j - 1]->owner.pid > l->p->pid) {
				out[j] = out[j - 1];
				j--;
			}
			out[j] = &l->p->pub;
		}
		n++;
	}
	return n;
}

/* Insert a new entry into the sorted vector (targeted search). */
static int insert_pent(struct ww_procs *p, struct pent *e)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 64;
		struct pent **nv = realloc(p->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->v = nv;
		p->cap = nc;
	}
	size_t i = p->n;
	while (i > 0 && p->v[i - 1]->pid > e->pid) {
		p->v[i] = p->v[i - 1];
		i--;
	}
	p->v[i] = e;
	p->n++;
	return 0;
}

static bool pent_holds(const struct pent *e, uint64_t inode)
{
	for (size_t i = 0; i < e->n_inodes; i++)
		if (e->inodes[i] == inode)
			return true;
	return false;
}

int ww_procs_find_inode(struct ww_procs *p, uint64_t inode, const struct ww_proc **out,
			size_t max)
{
	size_t n = ww_procs_owners(p, inode, out, max);
	if (n)
		return (int)n;
	if (!inode)
		return -ENOENT;

	/* 1. pids the cache has never seen, highest (most recently allocated) first */
	int *pids = NULL;
	size_t npids = 0;
	int rc = list_pids(p, &pids, &npids);
	if (rc < 0)
		return rc;
	bool found = false;
	for (size_t i = npids; i-- > 0 && !found;) {
		struct pent *old = find_pid(p, pids[i]);
		if (old && !old->dead)
			continue;
		struct pent *e = calloc(1, sizeof(*e));
		if (!e) {
			free(pids);
			return -ENOMEM;
		}
		e->pid = pids[i];
		if (read_stat(p->procfd, e->pid, e->comm, sizeof(e->comm), &e->pub.start_time, NULL) < 0 ||
		    scan_fds(p, e) == -ENOENT) {
			pent_free(e);
			continue;
		}
		read_identity(p, e);
		if (old) {
			/* a dead entry with this pid stays for pointers already handed out */
			old->pid = -old->pid;   /* keep vector order valid: move it aside */
		}
		if (insert_pent(p, e) < 0 || idx_add_proc(p, e) < 0) {
			free(pids);
			return -ENOMEM;
		}
		found = pent_holds(e, inode);
	}
	free(pids);

	/* 2. known processes, newest first; changed ones before unchanged ones */
	for (int pass = 0; pass < 2 && !found; pass++) {
		struct pent **order = malloc((p->n ? p->n : 1) * sizeof(*order));
		size_t no = 0;
		if (!order)
			return -ENOMEM;
		for (size_t i = 0; i < p->n; i++)
			if (!p->v[i]->dead && !p->v[i]->denied && p->v[i]->pid > 0)
				order[no++] = p->v[i];
		qsort(order, no, sizeof(*order), cmp_newest);
		for (size_t i = 0; i < no && !found; i++) {
			struct pent *e = order[i];
			long long cnt = fd_count(p, e->pid);
			bool changed = cnt < 0 || cnt != e->fdcount;
			if (changed != (pass == 0))
				continue;
			if (scan_fds(p, e) == -ENOENT) {
				e->dead = true;
				continue;
			}
			if (idx_add_proc(p, e) < 0) {
				free(order);
				return -ENOMEM;
			}
			found = pent_holds(e, inode);
		}
		free(order);
	}
	/* pids moved aside above sort first; restore order cheaply */
	for (size_t i = 1; i < p->n; i++) {
		struct pent *x = p->v[i];
		size_t j = i;
		while (j > 0 && p->v[j - 1]->pid > x->pid) {
			p->v[j] = p->v[j - 1];
			j--;
		}
		p->v[j] = x;
	}
	n = ww_procs_owners(p, inode, out, max);
	return n ? (int)n : -ENOENT;
}

/* ---- the newest tasks, without listing /proc ---- */

/* The last pid the kernel allocated (5th field of /proc/loadavg), or -1. */
static int last_pid(struct ww_procs *p)
{
	char buf[128];
	if (!p->loadavg_tried) {
		p->loadavg_tried = true;
		p->loadavg_fd = openat(p->procfd, "loadavg", O_RDONLY | O_CLOEXEC);
	}
	ssize_t n = p->loadavg_fd >= 0 ? pread(p->loadavg_fd, buf, sizeof(buf) - 1, 0) : -1;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *sp = strrchr(buf, ' ');
	return sp ? atoi(sp + 1) : -1;
}

/* The nth number after `key` in a /proc/PID/status text, or -1. */
static long status_field(const char *status, const char *key, int nth)
{
	const char *p = strstr(status, key);
	if (!p)
		return -1;
	p += strlen(key);
	char *end;
	long v = -1;
	for (int i = 0; i <= nth; i++) {
		v = strtol(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	return v;
}

static const char *newest_user(struct ww_procs *p, uint32_t uid)
{
	if (!p->newest.have_user || p->newest.uid != uid) {
		struct passwd pw, *res = NULL;
		char buf[1024];
		p->newest.have_user = true;
		p->newest.uid = uid;
		p->newest.user[0] = '\0';
		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			snprintf(p->newest.user, sizeof(p->newest.user), "%s", pw.pw_name);
	}
	return p->newest.user[0] ? p->newest.user : NULL;
}

int ww_procs_find_newest(struct ww_procs *p, uint64_t inode, unsigned n_newest,
			 struct ww_owner *out, unsigned *denied)
{
	char want[40], lnk[64], path[32];
	int last = last_pid(p);
	if (last <= 0)
		return -ENOENT;
	int wl = snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)inode);
	for (int pid = last; pid > 0 && pid > last - (int)n_newest; pid--) {
		snprintf(path, sizeof(path), "%d/fd", pid);
		int dfd = openat(p->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			if (errno == EACCES || errno == EPERM)
				(*denied)++;
			continue;   /* gone, never was, or not ours to read */
		}
		DIR *d = fdopendir(dfd);
		if (!d) {
			close(dfd);
			continue;
		}
		bool found = false;
		struct dirent *de;
		while (!found && (de = readdir(d)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			ssize_t n = readlinkat(dfd, de->d_name, lnk, sizeof(lnk));
			if (n < 0 && (errno == EACCES || errno == EPERM)) {
				(*denied)++;   /* the ptrace access check said no */
				break;
			}
			found = n == wl && memcmp(lnk, want, (size_t)wl) == 0;
		}
		closedir(d);
		if (!found)
			continue;
		char status[NEWEST_STATUS_MAX];
		char *comm = p->newest.comm, *exe = p->newest.exe;
		snprintf(path, sizeof(path), "%d/status", pid);
		if (read_at(p->procfd, path, status, sizeof(status)) < 0)
			return 0;   /* exited just now: let the slower paths say why */
		long tgid = status_field(status, "\nTgid:", 0);
		long euid = status_field(status, "\nUid:", 1);
		if (tgid <= 0)
			tgid = pid;
		snprintf(path, sizeof(path), "%ld/comm", tgid);
		ssize_t cl = read_at(p->procfd, path, comm, sizeof(p->newest.comm));
		if (cl <= 0)
			return 0;
		if (comm[cl - 1] == '\n')
			comm[cl - 1] = '\0';
		snprintf(path, sizeof(path), "%ld/exe", tgid);
		ssize_t el = readlinkat(p->procfd, path, exe, sizeof(p->newest.exe) - 1);
		int exe_err = el < 0 ? errno : 0;
		if (el >= 0)
			exe[el] = '\0';
		char raw[CMDLINE_MAX];
		size_t rawn;
		char *cl_joined = read_cmdline(p->procfd, (int)tgid, raw, sizeof(raw), &rawn);
		snprintf(p->newest.cmdline, sizeof(p->newest.cmdline), "%s", cl_joined ? cl_joined : "");
		free(cl_joined);
		int ppid = parent_of(p->procfd, (int)tgid, p->newest.parent_comm,
				     sizeof(p->newest.parent_comm), p->newest.parent_exe,
				     sizeof(p->newest.parent_exe));
		bool hashed = p->hash_exe && el > 0 &&
			      ww_procs_exe_sha256(p, (int)tgid, exe, p->newest.sha, sizeof(p->newest.sha)) == 0;
		uint32_t ind = compute_indicators(p->procfd, (int)tgid, comm, el > 0 ? exe : NULL,
						  el > 0 ? 0 : exe_err ? exe_err : ENOENT, raw, rawn,
						  p->newest.script, sizeof(p->newest.script));
		*out = (struct ww_owner){
			.pid = (int)tgid, .uid = (int)euid, .comm = comm, .exe = el > 0 ? exe : NULL,
			.user = euid >= 0 ? newest_user(p, (uint32_t)euid) : NULL,
			.indicators = ind, .script = p->newest.script[0] ? p->newest.script : NULL,
			.ppid = ppid,
			.parent_comm = p->newest.parent_comm[0] ? p->newest.parent_comm : NULL,
			.parent_exe = p->newest.parent_exe[0] ? p->newest.parent_exe : NULL,
			.cmdline = p->newest.cmdline,
			.exe_sha256 = hashed ? p->newest.sha : NULL,
		};
		if (ww_procs_container(p, (int)tgid, &p->newest.ctr) > 0)
			owner_cgroup(out, &p->newest.ctr);
		return 1;
	}
	return 0;
}

enum ww_unowned ww_procs_why_unowned(const struct ww_procs *p, uint64_t inode,
				     uint32_t sock_uid, char *buf, size_t bufsz)
{
	if (!inode) {
		snprintf(buf, bufsz, "no inode: TIME_WAIT, or a connection still waiting in a listener's accept queue");
		return WW_UNOWNED_NO_INODE;
	}
	if (p->st.denied && (!p->root || sock_uid != (uint32_t)geteuid())) {
		snprintf(buf, bufsz, "permission: the fd tables of %u processes are unreadable%s",
			 p->st.denied, p->root ? "" : " (not root)");
		return WW_UNOWNED_PERMISSION;
	}
	snprintf(buf, bufsz, "not held by any process visible in this /proc "
		 "(another PID namespace, the kernel, or just closed)");
	return WW_UNOWNED_NOT_FOUND;
}

const char *ww_unowned_name(enum ww_unowned u)
{
	switch (u) {
	case WW_UNOWNED_NO_INODE: return "no_inode";
	case WW_UNOWNED_PERMISSION: return "permission";
	case WW_UNOWNED_NOT_FOUND: return "not_found";
	}
	return "not_found";
}

void ww_procs_stats(const struct ww_procs *p, struct ww_procs_stats *st)
{
	*st = p->st;
}

const char *ww_procs_indicator_name(unsigned bit)
{
	switch (bit) {
	case WW_IND_DELETED_EXE: return "deleted_exe";
	case WW_IND_TEMP_EXE: return "temp_exe";
	case WW_IND_MEMFD_EXE: return "memfd_exe";
	case WW_IND_COMM_MISMATCH: return "comm_mismatch";
	case WW_IND_KTHREAD_NAME: return "kernel_thread_name";
	case WW_IND_TEMP_SCRIPT: return "temp_script";
	case WW_IND_EXE_UNREADABLE: return "exe_unreadable";
	}
	return NULL;
}
