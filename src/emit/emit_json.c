/*
 * emit_json.c - flow, alert and stats records as NDJSON, field for field as
 * docs/records.md names them.
 *
 * Port-less protocols print null ports. ICMP prints the client's message
 * type as src_port and its code as dst_port, as Zeek's conn.log does, and
 * the echo identifier in an extra "icmp_id" field. Strings that came from
 * packets or /proc go through the escaping JSON writer.
 */
#include "wirewho/emit.h"
#include "wirewho/community_id.h"
#include "wirewho/jsonw.h"
#include "wirewho/meta.h"

static const char *const end_names[] = {
	[WW_END_CLOSED] = "closed", [WW_END_TIMEOUT] = "timeout", [WW_END_REUSED] = "reused",
	[WW_END_EVICTED] = "evicted", [WW_END_EOF] = "end_of_input",
};

static bool is_icmp(uint8_t p) { return p == WW_IPPROTO_ICMP || p == WW_IPPROTO_ICMPV6; }

/* proto, src_ip, src_port, dst_ip, dst_port of a flow. */
static void tuple(struct ww_jw *w, const struct ww_flow *f)
{
	char a[WW_ADDRSTRLEN], pb[4];
	uint8_t proto = f->key.proto;

	ww_jw_str(w, "proto", ww_ipproto_name(proto, pb));
	ww_jw_str(w, "src_ip", ww_addr_str(ww_flow_client_ip(f), f->key.family, a));
	if (is_icmp(proto))
		ww_jw_uint(w, "src_port", f->icmp_type);
	else if (proto == WW_IPPROTO_TCP || proto == WW_IPPROTO_UDP)
		ww_jw_uint(w, "src_port", ww_flow_client_port(f));
	else
		ww_jw_null(w, "src_port");
	ww_jw_str(w, "dst_ip", ww_addr_str(ww_flow_server_ip(f), f->key.family, a));
	if (is_icmp(proto))
		ww_jw_uint(w, "dst_port", f->icmp_code);
	else if (proto == WW_IPPROTO_TCP || proto == WW_IPPROTO_UDP)
		ww_jw_uint(w, "dst_port", ww_flow_server_port(f));
	else
		ww_jw_null(w, "dst_port");
}

void ww_emit_json_owner(struct ww_jw *w, const struct ww_owner *o)
{
	if (!o) {
		ww_jw_null(w, "process");
		return;
	}
	ww_jw_obj_begin(w, "process");
	ww_jw_int(w, "pid", o->pid);
	ww_jw_str(w, "comm", o->comm);
	ww_jw_str(w, "exe", o->exe);
	ww_jw_int(w, "uid", o->uid);
	ww_jw_str(w, "user", o->user);
	ww_jw_arr_begin(w, "indicators");
	for (unsigned i = 0; i < WW_IND_COUNT; i++)
		if (o->indicators & (1u << i))
			ww_jw_str(w, NULL, ww_procs_indicator_name(1u << i));
	ww_jw_arr_end(w);
	ww_jw_str(w, "script", o->script);
	if (o->n_others) {
		ww_jw_arr_begin(w, "other_holders");
		for (unsigned i = 0; i < o->n_others; i++)
			ww_jw_int(w, NULL, o->others[i]);
		ww_jw_arr_end(w);
	}
	ww_emit_json_identity(w, o, true);
	ww_jw_obj_end(w);
}

void ww_emit_json_identity(struct ww_jw *w, const struct ww_owner *o, bool with_cmdline)
{
	ww_jw_int(w, "ppid", o->ppid);
	if (o->ppid > 0) {
		ww_jw_obj_begin(w, "parent");
		ww_jw_int(w, "pid", o->ppid);
		ww_jw_str(w, "comm", o->parent_comm);
		ww_jw_str(w, "exe", o->parent_exe);
		ww_jw_obj_end(w);
	} else {
		ww_jw_null(w, "parent");
	}
	if (with_cmdline)
		ww_jw_str(w, "cmdline", o->cmdline);
	if (o->exe_sha256)
		ww_jw_str(w, "exe_sha256", o->exe_sha256);
	if (o->container) {
		ww_jw_obj_begin(w, "container");
		ww_jw_str(w, "runtime", o->container->runtime);
		ww_jw_str(w, "id", o->container->id);
		if (o->pod_uid)
			ww_jw_str(w, "pod_uid", o->pod_uid);
		ww_jw_obj_end(w);
	}
	if (o->unit)
		ww_jw_str(w, "unit", o->unit);
}

static void attribution(struct ww_jw *w, const struct ww_flow_view *v)
{
	ww_jw_obj_begin(w, "attribution");
	ww_jw_str(w, "status", v->attr_status ? v->attr_status : "none");
	ww_jw_str(w, "reason", v->attr_reason ? v->attr_reason : "");
	ww_jw_obj_end(w);
}

/* A literal, its length known where it is written. */
#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

#define WW_TIME_JSON_LEN 29   /* a quoted time: '"' + 27 characters + '"' */

static char *put_time(char *p, ww_time_t t)
{
	*p++ = '"';
	ww_time_str(t, p);   /* 27 characters and a NUL, overwritten next */
	p += 27;
	*p++ = '"';
	return p;
}

static char *put_addr(char *p, const struct ww_addr *a, int family)
{
	ww_addr_str(a, family, p);
	return p + strlen(p);
}

/* ,"src_ip":"A","src_port":P of the client (dst_ of the server), P as tuple() has it. */
static char *put_endpoint(char *p, const struct ww_flow *f, bool client)
{
	uint8_t proto = f->key.proto;
	p = client ? LIT(p, ",\"src_ip\":\"") : LIT(p, ",\"dst_ip\":\"");
	p = put_addr(p, client ? ww_flow_client_ip(f) : ww_flow_server_ip(f), f->key.family);
	p = client ? LIT(p, "\",\"src_port\":") : LIT(p, "\",\"dst_port\":");
	if (is_icmp(proto))
		return ww_json_put_u64(p, client ? f->icmp_type : f->icmp_code);
	if (proto == WW_IPPROTO_TCP || proto == WW_IPPROTO_UDP)
		return ww_json_put_u64(p, client ? ww_flow_client_port(f) : ww_flow_server_port(f));
	return LIT(p, "null");
}

/*
 * A string this file made itself, which needs no escaping: the Community
 * ID (base64), a protocol name or number, an end reason. Never text from a
 * view (packets, /proc and files reach those).
 */
static char *put_own_str(char *p, const char *s, size_t n)
{
	*p++ = '"';
	memcpy(p, s, n);
	p += n;
	*p++ = '"';
	return p;
}

/* "null" for a NULL string, as ww_jw_str() writes it. */
static char *put_str_or_null(char *p, const char *s, size_t n)
{
	return s ? ww_json_put_str(p, s, n) : LIT(p, "null");
}

/*
 * The metadata objects (meta.h), made here from the packed values when the
 * record is written (on the output thread when there is one), not when
 * they were read. Room: fixed text, and every value escaped (6 a byte).
 */
#define META_ROOM(m) (400 + 6 * (size_t)(m)->len)

/* The values of `m`, one pointer per tag (the first of each). */
struct mvals {
	const char *v[WW_MT_COUNT];
	uint16_t n[WW_MT_COUNT];
};

static void mvals_of(const struct ww_meta *m, struct mvals *mv)
{
	uint32_t off = 0;
	const char *v;
	uint16_t n;
	unsigned t;
	memset(mv, 0, sizeof(*mv));
	while ((t = ww_meta_next(m, &off, &v, &n)))
		if (t < WW_MT_COUNT && !mv->v[t]) {
			mv->v[t] = v;
			mv->n[t] = n;
		}
}

/* The repeated values of `tag` as a JSON array. */
static char *put_list(char *p, const struct ww_meta *m, unsigned tag)
{
	uint32_t off = 0;
	const char *v;
	uint16_t n;
	unsigned t;
	bool first = true;
	*p++ = '[';
	while ((t = ww_meta_next(m, &off, &v, &n))) {
		if (t != tag)
			continue;
		if (!first)
			*p++ = ',';
		first = false;
		p = ww_json_put_str(p, v, n);
	}
	*p++ = ']';
	return p;
}

static char *put_val(char *p, const struct mvals *mv, unsigned tag)
{
	return mv->v[tag] ? ww_json_put_str(p, mv->v[tag], mv->n[tag]) : LIT(p, "null");
}

/*
 * The "tls" object: what the hellos said. A field the hellos did not give
 * is left out: no ServerHello seen, no ja3s.
 */
static char *put_tls(char *p, const struct ww_meta *m, const struct mvals *mv)
{
	char c = '{';
	if (mv->v[WW_MT_SNI]) {
		p = LIT(p, "{\"sni\":");
		p = ww_json_put_str(p, mv->v[WW_MT_SNI], mv->n[WW_MT_SNI]);
		c = ',';
	}
	if (m->have & WW_MH_TLS_CLIENT) {
		*p++ = c;
		p = LIT(p, "\"alpn\":");
		p = put_list(p, m, WW_MT_ALPN);
		c = ',';
	}
	uint16_t ver = (m->have & WW_MH_TLS_SERVER) ? m->sver : m->cver;
	const char *vn = (m->have & (WW_MH_TLS_CLIENT | WW_MH_TLS_SERVER)) ? ww_tlsmeta_version_name(ver) : NULL;
	if (vn) {
		*p++ = c;
		p = LIT(p, "\"version\":");
		p = put_own_str(p, vn, strlen(vn));
		c = ',';
	}
	if ((m->have & WW_MH_TLS_CLIENT) && mv->v[WW_MT_JA4] && mv->v[WW_MT_JA3]) {
		*p++ = c;
		/* our own text (hex digits, letters, '_'): nothing to escape */
		p = LIT(p, "\"ja4\":");
		p = put_own_str(p, mv->v[WW_MT_JA4], mv->n[WW_MT_JA4]);
		p = LIT(p, ",\"ja3\":");
		p = put_own_str(p, mv->v[WW_MT_JA3], mv->n[WW_MT_JA3]);
		c = ',';
	}
	if ((m->have & WW_MH_TLS_SERVER) && mv->v[WW_MT_JA3S]) {
		*p++ = c;
		p = LIT(p, "\"ja3s\":");
		p = put_own_str(p, mv->v[WW_MT_JA3S], mv->n[WW_MT_JA3S]);
		c = ',';
	}
	if (c == '{')
		*p++ = '{';
	*p++ = '}';
	return p;
}

/* "http", "dns" or "ssh": the object of the flow's metadata kind. */
static char *put_meta_obj(char *p, const struct ww_meta *m, const struct mvals *mv)
{
	char num[16];
	switch (m->kind) {
	case WW_META_HTTP:
		p = LIT(p, ",\"http\":{\"method\":");
		p = put_val(p, mv, WW_MT_METHOD);
		p = LIT(p, ",\"host\":");
		p = put_val(p, mv, WW_MT_HOST);
		p = LIT(p, ",\"uri\":");
		p = put_val(p, mv, WW_MT_URI);
		p = LIT(p, ",\"user_agent\":");
		p = put_val(p, mv, WW_MT_UA);
		p = LIT(p, ",\"status\":");
		p = m->status ? ww_json_put_u64(p, m->status) : LIT(p, "null");
		*p++ = '}';
		break;
	case WW_META_DNS:
		p = LIT(p, ",\"dns\":{\"query\":");
		p = put_val(p, mv, WW_MT_QUERY);
		p = LIT(p, ",\"qtype\":");
		if (m->have & WW_MH_DNS_QUERY) {
			const char *tn = ww_dnsmeta_type_name(m->qtype);
			if (!tn) {
				snprintf(num, sizeof(num), "TYPE%u", m->qtype);
				tn = num;
			}
			p = put_own_str(p, tn, strlen(tn));
		} else {
			p = LIT(p, "null");
		}
		p = LIT(p, ",\"rcode\":");
		if (m->have & WW_MH_DNS_ANSWER) {
			const char *rn = ww_dnsmeta_rcode_name(m->rcode);
			if (!rn) {
				snprintf(num, sizeof(num), "RCODE%u", m->rcode);
				rn = num;
			}
			p = put_own_str(p, rn, strlen(rn));
		} else {
			p = LIT(p, "null");
		}
		p = LIT(p, ",\"answers\":");
		p = put_list(p, m, WW_MT_ANSWER);
		*p++ = '}';
		break;
	case WW_META_SSH:
		p = LIT(p, ",\"ssh\":{\"client\":");
		p = put_val(p, mv, WW_MT_SSH_CLIENT);
		p = LIT(p, ",\"server\":");
		p = put_val(p, mv, WW_MT_SSH_SERVER);
		*p++ = '}';
		break;
	default:
		break;
	}
	return p;
}

/*
 * dst_name, dst_name_by (and dst_name_process) and the metadata objects,
 * after the flow's sni: `sni` is the view's name when it has no object.
 */
static char *put_names(char *p, const struct ww_meta *m, const char *sni, size_t sni_n, const struct ww_owner *own)
{
	struct mvals mv;
	const char *dn_by = NULL;
	size_t dn_n = 0;
	const char *dn = NULL;

	if (m) {
		mvals_of(m, &mv);
		if (m->kind == WW_META_TLS && (m->have || mv.v[WW_MT_SNI])) {
			p = LIT(p, ",\"tls\":");
			p = put_tls(p, m, &mv);
		}
		dn = ww_meta_dst_name(m, &dn_by, &dn_n);
	}
	if (!dn && sni) {   /* a view with a name and no metadata object */
		dn = sni;
		dn_n = sni_n;
		dn_by = "sni";
	}
	if (dn) {
		p = LIT(p, ",\"dst_name\":");
		p = ww_json_put_str(p, dn, dn_n);
		p = LIT(p, ",\"dst_name_by\":");
		p = put_own_str(p, dn_by, strlen(dn_by));
		int32_t pid;
		if (m && dn_by[0] == 'd' && mv.v[WW_MT_DNS_PROC] && mv.n[WW_MT_DNS_PROC] > 4 &&
		    (memcpy(&pid, mv.v[WW_MT_DNS_PROC], 4), !own || own->pid != pid)) {
			/* the process that asked is not the flow's (or the flow has none) */
			p = LIT(p, ",\"dst_name_process\":{\"pid\":");
			p = ww_json_put_u64(p, (uint64_t)(uint32_t)pid);
			p = LIT(p, ",\"name\":");
			p = ww_json_put_str(p, mv.v[WW_MT_DNS_PROC] + 4, mv.n[WW_MT_DNS_PROC] - 4u);
			*p++ = '}';
		}
	} else {
		p = LIT(p, ",\"dst_name\":null,\"dst_name_by\":null");
	}
	if (m)
		p = put_meta_obj(p, m, &mv);
	return p;
}

/*
 * The flow record, the one written at the rate flows end (a replay's end
 * writes hundreds of thousands at once), so it is written straight into
 * the writer's buffer: one reservation for its longest possible form,
 * keys and punctuation as literals. The fields and their order are those
 * of the member functions (the process object is theirs); the tests
 * compare both ways of writing.
 */
/*
 * "tunnel": the layers that carried the flow's first packet, outermost
 * first, as Zeek's tunnel_parents and Suricata's tunnel records tell them:
 * type, outer addresses and the layer's VNI, key, TEID or session id.
 */
static void tunnel(struct ww_jw *w, const struct ww_tunnel_path *t)
{
	char a[WW_ADDRSTRLEN];

	ww_jw_arr_begin(w, "tunnel");
	for (unsigned i = 0; i < t->depth && i < WW_TUNNEL_MAX_DEPTH; i++) {
		const struct ww_tunnel_layer *l = &t->layer[i];
		ww_jw_obj_begin(w, NULL);
		ww_jw_str(w, "type", ww_tunnel_type_name(l->type));
		ww_jw_str(w, "src_ip", ww_addr_str(&l->src, l->family, a));
		ww_jw_str(w, "dst_ip", ww_addr_str(&l->dst, l->family, a));
		if (l->has_id)
			ww_jw_uint(w, "id", l->id);
		ww_jw_obj_end(w);
	}
	ww_jw_arr_end(w);
}

int ww_emit_json_flow(struct ww_jw *w, FILE *out, const struct ww_flow_view *v)
{
	const struct ww_flow *f = v->f;
	const uint8_t proto = f->key.proto;
	const char *app = v->app_proto ? v->app_proto : "unknown";
	const char *by = v->app_by ? v->app_by : "none";
	/* the name's own length: it may hold NULs, which are escaped */
	size_t sni_n = v->sni ? (v->sni_len ? v->sni_len : strlen(v->sni)) : 0;
	const char *sni = sni_n ? v->sni : NULL;
	const char *status = v->attr_status ? v->attr_status : "none";
	const char *reason = v->attr_reason ? v->attr_reason : "";
	size_t app_n = strlen(app), by_n = strlen(by), status_n = strlen(status);
	size_t reason_n = strlen(reason);
	size_t service_n = v->service ? strlen(v->service) : 0;
	char cid[WW_COMMUNITY_ID_LEN], pb[4];
	char *p;

	/* fixed text and numbers: well under 700 bytes; strings escaped: 6 a byte */
	w->need_comma = false;
	p = ww_jw_room(w, 700 + 2 * WW_ADDRSTRLEN +
		       6 * (app_n + by_n + status_n + reason_n + service_n + 2 * sni_n));   /* sni, dst_name */
	if (!p)
		return ww_jw_finish(w, out);   /* -ENOMEM */
	ww_community_id_flow(f, cid);
	p = LIT(p, "{\"type\":\"flow\",\"ts\":");
	char *ts = p;   /* "end" is the same time: copied from here */
	p = put_time(p, f->last);
	p = LIT(p, ",\"flow_id\":");
	p = ww_json_put_u64(p, f->id);
	p = LIT(p, ",\"community_id\":");
	p = put_own_str(p, cid, WW_COMMUNITY_ID_LEN - 1);
	p = LIT(p, ",\"proto\":");
	const char *pn = ww_ipproto_name(proto, pb);
	p = put_own_str(p, pn, strlen(pn));
	p = put_endpoint(p, f, true);
	p = put_endpoint(p, f, false);
	if (is_icmp(proto)) {
		p = LIT(p, ",\"icmp_id\":");
		p = ww_json_put_u64(p, f->key.port_a);
	}
	if (f->key.vlan) {
		p = LIT(p, ",\"vlan\":");
		p = ww_json_put_u64(p, f->key.vlan);
	}
	p = LIT(p, ",\"start\":");
	p = put_time(p, f->first);
	p = LIT(p, ",\"end\":");
	memcpy(p, ts, WW_TIME_JSON_LEN);
	p += WW_TIME_JSON_LEN;
	p = LIT(p, ",\"pkts_toserver\":");
	p = ww_json_put_u64(p, f->pkts[0]);
	p = LIT(p, ",\"pkts_toclient\":");
	p = ww_json_put_u64(p, f->pkts[1]);
	p = LIT(p, ",\"bytes_toserver\":");
	p = ww_json_put_u64(p, f->bytes[0]);
	p = LIT(p, ",\"bytes_toclient\":");
	p = ww_json_put_u64(p, f->bytes[1]);
	p = LIT(p, ",\"app_proto\":");
	p = ww_json_put_str(p, app, app_n);
	p = LIT(p, ",\"app_proto_by\":");
	p = ww_json_put_str(p, by, by_n);
	p = LIT(p, ",\"service\":");
	p = put_str_or_null(p, v->service, service_n);
	if (sni) {
		p = LIT(p, ",\"sni\":");
		p = ww_json_put_str(p, sni, sni_n);
	}
	if (v->tunnel) {
		ww_jw_wrote(w, p);
		tunnel(w, v->tunnel);
		p = ww_jw_room(w, 700 + 6 * (status_n + reason_n));
		if (!p)
			return ww_jw_finish(w, out);
	}
	if (v->meta) {   /* values up to WW_META_DATA_MAX: room of their own */
		ww_jw_wrote(w, p);
		p = ww_jw_room(w, META_ROOM(v->meta) + 700 + 6 * (status_n + reason_n));
		if (!p)
			return ww_jw_finish(w, out);
	}
	p = put_names(p, v->meta, sni, sni_n, v->owner);
	if (v->owner) {
		ww_jw_wrote(w, p);
		ww_emit_json_owner(w, v->owner);
		/* the rest is bounded as above: make the room again */
		p = ww_jw_room(w, 200 + 6 * (status_n + reason_n));
		if (!p)
			return ww_jw_finish(w, out);
	} else {
		p = LIT(p, ",\"process\":null");
	}
	p = LIT(p, ",\"attribution\":{\"status\":");
	p = ww_json_put_str(p, status, status_n);
	p = LIT(p, ",\"reason\":");
	p = ww_json_put_str(p, reason, reason_n);
	p = LIT(p, "}");
	if (f->end_reason < WW_ARRAY_SIZE(end_names)) {
		p = LIT(p, ",\"end_reason\":");
		p = put_own_str(p, end_names[f->end_reason], strlen(end_names[f->end_reason]));
	}
	ww_jw_wrote(w, p);
	return ww_jw_finish(w, out);
}

static void evidence(struct ww_jw *w, const struct ww_evidence *e)
{
	ww_jw_obj_begin(w, "evidence");
	if (e->protocol)
		ww_jw_str(w, "protocol", e->protocol);
	if (e->port_protocol)
		ww_jw_str(w, "port_protocol", e->port_protocol);
	if (e->pkt_no)
		ww_jw_uint(w, "packet", e->pkt_no);
	if (e->direction >= 0)
		ww_jw_str(w, "direction", e->direction == 0 ? "toserver" : "toclient");
	if (e->first_len)
		ww_jw_strn(w, "first_bytes", e->first_bytes, e->first_len);
	if (e->n_expected) {
		ww_jw_arr_begin(w, "expected_ports");
		for (unsigned i = 0; i < e->n_expected && i < WW_EV_MAX_PORTS; i++)
			ww_jw_uint(w, NULL, e->expected_ports[i]);
		ww_jw_arr_end(w);
	}
	if (e->sni_len || e->sni[0])
		ww_jw_strn(w, "sni", e->sni, e->sni_len && e->sni_len < sizeof(e->sni) ? e->sni_len
									 : strnlen(e->sni, sizeof(e->sni)));
	if (e->alpn[0])
		ww_jw_strn(w, "alpn", e->alpn, strnlen(e->alpn, sizeof(e->alpn)));
	if (e->rule[0])
		ww_jw_strn(w, "rule", e->rule, strnlen(e->rule, sizeof(e->rule)));
	if (e->rule_line)
		ww_jw_int(w, "rule_line", e->rule_line);
	if (e->count > 1) {
		ww_jw_uint(w, "count", e->count);
		ww_jw_time(w, "first_seen", e->first_ts);
		ww_jw_time(w, "last_seen", e->last_ts);
	}
	ww_jw_obj_end(w);
}

int ww_emit_json_alert(struct ww_jw *w, FILE *out, const struct ww_alert *a,
		       const struct ww_flow_view *v)
{
	ww_jw_record(w, "alert", a->ts);
	ww_jw_str(w, "kind", ww_alert_kind_name(a->kind));
	ww_jw_str(w, "severity", ww_severity_name(a->severity));
	ww_jw_strn(w, "message", a->message, strnlen(a->message, sizeof(a->message)));
	if (v && v->f) {
		char cid[WW_COMMUNITY_ID_LEN];
		ww_jw_uint(w, "flow_id", v->f->id);
		ww_community_id_flow(v->f, cid);
		ww_jw_str(w, "community_id", cid);
		tuple(w, v->f);
		if (v->app_proto)
			ww_jw_str(w, "app_proto", v->app_proto);
		if (v->owner)
			ww_emit_json_owner(w, v->owner);
		if (v->attr_status)
			attribution(w, v);
	}
	evidence(w, &a->ev);
	return ww_jw_finish(w, out);
}

int ww_emit_json_stats(struct ww_jw *w, FILE *out, const struct ww_stats *s, ww_time_t ts)
{
	ww_jw_record(w, "stats", ts);
	ww_jw_uint(w, "packets", s->packets);
	ww_jw_uint(w, "bytes", s->bytes);
	ww_jw_uint(w, "flows", s->flows);
	ww_jw_uint(w, "alerts", s->alerts);
	ww_jw_uint(w, "dropped", s->dropped);
	ww_jw_uint(w, "decode_errors", s->decode_errors);
	ww_jw_uint(w, "evicted", s->evicted);
	ww_jw_double(w, "elapsed_s", s->elapsed_s);
	ww_jw_uint(w, "non_ip", s->non_ip);
	ww_jw_uint(w, "orphan_fragments", s->orphan_fragments);
	ww_jw_uint(w, "skipped_packets", s->skipped_packets);
	if (s->capture_counts) {
		ww_jw_uint(w, "received", s->received);
		ww_jw_uint(w, "discarded", s->discarded);
	}
	if (s->attribution_engine) {
		ww_jw_str(w, "attribution_engine", s->attribution_engine);
		ww_jw_str(w, "attribution_engine_reason",
			  s->attribution_engine_reason ? s->attribution_engine_reason : "");
	}
	return ww_jw_finish(w, out);
}
