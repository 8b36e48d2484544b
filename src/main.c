/*
 * main.c - the command line: parse options, wire the stages, map failures
 * to exit codes (0 ran to the end, 1 runtime failure, 2 bad usage or
 * unreadable input; see ../shared/spec/interface.md).
 *
 * Every input problem is one line on stderr that names the file or flag and
 * the reason. A replay keeps going past an unreadable or truncated file so
 * the flows read so far are still emitted, and exits 2 at the end.
 */
#include "wirewho/attribute.h"
#include "wirewho/capture.h"
#include "wirewho/decode.h"
#include "wirewho/pipeline.h"
#include "wirewho/ports.h"
#include "wirewho/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WW_PROGRESS_EVERY_PKTS 65536   /* check the clock this often: cheap, ~10 Hz at speed */

static const char usage_text[] =
	"usage: wirewho replay [OPTIONS] FILE...      read pcap/pcapng files (- for stdin)\n"
	"       wirewho watch  [OPTIONS] -i IFACE     capture live on an interface (any = all)\n"
	"       wirewho sockets [OPTIONS]             audit this host's socket table\n"
	"       wirewho --help | --version\n";

static const char help_text[] =
	"\n"
	"Common options:\n"
	"  --json               NDJSON records on stdout (flow, alert, socket, stats)\n"
	"  -f, --filter EXPR    BPF filter, as tcpdump takes it (replay, watch)\n"
	"  --policy FILE        rules that explain expected processes, ports and peers\n"
	"  -q, --quiet          alerts only, no flow records\n"
	"\n"
	"replay:\n"
	"  --sockets FILE       socket/process timeline recorded by `watch --record`\n"
	"  --max-flows N        flows tracked at once (default 1000000); the least\n"
	"                       recently active are evicted beyond it\n"
	"  --timeout CLASS=S    idle timeout in seconds; CLASS is tcp (established,\n"
	"                       300), tcp-new (30), closed (10), udp (60), other (30)\n"
	"  --ports FILE         add or change the standard ports of protocols\n"
	"  --no-progress        no progress line on a terminal\n"
	"  --no-classify        skip payload classification (to measure its cost)\n"
	"\n"
	"watch:\n"
	"  -i, --interface IF   interface to capture on (any = all)\n"
	"  --duration SECS      stop after SECS (also stops on SIGINT/SIGTERM)\n"
	"  --record DIR         also write DIR/capture.pcap and DIR/sockets.ndjson\n"
	"  --buffer-size MB     kernel capture buffer\n"
	"  --wait-for-interface wait for a missing interface instead of failing\n"
	"\n"
	"sockets: see `wirewho sockets --help`.\n"
	"\n"
	"Exit status: 0 ran to the end, 1 runtime failure, 2 bad usage or unreadable input.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "wirewho: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_text);
	return 2;
}

/* Parse a whole unsigned number in [lo, hi]; -EINVAL otherwise. */
int ww_parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_timeout(const char *arg, struct ww_flow_cfg *fc)
{
	static const struct { const char *name; enum ww_tmo_class c; } names[] = {
		{ "tcp", WW_TMO_TCP_EST }, { "tcp-new", WW_TMO_TCP_NEW },
		{ "closed", WW_TMO_CLOSED }, { "udp", WW_TMO_UDP }, { "other", WW_TMO_OTHER },
	};
	const char *eq = strchr(arg, '=');
	unsigned long v;
	if (!eq || ww_parse_uint(eq + 1, 1, 86400 * 7, &v) < 0)
		return -EINVAL;
	for (size_t i = 0; i < WW_ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == (size_t)(eq - arg) &&
		    strncmp(arg, names[i].name, (size_t)(eq - arg)) == 0) {
			fc->timeout_s[names[i].c] = (uint32_t)v;
			return 0;
		}
	return -EINVAL;
}

struct replay_opts {
	struct ww_pipeline_cfg pc;
	const char *filter;
	const char *policy;
	const char *sockets;
	const char *ports;
	bool progress;
};

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
		return 2;
	}
	*opened = true;
	dlt = ww_capture_datalink(c);
	if (!ww_decode_linktype_supported(dlt)) {
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
	if (r == WW_CAP_ERROR && rc == 0) {
		const char *why = ww_capture_error(c);
		if (strstr(why, "truncated"))
			fprintf(stderr, "wirewho: %s: capture is truncated (%s); flows read so far are reported\n",
				path, why);
		else
			fprintf(stderr, "wirewho: %s: %s\n", path, why);
		rc = 2;
	}
	ww_capture_close(c);
	return rc;
}

static int cmd_replay(int argc, char **argv)
{
	enum { O_JSON = 256, O_POLICY, O_SOCKETS, O_MAXFLOWS, O_TIMEOUT, O_PORTS, O_NOPROG, O_NOCLS, O_HELP };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "filter", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "sockets", required_argument, NULL, O_SOCKETS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "max-flows", required_argument, NULL, O_MAXFLOWS },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "ports", required_argument, NULL, O_PORTS },
		{ "no-progress", no_argument, NULL, O_NOPROG },
		{ "no-classify", no_argument, NULL, O_NOCLS },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts o = { .progress = true };
	unsigned long v;
	int c, rc = 0;

	o.pc.out = stdout;
	o.pc.none_reason = "replay without a socket timeline (--sockets)";
	optind = 1;
	opterr = 0;
	/* GNU argument order: options may follow the files, as in
	 * `wirewho replay DIR/capture.pcap --sockets DIR/sockets.ndjson`. */
	while ((c = getopt_long(argc, argv, "f:q", lo, NULL)) != -1) {
		switch (c) {
		case O_JSON: o.pc.mode = WW_EMIT_JSON; break;
		case 'f': o.filter = optarg; break;
		case 'q': o.pc.quiet = true; break;
		case O_POLICY: o.policy = optarg; break;
		case O_SOCKETS: o.sockets = optarg; break;
		case O_PORTS: o.ports = optarg; break;
		case O_NOPROG: o.progress = false; break;
		case O_NOCLS: o.pc.no_classify = true; break;
		case O_MAXFLOWS:
			if (ww_parse_uint(optarg, 1, 1u << 30, &v) < 0)
				return usage_error("--max-flows: \"%s\" is not a number from 1 to 1073741824", optarg);
			o.pc.flow.max_flows = (uint32_t)v;
			break;
		case O_TIMEOUT:
			if (parse_timeout(optarg, &o.pc.flow) < 0)
				return usage_error("--timeout: \"%s\" is not CLASS=SECONDS (tcp, tcp-new, closed, udp, other)", optarg);
			break;
		case O_HELP:
			printf("%s%s", usage_text, help_text);
			return 0;
		default:
			if (optopt && optopt < 256)
				return usage_error("replay: option -%s is unknown or needs an argument", (char[]){ (char)optopt, 0 });
			return usage_error("replay: option %s is unknown or needs an argument", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("replay: %s", "no capture file given (use - for standard input)");

	char err[WW_PORTS_ERRLEN];
	if (o.ports && (rc = ww_ports_load_user(o.ports, err, sizeof(err))) < 0) {
		fprintf(stderr, "wirewho: %s\n", err);
		return 2;
	}
	/* A recorded timeline attributes flows ("recorded"); the policy judges them. */
	if ((o.sockets || o.policy) &&
	    ww_attr_setup_replay(o.sockets, o.policy, argv[optind], &o.pc) < 0)
		return 2;   /* the loader printed file:line and the reason */

	o.pc.color = false;
	o.pc.output_thread = true;
	o.pc.analysis_thread = true;
	/* Records are written whole (one fwrite each); a large buffer makes
	 * that a few big writes instead of one per 4 KiB. */
	static char outbuf[1 << 20];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	struct ww_pipeline *pl = ww_pipeline_new(&o.pc);
	if (!pl) {
		fprintf(stderr, "wirewho: out of memory creating the flow table (--max-flows)\n");
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
		return worst;
	}
	int frc = ww_pipeline_finish(pl, end ? end : ww_wall_now(), ww_mono_now() - t0, 0);
	if (frc < 0) {
		ww_report_output_failure("wirewho", frc);
		worst = 1;
	}
	ww_pipeline_free(pl);
	return worst;
}

void ww_report_output_failure(const char *who, int rc)
{
	if (rc == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", who);
	else
		fprintf(stderr, "%s: writing output failed: %s\n", who, strerror(errno ? errno : EIO));
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "no command given");
	const char *cmd = argv[1];

	/* Output strings are built by us; make libc conversions locale-free. */
	if (ww_ports_load_services(NULL) < 0) {
		/* A missing services database is not fatal: names fall back to a
		 * built-in table, and `service` is null for the rest. */
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		printf("%s%s", usage_text, help_text);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("wirewho %s\n", WW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(cmd, "watch") == 0)
		return ww_cmd_watch(argc - 1, argv + 1);
	if (strcmp(cmd, "sockets") == 0)
		return ww_cmd_sockets(argc - 1, argv + 1);
	return usage_error("unknown command \"%s\"", cmd);
}
