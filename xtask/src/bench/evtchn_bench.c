/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The libxenevtchn side of `cargo xtask bench --only evtchn`, run inside
 * dom0 (gcc -O2, Debian's libxenevtchn1).
 *
 *   evtchn_bench_c pingpong SECONDS
 *     Two processes (fork), one channel between them: the parent notifies,
 *     the child answers each event; round trips per second, after a
 *     warm-up. Prints `EVBENCH impl=c mode=pingpong trips=N secs=S
 *     trips_per_s=R`.
 *
 *   evtchn_bench_c flood PORTS SECONDS
 *     One process, PORTS channels to itself: every round notifies all of
 *     them, then receives the PORTS events the way libxenevtchn offers
 *     (xenevtchn_pending: one port per read; xenevtchn_unmask: one per
 *     write). Counts the receiving side's system calls. Prints `EVBENCH
 *     impl=c mode=flood ports=P events=E syscalls=C`.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenevtchn.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Reads and unmasks whatever is pending (a freshly bound port starts so). */
static void drain(xenevtchn_handle *xce)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };

	while (poll(&pfd, 1, 50) > 0) {
		xenevtchn_port_or_error_t p = xenevtchn_pending(xce);

		if (p < 0)
			die("xenevtchn_pending");
		xenevtchn_unmask(xce, p);
	}
}

/* One received event on `port`, re-armed. */
static void receive(xenevtchn_handle *xce, evtchn_port_t port)
{
	xenevtchn_port_or_error_t p = xenevtchn_pending(xce);

	if (p < 0)
		die("xenevtchn_pending");
	if ((evtchn_port_t)p != port) {
		fprintf(stderr, "event on %d, expected %u\n", p, port);
		exit(1);
	}
	if (xenevtchn_unmask(xce, p) < 0)
		die("xenevtchn_unmask");
}

static int pingpong(double secs)
{
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
	int ready[2];

	if (!xce)
		die("xenevtchn_open");
	xenevtchn_port_or_error_t a = xenevtchn_bind_unbound_port(xce, 0);

	if (a < 0)
		die("bind_unbound_port");
	if (pipe(ready) < 0)
		die("pipe");
	pid_t child = fork();

	if (child < 0)
		die("fork");
	if (child == 0) {
		/* The inherited handle stays the parent's: open our own. */
		xenevtchn_handle *own = xenevtchn_open(NULL, 0);

		if (!own)
			die("child xenevtchn_open");
		xenevtchn_port_or_error_t b = xenevtchn_bind_interdomain(own, 0, a);

		if (b < 0)
			die("bind_interdomain");
		drain(own);
		if (write(ready[1], "r", 1) != 1)
			die("write");
		for (;;) {
			receive(own, b);
			if (xenevtchn_notify(own, b) < 0)
				die("child notify");
		}
	}
	char c;

	if (read(ready[0], &c, 1) != 1)
		die("read");
	drain(xce);

	double warm = now() + 0.2;

	while (now() < warm) {
		xenevtchn_notify(xce, a);
		receive(xce, a);
	}
	unsigned long trips = 0;
	double t0 = now(), t;

	do {
		for (int i = 0; i < BATCH; i++) {
			if (xenevtchn_notify(xce, a) < 0)
				die("notify");
			receive(xce, a);
		}
		trips += BATCH;
		t = now() - t0;
	} while (t < secs);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("EVBENCH impl=c mode=pingpong trips=%lu secs=%.3f trips_per_s=%.1f\n",
	       trips, t, trips / t);
	xenevtchn_close(xce);
	return 0;
}

static int flood(int ports, double secs)
{
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
	evtchn_port_t *a = calloc(ports, sizeof(*a));

	if (!xce || !a)
		die("setup");
	for (int i = 0; i < ports; i++) {
		xenevtchn_port_or_error_t u = xenevtchn_bind_unbound_port(xce, 0);

		if (u < 0)
			die("bind_unbound_port");
		xenevtchn_port_or_error_t b = xenevtchn_bind_interdomain(xce, 0, u);

		if (b < 0)
			die("bind_interdomain");
		a[i] = u;
	}
	drain(xce);

	unsigned long events = 0, syscalls = 0;
	double t0 = now();

	while (now() - t0 < secs) {
		for (int i = 0; i < ports; i++)
			if (xenevtchn_notify(xce, a[i]) < 0)
				die("notify");
		for (int got = 0; got < ports; got++) {
			xenevtchn_port_or_error_t p = xenevtchn_pending(xce);

			if (p < 0)
				die("xenevtchn_pending");
			if (xenevtchn_unmask(xce, p) < 0)
				die("xenevtchn_unmask");
			syscalls += 2;
			events++;
		}
	}
	printf("EVBENCH impl=c mode=flood ports=%d events=%lu syscalls=%lu\n",
	       ports, events, syscalls);
	xenevtchn_close(xce);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "pingpong"))
		return pingpong(atof(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "usage: %s pingpong SECONDS | flood PORTS SECONDS\n", argv[0]);
	return 2;
}
