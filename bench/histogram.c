/*
 * bench/histogram.c: see histogram.h. Index = (exponent << 7) + mantissa,
 * the layout of HdrHistogram with one sub-bucket range, so buckets grow
 * contiguously from the exact values 0..255.
 */
#include "histogram.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SUB (1 << BENCH_HISTOGRAM_SUB_BITS)

static int index_of(uint64_t v) {
  if (v < 2 * SUB)
    return (int)v;
  int shift = 63 - __builtin_clzll(v) - BENCH_HISTOGRAM_SUB_BITS;
  int i = shift * SUB + (int)(v >> shift);
  return i < BENCH_HISTOGRAM_BUCKETS ? i : BENCH_HISTOGRAM_BUCKETS - 1;
}

/* The middle of bucket |i|. */
static int64_t value_of(int i) {
  if (i < 2 * SUB)
    return i;
  int shift = i / SUB - 1;
  uint64_t mantissa = (uint64_t)(i - shift * SUB);
  return (int64_t)((mantissa << shift) + (1ull << shift) / 2);
}

void bench_histogram_init(bench_histogram *h) { memset(h, 0, sizeof(*h)); }

void bench_histogram_add(bench_histogram *h, int64_t ns) {
  if (ns < 0)
    ns = 0;
  h->counts[index_of((uint64_t)ns)]++;
  h->count++;
  h->sum += (double)ns;
  if (ns > h->max)
    h->max = ns;
}

int64_t bench_histogram_percentile(const bench_histogram *h, double q) {
  if (h->count == 0)
    return 0;
  uint64_t rank = (uint64_t)ceil(q * (double)h->count);
  if (rank < 1)
    rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < BENCH_HISTOGRAM_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      int64_t v = value_of(i);
      return v < h->max ? v : h->max;
    }
  }
  return h->max;
}

void bench_histogram_print_result(const bench_histogram *h, const char *extra,
                                  double secs, uint64_t errors) {
  if (secs <= 0)
    secs = 1e-9;
  printf("RESULT %s%ssecs=%.3f calls=%llu qps=%.1f p50_us=%.1f p90_us=%.1f "
         "p99_us=%.1f p999_us=%.1f mean_us=%.1f max_us=%.1f errors=%llu\n",
         extra, extra[0] != '\0' ? " " : "", secs,
         (unsigned long long)h->count, (double)h->count / secs,
         bench_histogram_percentile(h, 0.50) / 1e3,
         bench_histogram_percentile(h, 0.90) / 1e3,
         bench_histogram_percentile(h, 0.99) / 1e3,
         bench_histogram_percentile(h, 0.999) / 1e3,
         h->count ? h->sum / (double)h->count / 1e3 : 0.0, h->max / 1e3,
         (unsigned long long)errors);
  fflush(stdout);
}
