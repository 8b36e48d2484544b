/*
 * cmd_collect.c - `wirewho collect`: the central side of a fleet. Reads
 * the records that the hosts' nats:// sinks published to a JetStream
 * stream, with a durable pull consumer, and writes them as NDJSON to
 * stdout; the consumer remembers where it left off, so the next run goes
 * on from there.
 *
 * A batch is fetched (COLLECT_BATCH messages, waiting at most
 * COLLECT_FETCH_MS), written and flushed to stdout, and only then
 * acknowledged: a collector that dies mid-batch writes that batch again
 * next time (at least once), never skips it. --host and --type filter (by
 * the record's own host.name or host.machine_id and its type); what they
 * leave out is acknowledged too, as it was read. Without --follow the run
 * ends once the stream has nothing new for --idle seconds (default 2).
 *
 * The stream is looked up by name (--stream, default WIREWHO) and created
 * when missing, over the subject with {host} and {type} as wildcards, with
 * --replicas copies and the duplicate window COLLECT_DUP_WINDOW_S that
 * lets the stream drop the records a sink sends again.
 */
#include "wirewho/cli.h"
#include "wirewho/cmd.h"
#include "wirewho/sink.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COLLECT_BATCH        512     /* messages per fetch */
#define COLLECT_FETCH_MS     500     /* a fetch waits at most this long */
#define COLLECT_IDLE_S       2       /* without --follow: done after this long with nothing new */
#define COLLECT_DUP_WINDOW_S 120     /* the stream's duplicate window (the NATS default): a
					record sent again within it is dropped by the stream */

static const char collect_usage[] =
	"usage: wirewho collect [OPTIONS] nats://HOST:PORT[,HOST:PORT...]/SUBJECT\n"
	"\n"
	"Read the records that hosts published with --output nats://... from the\n"
	"JetStream stream, as NDJSON on stdout, resuming where the last run ended.\n"
	"\n"
	"  --durable NAME         the consumer that remembers the position\n"
	"                         (default wirewho-collect)\n"
	"  --host H               only records of the host named H (or machine id H)\n"
	"  --type T               only records of type T (flow, alert, stats, socket)\n"
	"  --stream NAME          the stream (default WIREWHO); created when missing\n"
	"  --replicas N           copies of a stream this run creates (default 1)\n"
	"  --follow               keep reading new records until SIGINT/SIGTERM\n"
	"  --idle SECS            without --follow: stop after SECS with nothing new\n"
	"                         (default 2)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 read to the end, 1 the broker failed, 2 bad usage.\n";

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

struct collect_opts {
	const char *url, *durable, *host, *type, *stream;
	unsigned long replicas, idle_s;
	bool follow;
};

enum { O_DURABLE = 0x300, O_HOST, O_TYPE, O_STREAM, O_REPLICAS, O_FOLLOW, O_IDLE };

static int parse_opts(int argc, char **argv, struct collect_opts *o)
{
	static const struct option lo[] = {
		{ "durable", required_argument, NULL, O_DURABLE },
		{ "host", required_argument, NULL, O_HOST },
		{ "type", required_argument, NULL, O_TYPE },
		{ "stream", required_argument, NULL, O_STREAM },
		{ "replicas", required_argument, NULL, O_REPLICAS },
		{ "follow", no_argument, NULL, O_FOLLOW },
		{ "idle", required_argument, NULL, O_IDLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	o->durable = "wirewho-collect";
	o->stream = "WIREWHO";
	o->replicas = 1;
	o->idle_s = COLLECT_IDLE_S;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case O_DURABLE: o->durable = optarg; break;
		case O_HOST: o->host = optarg; break;
		case O_TYPE: o->type = optarg; break;
		case O_STREAM: o->stream = optarg; break;
		case O_FOLLOW: o->follow = true; break;
		case O_REPLICAS:
			if (ww_cli_parse_uint(optarg, 1, 5, &o->replicas) < 0)
				return ww_cli_usage_error("collect", "--replicas: \"%s\" is not a number from 1 to 5", optarg);
			break;
		case O_IDLE:
			if (ww_cli_parse_uint(optarg, 1, 86400, &o->idle_s) < 0)
				return ww_cli_usage_error("collect", "--idle: \"%s\" is not a number of seconds from 1 to 86400", optarg);
			break;
		case 'h':
			fputs(collect_usage, stdout);
			return -1;
		default:
			return ww_cli_bad_option("collect", c, argv);
		}
	}
	if (optind >= argc)
		return ww_cli_usage_error("collect", "no stream given: nats://HOST:PORT[,HOST:PORT...]/SUBJECT");
	if (optind + 1 < argc)
		return ww_cli_usage_error("collect", "unexpected argument \"%s\"", argv[optind + 1]);
	o->url = argv[optind];
	for (const char *p = o->durable; *p; p++)
		if (*p == '.' || *p == '*' || *p == '>' || *p == ' ')
			return ww_cli_usage_error("collect", "--durable: \"%s\" may not hold '.', '*', '>' or spaces", o->durable);
	return 0;
}

/* Does the record pass --host and --type? */
static bool wanted(const struct collect_opts *o, const char *data, size_t len)
{
	if (o->type) {
		char t[24];
		ww_sink_record_type(data, len, t, sizeof(t));
		if (strcmp(t, o->type) != 0)
			return false;
	}
	if (o->host) {
		/* the sink writes "host":{"name":"N","machine_id":"M",...}; quotes inside
		 * strings are escaped, so these bytes only occur as the field itself */
		char a[400], b[400];
		snprintf(a, sizeof(a), "\"host\":{\"name\":\"%s\",", o->host);
		snprintf(b, sizeof(b), "\"machine_id\":\"%s\",", o->host);
		char *copy = strndup(data, len);
		bool ok = copy && (strstr(copy, a) || (strstr(copy, "\"host\":{") && strstr(copy, b)));
		free(copy);
		return ok;
	}
	return true;
}

#ifndef WW_HAVE_NATS

int ww_cmd_collect(int argc, char **argv)
{
	struct collect_opts o = { 0 };
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	(void)wanted;
	(void)on_signal;
	fprintf(stderr, "wirewho: collect: this wirewho was built without libnats (install libnats-dev "
		"and build with meson -Dnats=enabled)\n");
	return 1;
}

#else

#include <nats/nats.h>

/* The stream's subject: {host} and {type} as the wildcard '*'. */
static void wildcard_subject(const char *tmpl, char *out, size_t sz)
{
	size_t o = 0;
	while (*tmpl && o + 2 < sz) {
		if (strncmp(tmpl, "{host}", 6) == 0 || strncmp(tmpl, "{type}", 6) == 0) {
			out[o++] = '*';
			tmpl += 6;
		} else {
			out[o++] = *tmpl++;
		}
	}
	out[o] = '\0';
}

static int ensure_stream(jsCtx *js, const struct collect_opts *o, const char *subject)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus st = js_GetStreamInfo(&si, js, o->stream, NULL, &jerr);
	if (st == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (st != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
		fprintf(stderr, "wirewho: collect: stream %s: %s\n", o->stream, natsStatus_GetText(st));
		return -1;
	}
	jsStreamConfig cfg;
	jsStreamConfig_Init(&cfg);
	const char *subjects[1] = { subject };
	cfg.Name = o->stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = (int64_t)o->replicas;
	cfg.Duplicates = (int64_t)COLLECT_DUP_WINDOW_S * 1000000000LL;
	st = js_AddStream(&si, js, &cfg, NULL, &jerr);
	if (st != NATS_OK) {
		fprintf(stderr, "wirewho: collect: cannot create stream %s over %s (%d replicas): %s (%d)\n",
			o->stream, subject, (int)o->replicas, natsStatus_GetText(st), (int)jerr);
		return -1;
	}
	jsStreamInfo_Destroy(si);
	fprintf(stderr, "wirewho: collect: created stream %s over %s with %d replicas\n", o->stream,
		subject, (int)o->replicas);
	return 0;
}

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int ww_cmd_collect(int argc, char **argv)
{
	struct collect_opts o = { 0 };
	struct ww_nats_url u;
	char err[512], subject[300];
	int rc = parse_opts(argc, argv, &o), exit_code = 0;
	if (rc)
		return rc < 0 ? 0 : rc;
	if (ww_nats_parse_url(o.url, &u, err, sizeof(err)) < 0)
		return ww_cli_usage_error("collect", "%s", err);
	wildcard_subject(u.subject, subject, sizeof(subject));

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	natsConnection *nc = NULL;
	natsOptions *opts = NULL;
	jsCtx *js = NULL;
	natsSubscription *sub = NULL;
	const char *servers[WW_NATS_MAX_SERVERS];
	for (size_t i = 0; i < u.n; i++)
		servers[i] = u.servers[i];
	natsStatus st = natsOptions_Create(&opts);
	if (st == NATS_OK) st = natsOptions_SetServers(opts, servers, (int)u.n);
	if (st == NATS_OK) st = natsOptions_SetMaxReconnect(opts, -1);
	if (st == NATS_OK) st = natsOptions_SetReconnectWait(opts, 250);
	if (st == NATS_OK) st = natsConnection_Connect(&nc, opts);
	natsOptions_Destroy(opts);
	if (st != NATS_OK) {
		fprintf(stderr, "wirewho: collect: cannot connect to %s: %s\n", o.url, natsStatus_GetText(st));
		return 1;
	}
	if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK || ensure_stream(js, &o, subject) < 0) {
		exit_code = 1;
		goto out;
	}
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = o.stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.DeliverPolicy = js_DeliverAll;
	jsErrCode jerr = 0;
	st = js_PullSubscribe(&sub, js, subject, o.durable, NULL, &so, &jerr);
	if (st != NATS_OK) {
		fprintf(stderr, "wirewho: collect: consumer %s on %s: %s (%d)\n", o.durable, subject,
			natsStatus_GetText(st), (int)jerr);
		exit_code = 1;
		goto out;
	}
	double last = mono();
	while (!stop_sig) {
		natsMsgList list = { 0 };
		st = natsSubscription_Fetch(&list, sub, COLLECT_BATCH, COLLECT_FETCH_MS, &jerr);
		if (st == NATS_TIMEOUT || (st == NATS_OK && list.Count == 0)) {
			natsMsgList_Destroy(&list);
			if (!o.follow && mono() - last >= (double)o.idle_s)
				break;
			continue;
		}
		if (st != NATS_OK) {
			natsMsgList_Destroy(&list);
			/* a broker restarting: libnats reconnects; give up only without --follow */
			if (!o.follow && mono() - last >= (double)o.idle_s + 30) {
				fprintf(stderr, "wirewho: collect: fetch: %s\n", natsStatus_GetText(st));
				exit_code = 1;
				break;
			}
			struct timespec ts = { 0, 200000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		last = mono();
		for (int i = 0; i < list.Count; i++) {
			const char *d = natsMsg_GetData(list.Msgs[i]);
			size_t l = (size_t)natsMsg_GetDataLength(list.Msgs[i]);
			if (d && l && wanted(&o, d, l)) {
				fwrite(d, 1, l, stdout);
				fputc('\n', stdout);
			}
		}
		/* written before acknowledged: a record is never lost between the two */
		if (fflush(stdout) != 0 || ferror(stdout)) {
			ww_cli_report_output_failure("wirewho: collect", -EIO);
			natsMsgList_Destroy(&list);
			exit_code = 1;
			break;
		}
		for (int i = 0; i < list.Count; i++)
			natsMsg_Ack(list.Msgs[i], NULL);
		natsMsgList_Destroy(&list);
	}
	natsConnection_FlushTimeout(nc, 5000);   /* the acknowledgements are out */
out:
	if (sub)
		natsSubscription_Destroy(sub);
	if (js)
		jsCtx_Destroy(js);
	natsConnection_Close(nc);
	natsConnection_Destroy(nc);
	return exit_code;
}

#endif
