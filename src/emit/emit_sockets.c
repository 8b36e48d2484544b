/*
 * emit_sockets.c - socket records, socket alerts and the netstat-like table.
 *
 * JSON: addresses are printed in the socket's own family, so a dual-stack
 * AF_INET6 socket that carries IPv4 shows "::ffff:a.b.c.d" as ss does
 * (the scopes already read it as IPv4); a socket with no peer prints
 * remote_ip and remote_port as null.
 *
 * Text: the table is formatted twice — a first pass measures every column
 * over the rows that will be shown, the second prints them aligned — which
 * costs a second round of snprintf but no per-row storage, so `--all` on a
 * 20,000-socket host stays flat in memory. Verdict colours: review red,
 * explained green, ignored dim; only when the caller says stdout is a
 * terminal.
 */
#include "wirewho/emit_sockets.h"
#include "wirewho/emit.h"
#include "wirewho/jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static void addr_text(const struct ww_sock *s, const struct ww_addr *a, char *buf)
{
	ww_addr_str(a, s->family == 4 ? 4 : 6, buf);
}

static bool has_peer(const struct ww_sock_view *v)
{
	return v->remote != WW_REMOTE_NONE || v->s->rport != 0;
}

static void process_obj(struct ww_jw *w, const struct ww_proc *p, int ns_pid)
{
	ww_jw_obj_begin(w, NULL);
	ww_jw_int(w, "pid", p->owner.pid);
	if (ns_pid > 0)
		ww_jw_int(w, "ns_pid", ns_pid);
	ww_jw_str(w, "comm", p->owner.comm);
	ww_jw_str(w, "exe", p->owner.exe);
	ww_jw_int(w, "uid", p->owner.uid);
	ww_jw_str(w, "user", p->owner.user);
	ww_jw_str(w, "cmdline", p->cmdline);
	ww_jw_arr_begin(w, "indicators");
	for (unsigned i = 0; i < WW_IND_COUNT; i++)
		if (p->owner.indicators & (1u << i))
			ww_jw_str(w, NULL, ww_procs_indicator_name(1u << i));
	ww_jw_arr_end(w);
	ww_jw_str(w, "script", p->owner.script);
	ww_emit_json_identity(w, &p->owner, false);   /* cmdline is above */
	ww_jw_obj_end(w);
}

static size_t shown_owners(const struct ww_sock_view *v)
{
	return v->n_owners < WW_SOCKVIEW_MAX_OWNERS ? v->n_owners : WW_SOCKVIEW_MAX_OWNERS;
}

/* The socket fields shared by socket records and socket alerts. */
static void sock_fields(struct ww_jw *w, const struct ww_sock_view *v)
{
	const struct ww_sock *s = v->s;
	char a[WW_ADDRSTRLEN];
	ww_jw_str(w, "proto", ww_sock_proto_name(s->proto));
	ww_jw_str(w, "state", ww_sock_state_name(s->proto, s->state));
	ww_jw_str(w, "local_ip", (addr_text(s, &s->local, a), a));
	ww_jw_uint(w, "local_port", s->lport);
	if (has_peer(v)) {
		ww_jw_str(w, "remote_ip", (addr_text(s, &s->remote, a), a));
		ww_jw_uint(w, "remote_port", s->rport);
	} else {
		ww_jw_null(w, "remote_ip");
		ww_jw_null(w, "remote_port");
	}
	ww_jw_arr_begin(w, "processes");
	for (size_t i = 0; i < shown_owners(v); i++)
		process_obj(w, v->owners[i], v->ns_pid[i]);
	ww_jw_arr_end(w);
	if (v->n_owners > WW_SOCKVIEW_MAX_OWNERS)
		ww_jw_uint(w, "n_processes", v->n_owners);
	if (v->n_owners == 0) {
		ww_jw_str(w, "owner_reason", v->owner_reason ? v->owner_reason : "not_found");
		ww_jw_strn(w, "owner_note", v->owner_note, strnlen(v->owner_note, sizeof(v->owner_note)));
	}
	ww_jw_uint(w, "netns", v->netns);
	if (v->netns_name)
		ww_jw_str(w, "netns_name", v->netns_name);
	if (v->container) {
		ww_jw_obj_begin(w, "container");
		ww_jw_str(w, "runtime", v->container->runtime);
		ww_jw_str(w, "id", v->container->id);
		ww_jw_obj_end(w);
	}
}

/*
 * Socket records take a specialised path: a host may have tens of
 * thousands of sockets, and through the general writer (a call, a key and a
 * comma decision per field) they cost three times the kernel dump. Keys
 * and enumerated values are trusted literals appended as they are; numbers
 * are converted by hand; every string that came from /proc goes through
 * ww_json_escape, the writer's own escaper, so the bytes are the same as
 * ww_jw would produce. The buffer is reused between records; writers run on
 * one thread.
 */
struct fb {
	char *b;
	size_t n, cap;
	bool oom;
};

static struct fb fbuf;

static bool fb_reserve(struct fb *f, size_t more)
{
	if (f->n + more <= f->cap)
		return true;
	size_t cap = f->cap ? f->cap : 2048;
	while (cap < f->n + more)
		cap *= 2;
	char *nb = realloc(f->b, cap);
	if (!nb) {
		f->oom = true;
		return false;
	}
	f->b = nb;
	f->cap = cap;
	return true;
}

static void fb_put(struct fb *f, const char *s, size_t n)
{
	if (fb_reserve(f, n)) {
		memcpy(f->b + f->n, s, n);
		f->n += n;
	}
}

/* "" lit: only a string literal compiles here, so sizeof is its length */
#define FB_LIT(f, lit) fb_put((f), "" lit, sizeof("" lit) - 1)

static void fb_u64(struct fb *f, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fb_put(f, tmp + i, sizeof(tmp) - i);
}

static void fb_i64(struct fb *f, int64_t v)
{
	if (v < 0) {
		FB_LIT(f, "-");
		fb_u64(f, (uint64_t)0 - (uint64_t)v);
	} else {
		fb_u64(f, (uint64_t)v);
	}
}

/* A JSON string of untrusted bytes (NULL: null). */
static void fb_strn(struct fb *f, const char *s, size_t n)
{
	if (!s) {
		FB_LIT(f, "null");
		return;
	}
	if (!fb_reserve(f, 6 * n + 3))   /* worst case: every byte as \u00XX */
		return;
	f->b[f->n++] = '"';
	f->n += ww_json_escape(f->b + f->n, 6 * n + 1, s, n);
	f->b[f->n++] = '"';
}

static void fb_str(struct fb *f, const char *s)
{
	fb_strn(f, s, s ? strlen(s) : 0);
}

/* A trusted literal value (enum names). */
static void fb_word(struct fb *f, const char *s)
{
	FB_LIT(f, "\"");
	fb_put(f, s, strlen(s));
	FB_LIT(f, "\"");
}

static void fb_addr(struct fb *f, const struct ww_sock *s, const struct ww_addr *a)
{
	char as[WW_ADDRSTRLEN];
	if (s->family == 4) {
		/* dotted quad by hand: snprintf is most of the cost otherwise */
		char *o = as;
		for (int i = 12; i < 16; i++) {
			unsigned v = a->b[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			if (i < 15)
				*o++ = '.';
		}
		*o = '\0';
	} else {
		ww_addr_str(a, 6, as);
	}
	fb_word(f, as);
}

int ww_emit_json_socket(struct ww_jw *w, FILE *out, const struct ww_sock_view *v, ww_time_t ts)
{
	static ww_time_t last_ts = -1;
	static char ts_str[WW_TIMESTRLEN];
	const struct ww_sock *s = v->s;
	struct fb *f = &fbuf;

	(void)w;   /* see above: the same bytes as the general writer, faster */
	if (ts != last_ts) {   /* one time stamp per audit pass: format it once */
		ww_time_str(ts, ts_str);
		last_ts = ts;
	}
	f->n = 0;
	f->oom = false;
	FB_LIT(f, "{\"type\":\"socket\",\"ts\":");
	fb_word(f, ts_str);
	FB_LIT(f, ",\"proto\":");
	fb_word(f, ww_sock_proto_name(s->proto));
	FB_LIT(f, ",\"state\":");
	fb_word(f, ww_sock_state_name(s->proto, s->state));
	FB_LIT(f, ",\"local_ip\":");
	fb_addr(f, s, &s->local);
	FB_LIT(f, ",\"local_port\":");
	fb_u64(f, s->lport);
	if (has_peer(v)) {
		FB_LIT(f, ",\"remote_ip\":");
		fb_addr(f, s, &s->remote);
		FB_LIT(f, ",\"remote_port\":");
		fb_u64(f, s->rport);
	} else {
		FB_LIT(f, ",\"remote_ip\":null,\"remote_port\":null");
	}
	FB_LIT(f, ",\"processes\":[");
	for (size_t i = 0; i < shown_owners(v); i++) {
		const struct ww_proc *p = v->owners[i];
		if (i)
			FB_LIT(f, ",");
		FB_LIT(f, "{\"pid\":");
		fb_i64(f, p->owner.pid);
		if (v->ns_pid[i] > 0) {
			FB_LIT(f, ",\"ns_pid\":");
			fb_i64(f, v->ns_pid[i]);
		}
		FB_LIT(f, ",\"comm\":");
		fb_str(f, p->owner.comm);
		FB_LIT(f, ",\"exe\":");
		fb_str(f, p->owner.exe);
		FB_LIT(f, ",\"uid\":");
		fb_i64(f, p->owner.uid);
		FB_LIT(f, ",\"user\":");
		fb_str(f, p->owner.user);
		FB_LIT(f, ",\"cmdline\":");
		fb_str(f, p->cmdline);
		FB_LIT(f, ",\"indicators\":[");
		for (unsigned b = 0, k = 0; b < WW_IND_COUNT; b++)
			if (p->owner.indicators & (1u << b)) {
				if (k++)
					FB_LIT(f, ",");
				fb_word(f, ww_procs_indicator_name(1u << b));
			}
		FB_LIT(f, "],\"script\":");
		fb_str(f, p->owner.script);
		/* who it is (#12.4), as ww_emit_json_identity() writes it */
		FB_LIT(f, ",\"ppid\":");
		fb_i64(f, p->owner.ppid);
		if (p->owner.ppid > 0) {
			FB_LIT(f, ",\"parent\":{\"pid\":");
			fb_i64(f, p->owner.ppid);
			FB_LIT(f, ",\"comm\":");
			fb_str(f, p->owner.parent_comm);
			FB_LIT(f, ",\"exe\":");
			fb_str(f, p->owner.parent_exe);
			FB_LIT(f, "}");
		} else {
			FB_LIT(f, ",\"parent\":null");
		}
		if (p->owner.exe_sha256) {
			FB_LIT(f, ",\"exe_sha256\":");
			fb_str(f, p->owner.exe_sha256);
		}
		if (p->owner.container) {
			FB_LIT(f, ",\"container\":{\"runtime\":");
			fb_str(f, p->owner.container->runtime);
			FB_LIT(f, ",\"id\":");
			fb_str(f, p->owner.container->id);
			if (p->owner.pod_uid) {
				FB_LIT(f, ",\"pod_uid\":");
				fb_str(f, p->owner.pod_uid);
			}
			FB_LIT(f, "}");
		}
		if (p->owner.unit) {
			FB_LIT(f, ",\"unit\":");
			fb_str(f, p->owner.unit);
		}
		FB_LIT(f, "}");
	}
	FB_LIT(f, "]");
	if (v->n_owners > WW_SOCKVIEW_MAX_OWNERS) {
		FB_LIT(f, ",\"n_processes\":");
		fb_u64(f, v->n_owners);
	}
	if (v->n_owners == 0) {
		FB_LIT(f, ",\"owner_reason\":");
		fb_word(f, v->owner_reason ? v->owner_reason : "not_found");
		FB_LIT(f, ",\"owner_note\":");
		fb_strn(f, v->owner_note, strnlen(v->owner_note, sizeof(v->owner_note)));
	}
	FB_LIT(f, ",\"netns\":");
	fb_u64(f, v->netns);
	if (v->netns_name) {
		FB_LIT(f, ",\"netns_name\":");
		fb_str(f, v->netns_name);
	}
	if (v->container) {   /* runtime and id are from /proc/PID/cgroup: escaped */
		FB_LIT(f, ",\"container\":{\"runtime\":");
		fb_str(f, v->container->runtime);
		FB_LIT(f, ",\"id\":");
		fb_str(f, v->container->id);
		FB_LIT(f, "}");
	}
	FB_LIT(f, ",\"inode\":");
	fb_u64(f, s->inode);
	FB_LIT(f, ",\"uid\":");
	fb_u64(f, s->uid);
	FB_LIT(f, ",\"bind_scope\":");
	fb_word(f, ww_netscope_bind_name(v->bind));
	FB_LIT(f, ",\"remote_scope\":");
	fb_word(f, ww_netscope_remote_name(v->remote));
	FB_LIT(f, ",\"service\":");
	fb_str(f, v->service);
	FB_LIT(f, ",\"verdict\":");
	fb_word(f, ww_verdict_name(v->verdict));
	FB_LIT(f, ",\"reason\":");
	fb_strn(f, v->reason, strnlen(v->reason, sizeof(v->reason)));
	if (v->rule_line) {
		FB_LIT(f, ",\"rule_line\":");
		fb_i64(f, v->rule_line);
	}
	if (v->twin_of) {   /* whose twin a UDP port is: the listener that vouches for it */
		const struct ww_sock *t = v->twin_of;
		FB_LIT(f, ",\"twin_of\":{\"proto\":");
		fb_word(f, ww_sock_proto_name(t->proto));
		FB_LIT(f, ",\"local_ip\":");
		fb_addr(f, t, &t->local);
		FB_LIT(f, ",\"local_port\":");
		fb_u64(f, t->lport);
		FB_LIT(f, ",\"inode\":");
		fb_u64(f, t->inode);
		FB_LIT(f, ",\"by\":");
		fb_word(f, ww_twin_by_name(v->twin_by));
		FB_LIT(f, ",\"pid\":");
		fb_i64(f, v->twin_pid);
		FB_LIT(f, "}");
	}
	FB_LIT(f, ",\"family\":");
	fb_u64(f, s->family);
	if (v->dir != WW_DIR_UNKNOWN) {
		FB_LIT(f, ",\"direction\":");
		fb_word(f, v->dir == WW_DIR_IN ? "in" : "out");
	}
	FB_LIT(f, ",\"recv_q\":");
	fb_u64(f, s->rqueue);
	FB_LIT(f, ",\"send_q\":");
	fb_u64(f, s->wqueue);
	if (s->proto == WW_SOCK_PROTO_RAW) {
		FB_LIT(f, ",\"raw_protocol\":");
		fb_u64(f, s->raw_proto);
	}
	FB_LIT(f, "}\n");
	if (f->oom)
		return -ENOMEM;
	return fwrite(f->b, 1, f->n, out) == f->n ? 0 : -EIO;
}

int ww_emit_json_sock_alert(struct ww_jw *w, FILE *out, const struct ww_alert *a,
			    const struct ww_sock_view *v)
{
	ww_jw_record(w, "alert", a->ts);
	ww_jw_str(w, "kind", ww_alert_kind_name(a->kind));
	ww_jw_str(w, "severity", ww_severity_name(a->severity));
	ww_jw_strn(w, "message", a->message, strnlen(a->message, sizeof(a->message)));
	if (v) {
		sock_fields(w, v);
		ww_jw_uint(w, "inode", v->s->inode);
		ww_jw_str(w, "bind_scope", ww_netscope_bind_name(v->bind));
		ww_jw_str(w, "remote_scope", ww_netscope_remote_name(v->remote));
		if (v->n_owners) {
			/* the main owner as flow alerts carry it */
			ww_emit_json_owner(w, &v->owners[0]->owner);
		}
	}
	ww_jw_obj_begin(w, "evidence");
	if (a->ev.rule[0])
		ww_jw_strn(w, "rule", a->ev.rule, strnlen(a->ev.rule, sizeof(a->ev.rule)));
	if (a->ev.rule_line)
		ww_jw_int(w, "rule_line", a->ev.rule_line);
	if (v && v->service)
		ww_jw_str(w, "service", v->service);
	if (v && v->udp_twins)
		ww_jw_uint(w, "udp_twins", v->udp_twins);
	ww_jw_obj_end(w);
	return ww_jw_finish(w, out);
}

/* ---- text ---- */

enum { C_PROTO, C_RQ, C_SQ, C_LOCAL, C_REMOTE, C_STATE, C_PROG, C_VERDICT, C_REASON, C_NS, NCOL };

static const char *const headers[NCOL] = {
	"Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address", "State",
	"PID/Program", "Verdict", "Reason", "NetNS",
};

struct row { char c[NCOL][160]; };

static void endpoint(char *buf, size_t n, const struct ww_sock *s, const struct ww_addr *a,
		     uint16_t port, bool none)
{
	char as[WW_ADDRSTRLEN];
	if (none) {
		snprintf(buf, n, "*:*");
		return;
	}
	addr_text(s, a, as);
	if (s->proto == WW_SOCK_PROTO_RAW)
		snprintf(buf, n, s->family == 6 ? "[%s]" : "%s", as);
	else
		snprintf(buf, n, s->family == 6 ? "[%s]:%u" : "%s:%u", as, port);
}

static void format_row(struct row *r, const struct ww_sock_view *v)
{
	const struct ww_sock *s = v->s;
	snprintf(r->c[C_PROTO], sizeof(r->c[0]), "%s%s", ww_sock_proto_name(s->proto),
		 s->family == 6 ? "6" : "");
	snprintf(r->c[C_RQ], sizeof(r->c[0]), "%" PRIu32, s->rqueue);
	snprintf(r->c[C_SQ], sizeof(r->c[0]), "%" PRIu32, s->wqueue);
	endpoint(r->c[C_LOCAL], sizeof(r->c[0]), s, &s->local, s->lport, false);
	endpoint(r->c[C_REMOTE], sizeof(r->c[0]), s, &s->remote, s->rport, !has_peer(v));
	snprintf(r->c[C_STATE], sizeof(r->c[0]), "%s", ww_sock_state_name(s->proto, s->state));
	if (v->n_owners) {
		char comm[64];
		const struct ww_owner *o = &v->owners[0]->owner;
		ww_json_escape(comm, sizeof(comm), o->comm, strlen(o->comm));
		char nsp[24] = "";   /* another PID namespace's own number, marked as such */
		if (v->ns_pid[0] > 0)
			snprintf(nsp, sizeof(nsp), "(ns:%d)", v->ns_pid[0]);
		if (v->n_owners > 1)
			snprintf(r->c[C_PROG], sizeof(r->c[0]), "%d%s/%s+%zu", o->pid, nsp, comm,
				 v->n_owners - 1);
		else
			snprintf(r->c[C_PROG], sizeof(r->c[0]), "%d%s/%s", o->pid, nsp, comm);
	} else {
		snprintf(r->c[C_PROG], sizeof(r->c[0]), "-");
	}
	snprintf(r->c[C_VERDICT], sizeof(r->c[0]), "%s", ww_verdict_name(v->verdict));
	if (!v->n_owners && v->verdict == WW_VERDICT_REVIEW && v->owner_reason)
		snprintf(r->c[C_REASON], sizeof(r->c[0]), "%.110s [owner: %s]", v->reason,
			 v->owner_reason);
	else
		snprintf(r->c[C_REASON], sizeof(r->c[0]), "%.110s", v->reason);
	/* the namespace as `ip netns` names it, then its container, else its inode */
	char label[WW_CONTAINER_RUNTIME_MAX + WW_CONTAINER_ID_MAX], name[64] = "";
	if (v->netns_name)
		ww_json_escape(name, sizeof(name), v->netns_name, strlen(v->netns_name));
	if (v->container) {
		char raw[sizeof(label)];
		ww_container_label(v->container, raw, sizeof(raw));
		ww_json_escape(label, sizeof(label), raw, strlen(raw));
		snprintf(r->c[C_NS], sizeof(r->c[0]), "%s%s%.100s", name, name[0] ? "/" : "", label);
	} else if (name[0]) {
		snprintf(r->c[C_NS], sizeof(r->c[0]), "%s", name);
	} else {
		snprintf(r->c[C_NS], sizeof(r->c[0]), "%" PRIu64, v->netns);
	}
}

static const char *verdict_color(enum ww_verdict vd)
{
	return vd == WW_VERDICT_REVIEW ? "\033[1;31m" : vd == WW_VERDICT_EXPLAINED ? "\033[32m"
									   : "\033[2m";
}

int ww_emit_text_sockets(FILE *out, const struct ww_sock_view *v, size_t n,
			 const struct ww_sock_text_opts *o)
{
	int width[NCOL], cols[NCOL], nc = 0;
	size_t count[3] = { 0, 0, 0 }, shown = 0;
	struct row r;

	/* column order: the reason is last so a long one never pushes others */
	for (int c = 0; c <= C_VERDICT; c++)
		cols[nc++] = c;
	if (o->show_netns)
		cols[nc++] = C_NS;
	cols[nc++] = C_REASON;
	for (int c = 0; c < NCOL; c++)
		width[c] = (int)strlen(headers[c]);
	for (size_t i = 0; i < n; i++) {
		count[v[i].verdict]++;
		if (!o->all && v[i].verdict != WW_VERDICT_REVIEW)
			continue;
		format_row(&r, &v[i]);
		for (int c = 0; c < NCOL; c++) {
			int l = (int)strlen(r.c[c]);
			if (l > width[c])
				width[c] = l;
		}
		shown++;
	}
	if (shown) {
		fputs(o->color ? "\033[1m" : "", out);
		for (int k = 0; k < nc; k++) {
			int c = cols[k];
			if (k == nc - 1)
				fputs(headers[c], out);
			else
				fprintf(out, c == C_RQ || c == C_SQ ? "%*s " : "%-*s ", width[c], headers[c]);
		}
		fprintf(out, "%s\n", o->color ? "\033[0m" : "");
	}
	for (size_t i = 0; i < n && shown; i++) {
		if (!o->all && v[i].verdict != WW_VERDICT_REVIEW)
			continue;
		format_row(&r, &v[i]);
		for (int k = 0; k < nc; k++) {
			int c = cols[k];
			if (k == nc - 1)
				fputs(r.c[c], out);
			else if (c == C_VERDICT && o->color)
				fprintf(out, "%s%-*s\033[0m ", verdict_color(v[i].verdict), width[c], r.c[c]);
			else
				fprintf(out, c == C_RQ || c == C_SQ ? "%*s " : "%-*s ", width[c], r.c[c]);
		}
		fputc('\n', out);
	}
	size_t hidden = n - shown;
	fprintf(out, "%s%zu sockets: %zu need review, %zu explained by policy, %zu ignored",
		shown ? "\n" : "", n, count[WW_VERDICT_REVIEW], count[WW_VERDICT_EXPLAINED],
		count[WW_VERDICT_IGNORED]);
	if (hidden)
		fprintf(out, " (%zu not shown; --all shows every socket)", hidden);
	fputc('\n', out);
	if (o->note)
		fprintf(out, "%s\n", o->note);
	return ferror(out) ? -EIO : 0;
}

int ww_emit_text_sock_alert(FILE *out, bool color, const struct ww_alert *a)
{
	static const char *const sev[] = { "\033[36m", "\033[33m", "\033[1;31m" };
	char msg[512];
	ww_json_escape(msg, sizeof(msg), a->message, strnlen(a->message, sizeof(a->message)));
	fprintf(out, "%s%-6s%s %s: %s\n", color ? sev[a->severity % 3] : "",
		ww_severity_name(a->severity), color ? "\033[0m" : "",
		ww_alert_kind_name(a->kind), msg);
	return ferror(out) ? -EIO : 0;
}
