/*
 * capture.c - libpcap behind a small interface.
 *
 * Files are opened with microsecond precision requested, so libpcap scales
 * nanosecond pcap and pcapng stamps for us and every packet time is in the
 * unit the output uses. Before handing a path to libpcap we stat it: libpcap
 * happily fopen()s a directory and then reports a confusing read error.
 *
 * Files are read through our own stdio stream: a 256 KiB buffer (a read
 * system call per 256 KiB instead of per 4 KiB), and no stream locking,
 * since only the reading thread ever touches it (replay writes its output
 * from a second thread, and stdio would otherwise lock every fread).
 *
 * Live captures use immediate mode, so the first packets of a flow reach
 * the classifier and the owner lookup at once instead of sitting in a
 * multi-second kernel buffer, and are non-blocking: the caller's poll() on
 * the capture descriptor decides when to read, so one loop serves the
 * capture, address changes and periodic work (expiry, summaries, signals)
 * when the wire is quiet. Before libpcap is asked, the interface is probed
 * with SIOCGIFFLAGS: "does not exist" and "is down" are clearer than
 * libpcap's activation errors, and a watcher waiting for an interface to
 * come back needs the same test without opening anything.
 *
 * Under a flood, waking the caller for every packet costs more than the
 * packet: with immediate mode each packet wakes a poll()er, and on veth (or
 * any receive path run in the sender's context) that wake-up preempts the
 * sender, as watch runs at a raised priority. So a live read that finds the
 * ring empty after a burst (WW_LIVE_NAP_BURST packets or more without a
 * pause: the ring was being refilled as fast as it was read) naps for
 * WW_LIVE_NAP_US, not polling, and looks once more; packets that arrive in
 * the nap wake nobody and are read together. A quiet or ordinary wire never
 * has such a burst, so its packets still come the moment they arrive; in a
 * flood a packet may wait the nap's length, a small fraction of what the
 * ring holds (a 64 MB ring is ~15,000 packets: 50 ms at 300,000/s).
 */
#include "wirewho/capture.h"

#include <errno.h>
#include <stdint.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WW_LIVE_TIMEOUT_MS 100   /* wake the loop at least 10 times a second */
#define WW_DEFAULT_SNAPLEN 262144 /* libpcap's maximum: whole packets */
#define WW_FILE_BUFFER     (256 * 1024)
#define WW_LIVE_NAP_BURST  32    /* packets read in a row before an empty ring means "flood":
				    an ordinary wake-up brings one to a few */
#define WW_LIVE_NAP_US     250   /* the nap: ~75 packets at 300,000/s, one read pass */

struct ng_reader;

struct ww_capture {
	pcap_t *p;
	struct ng_reader *ng;  /* a pcapng file libpcap refuses, read by us (below), or NULL */
	char *iobuf;         /* the file stream's buffer: freed after pcap_close() */
	bool live;
	uint32_t burst;      /* live: packets read since the ring was last empty */
	ww_time_t last_ts;   /* the last packet time in range: what a bad one gets */
	long long min_sec;   /* earliest second in range: a classic pcap's signed 32-bit
				seconds reach back to 1901; pcapng's are unsigned, so a
				negative one is libpcap's wrap of a stamp past 2^63 */
	uint64_t bad_times;  /* packets whose time was out of range */
	char err[WW_CAPTURE_ERRLEN];
};

static int set_filter(struct ww_capture *c, const char *filter, char *err, size_t errsz)
{
	struct bpf_program prog;
	if (!filter || !*filter)
		return 0;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errsz, "bad filter \"%s\": %s", filter, pcap_geterr(c->p));
		return -EINVAL;
	}
	int rc = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errsz, "cannot set filter: %s", pcap_geterr(c->p));
		return -EINVAL;
	}
	return 0;
}

/* ---- pcapng with mixed interfaces ---------------------------------------- */

/*
 * libpcap 1.10 reads a pcapng file only while all its interfaces share the
 * first one's link type and snap length; a capture from several interfaces
 * (a Wireshark "any" of Ethernet and a tunnel, a merge) fails at the first
 * interface that differs. Such a file is read here instead, block by block
 * (pcapng, draft-ietf-opsawg-pcapng): section headers (either byte order;
 * a new section forgets the interfaces), interface descriptions (link type,
 * snap length, if_tsresol, if_tsoffset), enhanced, simple and obsolete
 * packet blocks; every other block is skipped by its length. Each packet
 * carries its own interface's link type (ww_capture_packet_datalink()), and
 * a filter is compiled once per interface for its link type.
 *
 * Whether a file needs this is decided by a first pass over its interface
 * descriptions before libpcap sees it (a regular file only; standard input
 * cannot be read twice and keeps libpcap's limit).
 */
#define NG_SHB  0x0A0D0D0Au
#define NG_IDB  1u
#define NG_PB   2u      /* obsolete packet block */
#define NG_SPB  3u
#define NG_EPB  6u
#define NG_BOM  0x1A2B3C4Du
#define NG_MAX_IFACES 256        /* interfaces per section; real files have a few */
#define NG_MAX_BLOCK  (16u << 20) /* a block longer than this is a broken file */
#define NG_OPT_TSRESOL 9
#define NG_OPT_TSOFFSET 14
#define NG_LINKTYPE_RAW 101      /* the file's number for raw IP; DLT_RAW in memory */

struct ng_iface {
	int dlt;
	uint32_t snaplen;
	uint64_t units_per_s;    /* time stamp resolution */
	int64_t offset_s;        /* if_tsoffset */
	struct bpf_program prog;
	bool has_prog;
};

struct ng_reader {
	FILE *fp;
	bool swap;
	uint32_t nif;
	struct ng_iface *ifs;    /* NG_MAX_IFACES */
	uint8_t *buf;
	uint32_t bufsz;
	int last_dlt;
	const char *filter;
};

static inline uint32_t ng32(const struct ng_reader *r, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t ng16(const struct ng_reader *r, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static void ng_forget(struct ng_reader *r)
{
	for (uint32_t i = 0; i < r->nif; i++)
		if (r->ifs[i].has_prog)
			pcap_freecode(&r->ifs[i].prog);
	r->nif = 0;
}

/*
 * The next block into r->buf: its type and body (after type and length,
 * before the trailing length). 1 a block, 0 clean end of file, -1 broken.
 */
static int ng_block(struct ng_reader *r, uint32_t *type, uint32_t *blen, char *err, size_t errsz)
{
	uint8_t h[12];
	size_t n = fread(h, 1, 8, r->fp);
	if (n == 0)
		return 0;
	if (n < 8) {
		snprintf(err, errsz, "truncated dump file; cut inside a block header");
		return -1;
	}
	uint32_t t, len;
	memcpy(&t, h, 4);
	if (t == NG_SHB) {
		/* The byte order comes from the section header's magic. */
		if (fread(h + 8, 1, 4, r->fp) != 4) {
			snprintf(err, errsz, "truncated dump file; cut inside a section header");
			return -1;
		}
		uint32_t bom;
		memcpy(&bom, h + 8, 4);
		if (bom == NG_BOM)
			r->swap = false;
		else if (bom == __builtin_bswap32(NG_BOM))
			r->swap = true;
		else {
			snprintf(err, errsz, "bad pcapng byte-order magic");
			return -1;
		}
		ng_forget(r);
	}
	t = ng32(r, h);
	len = ng32(r, h + 4);
	uint32_t have = t == NG_SHB ? 12 : 8;
	if (len < have + 4 || len % 4 || len > NG_MAX_BLOCK) {
		snprintf(err, errsz, "bad pcapng block length %u", len);
		return -1;
	}
	if (len > r->bufsz) {
		uint8_t *nb = realloc(r->buf, len);
		if (!nb) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		r->buf = nb;
		r->bufsz = len;
	}
	memcpy(r->buf, h, have);
	if (fread(r->buf + have, 1, len - have, r->fp) != len - have) {
		snprintf(err, errsz, "truncated dump file; cut inside a block");
		return -1;
	}
	*type = t;
	*blen = len;
	return 1;
}

/* An interface description block: its link type, snap length and time options. */
static int ng_idb(struct ng_reader *r, uint32_t len, char *err, size_t errsz)
{
	const uint8_t *b = r->buf;
	if (len < 20) {
		snprintf(err, errsz, "bad pcapng interface block");
		return -1;
	}
	if (r->nif >= NG_MAX_IFACES) {
		snprintf(err, errsz, "more than %d interfaces in one section", NG_MAX_IFACES);
		return -1;
	}
	struct ng_iface *f = &r->ifs[r->nif];
	memset(f, 0, sizeof(*f));
	f->dlt = ng16(r, b + 8);
	if (f->dlt == NG_LINKTYPE_RAW)
		f->dlt = DLT_RAW;   /* as libpcap maps it: the DLT a filter compiles for */
	f->snaplen = ng32(r, b + 12);
	f->units_per_s = 1000000;
	for (uint32_t off = 16; off + 4 <= len - 4;) {
		uint16_t code = ng16(r, b + off), ol = ng16(r, b + off + 2);
		off += 4;
		if (code == 0 || off + ol > len - 4)
			break;
		if (code == NG_OPT_TSRESOL && ol >= 1) {
			uint8_t v = b[off];
			unsigned e = v & 0x7f;
			uint64_t u = 1;
			if (v & 0x80)
				u = e < 63 ? 1ull << e : 0;
			else
				for (unsigned i = 0; i < e && u; i++)
					u = u > UINT64_MAX / 10 ? 0 : u * 10;
			if (!u) {
				snprintf(err, errsz, "unsupported pcapng time resolution %#x", v);
				return -1;
			}
			f->units_per_s = u;
		} else if (code == NG_OPT_TSOFFSET && ol >= 8) {
			uint64_t v;
			memcpy(&v, b + off, 8);
			if (r->swap)
				v = __builtin_bswap64(v);
			f->offset_s = (int64_t)v;
		}
		off += (ol + 3u) & ~3u;
	}
	if (r->filter && *r->filter) {
		pcap_t *dead = pcap_open_dead(f->dlt, f->snaplen ? (int)f->snaplen : WW_DEFAULT_SNAPLEN);
		if (!dead) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		if (pcap_compile(dead, &f->prog, r->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errsz, "bad filter \"%s\": %s", r->filter, pcap_geterr(dead));
			pcap_close(dead);
			return -1;
		}
		pcap_close(dead);
		f->has_prog = true;
	}
	r->nif++;
	return 0;
}

/*
 * A first pass over a pcapng file: true when its interfaces differ in link
 * type or snap length (what libpcap refuses). Reads only; false on any
 * doubt (not pcapng, unreadable), leaving the file to libpcap.
 */
static bool ng_mixed(const char *path)
{
	struct ng_reader r = { 0 };
	char err[128];
	uint32_t type, len;
	bool mixed = false;
	int first_dlt = -1;
	uint32_t first_snap = 0;

	r.fp = fopen(path, "rb");
	if (!r.fp)
		return false;
	uint32_t magic;
	if (fread(&magic, 1, 4, r.fp) != 4 || magic != NG_SHB || fseek(r.fp, 0, SEEK_SET) != 0)
		goto out;
	r.ifs = calloc(NG_MAX_IFACES, sizeof(*r.ifs));
	if (!r.ifs)
		goto out;
	while (!mixed && ng_block(&r, &type, &len, err, sizeof(err)) == 1) {
		if (type != NG_IDB)
			continue;
		if (ng_idb(&r, len, err, sizeof(err)) < 0)
			break;
		const struct ng_iface *f = &r.ifs[r.nif - 1];
		if (first_dlt < 0) {
			first_dlt = f->dlt;
			first_snap = f->snaplen;
		} else if (f->dlt != first_dlt || f->snaplen != first_snap) {
			mixed = true;
		}
	}
out:
	free(r.ifs);
	free(r.buf);
	fclose(r.fp);
	return mixed;
}

static enum ww_capture_next ng_next(struct ww_capture *c, const uint8_t **data, uint32_t *caplen,
				    uint32_t *wirelen, ww_time_t *ts)
{
	struct ng_reader *r = c->ng;
	uint32_t type, len;

	for (;;) {
		int rc = ng_block(r, &type, &len, c->err, sizeof(c->err));
		if (rc == 0)
			return WW_CAP_EOF;
		if (rc < 0)
			return WW_CAP_ERROR;
		const uint8_t *b = r->buf;
		uint32_t ifc = 0, cl, wl, off;
		uint64_t units = 0;
		switch (type) {
		case NG_IDB:
			if (ng_idb(r, len, c->err, sizeof(c->err)) < 0)
				return WW_CAP_ERROR;
			continue;
		case NG_EPB:
		case NG_PB:
			if (len < 32)
				goto bad;
			ifc = type == NG_EPB ? ng32(r, b + 8) : ng16(r, b + 8);
			units = (uint64_t)ng32(r, b + 12) << 32 | ng32(r, b + 16);
			cl = ng32(r, b + 20);
			wl = ng32(r, b + 24);
			off = 28;
			break;
		case NG_SPB:
			if (len < 16)
				goto bad;
			wl = ng32(r, b + 8);
			off = 12;
			cl = len - 16;
			if (r->nif && r->ifs[0].snaplen && cl > r->ifs[0].snaplen)
				cl = r->ifs[0].snaplen;
			if (cl > wl)
				cl = wl;
			break;
		default:
			continue;   /* name resolution, statistics, custom... */
		}
		if (cl > len - 4 - off)
			goto bad;
		if (ifc >= r->nif) {
			snprintf(c->err, sizeof(c->err), "a packet names interface %u of %u", ifc, r->nif);
			return WW_CAP_ERROR;
		}
		const struct ng_iface *f = &r->ifs[ifc];
		if (f->has_prog) {
			struct pcap_pkthdr ph = { .caplen = cl, .len = wl };
			if (!pcap_offline_filter(&f->prog, &ph, b + off))
				continue;
		}
		uint64_t sec = units / f->units_per_s, frac = units % f->units_per_s;
		*ts = (ww_time_t)((int64_t)sec + f->offset_s) * WW_USEC_PER_SEC +
		      (ww_time_t)(frac * 1000000 / f->units_per_s);
		*data = b + off;
		*caplen = cl;
		*wirelen = wl;
		r->last_dlt = f->dlt;
		return WW_CAP_PACKET;
	bad:
		snprintf(c->err, sizeof(c->err), "bad pcapng packet block");
		return WW_CAP_ERROR;
	}
}

static void ng_free(struct ng_reader *r)
{
	if (!r)
		return;
	ng_forget(r);
	if (r->fp)
		fclose(r->fp);
	free(r->ifs);
	free(r->buf);
	free(r);
}

/* Open `path` with the reader above; its first packet block sets the link type. */
static int ng_open(struct ww_capture *c, const char *path, const char *filter, char *err, size_t errsz)
{
	struct ng_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->ifs = calloc(NG_MAX_IFACES, sizeof(*r->ifs)))) {
		free(r);
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		snprintf(err, errsz, "%s", strerror(errno));
		ng_free(r);
		return -errno;
	}
	if ((c->iobuf = malloc(WW_FILE_BUFFER)) != NULL)
		setvbuf(r->fp, c->iobuf, _IOFBF, WW_FILE_BUFFER);
	__fsetlocking(r->fp, FSETLOCKING_BYCALLER);
	r->filter = filter;
	r->last_dlt = -1;
	c->ng = r;
	/* Read up to the first interface: the file's "link type" for callers
	 * that ask once is its first interface's. */
	uint32_t type, len;
	while (ng_block(r, &type, &len, err, errsz) == 1) {
		if (type == NG_IDB) {
			if (ng_idb(r, len, err, errsz) < 0)
				return -EINVAL;
			r->last_dlt = r->ifs[0].dlt;
			return 0;
		}
	}
	if (!err[0])
		snprintf(err, errsz, "pcapng file without an interface");
	return -EINVAL;
}

struct ww_capture *ww_capture_open_file(const char *path, const char *filter,
					char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct ww_capture *c;
	struct stat st;

	if (strcmp(path, "-") != 0) {
		if (stat(path, &st) < 0) {
			snprintf(err, errsz, "%s", strerror(errno));
			return NULL;
		}
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errsz, "is a directory, not a capture file");
			return NULL;
		}
		if (S_ISREG(st.st_mode) && st.st_size == 0) {
			snprintf(err, errsz, "empty file, not a capture");
			return NULL;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") != 0 && S_ISREG(st.st_mode) && ng_mixed(path)) {
		err[0] = '\0';
		if (ng_open(c, path, filter, err, errsz) < 0) {
			ww_capture_close(c);
			return NULL;
		}
		return c;
	}
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!fp) {
		snprintf(err, errsz, "%s", strerror(errno));
		free(c);
		return NULL;
	}
	/* Before any read; glibc ignores the size unless given the buffer.
	 * Standard input outlives us and may be named twice: its buffer is
	 * static and set once. */
	if (fp == stdin) {
		static char stdin_buf[WW_FILE_BUFFER];
		static bool stdin_set;
		if (!stdin_set)
			setvbuf(fp, stdin_buf, _IOFBF, sizeof(stdin_buf));
		stdin_set = true;
	} else if ((c->iobuf = malloc(WW_FILE_BUFFER)) != NULL) {
		setvbuf(fp, c->iobuf, _IOFBF, WW_FILE_BUFFER);
	}
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!c->p) {
		if (fp != stdin)
			fclose(fp);   /* libpcap owns the stream only once it opened */
		/* libpcap says e.g. "unknown file format"; say what we expected too. */
		if (strstr(perr, "unknown file format") || strstr(perr, "truncated dump file"))
			snprintf(err, errsz, "not a pcap or pcapng capture (%s)", perr);
		else
			snprintf(err, errsz, "%s", perr);
		free(c->iobuf);
		free(c);
		return NULL;
	}
	/* libpcap gives a pcapng file's section version (1.x), a pcap's 2.4 */
	c->min_sec = pcap_major_version(c->p) == 2 ? INT32_MIN : 0;
	if (set_filter(c, filter, err, errsz) < 0) {
		ww_capture_close(c);
		return NULL;
	}
	return c;
}

struct ww_capture *ww_capture_open_live(const char *iface, const char *filter,
					int buffer_bytes, int snaplen,
					char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct ww_capture *c;
	int rc = ww_capture_probe(iface);

	if (rc < 0) {
		snprintf(err, errsz, "interface %s %s", iface, ww_capture_probe_problem(rc));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	c->live = true;
	c->p = pcap_create(iface, perr);
	if (!c->p) {
		snprintf(err, errsz, "%s", perr);
		free(c);
		return NULL;
	}
	pcap_set_snaplen(c->p, snaplen > 0 ? snaplen : WW_DEFAULT_SNAPLEN);
	pcap_set_promisc(c->p, 0);
	pcap_set_timeout(c->p, WW_LIVE_TIMEOUT_MS);
	pcap_set_immediate_mode(c->p, 1);
	if (buffer_bytes > 0)
		pcap_set_buffer_size(c->p, buffer_bytes);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = pcap_geterr(c->p);
		if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errsz, "no such interface (%s)", why);
		else if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err, errsz,
				 "permission denied: capturing needs CAP_NET_RAW (%s)", why);
		else if (rc == PCAP_ERROR_IFACE_NOT_UP)
			snprintf(err, errsz, "interface is down");
		else
			snprintf(err, errsz, "%s", why);
		ww_capture_close(c);
		return NULL;
	}
	if (set_filter(c, filter, err, errsz) < 0) {
		ww_capture_close(c);
		return NULL;
	}
	/* Non-blocking: poll() decides when to read, so one loop serves all. */
	if (pcap_setnonblock(c->p, 1, perr) < 0) {
		snprintf(err, errsz, "%s", perr);
		ww_capture_close(c);
		return NULL;
	}
	return c;
}

int ww_capture_set_filter(struct ww_capture *c, const char *filter, char *err, size_t errsz)
{
	if (c->ng) {
		snprintf(err, errsz, "a filter on a mixed-interface pcapng is set when it is opened");
		return -EINVAL;
	}
	return set_filter(c, filter, err, errsz);
}

void ww_capture_close(struct ww_capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	ng_free(c->ng);
	free(c->iobuf);
	free(c);
}

enum ww_capture_next ww_capture_next(struct ww_capture *c, const uint8_t **data,
				     uint32_t *caplen, uint32_t *wirelen, ww_time_t *ts)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	if (WW_UNLIKELY(c->ng))
		return ng_next(c, data, caplen, wirelen, ts);
	int rc = pcap_next_ex(c->p, &h, &d);

	if (WW_UNLIKELY(rc == 0) && c->burst >= WW_LIVE_NAP_BURST) {
		/* The ring ran dry in a flood: nap instead of a poll() per packet. */
		struct timespec nap = { 0, WW_LIVE_NAP_US * 1000L };
		c->burst = 0;
		nanosleep(&nap, NULL);
		rc = pcap_next_ex(c->p, &h, &d);
	}
	if (WW_LIKELY(rc == 1)) {
		c->burst += c->live;
		*data = d;
		*caplen = h->caplen;
		*wirelen = h->len;
		/* A crafted pcapng stamp (near 2^64 units, a 2^62 s if_tsoffset,
		 * a one-second if_tsresol) reaches us as a tv_sec that libpcap's
		 * unsigned arithmetic wrapped or that overflows the multiplication
		 * below: it gets the last good time instead, and is counted. */
		if (WW_UNLIKELY(h->ts.tv_sec < c->min_sec || h->ts.tv_sec > WW_CAPTURE_MAX_SEC)) {
			/* (tv_usec is a classic pcap's signed 32-bit field, or
			 * below a second: added as it is, it cannot overflow) */
			c->bad_times++;
			*ts = c->last_ts;
		} else {
			*ts = (ww_time_t)h->ts.tv_sec * WW_USEC_PER_SEC + h->ts.tv_usec;
			c->last_ts = *ts;
		}
		return WW_CAP_PACKET;
	}
	c->burst = 0;
	if (rc == 0)
		return WW_CAP_TIMEOUT;
	if (rc == PCAP_ERROR_BREAK)
		return WW_CAP_EOF;
	snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->p));
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "read error");
	return WW_CAP_ERROR;
}

bool ww_capture_oom(const char *msg)
{
	/* Ours say "out of memory"; libpcap's name the errno, strerror(ENOMEM). */
	return msg && (strstr(msg, "out of memory") || strstr(msg, strerror(ENOMEM)));
}

int ww_capture_datalink(const struct ww_capture *c)
{
	return c->ng ? c->ng->last_dlt : pcap_datalink(c->p);
}

bool ww_capture_mixed_linktypes(const struct ww_capture *c)
{
	return c->ng != NULL;
}

const char *ww_capture_dlt_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);
	return n ? n : "unknown";
}

const char *ww_capture_error(const struct ww_capture *c)
{
	return c->err;
}

int ww_capture_dropped(struct ww_capture *c, uint64_t *dropped)
{
	struct pcap_stat st;
	*dropped = 0;
	if (!c->live)
		return 0;
	if (pcap_stats(c->p, &st) < 0)
		return -EIO;
	*dropped = (uint64_t)st.ps_drop + st.ps_ifdrop;
	return 0;
}

int ww_capture_counts(struct ww_capture *c, uint64_t *received, uint64_t *dropped)
{
	struct pcap_stat st;
	*received = *dropped = 0;
	if (!c->live)
		return 0;
	if (pcap_stats(c->p, &st) < 0)
		return -EIO;
	/* libpcap's ps_recv counts the kernel's drops too; the interface's
	 * drops never reached the socket, so they are added to both. */
	*received = (uint64_t)st.ps_recv + st.ps_ifdrop;
	*dropped = (uint64_t)st.ps_drop + st.ps_ifdrop;
	return 0;
}

int ww_capture_fd(const struct ww_capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->p) : -1;
}


int ww_capture_snaplen(const struct ww_capture *c)
{
	if (c->ng)
		return WW_DEFAULT_SNAPLEN;   /* several interfaces: no one snap length */
	return pcap_snapshot(c->p);
}

int ww_capture_probe(const char *iface)
{
	struct ifreq ifr;
	int fd, rc = 0;

	if (strcmp(iface, "any") == 0)
		return 0;
	if (strlen(iface) >= IFNAMSIZ)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return if_nametoindex(iface) ? 0 : -ENODEV;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, iface, strlen(iface));
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	else if (!(ifr.ifr_flags & IFF_UP))
		rc = -ENETDOWN;
	close(fd);
	return rc;
}

const char *ww_capture_probe_problem(int state)
{
	return state == -ENODEV ? "does not exist" : state == -ENETDOWN ? "is down" : strerror(-state);
}

uint64_t ww_capture_bad_times(const struct ww_capture *c)
{
	return c->bad_times;
}
