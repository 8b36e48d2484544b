/*
 * kattr_client.c - the short-lived client of the kernel-engine tests and
 * benchmark: one connection (TCP) or one connected socket (UDP), one
 * message, an optional hold, exit. It prints nothing; the launcher notes
 * its pid. The case the kernel engine exists for is HOLD_MS = 0: the
 * process is usually gone before a monitor reads the flow's first packet.
 *
 * usage: kattr_client tcp|udp IPV4 PORT HOLD_MS
 * Exit status: 0 sent, 1 socket/connect/send failed, 2 bad usage.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	int udp = strcmp(argv[1], "udp") == 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3])) };
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return 2;
	int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	if (send(s, "x", 1, 0) != 1)
		return 1;
	long ms = atol(argv[4]);
	if (ms > 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}
