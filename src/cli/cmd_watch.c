/*
 * cmd_watch.c - `wirewho watch`: live capture joined with the socket and
 * process tables, judged as it happens, optionally recorded.
 *
 * Start-up is ordered by privilege: check CAP_NET_RAW, open the capture,
 * the netlink sockets (addresses, sock_diag) and /proc, create the
 * recording files, raise our scheduling priority (WATCH_NICE: the first
 * packet of a flow must be handled before a short-lived client exits), then
 * shed every capability but the two that reading other users' /proc/PID/fd
 * needs (caps.h). Only then is any packet parsed.
 *
 * One thread, one loop: poll() on the capture descriptor (non-blocking
 * libpcap, immediate mode) and the address-change socket, with a short
 * timeout. Each wake-up drains a bounded batch of packets (so a flood cannot
 * starve the rest), applies address changes, and about once a second runs
 * the periodic work on wall-clock time: expiring idle flows (the flow engine
 * counts packet time, which stops on a quiet wire), the rate-limited socket
 * table refresh, folded alert summaries, flushing the recording, in text
 * mode a summary line every WATCH_SUMMARY_EVERY_S and with --json a stats
 * record every --stats-interval. What a wake-up wrote goes out at its end
 * (stdout is fully buffered: one write() per record was the dearest part of
 * a flood of new flows). Signal handlers only set flags; the loop acts on
 * them: SIGINT/SIGTERM stop cleanly (what is already in the kernel's ring
 * is analysed, for at most WATCH_DRAIN_MAX_S, then open flows and a final
 * stats record with the capture's counts are written, so that packets +
 * dropped + discarded = received), SIGHUP reloads the policy (a policy that
 * does not parse is reported and the old one kept).
 *
 * Usage is checked first: a bad option, or a --record DIR that is not empty
 * (a recording is evidence: never truncated without --force), is exit 2
 * before anything is opened; a filter that does not compile, found once the
 * interface is open (it depends on the link type), is exit 2 too. Each is
 * one line on stderr, as in the other commands.
 *
 * An interface that does not exist or is down is a clear error and exit 1;
 * with --wait-for-interface we poll for it (every WATCH_IFACE_POLL_MS) until
 * it is up, and when it disappears mid-run we wait again and reopen it,
 * keeping CAP_NET_RAW for that.
 */
#include "wirewho/attribute.h"
#include "wirewho/capture.h"
#include "wirewho/caps.h"
#include "wirewho/cli.h"
#include "wirewho/cmd.h"
#include "wirewho/decode.h"
#include "wirewho/judge_flow.h"
#include "wirewho/kattr.h"
#include "wirewho/netaddr.h"
#include "wirewho/pipeline.h"
#include "wirewho/netscope.h"
#include "wirewho/policy.h"
#include "wirewho/ports.h"
#include "wirewho/procs.h"
#include "wirewho/netns.h"
#include "wirewho/conntrack.h"
#include "wirewho/sink.h"
#include "wirewho/socktab.h"
#include "wirewho/timeline.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define WATCH_POLL_MS          100    /* wake at least this often: signals, expiry, summaries */
#define WATCH_BATCH            4096   /* packets per wake-up before the loop looks around */
#define WATCH_PERIODIC_US      (WW_USEC_PER_SEC)  /* housekeeping cadence */
#define WATCH_SUMMARY_EVERY_S  10     /* text mode: a summary line this often */
#define WATCH_STATS_EVERY_S    60     /* --json: a stats record this often (Suricata's default) */
#define WATCH_DRAIN_MAX_S      1.0    /* at the stop: analyse what is still in the ring for at
					 most this long (a 64 MB ring of small packets is ~1 s
					 of work); the rest is read, counted, discarded */
#define WATCH_DRAIN_MAX_PKTS   (1u << 22)  /* and at most this many: the ring's slots, many times */
#define WATCH_OUTBUF           (256u << 10)  /* stdout buffer: a wake-up's records (a 4096-packet
					 batch of new flows evicting as many) in a few writes */
#define WATCH_IFACE_POLL_MS    500    /* --wait-for-interface: how often to look */
#define WATCH_DEFAULT_BUFFER_MB 64    /* ~100 ms of 200k pps at full size: absorbs a lookup stall */
#define WATCH_MAX_BUFFER_MB    4096
#define WATCH_DEFAULT_SNAPLEN  4096   /* headers and the first payload bytes the classifier
					 reads; the kernel ring has fixed-size slots of about
					 the snaplen, so 256 KB (libpcap's default) would leave
					 a 64 MB buffer only 256 packets deep */
#define WATCH_SINK_DRAIN_S     10.0   /* --output: at the stop, what the sinks still hold is
					 sent for at most this long (a spool keeps the rest) */
#define WATCH_NICE             (-15)  /* wake ahead of ordinary processes: a DNS client's
					 socket lives ~300 us, and losing the CPU for that
					 long at the first packet loses its owner */

static volatile sig_atomic_t stop_sig, reload_sig;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		ww_sinks_request_reopen();   /* --output file:PATH, after logrotate */
	else if (sig == SIGHUP)
		reload_sig = 1;
	else
		stop_sig = sig;
}

/* A sink's notice (a broker away, a spool full), for people. */
static void say_notice(void *ud, const char *notice)
{
	fprintf(stderr, "wirewho: %s: --output %s\n", (const char *)ud, notice);
}

static const char watch_usage[] =
	"usage: wirewho watch [OPTIONS] -i IFACE\n"
	"\n"
	"Capture live on IFACE (any = all interfaces), tell which process owns each\n"
	"flow, and flag what the policy does not explain.\n"
	"\n"
	"  -i, --interface IF     interface to capture on (any = all)\n"
	"  -f, --filter EXPR      BPF filter, as tcpdump takes it\n"
	"  --json                 NDJSON records on stdout, each out within milliseconds\n"
	"  -q, --quiet            alerts only, no flow records\n"
	WW_SINK_USAGE
	"  --policy FILE          rules that explain expected processes, ports and peers\n"
	"                         (reloaded on SIGHUP)\n"
	"  --home-net CIDR,...    the site's own networks: every other peer is internet\n"
	"  --record DIR           also write DIR/capture.pcap and DIR/sockets.ndjson\n"
	"                         (replay them with: wirewho replay DIR/capture.pcap\n"
	"                         --sockets DIR/sockets.ndjson); DIR must be new or\n"
	"                         empty: an earlier recording is never overwritten\n"
	"  --force                let --record overwrite the files of a non-empty DIR\n"
	"  --duration SECS        stop after SECS (also stops on SIGINT/SIGTERM)\n"
	"  --stats-interval SECS  --json: a stats record every SECS (default 60, 0 none)\n"
	"  --buffer-size MB       kernel capture buffer (default 64)\n"
	"  --max-flows N          flows tracked at once (default 1000000)\n"
	"  --timeout CLASS=S[,CLASS=S...]\n"
	"                         idle timeouts in seconds; CLASS is tcp (established,\n"
	"                         300), tcp-new (30), closed (10), udp (60), other (30)\n"
	"  --ports FILE           add or change the standard ports of protocols\n"
	"  --snaplen BYTES        bytes kept of each packet (default 4096: headers and\n"
	"                         the payload the classifier reads; also --record's)\n"
	"  --wait-for-interface   wait for a missing or down interface, and for one\n"
	"                         that disappears while watched, instead of exiting\n"
	"  --no-decap             do not take tunnels off (GRE, VXLAN, Geneve, IP-in-IP...)\n"
	"  --vxlan-port N         also read UDP port N as VXLAN (4789 always is); up to 8\n"
	"  --attribution MODE     who names the owners: auto (default: the kernel\n"
	"                         engine, eBPF, when it can run), bpf, or proc\n"
	"                         (/proc + sock_diag only)\n"
	"  --hash-exe             process objects carry the program's SHA-256\n"
	"                         (exe_sha256; cached by device, inode and mtime)\n"
	"  -h, --help             this text\n"
	"\n"
	"Needs CAP_NET_RAW to capture; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to\n"
	"name the owners of other users' sockets. Every other capability is\n"
	"dropped once the capture is open. The kernel engine needs CAP_BPF,\n"
	"CAP_PERFMON and CAP_NET_ADMIN to load, only at start. See wirewho(8).\n"
	"\n"
	"Exit status: 0 ran to the end, 1 runtime failure (interface missing or\n"
	"gone, capture error, output error), 2 bad usage, a bad filter, a non-empty\n"
	"--record DIR, or an unreadable policy or ports file.\n";

struct watch_opts {
	const char *iface, *filter, *policy, *record, *ports;
	bool json, quiet, wait_iface, force;
	enum ww_kattr_mode attribution;
	unsigned long duration_s, buffer_mb, max_flows, snaplen, stats_every_s;
	struct ww_flow_cfg flow;   /* --max-flows, --timeout */
	bool no_decap, hash_exe;
	unsigned n_vxlan;
	uint16_t vxlan[WW_DECODE_MAX_VXLAN_PORTS];   /* --vxlan-port */
	struct ww_sinks_cfg sinks;                   /* --output, --spool, --syslog-* */
};

/*
 * --record DIR is evidence: an earlier recording in it is never truncated
 * unless --force says so. A DIR that does not exist yet, or is empty, is
 * fine (ww_timeline_create() makes it). Returns 0, or 2 after the usage line.
 */
static int check_record_dir(const char *dir, bool force)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;   /* missing, or not a directory: ww_timeline_create() says why */
	struct dirent *de;
	const char *first = NULL;
	while (!first && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			first = de->d_name;
	int rc = 0;
	if (first && !force)
		rc = ww_cli_usage_error("watch", "--record: %s is not empty (it holds %s, maybe an "
					"earlier recording); choose a new directory, or add --force to "
					"overwrite it", dir, first);
	closedir(d);
	return rc;
}

/*
 * Wait until the interface is up (bounded polling), or a stop signal, or the
 * deadline. Returns 0 when up, -EINTR when told to stop.
 */
static int wait_for_iface(const char *name, double deadline)
{
	bool said = false;
	for (;;) {
		int st = ww_capture_probe(name);
		if (st == 0)
			return 0;
		if (!said) {
			fprintf(stderr, "wirewho: watch: interface %s %s; waiting for it (--wait-for-interface)\n",
				name, ww_capture_probe_problem(st));
			said = true;
		}
		if (stop_sig || (deadline > 0 && ww_mono_now() >= deadline))
			return -EINTR;
		poll(NULL, 0, WATCH_IFACE_POLL_MS);
	}
}

/*
 * Open the interface, then set the filter: NULL with the reason in `err`,
 * and *bad_filter set when the interface opened but the filter does not
 * compile (bad usage, exit 2, as in replay; not a runtime failure).
 */
static struct ww_capture *open_capture(const struct watch_opts *o, char *err, size_t errsz,
				       bool *bad_filter)
{
	struct ww_capture *c = ww_capture_open_live(o->iface, NULL, (int)(o->buffer_mb * 1024 * 1024),
						    (int)o->snaplen, err, errsz);
	*bad_filter = false;
	if (c && ww_capture_set_filter(c, o->filter, err, errsz) < 0) {
		ww_capture_close(c);
		*bad_filter = true;
		return NULL;
	}
	return c;
}

static int load_policy(const char *path, struct ww_policy **out)
{
	char err[512];
	int rc = ww_policy_load(path, out, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "wirewho: %s\n", err);
	return rc;
}

static void summary_line(FILE *out, struct ww_pipeline *pl, struct ww_capture *c,
			 const char *iface, double elapsed)
{
	const struct ww_stats *s = ww_pipeline_stats(pl);
	uint64_t dropped = 0;
	char ts[WW_TIMESTRLEN];
	if (c)
		ww_capture_dropped(c, &dropped);
	ww_time_str(ww_wall_now(), ts);
	ts[19] = '\0';   /* to the second */
	fprintf(out, "-- %s  %s: %.0fs, %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
		" alerts, %" PRIu64 " dropped --\n", ts + 11, iface, elapsed, s->packets, s->flows,
		s->alerts, dropped);
	fflush(out);
}

static int parse_opts(int argc, char **argv, struct watch_opts *o)
{
	enum { O_JSON = 256, O_POLICY, O_RECORD, O_DURATION, O_BUFSZ, O_WAIT, O_MAXFLOWS, O_SNAPLEN,
	       O_FORCE, O_TIMEOUT, O_PORTS, O_STATS, O_HOME_NET, O_ATTRIB, O_NODECAP, O_VXLAN, O_HASH };
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "filter", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "home-net", required_argument, NULL, O_HOME_NET },
		{ "record", required_argument, NULL, O_RECORD },
		{ "force", no_argument, NULL, O_FORCE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "stats-interval", required_argument, NULL, O_STATS },
		{ "buffer-size", required_argument, NULL, O_BUFSZ },
		{ "max-flows", required_argument, NULL, O_MAXFLOWS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "ports", required_argument, NULL, O_PORTS },
		{ "snaplen", required_argument, NULL, O_SNAPLEN },
		{ "wait-for-interface", no_argument, NULL, O_WAIT },
		{ "attribution", required_argument, NULL, O_ATTRIB },
		{ "no-decap", no_argument, NULL, O_NODECAP },
		{ "vxlan-port", required_argument, NULL, O_VXLAN },
		{ "hash-exe", no_argument, NULL, O_HASH },
		{ "help", no_argument, NULL, 'h' },
		WW_SINK_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, k;
	char serr[512];

	o->buffer_mb = WATCH_DEFAULT_BUFFER_MB;
	o->snaplen = WATCH_DEFAULT_SNAPLEN;
	o->stats_every_s = WATCH_STATS_EVERY_S;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:i:f:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'f': o->filter = optarg; break;
		case 'q': o->quiet = true; break;
		case O_JSON: o->json = true; break;
		case O_POLICY: o->policy = optarg; break;
		case O_HOME_NET: {
			char err[200];
			if (ww_netscope_home_option(optarg, err, sizeof(err)) < 0)
				return ww_cli_usage_error("watch", "--home-net: %s", err);
			break;
		}
		case O_RECORD: o->record = optarg; break;
		case O_FORCE: o->force = true; break;
		case O_PORTS: o->ports = optarg; break;
		case O_WAIT: o->wait_iface = true; break;
		case O_DURATION:
			if (ww_cli_parse_uint(optarg, 1, 10u * 365 * 86400, &o->duration_s) < 0)
				return ww_cli_usage_error("watch", "--duration: \"%s\" is not a number of seconds (1 or more)", optarg);
			break;
		case O_STATS:
			if (ww_cli_parse_uint(optarg, 0, 86400, &o->stats_every_s) < 0)
				return ww_cli_usage_error("watch", "--stats-interval: \"%s\" is not a number of seconds from 0 (none) to 86400", optarg);
			break;
		case O_BUFSZ:
			if (ww_cli_parse_uint(optarg, 1, WATCH_MAX_BUFFER_MB, &o->buffer_mb) < 0)
				return ww_cli_usage_error("watch", "--buffer-size: \"%s\" is not a number of megabytes from 1 to 4096", optarg);
			break;
		case O_NODECAP: o->no_decap = true; break;
		case O_VXLAN:
			if (ww_cli_add_vxlan_port("watch", optarg, o->vxlan, &o->n_vxlan))
				return 2;
			break;
		case O_MAXFLOWS:
			if (ww_cli_parse_uint(optarg, 1, 1u << 30, &o->max_flows) < 0)
				return ww_cli_usage_error("watch", "--max-flows: \"%s\" is not a number from 1 to 1073741824", optarg);
			o->flow.max_flows = (uint32_t)o->max_flows;
			break;
		case O_TIMEOUT:
			if (ww_cli_parse_timeouts(optarg, &o->flow) < 0)
				return ww_cli_usage_error("watch", "--timeout: \"%s\" is not CLASS=SECONDS[,CLASS=SECONDS...] (tcp, tcp-new, closed, udp, other; 1 to 604800 s)", optarg);
			break;
		case O_SNAPLEN:
			if (ww_cli_parse_uint(optarg, 128, 262144, &o->snaplen) < 0)
				return ww_cli_usage_error("watch", "--snaplen: \"%s\" is not a number of bytes from 128 to 262144", optarg);
			break;
		case O_ATTRIB:
			if (ww_kattr_parse_mode(optarg, &o->attribution) < 0)
				return ww_cli_usage_error("watch", "--attribution: \"%s\" is not auto, bpf or proc", optarg);
			break;
		case O_HASH:
			if (!ww_procs_hash_built())
				return ww_cli_usage_error("watch", "--hash-exe: this wirewho is built without libcrypto");
			o->hash_exe = true;
			break;
		case 'h':
			fputs(watch_usage, stdout);
			return -1;
		default:
			if ((k = ww_sinks_cfg_option(&o->sinks, c, optarg, serr, sizeof(serr))) > 0)
				break;
			if (k < 0)
				return ww_cli_usage_error("watch", "%s", serr);
			return ww_cli_bad_option("watch", c, argv);
		}
	}
	if (optind < argc)
		return ww_cli_usage_error("watch", "unexpected argument \"%s\" (a filter goes after -f)", argv[optind]);
	if (!o->iface)
		return ww_cli_usage_error("watch", "no interface given: -i IFACE (or -i any)");
	if (ww_sinks_cfg_check(&o->sinks, serr, sizeof(serr)) < 0)
		return ww_cli_usage_error("watch", "%s", serr);
	if (!ww_sinks_stdout_only(&o->sinks))
		o->json = true;   /* sinks carry records, not the table for people */
	if (o->record)
		return check_record_dir(o->record, o->force);
	return 0;
}

/* Everything a run holds, freed in one place. */
struct run {
	struct ww_capture *cap;
	struct ww_netaddr *na;
	struct ww_socktab *st;
	struct ww_procs *procs;
	struct ww_judge *judge;
	struct ww_attributor *attr;
	struct ww_netns_set *nsset;   /* the other network namespaces (netns.h) */
	struct ww_ct *ct;             /* conntrack events (conntrack.h), or NULL */
	struct ww_kattr *kattr;
	struct ww_tl_writer *rec;
	struct ww_pipeline *pl;
	struct ww_sinks *sinks;   /* --output other than stdout; NULL without */
	/* counts of captures closed before this one (--wait-for-interface reopens) */
	uint64_t prev_received, prev_dropped;
};

/* The capture's counts, those of earlier openings included. */
static void capture_totals(struct run *r, uint64_t *received, uint64_t *dropped)
{
	*received = r->prev_received;
	*dropped = r->prev_dropped;
	uint64_t rv, dr;
	if (r->cap && ww_capture_counts(r->cap, &rv, &dr) == 0) {
		*received += rv;
		*dropped += dr;
	}
}

static void run_free(struct run *r)
{
	ww_pipeline_free(r->pl);
	ww_attr_free(r->attr);
	ww_netns_free(r->nsset);
	ww_ct_free(r->ct);
	ww_kattr_close(r->kattr);
	ww_judge_free(r->judge);
	ww_procs_free(r->procs);
	ww_socktab_free(r->st);
	ww_netaddr_close(r->na);
	ww_capture_close(r->cap);
	ww_sinks_close(r->sinks, 0, NULL, NULL, NULL, 0);   /* after the pipeline: it writes to them */
}

/*
 * A write of the recording failed (#17.1): say which file and why at once,
 * stop recording (the end line then counts only what is on disk), and let
 * the analysis go on; the run ends with exit 1.
 */
static void stop_recording(struct run *r)
{
	char why[512];
	const char *e = ww_timeline_error(r->rec);
	snprintf(why, sizeof(why), "%s", e ? e : "write error");
	ww_attr_set_recorder(r->attr, NULL);
	ww_timeline_close(r->rec);   /* fails too: the error is the one above */
	r->rec = NULL;
	fprintf(stderr, "wirewho: watch: --record: %s; recording stopped, analysis goes on\n", why);
}

/*
 * At the stop, what the kernel already put in the ring was received: it is
 * analysed (and recorded) like any packet, for at most WATCH_DRAIN_MAX_S;
 * what is left then is counted as discarded in the final stats.
 */
static void drain_ring(struct run *r, int dlt, bool *rec_failed)
{
	double until = ww_mono_now() + WATCH_DRAIN_MAX_S;
	for (uint32_t i = 0; i < WATCH_DRAIN_MAX_PKTS; i++) {
		const uint8_t *data;
		uint32_t caplen, wirelen;
		ww_time_t ts;
		if ((i & 255) == 0 && ww_mono_now() >= until)
			break;
		if (ww_capture_next(r->cap, &data, &caplen, &wirelen, &ts) != WW_CAP_PACKET)
			break;
		/* Recorded too: the recording is the evidence of what was analysed.
		 * A write failure here stops the recording; the main loop has
		 * reported the first one, ww_timeline_close() the last. */
		if (r->rec && ww_timeline_packet(r->rec, data, caplen, wirelen, ts) < 0) {
			ww_attr_set_recorder(r->attr, NULL);
			*rec_failed = true;
		}
		if (ww_pipeline_packet(r->pl, dlt, data, caplen, wirelen, ts) < 0)
			break;   /* the output failed: ww_pipeline_finish() reports it */
	}
}

int ww_cmd_watch(int argc, char **argv)
{
	struct watch_opts o = { 0 };
	struct run r = { 0 };
	struct ww_policy *policy = NULL;
	char err[WW_CAPTURE_ERRLEN > WW_TIMELINE_ERRLEN ? WW_CAPTURE_ERRLEN : WW_TIMELINE_ERRLEN];
	int rc = parse_opts(argc, argv, &o), exit_code = 0, nerr;
	double t0, deadline = 0, next_summary, next_stats = 0;
	ww_time_t next_periodic;

	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.ports) {
		char perr[WW_PORTS_ERRLEN];
		if (ww_ports_load_user(o.ports, perr, sizeof(perr)) < 0) {
			fprintf(stderr, "wirewho: %s\n", perr);
			return 2;
		}
	}
	if (o.policy && (rc = load_policy(o.policy, &policy)) < 0)
		return rc == -ENOMEM ? 1 : 2;   /* out of memory is a runtime failure */

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a closed stdout is an output error, reported */

	if (ww_caps_check_capture(err, sizeof(err)) < 0) {
		fprintf(stderr, "wirewho: watch: %s\n", err);
		ww_policy_free(policy);
		return 1;
	}
	t0 = ww_mono_now();
	if (o.duration_s)
		deadline = t0 + (double)o.duration_s;

	/* --- privileged opening --- */
	for (;;) {
		bool bad_filter;
		r.cap = open_capture(&o, err, sizeof(err), &bad_filter);
		if (r.cap)
			break;
		if (bad_filter) {
			ww_policy_free(policy);
			return ww_cli_usage_error("watch", "-f: %s", err);
		}
		if (!o.wait_iface || ww_capture_probe(o.iface) == 0) {
			fprintf(stderr, "wirewho: watch: %s: %s\n", o.iface, err);
			ww_policy_free(policy);
			return 1;
		}
		if (wait_for_iface(o.iface, deadline) < 0) {
			ww_policy_free(policy);
			return 0;   /* stopped (signal or --duration) while waiting */
		}
	}
	int dlt = ww_capture_datalink(r.cap);
	if (!ww_decode_linktype_supported(dlt)) {
		fprintf(stderr, "wirewho: watch: %s: link type %d (%s) is not supported\n", o.iface, dlt,
			ww_capture_dlt_name(dlt));
		run_free(&r);
		ww_policy_free(policy);
		return 1;
	}
	r.na = ww_netaddr_open(&nerr);
	if (!r.na) {
		fprintf(stderr, "wirewho: watch: cannot read this host's addresses over netlink: %s\n",
			strerror(-nerr));
		goto fail;
	}
	r.st = ww_socktab_new(0);
	if (!r.st) {
		fprintf(stderr, "wirewho: watch: cannot open the socket table (sock_diag or /proc/net): %s\n",
			strerror(errno));
		goto fail;
	}
	r.procs = ww_procs_new(NULL);
	if (!r.procs) {
		fprintf(stderr, "wirewho: watch: cannot open /proc: %s\n", strerror(errno));
		goto fail;
	}
	if (o.hash_exe && ww_procs_set_hash_exe(r.procs, true) < 0)
		goto oom;   /* built in: checked while parsing */
	r.judge = ww_judge_new();
	if (!r.judge)
		goto oom;
	ww_judge_set_policy(r.judge, policy);
	policy = NULL;
	r.attr = ww_attr_new_live(r.na, r.st, r.procs, r.judge);
	if (!r.attr)
		goto oom;
	if (o.record) {
		r.rec = ww_timeline_create(o.record, dlt, ww_capture_snaplen(r.cap), o.iface,
					   ww_wall_now(), err, sizeof(err));
		if (!r.rec) {
			fprintf(stderr, "wirewho: watch: --record: %s\n", err);
			goto fail;
		}
		ww_attr_set_recorder(r.attr, r.rec);
	}
	/* Needs CAP_SYS_NICE, about to be dropped; without it we run at the
	 * default priority and short-lived owners are missed more often. */
	if (setpriority(PRIO_PROCESS, 0, WATCH_NICE) < 0 && !o.json)
		fprintf(stderr, "wirewho: watch: note: cannot raise priority (%s); "
			"very short-lived connections may go unattributed\n", strerror(errno));
	/* The attribution engine, while we may still load BPF programs; one
	 * line says which runs and why (WIREWHO_BTF: another BTF file, for tests). */
	static char engine_why[WW_CAPTURE_ERRLEN + 64];
	const char *engine = "proc";
	if (o.attribution == WW_KATTR_PROC) {
		snprintf(engine_why, sizeof(engine_why), "--attribution proc");
	} else if ((r.kattr = ww_kattr_open(ww_kattr_netns_cookie(), getenv("WIREWHO_BTF"), err,
					     sizeof(err))) != NULL) {
		engine = "bpf";
		snprintf(engine_why, sizeof(engine_why), "eBPF programs attached; /proc + sock_diag "
			 "for the flows they did not see");
		ww_attr_set_kernel(r.attr, r.kattr);
	} else {
		snprintf(engine_why, sizeof(engine_why), "the kernel engine cannot run: %s", err);
	}
	fprintf(stderr, "wirewho: watch: attribution engine: %s (%s)\n", engine, engine_why);
	/* The other network namespaces (containers behind a veth), entered now:
	 * setns() needs CAP_SYS_ADMIN, which the drop below takes away. */
	{
		unsigned skipped = 0;
		int ns_err = 0;
		r.nsset = ww_netns_open(&skipped, &ns_err);
		if (!r.nsset)
			goto oom;
		ww_attr_set_netns(r.attr, r.nsset);
		if (skipped)
			fprintf(stderr, "wirewho: watch: %zu other network namespaces attributed; %u could "
				"not be entered (needs CAP_SYS_ADMIN at start)\n", ww_netns_count(r.nsset), skipped);
		/* NAT seen backwards: conntrack's events, subscribed while we hold
		 * CAP_NET_ADMIN (binding needs it, reading does not). */
		r.ct = ww_ct_open(&ns_err);
		if (r.ct)
			ww_attr_set_conntrack(r.attr, r.ct);
		else if (ns_err != -EPROTONOSUPPORT)
			fprintf(stderr, "wirewho: watch: conntrack events: %s: flows after a NAT are not "
				"mapped to their inside owner\n", strerror(-ns_err));
	}
	const char *missing = ww_caps_missing_for_owners();
	if ((rc = ww_caps_drop_to_owner_lookup(o.wait_iface)) < 0) {
		fprintf(stderr, "wirewho: watch: cannot drop capabilities: %s\n", strerror(-rc));
		goto fail;
	}
	if (missing)
		fprintf(stderr, "wirewho: watch: warning: without %s, sockets of other users' processes "
			"are reported \"unresolved\" (permission)\n", missing);

	/* --- the pipeline --- */
	struct ww_pipeline_cfg pc;
	memset(&pc, 0, sizeof(pc));
	pc.flow = o.flow;   /* --max-flows, --timeout */
	pc.no_decap = o.no_decap;
	pc.vxlan_ports = o.vxlan;
	pc.n_vxlan_ports = o.n_vxlan;
	pc.out = stdout;
	if (!ww_sinks_stdout_only(&o.sinks)) {
		char serr[512];
		r.sinks = ww_sinks_open(&o.sinks, serr, sizeof(serr));
		if (!r.sinks) {
			fprintf(stderr, "wirewho: watch: --output: %s\n", serr);
			goto fail;
		}
		pc.out = ww_sinks_file(r.sinks);
	}
	FILE *out = pc.out;
	pc.mode = o.json ? WW_EMIT_JSON : WW_EMIT_TEXT;
	pc.quiet = o.quiet;
	pc.color = !o.json && isatty(STDOUT_FILENO);
	pc.attrib = &ww_attr_ops;
	pc.attrib_ud = r.attr;
	pc.live = true;
	pc.attr_engine = engine;
	pc.attr_engine_reason = engine_why;
	/*
	 * Records are written whole into a buffer and the buffer goes out at the
	 * end of every wake-up of the loop below, so a record is out a few
	 * milliseconds after the packet that made it at most. Line buffering
	 * cost one write() per record, and under a flood of new flows each
	 * evicted flow's record was a system call and a wake-up of the reader:
	 * the most expensive part of a new flow, more than tracking it.
	 */
	static char outbuf[WATCH_OUTBUF];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	r.pl = ww_pipeline_new(&pc);
	if (!r.pl) {
		fprintf(stderr, "wirewho: watch: out of memory creating the flow table (--max-flows)\n");
		goto fail;
	}
	if (!o.json)
		fprintf(stderr, "wirewho: watching %s (%s), %zu local addresses, policy %s%s%s\n", o.iface,
			ww_capture_dlt_name(dlt), ww_netaddr_count(r.na), o.policy ? o.policy : "none",
			o.record ? ", recording to " : "", o.record ? o.record : "");
	ww_attr_periodic(r.attr, ww_wall_now());   /* warm the socket and process caches */

	/* --- the loop --- */
	next_periodic = ww_wall_now() + WATCH_PERIODIC_US;
	next_summary = ww_mono_now() + WATCH_SUMMARY_EVERY_S;
	if (o.json && o.stats_every_s)
		next_stats = ww_mono_now() + (double)o.stats_every_s;
	while (!stop_sig) {
		struct pollfd pfd[2] = {
			{ .fd = ww_capture_fd(r.cap), .events = POLLIN },
			{ .fd = ww_netaddr_fd(r.na), .events = POLLIN },
		};
		int timeout = WATCH_POLL_MS;
		if (deadline > 0) {
			double left = deadline - ww_mono_now();
			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "wirewho: watch: poll: %s\n", strerror(errno));
			exit_code = 1;
			break;
		}
		if (pfd[1].revents & POLLIN)
			ww_netaddr_process(r.na);

		/* Drain a bounded batch: a flood must not starve the rest of the loop. */
		enum ww_capture_next cn = WW_CAP_TIMEOUT;
		for (int i = 0; i < WATCH_BATCH && !stop_sig; i++) {
			const uint8_t *data;
			uint32_t caplen, wirelen;
			ww_time_t ts;
			cn = ww_capture_next(r.cap, &data, &caplen, &wirelen, &ts);
			if (cn != WW_CAP_PACKET)
				break;
			if (r.rec && ww_timeline_packet(r.rec, data, caplen, wirelen, ts) < 0) {
				stop_recording(&r);
				exit_code = 1;
			}
			int prc = ww_pipeline_packet(r.pl, dlt, data, caplen, wirelen, ts);
			if (prc < 0) {
				ww_cli_report_output_failure("wirewho: watch", prc);
				exit_code = 1;
				stop_sig = SIGPIPE;
				break;
			}
		}
		/* libpcap reports a vanished interface as a read error, but an
		 * interface merely set down just goes quiet: look at it too. */
		ww_time_t now = ww_wall_now();
		bool periodic = now >= next_periodic;
		if (cn == WW_CAP_ERROR || cn == WW_CAP_EOF || (periodic && ww_capture_probe(o.iface) < 0)) {
			int st = ww_capture_probe(o.iface);
			const char *why = st < 0 ? ww_capture_probe_problem(st) : ww_capture_error(r.cap);
			if (!o.wait_iface || st == 0) {
				fprintf(stderr, "wirewho: watch: %s: capture stopped: %s%s\n", o.iface,
					st < 0 ? "the interface " : "", why);
				exit_code = 1;
				break;
			}
			fprintf(stderr, "wirewho: watch: %s: the interface %s; waiting for it to come back\n",
				o.iface, why);
			capture_totals(&r, &r.prev_received, &r.prev_dropped);
			ww_capture_close(r.cap);
			r.cap = NULL;
			while (!r.cap) {
				if (wait_for_iface(o.iface, deadline) < 0)
					break;
				bool bad_filter;
				r.cap = open_capture(&o, err, sizeof(err), &bad_filter);
				if (!r.cap && (bad_filter || ww_capture_probe(o.iface) == 0)) {
					fprintf(stderr, "wirewho: watch: %s: %s\n", o.iface, err);
					exit_code = 1;
					break;
				}
			}
			if (!r.cap)
				break;
			fprintf(stderr, "wirewho: watch: %s is back; capturing again\n", o.iface);
		}

		if (reload_sig) {
			reload_sig = 0;
			if (!o.policy) {
				fprintf(stderr, "wirewho: watch: SIGHUP: no --policy to reload\n");
			} else if (load_policy(o.policy, &policy) == 0) {
				ww_judge_set_policy(r.judge, policy);
				fprintf(stderr, "wirewho: watch: policy %s reloaded (%zu rules)\n", o.policy,
					ww_policy_count(policy));
				policy = NULL;
			} else {
				fprintf(stderr, "wirewho: watch: keeping the previous policy\n");
			}
		}

		if (periodic) {
			char note[512];
			while (ww_sinks_take_notice(r.sinks, note, sizeof(note)))
				fprintf(stderr, "wirewho: watch: --output %s\n", note);
			next_periodic = now + WATCH_PERIODIC_US;
			ww_pipeline_tick(r.pl, now);
			ww_attr_periodic(r.attr, now);
			if (r.rec && ww_timeline_flush(r.rec) < 0) {
				stop_recording(&r);
				exit_code = 1;
			}
			if (!o.json && ww_mono_now() >= next_summary) {
				next_summary = ww_mono_now() + WATCH_SUMMARY_EVERY_S;
				summary_line(stdout, r.pl, r.cap, o.iface, ww_mono_now() - t0);
			}
			if (next_stats > 0 && ww_mono_now() >= next_stats) {
				uint64_t rv, dr;
				next_stats += (double)o.stats_every_s;
				capture_totals(&r, &rv, &dr);
				int src = ww_pipeline_stats_record(r.pl, now, ww_mono_now() - t0, dr);
				if (src < 0) {
					ww_cli_report_output_failure("wirewho: watch", src);
					exit_code = 1;
					stop_sig = SIGPIPE;   /* reported: not again at the finish */
					break;
				}
			}
		}
		/* What this wake-up wrote goes out now (see the setvbuf() above). */
		if (fflush(out) != 0) {
			ww_cli_report_output_failure("wirewho: watch", -EIO);
			exit_code = 1;
			stop_sig = SIGPIPE;   /* reported: not again at the finish */
			break;
		}
	}

	/* --- clean stop: the ring, open flows, folded alerts, final stats --- */
	if (r.cap && stop_sig != SIGPIPE) {
		bool rec_failed = false;
		drain_ring(&r, ww_capture_datalink(r.cap), &rec_failed);
		if (rec_failed) {
			stop_recording(&r);   /* the file and the reason, and the end line */
			exit_code = 1;
		}
	}
	uint64_t received, dropped;
	capture_totals(&r, &received, &dropped);
	const struct ww_stats *st = ww_pipeline_stats(r.pl);
	/* What reached the capture and was neither analysed nor dropped: still
	 * in the ring past the drain's bound, arrived after it, or skipped by
	 * libpcap (the outgoing copy of each packet on lo). */
	ww_pipeline_capture_counts(r.pl, received,
				   received > st->packets + dropped ? received - st->packets - dropped : 0);
	int frc = ww_pipeline_finish(r.pl, ww_wall_now(), ww_mono_now() - t0, dropped);
	if (frc < 0) {
		if (stop_sig != SIGPIPE)
			ww_cli_report_output_failure("wirewho: watch", frc);
		exit_code = 1;
	}
	if (r.rec) {
		char why[512];
		snprintf(why, sizeof(why), "%s", ww_timeline_error(r.rec) ? ww_timeline_error(r.rec) : "");
		if (ww_timeline_close(r.rec) < 0) {
			fprintf(stderr, "wirewho: watch: --record: closing %s failed: %s\n", o.record,
				why[0] ? why : "write error");
			exit_code = 1;
		}
	}
	r.rec = NULL;
	if (r.sinks) {
		char serr[512];
		ww_pipeline_free(r.pl);   /* nothing is written to the sinks after this */
		r.pl = NULL;
		int src = ww_sinks_close(r.sinks, WATCH_SINK_DRAIN_S, say_notice, (void *)"watch",
					 serr, sizeof(serr));
		if (src < 0) {
			fprintf(stderr, "wirewho: watch: --output: %s\n", serr);
			exit_code = 1;
		}
		r.sinks = NULL;
	}
	run_free(&r);
	return exit_code;
oom:
	fprintf(stderr, "wirewho: watch: out of memory\n");
fail:
	if (r.rec)
		ww_timeline_close(r.rec);
	run_free(&r);
	ww_policy_free(policy);
	return 1;
}
