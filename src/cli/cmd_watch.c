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
 * table refresh, folded alert summaries, flushing the recording, and in text
 * mode a summary line every WATCH_SUMMARY_EVERY_S. Signal handlers only set
 * flags; the loop acts on them: SIGINT/SIGTERM stop cleanly (open flows and
 * a final stats record with the kernel's drop count are written), SIGHUP
 * reloads the policy (a policy that does not parse is reported and the old
 * one kept).
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
#include "wirewho/netaddr.h"
#include "wirewho/pipeline.h"
#include "wirewho/policy.h"
#include "wirewho/procs.h"
#include "wirewho/socktab.h"
#include "wirewho/timeline.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define WATCH_POLL_MS          100    /* wake at least this often: signals, expiry, summaries */
#define WATCH_BATCH            4096   /* packets per wake-up before the loop looks around */
#define WATCH_PERIODIC_US      (WW_USEC_PER_SEC)  /* housekeeping cadence */
#define WATCH_SUMMARY_EVERY_S  10     /* text mode: a summary line this often */
#define WATCH_IFACE_POLL_MS    500    /* --wait-for-interface: how often to look */
#define WATCH_DEFAULT_BUFFER_MB 64    /* ~100 ms of 200k pps at full size: absorbs a lookup stall */
#define WATCH_MAX_BUFFER_MB    4096
#define WATCH_DEFAULT_SNAPLEN  4096   /* headers and the first payload bytes the classifier
					 reads; the kernel ring has fixed-size slots of about
					 the snaplen, so 256 KB (libpcap's default) would leave
					 a 64 MB buffer only 256 packets deep */
#define WATCH_NICE             (-15)  /* wake ahead of ordinary processes: a DNS client's
					 socket lives ~300 us, and losing the CPU for that
					 long at the first packet loses its owner */

static volatile sig_atomic_t stop_sig, reload_sig;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_sig = 1;
	else
		stop_sig = sig;
}

static const char watch_usage[] =
	"usage: wirewho watch [OPTIONS] -i IFACE\n"
	"\n"
	"Capture live on IFACE (any = all interfaces), tell which process owns each\n"
	"flow, and flag what the policy does not explain.\n"
	"\n"
	"  -i, --interface IF     interface to capture on (any = all)\n"
	"  -f, --filter EXPR      BPF filter, as tcpdump takes it\n"
	"  --json                 NDJSON records on stdout, line-buffered\n"
	"  -q, --quiet            alerts only, no flow records\n"
	"  --policy FILE          rules that explain expected processes, ports and peers\n"
	"                         (reloaded on SIGHUP)\n"
	"  --record DIR           also write DIR/capture.pcap and DIR/sockets.ndjson\n"
	"                         (replay them with: wirewho replay DIR/capture.pcap\n"
	"                         --sockets DIR/sockets.ndjson)\n"
	"  --duration SECS        stop after SECS (also stops on SIGINT/SIGTERM)\n"
	"  --buffer-size MB       kernel capture buffer (default 64)\n"
	"  --max-flows N          flows tracked at once (default 1000000)\n"
	"  --snaplen BYTES        bytes kept of each packet (default 4096: headers and\n"
	"                         the payload the classifier reads; also --record's)\n"
	"  --wait-for-interface   wait for a missing or down interface, and for one\n"
	"                         that disappears while watched, instead of exiting\n"
	"  --help                 this text\n"
	"\n"
	"Needs CAP_NET_RAW to capture; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to\n"
	"name the owners of other users' sockets. Every other capability is\n"
	"dropped once the capture is open. See wirewho(8).\n"
	"\n"
	"Exit status: 0 ran to the end, 1 runtime failure (interface missing or\n"
	"gone, capture error, output error), 2 bad usage or unreadable policy.\n";

struct watch_opts {
	const char *iface, *filter, *policy, *record;
	bool json, quiet, wait_iface;
	unsigned long duration_s, buffer_mb, max_flows, snaplen;
};

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "wirewho: watch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see wirewho watch --help)\n");
	return 2;
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

static struct ww_capture *open_capture(const struct watch_opts *o, char *err, size_t errsz)
{
	return ww_capture_open_live(o->iface, o->filter, (int)(o->buffer_mb * 1024 * 1024),
				    (int)o->snaplen, err, errsz);
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
	enum { O_JSON = 256, O_POLICY, O_RECORD, O_DURATION, O_BUFSZ, O_WAIT, O_MAXFLOWS, O_SNAPLEN, O_HELP };
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "filter", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "record", required_argument, NULL, O_RECORD },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "buffer-size", required_argument, NULL, O_BUFSZ },
		{ "max-flows", required_argument, NULL, O_MAXFLOWS },
		{ "snaplen", required_argument, NULL, O_SNAPLEN },
		{ "wait-for-interface", no_argument, NULL, O_WAIT },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->buffer_mb = WATCH_DEFAULT_BUFFER_MB;
	o->snaplen = WATCH_DEFAULT_SNAPLEN;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+i:f:q", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'f': o->filter = optarg; break;
		case 'q': o->quiet = true; break;
		case O_JSON: o->json = true; break;
		case O_POLICY: o->policy = optarg; break;
		case O_RECORD: o->record = optarg; break;
		case O_WAIT: o->wait_iface = true; break;
		case O_DURATION:
			if (ww_cli_parse_uint(optarg, 1, 10u * 365 * 86400, &o->duration_s) < 0)
				return usage("--duration: \"%s\" is not a number of seconds (1 or more)", optarg);
			break;
		case O_BUFSZ:
			if (ww_cli_parse_uint(optarg, 1, WATCH_MAX_BUFFER_MB, &o->buffer_mb) < 0)
				return usage("--buffer-size: \"%s\" is not a number of megabytes from 1 to 4096", optarg);
			break;
		case O_MAXFLOWS:
			if (ww_cli_parse_uint(optarg, 1, 1u << 30, &o->max_flows) < 0)
				return usage("--max-flows: \"%s\" is not a number from 1 to 1073741824", optarg);
			break;
		case O_SNAPLEN:
			if (ww_cli_parse_uint(optarg, 128, 262144, &o->snaplen) < 0)
				return usage("--snaplen: \"%s\" is not a number of bytes from 128 to 262144", optarg);
			break;
		case O_HELP:
			fputs(watch_usage, stdout);
			return -1;
		default:
			if (optopt && optopt < 256)
				return usage("option -%s is unknown or needs an argument", (char[]){ (char)optopt, 0 });
			return usage("option %s is unknown or needs an argument", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("unexpected argument \"%s\" (a filter goes after -f)", argv[optind]);
	if (!o->iface)
		return usage("%s", "no interface given: -i IFACE (or -i any)");
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
	struct ww_tl_writer *rec;
	struct ww_pipeline *pl;
};

static void run_free(struct run *r)
{
	ww_pipeline_free(r->pl);
	ww_attr_free(r->attr);
	ww_judge_free(r->judge);
	ww_procs_free(r->procs);
	ww_socktab_free(r->st);
	ww_netaddr_close(r->na);
	ww_capture_close(r->cap);
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

int ww_cmd_watch(int argc, char **argv)
{
	struct watch_opts o = { 0 };
	struct run r = { 0 };
	struct ww_policy *policy = NULL;
	char err[WW_CAPTURE_ERRLEN > WW_TIMELINE_ERRLEN ? WW_CAPTURE_ERRLEN : WW_TIMELINE_ERRLEN];
	int rc = parse_opts(argc, argv, &o), exit_code = 0, nerr;
	double t0, deadline = 0, next_summary;
	ww_time_t next_periodic;

	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.policy && load_policy(o.policy, &policy) < 0)
		return 2;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
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
		r.cap = open_capture(&o, err, sizeof(err));
		if (r.cap)
			break;
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
	pc.flow.max_flows = (uint32_t)o.max_flows;
	pc.out = stdout;
	pc.mode = o.json ? WW_EMIT_JSON : WW_EMIT_TEXT;
	pc.quiet = o.quiet;
	pc.color = !o.json && isatty(STDOUT_FILENO);
	pc.attrib = &ww_attr_ops;
	pc.attrib_ud = r.attr;
	pc.live = true;
	setvbuf(stdout, NULL, _IOLBF, 0);   /* one record, one line, out at once */
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
			ww_capture_close(r.cap);
			r.cap = NULL;
			while (!r.cap) {
				if (wait_for_iface(o.iface, deadline) < 0)
					break;
				r.cap = open_capture(&o, err, sizeof(err));
				if (!r.cap && ww_capture_probe(o.iface) == 0) {
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
		}
	}

	/* --- clean stop: open flows, folded alerts, final stats --- */
	uint64_t dropped = 0;
	if (r.cap)
		ww_capture_dropped(r.cap, &dropped);
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
