/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The libxenstore side of `cargo xtask bench --only xenstore`, run inside
 * dom0: alternating xs_write / xs_read of one 16-byte value at /bench/k,
 * one request at a time, for about SECONDS seconds (after a warm-up).
 *
 *   xenstore_bench_c [--sched-batch] SECONDS
 *
 * prints `XSBENCH impl=c mode=seq sched=other|batch ops=N secs=S
 * ops_per_s=R` (sched: the policy the process runs under, as the kernel
 * reports it) and, first, which transport xs_open(0) would pick
 * (`XSBENCH-TRANSPORT default=...`). The measurement itself uses
 * XS_OPEN_SOCKETONLY: the same Unix socket the Rust side uses.
 *
 * --sched-batch first switches the process to SCHED_BATCH (no wakeup
 * preemption), as `xs_bench --sched-batch` does, and fails if refused.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#define KEY "/bench/k"
#define BATCH 64

static const char value[16] = "0123456789abcdef";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the file descriptors of a fresh xs_open(0) handle point at. */
static void report_default_transport(void)
{
	struct xs_handle *h = xs_open(0);
	DIR *d;
	struct dirent *e;
	const char *kind = "unknown";

	if (!h) {
		printf("XSBENCH-TRANSPORT default=none\n");
		return;
	}
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d))) {
		char link[300], target[256];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strncmp(target, "socket:", 7))
			kind = "socket";
		else if (strstr(target, "xenbus"))
			kind = "xenbus";
	}
	if (d)
		closedir(d);
	printf("XSBENCH-TRANSPORT default=%s\n", kind);
	xs_close(h);
}

/* The scheduling policy of this process, as the kernel reports it. */
static const char *sched_policy(void)
{
	static char other[32];
	int p = sched_getscheduler(0);

	if (p == SCHED_OTHER)
		return "other";
	if (p == SCHED_BATCH)
		return "batch";
	snprintf(other, sizeof(other), "policy%d", p);
	return other;
}

/* One write or read; returns 0 on success. */
static int op(struct xs_handle *h, unsigned long i)
{
	if (i % 2 == 0)
		return xs_write(h, XBT_NULL, KEY, value, sizeof(value)) ? 0 : -1;
	unsigned int len = 0;
	char *got = xs_read(h, XBT_NULL, KEY, &len);
	int bad = !got || len != sizeof(value);

	free(got);
	return bad ? -1 : 0;
}

/* This process's voluntary context switches so far (each is a block). */
static unsigned long voluntary_switches(void)
{
	char line[256];
	unsigned long n = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long csw0;
	struct xs_handle *h;
	unsigned long ops = 0, i;
	double secs, t0, t;

	if (argc > 1 && !strcmp(argv[1], "--sched-batch")) {
		struct sched_param param = { .sched_priority = 0 };

		if (sched_setscheduler(0, SCHED_BATCH, &param)) {
			perror("sched_setscheduler(SCHED_BATCH)");
			return 1;
		}
		argc--;
		argv++;
	}
	secs = argc > 1 ? atof(argv[1]) : 1.0;
	report_default_transport();
	h = xs_open(XS_OPEN_SOCKETONLY);
	if (!h) {
		perror("xs_open");
		return 1;
	}
	for (i = 0; i < 256; i++) {
		if (op(h, i)) {
			perror("warm-up");
			return 1;
		}
	}
	csw0 = voluntary_switches();
	t0 = now();
	do {
		for (i = 0; i < BATCH; i++, ops++) {
			if (op(h, ops)) {
				perror("xenstore op");
				return 1;
			}
		}
		t = now() - t0;
	} while (t < secs);
	printf("XSBENCH impl=c mode=seq sched=%s ops=%lu secs=%.6f ops_per_s=%.1f "
	       "blocks_per_op=%.2f\n",
	       sched_policy(), ops, t, ops / t,
	       (double)(voluntary_switches() - csw0) / (double)ops);
	xs_close(h);
	return 0;
}
