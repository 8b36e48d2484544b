/*
 * cmd_replay.c - `wirewho replay`: capture files through the pipeline, in
 * the order given, as fast as the machine reads them.
 *
 * Every input problem is one line on stderr that names the file or flag and
 * the reason. A replay keeps going past an unreadable or truncated file so
 * the flows read so far are still emitted, and exits 2 at the end; a write
 * failure or running out of memory stops it with exit 1.
 *
 * With `--sockets`, flows are attributed from a timeline that `watch
 * --record` wrote (status "recorded") and judged by `--policy`; the
 * timeline is checked against the capture's first packet so that one run's
 * timeline is not applied to another's packets; with --sockets there must be
 * exactly one capture, a file (standard input cannot be read twice).
 */
#include "wirewho/attribute.h"
#include "wirewho/capture.h"
#include "wirewho/cli.h"
#include "wirewho/cmd.h"
#include "wirewho/decode.h"
#include "wirewho/judge_flow.h"
#include "wirewho/pipeline.h"
#include "wirewho/netscope.h"
#include "wirewho/policy.h"
#include "wirewho/ports.h"
#include "wirewho/sink.h"
#include "wirewho/timeline.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WW_PROGRESS_EVERY_PKTS 65536   /* check the clock this often: cheap, ~10 Hz at speed */

static const char replay_usage[] =
	"usage: wirewho replay [OPTIONS] FILE...\n"
	"\n"
	"Read pcap and pcapng files (- for standard input) in the order given, as one\n"
	"stream of packets: track every flow, name its protocol, judge it.\n"
	"\n"
	"  --json                 NDJSON records on stdout (flow, alert, stats)\n"
	"  -f, --filter EXPR      BPF filter, as tcpdump takes it\n"
	"  -q, --quiet            alerts only, no flow records\n"
	"  --policy FILE          rules that explain expected processes, ports and peers\n"
	"  --home-net CIDR,...    the site's own networks: every other peer is internet\n"
	"  --sockets FILE         socket/process timeline recorded by `watch --record`\n"
	"  --max-flows N          flows tracked at once (default 1000000); the least\n"
	"                         recently active are evicted beyond it\n"
	"  --timeout CLASS=S[,CLASS=S...]\n"
	"                         idle timeouts in seconds; CLASS is tcp (established,\n"
	"                         300), tcp-new (30), closed (10), udp (60), other (30)\n"
	"  --ports FILE           add or change the standard ports of protocols\n"
	"  --no-progress          no progress line on a terminal\n"
	"  --no-classify          skip payload classification (to measure its cost)\n"
	"  --no-decap             do not take tunnels off (GRE, VXLAN, Geneve, IP-in-IP...)\n"
	"  --vxlan-port N         also read UDP port N as VXLAN (4789 always is); up to 8\n"
	WW_SINK_USAGE
	"  -h, --help             this text\n"
	"\n"
	"Options may come before or after the files. See wirewho(8).\n"
	"\n"
	"Exit status: 0 ran to the end, 1 runtime failure (output error, out of\n"
	"memory), 2 bad usage or unreadable input (a capture, policy, ports or\n"
	"timeline file).\n";

struct replay_opts {
	struct ww_pipeline_cfg pc;
	const char *filter;
	const char *policy;
	const char *sockets;
	const char *ports;
	bool progress;
	uint16_t vxlan[WW_DECODE_MAX_VXLAN_PORTS];   /* --vxlan-port */
	struct ww_sinks_cfg sinks;                   /* --output, --spool, --syslog-* */
};

#define REPLAY_SINK_DRAIN_S 30.0   /* --output: what the sinks hold at the end is sent for at
				      most this long (a replay ends faster than a broker takes it) */

/* A sink's notice (a broker away, a spool full), for people. */
static void say_notice(void *ud, const char *notice)
{
	(void)ud;
	fprintf(stderr, "wirewho: replay: --output %s\n", notice);
}

static void progress(struct ww_pipeline *pl, double t0, bool final)
{
	const struct ww_stats *s = ww_pipeline_stats(pl);
	double dt = ww_mono_now() - t0;
	fprintf(stderr, "\r%" PRIu64 " packets, %" PRIu64 " flows, %.0f packets/s%s",
		s->packets, s->flows, dt > 0 ? (double)s->packets / dt : 0.0, final ? "\n" : "");
}

static int replay_file(struct ww_pipeline *pl, const char *path, const char *filter,
		       bool show_progress, double t0, double *next_progress, bool *progress_shown,
		       bool *opened)
{
	char err[WW_CAPTURE_ERRLEN];
	struct ww_capture *c = ww_capture_open_file(path, filter, err, sizeof(err));
	const uint8_t *data;
	uint32_t caplen, wirelen;
	ww_time_t ts;
	enum ww_capture_next r;
	int dlt, rc = 0;
	uint64_t n = 0;

	if (!c) {
		fprintf(stderr, "wirewho: %s: %s\n", path, err);
		return ww_capture_oom(err) ? 1 : 2;   /* out of memory is a runtime failure */
	}
	*opened = true;
	dlt = ww_capture_datalink(c);
	if (ww_capture_mixed_linktypes(c)) {
		/* pcapng of several interfaces: each packet with its own link type */
		while ((r = ww_capture_next(c, &data, &caplen, &wirelen, &ts)) == WW_CAP_PACKET) {
			dlt = ww_capture_datalink(c);
			if (!ww_decode_linktype_supported(dlt)) {
				ww_pipeline_skip(pl, wirelen);
			} else if (ww_pipeline_packet(pl, dlt, data, caplen, wirelen, ts) < 0) {
				rc = 1;
				break;
			}
		}
	} else if (!ww_decode_linktype_supported(dlt)) {
		fprintf(stderr, "wirewho: %s: link type %d (%s) is not supported; its packets are counted but not decoded\n",
			path, dlt, ww_capture_dlt_name(dlt));
		while ((r = ww_capture_next(c, &data, &caplen, &wirelen, &ts)) == WW_CAP_PACKET)
			ww_pipeline_skip(pl, wirelen);
	} else {
		while ((r = ww_capture_next(c, &data, &caplen, &wirelen, &ts)) == WW_CAP_PACKET) {
			if (WW_UNLIKELY(ww_pipeline_packet(pl, dlt, data, caplen, wirelen, ts) < 0)) {
				rc = 1;
				break;
			}
			if (WW_UNLIKELY(show_progress && ++n % WW_PROGRESS_EVERY_PKTS == 0)) {
				double now = ww_mono_now();
				if (now >= *next_progress) {
					progress(pl, t0, false);
					*progress_shown = true;
					*next_progress = now + 0.5;
				}
			}
		}
	}
	if (ww_capture_bad_times(c))
		fprintf(stderr, "wirewho: %s: %llu packet(s) with an impossible time (after 9999, or a pcapng stamp past 2^63) "
			"(a broken or crafted capture) were given the time of the packet before\n",
			path, (unsigned long long)ww_capture_bad_times(c));
	if (r == WW_CAP_ERROR && rc == 0) {
		const char *why = ww_capture_error(c);
		if (strstr(why, "truncated"))
			fprintf(stderr, "wirewho: %s: capture is truncated (%s); flows read so far are reported\n",
				path, why);
		else
			fprintf(stderr, "wirewho: %s: %s\n", path, why);
		rc = ww_capture_oom(why) ? 1 : 2;
	}
	ww_capture_close(c);
	return rc;
}

/* What `--sockets` and `--policy` attach to a replay; freed after the pipeline. */
struct replay_attr {
	struct ww_timeline *tl;
	struct ww_judge *judge;
	struct ww_attributor *attr;
};

static void replay_attr_free(struct replay_attr *ra)
{
	ww_attr_free(ra->attr);
	ww_judge_free(ra->judge);
	ww_timeline_free(ra->tl);
	memset(ra, 0, sizeof(*ra));
}

/*
 * `replay --sockets FILE --policy FILE`: load the timeline (checked against
 * the first capture's header), the policy, and point the pipeline's
 * attribution at them. A policy without a timeline is still loaded, so a
 * broken file is an error either way. Returns 0, -EINVAL (after one line on
 * stderr naming the file and the reason) or -ENOMEM.
 */
static int setup_attribution(const char *sockets, const char *policy, const char *first_capture,
			     struct ww_pipeline_cfg *pc, struct replay_attr *ra)
{
	struct ww_policy *pol = NULL;
	char err[WW_TIMELINE_ERRLEN];

	int prc = policy ? ww_policy_load(policy, &pol, err, sizeof(err)) : 0;
	if (prc < 0) {
		fprintf(stderr, "wirewho: %s\n", err);
		return prc == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (!sockets) {
		/* Without owners there is no process to judge. */
		ww_policy_free(pol);
		return 0;
	}
	ra->tl = ww_timeline_load(sockets, err, sizeof(err));
	if (!ra->tl) {
		int e = errno;
		fprintf(stderr, "wirewho: --sockets: %s\n", err);
		ww_policy_free(pol);
		return e == ENOMEM ? -ENOMEM : -EINVAL;   /* out of memory: exit 1 */
	}
	if (first_capture && ww_timeline_check_capture(ra->tl, first_capture, err, sizeof(err)) < 0) {
		fprintf(stderr, "wirewho: --sockets %s: %s\n", sockets, err);
		ww_policy_free(pol);
		return -EINVAL;
	}
	ra->judge = ww_judge_new();
	if (!ra->judge) {
		ww_policy_free(pol);
		return -ENOMEM;
	}
	ww_judge_set_policy(ra->judge, pol);   /* the judge owns it now */
	ra->attr = ww_attr_new_recorded(ra->tl, ra->judge);
	if (!ra->attr)
		return -ENOMEM;
	pc->attrib = &ww_attr_ops;
	pc->attrib_ud = ra->attr;
	return 0;
}

int ww_cmd_replay(int argc, char **argv)
{
	enum { O_JSON = 256, O_POLICY, O_SOCKETS, O_MAXFLOWS, O_TIMEOUT, O_PORTS, O_NOPROG, O_NOCLS, O_HELP, O_HOME_NET,
	       O_NODECAP, O_VXLAN };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "filter", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "home-net", required_argument, NULL, O_HOME_NET },
		{ "sockets", required_argument, NULL, O_SOCKETS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-flows", required_argument, NULL, O_MAXFLOWS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "ports", required_argument, NULL, O_PORTS },
		{ "no-progress", no_argument, NULL, O_NOPROG },
		{ "no-classify", no_argument, NULL, O_NOCLS },
		{ "no-decap", no_argument, NULL, O_NODECAP },
		{ "vxlan-port", required_argument, NULL, O_VXLAN },
		{ "help", no_argument, NULL, O_HELP },
		WW_SINK_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts o = { .progress = true };
	unsigned long v;
	int c, k, rc = 0;
	char serr[512];

	o.pc.out = stdout;
	o.pc.none_reason = "replay without a socket timeline (--sockets)";
	optind = 1;
	opterr = 0;
	/* GNU argument order: options may follow the files, as in
	 * `wirewho replay DIR/capture.pcap --sockets DIR/sockets.ndjson`. */
	while ((c = getopt_long(argc, argv, ":f:qh", lo, NULL)) != -1) {
		switch (c) {
		case O_JSON: o.pc.mode = WW_EMIT_JSON; break;
		case 'f': o.filter = optarg; break;
		case 'q': o.pc.quiet = true; break;
		case O_POLICY: o.policy = optarg; break;
		case O_HOME_NET: {
			char err[200];
			if (ww_netscope_home_option(optarg, err, sizeof(err)) < 0)
				return ww_cli_usage_error("replay", "--home-net: %s", err);
			break;
		}
		case O_SOCKETS: o.sockets = optarg; break;
		case O_PORTS: o.ports = optarg; break;
		case O_NOPROG: o.progress = false; break;
		case O_NOCLS: o.pc.no_classify = true; break;
		case O_NODECAP: o.pc.no_decap = true; break;
		case O_VXLAN:
			if (ww_cli_add_vxlan_port("replay", optarg, o.vxlan, &o.pc.n_vxlan_ports))
				return 2;
			o.pc.vxlan_ports = o.vxlan;
			break;
		case O_MAXFLOWS:
			if (ww_cli_parse_uint(optarg, 1, 1u << 30, &v) < 0)
				return ww_cli_usage_error("replay", "--max-flows: \"%s\" is not a number from 1 to 1073741824", optarg);
			o.pc.flow.max_flows = (uint32_t)v;
			break;
		case O_TIMEOUT:
			if (ww_cli_parse_timeouts(optarg, &o.pc.flow) < 0)
				return ww_cli_usage_error("replay", "--timeout: \"%s\" is not CLASS=SECONDS[,CLASS=SECONDS...] (tcp, tcp-new, closed, udp, other; 1 to 604800 s)", optarg);
			break;
		case 'h':
		case O_HELP:
			fputs(replay_usage, stdout);
			return 0;
		default:
			if ((k = ww_sinks_cfg_option(&o.sinks, c, optarg, serr, sizeof(serr))) > 0)
				break;
			if (k < 0)
				return ww_cli_usage_error("replay", "%s", serr);
			return ww_cli_bad_option("replay", c, argv);
		}
	}
	if (optind >= argc)
		return ww_cli_usage_error("replay", "no capture file given (use - for standard input)");
	if (ww_sinks_cfg_check(&o.sinks, serr, sizeof(serr)) < 0)
		return ww_cli_usage_error("replay", "%s", serr);

	char err[WW_PORTS_ERRLEN];
	if (o.ports && (rc = ww_ports_load_user(o.ports, err, sizeof(err))) < 0) {
		fprintf(stderr, "wirewho: %s\n", err);
		return 2;
	}
	/* A timeline belongs to one capture, checked by its first packet: with
	 * several inputs all but one cannot be its capture (#17.3). */
	if (o.sockets && argc - optind > 1) {
		fprintf(stderr, "wirewho: --sockets %s: a timeline belongs to one capture, but %d capture "
			"files were given: replay its capture alone\n", o.sockets, argc - optind);
		return 2;
	}
	/* A recorded timeline attributes flows ("recorded"); the policy judges them. */
	struct replay_attr ra = { 0 };
	if ((o.sockets || o.policy) &&
	    (rc = setup_attribution(o.sockets, o.policy, argv[optind], &o.pc, &ra)) < 0) {
		replay_attr_free(&ra);
		return rc == -ENOMEM ? 1 : 2;   /* out of memory is a runtime failure */
	}

	o.pc.color = false;
	o.pc.output_thread = true;
	o.pc.analysis_thread = true;
	/* Records are written whole (one fwrite each); a large buffer makes
	 * that a few big writes instead of one per 4 KiB. */
	static char outbuf[1 << 20];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	struct ww_sinks *sinks = NULL;
	if (!ww_sinks_stdout_only(&o.sinks)) {
		o.sinks.wait_when_full = true;   /* no capture to protect: the sinks set the pace */
		sinks = ww_sinks_open(&o.sinks, serr, sizeof(serr));
		if (!sinks) {
			fprintf(stderr, "wirewho: replay: --output: %s\n", serr);
			replay_attr_free(&ra);
			return 1;
		}
		o.pc.out = ww_sinks_file(sinks);
		o.pc.mode = WW_EMIT_JSON;   /* sinks carry records, not the table for people */
	}
	struct ww_pipeline *pl = ww_pipeline_new(&o.pc);
	if (!pl) {
		fprintf(stderr, "wirewho: out of memory creating the flow table (--max-flows)\n");
		ww_sinks_close(sinks, 0, NULL, NULL, NULL, 0);
		replay_attr_free(&ra);
		return 1;
	}
	double t0 = ww_mono_now(), next_progress = t0 + 1.0;
	bool show = o.progress && isatty(STDERR_FILENO), shown = false, opened = false;
	int worst = 0;
	for (int i = optind; i < argc; i++) {
		int r = replay_file(pl, argv[i], o.filter, show, t0, &next_progress, &shown, &opened);
		if (r == 1) {
			worst = 1;
			break;
		}
		if (r > worst)
			worst = r;
	}
	if (shown)
		progress(pl, t0, true);
	ww_time_t end = ww_pipeline_now(pl);
	if (!opened) {
		/* Nothing could be read: the error lines are the whole answer. */
		ww_pipeline_free(pl);
		ww_sinks_close(sinks, 0, NULL, NULL, NULL, 0);
		replay_attr_free(&ra);
		return worst;
	}
	int frc = ww_pipeline_finish(pl, end ? end : ww_wall_now(), ww_mono_now() - t0, 0);
	if (frc < 0) {
		ww_cli_report_output_failure("wirewho", frc);
		worst = 1;
	}
	ww_pipeline_free(pl);
	if (sinks && ww_sinks_close(sinks, REPLAY_SINK_DRAIN_S, say_notice, NULL, serr, sizeof(serr)) < 0) {
		fprintf(stderr, "wirewho: replay: --output: %s\n", serr);
		worst = worst ? worst : 1;
	}
	replay_attr_free(&ra);
	return worst;
}

