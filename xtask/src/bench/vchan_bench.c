/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The C side of `cargo xtask bench --only vchan`: a libxenvchan client in
 * dom0 that connects to the vchan domU's stream server (DOMID, PATH),
 * reads MIB MiB with reads of at most BUF bytes, checks the first byte of
 * every read against the stream's pattern (byte k of the stream is
 * k % 251), closes, and prints
 * VCBENCH impl=c bytes=N secs=S mib_per_s=R rx_notifies=K
 * where K is how many events dom0 took on the channel's port: the
 * interrupts of its `evtchn:<our name>` line in /proc/interrupts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libxenvchan.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The sum of the per-CPU counts on the /proc/interrupts lines that name
 * `evtchn:<comm>` (Linux's evtchn device names each bound port so). */
static unsigned long long interrupts(const char *comm)
{
    char want[64], line[1024];
    unsigned long long total = 0;
    snprintf(want, sizeof(want), "evtchn:%s", comm);
    FILE *f = fopen("/proc/interrupts", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        if (!strstr(line, want))
            continue;
        char *p = strchr(line, ':');
        if (!p)
            continue;
        p++;
        for (;;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p)
                break;
            total += v;
            p = end;
        }
    }
    fclose(f);
    return total;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: vchan_bench_c DOMID PATH MIB BUF\n");
        return 2;
    }
    int domid = atoi(argv[1]);
    const char *path = argv[2];
    unsigned long long want = strtoull(argv[3], NULL, 10) << 20;
    size_t bufsize = strtoul(argv[4], NULL, 10);
    uint8_t *buf = malloc(bufsize);
    if (!buf || bufsize == 0)
        return 2;
    struct libxenvchan *ctrl = NULL;
    for (int i = 0; i < 200 && !ctrl; i++) {
        ctrl = libxenvchan_client_init(NULL, domid, path);
        if (!ctrl)
            usleep(50000);
    }
    if (!ctrl) {
        perror("vchan_bench_c: libxenvchan_client_init");
        return 1;
    }
    ctrl->blocking = 1;
    unsigned long long rx0 = interrupts("vchan_bench_c");
    unsigned long long got = 0;
    double t0 = now();
    while (got < want) {
        size_t n = bufsize;
        if (want - got < n)
            n = want - got;
        int r = libxenvchan_read(ctrl, buf, n);
        if (r <= 0) {
            fprintf(stderr, "vchan_bench_c: read: %d after %llu bytes\n", r, got);
            return 1;
        }
        if (buf[0] != (uint8_t)(got % 251)) {
            fprintf(stderr, "vchan_bench_c: byte %llu is %u\n", got, buf[0]);
            return 1;
        }
        got += r;
    }
    double el = now() - t0;
    unsigned long long rx = interrupts("vchan_bench_c") - rx0;
    libxenvchan_close(ctrl);
    printf("VCBENCH impl=c bytes=%llu secs=%.3f mib_per_s=%.2f rx_notifies=%llu\n", got, el,
           got / el / 1048576.0, rx);
    return 0;
}
