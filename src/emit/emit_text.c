/*
 * emit_text.c - the human-readable form: an aligned flow table, one line per
 * alert, and a closing summary.
 *
 * Endpoints are printed as addr:port ([addr]:port for IPv6) in columns wide
 * enough for the common case; a longer IPv6 endpoint pushes its row right
 * rather than being cut, because a truncated address is worse than a ragged
 * row. Untrusted strings (process names, SNI, payload bytes) are escaped
 * with the JSON escaper, so no control character ever reaches a terminal.
 * The header is repeated every WW_TEXT_HEADER_EVERY rows and after alerts.
 * watch's live stream has its own narrower form (ww_emit_text_flow_live():
 * a time column, "new" and "end" lines, both directions summed) so that an
 * IPv4 line fits 100 columns; replay's table is unchanged.
 */
#include "wirewho/emit.h"
#include "wirewho/jsonw.h"

#include <errno.h>
#include <inttypes.h>

#define WW_TEXT_HEADER_EVERY 40   /* rows: about one screen */
#define EP_WIDTH 27               /* "255.255.255.255:65535" plus slack */

static const char *sev_color(enum ww_severity s)
{
	return s == WW_SEV_HIGH ? "\033[1;31m" : s == WW_SEV_MEDIUM ? "\033[33m" : "\033[36m";
}

static void endpoint(char *buf, size_t n, const struct ww_addr *a, int family,
		     bool ports, unsigned port)
{
	char s[WW_ADDRSTRLEN];
	ww_addr_str(a, family, s);
	if (!ports)
		snprintf(buf, n, family == 6 ? "[%s]" : "%s", s);
	else
		snprintf(buf, n, family == 6 ? "[%s]:%u" : "%s:%u", s, port);
}

static void human_bytes(char *buf, size_t n, uint64_t v)
{
	static const char *const unit[] = { "B", "K", "M", "G", "T" };
	double d = (double)v;
	unsigned u = 0;
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 "B", v);
	else
		snprintf(buf, n, "%.1f%s", d, unit[u]);
}

static void endpoints(const struct ww_flow *f, char *cl, char *sv, size_t n)
{
	bool ports = f->key.proto == WW_IPPROTO_TCP || f->key.proto == WW_IPPROTO_UDP;
	endpoint(cl, n, ww_flow_client_ip(f), f->key.family, ports, ww_flow_client_port(f));
	endpoint(sv, n, ww_flow_server_ip(f), f->key.family, ports, ww_flow_server_port(f));
}

int ww_emit_text_flow(FILE *out, unsigned *rows, bool color, const struct ww_flow_view *v)
{
	const struct ww_flow *f = v->f;
	char cl[64], sv[64], pb[4], b0[16], b1[16], who[96], sni[80];

	if (*rows % WW_TEXT_HEADER_EVERY == 0)
		fprintf(out, "%s%-7s %-5s %-*s %-*s %7s %7s %8s %8s %-9s %s%s\n",
			color ? "\033[1m" : "", "FLOW", "PROTO", EP_WIDTH, "CLIENT",
			EP_WIDTH, "SERVER", "PKTS>", "PKTS<", "BYTES>", "BYTES<", "APP",
			"PROCESS", color ? "\033[0m" : "");
	(*rows)++;
	endpoints(f, cl, sv, sizeof(cl));
	human_bytes(b0, sizeof(b0), f->bytes[0]);
	human_bytes(b1, sizeof(b1), f->bytes[1]);
	if (v->owner) {
		char comm[48];
		ww_json_escape(comm, sizeof(comm), v->owner->comm ? v->owner->comm : "?",
			       strlen(v->owner->comm ? v->owner->comm : "?"));
		snprintf(who, sizeof(who), "%s[%d]", comm, v->owner->pid);
	} else {
		snprintf(who, sizeof(who), "-");
	}
	sni[0] = '\0';
	size_t sni_n = v->sni ? (v->sni_len ? v->sni_len : strlen(v->sni)) : 0;
	if (sni_n) {
		char e[64];
		ww_json_escape(e, sizeof(e), v->sni, sni_n);   /* by length: NULs are escaped too */
		snprintf(sni, sizeof(sni), " sni=%s", e);
	}
	fprintf(out, "%-7" PRIu64 " %-5s %-*s %-*s %7" PRIu64 " %7" PRIu64 " %8s %8s %-9s %s%s\n",
		f->id, ww_ipproto_name(f->key.proto, pb), EP_WIDTH, cl, EP_WIDTH, sv, f->pkts[0],
		f->pkts[1], b0, b1, v->app_proto ? v->app_proto : "unknown", who, sni);
	return ferror(out) ? -EIO : 0;
}

/*
 * The live stream's columns (watch): 8 + 3 + 5 + 4 + 2 x 21 + 5 + 5 + 7
 * characters and their nine separators are 88, so an IPv4 flow of a
 * process shown in up to 12 characters fits 100 columns ("curl[123456]");
 * one time column (HH:MM:SS) and both directions summed keep it so. A wider
 * endpoint or name pushes the row right rather than being cut.
 */
#define LIVE_EP_WIDTH 21          /* "255.255.255.255:65535" */

int ww_emit_text_flow_live(FILE *out, unsigned *rows, bool color, const struct ww_flow_view *v,
			   bool start)
{
	const struct ww_flow *f = v->f;
	char cl[64], sv[64], pb[4], b[16], who[96], ts[WW_TIMESTRLEN];

	if (*rows % WW_TEXT_HEADER_EVERY == 0)
		fprintf(out, "%s%-8s %-3s %5s %-4s %-*s %-*s %5s %5s %-7s %s%s\n",
			color ? "\033[1m" : "", "TIME", "EV", "FLOW", "L4", LIVE_EP_WIDTH, "CLIENT",
			LIVE_EP_WIDTH, "SERVER", "PKTS", "BYTES", "APP", "PROCESS", color ? "\033[0m" : "");
	(*rows)++;
	endpoints(f, cl, sv, sizeof(cl));
	human_bytes(b, sizeof(b), f->bytes[0] + f->bytes[1]);
	if (v->owner) {
		char comm[48];
		const char *c = v->owner->comm ? v->owner->comm : "?";
		ww_json_escape(comm, sizeof(comm), c, strlen(c));
		snprintf(who, sizeof(who), "%s[%d]", comm, v->owner->pid);
	} else {
		snprintf(who, sizeof(who), "-");
	}
	ww_time_str(start ? f->first : f->last, ts);
	ts[19] = '\0';   /* HH:MM:SS, UTC as the alerts' times */
	fprintf(out, "%-8s %-3s %5" PRIu64 " %-4s %-*s %-*s %5" PRIu64 " %5s %-7s %s\n", ts + 11,
		start ? "new" : "end", f->id, ww_ipproto_name(f->key.proto, pb), LIVE_EP_WIDTH, cl,
		LIVE_EP_WIDTH, sv, f->pkts[0] + f->pkts[1], b,
		start ? "-" : (v->app_proto ? v->app_proto : "unknown"), who);
	return ferror(out) ? -EIO : 0;
}

int ww_emit_text_alert(FILE *out, bool color, const struct ww_alert *a, const struct ww_flow_view *v)
{
	char msg[512], ts[WW_TIMESTRLEN];

	ww_json_escape(msg, sizeof(msg), a->message, strnlen(a->message, sizeof(a->message)));
	fprintf(out, "%s%s %-6s %s%s %s", color ? sev_color(a->severity) : "",
		"ALERT", ww_severity_name(a->severity), ww_alert_kind_name(a->kind),
		color ? "\033[0m" : "", ww_time_str(a->ts, ts));
	if (v && v->f) {
		char cl[64], sv[64], pb[4];
		endpoints(v->f, cl, sv, sizeof(cl));
		fprintf(out, " flow %" PRIu64 " %s %s -> %s", v->f->id,
			ww_ipproto_name(v->f->key.proto, pb), cl, sv);
	}
	if (a->ev.first_len) {
		char fb[WW_FIRST_BYTES * 6 + 1];
		ww_json_escape(fb, sizeof(fb), a->ev.first_bytes, a->ev.first_len);
		fprintf(out, "\n    %s\n    first bytes: \"%s\"\n", msg, fb);
	} else {
		fprintf(out, "\n    %s\n", msg);
	}
	return ferror(out) ? -EIO : 0;
}

int ww_emit_text_stats(FILE *out, const struct ww_stats *s)
{
	char b[16];
	human_bytes(b, sizeof(b), s->bytes);
	fprintf(out,
		"\n%" PRIu64 " packets (%s), %" PRIu64 " flows, %" PRIu64 " alerts in %.3f s;"
		" %" PRIu64 " decode errors, %" PRIu64 " evicted, %" PRIu64 " dropped",
		s->packets, b, s->flows, s->alerts, s->elapsed_s, s->decode_errors, s->evicted,
		s->dropped);
	if (s->capture_counts)
		fprintf(out, "; %" PRIu64 " received, %" PRIu64 " discarded", s->received, s->discarded);
	if (s->non_ip || s->orphan_fragments || s->skipped_packets)
		fprintf(out, "; %" PRIu64 " non-IP, %" PRIu64 " orphan fragments, %" PRIu64
			" skipped (link type)", s->non_ip, s->orphan_fragments, s->skipped_packets);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
