/*
 * cmd_sockets.c - `wirewho sockets`: read the socket table of one or every
 * network namespace, find each socket's owners, judge it, print it.
 *
 * The order of work is chosen for speed on a busy host: all namespaces are
 * dumped first (cheap, kernel-side), then /proc is walked once for all of
 * them — socket inodes are global across namespaces, so one owner scan
 * serves every table — with the dumped inodes as the set that must be found
 * (see procs.h for the incremental refresh). Only then are verdicts made
 * and records written.
 *
 * --all-netns: every distinct /proc/PID/ns/net inode some process is in.
 * A table for another namespace is opened by entering it with setns() just
 * long enough to create its netlink socket (socktab.h), so this process
 * never stays in a foreign namespace and needs no helper child.
 *
 * --passes N (for benchmarks) runs the whole audit N times in one process
 * and prints each pass's time on stderr: the second pass measures the
 * cached path, where nothing changed and no fd table is re-read.
 */
#include "wirewho/cli.h"
#include "wirewho/cmd.h"
#include "wirewho/container.h"
#include "wirewho/emit_sockets.h"
#include "wirewho/jsonw.h"
#include "wirewho/ports.h"
#include "wirewho/sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LO_IFINDEX 1          /* lo is the first device of every network namespace */
#define MAX_PASSES 1000       /* --passes bound: a benchmark, not a daemon */

static const char help_text[] =
	"usage: wirewho sockets [OPTIONS]\n"
	"Audit this host's TCP, UDP and raw sockets the way an analyst reads netstat -anp:\n"
	"who owns each socket, how far it is reachable, whom it talks to, and whether the\n"
	"policy explains it.\n"
	"\n"
	"  --json            NDJSON: one \"socket\" record per socket, then the alerts\n"
	"  --policy FILE     rules that explain expected sockets (docs/policy.md)\n"
	"  --home-net CIDR,...  the site's own networks: every other peer is internet\n"
	"  --all             table: show every socket, not only those needing review\n"
	"  --all-netns       every network namespace some process is in (needs root)\n"
	"  --learn           print a policy that explains everything present now\n"
	"  -q, --quiet       alerts only (no socket records / no table)\n"
	"  --passes N        benchmark: run the audit N times, timings on stderr\n"
	"  --hash-exe        process objects carry the program's SHA-256 (exe_sha256)\n"
	WW_SINK_USAGE
	"  -h, --help        this text\n"
	"\n"
	"Exit status: 0 ran (alerts or not), 1 runtime failure, 2 bad usage or policy.\n";

struct opts {
	bool json, all, all_netns, learn, quiet, hash_exe;
	const char *policy;
	unsigned long passes;
	struct ww_sinks_cfg sinks;   /* --output, --spool, --syslog-* */
};

#define SOCKETS_SINK_DRAIN_S 30.0   /* --output: what the sinks hold at the end is sent for
				       at most this long */

/* A sink's notice (a broker away, a spool full), for people. */
static void say_notice(void *ud, const char *notice)
{
	(void)ud;
	fprintf(stderr, "wirewho sockets: --output %s\n", notice);
}

struct ns {
	uint64_t ino;
	int pid;                 /* a process in it (0: ours) */
	struct ww_socktab *tab;
	char name[256];          /* its `ip netns` name, "" when none */
	bool has_container;      /* a process in it runs in a container (container.h) */
	struct ww_container container;   /* the first such process's, by pid */
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_JSON = 256, O_POLICY, O_ALL, O_ALL_NETNS, O_LEARN, O_PASSES, O_HOME_NET, O_HASH };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "home-net", required_argument, NULL, O_HOME_NET },
		{ "all", no_argument, NULL, O_ALL },
		{ "all-netns", no_argument, NULL, O_ALL_NETNS },
		{ "learn", no_argument, NULL, O_LEARN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "passes", required_argument, NULL, O_PASSES },
		{ "hash-exe", no_argument, NULL, O_HASH },
		{ "help", no_argument, NULL, 'h' },
		WW_SINK_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char serr[512];
	int k;
	memset(o, 0, sizeof(*o));
	o->passes = 1;
	optind = 0;   /* GNU: reinitialise, main.c may have run getopt already */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:qh", lo, NULL)) != -1) {
		switch (c) {
		case O_JSON: o->json = true; break;
		case O_POLICY: o->policy = optarg; break;
		case O_HOME_NET: {
			char err[200];
			if (ww_netscope_home_option(optarg, err, sizeof(err)) < 0) {
				ww_cli_usage_error("sockets", "--home-net: %s", err);
				return -1;
			}
			break;
		}
		case O_ALL: o->all = true; break;
		case O_ALL_NETNS: o->all_netns = true; break;
		case O_LEARN: o->learn = true; break;
		case O_HASH:
			if (!ww_procs_hash_built()) {
				ww_cli_usage_error("sockets", "--hash-exe: this wirewho is built without libcrypto");
				return -1;
			}
			o->hash_exe = true;
			break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(help_text, stdout); return 1;
		case O_PASSES:
			if (ww_cli_parse_uint(optarg, 1, MAX_PASSES, &o->passes) < 0) {
				ww_cli_usage_error("sockets", "--passes: \"%s\" is not a number from 1 to %d",
						   optarg, MAX_PASSES);
				return -1;
			}
			break;
		default:
			if ((k = ww_sinks_cfg_option(&o->sinks, c, optarg, serr, sizeof(serr))) > 0)
				break;
			if (k < 0) {
				ww_cli_usage_error("sockets", "%s", serr);
				return -1;
			}
			ww_cli_bad_option("sockets", c, argv);
			return -1;
		}
	}
	if (ww_sinks_cfg_check(&o->sinks, serr, sizeof(serr)) < 0) {
		ww_cli_usage_error("sockets", "%s", serr);
		return -1;
	}
	if (!ww_sinks_stdout_only(&o->sinks))
		o->json = true;   /* sinks carry records, not the table for people */
	if (optind < argc) {
		ww_cli_usage_error("sockets", "unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	return 0;
}

static uint64_t ns_inode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/*
 * Our namespace first, then every other one some process is in. The
 * container of a namespace is that of its lowest pid in a container's
 * cgroup (a runtime's first process is the namespace's creator: a
 * container's init, a pod's pause process); ours is our own container's.
 * Only processes of other namespaces have their cgroup read, until one is
 * found: the host's own hundreds of processes are not read.
 */
static int find_namespaces(bool all, struct ns **out, size_t *n)
{
	size_t cap = 8, k = 0, denied = 0;
	struct ns *v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[k++] = (struct ns){ ns_inode_of("/proc/self/ns/net"), 0, NULL, "", false, { "", "" } };
	v[0].has_container = ww_container_from_cgroup(getpid(), NULL, &v[0].container) == 1;
	DIR *d = all ? opendir("/proc") : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		char path[64];
		int pid = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		uint64_t ino = ns_inode_of(path);   /* EACCES/ENOENT: skip the process */
		if (ino == 0 && errno == EACCES)
			denied++;
		if (ino == 0)
			continue;
		size_t at = 0;
		while (at < k && v[at].ino != ino)
			at++;
		if (at == k) {
			if (k == cap) {
				struct ns *nv = realloc(v, cap * 2 * sizeof(*nv));
				if (!nv) {
					closedir(d);
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap *= 2;
			}
			v[k++] = (struct ns){ ino, pid, NULL, "", false, { "", "" } };
		}
		if (at > 0 && !v[at].has_container)
			v[at].has_container = ww_container_from_cgroup(pid, NULL, &v[at].container) == 1;
	}
	if (d)
		closedir(d);
	if (denied)
		fprintf(stderr, "wirewho sockets: --all-netns: the network namespace of %zu processes "
			"is unreadable (permission; run as root to see them)\n", denied);
	*out = v;
	*n = k;
	return 0;
}

static int open_tables(struct ns *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].pid == 0) {
			v[i].tab = ww_socktab_new(0);
		} else {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/ns/net", v[i].pid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				v[i].tab = ww_socktab_new_in_netns(fd, v[i].pid, 0);
				close(fd);
			}
			if (!v[i].tab) {
				fprintf(stderr, "wirewho sockets: network namespace %llu (pid %d): %s; skipped\n",
					(unsigned long long)v[i].ino, v[i].pid, strerror(errno));
				continue;
			}
		}
		if (!v[i].tab)
			return -errno ? -errno : -ENOMEM;
	}
	return 0;
}

/*
 * The process tree for twins (judge_socket.h): the parent and session of
 * `pid` from /proc/PID/stat, fields 4 (ppid) and 6 (session) after the
 * comm, which ends at the last ')' (a comm may hold ')' and spaces). Asked
 * only for the holders of a UDP port beside a TCP listener of another
 * program, so it is not cached.
 */
static int stat_parent(void *ctx, int pid, bool *leader)
{
	(void)ctx;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	char state;
	int ppid, pgrp, session;
	if (!p || sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
		return -1;
	*leader = session == pid;
	return ppid;
}

/*
 * Pids of other PID namespaces: /proc numbers every process as our PID
 * namespace sees it, which is not what `ps` in a container shows. For a
 * process whose /proc/PID/ns/pid is not ours, its own number is the last
 * of the NSpid line of /proc/PID/status (Linux 4.1+); 0 when it is in ours
 * or cannot be read. One small cache per pass, by pid, so a process that
 * holds many sockets is read once.
 */
struct nspid_cache {
	uint64_t our_ns;
	int *pid;       /* open addressing, 0 empty */
	int *val;
	size_t cap;     /* a power of two */
};

static int nspid_read(uint64_t our_ns, int pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	uint64_t ino = ns_inode_of(path);
	if (ino == 0 || ino == our_ns)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *l = strstr(buf, "\nNSpid:");
	if (!l)
		return 0;
	l += 8;
	int last = 0;
	for (;;) {
		char *e;
		long x = strtol(l, &e, 10);
		if (e == l)
			break;
		last = (int)x;
		l = e;
		if (*l == '\n' || !*l)
			break;
	}
	return last != pid ? last : 0;
}

static int nspid_of(struct nspid_cache *c, int pid)
{
	if (!c->cap || pid <= 0)
		return pid > 0 ? nspid_read(c->our_ns, pid) : 0;
	size_t h = ((size_t)(unsigned)pid * 2654435761u) & (c->cap - 1);
	while (c->pid[h] && c->pid[h] != pid)
		h = (h + 1) & (c->cap - 1);
	if (!c->pid[h]) {
		c->pid[h] = pid;
		c->val[h] = nspid_read(c->our_ns, pid);
	}
	return c->val[h];
}

/* Fill views' ns_pid; returns how many owners are numbered by another PID namespace. */
static size_t fill_ns_pids(struct ww_sock_view *v, size_t n)
{
	struct nspid_cache c = { ns_inode_of("/proc/self/ns/pid"), NULL, NULL, 0 };
	size_t refs = 0, other = 0;
	for (size_t i = 0; i < n; i++)
		refs += v[i].n_owners < WW_SOCKVIEW_MAX_OWNERS ? v[i].n_owners : WW_SOCKVIEW_MAX_OWNERS;
	size_t cap = 16;
	while (cap < refs * 2)
		cap *= 2;
	c.pid = calloc(cap, sizeof(*c.pid));
	c.val = calloc(cap, sizeof(*c.val));
	c.cap = c.pid && c.val ? cap : 0;   /* out of memory: uncached, still right */
	for (size_t i = 0; i < n; i++) {
		size_t k = v[i].n_owners < WW_SOCKVIEW_MAX_OWNERS ? v[i].n_owners : WW_SOCKVIEW_MAX_OWNERS;
		memset(v[i].ns_pid, 0, sizeof(v[i].ns_pid));
		for (size_t j = 0; j < k; j++)
			if ((v[i].ns_pid[j] = nspid_of(&c, v[i].owners[j]->owner.pid)) > 0)
				other++;
	}
	free(c.pid);
	free(c.val);
	return other;
}

/* --learn: one rule per socket that needs review (policy.h says which rule). */
static int learn(FILE *out, const struct ww_sock_view *v, size_t n, size_t total_socks)
{
	struct ww_policy_learn *l = ww_policy_learn_new();
	int rc = 0;
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct ww_sock_view *x = &v[i];
		struct ww_policy_query q;
		enum ww_policy_learn_why why = WW_POLICY_LEARN_UNEXPLAINED;
		if (x->verdict != WW_VERDICT_REVIEW)
			continue;
		ww_judge_socket_query(x, 0, &q);
		if (x->alert_kind == WW_ALERT_STATE_ANOMALY)
			why = WW_POLICY_LEARN_ANOMALY;
		else if (x->alert_kind == WW_ALERT_UNEXPLAINED_PROCESS && x->rule_line)
			why = WW_POLICY_LEARN_REVIEWED;
		rc = ww_policy_learn_add(l, &q, why);
	}
	if (rc == 0)
		rc = ww_policy_learn_write(l, out, ww_wall_now(), total_socks);
	ww_policy_learn_free(l);
	return rc;
}

struct run {
	struct opts o;
	struct ww_policy *pol;
	struct ns *ns;
	size_t n_ns;
	struct ww_procs *procs;
	struct ww_sock_view *views;
	size_t cap_views;
	uint64_t *want;
	struct ww_alert *alerts;
	size_t n_alerts;
	struct ww_jw jw;
	FILE *out;                 /* stdout, or the sinks' (--output) */
	struct ww_sinks *sinks;
};

static const char *service_of(const struct ww_sock_view *v)
{
	const struct ww_sock *s = v->s;
	if (s->proto != WW_IPPROTO_TCP && s->proto != WW_IPPROTO_UDP)
		return NULL;
	/* the server end names the service: our port when serving, theirs when connecting */
	uint16_t port = v->dir == WW_DIR_OUT ? s->rport : s->lport;
	return ww_ports_service(port, s->proto);
}

/*
 * The view of an alert's socket: views are the tables' sockets in order, so
 * the index is the table's offset plus the position in its array.
 */
static const struct ww_sock_view *view_of(const struct run *r, const struct ww_sock *s)
{
	size_t base = 0;
	for (size_t i = 0; i < r->n_ns; i++) {
		size_t n;
		if (!r->ns[i].tab)
			continue;
		const struct ww_sock *v = ww_socktab_socks(r->ns[i].tab, &n);
		if (s >= v && s < v + n)
			return &r->views[base + (size_t)(s - v)];
		base += n;
	}
	return NULL;
}

struct dumper {
	struct run *r;
	int err;             /* first dump error, 0 none */
	size_t ns_failed;    /* which namespace */
};

/* Dump every namespace's table: runs in a thread while /proc is walked. */
static void *dump_all(void *arg)
{
	struct dumper *d = arg;
	for (size_t i = 0; i < d->r->n_ns && !d->err; i++) {
		if (!d->r->ns[i].tab)
			continue;
		int e = ww_socktab_dump(d->r->ns[i].tab, WW_SOCKTAB_ALL);
		if (e < 0) {
			d->err = e;
			d->ns_failed = i;
		}
	}
	return NULL;
}

/* One whole audit. Returns 0, or -errno for a runtime failure. */
static int one_pass(struct run *r, bool print, double *t_dump, double *t_owner)
{
	double t0 = (ww_mono_now() * 1e3);
	size_t total = 0;
	bool raw_missing = false;
	/*
	 * The kernel dump and the /proc walk are independent until the owners
	 * are joined to the sockets, so they overlap on two CPUs: the dump in a
	 * thread, the walk here. Without a thread they simply run in turn.
	 */
	struct dumper d = { .r = r };
	pthread_t th;
	bool threaded = pthread_create(&th, NULL, dump_all, &d) == 0;
	if (!threaded)
		dump_all(&d);
	int e = ww_procs_refresh(r->procs, NULL, 0);
	if (threaded)
		pthread_join(th, NULL);
	if (e < 0)
		return e;
	if (d.err) {
		fprintf(stderr, "wirewho sockets: reading the socket table of namespace %llu: %s\n",
			(unsigned long long)r->ns[d.ns_failed].ino, strerror(-d.err));
		return d.err;
	}
	for (size_t i = 0; i < r->n_ns; i++) {
		size_t n;
		if (!r->ns[i].tab)
			continue;
		ww_socktab_socks(r->ns[i].tab, &n);
		total += n;
		raw_missing |= !ww_socktab_has_raw(r->ns[i].tab);
	}
	if (total > r->cap_views) {
		free(r->views);
		free(r->want);
		r->views = malloc(total * sizeof(*r->views));
		r->want = malloc(total * sizeof(*r->want));
		r->cap_views = r->views && r->want ? total : 0;
		if (!r->cap_views)
			return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < r->n_ns; i++) {
		size_t n;
		if (!r->ns[i].tab)
			continue;
		const struct ww_sock *s = ww_socktab_socks(r->ns[i].tab, &n);
		uint64_t ino = ww_socktab_netns(r->ns[i].tab);
		if (ww_socktab_netns_name(ino ? ino : r->ns[i].ino, r->ns[i].name,
					  sizeof(r->ns[i].name)) < 0)
			r->ns[i].name[0] = '\0';
		for (size_t j = 0; j < n; j++, k++) {
			r->views[k].s = &s[j];
			r->views[k].netns = ino ? ino : r->ns[i].ino;
			r->views[k].netns_name = r->ns[i].name[0] ? r->ns[i].name : NULL;
			r->views[k].container = r->ns[i].has_container ? &r->ns[i].container : NULL;
			r->want[k] = s[j].inode;
		}
	}
	double t1 = (ww_mono_now() * 1e3);
	if ((e = ww_procs_resolve(r->procs, r->want, total)) < 0)
		return e;
	for (size_t i = 0; i < total; i++) {
		struct ww_sock_view *v = &r->views[i];
		v->n_owners = ww_procs_owners(r->procs, v->s->inode, v->owners, WW_SOCKVIEW_MAX_OWNERS);
		v->owner_reason = NULL;
		v->owner_note[0] = '\0';
		if (!v->n_owners)
			v->owner_reason = ww_unowned_name(ww_procs_why_unowned(
				r->procs, v->s->inode, v->s->uid, v->owner_note, sizeof(v->owner_note)));
	}
	size_t other_pidns = fill_ns_pids(r->views, total);
	double t2 = (ww_mono_now() * 1e3);
	static const struct ww_judge_tree tree = { stat_parent, NULL };
	ww_judge_socket_prepare_tree(r->views, total, LO_IFINDEX, &tree);
	for (size_t i = 0; i < total; i++)
		r->views[i].service = service_of(&r->views[i]);
	ww_time_t now = ww_wall_now();
	r->n_alerts = 0;
	if ((e = ww_judge_socket_run(r->pol, r->views, total, now, &r->alerts, &r->n_alerts)) < 0)
		return e;
	*t_dump = t1 - t0;     /* dump and /proc walk, overlapped */
	*t_owner = t2 - t1;    /* resolving the inodes still unowned, and the join */
	if (!print)
		return 0;

	FILE *out = r->out;
	if (r->o.learn)
		return learn(out, r->views, total, total);
	if (r->o.json) {
		if (!r->o.quiet)
			for (size_t i = 0; i < total; i++)
				if ((e = ww_emit_json_socket(&r->jw, out, &r->views[i], now)) < 0)
					return e;
		for (size_t i = 0; i < r->n_alerts; i++) {
			const struct ww_sock_view *v = view_of(r, r->alerts[i].sock);
			if ((e = ww_emit_json_sock_alert(&r->jw, out, &r->alerts[i], v)) < 0)
				return e;
		}
		return 0;
	}
	bool color = isatty(STDOUT_FILENO);
	if (r->o.quiet) {
		for (size_t i = 0; i < r->n_alerts; i++)
			if ((e = ww_emit_text_sock_alert(out, color, &r->alerts[i])) < 0)
				return e;
		return 0;
	}
	struct ww_procs_stats st;
	char note[512] = "";
	ww_procs_stats(r->procs, &st);
	if (st.denied)
		snprintf(note, sizeof(note), "Owners unknown where the fd tables of %u processes were "
			 "unreadable (permission; run as root to see them).", st.denied);
	if (raw_missing)
		snprintf(note + strlen(note), sizeof(note) - strlen(note), "%sRaw sockets not visible.",
			 note[0] ? "\n" : "");
	if (other_pidns)
		snprintf(note + strlen(note), sizeof(note) - strlen(note), "%sPids are as this host's "
			 "PID namespace numbers them; \"(ns:N)\" is a process's own pid in its PID "
			 "namespace (a container's).", note[0] ? "\n" : "");
	struct ww_sock_text_opts to = { .all = r->o.all, .color = color,
					.show_netns = r->n_ns > 1, .note = note[0] ? note : NULL };
	return ww_emit_text_sockets(out, r->views, total, &to);
}

int ww_cmd_sockets(int argc, char **argv)
{
	struct run r;
	char err[512];
	int rc = 0;
	memset(&r, 0, sizeof(r));
	int pa = parse_args(argc, argv, &r.o);
	if (pa)
		return pa > 0 ? 0 : 2;
	if (r.o.policy) {
		int e = ww_policy_load(r.o.policy, &r.pol, err, sizeof(err));
		if (e < 0) {
			fprintf(stderr, "wirewho sockets: --policy %s\n", err);
			return e == -ENOMEM ? 1 : 2;   /* out of memory is a runtime failure */
		}
	}
	(void)ww_ports_load_services(NULL);   /* missing /etc/services: built-in names */
	ww_jw_init(&r.jw);
	r.out = stdout;
	if (!ww_sinks_stdout_only(&r.o.sinks) && !r.o.learn) {
		r.o.sinks.wait_when_full = true;   /* no capture to protect: the sinks set the pace */
		r.sinks = ww_sinks_open(&r.o.sinks, err, sizeof(err));
		if (!r.sinks) {
			fprintf(stderr, "wirewho sockets: --output: %s\n", err);
			ww_policy_free(r.pol);
			ww_jw_free(&r.jw);
			return 1;
		}
		r.out = ww_sinks_file(r.sinks);
	}
	if (find_namespaces(r.o.all_netns, &r.ns, &r.n_ns) < 0 ||
	    open_tables(r.ns, r.n_ns) < 0 || !(r.procs = ww_procs_new(NULL))) {
		fprintf(stderr, "wirewho sockets: cannot read the socket table: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	if (r.o.hash_exe && ww_procs_set_hash_exe(r.procs, true) < 0) {
		fprintf(stderr, "wirewho sockets: --hash-exe: out of memory\n");
		rc = 1;
		goto out;
	}
	for (unsigned long p = 0; p < r.o.passes; p++) {
		double t0 = (ww_mono_now() * 1e3), td = 0, to = 0;
		int e = one_pass(&r, true, &td, &to);
		if (e < 0) {
			if (e != -EIO)
				fprintf(stderr, "wirewho sockets: %s\n", strerror(-e));
			else
				fprintf(stderr, "wirewho sockets: writing output failed\n");
			rc = 1;
			goto out;
		}
		if (fflush(r.out) != 0) {
			fprintf(stderr, "wirewho sockets: writing output failed: %s\n", strerror(errno));
			rc = 1;
			goto out;
		}
		if (r.o.passes > 1) {
			struct ww_procs_stats st;
			ww_procs_stats(r.procs, &st);
			fprintf(stderr, "pass %lu: %.2f ms (dump+walk %.2f ms, resolve %.2f ms; %u processes, "
				"%u fd tables read, %llu fds)\n", p + 1, (ww_mono_now() * 1e3) - t0, td, to, st.seen,
				st.scanned, (unsigned long long)st.fds_read);
		}
	}
out:
	if (r.sinks && ww_sinks_close(r.sinks, rc ? 0 : SOCKETS_SINK_DRAIN_S, say_notice, NULL, err,
				      sizeof(err)) < 0) {
		fprintf(stderr, "wirewho sockets: --output: %s\n", err);
		rc = 1;
	}
	for (size_t i = 0; i < r.n_ns; i++)
		ww_socktab_free(r.ns[i].tab);
	free(r.ns);
	ww_procs_free(r.procs);
	ww_policy_free(r.pol);
	free(r.views);
	free(r.want);
	free(r.alerts);
	ww_jw_free(&r.jw);
	return rc;
}
