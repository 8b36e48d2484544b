/*
 * rtsp.c - RTSP 1.0 (RFC 2326) and 2.0 (RFC 7826) by the start line and
 * the CSeq header.
 *
 * Request-Line = Method SP Request-URI SP RTSP-Version CRLF (RFC 2326
 * §6.1), the methods of §10 (OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY,
 * PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER, REDIRECT, RECORD) and 2.0's
 * PLAY_NOTIFY; Status-Line = RTSP-Version SP 3DIGIT SP Reason CRLF
 * (§7.1). Every request and response carries CSeq (§12.17: "MUST be
 * present"), so the proof is the start line and a CSeq header. A start
 * line whose headers never show CSeq within the bytes we keep is WEAK.
 * HTTP's detector wants "HTTP/" at the end of the line, so the two never
 * prove the same bytes.
 */
#include "proto.h"

#define RTSP_LINE_MAX 2048
#define RTSP_HDR_SCAN 2048

static const char *const methods[] = {
	"OPTIONS", "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER",
	"SET_PARAMETER", "REDIRECT", "RECORD", "PLAY_NOTIFY", NULL
};

static bool version_at(const uint8_t *p)
{
	return memcmp(p, "RTSP/", 5) == 0 && (p[5] == '1' || p[5] == '2') && p[6] == '.' && p[7] == '0';
}

static bool has_cseq(const uint8_t *p, uint32_t n, uint32_t from)
{
	uint32_t lim = n < from + RTSP_HDR_SCAN ? n : from + RTSP_HDR_SCAN;
	for (uint32_t i = from; i + 5 <= lim; i++)
		if (p[i - 1] == '\n' && ww_word_eq(p + i, "CSEQ:", 5))
			return true;
	return false;
}

static enum ww_det one(const uint8_t *p, uint32_t n, bool full)
{
	bool complete;
	uint32_t l = ww_line_len(p, n, RTSP_LINE_MAX, &complete);
	if (n >= 5 && memcmp(p, "RTSP/", 5) == 0) {
		if (n < 13)
			return WW_DET_NEED;
		if (!version_at(p) || p[8] != ' ' || !ww_is_digit(p[9]) || !ww_is_digit(p[10]) ||
		    !ww_is_digit(p[11]) || p[12] != ' ')
			return WW_DET_NO;
	} else {
		/* METHOD with underscores: the word helper takes letters only */
		uint32_t i = 0;
		char w[16];
		while (i < n && i < 15 && (ww_is_upper(p[i]) || p[i] == '_')) {
			w[i] = (char)p[i];
			i++;
		}
		if (i == n)
			return i < 15 ? WW_DET_NEED : WW_DET_NO;
		if (i == 0 || p[i] != ' ')
			return WW_DET_NO;
		w[i] = '\0';
		if (!ww_word_in(w, methods))
			return WW_DET_NO;
		if (!complete)
			return l >= RTSP_LINE_MAX ? WW_DET_NO : WW_DET_NEED;
		if (l < i + 1 + 1 + 9 || p[l - 9] != ' ' || !version_at(p + l - 8))
			return WW_DET_NO;
	}
	if (!complete)
		return l >= RTSP_LINE_MAX ? WW_DET_NO : WW_DET_NEED;
	for (uint32_t k = 0; k < l; k++)
		if (!ww_is_text(p[k]))
			return WW_DET_NO;
	if (has_cseq(p, n, l + 1))
		return WW_DET_YES;
	return full ? WW_DET_WEAK : WW_DET_NEED;
}

enum ww_det ww_detect_rtsp(const struct ww_pview *v)
{
	enum ww_det a = v->n[0] ? one(v->d[0], v->n[0], v->full[0]) : WW_DET_NEED;
	enum ww_det b = v->n[1] ? one(v->d[1], v->n[1], v->full[1]) : WW_DET_NEED;
	return ww_det_merge(a, b);
}
