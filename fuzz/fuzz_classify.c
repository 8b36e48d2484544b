// fuzz-sources: src/classify/classify.c src/classify/ports.c src/judge/judge_port.c src/judge/alert.c src/common/common.c src/classify/proto/*.c src/classify/*meta.c
/*
 * fuzz_classify.c - libFuzzer target over the classifier's entry point
 * (ww_cls_feed) and everything after it: ww_cls_finish, the answer and its
 * evidence, and the port mismatch judge.
 *
 * Input layout: byte 0 picks the transport (bit 0: UDP), whether the server
 * is the mDNS group (bit 1) and whether the TCP handshake was seen (bit 2);
 * byte 1 picks the server port from a list of well-known ones (or, past the
 * list, takes bytes 2-3 as the port). Then packets: a header byte (bit 7 =
 * to-client; low 7 bits + the next byte = length) and that many bytes (the
 * last packet takes what is left). Each payload is copied into a heap
 * buffer of exactly its length so ASan catches any read past it.
 */
#include <stdlib.h>

#include "wirewho/classify.h"
#include "wirewho/judge_port.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ports[] = {
	80, 443, 22, 53, 5353, 123, 25, 587, 21, 110, 143, 67, 68, 161, 5060, 3389,
	445, 139, 6667, 1080, 6379, 3306, 5432, 23, 6881, 8080, 993, 102, 40000,
	5222, 389, 119, 4190, 5269, 465,   /* the plaintext-first ports, and an implicit-TLS one */
	88, 514, 135, 1883, 3478, 19302, 5684, 1900, 51820, 1194, 500, 4500, 502, 5355, 137, 138, 554,
	8554,   /* issue 14's detectors: Kerberos .. RTSP (appended: the seeds' indexes stay valid) */
};

/* Bound the packets per input: the classifier stops long before this. */
#define FUZZ_MAX_PACKETS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	struct ww_flow f;
	memset(&f, 0, sizeof(f));
	static const uint8_t cli[4] = { 192, 0, 2, 1 }, srv[4] = { 198, 51, 100, 2 }, mdns[4] = { 224, 0, 0, 251 };
	ww_addr_from_v4(&f.key.a, cli);
	ww_addr_from_v4(&f.key.b, (data[0] & 2) ? mdns : srv);
	f.key.proto = (data[0] & 1) ? WW_IPPROTO_UDP : WW_IPPROTO_TCP;
	f.key.family = 4;
	f.client_is_a = 1;
	if (data[0] & 4)
		f.tcp = WW_TCPS_SYN_C | WW_TCPS_SYN_S | WW_TCPS_EST;
	f.key.port_a = 40001;
	f.key.port_b = data[1] < WW_ARRAY_SIZE(ports) ? ports[data[1]] : (uint16_t)(data[2] << 8 | data[3]);
	data += 4;
	size -= 4;

	struct ww_cls *c = ww_cls_new();
	if (!c)
		return 0;
	uint64_t pkt = 0;
	while (size >= 2 && pkt < FUZZ_MAX_PACKETS) {
		enum ww_dir dir = (data[0] & 0x80) ? WW_DIR_TOCLIENT : WW_DIR_TOSERVER;
		size_t len = (size_t)(data[0] & 0x7f) << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		uint8_t *p = malloc(len ? len : 1);
		if (!p)
			break;
		memcpy(p, data, len);
		bool fin = ww_cls_feed(c, &f, dir, p, (uint32_t)len, ++pkt);
		free(p);
		data += len;
		size -= len;
		if (fin)
			break;
	}
	ww_cls_finish(c, &f);
	enum ww_app_by by;
	const char *app = ww_cls_app_proto(c, &f, &by);
	if (!app || (by == WW_APP_BY_PAYLOAD && strcmp(app, "unknown") == 0))
		abort();
	struct ww_cls_result r;
	ww_cls_result(c, &f, &r);
	if (r.first_len > WW_FIRST_BYTES || (r.first_len && !r.first_bytes))
		abort();
	if (strcmp(ww_cls_proto_name(r.proto), app) != 0 || r.by != by)
		abort();
	if (strlen(r.sni) >= WW_NAME_MAX || strlen(r.alpn) >= WW_ALPN_MAX)
		abort();
	/* the name's length covers its bytes up to the terminator, NULs inside allowed */
	if (r.sni_len >= WW_NAME_MAX || r.sni[r.sni_len] != '\0' || strlen(r.sni) > r.sni_len ||
	    r.sni_len != ww_cls_sni_len(c))
		abort();
	struct ww_alert a[3];
	int k = ww_judge_port(&f, &r, 0, a, 3);
	if (k < 0 || k > 1)
		abort();
	for (int i = 0; i < k; i++)
		if (strnlen(a[i].message, sizeof(a[i].message)) >= sizeof(a[i].message) || a[i].ev.first_len > WW_FIRST_BYTES ||
		    a[i].ev.sni_len >= sizeof(a[i].ev.sni) || a[i].ev.sni_len != r.sni_len)
			abort();
	ww_cls_free(c);
	return 0;
}
