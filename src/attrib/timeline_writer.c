/*
 * timeline_writer.c - `watch --record`: the capture and the socket/process
 * timeline written side by side (the format is in timeline.h).
 *
 * Writing is append-only NDJSON through the shared JSON writer, so every
 * string from /proc is escaped. Records are written when a flow ends (its
 * span is then known). The capture fingerprint line is written as soon as
 * the first packet is dumped, because it is what makes the pair of files
 * checkable.
 *
 * Evidence must not be lost silently (#17.1), so neither file goes through
 * stdio, whose buffered writes fail long after the call that "wrote" them:
 * the capture is written by this file (libpcap's 24-byte file header, then
 * a 16-byte header per packet) from its own buffer of whole packets,
 * flushed when full and once a second by the caller; each timeline line is
 * one write() of its own. Every write is checked, so the number of packets
 * and records on disk is known exactly; a write that fails part way is cut
 * back (ftruncate) to the last whole packet or line, so a full disk leaves
 * a readable capture and timeline, not a torn record. The first error is
 * kept ("DIR/FILE: reason", ww_timeline_error()) and is sticky: every later
 * call reports it, nothing more is written to the file that failed, and the
 * "end" line, when it can still be written, counts only what is on disk and
 * says what went wrong.
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

#define TL_CAPTURE_BUFFER (256 * 1024)   /* a write() per 256 KiB of packets */
#define TL_ERRLEN 480
#define WW_PCAP_HEADER_LEN 24   /* a pcap file header: magic, version, zone, sigfigs, snaplen, linktype */

struct ww_tl_writer {
	int pcap_fd, tl_fd;
	uint8_t *cbuf;              /* whole packets (header and bytes) not yet written */
	size_t clen;
	uint64_t cpkts;             /* packets in cbuf */
	uint64_t pcap_off;          /* bytes of capture.pcap on disk */
	uint64_t tl_off;            /* bytes of sockets.ndjson on disk */
	struct ww_jw jw;
	char id[WW_TIMELINE_IDLEN];
	uint64_t packets;           /* packets on disk */
	uint64_t packets_seen;      /* packets handed to ww_timeline_packet() */
	uint64_t records;           /* socket records on disk */
	uint64_t write_errors;      /* writes that failed */
	bool err, pcap_err, tl_err;
	char dir[PATH_MAX - 32];
	char errmsg[TL_ERRLEN];
};

/* Keep the first error, naming the file. */
static void fail_write(struct ww_tl_writer *w, const char *file, int e)
{
	w->write_errors++;
	if (!w->err)
		snprintf(w->errmsg, sizeof(w->errmsg), "%.300s/%s: %s", w->dir, file,
			 e ? strerror(e) : "short write");
	w->err = true;
}

/*
 * Write n bytes at the end of fd (at *off). Returns n, or the bytes that
 * made it before the error (errno set); a short write with no error is
 * retried.
 */
static size_t write_all(int fd, const void *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t k = write(fd, (const uint8_t *)p + done, n - done);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return done;
		}
		if (k == 0) {
			errno = ENOSPC;
			return done;
		}
		done += (size_t)k;
	}
	return n;
}

/* One whole line to the timeline, or nothing (cut back on failure). 0 or -EIO. */
static int tl_line(struct ww_tl_writer *w, const char *line, size_t n)
{
	if (w->tl_err)
		return -EIO;
	size_t k = write_all(w->tl_fd, line, n);
	if (k == n) {
		w->tl_off += n;
		return 0;
	}
	int e = errno;
	if (k && ftruncate(w->tl_fd, (off_t)w->tl_off) == 0)
		lseek(w->tl_fd, (off_t)w->tl_off, SEEK_SET);
	w->tl_err = true;
	fail_write(w, WW_TIMELINE_FILE, e);
	return -EIO;
}

/* The JSON writer's finished record as one line. 0, -ENOMEM or -EIO. */
static int tl_record(struct ww_tl_writer *w)
{
	if (ww_jw_finish(&w->jw, NULL) < 0) {
		ww_jw_reset(&w->jw);
		return -ENOMEM;
	}
	int rc = tl_line(w, w->jw.buf, w->jw.len);
	ww_jw_reset(&w->jw);
	return rc;
}

/* Write the buffered packets; on a short write keep the whole ones. 0 or -EIO. */
static int cap_flush(struct ww_tl_writer *w)
{
	if (w->pcap_err)
		return -EIO;
	if (!w->clen)
		return 0;
	size_t k = write_all(w->pcap_fd, w->cbuf, w->clen);
	if (k == w->clen) {
		w->pcap_off += k;
		w->packets += w->cpkts;
		w->clen = 0;
		w->cpkts = 0;
		return 0;
	}
	int e = errno;
	/* count the packets wholly written, cut the torn one off */
	size_t whole = 0;
	uint64_t n = 0;
	while (whole + 16 <= w->clen) {
		uint32_t cl;
		memcpy(&cl, w->cbuf + whole + 8, 4);
		if (whole + 16 + cl > k)
			break;
		whole += 16 + cl;
		n++;
	}
	w->packets += n;
	w->pcap_off += whole;
	if (ftruncate(w->pcap_fd, (off_t)w->pcap_off) == 0)
		lseek(w->pcap_fd, (off_t)w->pcap_off, SEEK_SET);
	w->clen = 0;
	w->cpkts = 0;
	w->pcap_err = true;
	fail_write(w, WW_TIMELINE_PCAP, e);
	return -EIO;
}

static int create_file(const char *dir, const char *name, char *err, size_t errsz)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		snprintf(err, errsz, "%s/%s: path too long", dir, name);
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		snprintf(err, errsz, "%.400s: %s", path, strerror(errno));
	return fd;
}

struct ww_tl_writer *ww_timeline_create(const char *dir, int linktype, int snaplen,
					const char *iface, ww_time_t start, char *err, size_t errsz)
{
	struct ww_tl_writer *w = calloc(1, sizeof(*w));
	uint8_t rnd[16];
	int idf = -1;

	if (!w || !(w->cbuf = malloc(TL_CAPTURE_BUFFER))) {
		free(w);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	w->pcap_fd = w->tl_fd = -1;
	ww_jw_init(&w->jw);
	if (snprintf(w->dir, sizeof(w->dir), "%s", dir) >= (int)sizeof(w->dir)) {
		snprintf(err, errsz, "%.400s: path too long", dir);
		goto fail;
	}
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

	if ((w->pcap_fd = create_file(dir, WW_TIMELINE_PCAP, err, errsz)) < 0)
		goto fail;
	/* The pcap file header is libpcap's own (it maps the DLT to the file's
	 * LINKTYPE, which differ for some): written by a dumper into memory,
	 * then by us to the file. */
	char *fh = NULL;
	size_t fhlen = 0;
	FILE *mf = open_memstream(&fh, &fhlen);
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_MICRO);
	pcap_dumper_t *dd = mf && dead ? pcap_dump_fopen(dead, mf) : NULL;
	if (dd)
		pcap_dump_close(dd);   /* closes mf: fh and fhlen are final */
	else if (mf)
		fclose(mf);
	if (dead)
		pcap_close(dead);
	if (!dd || fhlen != WW_PCAP_HEADER_LEN) {
		free(fh);
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (write_all(w->pcap_fd, fh, fhlen) != fhlen) {
		free(fh);
		snprintf(err, errsz, "%.400s/%s: %s", dir, WW_TIMELINE_PCAP, strerror(errno));
		goto fail;
	}
	free(fh);
	w->pcap_off = WW_PCAP_HEADER_LEN;
	if ((w->tl_fd = create_file(dir, WW_TIMELINE_FILE, err, errsz)) < 0)
		goto fail;
	if ((idf = create_file(dir, WW_TIMELINE_ID, err, errsz)) < 0)
		goto fail;
	char idline[WW_TIMELINE_IDLEN + 1];
	int il = snprintf(idline, sizeof(idline), "%s\n", w->id);
	int e = write_all(idf, idline, (size_t)il) == (size_t)il ? 0 : errno;
	if (close(idf) != 0 && !e)
		e = errno;
	if (e) {
		snprintf(err, errsz, "%.400s/%s: %s", dir, WW_TIMELINE_ID, strerror(e));
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
	if (tl_record(w) < 0) {
		snprintf(err, errsz, "%s", w->err ? w->errmsg : "out of memory");
		goto fail;
	}
	return w;
fail:
	if (w->pcap_fd >= 0)
		close(w->pcap_fd);
	if (w->tl_fd >= 0)
		close(w->tl_fd);
	ww_jw_free(&w->jw);
	free(w->cbuf);
	free(w);
	return NULL;
}

int ww_timeline_packet(struct ww_tl_writer *w, const uint8_t *data, uint32_t caplen,
		       uint32_t wirelen, ww_time_t ts)
{
	if (w->pcap_err)
		return -EIO;
	if (WW_UNLIKELY(16 + (size_t)caplen > TL_CAPTURE_BUFFER))
		caplen = TL_CAPTURE_BUFFER - 16;   /* beyond any snaplen we open with */
	if (w->clen + 16 + caplen > TL_CAPTURE_BUFFER && cap_flush(w) < 0)
		return -EIO;
	uint32_t h[4] = { (uint32_t)(ts / WW_USEC_PER_SEC), (uint32_t)(ts % WW_USEC_PER_SEC),
			  caplen, wirelen };
	memcpy(w->cbuf + w->clen, h, sizeof(h));
	memcpy(w->cbuf + w->clen + 16, data, caplen);
	w->clen += 16 + caplen;
	w->cpkts++;
	if (WW_UNLIKELY(w->packets_seen++ == 0)) {
		/* The fingerprint that ties this timeline to this capture; the
		 * packet it names goes to disk with it. */
		char hash[17];
		snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)ww_timeline_hash(data, caplen));
		ww_jw_record(&w->jw, "capture", ts);
		ww_jw_str(&w->jw, "capture_id", w->id);
		ww_jw_time(&w->jw, "first_packet", ts);
		ww_jw_uint(&w->jw, "first_caplen", caplen);
		ww_jw_str(&w->jw, "first_hash", hash);
		if (cap_flush(w) < 0 || tl_record(w) < 0)
			return -EIO;
	}
	return 0;
}

int ww_timeline_binding(struct ww_tl_writer *w, const struct ww_flow *f,
			const struct ww_owner *o, uint64_t inode,
			const char *status, const char *reason, bool local_is_server)
{
	return ww_timeline_binding_kernel(w, f, o, inode, status, reason, local_is_server, NULL);
}

int ww_timeline_binding_kernel(struct ww_tl_writer *w, const struct ww_flow *f,
			       const struct ww_owner *o, uint64_t inode, const char *status,
			       const char *reason, bool local_is_server, const struct ww_tl_kernel *k)
{
	char a[WW_ADDRSTRLEN];
	uint8_t proto = f->key.proto;
	bool icmp = proto == WW_IPPROTO_ICMP || proto == WW_IPPROTO_ICMPV6;

	if (w->tl_err)
		return -EIO;
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
		if (o->n_others) {
			char pids[WW_OWNER_OTHERS_MAX * 12];
			size_t m = 0;
			pids[0] = '\0';
			for (unsigned i = 0; i < o->n_others && i < WW_OWNER_OTHERS_MAX; i++)
				m += (size_t)snprintf(pids + m, sizeof(pids) - m, "%s%d", m ? "," : "",
						      o->others[i]);
			ww_jw_str(&w->jw, "other_holders", pids);
		}
		/* who the process is (#12.4), flat: the line reader takes scalars */
		if (o->ppid > 0) {
			ww_jw_int(&w->jw, "ppid", o->ppid);
			if (o->parent_comm)
				ww_jw_str(&w->jw, "parent_comm", o->parent_comm);
			if (o->parent_exe)
				ww_jw_str(&w->jw, "parent_exe", o->parent_exe);
		}
		if (o->cmdline)
			ww_jw_str(&w->jw, "cmdline", o->cmdline);
		if (o->exe_sha256)
			ww_jw_str(&w->jw, "exe_sha256", o->exe_sha256);
		if (o->container) {
			ww_jw_str(&w->jw, "container_runtime", o->container->runtime);
			ww_jw_str(&w->jw, "container_id", o->container->id);
			if (o->pod_uid)
				ww_jw_str(&w->jw, "container_pod_uid", o->pod_uid);
		}
		if (o->unit)
			ww_jw_str(&w->jw, "unit", o->unit);
	}
	if (k) {
		/* what the kernel engine saw of the socket (#12.5) */
		ww_jw_int(&w->jw, "kernel_tid", k->tid);
		ww_jw_uint(&w->jw, "kernel_cgroup", k->cgroup_id);
		ww_jw_str(&w->jw, "kernel_event", k->listener ? "bound" : "flow");
		if (k->exited)
			ww_jw_str(&w->jw, "kernel_exited", "yes");
	}
	int rc = tl_record(w);
	if (rc == 0)
		w->records++;
	return rc;
}

int ww_timeline_flush(struct ww_tl_writer *w)
{
	cap_flush(w);
	return w->err ? -EIO : 0;
}

const char *ww_timeline_error(const struct ww_tl_writer *w)
{
	return w && w->err ? w->errmsg : NULL;
}

int ww_timeline_close(struct ww_tl_writer *w)
{
	struct timespec now;
	int rc;

	if (!w)
		return 0;
	cap_flush(w);
	/* fsync: a full disk or a failing device may say so only now */
	if (!w->pcap_err && fsync(w->pcap_fd) < 0 && errno != EINVAL && errno != EROFS) {
		w->pcap_err = true;
		fail_write(w, WW_TIMELINE_PCAP, errno);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ww_jw_record(&w->jw, "end", (ww_time_t)now.tv_sec * WW_USEC_PER_SEC + now.tv_nsec / 1000);
	ww_jw_uint(&w->jw, "packets", w->packets);       /* on disk, not merely seen */
	ww_jw_uint(&w->jw, "records", w->records);
	if (w->err) {
		ww_jw_uint(&w->jw, "packets_lost", w->packets_seen - w->packets);
		ww_jw_uint(&w->jw, "write_errors", w->write_errors);
		ww_jw_str(&w->jw, "error", w->errmsg);
	}
	tl_record(w);
	if (!w->tl_err && fsync(w->tl_fd) < 0 && errno != EINVAL && errno != EROFS) {
		w->tl_err = true;
		fail_write(w, WW_TIMELINE_FILE, errno);
	}
	if (close(w->pcap_fd) < 0 && !w->pcap_err)
		fail_write(w, WW_TIMELINE_PCAP, errno);
	if (close(w->tl_fd) < 0 && !w->tl_err)
		fail_write(w, WW_TIMELINE_FILE, errno);
	rc = w->err ? -EIO : 0;
	ww_jw_free(&w->jw);
	free(w->cbuf);
	free(w);
	return rc;
}
