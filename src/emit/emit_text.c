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
 * characters and their nine separators are 88, so an IPv4 line keeps 12
 * columns for the process ("curl[123456]"). The line is held to
 * LIVE_LINE_MAX: whatever the fields before it took (a flow id past 99999,
 * a long protocol name), the process gets the rest, and a name too long for
 * it is cut, escaped bytes counted, and marked with '~' before its [pid]
 * (which is never cut: it is what a responder acts on). At least one
 * character of the name is kept, so only a line whose other fields already
 * leave less than that and the pid (a flow id of 7 digits and more with a
 * 7-digit pid) runs over. --json keeps the whole name. Counts are shown in at most 5 columns ("123k", "9.9M").
 * An IPv6 endpoint is wider than 21 and pushes the row right: a cut address
 * is worse than a long line.
 */
#define LIVE_EP_WIDTH 21          /* "255.255.255.255:65535" */
#define LIVE_LINE_MAX 100         /* the columns an IPv4 line fits in */
#define LIVE_NUM_WIDTH 5          /* PKTS and BYTES */

/* n in at most 5 characters: 99999, then 100k..999k, 1.0M..9.9M, 10M..999M, ... */
static void live_count(char *buf, size_t n, uint64_t v, bool bytes)
{
	static const char unit_b[] = "BKMGTPE", unit_n[] = " kMGTPE";
	unsigned base = bytes ? 1024 : 1000, u = 0;
	uint64_t limit = bytes ? 1023 : 99999;
	if (v <= limit) {
		snprintf(buf, n, bytes ? "%" PRIu64 "B" : "%" PRIu64, v);
		return;
	}
	double d = (double)v;
	while (d >= base && u < 6) {
		d /= base;
		u++;
	}
	if (d >= 999.5 && u < 6) {   /* would print "1000": the next unit */
		d /= base;
		u++;
	}
	const char *units = bytes ? unit_b : unit_n;
	if (d < 9.95)
		snprintf(buf, n, "%.1f%c", d, units[u]);
	else
		snprintf(buf, n, "%.0f%c", d, units[u]);
}

/*
 * "comm[pid]" in at most `budget` columns (see above). The comm is escaped
 * first and the escaped text is cut (never inside a UTF-8 sequence), so a
 * name that opens with a control byte still shows how it starts ("\u001b[2J").
 */
static void live_who(char *buf, size_t n, const char *comm, int pid, int budget)
{
	char e[96], p[16];
	snprintf(p, sizeof(p), "[%d]", pid);
	size_t el = ww_json_escape(e, sizeof(e), comm, strlen(comm)), pl = strlen(p);
	if ((int)(el + pl) <= budget) {
		snprintf(buf, n, "%s%s", e, p);
		return;
	}
	int room = budget - (int)pl - 1;   /* 1: the '~' */
	size_t cut = room < 1 ? 1 : (size_t)room;   /* over the line rather than lose the name */
	if (cut > el)
		cut = el;
	while (cut > 0 && ((unsigned char)e[cut] & 0xc0) == 0x80)
		cut--;   /* not inside a UTF-8 sequence */
	snprintf(buf, n, "%.*s~%s", (int)cut, e, p);
}

int ww_emit_text_flow_live(FILE *out, unsigned *rows, bool color, const struct ww_flow_view *v,
			   bool start)
{
	const struct ww_flow *f = v->f;
	char cl[64], sv[64], pb[4], b[16], pk[16], who[128], ts[WW_TIMESTRLEN], line[256];

	if (*rows % WW_TEXT_HEADER_EVERY == 0)
		fprintf(out, "%s%-8s %-3s %5s %-4s %-*s %-*s %5s %5s %-7s %s%s\n",
			color ? "\033[1m" : "", "TIME", "EV", "FLOW", "L4", LIVE_EP_WIDTH, "CLIENT",
			LIVE_EP_WIDTH, "SERVER", "PKTS", "BYTES", "APP", "PROCESS", color ? "\033[0m" : "");
	(*rows)++;
	endpoints(f, cl, sv, sizeof(cl));
	live_count(b, sizeof(b), f->bytes[0] + f->bytes[1], true);
	live_count(pk, sizeof(pk), f->pkts[0] + f->pkts[1], false);
	ww_time_str(start ? f->first : f->last, ts);
	ts[19] = '\0';   /* HH:MM:SS, UTC as the alerts' times */
	int used = snprintf(line, sizeof(line), "%-8s %-3s %5" PRIu64 " %-4s %-*s %-*s %*s %*s %-7s ",
			    ts + 11, start ? "new" : "end", f->id, ww_ipproto_name(f->key.proto, pb),
			    LIVE_EP_WIDTH, cl, LIVE_EP_WIDTH, sv, LIVE_NUM_WIDTH, pk, LIVE_NUM_WIDTH, b,
			    start ? "-" : (v->app_proto ? v->app_proto : "unknown"));
	if (used < 0)
		return -EIO;
	if (v->owner)
		live_who(who, sizeof(who), v->owner->comm ? v->owner->comm : "?", v->owner->pid,
			 LIVE_LINE_MAX - used);
	else
		snprintf(who, sizeof(who), "-");
	fprintf(out, "%s%s\n", line, who);
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
