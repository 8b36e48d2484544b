/*
 * fuzz_timeline.c - libFuzzer target over the socket-timeline reader of
 * `replay --sockets` (timeline_index.c and the JSON line reader under it):
 * whatever bytes the file holds, loading either refuses it with a
 * "FILE:LINE: reason" or gives an index whose every lookup is safe; no
 * read past a buffer, no undefined behaviour (NaN, huge numbers, times
 * near the ends of the calendar), no leak.
 *
 * The input is the file itself, handed to ww_timeline_load() through a
 * memfd so that nothing touches the disk. When it loads, the flow keys of
 * a few fixed flows (TCP, UDP and ICMP, IPv4 and IPv6) are looked up at a
 * few times, and the capture check is run against a capture that does not
 * exist (the error path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wirewho/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (1 << 22)   /* 4 MiB: beyond the 1 MiB line limit, not much more */

static void lookups(const struct ww_timeline *tl)
{
	static const ww_time_t times[] = { 0, 1795000000LL * WW_USEC_PER_SEC, INT64_MAX, INT64_MIN };
	for (int proto = 0; proto < 3; proto++) {
		struct ww_flowkey k;
		memset(&k, 0, sizeof(k));
		k.proto = proto == 0 ? WW_IPPROTO_TCP : proto == 1 ? WW_IPPROTO_UDP : WW_IPPROTO_ICMP;
		k.family = proto == 1 ? 6 : 4;
		k.port_a = 40000;
		k.port_b = proto == 2 ? 8 : 80;
		for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
			const struct ww_tl_rec *r = ww_timeline_find(tl, &k, times[t]);
			if (r && r->owner.comm)
				(void)strlen(r->owner.comm);
			if (r && r->reason)
				(void)strlen(r->reason);
		}
	}
	(void)ww_timeline_count(tl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WW_TIMELINE_ERRLEN], path[64];
	if (size > FUZZ_MAX_INPUT)
		return 0;
	int fd = memfd_create("fuzz_timeline", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct ww_timeline *tl = ww_timeline_load(path, err, sizeof(err));
	if (!tl) {
		if (!err[0] || strlen(err) >= sizeof(err))
			abort();   /* a refusal always says why */
	} else {
		lookups(tl);
		(void)ww_timeline_check_capture(tl, "/nonexistent/capture.pcap", err, sizeof(err));
		ww_timeline_free(tl);
	}
	close(fd);
	return 0;
}
