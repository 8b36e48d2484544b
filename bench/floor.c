/*
 * floor.c - the replay benchmark's floor: read a capture with libpcap and
 * touch one byte of each packet. Nothing can replay faster than this.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long n = 0, sum = 0;
	pcap_t *p;

	if (argc < 2 || !(p = pcap_open_offline(argv[1], err))) {
		fprintf(stderr, "floor: %s\n", argc < 2 ? "usage: floor FILE" : err);
		return 2;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		sum += d[h->caplen / 2];
		n++;
	}
	printf("%lu packets (checksum %lu)\n", n, sum);
	pcap_close(p);
	return 0;
}
