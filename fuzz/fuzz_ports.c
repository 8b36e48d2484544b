// fuzz-sources: src/classify/ports.c src/classify/classify.c src/common/common.c src/classify/proto/*.c src/classify/*meta.c
/*
 * fuzz_ports.c - libFuzzer target over the two file readers of ports.c:
 * the --ports loader (ww_ports_load_user) and the services database
 * (ww_ports_load_services), the way the program meets them - a path to
 * read. The input is written to a memfd (no disk, no name to clean up) and
 * read through /proc/self/fd/N, so every byte reaches the readers, NULs
 * and overlong lines included. Byte 0 picks the reader (bit 0: services).
 *
 * Checked: no crash or leak; a loader that fails leaves an error message
 * and the tables as they were (a standard port of the built-in table still
 * is one); one that succeeds gives tables that answer every query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wirewho/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool services = data[0] & 1;
	data++;
	size--;
	int fd = memfd_create("fuzz_ports", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ww_ports_reset();
	if (services) {
		int rc = ww_ports_load_services(path);
		if (rc > 0 || (rc < 0 && ww_ports_services_from_file()))
			abort();   /* a failed load falls back to the built-in names */
		for (uint32_t p = 0; p < 65536; p += 97)
			(void)ww_ports_service((uint16_t)p, (p & 1) ? WW_IPPROTO_UDP : WW_IPPROTO_TCP);
	} else {
		char err[WW_PORTS_ERRLEN];
		err[0] = '\0';
		int rc = ww_ports_load_user(path, err, sizeof(err));
		if (rc > 0 || (rc < 0 && !err[0]))
			abort();
		if (rc < 0 && !ww_ports_is_standard("http", 80, WW_IPPROTO_TCP))
			abort();   /* nothing of a bad file is applied */
		uint16_t list[16];
		for (uint32_t p = 0; p < 65536; p += 257) {
			const char *o = ww_ports_protocol_of((uint16_t)p, WW_IPPROTO_TCP);
			if (o && ww_ports_standard_list(o, WW_IPPROTO_TCP, list, 16) < 0)
				abort();
			(void)ww_ports_is_strict((uint16_t)p, WW_IPPROTO_UDP);
		}
	}
	close(fd);
	ww_ports_reset();
	return 0;
}
