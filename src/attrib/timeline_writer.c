/*
 * timeline_writer.c - `watch --record`: the capture and the socket/process
 * timeline written side by side (the format is in timeline.h).
 *
 * Writing is append-only NDJSON through the shared JSON writer, so every
 * string from /proc is escaped. Records are written when a flow ends (its
 * span is then known), flushed once a second by the caller, so a crash loses
 * at most a second. The capture fingerprint line is written and flushed as
 * soon as the first packet is dumped, because it is what makes the pair of
 * files checkable. A write error is sticky: every later call reports it, so
 * the caller may look only now and then.
 */
#include "wirewho/timeline.h"
#include "wirewho/jsonw.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t ww_timeline_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct ww_tl_writer {
	pcap_dumper_t *dump;
	FILE *tl;
	struct ww_jw jw;
	char id[WW_TIMELINE_IDLEN];
	uint64_t packets, records;
	bool err;
};

static FILE *create_file(const char *dir, const char *name, const char *mode,
			 char *err, size_t errsz)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		snprintf(err, errsz, "%s/%s: path too long", dir, name);
		return NULL;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	FILE *f = fd >= 0 ? fdopen(fd, mode) : NULL;
	if (!f) {
		snprintf(err, errsz, "%.400s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

struct ww_tl_writer *ww_timeline_create(const char *dir, int linktype, int snaplen,
					const char *iface, ww_time_t start, char *err, size_t errsz)
{
	struct ww_tl_writer *w = calloc(1, sizeof(*w));
	uint8_t rnd[16];
	FILE *pf = NULL, *idf = NULL;
	pcap_t *pcap;

	if (!w) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ww_jw_init(&w->jw);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errsz, "%s: cannot create directory: %s", dir, strerror(errno));
		goto fail;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t x = ww_timeline_hash(&start, sizeof(start)) ^ (uint64_t)getpid();
		memcpy(rnd, &x, 8);
		x = ww_timeline_hash(&x, 8);
		memcpy(rnd + 8, &x, 8);
	}
	for (int i = 0; i < 16; i++)
		snprintf(w->id + 2 * i, 3, "%02x", rnd[i]);

	if (!(pf = create_file(dir, WW_TIMELINE_PCAP, "wb", err, errsz)))
		goto fail;
	/* The dump's file header takes the link type and snaplen from a pcap_t;
	 * a dead one with the live capture's values writes the same header,
	 * and the dumper does not keep it. */
	pcap = pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_MICRO);
	if (!pcap) {
		snprintf(err, errsz, "out of memory");
		fclose(pf);
		goto fail;
	}
	w->dump = pcap_dump_fopen(pcap, pf);
	if (!w->dump) {
		snprintf(err, errsz, "%s/%s: %s", dir, WW_TIMELINE_PCAP, pcap_geterr(pcap));
		fclose(pf);
		pcap_close(pcap);
		goto fail;
	}
	pcap_close(pcap);
	if (!(w->tl = create_file(dir, WW_TIMELINE_FILE, "w", err, errsz)))
		goto fail;
	if (!(idf = create_file(dir, WW_TIMELINE_ID, "w", err, errsz)))
		goto fail;
	fprintf(idf, "%s\n", w->id);
	if (fclose(idf) != 0) {
		snprintf(err, errsz, "%s/%s: %s", dir, WW_TIMELINE_ID, strerror(errno));
		goto fail;
	}

	ww_jw_record(&w->jw, "header", start);
	ww_jw_str(&w->jw, "format", WW_TIMELINE_FORMAT);
	ww_jw_int(&w->jw, "version", WW_TIMELINE_VERSION);
	ww_jw_str(&w->jw, "capture_id", w->id);
	ww_jw_str(&w->jw, "interface", iface);
	ww_jw_int(&w->jw, "linktype", linktype);
	ww_jw_int(&w->jw, "snaplen", snaplen);
	ww_jw_str(&w->jw, "pcap", WW_TIMELINE_PCAP);
	if (ww_jw_finish(&w->jw, w->tl) < 0 || fflush(w->tl) != 0 || pcap_dump_flush(w->dump) < 0) {
		snprintf(err, errsz, "%s: write failed: %s", dir, strerror(errno));
		goto fail;
	}
	return w;
fail:
	if (w->dump)
		pcap_dump_close(w->dump);
	if (w->tl)
		fclose(w->tl);
	ww_jw_free(&w->jw);
	free(w);
	return NULL;
}

int ww_timeline_packet(struct ww_tl_writer *w, const uint8_t *data, uint32_t caplen,
		       uint32_t wirelen, ww_time_t ts)
{
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(ts / WW_USEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(ts % WW_USEC_PER_SEC);
	h.caplen = caplen;
	h.len = wirelen;
	pcap_dump((u_char *)w->dump, &h, data);
	if (WW_UNLIKELY(w->packets++ == 0)) {
		/* The fingerprint that ties this timeline to this capture. */
		char hash[17];
		snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)ww_timeline_hash(data, caplen));
		ww_jw_record(&w->jw, "capture", ts);
		ww_jw_str(&w->jw, "capture_id", w->id);
		ww_jw_time(&w->jw, "first_packet", ts);
		ww_jw_uint(&w->jw, "first_caplen", caplen);
		ww_jw_str(&w->jw, "first_hash", hash);
		if (ww_jw_finish(&w->jw, w->tl) < 0 || ww_timeline_flush(w) < 0)
			w->err = true;
	}
	return w->err ? -EIO : 0;
}

int ww_timeline_binding(struct ww_tl_writer *w, const struct ww_flow *f,
			const struct ww_owner *o, uint64_t inode,
			const char *status, const char *reason, bool local_is_server)
{
	char a[WW_ADDRSTRLEN];
	uint8_t proto = f->key.proto;
	bool icmp = proto == WW_IPPROTO_ICMP || proto == WW_IPPROTO_ICMPV6;

	ww_jw_record(&w->jw, "socket", f->last);
	ww_jw_uint(&w->jw, "proto", proto);
	ww_jw_str(&w->jw, "src_ip", ww_addr_str(ww_flow_client_ip(f), f->key.family, a));
	ww_jw_str(&w->jw, "dst_ip", ww_addr_str(ww_flow_server_ip(f), f->key.family, a));
	if (icmp) {
		/* The key of an ICMP flow is (identifier, request type), not ports. */
		ww_jw_uint(&w->jw, "icmp_id", f->key.port_a);
		ww_jw_uint(&w->jw, "icmp_type", f->key.port_b);
	} else {
		ww_jw_uint(&w->jw, "src_port", ww_flow_client_port(f));
		ww_jw_uint(&w->jw, "dst_port", ww_flow_server_port(f));
	}
	if (f->key.vlan)
		ww_jw_uint(&w->jw, "vlan", f->key.vlan);
	ww_jw_time(&w->jw, "from", f->first);
	ww_jw_time(&w->jw, "to", f->last);
	ww_jw_str(&w->jw, "local", local_is_server ? "dst" : "src");
	ww_jw_str(&w->jw, "status", status ? status : "none");
	ww_jw_str(&w->jw, "reason", reason ? reason : "");
	if (inode)
		ww_jw_uint(&w->jw, "inode", inode);
	if (o) {
		ww_jw_int(&w->jw, "pid", o->pid);
		ww_jw_str(&w->jw, "comm", o->comm);
		ww_jw_str(&w->jw, "exe", o->exe);
		ww_jw_int(&w->jw, "uid", o->uid);
		ww_jw_str(&w->jw, "user", o->user);
		/* names joined by commas: the line reader takes scalars only (jsonr.h) */
		char ind[256];
		size_t n = 0;
		ind[0] = '\0';
		for (unsigned i = 0; i < WW_IND_COUNT; i++)
			if (o->indicators & (1u << i))
				n += (size_t)snprintf(ind + n, sizeof(ind) - n, "%s%s", n ? "," : "",
						      ww_procs_indicator_name(1u << i));
		ww_jw_str(&w->jw, "indicators", ind);
		if (o->script)
			ww_jw_str(&w->jw, "script", o->script);
	}
	w->records++;
	if (ww_jw_finish(&w->jw, w->tl) < 0)
		w->err = true;
	return w->err ? -EIO : 0;
}

int ww_timeline_flush(struct ww_tl_writer *w)
{
	if (fflush(w->tl) != 0 || pcap_dump_flush(w->dump) < 0)
		w->err = true;
	return w->err ? -EIO : 0;
}

int ww_timeline_close(struct ww_tl_writer *w)
{
	struct timespec now;
	int rc;

	if (!w)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	ww_jw_record(&w->jw, "end", (ww_time_t)now.tv_sec * WW_USEC_PER_SEC + now.tv_nsec / 1000);
	ww_jw_uint(&w->jw, "packets", w->packets);
	ww_jw_uint(&w->jw, "records", w->records);
	if (ww_jw_finish(&w->jw, w->tl) < 0)
		w->err = true;
	if (pcap_dump_flush(w->dump) < 0)
		w->err = true;
	pcap_dump_close(w->dump);
	if (fclose(w->tl) != 0)
		w->err = true;
	rc = w->err ? -EIO : 0;
	ww_jw_free(&w->jw);
	free(w);
	return rc;
}
