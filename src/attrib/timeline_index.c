/*
 * timeline_index.c - `replay --sockets`: a recorded timeline read back,
 * checked against its capture, and indexed for the lookup at each flow's
 * first packet (the format is in timeline.h).
 *
 * Lines are read with the JSON line reader (jsonr.h); a line that is not
 * one object, a header of another format or version, or a record lacking a
 * field refuses the whole file with its line number, since a half-read
 * timeline would attribute some flows and silently not others. Unknown
 * record types and fields are skipped (room for later versions). Strings of
 * every record go to one arena, held as offsets while it grows and turned
 * into pointers at the end.
 *
 * Records are indexed by the flow's canonical key (the same key the flow
 * engine builds) in an open-addressing table whose slots head a chain of
 * records, so a 5-tuple reused over time (ports recycle) keeps every binding
 * and the one whose span holds the flow's start wins.
 */
#include "wirewho/timeline.h"
#include "wirewho/jsonr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#define TL_MATCH_SLACK_US (2 * WW_USEC_PER_SEC)  /* live expiry runs on wall time, replay on packet time */
#define TL_MAX_LINE    (1 << 20)/* a line longer than this is not a timeline */
#define TL_MAX_FILE    (1ull << 32) /* 4 GiB: ~10 million flows at ~400 bytes a line;
				       more is not a recording (or /dev/zero) */
#define TL_NONE        UINT32_MAX

static int parse_ip(const char *s, struct ww_addr *a, uint8_t *family)
{
	uint8_t v4[4];
	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, v4) == 1) {
		ww_addr_from_v4(a, v4);
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

struct slot {
	struct ww_flowkey k;
	uint32_t head;   /* first record, TL_NONE when the slot is empty */
};

struct ww_timeline {
	struct ww_tl_rec *rec;
	size_t n, cap;
	struct slot *slots;
	size_t mask;
	char id[WW_TIMELINE_IDLEN];
	int linktype;
	bool have_fp;
	ww_time_t fp_ts;
	uint32_t fp_caplen;
	uint64_t fp_hash;
	char *strings;        /* every string of every record, back to back */
	size_t str_len, str_cap;
	struct ww_flowkey *keys;   /* key of each record, parallel to rec */
};

/* Strings are stored as offsets until loading ends (the arena moves). */
static ssize_t keep_str(struct ww_timeline *tl, const char *s)
{
	if (!s)
		return -1;
	size_t n = strlen(s) + 1;
	if (tl->str_len + n > tl->str_cap) {
		size_t cap = tl->str_cap ? tl->str_cap * 2 : 4096;
		while (cap < tl->str_len + n)
			cap *= 2;
		char *b = realloc(tl->strings, cap);
		if (!b)
			return -2;
		tl->strings = b;
		tl->str_cap = cap;
	}
	memcpy(tl->strings + tl->str_len, s, n);
	tl->str_len += n;
	return (ssize_t)(tl->str_len - n);
}

static const char *intern_status(const char *s)
{
	static const char *const known[] = { "exact", "listener", "cached", "recorded",
					     "unresolved", "not_local", "none", "kernel" };
	for (size_t i = 0; i < WW_ARRAY_SIZE(known); i++)
		if (s && strcmp(s, known[i]) == 0)
			return known[i];
	return NULL;
}

/* Build the flow engine's canonical key of a recorded binding. */
static int rec_key(const struct ww_jsonr_obj *o, struct ww_flowkey *k, const char **why)
{
	struct ww_pkt p;
	uint8_t f2;
	double proto, v;

	memset(&p, 0, sizeof(p));
	if (!ww_jsonr_get_num(o, "proto", 0, 255, &proto)) {
		*why = "socket record without a valid \"proto\"";
		return -1;
	}
	if (parse_ip(ww_jsonr_get_str(o, "src_ip"), &p.src, &p.family) < 0 ||
	    parse_ip(ww_jsonr_get_str(o, "dst_ip"), &p.dst, &f2) < 0 || f2 != p.family) {
		*why = "socket record without valid \"src_ip\"/\"dst_ip\" of one family";
		return -1;
	}
	p.proto = (uint8_t)proto;
	if (ww_jsonr_get_num(o, "vlan", 0, 4095, &v))
		p.vlan = (uint16_t)v;
	memset(k, 0, sizeof(*k));
	if (p.proto == WW_IPPROTO_ICMP || p.proto == WW_IPPROTO_ICMPV6) {
		double id, type;
		if (!ww_jsonr_get_num(o, "icmp_id", 0, 65535, &id) ||
		    !ww_jsonr_get_num(o, "icmp_type", 0, 65535, &type)) {
			*why = "ICMP socket record without \"icmp_id\"/\"icmp_type\"";
			return -1;
		}
		bool src_a = memcmp(p.src.b, p.dst.b, 16) <= 0;
		k->a = src_a ? p.src : p.dst;
		k->b = src_a ? p.dst : p.src;
		k->port_a = (uint16_t)id;
		k->port_b = (uint16_t)type;
		k->vlan = p.vlan;
		k->proto = p.proto;
		k->family = p.family;
		return 0;
	}
	double sp = 0, dp = 0;
	if (p.proto == WW_IPPROTO_TCP || p.proto == WW_IPPROTO_UDP) {
		if (!ww_jsonr_get_num(o, "src_port", 0, 65535, &sp) ||
		    !ww_jsonr_get_num(o, "dst_port", 0, 65535, &dp)) {
			*why = "socket record without valid \"src_port\"/\"dst_port\"";
			return -1;
		}
		p.has_ports = true;
	}
	p.sport = (uint16_t)sp;
	p.dport = (uint16_t)dp;
	bool src_is_a;
	ww_flowkey_from_pkt(&p, k, &src_is_a);
	return 0;
}

static uint64_t key_hash(const struct ww_flowkey *k)
{
	return ww_timeline_hash(k, sizeof(*k));
}

/*
 * The "indicators" of a recorded owner: names joined by commas (the writer's
 * form); names this version does not know are skipped (a later version's).
 */
static uint32_t parse_indicators(const char *s)
{
	uint32_t bits = 0;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		for (unsigned i = 0; i < WW_IND_COUNT; i++) {
			const char *name = ww_procs_indicator_name(1u << i);
			if (strlen(name) == n && memcmp(name, s, n) == 0)
				bits |= 1u << i;
		}
		s += n + (s[n] == ',');
	}
	return bits;
}

/* "pid,pid,..." of a recorded owner's other holders; malformed or extra ones are dropped. */
static void parse_others(const char *s, int *out, unsigned *n)
{
	*n = 0;
	while (s && *s && *n < WW_OWNER_OTHERS_MAX) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 4194304)
			return;
		out[(*n)++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return;
	}
}

struct recstr { ssize_t comm, exe, user, reason, script, pcomm, pexe, cmdline, sha, pod, unit; };

static int add_record(struct ww_timeline *tl, const struct ww_jsonr_obj *o, struct recstr *rs,
		      struct ww_flowkey *k, const char **why)
{
	struct ww_tl_rec r = { 0 };
	double v;

	if (rec_key(o, k, why) < 0)
		return -1;
	if (ww_jsonr_parse_time(ww_jsonr_get_str(o, "from"), &r.from) < 0 ||
	    ww_jsonr_parse_time(ww_jsonr_get_str(o, "to"), &r.to) < 0 || r.to < r.from) {
		*why = "socket record without a valid \"from\"/\"to\" time span";
		return -1;
	}
	r.status = intern_status(ww_jsonr_get_str(o, "status"));
	if (!r.status) {
		*why = "socket record with an unknown \"status\"";
		return -1;
	}
	const char *local = ww_jsonr_get_str(o, "local");
	r.local_is_server = local && strcmp(local, "dst") == 0;
	if (ww_jsonr_get_num(o, "inode", 0, 1e18, &v))
		r.inode = (uint64_t)v;
	if (ww_jsonr_get(o, "pid")) {
		double pid, uid;
		if (!ww_jsonr_get_num(o, "pid", 1, 4194304, &pid) ||
		    !ww_jsonr_get_num(o, "uid", 0, 4294967295.0, &uid) || !ww_jsonr_get_str(o, "comm")) {
			*why = "socket record with an owner lacking \"pid\", \"uid\" or \"comm\"";
			return -1;
		}
		r.has_owner = true;
		r.owner.pid = (int)pid;
		r.owner.uid = (int)(int64_t)uid;
		r.owner.indicators = parse_indicators(ww_jsonr_get_str(o, "indicators"));
		parse_others(ww_jsonr_get_str(o, "other_holders"), r.others, &r.owner.n_others);
		if (ww_jsonr_get_num(o, "ppid", 1, 4194304, &v))
			r.owner.ppid = (int)v;
		const char *crt = ww_jsonr_get_str(o, "container_runtime");
		const char *cid = ww_jsonr_get_str(o, "container_id");
		if (crt && cid) {
			snprintf(r.ctr.runtime, sizeof(r.ctr.runtime), "%s", crt);
			snprintf(r.ctr.id, sizeof(r.ctr.id), "%s", cid);
			r.owner.container = &r.ctr;   /* re-pointed once the record is in place */
		}
	}
	if (ww_jsonr_get_num(o, "kernel_tid", 0, 4194304, &v)) {
		const char *ev = ww_jsonr_get_str(o, "kernel_event");
		const char *ex = ww_jsonr_get_str(o, "kernel_exited");
		r.has_kernel = true;
		r.kernel.tid = (int)v;
		if (ww_jsonr_get_num(o, "kernel_cgroup", 0, 1.8e19, &v))
			r.kernel.cgroup_id = (uint64_t)v;
		r.kernel.listener = ev && strcmp(ev, "bound") == 0;
		r.kernel.exited = ex && strcmp(ex, "yes") == 0;
	}
	rs->comm = keep_str(tl, r.has_owner ? ww_jsonr_get_str(o, "comm") : NULL);
	rs->exe = keep_str(tl, ww_jsonr_get_str(o, "exe"));
	rs->user = keep_str(tl, ww_jsonr_get_str(o, "user"));
	rs->reason = keep_str(tl, ww_jsonr_get_str(o, "reason"));
	rs->script = keep_str(tl, r.has_owner ? ww_jsonr_get_str(o, "script") : NULL);
	rs->pcomm = keep_str(tl, r.owner.ppid ? ww_jsonr_get_str(o, "parent_comm") : NULL);
	rs->pexe = keep_str(tl, r.owner.ppid ? ww_jsonr_get_str(o, "parent_exe") : NULL);
	rs->cmdline = keep_str(tl, r.has_owner ? ww_jsonr_get_str(o, "cmdline") : NULL);
	const char *sha = r.has_owner ? ww_jsonr_get_str(o, "exe_sha256") : NULL;
	rs->sha = keep_str(tl, sha && strlen(sha) == 64 ? sha : NULL);
	rs->pod = keep_str(tl, r.owner.container ? ww_jsonr_get_str(o, "container_pod_uid") : NULL);
	rs->unit = keep_str(tl, r.has_owner ? ww_jsonr_get_str(o, "unit") : NULL);
	if (rs->comm == -2 || rs->exe == -2 || rs->user == -2 || rs->reason == -2 ||
	    rs->script == -2 || rs->pcomm == -2 || rs->pexe == -2 || rs->cmdline == -2 ||
	    rs->sha == -2 || rs->pod == -2 || rs->unit == -2) {
		*why = "out of memory";
		return -1;
	}
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 256;
		struct ww_tl_rec *nr = realloc(tl->rec, cap * sizeof(*nr));
		if (!nr) {
			*why = "out of memory";
			return -1;
		}
		tl->rec = nr;
		tl->cap = cap;
	}
	tl->rec[tl->n++] = r;
	return 0;
}

static int build_index(struct ww_timeline *tl)
{
	size_t slots = 16;
	while (slots < tl->n * 2)
		slots *= 2;
	tl->slots = malloc(slots * sizeof(*tl->slots));
	if (!tl->slots)
		return -ENOMEM;
	for (size_t i = 0; i < slots; i++)
		tl->slots[i].head = TL_NONE;
	tl->mask = slots - 1;
	/* Insert in reverse so each chain lists records in file order. */
	for (size_t i = tl->n; i-- > 0;) {
		size_t h = key_hash(&tl->keys[i]) & tl->mask;
		while (tl->slots[h].head != TL_NONE && !ww_flowkey_eq(&tl->slots[h].k, &tl->keys[i]))
			h = (h + 1) & tl->mask;
		if (tl->slots[h].head == TL_NONE)
			tl->slots[h].k = tl->keys[i];
		tl->rec[i].next = tl->slots[h].head;
		tl->slots[h].head = (uint32_t)i;
	}
	return 0;
}

/*
 * One line of f into *buf (grown as needed, NUL-terminated, without its
 * newline), bounded while it is read: a line longer than TL_MAX_LINE, a NUL
 * byte or a file past TL_MAX_FILE stop the read at once, so a file of no
 * newlines (/dev/zero) costs at most TL_MAX_LINE of memory. Returns 1 (a
 * line), 0 (end of file), -EINVAL with *why, -ENOMEM, or -EIO (errno kept
 * in *eno).
 */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len, uint64_t *total,
		     const char **why, int *eno)
{
	size_t n = 0;
	int c;
	if (!*buf) {
		*buf = malloc(4096);
		if (!*buf)
			return -ENOMEM;
		*cap = 4096;
	}
	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF)
			break;
		if (++*total > TL_MAX_FILE) {
			*why = "file too large for a timeline (over 4 GiB)";
			return -EINVAL;
		}
		if (c == '\n')
			break;
		if (c == '\0') {
			*why = "a NUL byte inside the line";
			return -EINVAL;
		}
		if (n >= TL_MAX_LINE) {
			*why = "line too long (over 1 MiB)";
			return -EINVAL;
		}
		if (n + 1 >= *cap) {
			size_t nc = *cap * 2;
			char *nb = realloc(*buf, nc);
			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*cap = nc;
		}
		(*buf)[n++] = (char)c;
	}
	if (c == EOF && ferror(f)) {
		*eno = errno;
		return -EIO;
	}
	if (c == EOF && n == 0)
		return 0;
	(*buf)[n] = '\0';
	*len = n;
	return 1;
}

void ww_timeline_free(struct ww_timeline *tl)
{
	if (!tl)
		return;
	free(tl->rec);
	free(tl->keys);
	free(tl->slots);
	free(tl->strings);
	free(tl);
}

struct ww_timeline *ww_timeline_load(const char *path, char *err, size_t errsz)
{
	struct ww_timeline *tl = calloc(1, sizeof(*tl));
	struct recstr *rs = NULL;
	size_t rs_cap = 0, keys_cap = 0, lineno = 0, cap = 0;
	char *line = NULL;
	size_t len;
	uint64_t total = 0;
	bool header = false;
	int rl, eno = 0, fail_errno = EINVAL;
	FILE *f;

	if (!tl) {
		snprintf(err, errsz, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		free(tl);
		errno = e;
		return NULL;
	}
	for (;;) {
		struct ww_jsonr_obj o;
		const char *why = NULL, *type;
		lineno++;
		rl = read_line(f, &line, &cap, &len, &total, &why, &eno);
		if (rl == 0)
			break;
		if (rl == -ENOMEM) {
			why = "out of memory";
			fail_errno = ENOMEM;
			goto bad;
		}
		if (rl == -EIO) {
			snprintf(err, errsz, "%s:%zu: read error: %s", path, lineno, strerror(eno));
			fail_errno = eno ? eno : EIO;
			goto fail;
		}
		if (rl < 0)
			goto bad;
		if (len == 0)
			continue;
		if (ww_jsonr_parse(line, &o, &why) < 0)
			goto bad;
		type = ww_jsonr_get_str(&o, "type");
		if (!type) {
			why = "record without a \"type\"";
			goto bad;
		}
		if (!header) {
			const char *fmt = ww_jsonr_get_str(&o, "format");
			const char *id = ww_jsonr_get_str(&o, "capture_id");
			double lt;
			if (strcmp(type, "header") != 0 || !fmt || strcmp(fmt, WW_TIMELINE_FORMAT) != 0) {
				why = "not a wirewho socket timeline (the first line must be its \"header\" record)";
				goto bad;
			}
			if (!ww_jsonr_get_num(&o, "version", 1, WW_TIMELINE_VERSION, &lt)) {
				why = "unsupported timeline version";
				goto bad;
			}
			if (!id || strlen(id) != WW_TIMELINE_IDLEN - 1 || !ww_jsonr_get_num(&o, "linktype", 0, 65535, &lt)) {
				why = "header without \"capture_id\" or \"linktype\"";
				goto bad;
			}
			memcpy(tl->id, id, WW_TIMELINE_IDLEN);
			tl->linktype = (int)lt;
			header = true;
		} else if (strcmp(type, "capture") == 0) {
			const char *h = ww_jsonr_get_str(&o, "first_hash");
			const char *id = ww_jsonr_get_str(&o, "capture_id");
			double cl;
			char *end;
			if (!id || strcmp(id, tl->id) != 0) {
				why = "\"capture\" record of another capture_id than the header's";
				goto bad;
			}
			if (!h || ww_jsonr_parse_time(ww_jsonr_get_str(&o, "first_packet"), &tl->fp_ts) < 0 ||
			    !ww_jsonr_get_num(&o, "first_caplen", 0, 4294967295.0, &cl)) {
				why = "\"capture\" record without first_packet/first_caplen/first_hash";
				goto bad;
			}
			tl->fp_hash = strtoull(h, &end, 16);
			if (*end || end == h) {
				why = "\"capture\" record with a malformed first_hash";
				goto bad;
			}
			tl->fp_caplen = (uint32_t)cl;
			tl->have_fp = true;
		} else if (strcmp(type, "socket") == 0) {
			if (tl->n == rs_cap) {
				rs_cap = rs_cap ? rs_cap * 2 : 256;
				struct recstr *n2 = realloc(rs, rs_cap * sizeof(*rs));
				if (!n2) {
					why = "out of memory";
					fail_errno = ENOMEM;
					goto bad;
				}
				rs = n2;
			}
			if (tl->n == keys_cap) {
				keys_cap = keys_cap ? keys_cap * 2 : 256;
				struct ww_flowkey *k2 = realloc(tl->keys, keys_cap * sizeof(*k2));
				if (!k2) {
					why = "out of memory";
					fail_errno = ENOMEM;
					goto bad;
				}
				tl->keys = k2;
			}
			if (add_record(tl, &o, &rs[tl->n], &tl->keys[tl->n], &why) < 0) {
				if (strcmp(why, "out of memory") == 0)
					fail_errno = ENOMEM;
				goto bad;
			}
		}
		/* "end" and unknown types: nothing to keep (room for later records). */
		continue;
bad:
		snprintf(err, errsz, "%s:%zu: %s", path, lineno, why);
		goto fail;
	}
	if (!header) {
		snprintf(err, errsz, "%s: empty file, not a wirewho socket timeline", path);
		goto fail;
	}
	/* The arena no longer moves: turn offsets into pointers. */
	for (size_t i = 0; i < tl->n; i++) {
		struct ww_tl_rec *r = &tl->rec[i];
		r->owner.comm = rs[i].comm >= 0 ? tl->strings + rs[i].comm : NULL;
		r->owner.exe = rs[i].exe >= 0 ? tl->strings + rs[i].exe : NULL;
		r->owner.user = rs[i].user >= 0 ? tl->strings + rs[i].user : NULL;
		r->reason = rs[i].reason >= 0 ? tl->strings + rs[i].reason : "";
		r->owner.script = rs[i].script >= 0 ? tl->strings + rs[i].script : NULL;
		r->owner.others = r->others;
		r->owner.parent_comm = rs[i].pcomm >= 0 ? tl->strings + rs[i].pcomm : NULL;
		r->owner.parent_exe = rs[i].pexe >= 0 ? tl->strings + rs[i].pexe : NULL;
		r->owner.cmdline = rs[i].cmdline >= 0 ? tl->strings + rs[i].cmdline : NULL;
		r->owner.exe_sha256 = rs[i].sha >= 0 ? tl->strings + rs[i].sha : NULL;
		if (r->owner.container)
			r->owner.container = &r->ctr;
		r->owner.pod_uid = rs[i].pod >= 0 ? tl->strings + rs[i].pod : NULL;
		r->owner.unit = rs[i].unit >= 0 ? tl->strings + rs[i].unit : NULL;
	}
	if (build_index(tl) < 0) {
		snprintf(err, errsz, "%s: out of memory", path);
		fail_errno = ENOMEM;
		goto fail;
	}
	free(rs);
	free(line);
	fclose(f);
	return tl;
fail:
	free(rs);
	free(line);
	fclose(f);
	ww_timeline_free(tl);
	errno = fail_errno;
	return NULL;
}

int ww_timeline_check_capture(const struct ww_timeline *tl, const char *pcap_path,
			      char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int rc = 0;

	if (strcmp(pcap_path, "-") == 0) {
		/* It cannot be read twice, and a capture.id proves nothing there. */
		snprintf(err, errsz, "a timeline cannot be checked against standard input (it cannot be "
			 "read twice): give the capture file itself");
		return -EINVAL;
	}
	/* A capture.id beside the capture must name this timeline's capture. */
	const char *slash = strrchr(pcap_path, '/');
	char idpath[PATH_MAX];
	int dl = slash ? (int)(slash - pcap_path) : 1;
	if (snprintf(idpath, sizeof(idpath), "%.*s/%s", dl, slash ? pcap_path : ".",
		     WW_TIMELINE_ID) < (int)sizeof(idpath)) {
		FILE *f = fopen(idpath, "r");
		if (f) {
			char id[64] = "";
			if (fgets(id, sizeof(id), f))
				id[strcspn(id, "\r\n")] = '\0';
			fclose(f);
			if (strcmp(id, tl->id) != 0) {
				snprintf(err, errsz,
					 "the timeline belongs to capture %s, but %.150s says %.150s is capture %.40s",
					 tl->id, idpath, pcap_path, id);
				return -EINVAL;
			}
		}
	}
	p = pcap_open_offline_with_tstamp_precision(pcap_path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!p) {
		snprintf(err, errsz, "%s: %s", pcap_path, perr);
		return -EINVAL;
	}
	if (pcap_datalink(p) != tl->linktype) {
		snprintf(err, errsz,
			 "the timeline was recorded on link type %d but %s has link type %d: not its capture",
			 tl->linktype, pcap_path, pcap_datalink(p));
		rc = -EINVAL;
		goto out;
	}
	int r = pcap_next_ex(p, &h, &d);
	if (r != 1) {
		if (tl->have_fp) {
			snprintf(err, errsz,
				 "%s has no packets but the timeline's capture had: not its capture", pcap_path);
			rc = -EINVAL;
		}
		goto out;
	}
	ww_time_t ts = (ww_time_t)h->ts.tv_sec * WW_USEC_PER_SEC + h->ts.tv_usec;
	if (!tl->have_fp || ts != tl->fp_ts || h->caplen != tl->fp_caplen ||
	    ww_timeline_hash(d, h->caplen) != tl->fp_hash) {
		char t1[WW_TIMESTRLEN];
		snprintf(err, errsz,
			 "the first packet of %s (%s, %u bytes) is not the first packet of capture %s: "
			 "the timeline does not belong to this capture",
			 pcap_path, ww_time_str(ts, t1), h->caplen, tl->id);
		rc = -EINVAL;
	}
out:
	pcap_close(p);
	return rc;
}

const struct ww_tl_rec *ww_timeline_find(const struct ww_timeline *tl,
					 const struct ww_flowkey *k, ww_time_t first)
{
	size_t h = key_hash(k) & tl->mask;
	while (tl->slots[h].head != TL_NONE && !ww_flowkey_eq(&tl->slots[h].k, k))
		h = (h + 1) & tl->mask;
	const struct ww_tl_rec *best = NULL;
	ww_time_t best_d = TL_MATCH_SLACK_US + 1;
	for (uint32_t i = tl->slots[h].head; i != TL_NONE; i = tl->rec[i].next) {
		const struct ww_tl_rec *r = &tl->rec[i];
		ww_time_t dist = first < r->from ? r->from - first : first > r->to ? first - r->to : 0;
		if (dist < best_d) {
			best = r;
			best_d = dist;
		}
	}
	return best;
}

size_t ww_timeline_count(const struct ww_timeline *tl)
{
	return tl->n;
}

