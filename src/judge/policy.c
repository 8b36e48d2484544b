/*
 * policy.c - parse and match the policy file (format in policy.h).
 *
 * A rule is compiled into small arrays per key (globs, uid/name pairs, port
 * ranges, CIDRs) plus bit masks for the enumerated keys (proto, state, dir,
 * bind, remote scopes); an empty array or zero mask means "any". Matching
 * is a linear walk, first match wins: policies are tens of lines and a
 * socket audit matches a few hundred sockets, so order and readability beat
 * an index. The live monitor calls this once per new flow, not per packet.
 *
 * The parser reports the first error with FILE:LINE:COL (1-based, byte
 * columns) and fails the whole load: a half-loaded policy would silently
 * explain less or more than its author wrote.
 *
 * Learning (`sockets --learn`) is the inverse: a rule per socket that needs
 * review, as narrow as what makes the socket what it is - a listener by its
 * state and port, an accepted connection by its local port, an outbound one
 * by the remote port (peers change, CDNs rotate; the port says what) - and
 * always by its owner. Rules are kept as text, sorted and deduplicated when
 * written, so a thousand connections of one client become one line.
 */
#include "wirewho/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#include "wirewho/netscope.h"
#include "wirewho/procs.h"
#include "wirewho/socktab.h"

/* One decoded value: an exe path is at most PATH_MAX (4096) bytes, and
 * --learn escapes each glob character of it with a backslash. */
#define MAX_VALUE (2 * 4096 + 8)

struct range { uint16_t lo, hi; };
struct cidr { struct ww_addr a; uint8_t len; };   /* len over the 128-bit form */
struct user { int64_t uid; char *name; };          /* uid -1: match by name */

struct rule {
	enum ww_policy_action action;
	int line;
	char *text;
	char **comm; size_t n_comm;
	char **exe; size_t n_exe;
	char **apps; size_t n_apps;   /* app=: only ww_policy_match_app() asks these rules */
	char **parent; size_t n_parent;         /* parent=: exe glob with '/', else comm glob */
	char **container; size_t n_container;   /* container=: id or RUNTIME:ID glob */
	char **hosts; size_t n_hosts; /* host=: the flow's dst_name, "*." one wildcard label */
	struct user *users; size_t n_users;
	struct range *ports; size_t n_ports;
	struct range *rports; size_t n_rports;
	struct cidr *cidrs; size_t n_cidrs;
	uint32_t state_mask;     /* 1 << enum ww_sock_state */
	uint8_t proto_mask;      /* 1 tcp, 2 udp, 4 raw */
	uint8_t dir_mask;        /* 1 << enum ww_policy_dir */
	uint8_t bind_mask;       /* 1 << enum ww_bind_scope */
	uint8_t scope_mask;      /* 1 << enum ww_remote_scope */
	bool has_remote;         /* remote= given (cidrs or scopes) */
};

struct ww_policy {
	char *file;
	struct ww_netscope_home home;   /* home_net lines; n == 0 none */
	struct rule *rules;
	size_t n, cap;
};

/* ---- parser state ---- */

struct parser {
	const char *name;
	const char *s, *end;     /* the current line */
	const char *line_start;
	int line;
	char *err;
	size_t errsz;
};

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errsz, "%s:%d:%d: %s", ps->name, ps->line,
		 (int)(at - ps->line_start) + 1, msg);
	return -EINVAL;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void skip_space(struct parser *ps)
{
	while (ps->s < ps->end && is_space(*ps->s))
		ps->s++;
}

static bool at_end(struct parser *ps)
{
	return ps->s >= ps->end || *ps->s == '#';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/*
 * One list item: a bare word (up to whitespace, ',' or '#') or a quoted
 * string. Decoded into out (NUL-terminated). `*at` is where it started,
 * `*quoted` whether it was quoted. Only a quoted value may be empty (`""`:
 * the empty name of a process that has none, as --learn writes it).
 */
static int parse_item(struct parser *ps, char *out, size_t outsz, size_t *outlen,
		      const char **at, bool *quoted)
{
	size_t n = 0;
	*at = ps->s;
	*quoted = ps->s < ps->end && *ps->s == '"';
	if (*quoted) {
		ps->s++;
		for (;;) {
			if (ps->s >= ps->end)
				return fail(ps, *at, "unterminated quoted value");
			char c = *ps->s++;
			if (c == '"')
				break;
			if (c == '\\') {
				if (ps->s >= ps->end)
					return fail(ps, ps->s, "unterminated escape");
				char e = *ps->s++;
				if (e == 'x') {
					int h = ps->s + 1 < ps->end ? hexval(ps->s[0]) : -1;
					int l = h >= 0 ? hexval(ps->s[1]) : -1;
					if (l < 0)
						return fail(ps, ps->s - 2, "\\x needs two hex digits");
					c = (char)(h * 16 + l);
					ps->s += 2;
				} else if (e == '"' || e == '\\') {
					c = e;
				} else {
					return fail(ps, ps->s - 2, "unknown escape \\%c", e);
				}
			}
			if (c == '\0')
				return fail(ps, *at, "a value cannot contain a NUL byte");
			if (n + 1 >= outsz)
				return fail(ps, *at, "value too long");
			out[n++] = c;
		}
	} else {
		while (ps->s < ps->end && !is_space(*ps->s) && *ps->s != ',' && *ps->s != '#') {
			if (*ps->s == '"')
				return fail(ps, ps->s, "a quote inside a bare value; quote the whole value");
			if (n + 1 >= outsz)
				return fail(ps, *at, "value too long");
			out[n++] = *ps->s++;
		}
	}
	if (n == 0 && !*quoted)
		return fail(ps, *at, "empty value");
	out[n] = '\0';
	*outlen = n;
	return 0;
}

static int push_str(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

#define PUSH(arr, cnt, val) do {                                          \
		void *np_ = realloc((arr), ((cnt) + 1) * sizeof(*(arr)));  \
		if (!np_)                                                  \
			return -ENOMEM;                                    \
		(arr) = np_;                                               \
		(arr)[(cnt)++] = (val);                                    \
	} while (0)

static bool parse_u16(const char *s, uint16_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int parse_range(struct parser *ps, const char *v, const char *at, struct range *r)
{
	char buf[16];
	const char *dash = strchr(v, '-');
	if (!dash) {
		if (!parse_u16(v, &r->lo))
			return fail(ps, at, "'%s' is not a port (0-65535)", v);
		r->hi = r->lo;
		return 0;
	}
	size_t l = (size_t)(dash - v);
	if (l == 0 || l >= sizeof(buf))
		return fail(ps, at, "'%s' is not a port range N-M", v);
	memcpy(buf, v, l);
	buf[l] = '\0';
	if (!parse_u16(buf, &r->lo) || !parse_u16(dash + 1, &r->hi))
		return fail(ps, at, "'%s' is not a port range N-M", v);
	if (r->lo > r->hi)
		return fail(ps, at, "port range %s is reversed", v);
	return 0;
}

static int parse_cidr(struct parser *ps, const char *v, const char *at, struct cidr *c)
{
	char buf[64];
	const char *slash = strchr(v, '/');
	size_t l = slash ? (size_t)(slash - v) : strlen(v);
	if (l >= sizeof(buf))
		return fail(ps, at, "'%s' is not an address", v);
	memcpy(buf, v, l);
	buf[l] = '\0';
	uint8_t v4[4];
	unsigned max, base;
	if (inet_pton(AF_INET, buf, v4) == 1) {
		ww_addr_from_v4(&c->a, v4);
		max = 32;
		base = 96;
	} else if (inet_pton(AF_INET6, buf, c->a.b) == 1) {
		max = 128;
		base = 0;
	} else {
		return fail(ps, at, "'%s' is not an IPv4/IPv6 address or CIDR", v);
	}
	unsigned long len = max;
	if (slash) {
		char *end;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || len > max)
			return fail(ps, at, "bad prefix length in '%s' (0-%u)", v, max);
	}
	c->len = (uint8_t)(base + len);
	return 0;
}

static int scope_word(const char *v)
{
	static const enum ww_remote_scope all[] = { WW_REMOTE_NONE, WW_REMOTE_LOOPBACK,
		WW_REMOTE_PRIVATE, WW_REMOTE_LINK_LOCAL, WW_REMOTE_INTERNET };
	for (size_t i = 0; i < WW_ARRAY_SIZE(all); i++)
		if (strcasecmp(v, ww_netscope_remote_name(all[i])) == 0)
			return (int)all[i];
	return -1;
}

/* key=value[,value...] into rule r. */
static int parse_pair(struct parser *ps, struct rule *r)
{
	const char *kat = ps->s;
	while (ps->s < ps->end && *ps->s != '=' && !is_space(*ps->s) && *ps->s != '#')
		ps->s++;
	size_t kl = (size_t)(ps->s - kat);
	if (ps->s >= ps->end || *ps->s != '=')
		return fail(ps, kat, "expected KEY=VALUE, got '%.*s'", (int)kl, kat);
	ps->s++;
	char key[16];
	if (kl == 0 || kl >= sizeof(key))
		return fail(ps, kat, "unknown key '%.*s'", (int)kl, kat);
	memcpy(key, kat, kl);
	key[kl] = '\0';

	char val[MAX_VALUE];
	for (;;) {
		size_t vl = 0;
		const char *at;
		bool quoted;
		int rc = parse_item(ps, val, sizeof(val), &vl, &at, &quoted);
		if (rc)
			return rc;
		if (!strcmp(key, "comm")) {
			if (push_str(&r->comm, &r->n_comm, val))
				return -ENOMEM;
		} else if (!strcmp(key, "parent")) {
			if (push_str(&r->parent, &r->n_parent, val))
				return -ENOMEM;
		} else if (!strcmp(key, "container")) {
			if (push_str(&r->container, &r->n_container, val))
				return -ENOMEM;
		} else if (!strcmp(key, "app")) {
			if (push_str(&r->apps, &r->n_apps, val))
				return -ENOMEM;
		} else if (!strcmp(key, "host")) {
			const char *star = strchr(val, '*');
			if (!vl || (star && (star != val || val[1] != '.' || !val[2] || strchr(val + 1, '*'))))
				return fail(ps, at, "host '%s': a name, or '*.' and a name (one wildcard label, first)",
					    val);
			if (push_str(&r->hosts, &r->n_hosts, val))
				return -ENOMEM;
		} else if (!strcmp(key, "exe")) {
			if (push_str(&r->exe, &r->n_exe, val))
				return -ENOMEM;
		} else if (!strcmp(key, "user") || !strcmp(key, "uid")) {
			struct user u = { -1, NULL };
			char *end;
			unsigned long x = strtoul(val, &end, 10);
			/* a bare number is a uid; a quoted one is a user called so */
			if (!quoted && val[0] >= '0' && val[0] <= '9' && !*end && x <= UINT32_MAX)
				u.uid = (int64_t)x;
			else if (!strcmp(key, "uid"))
				return fail(ps, at, "'%s' is not a uid", val);
			else if (!(u.name = strdup(val)))
				return -ENOMEM;
			PUSH(r->users, r->n_users, u);
		} else if (!strcmp(key, "proto")) {
			if (!strcasecmp(val, "tcp")) r->proto_mask |= 1;
			else if (!strcasecmp(val, "udp")) r->proto_mask |= 2;
			else if (!strcasecmp(val, "raw")) r->proto_mask |= 4;
			else if (!strcasecmp(val, "any")) r->proto_mask |= 7;
			else return fail(ps, at, "unknown protocol '%s' (tcp, udp, raw, any)", val);
		} else if (!strcmp(key, "port") || !strcmp(key, "rport")) {
			struct range g;
			if ((rc = parse_range(ps, val, at, &g)))
				return rc;
			if (key[0] == 'p')
				PUSH(r->ports, r->n_ports, g);
			else
				PUSH(r->rports, r->n_rports, g);
		} else if (!strcmp(key, "state")) {
			int st = ww_sock_state_parse(val, vl);
			if (st < 0)
				return fail(ps, at, "unknown state '%s'", val);
			r->state_mask |= 1u << st;
		} else if (!strcmp(key, "remote")) {
			int sc = scope_word(val);
			r->has_remote = true;
			if (sc >= 0) {
				r->scope_mask |= (uint8_t)(1u << sc);
			} else {
				struct cidr c;
				if ((rc = parse_cidr(ps, val, at, &c)))
					return rc;
				PUSH(r->cidrs, r->n_cidrs, c);
			}
		} else if (!strcmp(key, "dir")) {
			if (!strcasecmp(val, "in")) r->dir_mask |= 1u << WW_DIR_IN;
			else if (!strcasecmp(val, "out")) r->dir_mask |= 1u << WW_DIR_OUT;
			else return fail(ps, at, "dir must be in or out, not '%s'", val);
		} else if (!strcmp(key, "bind")) {
			if (!strcasecmp(val, "any")) r->bind_mask |= 1u << WW_BIND_ANY;
			else if (!strcasecmp(val, "interface")) r->bind_mask |= 1u << WW_BIND_INTERFACE;
			else if (!strcasecmp(val, "loopback")) r->bind_mask |= 1u << WW_BIND_LOOPBACK;
			else return fail(ps, at, "bind must be any, interface or loopback, not '%s'", val);
		} else {
			return fail(ps, kat, "unknown key '%s'", key);
		}
		if (ps->s < ps->end && *ps->s == ',') {
			ps->s++;
			continue;
		}
		break;
	}
	if (ps->s < ps->end && !is_space(*ps->s) && *ps->s != '#')
		return fail(ps, ps->s, "unexpected '%c' after value", *ps->s);
	return 0;
}

static void rule_free(struct rule *r)
{
	for (size_t i = 0; i < r->n_comm; i++)
		free(r->comm[i]);
	for (size_t i = 0; i < r->n_exe; i++)
		free(r->exe[i]);
	for (size_t i = 0; i < r->n_apps; i++)
		free(r->apps[i]);
	free(r->apps);
	for (size_t i = 0; i < r->n_parent; i++)
		free(r->parent[i]);
	free(r->parent);
	for (size_t i = 0; i < r->n_container; i++)
		free(r->container[i]);
	free(r->container);
	for (size_t i = 0; i < r->n_hosts; i++)
		free(r->hosts[i]);
	free(r->hosts);
	for (size_t i = 0; i < r->n_users; i++)
		free(r->users[i].name);
	free(r->comm);
	free(r->exe);
	free(r->users);
	free(r->ports);
	free(r->rports);
	free(r->cidrs);
	free(r->text);
}

void ww_policy_free(struct ww_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	free(p->file);
	free(p);
}

static int parse_line(struct parser *ps, struct ww_policy *p)
{
	skip_space(ps);
	if (at_end(ps))
		return 0;
	const char *aat = ps->s;
	while (ps->s < ps->end && !is_space(*ps->s) && *ps->s != '#')
		ps->s++;
	size_t al = (size_t)(ps->s - aat);
	struct rule r;
	memset(&r, 0, sizeof(r));
	if (al == 8 && !memcmp(aat, "home_net", 8)) {
		/* home_net CIDR[,CIDR...]: the site's own networks (netscope.h) */
		char list[1024];
		size_t n = 0;
		skip_space(ps);
		const char *vat = ps->s;
		while (!at_end(ps)) {
			if (!is_space(*ps->s)) {
				if (n + 1 >= sizeof(list))
					return fail(ps, vat, "home_net list too long");
				list[n++] = *ps->s;
			}
			ps->s++;
		}
		char why[160];
		if (n == 0)
			return fail(ps, vat, "home_net needs CIDR[,CIDR...]");
		if (ww_netscope_home_parse(list, n, &p->home, why, sizeof(why)) < 0)
			return fail(ps, vat, "%s", why);
		return 0;
	}
	if (al == 5 && !memcmp(aat, "allow", 5))
		r.action = WW_POLICY_ALLOW;
	else if (al == 6 && !memcmp(aat, "ignore", 6))
		r.action = WW_POLICY_IGNORE;
	else if (al == 6 && !memcmp(aat, "review", 6))
		r.action = WW_POLICY_REVIEW;
	else
		return fail(ps, aat, "expected allow, ignore, review or home_net, got '%.*s'", (int)al, aat);
	r.line = ps->line;
	int rc = 0;
	for (;;) {
		skip_space(ps);
		if (at_end(ps))
			break;
		if ((rc = parse_pair(ps, &r)))
			goto err;
	}
	const char *te = ps->s;   /* the rule text without comment and trailing space */
	while (te > aat && is_space(te[-1]))
		te--;
	if (!(r.text = strndup(aat, (size_t)(te - aat)))) {
		rc = -ENOMEM;
		goto err;
	}
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		struct rule *nr = realloc(p->rules, nc * sizeof(*nr));
		if (!nr) {
			rc = -ENOMEM;
			goto err;
		}
		p->rules = nr;
		p->cap = nc;
	}
	p->rules[p->n++] = r;
	return 0;
err:
	rule_free(&r);
	if (rc == -ENOMEM)
		snprintf(ps->err, ps->errsz, "%s: out of memory", ps->name);
	return rc;
}

int ww_policy_parse(const char *text, size_t len, const char *name, struct ww_policy **out,
		    char *err, size_t errsz)
{
	struct ww_policy *p = calloc(1, sizeof(*p));
	if (!p || !(p->file = strdup(name))) {
		free(p);
		snprintf(err, errsz, "%s: out of memory", name);
		return -ENOMEM;
	}
	struct parser ps = { .name = name, .err = err, .errsz = errsz };
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		ps.line++;
		ps.s = ps.line_start = s;
		ps.end = le;
		if (memchr(s, '\0', (size_t)(le - s))) {
			const char *z = memchr(s, '\0', (size_t)(le - s));
			int rc = fail(&ps, z, "NUL byte in the policy file");
			ww_policy_free(p);
			return rc;
		}
		int rc = parse_line(&ps, p);
		if (rc) {
			ww_policy_free(p);
			return rc;
		}
		s = nl ? nl + 1 : end;
	}
	*out = p;
	return 0;
}

/*
 * Bounds of a policy file, checked while reading so /dev/zero or a runaway
 * generator is refused at once instead of read into memory: a policy is
 * tens of lines, a line holds a few values of at most MAX_VALUE bytes.
 */
#define POLICY_MAX_BYTES (16u << 20)   /* no real policy comes near 16 MiB */
#define POLICY_MAX_LINE  (64u << 10)   /* longest line: 16 values of MAX_VALUE */
#define POLICY_CHUNK     65536

int ww_policy_load(const char *path, struct ww_policy **out, char *err, size_t errsz)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	if (!f) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > (off_t)POLICY_MAX_BYTES) {
		fclose(f);
		snprintf(err, errsz, "%s: %lld bytes, larger than a policy can be (%u MiB at most)", path,
			 (long long)st.st_size, POLICY_MAX_BYTES >> 20);
		return -EFBIG;
	}
	size_t cap = 0, len = 0, col = 0;
	int line = 1, rc = 0;
	char *buf = NULL;
	for (;;) {
		if (cap - len < POLICY_CHUNK) {
			size_t nc = cap ? cap * 2 : POLICY_CHUNK;
			char *nb = realloc(buf, nc + 1);
			if (!nb) {
				snprintf(err, errsz, "%s: out of memory", path);
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = nc;
		}
		size_t got = fread(buf + len, 1, POLICY_CHUNK, f);
		if (got == 0) {
			if (ferror(f)) {
				int e = errno ? errno : EIO;
				snprintf(err, errsz, "%s: %s", path, strerror(e));
				rc = -e;
			}
			break;
		}
		/* each new byte: a NUL or an endless line is refused here, as it comes */
		for (size_t i = len; i < len + got; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 0;
			} else if (buf[i] == '\0') {
				snprintf(err, errsz, "%s:%d:%zu: NUL byte in the policy file", path, line, col + 1);
				rc = -EINVAL;
				break;
			} else if (++col > POLICY_MAX_LINE) {
				snprintf(err, errsz, "%s:%d: line longer than %u bytes", path, line, POLICY_MAX_LINE);
				rc = -EINVAL;
				break;
			}
		}
		len += got;
		if (!rc && len > POLICY_MAX_BYTES) {
			snprintf(err, errsz, "%s: larger than a policy can be (%u MiB at most)", path,
				 POLICY_MAX_BYTES >> 20);
			rc = -EFBIG;
		}
		if (rc)
			break;
	}
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	rc = ww_policy_parse(buf ? buf : "", len, path, out, err, errsz);
	free(buf);
	if (rc == 0)   /* its home_net lines (none: the registries), unless --home-net was given */
		ww_netscope_set_home(&(*out)->home, false);
	return rc;
}

size_t ww_policy_count(const struct ww_policy *p)
{
	return p ? p->n : 0;
}

/* ---- matching ---- */

static bool in_ranges(const struct range *r, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool cidr_match(const struct cidr *c, const struct ww_addr *a)
{
	unsigned full = c->len / 8, rest = c->len % 8;
	if (memcmp(c->a.b, a->b, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (c->a.b[full] & m) == (a->b[full] & m);
}

static bool globs_match(char *const *g, size_t n, const char *s, int flags)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(g[i], s, flags) == 0)
			return true;
	return false;
}

static unsigned proto_bit(uint8_t proto)
{
	return proto == WW_IPPROTO_TCP ? 1 : proto == WW_IPPROTO_UDP ? 2 : 4;
}

/* The connection states: a flow is a connection in one of them. */
#define ACTIVE_STATES ((1u << WW_SS_ESTABLISHED) | (1u << WW_SS_SYN_SENT) | (1u << WW_SS_SYN_RECV) | \
		       (1u << WW_SS_FIN_WAIT1) | (1u << WW_SS_FIN_WAIT2) | (1u << WW_SS_TIME_WAIT) | \
		       (1u << WW_SS_CLOSE_WAIT) | (1u << WW_SS_LAST_ACK) | (1u << WW_SS_CLOSING) | \
		       (1u << WW_SS_NEW_SYN_RECV))

/* Does a rule's state= (mask) explain flow q? policy.h, ww_policy_query.flow. */
static bool flow_state_match(uint32_t mask, const struct ww_policy_query *q)
{
	if (mask & ACTIVE_STATES)
		return true;
	if ((mask & (1u << WW_SS_LISTEN)) && q->proto == WW_IPPROTO_TCP && q->dir == WW_DIR_IN)
		return true;
	return (mask & (1u << WW_SS_CLOSE)) && q->proto != WW_IPPROTO_TCP;
}

/* parent=: a glob with a '/' names the parent's program, one without its comm. */
static bool parent_match(const struct rule *r, const struct ww_owner *o)
{
	if (!o || o->ppid <= 0)
		return false;
	for (size_t i = 0; i < r->n_parent; i++) {
		const char *g = r->parent[i];
		bool path = strchr(g, '/') != NULL;
		const char *v = path ? o->parent_exe : o->parent_comm;
		if (v && fnmatch(g, v, path ? FNM_PATHNAME : 0) == 0)
			return true;
	}
	return false;
}

/* container=: the id, or RUNTIME:ID. */
static bool container_match(const struct rule *r, const struct ww_owner *o)
{
	if (!o || !o->container)
		return false;
	char label[WW_CONTAINER_RUNTIME_MAX + WW_CONTAINER_ID_MAX + 1];
	snprintf(label, sizeof(label), "%s:%s", o->container->runtime, o->container->id);
	for (size_t i = 0; i < r->n_container; i++)
		if (fnmatch(r->container[i], o->container->id, 0) == 0 ||
		    fnmatch(r->container[i], label, 0) == 0)
			return true;
	return false;
}

/*
 * host= against a name (h, n bytes: it may hold NULs, which never match):
 * case-insensitive; "*.example.com" matches one more label of any
 * non-empty text without a dot ("a.example.com", not "example.com" nor
 * "a.b.example.com"), as a certificate's wildcard matches (RFC 6125 §6.4.3).
 */
static bool host_match(const char *pat, const char *h, size_t n)
{
	if (pat[0] == '*') {
		const char *rest = pat + 1;   /* ".example.com" */
		size_t rl = strlen(rest);
		if (n <= rl || strncasecmp(h + n - rl, rest, rl) != 0)
			return false;
		return !memchr(h, '.', n - rl) && !memchr(h, '\0', n - rl);
	}
	return strlen(pat) == n && strncasecmp(pat, h, n) == 0;
}

static bool rule_match(const struct rule *r, const struct ww_policy_query *q)
{
	if (r->n_hosts) {
		bool ok = false;
		for (size_t i = 0; !ok && q->host && i < r->n_hosts; i++)
			ok = host_match(r->hosts[i], q->host, q->host_len);
		if (!ok)
			return false;
	}
	if (r->n_apps) {
		bool ok = false;
		for (size_t i = 0; !ok && q->app && i < r->n_apps; i++)
			ok = strcasecmp(r->apps[i], q->app) == 0;
		if (!ok)
			return false;
	}
	if (r->proto_mask && !(r->proto_mask & proto_bit(q->proto)))
		return false;
	if (r->n_ports && !in_ranges(r->ports, r->n_ports, q->local_port))
		return false;
	if (r->state_mask) {
		/* a request socket is shown (and learned) as SYN_RECV */
		int st = q->state == WW_SS_NEW_SYN_RECV ? WW_SS_SYN_RECV : q->state;
		if (!(q->flow ? flow_state_match(r->state_mask, q)
			      : st >= 0 && st < 32 && (r->state_mask & (1u << st))))
			return false;
	}
	if (r->dir_mask && (q->dir == WW_DIR_UNKNOWN || !(r->dir_mask & (1u << q->dir))))
		return false;
	if (r->bind_mask && (q->bind_scope < 0 || !(r->bind_mask & (1u << q->bind_scope))))
		return false;
	if (r->n_rports && (!q->remote || !in_ranges(r->rports, r->n_rports, q->remote_port)))
		return false;
	if (r->has_remote) {
		enum ww_remote_scope sc = q->remote ? ww_netscope_remote(q->remote) : WW_REMOTE_NONE;
		bool ok = (r->scope_mask & (1u << sc)) != 0;
		for (size_t i = 0; !ok && q->remote && i < r->n_cidrs; i++)
			ok = sc != WW_REMOTE_NONE && cidr_match(&r->cidrs[i], q->remote);
		if (!ok)
			return false;
	}
	if (r->n_comm && (!q->comm || !globs_match(r->comm, r->n_comm, q->comm, 0)))
		return false;
	if (r->n_exe && (!q->exe || !globs_match(r->exe, r->n_exe, q->exe, FNM_PATHNAME)))
		return false;
	if (r->n_parent && !parent_match(r, q->owner))
		return false;
	if (r->n_container && !container_match(r, q->owner))
		return false;
	if (r->n_users) {
		bool ok = false;
		for (size_t i = 0; !ok && i < r->n_users; i++) {
			const struct user *u = &r->users[i];
			ok = u->name ? (q->user && !strcmp(u->name, q->user))
				     : (q->uid >= 0 && q->uid == u->uid);
		}
		if (!ok)
			return false;
	}
	return true;
}

bool ww_policy_match(const struct ww_policy *p, const struct ww_policy_query *q,
		     struct ww_policy_verdict *v)
{
	if (!p)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->rules[i].n_apps && rule_match(&p->rules[i], q)) {
			v->action = p->rules[i].action;
			v->line = p->rules[i].line;
			v->text = p->rules[i].text;
			v->file = p->file;
			return true;
		}
	}
	return false;
}

bool ww_policy_match_app(const struct ww_policy *p, const struct ww_policy_query *q,
			 struct ww_policy_verdict *v)
{
	if (!p || !q->app)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		if (p->rules[i].n_apps && rule_match(&p->rules[i], q)) {
			v->action = p->rules[i].action;
			v->line = p->rules[i].line;
			v->text = p->rules[i].text;
			v->file = p->file;
			return true;
		}
	}
	return false;
}

/* ---- writing rules (--learn) ---- */

struct sbuf { char *b; size_t n, cap; bool over; };

static void sb_putc(struct sbuf *s, char c)
{
	if (s->n + 1 < s->cap)
		s->b[s->n++] = c;
	else
		s->over = true;
}

static void sb_puts(struct sbuf *s, const char *str)
{
	while (*str)
		sb_putc(s, *str++);
}

/*
 * A value, glob-escaped when `glob`, quoted when it would not parse bare:
 * empty, with a special character, or (`digits_quoted`, a user name) all
 * digits, which bare would be read as a uid. A value too long to parse
 * back marks the buffer over, so no rule is learned from it.
 */
static void sb_value(struct sbuf *s, const char *v, bool glob, bool digits_quoted)
{
	char tmp[MAX_VALUE];
	size_t n = 0;
	for (const char *p = v; *p; p++) {
		if (n + 3 >= sizeof(tmp)) {
			s->over = true;
			return;
		}
		if (glob && strchr("*?[\\", *p))
			tmp[n++] = '\\';
		tmp[n++] = *p;
	}
	tmp[n] = '\0';
	bool quote = n == 0, digits = n > 0;
	for (size_t i = 0; i < n; i++)
		digits &= tmp[i] >= '0' && tmp[i] <= '9';
	quote |= digits && digits_quoted;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tmp[i];
		if (c <= ' ' || c >= 0x7f || c == ',' || c == '#' || c == '"' || c == '\\')
			quote = true;
	}
	if (!quote) {
		sb_puts(s, tmp);
		return;
	}
	sb_putc(s, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tmp[i];
		if (c == '"' || c == '\\') {
			sb_putc(s, '\\');
			sb_putc(s, (char)c);
		} else if (c < ' ' || c == 0x7f) {
			char hx[5];
			snprintf(hx, sizeof(hx), "\\x%02x", c);
			sb_puts(s, hx);
		} else {
			sb_putc(s, (char)c);
		}
	}
	sb_putc(s, '"');
}

/* "allow", "ignore", "review". Can't fail. */
static const char *action_name(enum ww_policy_action a)
{
	switch (a) {
	case WW_POLICY_ALLOW: return "allow";
	case WW_POLICY_IGNORE: return "ignore";
	case WW_POLICY_REVIEW: return "review";
	}
	return "allow";
}

int ww_policy_format_rule(char *buf, size_t bufsz, enum ww_policy_action a,
			  const struct ww_policy_query *q, unsigned fields)
{
	struct sbuf s = { buf, 0, bufsz, bufsz == 0 };
	char num[64];
	sb_puts(&s, action_name(a));
	if ((fields & WW_PF_EXE) && q->exe) {
		sb_puts(&s, " exe=");
		sb_value(&s, q->exe, true, false);
	} else if ((fields & (WW_PF_COMM | WW_PF_EXE)) && q->comm) {
		/* exe unknown (kernel thread, no permission): fall back to comm */
		sb_puts(&s, " comm=");
		sb_value(&s, q->comm, true, false);
	}
	if ((fields & WW_PF_EXE) && (fields & WW_PF_COMM) && q->exe && q->comm) {
		sb_puts(&s, " comm=");
		sb_value(&s, q->comm, true, false);
	}
	if (fields & WW_PF_USER) {
		if (q->user) {
			sb_puts(&s, " user=");
			sb_value(&s, q->user, false, true);
		} else if (q->uid >= 0) {
			snprintf(num, sizeof(num), " uid=%lld", (long long)q->uid);
			sb_puts(&s, num);
		}
	}
	if (fields & WW_PF_PROTO) {
		sb_puts(&s, " proto=");
		sb_puts(&s, ww_sock_proto_name(q->proto));
	}
	if ((fields & WW_PF_STATE) && q->state > 0 && q->state < WW_SS_NSTATES) {   /* a known state */
		sb_puts(&s, " state=");
		sb_puts(&s, ww_sock_state_name(q->proto, (uint8_t)q->state));
	}
	if (fields & WW_PF_PORT) {
		snprintf(num, sizeof(num), " port=%u", q->local_port);
		sb_puts(&s, num);
	}
	if ((fields & WW_PF_BIND) && q->bind_scope >= 0) {
		sb_puts(&s, " bind=");
		sb_puts(&s, ww_netscope_bind_name((enum ww_bind_scope)q->bind_scope));
	}
	if ((fields & WW_PF_DIR) && q->dir != WW_DIR_UNKNOWN)
		sb_puts(&s, q->dir == WW_DIR_IN ? " dir=in" : " dir=out");
	if ((fields & WW_PF_REMOTE) && q->remote) {
		char as[WW_ADDRSTRLEN];
		bool v4 = ww_addr_is_v4(q->remote);
		sb_puts(&s, " remote=");
		sb_puts(&s, ww_addr_str(q->remote, v4 ? 4 : 6, as));
	}
	if ((fields & WW_PF_RPORT) && q->remote) {
		snprintf(num, sizeof(num), " rport=%u", q->remote_port);
		sb_puts(&s, num);
	}
	if ((fields & WW_PF_HOST) && q->host && q->host_len && q->host_len < 256) {
		/* the exact name; one with a NUL or a '*' could not be read back as itself */
		char h[256];
		memcpy(h, q->host, q->host_len);
		h[q->host_len] = '\0';
		if (strlen(h) == q->host_len && !strchr(h, '*')) {
			sb_puts(&s, " host=");
			sb_value(&s, h, false, false);
		}
	}
	if (s.over)
		return -ENOSPC;
	buf[s.n] = '\0';
	return (int)s.n;
}

void ww_policy_indicator_list(char *buf, size_t bufsz, uint32_t ind)
{
	size_t o = 0;
	if (!bufsz)
		return;
	buf[0] = '\0';
	for (unsigned b = 0; b < 32 && o < bufsz; b++) {
		if (!(ind & (1u << b)))
			continue;
		const char *n = ww_procs_indicator_name(1u << b);
		int w = n ? snprintf(buf + o, bufsz - o, "%s%s", o ? ", " : "", n)
			  : snprintf(buf + o, bufsz - o, "%s0x%x", o ? ", " : "", 1u << b);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* --- learning ------------------------------------------------------------------ */

/* Longest learned rule: an escaped exe path with every byte \xHH-quoted
 * fits; a longer one (absurd paths) is left out. Below the loader's line
 * bound (POLICY_MAX_LINE), so what is learned loads. */
#define LEARN_LINE (48u << 10)

struct ww_policy_learn {
	char **lines;
	size_t n, cap;
};

struct ww_policy_learn *ww_policy_learn_new(void)
{
	return calloc(1, sizeof(struct ww_policy_learn));
}

void ww_policy_learn_free(struct ww_policy_learn *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->lines[i]);
	free(l->lines);
	free(l);
}

int ww_policy_learn_add(struct ww_policy_learn *l, const struct ww_policy_query *q,
			enum ww_policy_learn_why why)
{
	unsigned f = WW_PF_EXE | WW_PF_COMM | WW_PF_USER | WW_PF_PROTO;
	enum ww_policy_action act = WW_POLICY_ALLOW;
	char *buf;
	int rc = 0;

	if (why == WW_POLICY_LEARN_REVIEWED) {
		return 0;                 /* the analyst's own review rule stays in charge */
	} else if (why == WW_POLICY_LEARN_ANOMALY) {
		act = WW_POLICY_IGNORE;   /* an allow rule would not hide an anomaly */
		f |= WW_PF_STATE | WW_PF_PORT | WW_PF_REMOTE | WW_PF_RPORT;
	} else if (q->proto == WW_SOCK_PROTO_RAW) {
		f |= WW_PF_PORT;
	} else if ((q->proto == WW_IPPROTO_TCP && q->state == WW_SS_LISTEN) ||
		   (q->proto == WW_IPPROTO_UDP && q->state == WW_SS_CLOSE)) {
		f |= WW_PF_STATE | WW_PF_PORT;
	} else if (q->dir == WW_DIR_IN) {
		f |= WW_PF_DIR | WW_PF_PORT;
	} else {
		f |= WW_PF_DIR | WW_PF_RPORT | WW_PF_HOST;   /* peers change (CDNs); the port and the
								* name, where seen, say what */
	}
	if (!(buf = malloc(LEARN_LINE)))
		return -ENOMEM;
	int len = ww_policy_format_rule(buf, LEARN_LINE, act, q, f);
	if (len < 0)
		goto out;
	if (q->indicators) {
		/* a process that looks like it masquerades is for a person to judge:
		 * the rule is there to uncomment, not in force */
		char names[160], tail[256];
		ww_policy_indicator_list(names, sizeof(names), q->indicators);
		int tn = snprintf(tail, sizeof(tail), "   # not learned: the process shows masquerading "
				  "indicators (%s); review it first", names);
		if (tn < 0 || (size_t)len + 2 + (size_t)tn >= LEARN_LINE)
			goto out;
		memmove(buf + 2, buf, (size_t)len);
		buf[0] = '#';
		buf[1] = ' ';
		memcpy(buf + 2 + len, tail, (size_t)tn + 1);
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **nl = realloc(l->lines, cap * sizeof(*nl));
		if (!nl) {
			rc = -ENOMEM;
			goto out;
		}
		l->lines = nl;
		l->cap = cap;
	}
	if (!(l->lines[l->n] = strdup(buf))) {
		rc = -ENOMEM;
		goto out;
	}
	l->n++;
out:
	free(buf);
	return rc;
}

/*
 * ignore rules first: each is one anomalous socket's exact endpoints, and
 * written after the allow rules the owner's listener rule would match that
 * socket first - and an allow rule does not hide an anomaly. Then by text.
 */
static int cmp_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	bool ix = strncmp(x, "ignore ", 7) == 0, iy = strncmp(y, "ignore ", 7) == 0;
	if (ix != iy)
		return ix ? -1 : 1;
	return strcmp(x, y);
}

int ww_policy_learn_write(struct ww_policy_learn *l, FILE *out, ww_time_t now, size_t n_socks)
{
	char ts[WW_TIMESTRLEN];

	if (l->n)   /* qsort(NULL, 0, ...) is undefined */
		qsort(l->lines, l->n, sizeof(*l->lines), cmp_str);
	fprintf(out, "# wirewho policy learned %s from %zu sockets.\n"
		"# Each line explains sockets present at that time; review before keeping.\n"
		"# Format: README.md, section 'wirewho sockets'. First matching line wins.\n",
		ww_time_str(now, ts), n_socks);
	for (size_t i = 0; i < l->n; i++) {
		if (i == 0 || strcmp(l->lines[i], l->lines[i - 1]) != 0)
			fprintf(out, "%s\n", l->lines[i]);
	}
	return ferror(out) ? -EIO : 0;
}

