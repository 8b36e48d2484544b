/*
 * ssdp.c - SSDP, UPnP's discovery (UPnP Device Architecture 2.0 §1.2, §1.3):
 * HTTP-shaped messages over UDP (HTTPU), to 239.255.255.250:1900 or
 * [ff02::c]:1900 and unicast replies.
 *
 * Three start lines exist: "M-SEARCH * HTTP/1.1", "NOTIFY * HTTP/1.1" and
 * a search response "HTTP/1.1 200 OK". Each must carry headers of its
 * kind: a search its MAN ("ssdp:discover") or ST, a notification its NT or
 * NTS, a response its ST or USN. Start line and header together are the
 * proof; neither plain HTTP (TCP, and its own detector) nor SIP (other
 * methods, SIP/2.0) writes both. A search line with no headers at all
 * (what Plex's GDM discovery broadcasts) is WEAK.
 */
#include "proto.h"

#define SSDP_SCAN_MAX 1024   /* headers looked at: the ones we want come first in practice */

static bool starts(const uint8_t *p, uint32_t n, const char *s)
{
	uint32_t l = (uint32_t)strlen(s);
	return n >= l && memcmp(p, s, l) == 0;
}

/* A header line named one of `names` (uppercase, with the colon) in p[0..n). */
static bool has_header(const uint8_t *p, uint32_t n, const char *const *names)
{
	uint32_t lim = n < SSDP_SCAN_MAX ? n : SSDP_SCAN_MAX;
	for (uint32_t i = 0; i < lim; i++) {
		if (i > 0 && p[i - 1] != '\n')
			continue;
		for (const char *const *nm = names; *nm; nm++) {
			uint32_t l = (uint32_t)strlen(*nm);
			if (i + l <= lim && ww_word_eq(p + i, *nm, l))
				return true;
		}
	}
	return false;
}

static enum ww_det one(const uint8_t *p, uint32_t n)
{
	static const char *const search_h[] = { "MAN:", "ST:", NULL };
	static const char *const notify_h[] = { "NT:", "NTS:", NULL };
	static const char *const resp_h[] = { "ST:", "USN:", NULL };
	const char *const *want;
	uint32_t sl;
	if (starts(p, n, "M-SEARCH * HTTP/1.")) {
		want = search_h;
		sl = 18;
	} else if (starts(p, n, "NOTIFY * HTTP/1.")) {
		want = notify_h;
		sl = 16;
	} else if (starts(p, n, "HTTP/1.1 200") || starts(p, n, "HTTP/1.0 200")) {
		want = resp_h;
		sl = 12;
	} else {
		return WW_DET_NO;
	}
	if (want != resp_h) {                  /* the minor version, then the line end */
		if (sl >= n || (p[sl] != '0' && p[sl] != '1'))
			return WW_DET_NO;
		if (ww_eol_at(p, n, sl + 1) != WW_DET_YES)
			return WW_DET_NO;
	}
	if (has_header(p, n, want))
		return WW_DET_YES;
	/* a bare search line (Plex's GDM discovery sends only that) */
	return want == search_h ? WW_DET_WEAK : WW_DET_NO;
}

enum ww_det ww_detect_ssdp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
