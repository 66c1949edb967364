// The per-instruction-set FMA bound of this CPU: each thread runs 12 independent chains of fused
// multiply-adds (enough to cover the FMA latency on two ports), AVX-512 where the CPU has it, then
// AVX2. Prints GFLOP/s (2 FLOP per lane per FMA). Built and run by bench/cpu_ceiling.sh.
//   cc -O2 -pthread bench/fma_peak.c -o fma_peak && ./fma_peak [threads]
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kChains = 12 };
static const long kIterations = 20000000L;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// The chains are written out (not an array) so that they stay in registers at any optimisation level.
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f"))) static void* chains512(void* out) {
    const __m512 b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
#define INIT512(i) __m512 a##i = _mm512_set1_ps((float)i);
#define STEP512(i) a##i = _mm512_fmadd_ps(a##i, b, c);
#define STORE512(i) acc[i] = a##i;
    CHAINS(INIT512)
    for (long n = 0; n < kIterations; ++n) {
        CHAINS(STEP512)
    }
    __m512 acc[kChains];
    CHAINS(STORE512)
    __m512 s = acc[0];
    for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
    *(float*)out = _mm512_reduce_add_ps(s);  // keeps the work observable
    return NULL;
}

__attribute__((target("avx2,fma"))) static void* chains256(void* out) {
    const __m256 b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
#define INIT256(i) __m256 a##i = _mm256_set1_ps((float)i);
#define STEP256(i) a##i = _mm256_fmadd_ps(a##i, b, c);
#define STORE256(i) acc[i] = a##i;
    CHAINS(INIT256)
    for (long n = 0; n < kIterations; ++n) {
        CHAINS(STEP256)
    }
    __m256 acc[kChains];
    CHAINS(STORE256)
    __m256 s = acc[0];
    for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    *(float*)out = lanes[0];
    return NULL;
}

static void measure(const char* isa, void* (*body)(void*), int lanes, int threads) {
    pthread_t t[64];
    float sink[64];
    const double start = now();
    for (int i = 0; i < threads; ++i) pthread_create(&t[i], NULL, body, &sink[i]);
    for (int i = 0; i < threads; ++i) pthread_join(t[i], NULL);
    const double flops = (double)threads * kIterations * kChains * lanes * 2;
    printf("FMA bound, %s, %d thread(s): %.1f GFLOP/s\n", isa, threads, flops / (now() - start) / 1e9);
}

int main(int argc, char** argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 64) threads = 1;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) measure("avx512", chains512, 16, threads);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) measure("avx2", chains256, 8, threads);
    return 0;
}
