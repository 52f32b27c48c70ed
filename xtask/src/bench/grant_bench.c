/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The C side of `cargo xtask bench --only grant`: libxengntshr shares 16
 * pages of dom0 with dom0, then libxengnttab maps + touches + unmaps them
 * (mode map) or grant-copies them into a local buffer (mode copy) in a loop
 * for SECONDS, printing
 * GRBENCH impl=c mode=map|copy ops=N secs=S ops_per_s=R */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <xengnttab.h>
#include <xen/grant_table.h>

#define PAGES 16
#define PAGE 4096
#define BATCH 16

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t refs[PAGES];
static uint8_t buf[PAGES * PAGE];

static int cycle(xengnttab_handle *xgt, int map)
{
    if (map) {
        volatile uint8_t *p = xengnttab_map_domain_grant_refs(
            xgt, PAGES, 0, refs, PROT_READ | PROT_WRITE);
        if (!p)
            return -1;
        for (int i = 0; i < PAGES; i++)
            p[i * PAGE] = (uint8_t)i;
        return xengnttab_unmap(xgt, (void *)p, PAGES);
    }
    xengnttab_grant_copy_segment_t segs[PAGES];
    memset(segs, 0, sizeof(segs));
    for (int i = 0; i < PAGES; i++) {
        segs[i].source.foreign.ref = refs[i];
        segs[i].source.foreign.domid = 0;
        segs[i].dest.virt = buf + i * PAGE;
        segs[i].len = PAGE;
        segs[i].flags = GNTCOPY_source_gref;
    }
    if (xengnttab_grant_copy(xgt, PAGES, segs))
        return -1;
    for (int i = 0; i < PAGES; i++)
        if (segs[i].status != GNTST_okay)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: grant_bench_c map|copy SECONDS\n");
        return 2;
    }
    int map = strcmp(argv[1], "map") == 0;
    double secs = atof(argv[2]);
    xengntshr_handle *xgs = xengntshr_open(NULL, 0);
    xengnttab_handle *xgt = xengnttab_open(NULL, 0);
    if (!xgs || !xgt) {
        perror("grant_bench_c: open");
        return 1;
    }
    void *shared = xengntshr_share_pages(xgs, 0, PAGES, refs, 1);
    if (!shared) {
        perror("grant_bench_c: share");
        return 1;
    }
    for (int i = 0; i < BATCH; i++)
        if (cycle(xgt, map)) {
            perror("grant_bench_c: cycle");
            return 1;
        }
    double t0 = now(), el;
    unsigned long ops = 0;
    while ((el = now() - t0) < secs) {
        for (int i = 0; i < BATCH; i++)
            if (cycle(xgt, map)) {
                perror("grant_bench_c: cycle");
                return 1;
            }
        ops += BATCH;
    }
    el = now() - t0;
    printf("GRBENCH impl=c mode=%s ops=%lu secs=%.3f ops_per_s=%.1f\n", argv[1], ops, el,
           ops / el);
    xengntshr_unshare(xgs, shared, PAGES);
    xengnttab_close(xgt);
    xengntshr_close(xgs);
    return 0;
}
