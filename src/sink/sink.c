/*
 * sink.c - the sink set: the FILE the writers write to, records numbered
 * and given the host's identity, fanned out to each sink's bounded queue;
 * the file, syslog and syslog+tcp sinks and their threads.
 *
 * The writers keep writing to a FILE, as they do to stdout, so the record
 * formats and the emitter's own output thread are untouched: the FILE is a
 * fopencookie() whose write function cuts the bytes into lines. A line is
 * one record; it gets the run's next sequence number, and a copy with
 * `"host":{...},"seq":N` before its closing brace goes on the queue of
 * every sink but stdout (stdout gets the line as it was, so `--output -`
 * writes what wirewho always wrote). Pushing never waits: a queue that is
 * full (SINK_QUEUE_RECS records or SINK_QUEUE_BYTES) drops the record and
 * counts it, because a capture that stalls loses packets, which is worse
 * than a counted gap in one sink.
 *
 * Each sink's thread pops records and writes them: file: with write() in
 * O_APPEND (reopened when SIGUSR1 asked, between two records, so logrotate's
 * rename-then-signal loses nothing); syslog: one RFC 5424 message per
 * datagram on /dev/log; syslog+tcp: RFC 5424 framed by octet counting (RFC
 * 6587), reconnecting every SINK_RETRY_MS while the daemon is away, the
 * record in hand kept until it is sent (a record cut by a failed send is
 * sent again whole on the next connection: the receiver may see it twice,
 * never half). A syslog message is `<PRI>1 TIMESTAMP HOST APP PID TYPE
 * [wirewho@32473 seq="N"] JSON`: severity warning for alerts, info
 * otherwise; 32473 is the private enterprise number RFC 5612 sets aside for
 * documentation, as no number is registered for wirewho.
 */
#include "sink_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SYSLOG_PEN        "32473"          /* RFC 5612: the documentation enterprise number */
#define SYSLOG_DEV        "/dev/log"
#define SYSLOG_MAX_DGRAM  (200u << 10)     /* a local datagram longer than this is cut (rsyslog's
					      default maximum is 8 KiB anyway) */
#define FILE_BATCH        (256u << 10)     /* a file sink writes this much per write() */

static volatile sig_atomic_t reopen_gen;   /* bumped by SIGUSR1 */

void ww_sinks_request_reopen(void)
{
	reopen_gen++;
}

double ww_sink_mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void ww_sink_drop(struct ww_sinks *set, uint64_t n)
{
	atomic_fetch_add(&set->dropped, n);
}

uint64_t ww_sinks_dropped(const struct ww_sinks *s)
{
	return s ? atomic_load(&((struct ww_sinks *)s)->dropped) : 0;
}

void ww_sink_notice(struct ww_sinks *set, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&set->nmu);
	if (set->n_tail - set->n_head < 8) {
		va_start(ap, fmt);
		vsnprintf(set->notice[set->n_tail % 8], sizeof(set->notice[0]), fmt, ap);
		va_end(ap);
		set->n_tail++;
	}
	pthread_mutex_unlock(&set->nmu);
}

int ww_sinks_take_notice(struct ww_sinks *s, char *buf, size_t bufsz)
{
	int got = 0;
	if (!s)
		return 0;
	pthread_mutex_lock(&s->nmu);
	if (s->n_head != s->n_tail) {
		snprintf(buf, bufsz, "%s", s->notice[s->n_head % 8]);
		s->n_head++;
		got = 1;
	}
	pthread_mutex_unlock(&s->nmu);
	return got;
}

/* ---- identity and the record's added fields ------------------------------ */

static void read_line_file(const char *path, char *buf, size_t sz)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)sz, f))
		buf[strcspn(buf, "\r\n")] = '\0';
	fclose(f);
}

void ww_host_id_read(struct ww_host_id *h)
{
	memset(h, 0, sizeof(*h));
	if (gethostname(h->name, sizeof(h->name) - 1) < 0)
		h->name[0] = '\0';
	read_line_file("/etc/machine-id", h->machine_id, sizeof(h->machine_id));
	read_line_file("/proc/sys/kernel/random/boot_id", h->boot_id, sizeof(h->boot_id));
}

/* Append s as a JSON string's contents, escaped (the host name is the
 * administrator's, the ids are files: not trusted to be clean). */
static size_t put_escaped(char *o, const char *s)
{
	size_t n = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			o[n++] = '\\';
			o[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)sprintf(o + n, "\\u%04x", c);
		} else {
			o[n++] = (char)c;
		}
	}
	return n;
}

void ww_sink_record_type(const char *line, size_t len, char *buf, size_t bufsz)
{
	static const char key[] = "{\"type\":\"";
	size_t k = sizeof(key) - 1, i;
	snprintf(buf, bufsz, "record");
	if (len <= k || memcmp(line, key, k) != 0)
		return;
	for (i = 0; k + i < len && i + 1 < bufsz; i++) {
		char c = line[k + i];
		if (c == '"')
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return;   /* not a plain name: "record" (never a subject wildcard) */
	}
	if (i && k + i < len && line[k + i] == '"') {
		memcpy(buf, line + k, i);
		buf[i] = '\0';
	}
}

/* The bytes an enriched line of len bytes needs at most (each identity byte
 * escaped to 6, the numbers, the names, a NUL). */
static size_t enrich_cap(size_t len, const struct ww_host_id *h)
{
	return len + 6 * (strlen(h->name) + strlen(h->machine_id) + strlen(h->boot_id)) + 160;
}

/* Enrich into o (enrich_cap() bytes); its length, or 0 when the line is not
 * an object. */
static size_t enrich_into(char *o, const char *line, size_t len, const struct ww_host_id *h,
			  uint64_t seq, uint64_t dropped, char *type, size_t typesz)
{
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
		len--;
	if (len < 2 || line[0] != '{' || line[len - 1] != '}')
		return 0;
	ww_sink_record_type(line, len, type, typesz);
	size_t n = len - 1;
	memcpy(o, line, n);
	if (len > 2)
		o[n++] = ',';
	if (strcmp(type, "stats") == 0)
		n += (size_t)sprintf(o + n, "\"sink_dropped\":%" PRIu64 ",", dropped);
	n += (size_t)sprintf(o + n, "\"host\":{\"name\":\"");
	n += put_escaped(o + n, h->name);
	n += (size_t)sprintf(o + n, "\",\"machine_id\":\"");
	n += put_escaped(o + n, h->machine_id);
	n += (size_t)sprintf(o + n, "\",\"boot_id\":\"");
	n += put_escaped(o + n, h->boot_id);
	n += (size_t)sprintf(o + n, "\"},\"seq\":%" PRIu64 "}", seq);
	o[n] = '\0';
	return n;
}

int ww_sink_enrich(const char *line, size_t len, const struct ww_host_id *h, uint64_t seq,
		   uint64_t dropped, char **out, size_t *outlen)
{
	char type[24];
	char *o = malloc(enrich_cap(len, h));
	if (!o)
		return -ENOMEM;
	size_t n = enrich_into(o, line, len, h, seq, dropped, type, sizeof(type));
	if (!n) {
		free(o);
		return -EINVAL;
	}
	*out = o;
	*outlen = n;
	return 0;
}

/* ---- specs --------------------------------------------------------------- */

static int split_host_port(const char *hp, char *host, size_t hsz, char *port, size_t psz)
{
	const char *colon;
	if (hp[0] == '[') {   /* [2001:db8::1]:514 */
		const char *rb = strchr(hp, ']');
		if (!rb || rb[1] != ':')
			return -EINVAL;
		if ((size_t)(rb - hp - 1) >= hsz)
			return -EINVAL;
		memcpy(host, hp + 1, (size_t)(rb - hp - 1));
		host[rb - hp - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon || colon == hp || (size_t)(colon - hp) >= hsz)
			return -EINVAL;
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -EINVAL;
	snprintf(port, psz, "%ld", p);
	return 0;
}

static enum sink_kind spec_kind(const char *spec)
{
	if (strcmp(spec, "-") == 0)
		return SINK_STDOUT;
	if (strncmp(spec, "file:", 5) == 0)
		return SINK_FILE;
	if (strcmp(spec, "syslog") == 0)
		return SINK_SYSLOG;
	if (strncmp(spec, "syslog+tcp://", 13) == 0)
		return SINK_SYSLOG_TCP;
	if (strncmp(spec, "nats://", 7) == 0)
		return SINK_NATS;
	return (enum sink_kind)-1;
}

int ww_sinks_check_spec(const char *spec, char *err, size_t errsz)
{
	char h[256], p[16];
	switch ((int)spec_kind(spec)) {
	case SINK_STDOUT:
	case SINK_SYSLOG:
		return 0;
	case SINK_FILE:
		if (!spec[5]) {
			snprintf(err, errsz, "\"%s\": file: needs a path (file:PATH)", spec);
			return -EINVAL;
		}
		return 0;
	case SINK_SYSLOG_TCP:
		if (split_host_port(spec + 13, h, sizeof(h), p, sizeof(p)) < 0) {
			snprintf(err, errsz, "\"%s\" is not syslog+tcp://HOST:PORT", spec);
			return -EINVAL;
		}
		return 0;
	case SINK_NATS:
		return ww_nats_check_spec(spec, err, errsz);
	default:
		snprintf(err, errsz, "\"%s\" is not a sink (-, file:PATH, syslog, syslog+tcp://HOST:PORT, "
			 "nats://HOST:PORT[,HOST:PORT...]/SUBJECT)", spec);
		return -EINVAL;
	}
}

int ww_sinks_parse_facility(const char *s, int *fac)
{
	static const char *const names[24] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
		"authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
		"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
	};
	for (int i = 0; i < 24; i++)
		if (strcmp(s, names[i]) == 0) {
			*fac = i;
			return 0;
		}
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v <= 23) {
		*fac = (int)v;
		return 0;
	}
	return -EINVAL;
}

bool ww_sinks_stdout_only(const struct ww_sinks_cfg *cfg)
{
	for (size_t i = 0; i < cfg->n_outputs; i++)
		if (strcmp(cfg->outputs[i], "-") != 0)
			return false;
	return true;
}

int ww_sinks_cfg_option(struct ww_sinks_cfg *cfg, int opt, const char *arg, char *err, size_t errsz)
{
	char *end;
	unsigned long v;
	switch (opt) {
	case WW_SINK_OPT_OUTPUT:
		if (cfg->n_outputs == WW_SINKS_MAX) {
			snprintf(err, errsz, "--output: at most %d sinks", WW_SINKS_MAX);
			return -EINVAL;
		}
		if (ww_sinks_check_spec(arg, err, errsz) < 0)
			return -EINVAL;
		cfg->outputs[cfg->n_outputs++] = arg;
		return 1;
	case WW_SINK_OPT_SPOOL:
		if (!*arg) {
			snprintf(err, errsz, "--spool: an empty directory name");
			return -EINVAL;
		}
		cfg->spool_dir = arg;
		return 1;
	case WW_SINK_OPT_SPOOL_MAX:
		v = strtoul(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > (1ul << 20)) {
			snprintf(err, errsz, "--spool-max-mb: \"%s\" is not a number of megabytes from 1 to 1048576", arg);
			return -EINVAL;
		}
		cfg->spool_max_bytes = (uint64_t)v << 20;
		return 1;
	case WW_SINK_OPT_FACILITY:
		if (ww_sinks_parse_facility(arg, &cfg->syslog_facility) < 0) {
			snprintf(err, errsz, "--syslog-facility: \"%s\" is not a facility (kern, user, daemon, "
				 "local0..local7, ... or 0 to 23)", arg);
			return -EINVAL;
		}
		cfg->facility_set = true;
		return 1;
	case WW_SINK_OPT_APP:
		if (!*arg || strlen(arg) > 48) {
			snprintf(err, errsz, "--syslog-app: an APP-NAME is 1 to 48 characters");
			return -EINVAL;
		}
		for (const char *p = arg; *p; p++)
			if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127) {
				snprintf(err, errsz, "--syslog-app: \"%s\" has a character RFC 5424 does not allow "
					 "(printable ASCII, no spaces)", arg);
				return -EINVAL;
			}
		cfg->syslog_app = arg;
		return 1;
	default:
		return 0;
	}
}

int ww_sinks_cfg_check(const struct ww_sinks_cfg *cfg, char *err, size_t errsz)
{
	bool nats = false;
	for (size_t i = 0; i < cfg->n_outputs; i++)
		nats |= spec_kind(cfg->outputs[i]) == SINK_NATS;
	if ((cfg->spool_dir || cfg->spool_max_bytes) && !nats) {
		snprintf(err, errsz, "--spool%s: only a nats:// sink has a spool (--output nats://...)",
			 cfg->spool_dir ? "" : "-max-mb");
		return -EINVAL;
	}
	if (cfg->spool_max_bytes && !cfg->spool_dir) {
		snprintf(err, errsz, "--spool-max-mb without --spool DIR");
		return -EINVAL;
	}
	return 0;
}

/* ---- the queue ----------------------------------------------------------- */

static void sinkq_push(struct sink *s, struct ww_rec *r)
{
	pthread_mutex_lock(&s->mu);
	while (s->set->cfg.wait_when_full && !s->exited && !atomic_load(&s->down) &&
	       (s->tail - s->head >= SINK_QUEUE_RECS || s->bytes + r->len > SINK_QUEUE_BYTES)) {
		s->room_waiters++;
		pthread_cond_wait(&s->cv_room, &s->mu);
		s->room_waiters--;
	}
	if (s->tail - s->head >= SINK_QUEUE_RECS || s->bytes + r->len > SINK_QUEUE_BYTES) {
		uint64_t n = ++s->full_drops;
		pthread_mutex_unlock(&s->mu);
		free(r);
		ww_sink_drop(s->set, 1);
		if ((n & (n - 1)) == 0)   /* the 1st, 2nd, 4th, 8th...: a line, not a flood of them */
			ww_sink_notice(s->set, "%s cannot keep up: %" PRIu64 " records dropped so far "
				       "(its queue holds %u)", s->spec, n, SINK_QUEUE_RECS);
		return;
	}
	s->ring[s->tail++ % SINK_QUEUE_RECS] = r;
	s->bytes += r->len;
	bool was_empty = s->tail - s->head == 1;
	pthread_mutex_unlock(&s->mu);
	if (was_empty)
		pthread_cond_signal(&s->cv);
}

struct ww_rec *ww_sinkq_pop(struct sink *s, int wait_ms, bool *stopping)
{
	struct ww_rec *r = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->head == s->tail && !s->stop && wait_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (long)wait_ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	if (s->head != s->tail) {
		r = s->ring[s->head++ % SINK_QUEUE_RECS];
		s->bytes -= r->len;
		/* a waiting producer is woken once half the queue is free: one
		 * wake-up per many records, not one per record */
		if (s->room_waiters && s->tail - s->head <= SINK_QUEUE_RECS / 2 &&
		    s->bytes <= SINK_QUEUE_BYTES / 2)
			pthread_cond_signal(&s->cv_room);
	}
	*stopping = s->stop;
	pthread_mutex_unlock(&s->mu);
	return r;
}

double ww_sinkq_deadline(struct sink *s)
{
	pthread_mutex_lock(&s->mu);
	double d = s->stop ? s->deadline : 0;
	pthread_mutex_unlock(&s->mu);
	return d;
}

static bool past_deadline(struct sink *s)
{
	double d = ww_sinkq_deadline(s);
	return d > 0 && ww_sink_mono() >= d;
}

/* ---- file: --------------------------------------------------------------- */

static int open_file(struct sink *s, char *err, size_t errsz)
{
	int fd = open(s->spec + 5, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0) {
		if (err)
			snprintf(err, errsz, "%s: %s", s->spec + 5, strerror(errno));
		return -errno;
	}
	s->fd = fd;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *file_thread(void *arg)
{
	struct sink *s = arg;
	char *buf = malloc(FILE_BATCH);
	size_t n = 0;
	sig_atomic_t gen = reopen_gen;
	bool stopping = false, reported = false;

	for (;;) {
		struct ww_rec *r = ww_sinkq_pop(s, n ? 0 : 200, &stopping);
		if (!r || n + (r ? r->len + 1 : 0) > FILE_BATCH) {
			if (n && s->fd >= 0) {
				int rc = buf ? write_all(s->fd, buf, n) : 0;
				if (rc < 0) {
					atomic_store(&s->set->failed, true);
					if (!reported)
						ww_sink_notice(s->set, "%s: write: %s", s->spec, strerror(-rc));
					reported = true;
				}
			}
			n = 0;
		}
		if (gen != reopen_gen) {   /* between records: the batch above is out */
			gen = reopen_gen;
			int old = s->fd;
			char e[512];
			if (open_file(s, e, sizeof(e)) == 0) {
				if (old >= 0)
					close(old);
			} else {
				ww_sink_notice(s->set, "SIGUSR1: cannot reopen %s; writing on to the old file", e);
			}
		}
		if (!r) {
			if (stopping)
				break;
			continue;
		}
		if (!buf || r->len + 1 > FILE_BATCH) {
			if (s->fd >= 0 && (write_all(s->fd, r->json, r->len) < 0 || write_all(s->fd, "\n", 1) < 0))
				atomic_store(&s->set->failed, true);
		} else {
			memcpy(buf + n, r->json, r->len);
			buf[n + r->len] = '\n';
			n += r->len + 1;
		}
		free(r);
	}
	free(buf);
	return NULL;
}

/* ---- syslog, syslog+tcp -------------------------------------------------- */

/* The RFC 5424 message of one record into o (at most osz); its length. */
static size_t syslog_format(const struct sink *s, const struct ww_rec *r, char *o, size_t osz)
{
	const struct ww_sinks *set = s->set;
	int sev = strcmp(r->type, "alert") == 0 ? 4 : 6;
	struct timespec ts;
	struct tm tm;
	char when[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	/* HOSTNAME and APP-NAME are PRINTUSASCII without spaces (RFC 5424 6.2) */
	char host[256], app[49];
	size_t i;
	for (i = 0; set->host.name[i] && i < sizeof(host) - 1; i++) {
		unsigned char c = (unsigned char)set->host.name[i];
		host[i] = (c > 32 && c < 127) ? (char)c : '_';
	}
	host[i] = '\0';
	const char *a = set->cfg.syslog_app ? set->cfg.syslog_app : "wirewho";
	for (i = 0; a[i] && i < sizeof(app) - 1; i++) {
		unsigned char c = (unsigned char)a[i];
		app[i] = (c > 32 && c < 127) ? (char)c : '_';
	}
	app[i] = '\0';
	int n = snprintf(o, osz, "<%d>1 %s.%06ldZ %s %s %ld %s [wirewho@" SYSLOG_PEN " seq=\"%" PRIu64 "\"] ",
			 set->cfg.syslog_facility * 8 + sev, when, ts.tv_nsec / 1000, host[0] ? host : "-",
			 app[0] ? app : "-", (long)getpid(), r->type, r->seq);
	if (n < 0 || (size_t)n >= osz)
		return 0;
	size_t m = r->len < osz - (size_t)n ? r->len : osz - (size_t)n;
	memcpy(o + n, r->json, m);
	return (size_t)n + m;
}

static int connect_tcp(struct sink *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	int fd = -1;
	if (getaddrinfo(s->host, s->port, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	for (p = ai; p; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd < 0 ? -ECONNREFUSED : fd;
}

static int connect_dev_log(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("WIREWHO_SYSLOG_SOCKET");   /* tests: a socket of their own */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path && *path ? path : SYSLOG_DEV);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void *syslog_thread(void *arg)
{
	struct sink *s = arg;
	bool tcp = s->kind == SINK_SYSLOG_TCP, stopping = false, down_said = false;
	size_t osz = SYSLOG_MAX_DGRAM + 1024;
	char *o = malloc(osz + 16);
	struct ww_rec *r = NULL;
	int fd = -1;

	while (o) {
		if (!r) {
			r = ww_sinkq_pop(s, 200, &stopping);
			if (!r) {
				if (stopping)
					break;
				continue;
			}
		}
		if (fd < 0) {
			fd = tcp ? connect_tcp(s) : connect_dev_log();
			if (fd < 0) {
				if (!down_said)
					ww_sink_notice(s->set, "%s: cannot connect (%s); records are kept (up to %u) "
						       "and sent once it is back", s->spec, strerror(-fd), SINK_QUEUE_RECS);
				down_said = true;
				atomic_store(&s->down, true);
				pthread_cond_broadcast(&s->cv_room);
				if (past_deadline(s))
					break;
				usleep(SINK_RETRY_MS * 1000);
				continue;
			}
			if (down_said)
				ww_sink_notice(s->set, "%s: connected", s->spec);
			down_said = false;
			atomic_store(&s->down, false);
		}
		size_t n = syslog_format(s, r, o + 16, osz);
		int rc;
		if (tcp) {
			char len[16];
			int l = snprintf(len, sizeof(len), "%zu ", n);
			memcpy(o + 16 - l, len, (size_t)l);   /* octet counting: "LEN SP MSG" */
			rc = write_all(fd, o + 16 - l, n + (size_t)l);
		} else {
			rc = send(fd, o + 16, n, 0) < 0 ? -errno : 0;
		}
		if (rc < 0) {
			close(fd);
			fd = -1;
			continue;   /* the record is sent again, whole, on the next connection */
		}
		free(r);
		r = NULL;
	}
	if (r) {
		free(r);
		ww_sink_drop(s->set, 1);
	}
	if (fd >= 0)
		close(fd);
	free(o);
	return NULL;
}

/* ---- the FILE ------------------------------------------------------------ */

static void dispatch_line(struct ww_sinks *set, const char *line, size_t len)
{
	if (set->to_stdout) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
	}
	if (!set->n)
		return;
	/* enriched once, in place in the first sink's record; the others get copies */
	uint64_t seq = set->seq + 1;
	struct ww_rec *r0 = malloc(sizeof(*r0) + enrich_cap(len, &set->host));
	if (!r0) {
		ww_sink_drop(set, set->n);
		return;
	}
	size_t jlen = enrich_into(r0->json, line, len, &set->host, seq, ww_sinks_dropped(set),
				  r0->type, sizeof(r0->type));
	if (!jlen) {
		free(r0);
		return;   /* not a record (the text form): stdout only */
	}
	set->seq = seq;
	r0->seq = seq;
	r0->len = (uint32_t)jlen;
	for (size_t i = set->n; i-- > 0; ) {
		struct sink *s = set->sink[i];
		struct ww_rec *r = r0;
		if (i) {
			r = malloc(sizeof(*r) + jlen + 1);
			if (!r) {
				ww_sink_drop(set, 1);
				continue;
			}
			memcpy(r, r0, sizeof(*r) + jlen + 1);
		}
		if (s->kind == SINK_NATS && s->spool)
			ww_nats_push(s, r);
		else
			sinkq_push(s, r);
	}
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	struct ww_sinks *set = c;
	size_t i = 0;
	while (i < size) {
		const char *nl = memchr(buf + i, '\n', size - i);
		if (!nl) {
			size_t rest = size - i;
			if (set->plen + rest > set->pcap) {
				size_t nc = (set->plen + rest) * 2;
				char *p = realloc(set->partial, nc);
				if (!p)
					return -1;
				set->partial = p;
				set->pcap = nc;
			}
			memcpy(set->partial + set->plen, buf + i, rest);
			set->plen += rest;
			break;
		}
		size_t l = (size_t)(nl - (buf + i));
		if (set->plen) {
			if (set->plen + l > set->pcap) {
				size_t nc = (set->plen + l) * 2;
				char *p = realloc(set->partial, nc);
				if (!p)
					return -1;
				set->partial = p;
				set->pcap = nc;
			}
			memcpy(set->partial + set->plen, buf + i, l);
			dispatch_line(set, set->partial, set->plen + l);
			set->plen = 0;
		} else {
			dispatch_line(set, buf + i, l);
		}
		i += l + 1;
	}
	if (set->to_stdout && fflush(stdout) != 0)
		return -1;
	return (ssize_t)size;
}

FILE *ww_sinks_file(struct ww_sinks *s)
{
	return s->fp;
}

/* A sink's thread; when it ends (done, or past its deadline), a producer
 * waiting for room must not wait any more. */
static void *sink_main(void *arg)
{
	struct sink *s = arg;
	s->fn(s);
	pthread_mutex_lock(&s->mu);
	s->exited = true;
	pthread_mutex_unlock(&s->mu);
	pthread_cond_broadcast(&s->cv_room);
	return NULL;
}

/* ---- open and close ------------------------------------------------------ */

static void sink_free(struct sink *s)
{
	if (!s)
		return;
	if (s->kind == SINK_NATS)
		ww_nats_sink_free(s);
	while (s->ring && s->head != s->tail) {
		free(s->ring[s->head++ % SINK_QUEUE_RECS]);
		ww_sink_drop(s->set, 1);
	}
	free(s->ring);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->cv_room);
	free(s);
}

static struct sink *sink_new(struct ww_sinks *set, const char *spec, char *err, size_t errsz)
{
	struct sink *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->set = set;
	s->fd = -1;
	s->kind = spec_kind(spec);
	snprintf(s->spec, sizeof(s->spec), "%s", spec);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv_room, NULL);
	s->ring = calloc(SINK_QUEUE_RECS, sizeof(*s->ring));
	if (!s->ring) {
		snprintf(err, errsz, "out of memory");
		goto bad;
	}
	switch (s->kind) {
	case SINK_FILE:
		if (open_file(s, err, errsz) < 0)
			goto bad;
		break;
	case SINK_SYSLOG_TCP:
		split_host_port(spec + 13, s->host, sizeof(s->host), s->port, sizeof(s->port));
		break;
	case SINK_NATS:
		if (ww_nats_sink_init(s, err, errsz) < 0)
			goto bad;
		break;
	default:
		break;
	}
	return s;
bad:
	sink_free(s);
	return NULL;
}

struct ww_sinks *ww_sinks_open(const struct ww_sinks_cfg *cfg, char *err, size_t errsz)
{
	struct ww_sinks *set = calloc(1, sizeof(*set));
	if (!set) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	set->cfg = *cfg;
	if (!cfg->facility_set)
		set->cfg.syslog_facility = 1;   /* user: what syslog(3) uses when none is given */
	pthread_mutex_init(&set->nmu, NULL);
	ww_host_id_read(&set->host);
	uint64_t rnd[2] = { 0, 0 };
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		rnd[0] = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		rnd[1] = (uint64_t)getpid();
	}
	snprintf(set->run_id, sizeof(set->run_id), "%016" PRIx64 "%08" PRIx32, rnd[0], (uint32_t)rnd[1]);
	for (size_t i = 0; i < cfg->n_outputs; i++) {
		if (strcmp(cfg->outputs[i], "-") == 0) {
			set->to_stdout = true;
			continue;
		}
		struct sink *s = sink_new(set, cfg->outputs[i], err, errsz);
		if (!s)
			goto bad;
		set->sink[set->n++] = s;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct sink *s = set->sink[i];
		s->fn = s->kind == SINK_FILE ? file_thread
			: s->kind == SINK_NATS ? ww_nats_thread : syslog_thread;
		if (pthread_create(&s->th, NULL, sink_main, s) != 0) {
			snprintf(err, errsz, "cannot start the thread of %s", s->spec);
			goto bad;
		}
		s->started = true;
	}
	cookie_io_functions_t io = { .write = cookie_write };
	set->fp = fopencookie(set, "w", io);
	if (!set->fp) {
		snprintf(err, errsz, "out of memory");
		goto bad;
	}
	return set;
bad:
	ww_sinks_close(set, 0, NULL, NULL, NULL, 0);
	return NULL;
}

int ww_sinks_close(struct ww_sinks *s, double drain_s, ww_sinks_say_fn *say, void *ud,
		   char *err, size_t errsz)
{
	int rc = 0;
	if (!s)
		return 0;
	if (s->fp && fclose(s->fp) != 0)
		rc = -EIO;
	s->fp = NULL;
	if (s->plen)
		dispatch_line(s, s->partial, s->plen);   /* a last line without its newline */
	double until = ww_sink_mono() + drain_s;
	for (size_t i = 0; i < s->n; i++) {
		struct sink *k = s->sink[i];
		pthread_mutex_lock(&k->mu);
		k->stop = true;
		k->deadline = until;
		pthread_mutex_unlock(&k->mu);
		pthread_cond_broadcast(&k->cv);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->sink[i]->started)
			pthread_join(s->sink[i]->th, NULL);
	for (size_t i = 0; i < s->n; i++)
		sink_free(s->sink[i]);
	char note[512];
	while (ww_sinks_take_notice(s, note, sizeof(note)))
		if (say)
			say(ud, note);
	uint64_t d = ww_sinks_dropped(s);
	if (d || atomic_load(&s->failed)) {
		if (err)
			snprintf(err, errsz, "%" PRIu64 " records dropped by the sinks%s", d,
				 atomic_load(&s->failed) ? ", and a sink failed to write" : "");
		rc = -EIO;
	}
	free(s->partial);
	pthread_mutex_destroy(&s->nmu);
	free(s);
	return rc;
}
