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
#include <unistd.h>

#define WW_LIVE_TIMEOUT_MS 100   /* wake the loop at least 10 times a second */
#define WW_DEFAULT_SNAPLEN 262144 /* libpcap's maximum: whole packets */
#define WW_FILE_BUFFER     (256 * 1024)

struct ww_capture {
	pcap_t *p;
	char *iobuf;         /* the file stream's buffer: freed after pcap_close() */
	bool live;
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
	return set_filter(c, filter, err, errsz);
}

void ww_capture_close(struct ww_capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c->iobuf);
	free(c);
}

enum ww_capture_next ww_capture_next(struct ww_capture *c, const uint8_t **data,
				     uint32_t *caplen, uint32_t *wirelen, ww_time_t *ts)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(c->p, &h, &d);

	if (WW_LIKELY(rc == 1)) {
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
	if (rc == 0)
		return WW_CAP_TIMEOUT;
	if (rc == PCAP_ERROR_BREAK)
		return WW_CAP_EOF;
	snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->p));
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "read error");
	return WW_CAP_ERROR;
}

int ww_capture_datalink(const struct ww_capture *c)
{
	return pcap_datalink(c->p);
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
