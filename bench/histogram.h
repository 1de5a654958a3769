/*
 * bench/histogram.h: a log-linear latency histogram.
 *
 * Values (nanoseconds) fall into buckets of 128 linear steps per power of
 * two, so a reported percentile is within 0.8% of the true sample, the
 * same resolution as the kit's ref-cpp/common.h. Not thread-safe: each
 * histogram belongs to one thread (the loadgen records on crpc's client
 * I/O thread only).
 */
#ifndef BENCH_HISTOGRAM_H
#define BENCH_HISTOGRAM_H

#include <stdint.h>

#define BENCH_HISTOGRAM_SUB_BITS 7
#define BENCH_HISTOGRAM_BUCKETS (58 << BENCH_HISTOGRAM_SUB_BITS)

typedef struct {
  uint64_t counts[BENCH_HISTOGRAM_BUCKETS];
  uint64_t count;
  double sum;
  int64_t max;
} bench_histogram;

void bench_histogram_init(bench_histogram *h);
void bench_histogram_add(bench_histogram *h, int64_t ns);

/* The value (ns) of the ceil(q * count)-th smallest sample, q in [0, 1]. */
int64_t bench_histogram_percentile(const bench_histogram *h, double q);

/*
 * Prints the harness's contract line (shared/bench/README.md):
 * "RESULT ... qps=... p50_us=... p90_us=... p99_us=... p999_us=...
 * errors=N", with |extra| (may be "") after "RESULT ".
 */
void bench_histogram_print_result(const bench_histogram *h, const char *extra,
                                  double secs, uint64_t errors);

#endif /* BENCH_HISTOGRAM_H */
