/*
 * mkconns.c - hold N established TCP connection pairs on loopback, for the
 * socket-table benchmark and tests.
 *
 * usage: mkconns PAIRS READYFILE [PORT]
 *
 * The parent listens on 127.0.0.1:PORT and accepts; a forked child connects
 * PAIRS times. Both then hold every descriptor (PAIRS + 1 in the parent,
 * PAIRS in the child), write their pids to READYFILE (parent last, after
 * the child is done) and wait until SIGTERM or MAX_HOLD_S, whichever comes
 * first, so a forgotten benchmark never lingers. Run inside a network
 * namespace with `ulimit -n` above PAIRS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HOLD_S 900         /* the benchmark takes a minute; never hold longer */
#define MAX_PAIRS 200000
#define BACKLOG 4096

static int die(const char *what)
{
	fprintf(stderr, "mkconns: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkconns PAIRS READYFILE [PORT]\n");
		return 2;
	}
	long pairs = strtol(argv[1], NULL, 10);
	int port = argc > 3 ? atoi(argv[3]) : 7777;
	if (pairs < 1 || pairs > MAX_PAIRS)
		return 2;
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, BACKLOG) < 0)
		return die("listen");
	int sync[2];
	if (pipe(sync) < 0)
		return die("pipe");
	pid_t child = fork();
	if (child < 0)
		return die("fork");
	if (child == 0) {
		close(l);
		for (long i = 0; i < pairs; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				_exit(die("connect"));
		}
		(void)!write(sync[1], "k", 1);
		alarm(MAX_HOLD_S);
		pause();
		_exit(0);
	}
	alarm(MAX_HOLD_S);
	for (long i = 0; i < pairs; i++)
		if (accept(l, NULL, NULL) < 0) {
			kill(child, SIGTERM);
			return die("accept");
		}
	char k;
	if (read(sync[0], &k, 1) != 1) {
		kill(child, SIGTERM);
		return die("child");
	}
	FILE *f = fopen(argv[2], "w");
	if (!f) {
		kill(child, SIGTERM);
		return die(argv[2]);
	}
	fprintf(f, "%d %d\n", (int)getpid(), (int)child);
	fclose(f);
	/* SIGTERM to us ends the child too */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig;
	sigwait(&set, &sig);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	return 0;
}
