/*
 * pipeline.c - one packet through every stage, and a flow's end through the
 * judges to the writers.
 *
 * Per packet: decode into a stack view, account it in its flow, and feed the
 * classifier only while the flow carries payload and its answer is not yet
 * final (the classifier bounds how long that is). Port judgement runs once,
 * as soon as the answer is final, so a live alert does not wait for the flow
 * to end; a flow that never reaches a final answer is judged when it ends.
 * The flow record is written when the flow ends, after its alerts.
 */
#include "wirewho/pipeline.h"
#include "wirewho/classify.h"
#include "wirewho/decode.h"
#include "wirewho/portcheck.h"
#include "wirewho/ports.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define FF_CLS_DONE 0x01   /* classification is final: stop feeding */
#define FF_JUDGED   0x02   /* port judgement done */
#define FF_SETTLED  0x04   /* answer copied into the flow, classifier state freed */
#define WW_MAX_ALERTS_PER_FLOW 8   /* one per kind at most; a few kinds apply to flows */

/*
 * Replay overlaps the table misses of several packets: a packet is decoded
 * and its home chunk prefetched when it arrives, its record is prefetched
 * WW_PREFETCH_RECORD_AT packets later, and it is processed WW_BATCH packets
 * later, by which time both lines are in cache. Sixteen in flight covers
 * two DRAM misses each with room to spare; more only costs cache.
 */
#define WW_BATCH               16
#define WW_PREFETCH_RECORD_AT  8

/*
 * The capture library reuses its buffer for the next packet, so a packet
 * can wait in the ring only if nobody will read its payload. A settled
 * flow reads no more payload; but whether a packet's flow is settled is
 * known only when it is looked up, WW_BATCH packets later. So the pipeline
 * keeps a direct-mapped memo of settled flows: written when a flow settles
 * and on each of its packets, read when a packet arrives. A packet with
 * payload waits in the ring only when the memo holds its key's full 64-bit
 * hash, it is not a SYN (a new connection on the same 5-tuple), the memo
 * entry is younger than the shortest idle timeout (the flow cannot have
 * expired in between), and the table is not so full that an eviction
 * could happen before the packet is processed. Any other packet with
 * payload drains the ring (in order: output never changes) and is
 * processed at once, reading the capture library's bytes. Copying the
 * payload instead, as an earlier version did, cost more than the drain:
 * the copies of a busy link's first packets per flow are many and large,
 * and a drain only shortens the prefetch distance for a few packets.
 */
#define WW_SETTLED_SLOTS (1u << 15)   /* 32768 x 16 B = 512 KiB, sits in L2 */

struct settled {
	uint64_t hash;
	ww_time_t last;
};

struct pending {
	struct ww_pkt p;
	struct ww_flow_prep prep;
	ww_time_t ts;
};

/*
 * app_proto names are static strings owned by the classifier; a settled
 * flow keeps a one-byte index into this table instead of an 8-byte pointer
 * (the flow record has no room to spare). Filled on first use; the set of
 * names is small and fixed.
 */
#define WW_MAX_APP_NAMES 64
static const char *app_names[WW_MAX_APP_NAMES] = { "unknown" };
static unsigned n_app_names = 1;

static uint8_t intern_app(const char *name)
{
	for (unsigned i = 0; i < n_app_names; i++)
		if (app_names[i] == name)
			return (uint8_t)i;   /* the usual case: the same static string */
	for (unsigned i = 0; i < n_app_names; i++)
		if (strcmp(app_names[i], name) == 0)
			return (uint8_t)i;
	if (n_app_names == WW_MAX_APP_NAMES)
		return 0;      /* cannot happen with the classifier's fixed set */
	app_names[n_app_names] = name;
	return (uint8_t)n_app_names++;
}

static const char *app_by_name(enum ww_app_by by)
{
	return by == WW_APP_BY_PAYLOAD ? "payload" : by == WW_APP_BY_PORT ? "port" : "none";
}

struct ww_pipeline {
	struct ww_decoder *dec;
	struct ww_flows *flows;
	struct ww_emitter *em;
	struct ww_stats st;
	const struct ww_attrib_ops *ops;
	void *ud;
	const char *none_reason;
	bool no_classify;
	unsigned batch;          /* 1: process at once (live); WW_BATCH: replay */
	unsigned head, n;        /* ring of packets waiting to be processed */
	struct pending ring[WW_BATCH];
	struct settled *memo;    /* WW_SETTLED_SLOTS entries; NULL live */
	ww_time_t min_tmo;       /* shortest idle timeout */
	uint32_t max_flows;
	ww_time_t now;
	int err;        /* first output error */
};

/* The memo slot of a flow key's hash (replay only: pl->memo is NULL live). */
static struct settled *memo_of(struct ww_pipeline *pl, uint64_t hash)
{
	return &pl->memo[hash & (WW_SETTLED_SLOTS - 1)];
}

static void view_of(struct ww_pipeline *pl, const struct ww_flow *f, struct ww_flow_view *v)
{
	memset(v, 0, sizeof(*v));
	v->f = f;
	if (f->flags & FF_SETTLED) {
		v->app_proto = app_names[f->app_idx];
		v->app_by = app_by_name(f->app_by);
		v->sni = f->sni;
	} else {
		enum ww_app_by by;
		v->app_proto = ww_cls_app_proto(f->cls, f, &by);
		v->app_by = app_by_name(by);
		v->sni = ww_cls_sni(f->cls);
	}
	if (f->key.proto == WW_IPPROTO_TCP || f->key.proto == WW_IPPROTO_UDP)
		v->service = ww_ports_service(ww_flow_server_port(f), f->key.proto);
	if (pl->ops) {
		pl->ops->describe(pl->ud, f, v);
	} else {
		v->attr_status = "none";
		v->attr_reason = pl->none_reason;   /* static text, see ww_pipeline_cfg */
		v->stable = true;
	}
}

/*
 * Once a flow's answer is final and judged, keep only the answer (a static
 * name and, for TLS, the server name) and free the detection state: a flow
 * that lives for hours then costs its record and nothing more.
 */
static void settle(struct ww_flow *f)
{
	enum ww_app_by by;
	const char *sni = ww_cls_sni(f->cls);

	f->app_idx = intern_app(ww_cls_app_proto(f->cls, f, &by));
	f->app_by = (uint8_t)by;
	if (sni && *sni)
		f->sni = strdup(sni);   /* out of memory: the record just lacks it */
	ww_cls_free(f->cls);
	f->cls = NULL;
	f->flags |= FF_SETTLED;
}

static void emit_alerts(struct ww_pipeline *pl, const struct ww_alert *a, int n,
			const struct ww_flow_view *v)
{
	for (int i = 0; i < n; i++) {
		int rc = ww_emit_alert(pl->em, &a[i], v);
		if (rc && !pl->err)
			pl->err = rc;
		pl->st.alerts++;
	}
}

static void judge_ports(struct ww_pipeline *pl, struct ww_flow *f, ww_time_t ts)
{
	struct ww_alert al[WW_MAX_ALERTS_PER_FLOW];
	struct ww_flow_view v;
	int n;

	f->flags |= FF_JUDGED;
	n = ww_portcheck_judge(f, f->cls, ts, al, WW_MAX_ALERTS_PER_FLOW);
	if (n <= 0)
		return;
	view_of(pl, f, &v);
	emit_alerts(pl, al, n, &v);
}

static void on_flow_end(struct ww_flow *f, void *ud)
{
	struct ww_pipeline *pl = ud;
	struct ww_flow_view v;
	struct ww_alert al[WW_MAX_ALERTS_PER_FLOW];
	int rc;

	if (pl->memo && memo_of(pl, f->hash)->hash == f->hash)
		memo_of(pl, f->hash)->hash = 0;
	ww_cls_finish(f->cls, f);   /* decide on what was seen */
	if (!(f->flags & FF_JUDGED))
		judge_ports(pl, f, f->last);
	view_of(pl, f, &v);
	if (pl->ops && pl->ops->judge) {
		int n = pl->ops->judge(pl->ud, f, &v, al, WW_MAX_ALERTS_PER_FLOW);
		emit_alerts(pl, al, n, &v);
	}
	rc = ww_emit_flow(pl->em, &v);
	if (rc && !pl->err)
		pl->err = rc;
	if (pl->ops && pl->ops->flow_end)
		pl->ops->flow_end(pl->ud, f);
	ww_cls_free(f->cls);
	f->cls = NULL;
	free(f->sni);
	f->sni = NULL;
}

/* Attribution's judgement at a flow's first packet (live alerts). */
static void judge_new(struct ww_pipeline *pl, struct ww_flow *f)
{
	struct ww_alert al[WW_MAX_ALERTS_PER_FLOW];
	struct ww_flow_view v;
	view_of(pl, f, &v);
	int n = pl->ops->judge_new(pl->ud, f, &v, al, WW_MAX_ALERTS_PER_FLOW);
	emit_alerts(pl, al, n, &v);
}

/* Flow-less alerts the attribution holds back (folded floods). */
static void pending_alerts(struct ww_pipeline *pl, ww_time_t now, bool final)
{
	struct ww_alert al[WW_MAX_ALERTS_PER_FLOW];
	int n;
	if (!pl->ops || !pl->ops->pending)
		return;
	do {
		n = pl->ops->pending(pl->ud, now, final, al, WW_MAX_ALERTS_PER_FLOW);
		emit_alerts(pl, al, n, NULL);
	} while (n == WW_MAX_ALERTS_PER_FLOW);
}

struct ww_pipeline *ww_pipeline_new(const struct ww_pipeline_cfg *cfg)
{
	struct ww_pipeline *pl = calloc(1, sizeof(*pl));
	uint64_t seed;

	if (!pl)
		return NULL;
	/* A random hash seed so crafted traffic cannot aim at one bucket. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	pl->dec = ww_decoder_new();
	if (!pl->dec)
		goto err;
	pl->flows = ww_flows_new(&cfg->flow, seed, on_flow_end, pl);
	if (!pl->flows)
		goto err;
	pl->em = ww_emitter_new(cfg->out, cfg->mode, cfg->quiet, cfg->color);
	if (!pl->em)
		goto err;
	if (cfg->output_thread)
		(void)ww_emitter_start_thread(pl->em);   /* text, or no thread: synchronous, still correct */
	pl->ops = cfg->attrib;
	pl->ud = cfg->attrib_ud;
	pl->none_reason = cfg->none_reason ? cfg->none_reason : "";
	pl->no_classify = cfg->no_classify;
	pl->batch = cfg->live ? 1 : WW_BATCH;
	if (pl->batch > 1) {
		pl->memo = calloc(WW_SETTLED_SLOTS, sizeof(*pl->memo));
		if (!pl->memo)
			goto err;
		pl->min_tmo = INT64_MAX;
		for (int i = 0; i < WW_TMO_NCLASSES; i++) {
			ww_time_t t = (ww_time_t)(cfg->flow.timeout_s[i] ? cfg->flow.timeout_s[i]
						  : ww_flows_default_timeout((enum ww_tmo_class)i)) * WW_USEC_PER_SEC;
			if (t < pl->min_tmo)
				pl->min_tmo = t;
		}
		pl->max_flows = cfg->flow.max_flows ? cfg->flow.max_flows : WW_DEFAULT_MAX_FLOWS;
	}
	return pl;
err:
	ww_pipeline_free(pl);
	return NULL;
}

void ww_pipeline_free(struct ww_pipeline *pl)
{
	if (!pl)
		return;
	ww_flows_free(pl->flows);
	ww_decoder_free(pl->dec);
	ww_emitter_free(pl->em);
	free(pl->memo);
	free(pl);
}

/* Account one decoded packet in its flow, classify, judge. */
static void process(struct ww_pipeline *pl, struct pending *e)
{
	struct ww_pkt *p = &e->p;
	enum ww_dir dir;
	struct ww_flow *f = ww_flows_packet_prepared(pl->flows, p, e->ts, &e->prep, &dir);

	if (WW_UNLIKELY(!f))
		return;
	if (WW_UNLIKELY(f->pkts[0] + f->pkts[1] == 1) && pl->ops && pl->ops->flow_new) {
		pl->ops->flow_new(pl->ud, f, p, e->ts);
		if (pl->ops->judge_new)
			judge_new(pl, f);
	}

	if (f->flags & FF_SETTLED) {
		if (pl->memo)
			*memo_of(pl, f->hash) = (struct settled){ f->hash, e->ts };
		return;
	}
	if (p->payload_len && p->payload && !(f->flags & FF_CLS_DONE) && !pl->no_classify &&
	    (p->proto == WW_IPPROTO_TCP || p->proto == WW_IPPROTO_UDP)) {
		if (!f->cls) {
			f->cls = ww_cls_new();
			if (!f->cls) {
				f->flags |= FF_CLS_DONE;   /* out of memory: port guess only */
				return;
			}
		}
		if (ww_cls_feed(f->cls, f, dir, p->payload, p->payload_len, f->pkts[0] + f->pkts[1])) {
			f->flags |= FF_CLS_DONE;
			judge_ports(pl, f, e->ts);
			settle(f);
			if (pl->memo)
				*memo_of(pl, f->hash) = (struct settled){ f->hash, e->ts };
		}
	}
}

void ww_pipeline_drain(struct ww_pipeline *pl)
{
	while (pl->n) {
		process(pl, &pl->ring[pl->head]);
		pl->head = (pl->head + 1) % WW_BATCH;
		pl->n--;
	}
}

int ww_pipeline_packet(struct ww_pipeline *pl, int dlt, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, ww_time_t ts)
{
	unsigned slot = (pl->head + pl->n) % WW_BATCH;
	struct pending *e = &pl->ring[slot];

	pl->st.packets++;
	pl->st.bytes += wirelen;
	if (ts > pl->now)
		pl->now = ts;
	switch (ww_decode(pl->dec, dlt, data, caplen, ts, &e->p)) {
	case WW_DECODE_OK:
		break;
	case WW_DECODE_NOT_IP:
		pl->st.non_ip++;
		return pl->err;
	case WW_DECODE_FRAG_ORPHAN:
		pl->st.orphan_fragments++;
		return pl->err;
	case WW_DECODE_BAD_LINKTYPE:
		pl->st.skipped_packets++;
		return pl->err;
	default:
		pl->st.decode_errors++;
		return pl->err;
	}
	e->ts = ts;
	if (pl->batch == 1) {
		/* Live: no holding back, the owner lookup wants the packet now. */
		ww_flows_prepare(pl->flows, &e->p, &e->prep);
		process(pl, e);
		return pl->err;
	}

	ww_flows_prepare(pl->flows, &e->p, &e->prep);

	/* A packet whose payload may be read cannot wait (see struct settled). */
	if (e->p.payload_len) {
		struct settled *m = memo_of(pl, e->prep.hash);
		bool syn = e->p.proto == WW_IPPROTO_TCP &&
			   (e->p.tcp_flags & (WW_TCP_SYN | WW_TCP_ACK)) == WW_TCP_SYN;
		bool settled = m->hash == e->prep.hash && !syn && ts - m->last < pl->min_tmo &&
			       ww_flows_active(pl->flows) + WW_BATCH < pl->max_flows;
		if (syn)
			m->hash = 0;   /* a new connection: not settled */
		if (pl->no_classify || settled) {
			e->p.payload = NULL;   /* counted, never read */
		} else {
			for (unsigned i = 0; i < pl->n; i++)
				ww_flows_prefetch_record(pl->flows,
					&pl->ring[(pl->head + i) % WW_BATCH].prep);
			ww_pipeline_drain(pl);
			process(pl, e);   /* e is the slot after the drained ones: free */
			return pl->err;
		}
	}
	pl->n++;
	if (pl->n > WW_PREFETCH_RECORD_AT)
		ww_flows_prefetch_record(pl->flows,
			&pl->ring[(pl->head + pl->n - 1 - WW_PREFETCH_RECORD_AT) % WW_BATCH].prep);
	if (pl->n == WW_BATCH) {
		process(pl, &pl->ring[pl->head]);
		pl->head = (pl->head + 1) % WW_BATCH;
		pl->n--;
	}
	return pl->err;
}

void ww_pipeline_skip(struct ww_pipeline *pl, uint32_t wirelen)
{
	pl->st.packets++;
	pl->st.bytes += wirelen;
	pl->st.skipped_packets++;
}

int ww_pipeline_alert(struct ww_pipeline *pl, const struct ww_alert *a)
{
	emit_alerts(pl, a, 1, NULL);
	return pl->err;
}

int ww_pipeline_finish(struct ww_pipeline *pl, ww_time_t now, double elapsed_s, uint64_t dropped)
{
	ww_pipeline_drain(pl);
	ww_flows_flush(pl->flows);
	pending_alerts(pl, now, true);
	pl->st.flows = ww_flows_created(pl->flows);
	pl->st.evicted = ww_flows_evicted(pl->flows);
	pl->st.dropped = dropped;
	pl->st.elapsed_s = elapsed_s;
	int rc = ww_emit_stats(pl->em, &pl->st, now);
	return pl->err ? pl->err : rc;
}

void ww_pipeline_tick(struct ww_pipeline *pl, ww_time_t now)
{
	ww_pipeline_drain(pl);
	if (now > pl->now)
		pl->now = now;
	ww_flows_expire(pl->flows, pl->now);
	pending_alerts(pl, pl->now, false);
}

const struct ww_stats *ww_pipeline_stats(struct ww_pipeline *pl)
{
	ww_pipeline_drain(pl);
	pl->st.flows = ww_flows_created(pl->flows);
	pl->st.evicted = ww_flows_evicted(pl->flows);
	return &pl->st;
}

ww_time_t ww_pipeline_now(const struct ww_pipeline *pl)
{
	return pl->now;
}
