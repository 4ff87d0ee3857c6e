/* The 4-lane "Q" vocabulary of kernels_simd.inc on x86 (SSE/AVX encodings of 128-bit registers), shared by the AVX2
 * and AVX-512 files: one pixel row's taps in one register. Bilinear reads a row's two taps (x0, x0 + 1) with one
 * 64-bit load, bicubic a row's four taps (x0 - 1 .. x0 + 2) with one 128-bit load, instead of 2 or 4 scalar loads. */
#ifndef STN_SIMD_X86_Q_H
#define STN_SIMD_X86_Q_H
#include <immintrin.h>

typedef __m128 QF;
#define q_load4(p) _mm_loadu_ps(p)
/* two floats into lanes 0, 1 (lanes 2, 3 zero); movq is an unaligned load of exactly 8 bytes */
#define q_load2(p) _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)(p)))
#define q_store4(p, v) _mm_storeu_ps((p), (v))
/* lanes 0, 1 to two floats (8 bytes, unaligned) */
#define q_store2(p, v) _mm_storel_epi64((__m128i *)(void *)(p), _mm_castps_si128(v))
#define q_set(a, b, c, d) _mm_setr_ps((a), (b), (c), (d))
#define q_set1(f) _mm_set1_ps(f)
#define q_add(a, b) _mm_add_ps((a), (b))
#define q_mul(a, b) _mm_mul_ps((a), (b))
#define q_fmadd(a, b, c) _mm_fmadd_ps((a), (b), (c))
/* lane 0 + lane 1 (the other lanes are ignored) */
STN_INLINE float q_sum2(QF v) { return _mm_cvtss_f32(_mm_add_ss(v, _mm_movehdup_ps(v))); }
/* (lane 0 + lane 2) + (lane 1 + lane 3) */
STN_INLINE float q_sum4(QF v) {
    const QF s = _mm_add_ps(v, _mm_movehl_ps(v, v));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
/* rows a, b, c, d of a 4 x 4 block become its columns */
STN_INLINE void q_transpose4(QF *a, QF *b, QF *c, QF *d) {
    __m128 r0 = *a, r1 = *b, r2 = *c, r3 = *d;
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    *a = r0, *b = r1, *c = r2, *d = r3;
}
#endif
