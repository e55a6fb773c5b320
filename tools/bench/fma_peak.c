/* Measures one core's fp32 FMA peak: 12 independent chains of 512-bit (or,
   without AVX-512, 256-bit) fused multiply-adds, enough to cover the FMA
   latency on two pipes. Prints GFLOP/s (2 flops per lane per FMA). */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SUM _mm512_reduce_add_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float SUM(__m256 v) {
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  float s = 0;
  for (int i = 0; i < 8; ++i)
    s += lanes[i];
  return s;
}
#endif

int main(void) {
  const long iterations = 200000000L / 12;
  double best = 0;
  float sink = 0;
  for (int trial = 0; trial < 5; ++trial) {
    vec a = SET1(1.0000001f), b = SET1(0.9999999f);
    vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4),
        c5 = SET1(5), c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9),
        c10 = SET1(10), c11 = SET1(11);
    double start = now();
    for (long i = 0; i < iterations; ++i) {
      c0 = FMA(a, c0, b); c1 = FMA(a, c1, b); c2 = FMA(a, c2, b);
      c3 = FMA(a, c3, b); c4 = FMA(a, c4, b); c5 = FMA(a, c5, b);
      c6 = FMA(a, c6, b); c7 = FMA(a, c7, b); c8 = FMA(a, c8, b);
      c9 = FMA(a, c9, b); c10 = FMA(a, c10, b); c11 = FMA(a, c11, b);
    }
    double seconds = now() - start;
    vec all = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));
    all = ADD(all, ADD(ADD(c8, c9), ADD(c10, c11)));
    sink += SUM(all);
    double gflops = 12.0 * iterations * LANES * 2 / seconds / 1e9;
    if (gflops > best)
      best = gflops;
  }
  printf("fma_peak_gflops: %.1f\n", best);
  printf("vector_lanes: %d\n", LANES);
  return sink == 12345.0f; /* keeps the chains alive */
}
