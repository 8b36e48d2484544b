/*
 * sink.h - where records go besides stdout: files, syslog (local and over
 * TCP), NATS JetStream; with an optional on-disk spool (spool.h).
 *
 * The writers (emit.h) write NDJSON lines to a FILE. A sink set hands them
 * a FILE of its own (fopencookie): each complete line becomes one record,
 * numbered by a per-run sequence, given the sending host's identity, and
 * put on each sink's bounded queue. Each sink has a thread that takes
 * records off its queue and writes, sends or publishes them, so the
 * capture path never waits for a disk, a syslog daemon or a broker: a full
 * queue drops the record and counts it (ww_sinks_dropped(), shown as
 * stats.sink_dropped). A nats:// sink with a spool keeps every record on
 * disk until the stream acknowledged it instead (spool.h).
 */
#ifndef WIREWHO_SINK_H
#define WIREWHO_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WW_SINKS_MAX 8   /* --output given at most this often: more is a usage error */

struct ww_sinks_cfg {
	const char *outputs[WW_SINKS_MAX];   /* "-", "file:PATH", "syslog", "syslog+tcp://H:P", "nats://..." */
	size_t n_outputs;
	const char *spool_dir;               /* NULL: no spool */
	uint64_t spool_max_bytes;            /* 0: the default (WW_SPOOL_DEFAULT_MB) */
	int syslog_facility;                 /* 0..23; the default is 1 (user) */
	bool facility_set;
	bool wait_when_full;                 /* replay, sockets: a full queue waits for its sink
						(nothing to protect: no capture is running);
						watch: drops and counts, never waits */
	const char *syslog_app;              /* NULL: "wirewho" */
};

/* The identity records carry (host.name, host.machine_id, host.boot_id). */
struct ww_host_id {
	char name[256];
	char machine_id[64];
	char boot_id[64];
};

struct ww_sinks;

/*
 * The options of every command that writes records (watch, replay,
 * sockets): put WW_SINK_LONGOPTS in the getopt_long() table and hand every
 * option it returns to ww_sinks_cfg_option().
 */
enum {
	WW_SINK_OPT_OUTPUT = 0x5100, WW_SINK_OPT_SPOOL, WW_SINK_OPT_SPOOL_MAX,
	WW_SINK_OPT_FACILITY, WW_SINK_OPT_APP,
};
#define WW_SINK_LONGOPTS \
	{ "output", required_argument, NULL, WW_SINK_OPT_OUTPUT }, \
	{ "spool", required_argument, NULL, WW_SINK_OPT_SPOOL }, \
	{ "spool-max-mb", required_argument, NULL, WW_SINK_OPT_SPOOL_MAX }, \
	{ "syslog-facility", required_argument, NULL, WW_SINK_OPT_FACILITY }, \
	{ "syslog-app", required_argument, NULL, WW_SINK_OPT_APP }
/* The lines of these options in a command's --help. */
#define WW_SINK_USAGE \
	"  --output SINK          where records go (repeatable; default -, stdout):\n" \
	"                         -, file:PATH (reopened on SIGUSR1), syslog,\n" \
	"                         syslog+tcp://HOST:PORT, nats://HOST:PORT[,...]/SUBJECT;\n" \
	"                         any but - implies --json and adds host and seq\n" \
	"  --spool DIR            nats://: keep records on disk until acknowledged\n" \
	"  --spool-max-mb N       the spool's size; beyond it the oldest are dropped\n" \
	"                         (default 256)\n" \
	"  --syslog-facility F    syslog: facility name or number (default user)\n" \
	"  --syslog-app NAME      syslog: APP-NAME (default wirewho)\n"
/*
 * One option into cfg: 1 when it was a sink option, 0 when it is not one,
 * -EINVAL with the reason in err (a bad SINK, too many, a bad number).
 */
int ww_sinks_cfg_option(struct ww_sinks_cfg *cfg, int opt, const char *arg, char *err, size_t errsz);
/* After parsing: --spool without a nats:// sink, and the like. 0 or -EINVAL. */
int ww_sinks_cfg_check(const struct ww_sinks_cfg *cfg, char *err, size_t errsz);

/*
 * Check one --output value without opening anything (usage errors are
 * found before a capture opens). 0, or -EINVAL with the reason in err;
 * -ENOTSUP for nats:// in a build without libnats.
 */
int ww_sinks_check_spec(const char *spec, char *err, size_t errsz);
/* "daemon", "local0".."local7", ... or a number 0..23 into *fac: 0 or -EINVAL. */
int ww_sinks_parse_facility(const char *s, int *fac);
/* True when the configuration writes only to stdout (no --output, or only "-"). */
bool ww_sinks_stdout_only(const struct ww_sinks_cfg *cfg);

/*
 * Open every sink of cfg (files created, sockets connected lazily: a
 * syslog daemon or broker that is down now is retried by the sink's
 * thread) and start their threads. Returns NULL with the reason in err
 * (a file that cannot be opened, a spool directory that cannot be made,
 * out of memory).
 */
struct ww_sinks *ww_sinks_open(const struct ww_sinks_cfg *cfg, char *err, size_t errsz);
/* The FILE the writers write to; its lines go to every sink. Never NULL. */
FILE *ww_sinks_file(struct ww_sinks *s);
/* Ask every file: sink to reopen its file (SIGUSR1, logrotate);
 * async-signal-safe. */
void ww_sinks_request_reopen(void);
/* Records dropped so far (queue full, spool full, unsent at the end). */
uint64_t ww_sinks_dropped(const struct ww_sinks *s);
/*
 * Take the oldest notice for people (a broker unreachable, a spool that
 * dropped its oldest records) into buf: 1 when one was taken, 0 when none.
 * The command prints it on stderr.
 */
int ww_sinks_take_notice(struct ww_sinks *s, char *buf, size_t bufsz);
/*
 * Flush the FILE, let every sink send what it holds for at most drain_s
 * seconds (records of a spooled sink stay in its spool for the next run),
 * stop the threads, hand the notices still held to `say` (may be NULL) and
 * free. Returns 0, or -EIO when records were dropped or a sink failed (the
 * reason in err). NULL is allowed (0).
 */
typedef void ww_sinks_say_fn(void *ud, const char *notice);
int ww_sinks_close(struct ww_sinks *s, double drain_s, ww_sinks_say_fn *say, void *ud,
		   char *err, size_t errsz);

/* A nats://HOST:PORT[,HOST:PORT...]/SUBJECT value, split. */
#define WW_NATS_MAX_SERVERS 8
struct ww_nats_url {
	char servers[WW_NATS_MAX_SERVERS][300];   /* each "nats://HOST:PORT" */
	size_t n;
	char subject[256];                        /* may hold {host} and {type} */
};
/* 0, or -EINVAL with the reason in err. Works without libnats. */
int ww_nats_parse_url(const char *spec, struct ww_nats_url *u, char *err, size_t errsz);
/* True when this build has the NATS sink and `collect` (libnats). */
bool ww_nats_built(void);

/* This host's identity (gethostname, /etc/machine-id, the kernel's boot
 * id); fields that cannot be read are "". Can't fail. */
void ww_host_id_read(struct ww_host_id *h);

/*
 * One NDJSON line (without its newline) with `"host":{...},"seq":N` (and
 * for a stats record `"sink_dropped":D`) added before its closing brace,
 * into out (malloc'd, *outlen its length, no newline). Returns 0, -EINVAL
 * for a line that is not an object, -ENOMEM.
 */
int ww_sink_enrich(const char *line, size_t len, const struct ww_host_id *h, uint64_t seq,
		   uint64_t dropped, char **out, size_t *outlen);
/* The record's type ("flow", "alert", ...) from its leading "type" field
 * into buf (at most bufsz-1 bytes); "record" when there is none. */
void ww_sink_record_type(const char *line, size_t len, char *buf, size_t bufsz);

#endif
