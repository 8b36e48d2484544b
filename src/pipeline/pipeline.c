/*
 * pipeline.c - one packet through every stage, and a flow's end through the
 * judges to the writers.
 *
 * Per packet: decode into a stack view, account it in its flow, and feed the
 * classifier only while the flow carries payload and its answer is not yet
 * final (the classifier bounds how long that is). Port judgement runs once,
 * as soon as the answer is final, so a live alert does not wait for the flow
 * to end; a flow that never reaches a final answer is judged when it ends.
 * The flow record is written when the flow ends, after its alerts; watch's
 * text stream also gets a line at a flow's first packet once its owner is
 * known (flow_started()), so a connection shows while it is open.
 *
 * A replay splits this over two cores (see "replay's analysis thread"; the
 * ring between them is handoff.c's), and ends the flows still open at its
 * end on two threads, the emitter's ("the end of a replay"); both write
 * exactly the bytes of one packet at a time.
 */
#include "wirewho/pipeline.h"
#include "wirewho/classify.h"
#include "wirewho/decode.h"
#include "wirewho/handoff.h"
#include "wirewho/judge_port.h"
#include "wirewho/meta.h"
#include "wirewho/pdns.h"
#include "wirewho/ports.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define FF_CLS_DONE 0x01   /* classification is final: stop feeding */
#define FF_JUDGED   0x02   /* port judgement done */
#define FF_SETTLED  0x04   /* answer copied into the flow, classifier state freed */
#define FF_META_MORE 0x08  /* settled, its metadata waits for the other side (ww_meta_wants()) */
#define FF_META_SRV  0x10  /* ...and only the server's packets can add to it: the client's are counted, not read */
/* The client's payload packets offered (or counted) after settling before
 * the metadata stops waiting: its retransmissions and the rest of its
 * request come before the answer; the object is not touched for them. */
#define META_CLIENT_PKTS 16
#define WW_MAX_ALERTS_PER_FLOW 8   /* one per kind at most; a few kinds apply to flows */

/* A decoded packet, keyed, on its way to the flow engine. */
struct pending {
	struct ww_pkt p;
	struct ww_flow_prep prep;
	ww_time_t ts;
	bool skip;      /* a tunnel descriptor (WW_HANDOFF_TUNNEL), no packet */
};

static const char *app_by_name(enum ww_app_by by)
{
	return by == WW_APP_BY_PAYLOAD ? "payload" : by == WW_APP_BY_PORT ? "port" : "none";
}

struct ww_pipeline {
	struct ww_handoff *aq;   /* replay's ring to the analysis thread (see below), or NULL */
	struct ww_decoder *dec;
	struct ww_tunnels *tun;  /* interned tunnel paths: the reader adds, the analysis thread reads */
	struct ww_pdns *pdns;    /* passive DNS: the analysis thread learns and asks (NULL: out of memory) */
	struct ww_flows *flows;
	struct ww_emitter *em;
	uint64_t alerts;         /* counted where they are emitted */
	const struct ww_attrib_ops *ops;
	void *ud;
	const char *none_reason;
	bool no_classify;
	bool live_text;          /* watch's text stream: a line when an attributed flow starts */
	int err;        /* first output error */
	/* The thread that runs process() takes and gives back classifier
	 * states here, a line apart from what the reader reads. */
	_Alignas(64) struct ww_cls_cache cls_cache;
	uint16_t next_tun;       /* the analysis thread: tunnel of the next descriptor */
	/*
	 * Counted per packet where packets are read: with an analysis thread,
	 * on the reader's thread, so on a cache line of their own (sharing one
	 * with the pointers above cost the analysis thread a miss a packet).
	 */
	_Alignas(64) struct ww_stats st;
	ww_time_t now;
	uint32_t populated;      /* flow records made resident: [0, populated), see populate_ahead() */
	bool populate_off;       /* the kernel can't (before Linux 5.14) */
	pthread_t analysis;      /* with aq */
};

static void view_of(struct ww_pipeline *pl, const struct ww_flow *f, struct ww_flow_view *v)
{
	memset(v, 0, sizeof(*v));
	v->f = f;
	if (WW_UNLIKELY(f->tunnel))
		v->tunnel = ww_tunnels_get(pl->tun, f->tunnel);
	if (f->flags & FF_SETTLED) {
		v->app_proto = ww_cls_proto_name(f->app_idx);
		v->app_by = app_by_name(f->app_by);
		v->meta = f->meta;
	} else {
		enum ww_app_by by;
		v->app_proto = ww_cls_app_proto(f->cls, f, &by);
		v->app_by = app_by_name(by);
		v->sni = ww_cls_sni(f->cls);
		v->sni_len = ww_cls_sni_len(f->cls);
		v->meta = ww_cls_meta(f->cls);
		if (!v->meta)
			v->meta = f->meta;   /* passive DNS's name alone (adopt_meta() joins them at the end) */
	}
	uint16_t sl;
	/* the top-level sni is TLS's (records.md); QUIC's is in its tls object */
	const char *sni = v->meta && !(v->meta->have & WW_MH_TLS_QUIC) ? ww_meta_get(v->meta, WW_MT_SNI, &sl) : NULL;
	if (sni && sl) {
		v->sni = sni;
		v->sni_len = sl;
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

/* Keep the pipeline's first error. */
static void note_err(struct ww_pipeline *pl, int rc)
{
	if (rc && !pl->err)
		pl->err = rc;
}

/*
 * A payload packet of a settled flow whose metadata waits for the other
 * side. The object (a cache miss: it is cold) is read only for packets
 * that can add to it; the client's packets while only the server's answer
 * is awaited are counted in the flow itself.
 */
static void meta_feed(struct ww_flow *f, int to_client, const uint8_t *p, uint32_t n)
{
	if (!to_client && (f->flags & FF_META_SRV)) {
		if (--f->meta_left == 0)
			f->flags &= (uint8_t)~(FF_META_MORE | FF_META_SRV);
		return;
	}
	if (ww_meta_feed(&f->meta, to_client, p, n))
		f->flags &= (uint8_t)~(FF_META_MORE | FF_META_SRV);
	else if (!ww_meta_wants_client(f->meta))
		f->flags |= FF_META_SRV;
}

/* The classifier's metadata into the flow's, joined with what passive DNS
 * put there at the first packet (the classifier's object absorbs it). */
static void adopt_meta(struct ww_pipeline *pl, struct ww_flow *f)
{
	struct ww_meta *m = ww_cls_take_meta(f->cls);
	if (!m)
		return;
	note_err(pl, ww_meta_merge(&m, f->meta));   /* a name lost to memory: exit 1 (#17.2) */
	f->meta = m;
}

/*
 * A flow's first packet: the name an earlier DNS answer gave its server
 * address, and who asked, into its metadata (a small object of its own;
 * none when no answer named the address).
 */
static void pdns_name(struct ww_pipeline *pl, struct ww_flow *f, ww_time_t ts)
{
	struct ww_pdns_hit h;
	if (!ww_pdns_lookup(pl->pdns, f->key.family, ww_flow_server_ip(f), ts, &h))
		return;
	int rc = ww_meta_add(&f->meta, WW_MT_DNS_NAME, h.name, h.len);
	if (rc == -ENOMEM)
		note_err(pl, rc);   /* the record would lack its name: exit 1 (#17.2) */
	if (rc == 0 && h.comm_len) {
		char who[4 + WW_PDNS_ASKER_MAX];
		int32_t pid = h.pid;
		memcpy(who, &pid, 4);
		memcpy(who + 4, h.comm, h.comm_len);
		(void)ww_meta_add(&f->meta, WW_MT_DNS_PROC, who, 4u + h.comm_len);
	}
}

/* A DNS response on a flow: its addresses into the passive DNS cache, with the flow's owner as the asker. */
static void pdns_learn(struct ww_pipeline *pl, struct ww_flow *f, const struct ww_pkt *p, ww_time_t ts)
{
	bool tcp = p->proto == WW_IPPROTO_TCP;
	if (!ww_pdns_is_answer(p->payload, p->payload_len, tcp))
		return;
	struct ww_pdns_asker who = { 0, NULL };
	struct ww_flow_view v;
	if (pl->ops) {
		view_of(pl, f, &v);
		if (v.owner) {
			who.pid = v.owner->pid;
			who.comm = v.owner->comm;
		}
	}
	(void)ww_pdns_learn(pl->pdns, p->payload, p->payload_len, tcp, p->sport == WW_PDNS_MDNS_PORT,
			    ts, &who);
}

/*
 * Once a flow's answer `r` is final and judged, keep only the answer (the
 * classifier's one-byte protocol id and, for TLS, the server name: the
 * flow record has no room to spare) and free the detection state: a flow
 * that lives for hours then costs its record and nothing more.
 */
static void settle(struct ww_pipeline *pl, struct ww_flow *f, const struct ww_cls_result *r)
{
	f->app_idx = r->proto;
	f->app_by = r->by;
	adopt_meta(pl, f);
	if (f->meta && ww_meta_wants(f->meta)) {
		f->flags |= FF_META_MORE;
		if (!ww_meta_wants_client(f->meta))
			f->flags |= FF_META_SRV;
		f->meta_left = META_CLIENT_PKTS;
	}
	ww_cls_release(&pl->cls_cache, f->cls);
	f->cls = NULL;
	f->flags |= FF_SETTLED;
}

/*
 * Where a flow's records go: `b` NULL, the emitter (counted and errors kept
 * here); else a batch of the end-of-input flush (see flush_in_two()),
 * which counts its alerts and keeps its first error itself.
 */
static void emit_alerts_to(struct ww_pipeline *pl, struct ww_emit_batch *b, const struct ww_alert *a,
			   int n, const struct ww_flow_view *v)
{
	for (int i = 0; i < n; i++) {
		if (b) {
			(void)ww_emit_batch_alert(b, &a[i], v);
		} else {
			note_err(pl, ww_emit_alert(pl->em, &a[i], v));
			pl->alerts++;
		}
	}
}

static void emit_alerts(struct ww_pipeline *pl, const struct ww_alert *a, int n,
			const struct ww_flow_view *v)
{
	emit_alerts_to(pl, NULL, a, n, v);
}

/* The port judgement on the classifier's final answer `r` (NULL: no payload). */
static void judge_ports(struct ww_pipeline *pl, struct ww_emit_batch *b, struct ww_flow *f,
			const struct ww_cls_result *r, ww_time_t ts)
{
	struct ww_alert al[WW_MAX_ALERTS_PER_FLOW];
	struct ww_flow_view v;
	int n;

	f->flags |= FF_JUDGED;
	n = ww_judge_port(f, r, ts, al, WW_MAX_ALERTS_PER_FLOW);
	/* a policy rule with app= expects this protocol on this port: only the
	 * nonstandard_port judgement is silenced, every other one stands */
	for (int i = 0; i < n && pl->ops && pl->ops->explains_app; i++) {
		if (al[i].kind == WW_ALERT_PORT_NONSTANDARD && al[i].ev.protocol &&
		    pl->ops->explains_app(pl->ud, f, al[i].ev.protocol)) {
			al[i--] = al[--n];
		}
	}
	if (n <= 0)
		return;
	view_of(pl, f, &v);
	emit_alerts_to(pl, b, al, n, &v);
}

/* What the pipeline attached to a flow that is gone: attribution, classifier
 * state, server name. `b` as below (the classifier cache is one thread's). */
static void release_flow(struct ww_pipeline *pl, struct ww_emit_batch *b, struct ww_flow *f)
{
	if (pl->ops && pl->ops->flow_end)
		pl->ops->flow_end(pl->ud, f);
	if (!b)   /* on the thread that runs process() */
		ww_cls_release(&pl->cls_cache, f->cls);
	else      /* the end-of-input flush: either of two threads */
		ww_cls_free(f->cls);
	f->cls = NULL;
	ww_meta_free(f->meta);
	f->meta = NULL;
}

/* A flow ended: its alerts and record to `b` (NULL: the emitter), then free its state. */
static void end_flow_to(struct ww_pipeline *pl, struct ww_emit_batch *b, struct ww_flow *f)
{
	struct ww_flow_view v;
	struct ww_alert al[WW_MAX_ALERTS_PER_FLOW];

	ww_cls_finish(f->cls, f);   /* decide on what was seen */
	if (!(f->flags & FF_SETTLED))
		adopt_meta(pl, f);
	if (!(f->flags & FF_JUDGED)) {
		struct ww_cls_result r;
		if (f->cls)
			ww_cls_result(f->cls, f, &r);
		judge_ports(pl, b, f, f->cls ? &r : NULL, f->last);
	}
	view_of(pl, f, &v);
	if (pl->ops && pl->ops->judge) {
		int n = pl->ops->judge(pl->ud, f, &v, al, WW_MAX_ALERTS_PER_FLOW);
		emit_alerts_to(pl, b, al, n, &v);
	}
	if (!b)
		note_err(pl, ww_emit_flow(pl->em, &v));
	else
		(void)ww_emit_batch_flow(b, &v);
	release_flow(pl, b, f);
}

static void on_flow_end(struct ww_flow *f, void *ud)
{
	end_flow_to(ud, NULL, f);
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

/*
 * watch's text stream: a line as soon as a flow has an owner, so a person
 * sees who opened a connection while it is open, not only after it ends
 * (which is 10 s to minutes later).
 */
static void flow_started(struct ww_pipeline *pl, struct ww_flow *f)
{
	struct ww_flow_view v;
	view_of(pl, f, &v);
	if (v.owner)
		note_err(pl, ww_emit_flow_start(pl->em, &v));
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

/* CPUs this process may run on (its affinity mask, as taskset sets it). */
static int usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static void aq_stop(struct ww_pipeline *pl);
static int aq_start(struct ww_pipeline *pl);

struct ww_pipeline *ww_pipeline_new(const struct ww_pipeline_cfg *cfg)
{
	struct ww_pipeline *pl = aligned_alloc(_Alignof(struct ww_pipeline), sizeof(*pl));
	uint64_t seed;

	if (!pl)
		return NULL;
	memset(pl, 0, sizeof(*pl));
	/* A random hash seed so crafted traffic cannot aim at one bucket. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	pl->dec = ww_decoder_new();
	if (!pl->dec)
		goto err;
	ww_decoder_set_decap(pl->dec, !cfg->no_decap);
	for (unsigned i = 0; i < cfg->n_vxlan_ports; i++)
		if (ww_decoder_add_vxlan_port(pl->dec, cfg->vxlan_ports[i]) != 0)
			goto err;   /* the caller checked them */
	pl->tun = ww_tunnels_new();
	if (!pl->tun)
		goto err;
	/* Without it flows would go unnamed: records other than the input's, so out of memory. */
	pl->pdns = ww_pdns_new(WW_PDNS_ENTRIES_DEFAULT, WW_PDNS_BYTES_DEFAULT);
	if (!pl->pdns)
		goto err;
	/* libcrypto set up here, not half set up by a failure on an analysis thread */
	if (ww_meta_prepare() != 0)
		goto err;
	pl->flows = ww_flows_new(&cfg->flow, seed, on_flow_end, pl);
	if (!pl->flows)
		goto err;
	pl->em = ww_emitter_new(cfg->out, cfg->mode, cfg->quiet, cfg->color);
	if (!pl->em)
		goto err;
	if (cfg->live) {
		ww_emitter_set_live(pl->em);
		pl->live_text = cfg->mode == WW_EMIT_TEXT && !cfg->quiet;
	}
	if (cfg->output_thread)
		(void)ww_emitter_start_thread(pl->em);   /* text, or no thread: synchronous, still correct */
	pl->ops = cfg->attrib;
	pl->ud = cfg->attrib_ud;
	pl->none_reason = cfg->none_reason ? cfg->none_reason : "";
	pl->no_classify = cfg->no_classify;
	pl->st.attribution_engine = cfg->attr_engine;
	pl->st.attribution_engine_reason = cfg->attr_engine_reason;
	/* The port tables are built at their first use, which is not safe on
	 * two threads at once: the end-of-input flush judges flows on two. */
	ww_ports_prepare();
	/* Replay: a thread of its own for the flows, when there is a core for it. */
	if (cfg->analysis_thread && !cfg->live && usable_cpus() > 1)
		(void)aq_start(pl);   /* no thread: every packet processed at once, still correct */
	return pl;
err:
	ww_pipeline_free(pl);
	return NULL;
}

/*
 * Flows still open when the pipeline is freed without ww_pipeline_finish()
 * (an error stopped the run): nothing is written for them, but what the
 * pipeline attached to each (classifier state, server name, attribution)
 * is released.
 */
static void drop_open_flows(struct ww_pipeline *pl)
{
	size_t n;
	struct ww_flow **all = ww_flows_open_by_id(pl->flows, &n);

	for (size_t i = 0; i < n; i++)
		release_flow(pl, NULL, all[i]);   /* the analysis thread is gone: this is its cache now */
	free(all);
	ww_flows_clear(pl->flows);
}

void ww_pipeline_free(struct ww_pipeline *pl)
{
	if (!pl)
		return;
	aq_stop(pl);
	if (pl->flows)
		drop_open_flows(pl);
	ww_flows_free(pl->flows);
	ww_cls_cache_clear(&pl->cls_cache);
	ww_decoder_free(pl->dec);
	ww_emitter_free(pl->em);
	ww_tunnels_free(pl->tun);
	ww_pdns_free(pl->pdns);
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
	if (WW_UNLIKELY(f->pkts[0] + f->pkts[1] == 1) && pl->pdns)
		pdns_name(pl, f, e->ts);
	if (WW_UNLIKELY(p->payload_len && p->payload && (p->sport == 53 || p->sport == WW_PDNS_MDNS_PORT)) && pl->pdns &&
	    (p->proto == WW_IPPROTO_UDP || p->proto == WW_IPPROTO_TCP))
		pdns_learn(pl, f, p, e->ts);
	if (WW_UNLIKELY(ww_meta_out_of_memory() || ww_pdns_out_of_memory(pl->pdns)))
		note_err(pl, -ENOMEM);   /* a name or a value the record would carry is lost: exit 1 (#17.2) */
	if (WW_UNLIKELY(f->pkts[0] + f->pkts[1] == 1) && pl->ops && pl->ops->flow_new) {
		pl->ops->flow_new(pl->ud, f, p, e->ts);
		if (WW_UNLIKELY(pl->ops->out_of_memory && pl->ops->out_of_memory(pl->ud)))
			note_err(pl, -ENOMEM);
		if (pl->ops->judge_new)
			judge_new(pl, f);
		if (pl->live_text)
			flow_started(pl, f);
	}

	if (f->flags & FF_SETTLED) {
		/* the other side's first messages (the ServerHello, the HTTP
		 * response, the DNS answer, the other SSH banner) after the
		 * answer settled: a few packets at most (meta.c) */
		if (WW_UNLIKELY(f->flags & FF_META_MORE) && p->payload_len && p->payload)
			meta_feed(f, dir == WW_DIR_TOCLIENT, p->payload, p->payload_len);
		return;
	}
	if (p->payload_len && p->payload && !(f->flags & FF_CLS_DONE) && !pl->no_classify &&
	    (p->proto == WW_IPPROTO_TCP || p->proto == WW_IPPROTO_UDP)) {
		if (!f->cls) {
			f->cls = ww_cls_new_cached(&pl->cls_cache);
			if (!f->cls) {
				/* Out of memory: this flow gets the port guess, and the
				 * run ends with exit 1 (#17.2), not a quiet 0 with a
				 * record that is not what the payload said. */
				f->flags |= FF_CLS_DONE;
				note_err(pl, -ENOMEM);
				return;
			}
		}
		bool final = ww_cls_feed(f->cls, f, dir, p->payload, p->payload_len, f->pkts[0] + f->pkts[1]);
		if (WW_UNLIKELY(ww_cls_out_of_memory(f->cls)))
			note_err(pl, -ENOMEM);   /* the answer may be short: exit 1, not a quiet 0 */
		if (final) {
			struct ww_cls_result r;
			f->flags |= FF_CLS_DONE;
			ww_cls_result(f->cls, f, &r);
			judge_ports(pl, NULL, f, &r, e->ts);
			settle(pl, f, &r);
		}
	}
}

/*
 * Wait until the analysis thread (if any) has processed every packet handed
 * over. Called by finish, tick, stats and alert. This function can't fail.
 */
static void ww_pipeline_drain(struct ww_pipeline *pl)
{
	if (pl->aq)
		ww_handoff_sync(pl->aq);
}

/* Decode a frame; a frame that is not a flow's packet is counted here. */
static bool decode(struct ww_pipeline *pl, int dlt, const uint8_t *data, uint32_t caplen,
		   ww_time_t ts, struct ww_pkt *p)
{
	switch (ww_decode(pl->dec, dlt, data, caplen, ts, p)) {
	case WW_DECODE_OK:
		if (WW_UNLIKELY(p->inner_error))
			pl->st.decode_errors++;   /* the carrier still counts in its flow */
		return true;
	case WW_DECODE_NOT_IP:
		pl->st.non_ip++;
		break;
	case WW_DECODE_FRAG_ORPHAN:
		pl->st.orphan_fragments++;
		break;
	case WW_DECODE_BAD_LINKTYPE:
		pl->st.skipped_packets++;
		break;
	default:
		pl->st.decode_errors++;
		break;
	}
	return false;
}

/* ---- replay's analysis thread ------------------------------------------- */

/*
 * With cfg->analysis_thread the work is split over two cores: the caller's
 * thread reads the capture (libpcap), decodes each frame, builds its flow
 * key, and copies what the classifier may read of its payload (at most
 * WW_CLS_MAX_BYTES_DIR bytes of a TCP or UDP packet) into the hand-off
 * ring's arena (handoff.h). The analysis thread takes these descriptors in
 * order and does everything else: the keyed hash, the flow table, TCP
 * state, timeouts, classification, judgement, emission. Only the
 * descriptors cross cores, one cache line per packet; a payload is read
 * on the other side only while its flow is classified.
 *
 * The analysis thread looks ahead in the ring to overlap the table misses
 * of several packets: the table chunk of the descriptor AQ_AHEAD_HOME
 * places on is prefetched, and its record AQ_AHEAD_RECORD places on, so
 * both lines are in cache when the packet's turn comes. Sixteen in flight
 * covers two DRAM misses each with room to spare; more only costs cache.
 *
 * (The single-threaded replay before this held packets back in a ring of
 * its own for the same reason, and kept a memo of settled flows to decide
 * which packets could wait without their payload. That memo could be
 * re-set by a late packet of a connection after a new SYN on its 5-tuple,
 * and the new connection then lost its first payload. Copying the
 * payloads the classifier may read needs no such guess.)
 */
#define AQ_AHEAD_HOME   16u
#define AQ_AHEAD_RECORD 8u
#define AQ_POPULATE_EVERY 1024u        /* descriptors between the reader's looks at the pool */
#define AQ_POPULATE_AHEAD (24u << 10)  /* flow records kept resident ahead of the inserts (~4 MB) */
_Static_assert(WW_CLS_MAX_BYTES_DIR <= WW_HANDOFF_COPY_MAX, "the arena must hold several payloads");
_Static_assert(AQ_AHEAD_RECORD < AQ_AHEAD_HOME, "a record is fetched after its chunk");

/* The analysis thread's position, what it counted and its first error, to the reader. */
static void publish_head(struct ww_pipeline *pl, uint32_t h)
{
	ww_handoff_release(pl->aq, h, pl->err, ww_flows_records_used(pl->flows));
}

/* A handed-over packet back into the view process() takes; hash and prefetch. */
static void unpack(struct ww_pipeline *pl, const struct ww_handoff_pkt *d, struct pending *e)
{
	struct ww_pkt *p = &e->p;
	bool a = d->bits & WW_HANDOFF_SRC_IS_A;

	e->skip = false;
	if (WW_UNLIKELY(d->bits & WW_HANDOFF_TUNNEL)) {
		pl->next_tun = (uint16_t)d->payload_off;
		e->skip = true;
		return;
	}
	p->tunnel = pl->next_tun;
	pl->next_tun = 0;
	e->prep.key = d->key;
	e->prep.src_is_a = a;
	ww_flows_prepare_key(pl->flows, &e->prep);
	e->ts = d->ts;
	p->src = a ? d->key.a : d->key.b;
	p->dst = a ? d->key.b : d->key.a;
	if (d->key.proto == WW_IPPROTO_ICMP || d->key.proto == WW_IPPROTO_ICMPV6) {
		p->sport = d->key.port_a;   /* identifier; dport is the message type */
		p->dport = d->icmp_type;
	} else {
		p->sport = a ? d->key.port_a : d->key.port_b;
		p->dport = a ? d->key.port_b : d->key.port_a;
	}
	p->vlan = d->key.vlan;
	p->family = d->key.family;
	p->proto = d->key.proto;
	p->tcp_flags = d->tcp_flags;
	p->icmp_type = d->icmp_type;
	p->icmp_code = d->icmp_code;
	p->has_ports = d->bits & WW_HANDOFF_HAS_PORTS;
	p->is_fragment = d->bits & WW_HANDOFF_FRAGMENT;
	p->ip_len = d->ip_len;
	p->payload_len = d->payload_len;
	p->payload = NULL;
	if (d->bits & WW_HANDOFF_PAYLOAD) {
		/* The reader's core wrote it: fetch the start now, as the
		 * classifier reads it first (for a settled flow, a wasted fetch). */
		p->payload = ww_handoff_payload(pl->aq, d);
		__builtin_prefetch(p->payload);
	}
	p->tcp_seq = 0;
}

static void *analysis_main(void *arg)
{
	struct ww_pipeline *pl = arg;
	struct ww_handoff *q = pl->aq;
	struct pending stage[AQ_AHEAD_HOME];   /* unpacked, hashed, prefetched */
	uint32_t h = 0;
	uint32_t home = h, rec = h;   /* next descriptors to unpack, to prefetch the record of */

	for (;;) {
		uint32_t t = ww_handoff_ready(q, h);
		if (t == h)
			break;   /* stopped */
		while (h != t) {
			for (; home != t && home - h < AQ_AHEAD_HOME; home++)
				unpack(pl, ww_handoff_at(q, home), &stage[home % AQ_AHEAD_HOME]);
			for (; rec != home && rec - h < AQ_AHEAD_RECORD; rec++)
				if (!stage[rec % AQ_AHEAD_HOME].skip)
					ww_flows_prefetch_record(pl->flows, &stage[rec % AQ_AHEAD_HOME].prep);
			if (!stage[h % AQ_AHEAD_HOME].skip)
				process(pl, &stage[h % AQ_AHEAD_HOME]);
			h++;
			if ((h & (WW_HANDOFF_PUBLISH - 1)) == 0)
				publish_head(pl, h);
		}
		publish_head(pl, h);
	}
	return NULL;
}

/*
 * The first write to a flow record, or to a part of the table's index,
 * faults in its page, and the kernel zeroes it first: ~1 ms for each 2 MB
 * huge page here, an eighth of the analysis thread's time on a capture of
 * many short flows. The reader has time to spare, so it has the kernel do
 * that ahead of the analysis thread: the index at the start, and records
 * up to AQ_POPULATE_AHEAD past the highest one used (the ring's mark),
 * looked at every AQ_POPULATE_EVERY packets (at most one new record per
 * packet, and the ring holds WW_HANDOFF_SLOTS of them: the lead covers
 * both many times over).
 */
static void populate_ahead(struct ww_pipeline *pl, bool index)
{
	uint32_t used = ww_handoff_mark(pl->aq);

	if (pl->populate_off || (!index && used + AQ_POPULATE_AHEAD / 2 < pl->populated))
		return;
	if (ww_flows_populate(pl->flows, index, pl->populated, used + AQ_POPULATE_AHEAD) != 0)
		pl->populate_off = true;
	pl->populated = used + AQ_POPULATE_AHEAD;
}

static int aq_start(struct ww_pipeline *pl)
{
	pl->aq = ww_handoff_new();
	if (!pl->aq)
		return -ENOMEM;
	if (pthread_create(&pl->analysis, NULL, analysis_main, pl) != 0) {
		ww_handoff_free(pl->aq);
		pl->aq = NULL;
		return -EAGAIN;
	}
	populate_ahead(pl, true);
	return 0;
}

static void aq_stop(struct ww_pipeline *pl)
{
	if (!pl->aq)
		return;
	ww_handoff_sync(pl->aq);
	ww_handoff_stop(pl->aq);
	pthread_join(pl->analysis, NULL);
	ww_handoff_free(pl->aq);
	pl->aq = NULL;
}

/* Fill the slot `d` with the decoded packet `p` and push it. */
static inline void handover_one(struct ww_pipeline *pl, struct ww_handoff *q,
				struct ww_handoff_pkt *d, const struct ww_pkt *p, ww_time_t ts)
{
	bool src_is_a;

	ww_flowkey_from_pkt(p, &d->key, &src_is_a);
	d->ts = ts;
	d->ip_len = p->ip_len;
	d->payload_len = p->payload_len;
	d->tcp_flags = p->tcp_flags;
	d->icmp_type = p->icmp_type;
	d->icmp_code = p->icmp_code;
	d->bits = (uint8_t)((src_is_a ? WW_HANDOFF_SRC_IS_A : 0) | (p->has_ports ? WW_HANDOFF_HAS_PORTS : 0) |
			    (p->is_fragment ? WW_HANDOFF_FRAGMENT : 0));
	if (p->payload_len && p->payload && !pl->no_classify &&
	    (p->proto == WW_IPPROTO_TCP || p->proto == WW_IPPROTO_UDP)) {
		d->payload_off = ww_handoff_copy(q, p->payload, p->payload_len < WW_CLS_MAX_BYTES_DIR ?
						 p->payload_len : WW_CLS_MAX_BYTES_DIR);
		d->bits |= WW_HANDOFF_PAYLOAD;
	}
	ww_handoff_push(q);
	if (WW_UNLIKELY((ww_handoff_pushed(q) & (AQ_POPULATE_EVERY - 1)) == 0))
		populate_ahead(pl, false);
}

/*
 * A tunnelled packet: each carrier's packet first (outermost first), then
 * the inner one, each tunnelled one behind a descriptor that carries only
 * its interned tunnel number (the ordinary descriptor has no room for it,
 * and an ordinary packet should not pay for one).
 */
static void handover_tunnelled(struct ww_pipeline *pl, struct ww_handoff *q,
			       struct ww_handoff_pkt *d, struct ww_pkt *p, ww_time_t ts)
{
	unsigned n = p->tunnel_depth;
	for (unsigned i = 0; i <= n; i++) {
		struct ww_pkt c = i < n ? *ww_decode_carrier(pl->dec, i) : *p;
		if (i < n)
			c.payload = NULL;   /* a carrier's payload is its tunnel: named by port, not read */
		uint16_t tun = i ? ww_tunnels_intern(pl->tun, ww_decode_layer(pl->dec, 0), i) : 0;
		if (i)
			d = ww_handoff_slot(q);
		if (tun) {
			memset(d, 0, sizeof(*d));
			d->bits = WW_HANDOFF_TUNNEL;
			d->payload_off = tun;
			ww_handoff_push(q);
			d = ww_handoff_slot(q);
		}
		handover_one(pl, q, d, &c, ts);
	}
}

/* Decode and key one frame, copy what may be read of its payload, hand it on. */
static int packet_handover(struct ww_pipeline *pl, int dlt, const uint8_t *data,
			   uint32_t caplen, ww_time_t ts)
{
	struct ww_handoff *q = pl->aq;
	struct ww_handoff_pkt *d = ww_handoff_slot(q);
	struct ww_pkt p;

	if (!decode(pl, dlt, data, caplen, ts, &p))
		goto out;
	if (WW_UNLIKELY(p.tunnel_depth))
		handover_tunnelled(pl, q, d, &p, ts);
	else
		handover_one(pl, q, d, &p, ts);
out:
	return ww_handoff_err(q);
}

/* Without an analysis thread: each carrier's packet, then the inner one. */
static void process_tunnelled(struct ww_pipeline *pl, struct pending *e)
{
	unsigned n = e->p.tunnel_depth;
	for (unsigned i = 0; i < n; i++) {
		struct pending c;
		c.p = *ww_decode_carrier(pl->dec, i);
		c.p.payload = NULL;   /* its payload is the tunnel: named by port, not read */
		c.p.tunnel = i ? ww_tunnels_intern(pl->tun, ww_decode_layer(pl->dec, 0), i) : 0;
		c.ts = e->ts;
		c.skip = false;
		ww_flows_prepare(pl->flows, &c.p, &c.prep);
		process(pl, &c);
	}
	e->p.tunnel = ww_tunnels_intern(pl->tun, ww_decode_layer(pl->dec, 0), n);
}

int ww_pipeline_packet(struct ww_pipeline *pl, int dlt, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, ww_time_t ts)
{
	struct pending e;

	pl->st.packets++;
	pl->st.bytes += wirelen;
	if (ts > pl->now)
		pl->now = ts;
	if (pl->aq)
		return packet_handover(pl, dlt, data, caplen, ts);
	if (decode(pl, dlt, data, caplen, ts, &e.p)) {
		e.ts = ts;
		if (WW_UNLIKELY(e.p.tunnel_depth))
			process_tunnelled(pl, &e);
		ww_flows_prepare(pl->flows, &e.p, &e.prep);
		process(pl, &e);
	}
	return pl->err;
}

void ww_pipeline_skip(struct ww_pipeline *pl, uint32_t wirelen)
{
	pl->st.packets++;
	pl->st.bytes += wirelen;
	pl->st.skipped_packets++;
}


/* ---- the end of a replay ------------------------------------------------- */

/*
 * A capture's end leaves most of its flows open, and ending them (judging,
 * formatting their records) is then the only work left: the emitter shares
 * it between two threads (ww_emit_flows_parallel()), in flow_id order, and
 * calls end_open_flow() for each, on either. That is safe because a flow's
 * end then touches only the flow itself, read-only tables (ports) and the
 * classifier's state, freed with ww_cls_free() rather than into the cache
 * of the thread that ran process(): so only without attribution (whose
 * state is one thread's), and only for JSON.
 */
static void end_open_flow(void *ud, struct ww_flow *f, struct ww_emit_batch *b)
{
	end_flow_to(ud, b, f);
}

/* The end-of-input flush on two threads; false when it does not apply. */
static bool flush_in_two(struct ww_pipeline *pl)
{
	struct ww_flow **all;
	uint64_t alerts;
	size_t n;

	if (pl->ops || !ww_emit_parallel_ok(pl->em))
		return false;
	all = ww_flows_open_by_id(pl->flows, &n);
	if (!all)
		return false;   /* none, or no memory: ww_flows_flush() */
	note_err(pl, ww_emit_flows_parallel(pl->em, all, n, end_open_flow, pl, &alerts));
	pl->alerts += alerts;
	free(all);
	ww_flows_clear(pl->flows);
	return true;
}

int ww_pipeline_finish(struct ww_pipeline *pl, ww_time_t now, double elapsed_s, uint64_t dropped)
{
	bool replay = pl->aq != NULL;
	aq_stop(pl);   /* the rest runs here */
	if (!(replay && flush_in_two(pl)))
		ww_flows_flush(pl->flows);
	pending_alerts(pl, now, true);
	if (ww_meta_out_of_memory() || ww_pdns_out_of_memory(pl->pdns))
		note_err(pl, -ENOMEM);   /* a value lost at the last packets or at the flush (#17.2) */
	pl->st.flows = ww_flows_created(pl->flows);
	pl->st.evicted = ww_flows_evicted(pl->flows);
	pl->st.alerts = pl->alerts;
	pl->st.dropped = dropped;
	pl->st.elapsed_s = elapsed_s;
	int rc = ww_emit_stats(pl->em, &pl->st, now);
	return pl->err ? pl->err : rc;
}

int ww_pipeline_stats_record(struct ww_pipeline *pl, ww_time_t now, double elapsed_s, uint64_t dropped)
{
	struct ww_stats st = *ww_pipeline_stats(pl);
	st.dropped = dropped;
	st.elapsed_s = elapsed_s;
	st.capture_counts = false;   /* the final record's: the ring is not drained yet */
	int rc = ww_emit_stats_record(pl->em, &st, now);
	return pl->err ? pl->err : rc;
}

void ww_pipeline_capture_counts(struct ww_pipeline *pl, uint64_t received, uint64_t discarded)
{
	pl->st.received = received;
	pl->st.discarded = discarded;
	pl->st.capture_counts = true;
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
	pl->st.alerts = pl->alerts;
	return &pl->st;
}

ww_time_t ww_pipeline_now(const struct ww_pipeline *pl)
{
	return pl->now;
}
