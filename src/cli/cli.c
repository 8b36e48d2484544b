/*
 * cli.c - the command line's shared pieces: usage and help text, usage
 * errors and number parsing (see cli.h). Each command parses its own
 * options (cmd_replay.c, cmd_watch.c, cmd_sockets.c); main.c dispatches.
 */
#include "wirewho/cli.h"
#include "wirewho/decode.h"
#include "wirewho/common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: wirewho replay [OPTIONS] FILE...      read pcap/pcapng files (- for stdin)\n"
	"       wirewho watch  [OPTIONS] -i IFACE     capture live on an interface (any = all)\n"
	"       wirewho sockets [OPTIONS]             audit this host's socket table\n"
	"       wirewho collect [OPTIONS] nats://...  read a fleet's records from NATS JetStream\n"
	"       wirewho --help | --version\n";

static const char help_text[] =
	"\n"
	"Common options:\n"
	"  --json               NDJSON records on stdout (flow, alert, socket, stats)\n"
	"  -f, --filter EXPR    BPF filter, as tcpdump takes it (replay, watch)\n"
	"  --policy FILE        rules that explain expected processes, ports and peers\n"
	"  -q, --quiet          alerts only, no flow records\n"
	"  --max-flows N        flows tracked at once (default 1000000); the least\n"
	"                       recently active are evicted beyond it (replay, watch)\n"
	"  --timeout CLASS=S[,CLASS=S...]\n"
	"                       idle timeouts in seconds; CLASS is tcp (established,\n"
	"                       300), tcp-new (30), closed (10), udp (60), other (30)\n"
	"  --ports FILE         add or change the standard ports of protocols (replay, watch)\n"
	"  -h, --help           the options of one command: wirewho COMMAND --help\n"
	"\n"
	"replay:\n"
	"  --sockets FILE       socket/process timeline recorded by `watch --record`\n"
	"  --no-progress        no progress line on a terminal\n"
	"  --no-classify        skip payload classification (to measure its cost)\n"
	"\n"
	"watch:\n"
	"  -i, --interface IF   interface to capture on (any = all)\n"
	"  --duration SECS      stop after SECS (also stops on SIGINT/SIGTERM)\n"
	"  --record DIR         also write DIR/capture.pcap and DIR/sockets.ndjson\n"
	"                       (DIR must be empty or new, unless --force)\n"
	"  --stats-interval S   --json: a stats record every S seconds (default 60)\n"
	"  --buffer-size MB     kernel capture buffer\n"
	"  --wait-for-interface wait for a missing interface instead of failing\n"
	"\n"
	"sockets: see `wirewho sockets --help`.\n"
	"\n"
	"Exit status: 0 ran to the end, 1 runtime failure, 2 bad usage or unreadable input.\n";

void ww_cli_print_usage(FILE *out, bool full)
{
	fputs(usage_text, out);
	if (full)
		fputs(help_text, out);
}

int ww_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, cmd ? "wirewho: %s: " : "wirewho: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'wirewho%s%s --help'\n", cmd ? " " : "", cmd ? cmd : "");
	return 2;
}

int ww_cli_bad_option(const char *cmd, int c, char **argv)
{
	/* A short option, alone or in a cluster: getopt names the letter (the
	 * argv word may hold others, "-tulpn"). A long one: the word, up to
	 * any "=value". */
	const char *word = optind > 0 ? argv[optind - 1] : "";
	if (strncmp(word, "--", 2) != 0 && optopt > 0 && optopt < 256)
		return ww_cli_usage_error(cmd, c == ':' ? "option -%c needs an argument" :
					  "option -%c is unknown", optopt);
	const char *eq = strchr(word, '=');
	int n = eq ? (int)(eq - word) : (int)strlen(word);
	if (c == ':')
		return ww_cli_usage_error(cmd, "option %.*s needs an argument", n, word);
	if (eq && optopt)   /* a known option given a value it does not take */
		return ww_cli_usage_error(cmd, "option %.*s takes no argument", n, word);
	return ww_cli_usage_error(cmd, "option %.*s is unknown", n, word);
}

int ww_cli_std_fds(void)
{
	int rc = 0;
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* open() returns the lowest free descriptor: this one. */
		int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd)
			close(n);
		if (fd == 1)
			rc = -EBADF;
	}
	return rc;
}

int ww_cli_flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr, "wirewho: writing output failed: %s\n", strerror(errno ? errno : EIO));
	return 1;
}

int ww_cli_add_vxlan_port(const char *cmd, const char *arg, uint16_t *ports, unsigned *n)
{
	unsigned long v;
	if (ww_cli_parse_uint(arg, 1, 65535, &v) < 0)
		return ww_cli_usage_error(cmd, "--vxlan-port: \"%s\" is not a port from 1 to 65535", arg);
	if (*n >= WW_DECODE_MAX_VXLAN_PORTS)
		return ww_cli_usage_error(cmd, "--vxlan-port: at most %d ports", WW_DECODE_MAX_VXLAN_PORTS);
	ports[(*n)++] = (uint16_t)v;
	return 0;
}

int ww_cli_parse_timeouts(const char *arg, struct ww_flow_cfg *fc)
{
	static const struct { const char *name; enum ww_tmo_class c; } names[] = {
		{ "tcp", WW_TMO_TCP_EST }, { "tcp-new", WW_TMO_TCP_NEW },
		{ "closed", WW_TMO_CLOSED }, { "udp", WW_TMO_UDP }, { "other", WW_TMO_OTHER },
	};
	uint32_t set[WW_TMO_NCLASSES] = { 0 };
	char buf[256];

	/* Parsed whole before any is applied: a bad item changes nothing. */
	if (!arg || strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	char *save = NULL;
	int n = 0;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save), n++) {
		char *eq = strchr(item, '=');
		unsigned long v;
		size_t i;
		if (!eq || ww_cli_parse_uint(eq + 1, 1, WW_CLI_MAX_TIMEOUT_S, &v) < 0)
			return -EINVAL;
		*eq = '\0';
		for (i = 0; i < WW_ARRAY_SIZE(names) && strcmp(item, names[i].name) != 0; i++)
			;
		if (i == WW_ARRAY_SIZE(names))
			return -EINVAL;
		set[names[i].c] = (uint32_t)v;
	}
	if (n == 0 || arg[strlen(arg) - 1] == ',' || arg[0] == ',' || strstr(arg, ",,"))
		return -EINVAL;
	for (int c = 0; c < WW_TMO_NCLASSES; c++)
		if (set[c])
			fc->timeout_s[c] = set[c];
	return 0;
}

/* Parse a whole unsigned number in [lo, hi]; -EINVAL otherwise. */
int ww_cli_parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

void ww_cli_report_output_failure(const char *who, int rc)
{
	if (rc == -ENOMEM)
		fprintf(stderr, "%s: out of memory\n", who);
	else
		fprintf(stderr, "%s: writing output failed: %s\n", who, strerror(errno ? errno : EIO));
}

