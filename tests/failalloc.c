/*
 * failalloc.c - an LD_PRELOAD shim that makes one allocation fail, or every
 * one from some point on, for tests/oom_e2e.py (#17.2: out of memory is
 * exit 1, with a message, everywhere - never a crash, never a silent 0).
 *
 * It replaces malloc, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign and valloc, and counts their calls in the whole
 * process (every thread; glibc's own internal allocations, strdup's and
 * fopen's, count too, since glibc calls the interposed malloc). With
 * WW_FAILALLOC_NTH=N the Nth call returns NULL (errno ENOMEM) and the rest
 * succeed; with WW_FAILALLOC_FROM=N the Nth and every later one fail (the
 * persistent shortage, where error paths must not need memory). Without
 * either it only counts. The real allocator is glibc's, through its
 * __libc_* entry points (dlsym would itself call calloc).
 *
 * WW_FAILALLOC_LOG=PATH: when the shim fails a call it writes "failed N"
 * there, and at exit "calls N": the test knows whether its failure fired
 * and how many allocations a run makes. Written with open/write, which do
 * not allocate; never to stderr, which is the program's.
 *
 * Not for sanitizer builds: ASan must be the first allocator.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t nth, from, calls;
static const char *logpath;
static int ready;

static void log_line(const char *what, uint64_t n)
{
	if (!logpath)
		return;
	char buf[64];
	int len = snprintf(buf, sizeof(buf), "%s %llu\n", what, (unsigned long long)n);   /* no allocation */
	int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, buf, (size_t)len) < 0) {
			/* nothing to do: the test then sees no line */
		}
		close(fd);
	}
}

static void at_exit(void)
{
	log_line("calls", __atomic_load_n(&calls, __ATOMIC_RELAXED));
}

__attribute__((constructor)) static void init(void)
{
	const char *e;
	if ((e = getenv("WW_FAILALLOC_NTH")) != NULL)
		nth = strtoull(e, NULL, 10);
	if ((e = getenv("WW_FAILALLOC_FROM")) != NULL)
		from = strtoull(e, NULL, 10);
	logpath = getenv("WW_FAILALLOC_LOG");
	/* Counting starts here: what the dynamic loader and libc did before
	 * main's libraries were set up is nobody's to handle. */
	__atomic_store_n(&calls, 0, __ATOMIC_RELAXED);
	ready = 1;
	atexit(at_exit);
}

/* Should this call fail? */
static int fail_now(void)
{
	if (!ready)
		return 0;
	uint64_t n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if ((nth && n == nth) || (from && n >= from)) {
		if (n == nth || n == from)
			log_line("failed", n);
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	return fail_now() ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (p && n == 0)
		return __libc_realloc(p, n);   /* a free, not an allocation */
	return fail_now() ? NULL : __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t a, size_t b)
{
	size_t n;
	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n);
}

void *memalign(size_t al, size_t n)
{
	return fail_now() ? NULL : __libc_memalign(al, n);
}

void *aligned_alloc(size_t al, size_t n)
{
	return memalign(al, n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
	if (fail_now())
		return ENOMEM;
	void *p = __libc_memalign(al, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}
