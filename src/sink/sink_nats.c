/*
 * sink_nats.c - the nats:// sink: every record one message published to
 * NATS JetStream, acknowledged, with a message id the stream's duplicate
 * window uses to drop a record sent twice.
 *
 * The sink's thread keeps a window of at most NATS_WINDOW records published
 * and not yet acknowledged (js_PublishMsgAsync, whose own MaxPending is the
 * same bound). Each message carries Nats-Msg-Id = HOST:MACHINE:BOOT:RUN:SEQ,
 * unique per record of every run of every host. The acknowledgement
 * handler (on libnats's thread) gets the message back and finds its entry
 * by the message's address, starting where the last one was found (they
 * come back in order but for resends): no header of our own, which in
 * libnats is a hash table per message. Records leave the window in order:
 * the oldest acknowledged ones are freed, or with a spool, the spool's
 * cursor moves past them. A negative acknowledgement or a timeout
 * (NATS_ACK_WAIT_MS) sends that record again with the same id; so does a
 * restart from the spool; the stream drops the copies it already holds
 * (its duplicate window, two minutes by default, must be longer than an
 * outage is expected to last: the fault test stops all brokers for 30 s).
 * libnats reconnects to any listed server by itself (forever, every
 * NATS_RECONNECT_MS); while it does, publishing fails or times out and the
 * records wait in the window, the queue or the spool.
 *
 * The subject may contain {host} (the host name, with the characters a
 * subject token cannot hold as '_') and {type} (flow, alert, stats,
 * socket). Without libnats (meson -Dnats=disabled, or not installed) the
 * sink is refused at the command line with the reason.
 */
#include "sink_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ww_nats_parse_url(const char *spec, struct ww_nats_url *u, char *err, size_t errsz)
{
	memset(u, 0, sizeof(*u));
	if (strncmp(spec, "nats://", 7) != 0)
		goto bad;
	const char *p = spec + 7, *slash = strchr(p, '/');
	if (!slash || !slash[1] || strlen(slash + 1) >= sizeof(u->subject))
		goto bad;
	for (const char *q = slash + 1; *q; q++)
		if (*q == ' ' || *q == '\t' || (unsigned char)*q < 32)
			goto bad;
	snprintf(u->subject, sizeof(u->subject), "%s", slash + 1);
	while (p < slash) {
		const char *comma = memchr(p, ',', (size_t)(slash - p));
		const char *end = comma ? comma : slash;
		size_t l = (size_t)(end - p);
		const char *colon = memchr(p, ':', l);
		if (!l || !colon || colon == p || colon + 1 == end || u->n == WW_NATS_MAX_SERVERS || l > 255)
			goto bad;
		for (const char *d = colon + 1; d < end; d++)
			if (*d < '0' || *d > '9')
				goto bad;
		snprintf(u->servers[u->n++], sizeof(u->servers[0]), "nats://%.*s", (int)l, p);
		p = end + (comma ? 1 : 0);
		if (comma && p == slash)
			goto bad;   /* "HOST:PORT,/": a server left out */
	}
	if (!u->n)
		goto bad;
	return 0;
bad:
	snprintf(err, errsz, "\"%s\" is not nats://HOST:PORT[,HOST:PORT...]/SUBJECT", spec);
	return -EINVAL;
}

#ifndef WW_HAVE_NATS

bool ww_nats_built(void) { return false; }

int ww_nats_check_spec(const char *spec, char *err, size_t errsz)
{
	struct ww_nats_url u;
	if (ww_nats_parse_url(spec, &u, err, errsz) < 0)
		return -EINVAL;
	snprintf(err, errsz, "%s: this wirewho was built without libnats (install libnats-dev and "
		 "build with meson -Dnats=enabled)", spec);
	return -ENOTSUP;
}

int ww_nats_sink_init(struct sink *s, char *err, size_t errsz)
{
	return ww_nats_check_spec(s->spec, err, errsz);
}

void ww_nats_push(struct sink *s, struct ww_rec *r)
{
	(void)s;
	free(r);
}

void *ww_nats_thread(void *arg)
{
	(void)arg;
	return NULL;
}

void ww_nats_sink_free(struct sink *s)
{
	(void)s;
}

#else

#include <nats/nats.h>

#define NATS_WINDOW        8192    /* published, not yet acknowledged: JetStream's MaxPending */
#define NATS_ACK_WAIT_MS   5000    /* an acknowledgement not back by then: sent again */
#define NATS_RECONNECT_MS  250     /* libnats tries the next listed server this often */
#define NATS_RECONNECT_BUF (32 << 20)  /* bytes libnats buffers while reconnecting */
#define NATS_CONNECT_MS    2000
#define NATS_SYNC_S        1.0     /* spool: sync the segment and cursor this often */

enum { E_FREE, E_PENDING, E_ACKED, E_FAILED };

struct entry {
	struct ww_rec *rec;         /* without a spool: the record (malloc'd) */
	char *line;                 /* with a spool: "MSGID\tSUBJECT\tJSON" (malloc'd) */
	size_t len;
	struct ww_spool_pos end;    /* spool: where this record ends */
	_Atomic uint64_t pos;       /* the position it holds */
	natsMsg *_Atomic msg;       /* the message in flight for it; NULL once answered */
	_Atomic int state;
};

struct nats {
	struct ww_nats_url url;
	char prefix[512];           /* the message id up to the sequence */
	char host_tok[128];         /* the host name as a subject token */
	natsConnection *nc;
	jsCtx *js;
	struct entry win[NATS_WINDOW];
	uint64_t a, p;              /* oldest unacknowledged, next to publish */
	_Atomic bool any_failed;
	_Atomic uint64_t ack_hint;  /* where the handler looks first */
	_Atomic bool connected;
	natsStatus last_err;
};

bool ww_nats_built(void) { return true; }

int ww_nats_check_spec(const char *spec, char *err, size_t errsz)
{
	struct ww_nats_url u;
	return ww_nats_parse_url(spec, &u, err, errsz);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

int ww_nats_sink_init(struct sink *s, char *err, size_t errsz)
{
	struct nats *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	s->nats = n;
	if (ww_nats_parse_url(s->spec, &n->url, err, errsz) < 0)
		return -EINVAL;
	const struct ww_host_id *h = &s->set->host;
	snprintf(n->prefix, sizeof(n->prefix), "%s:%s:%s:%s:", h->name, h->machine_id, h->boot_id,
		 s->set->run_id);
	size_t i;
	for (i = 0; h->name[i] && i < sizeof(n->host_tok) - 1; i++) {
		unsigned char c = (unsigned char)h->name[i];
		n->host_tok[i] = (c <= 32 || c >= 127 || c == '.' || c == '*' || c == '>') ? '_' : (char)c;
	}
	n->host_tok[i] = '\0';
	if (!i)
		snprintf(n->host_tok, sizeof(n->host_tok), "unknown");
	if (s->set->cfg.spool_dir) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%016" PRIx64, s->set->cfg.spool_dir, fnv(s->spec));
		s->spool = ww_spool_open(dir, s->set->cfg.spool_max_bytes, s->set, err, errsz);
		if (!s->spool)
			return -EIO;
	}
	return 0;
}

/* The subject of a record: the template with {host} and {type} filled. */
static size_t make_subject(const struct nats *n, const struct ww_rec *r, char *subj, size_t sz)
{
	size_t o = 0;
	for (const char *t = n->url.subject; *t && o < sz - 64; ) {
		if (strncmp(t, "{host}", 6) == 0) {
			o += (size_t)snprintf(subj + o, sz - o, "%.*s", 60, n->host_tok);
			t += 6;
		} else if (strncmp(t, "{type}", 6) == 0) {
			o += (size_t)snprintf(subj + o, sz - o, "%s", r->type);
			t += 6;
		} else {
			subj[o++] = *t++;
		}
	}
	subj[o] = '\0';
	return o;
}

/* "MSGID\tSUBJECT\tJSON" of a record (malloc'd), its length in *len. */
static char *make_line(struct sink *s, const struct ww_rec *r, size_t *len)
{
	struct nats *n = s->nats;
	char subj[512];
	size_t o = make_subject(n, r, subj, sizeof(subj));
	size_t cap = strlen(n->prefix) + 24 + o + r->len + 3;
	char *line = malloc(cap);
	if (!line)
		return NULL;
	int k = snprintf(line, cap, "%s%" PRIu64 "\t%s\t", n->prefix, r->seq, subj);
	memcpy(line + k, r->json, r->len + 1);
	*len = (size_t)k + r->len;
	return line;
}

void ww_nats_push(struct sink *s, struct ww_rec *r)
{
	size_t len;
	char *line = make_line(s, r, &len);
	free(r);
	if (!line || ww_spool_append(s->spool, line, len) < 0)
		ww_sink_drop(s->set, 1);
	free(line);
}

static void ack_handler(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct nats *n = closure;
	(void)js;
	uint64_t h = atomic_load(&n->ack_hint);
	for (uint64_t k = 0; k < NATS_WINDOW; k++) {
		struct entry *e = &n->win[(h + k) % NATS_WINDOW];
		natsMsg *want = msg;
		if (atomic_load(&e->msg) != msg || !atomic_compare_exchange_strong(&e->msg, &want, NULL))
			continue;
		atomic_store(&n->ack_hint, atomic_load(&e->pos) + 1);
		if (pa && !pae) {
			atomic_store(&e->state, E_ACKED);
		} else {
			atomic_store(&e->state, E_FAILED);
			atomic_store(&n->any_failed, true);
		}
		break;
	}
	natsMsg_Destroy(msg);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	atomic_store(&((struct nats *)closure)->connected, false);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	atomic_store(&((struct nats *)closure)->connected, true);
}

static int nats_connect(struct sink *s)
{
	struct nats *n = s->nats;
	natsOptions *opts = NULL;
	const char *servers[WW_NATS_MAX_SERVERS];
	for (size_t i = 0; i < n->url.n; i++)
		servers[i] = n->url.servers[i];
	natsStatus st = natsOptions_Create(&opts);
	if (st == NATS_OK) st = natsOptions_SetServers(opts, servers, (int)n->url.n);
	if (st == NATS_OK) st = natsOptions_SetAllowReconnect(opts, true);
	if (st == NATS_OK) st = natsOptions_SetMaxReconnect(opts, -1);
	if (st == NATS_OK) st = natsOptions_SetReconnectWait(opts, NATS_RECONNECT_MS);
	if (st == NATS_OK) st = natsOptions_SetReconnectBufSize(opts, NATS_RECONNECT_BUF);
	if (st == NATS_OK) st = natsOptions_SetTimeout(opts, NATS_CONNECT_MS);
	if (st == NATS_OK) st = natsOptions_SetDisconnectedCB(opts, on_disconnected, n);
	if (st == NATS_OK) st = natsOptions_SetReconnectedCB(opts, on_reconnected, n);
	if (st == NATS_OK) st = natsConnection_Connect(&n->nc, opts);
	natsOptions_Destroy(opts);
	if (st != NATS_OK) {
		n->last_err = st;
		return -ECONNREFUSED;
	}
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = NATS_WINDOW;
	jo.PublishAsync.AckHandler = ack_handler;
	jo.PublishAsync.AckHandlerClosure = n;
	jo.PublishAsync.StallWait = 50;
	if (natsConnection_JetStream(&n->js, n->nc, &jo) != NATS_OK) {
		natsConnection_Destroy(n->nc);
		n->nc = NULL;
		return -ENOMEM;
	}
	atomic_store(&n->connected, true);
	return 0;
}

/* Publish the window's entry at position p (again). 0 or -EAGAIN. */
static int publish(struct nats *n, uint64_t p)
{
	struct entry *e = &n->win[p % NATS_WINDOW];
	char id[600], subj[512];
	const char *data;
	size_t dlen;
	if (e->rec) {
		make_subject(n, e->rec, subj, sizeof(subj));
		snprintf(id, sizeof(id), "%s%" PRIu64, n->prefix, e->rec->seq);
		data = e->rec->json;
		dlen = e->rec->len;
	} else {
		char *t1 = memchr(e->line, '\t', e->len);
		char *t2 = t1 ? memchr(t1 + 1, '\t', e->len - (size_t)(t1 + 1 - e->line)) : NULL;
		if (!t2) {
			atomic_store(&e->state, E_ACKED);   /* not a line of ours (a damaged spool): skip it */
			return 0;
		}
		snprintf(id, sizeof(id), "%.*s", (int)(t1 - e->line), e->line);
		snprintf(subj, sizeof(subj), "%.*s", (int)(t2 - t1 - 1), t1 + 1);
		data = t2 + 1;
		dlen = e->len - (size_t)(t2 + 1 - e->line);
	}
	natsMsg *m = NULL;
	natsStatus st = natsMsg_Create(&m, subj, NULL, data, (int)dlen);
	if (st == NATS_OK) st = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
	atomic_store(&e->pos, p);
	atomic_store(&e->state, E_PENDING);
	atomic_store(&e->msg, m);   /* before the library has it: its answer may come at once */
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MaxWait = NATS_ACK_WAIT_MS;
	if (st == NATS_OK)
		st = js_PublishMsgAsync(n->js, &m, &po);
	if (st != NATS_OK) {
		atomic_store(&e->msg, NULL);
		natsMsg_Destroy(m);   /* NULL when the library took it */
		atomic_store(&e->state, E_FAILED);
		atomic_store(&n->any_failed, true);
		n->last_err = st;
		return -EAGAIN;
	}
	return 0;
}

/* The next record into the window's slot at n->p: 1, or 0 when none now. */
static int fill(struct sink *s, int wait_ms, bool *stopping)
{
	struct nats *n = s->nats;
	struct entry *e = &n->win[n->p % NATS_WINDOW];
	if (s->spool) {
		const char *line;
		size_t len;
		struct ww_spool_pos end;
		*stopping = ww_sinkq_deadline(s) > 0;
		if (ww_spool_next(s->spool, &line, &len, &end) != 1) {
			if (wait_ms)
				usleep((useconds_t)wait_ms * 1000);
			return 0;
		}
		e->line = malloc(len + 1);
		if (!e->line)
			return 0;
		memcpy(e->line, line, len);
		e->line[len] = '\0';
		e->len = len;
		e->end = end;
		return 1;
	}
	e->rec = ww_sinkq_pop(s, wait_ms, stopping);
	return e->rec != NULL;
}

void *ww_nats_thread(void *arg)
{
	struct sink *s = arg;
	struct nats *n = s->nats;
	bool stopping = false, down_said = false;
	double next_sync = ww_sink_mono() + NATS_SYNC_S, last_resend = 0;

	while (!n->nc) {
		if (nats_connect(s) == 0)
			break;
		if (!down_said)
			ww_sink_notice(s->set, "%s: cannot connect (%s); %s", s->spec, natsStatus_GetText(n->last_err),
				       s->spool ? "records are spooled" : "records are kept in memory while there is room");
		down_said = true;
		atomic_store(&s->down, true);
		pthread_cond_broadcast(&s->cv_room);
		double d = ww_sinkq_deadline(s);
		if (d > 0 && ww_sink_mono() >= d)
			goto out;
		usleep(SINK_RETRY_MS * 1000);
	}
	if (down_said)
		ww_sink_notice(s->set, "%s: connected", s->spec);
	atomic_store(&s->down, false);

	for (;;) {
		/* the window's oldest acknowledged records leave it, in order */
		bool moved = false;
		struct ww_spool_pos upto = { 0, 0 };
		while (n->a < n->p && atomic_load(&n->win[n->a % NATS_WINDOW].state) == E_ACKED) {
			struct entry *e = &n->win[n->a % NATS_WINDOW];
			upto = e->end;
			moved = true;
			free(e->line);
			free(e->rec);
			e->line = NULL;
			e->rec = NULL;
			atomic_store(&e->state, E_FREE);
			n->a++;
		}
		if (moved && s->spool)
			ww_spool_commit(s->spool, upto);
		/* failed ones again, at most every SINK_RETRY_MS while the broker is away */
		if (atomic_load(&n->any_failed) && ww_sink_mono() - last_resend >= SINK_RETRY_MS / 1000.0) {
			atomic_store(&n->any_failed, false);
			last_resend = ww_sink_mono();
			for (uint64_t p = n->a; p < n->p; p++)
				if (atomic_load(&n->win[p % NATS_WINDOW].state) == E_FAILED && publish(n, p) < 0)
					break;
		}
		if (s->spool && ww_sink_mono() >= next_sync) {
			ww_spool_sync(s->spool);
			next_sync = ww_sink_mono() + NATS_SYNC_S;
		}
		int got = 0;
		if (n->p - n->a < NATS_WINDOW && !atomic_load(&n->any_failed)) {
			got = fill(s, n->p == n->a ? 100 : 0, &stopping);
			if (got) {
				publish(n, n->p);
				n->p++;
			}
		}
		if (!got) {
			if (stopping && n->a == n->p && (!s->spool || ww_spool_pending(s->spool) == 0))
				break;
			double d = ww_sinkq_deadline(s);
			if (d > 0 && ww_sink_mono() >= d)
				break;
			if (n->p != n->a)
				usleep(1000);   /* waiting for acknowledgements */
		}
	}
out:
	if (n->js) {
		jsPubOptions po;
		jsPubOptions_Init(&po);
		po.MaxWait = 100;   /* the acknowledgements in flight: a last short look */
		js_PublishAsyncComplete(n->js, &po);
	}
	if (n->a != n->p || (s->spool && ww_spool_pending(s->spool)))
		ww_sink_notice(s->set, "%s: %" PRIu64 " records not acknowledged at the end%s", s->spec,
			       (s->spool ? ww_spool_pending(s->spool) : n->p - n->a),
			       s->spool ? ", kept in the spool for the next run" : ", dropped");
	if (!s->spool)
		ww_sink_drop(s->set, n->p - n->a);
	else
		ww_spool_sync(s->spool);
	return NULL;
}

void ww_nats_sink_free(struct sink *s)
{
	struct nats *n = s->nats;
	if (!n)
		return;
	if (n->nc)
		natsConnection_Close(n->nc);   /* no acknowledgement handler runs after this */
	if (n->js)
		jsCtx_Destroy(n->js);
	if (n->nc)
		natsConnection_Destroy(n->nc);
	for (size_t i = 0; i < NATS_WINDOW; i++) {
		free(n->win[i].line);
		free(n->win[i].rec);
	}
	if (s->spool)
		ww_spool_close(s->spool);
	free(n);
	s->nats = NULL;
}

#endif
