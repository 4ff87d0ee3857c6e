/* The vector vocabulary of kernels_simd.inc for AVX-512 F (+BW/VL at build time): 16 float lanes, k-masks. */
#ifndef STN_SIMD_AVX512_H
#define STN_SIMD_AVX512_H
#include <immintrin.h>
#include "simd_x86_q.h"

#define L 16
typedef __m512 VF;
typedef __m512i VI;
typedef __mmask16 VM;

#define v_set1(f) _mm512_set1_ps(f)
#define v_zero() _mm512_setzero_ps()
#define v_load(p) _mm512_loadu_ps(p)
/* the first n (0..16) floats at p, zeros in the other lanes; memory past them is not read */
#define v_load_first(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
/* stores the first n (0..16) lanes of v at p; memory past them is not written */
#define v_store_first(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define v_store(p, v) _mm512_storeu_ps((p), (v))
#define v_add(a, b) _mm512_add_ps((a), (b))
#define v_sub(a, b) _mm512_sub_ps((a), (b))
#define v_mul(a, b) _mm512_mul_ps((a), (b))
#define v_div(a, b) _mm512_div_ps((a), (b))
#define v_fmadd(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define v_floor(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
#define v_rint(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define v_max(a, b) _mm512_max_ps((a), (b)) /* NaN in a -> b */
#define v_min(a, b) _mm512_min_ps((a), (b))
#define v_abs(v) _mm512_abs_ps(v)
#define m_lt(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define m_le(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LE_OQ)
#define m_ge(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GE_OQ)
#define m_gt(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define m_neq(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_NEQ_UQ)
#define m_nan(a) _mm512_cmp_ps_mask((a), (a), _CMP_UNORD_Q)
#define m_and(a, b) ((VM)((a) & (b)))
#define m_or(a, b) ((VM)((a) | (b)))
#define m_andnot(a, b) ((VM)(~(a) & (b)))
#define v_select(m, a, b) _mm512_mask_blend_ps((m), (a), (b)) /* m ? b : a */
#define v_negate_where(v, m)                                                                                    \
    _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(v), (m), _mm512_castps_si512(v),             \
                                              _mm512_set1_epi32((int)0x80000000u)))
#define v_zero_where(v, m) _mm512_maskz_mov_ps((VM)~(m), (v))
#define v_cvt_i(v) _mm512_cvttps_epi32(v)
#define i_set1(i) _mm512_set1_epi32(i)
#define i_add(a, b) _mm512_add_epi32((a), (b))
#define i_mullo(a, b) _mm512_mullo_epi32((a), (b))
#define i_store(p, v) _mm512_storeu_si512((void *)(p), (v))
#define i_select(m, a, b) _mm512_mask_blend_epi32((m), (a), (b)) /* m ? b : a */
#define v_iota() _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define v_hsum(v) _mm512_reduce_add_ps(v)

/* a = x0 y0 .. x7 y7, b = x8 y8 .. x15 y15 -> x = x0..x15, y = y0..y15 */
STN_INLINE void v_unzip(VF a, VF b, VF *x, VF *y) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    *x = _mm512_permutex2var_ps(a, even, b);
    *y = _mm512_permutex2var_ps(a, odd, b);
}

#define v_deinterleave(p, x, y) v_unzip(_mm512_loadu_ps(p), _mm512_loadu_ps((p) + 16), (x), (y))

STN_INLINE void v_store_interleaved(float *p, VF x, VF y) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    _mm512_storeu_ps(p, _mm512_permutex2var_ps(x, lo, y));
    _mm512_storeu_ps(p + 16, _mm512_permutex2var_ps(x, hi, y));
}
/* Every lane of m set. */
#define m_all(m) ((m) == (VM)0xFFFF)
/* No lane of m set. */
#define m_none(m) ((m) == (VM)0)

/* Pair order (see simd_avx2.h): part 0 holds the pairs of points 0 1 4 5 8 9 12 13, part 1 of 2 3 6 7 10 11 14 15. */
STN_INLINE void v_zip(VF x, VF y, VF *a, VF *b) {
    *a = _mm512_unpacklo_ps(x, y);
    *b = _mm512_unpackhi_ps(x, y);
}

STN_INLINE VF v_load_pairs(const float *b, const int32_t *o, const int part) {
    __m128d q[4];
    o += 2 * part;
    for (int k = 0; k < 4; k++)
        q[k] = _mm_loadh_pd(_mm_castsi128_pd(_mm_loadl_epi64((const __m128i *)(const void *)(b + o[4 * k]))),
                            (const double *)(const void *)(b + o[4 * k + 1]));
    const __m256d lo = _mm256_insertf128_pd(_mm256_castpd128_pd256(q[0]), q[1], 1);
    const __m256d hi = _mm256_insertf128_pd(_mm256_castpd128_pd256(q[2]), q[3], 1);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(lo), hi, 1));
}

/* in-lane shuffles: each 128-bit lane j holds points 4j .. 4j + 3 */
STN_INLINE void v_unzip_pairs(VF a, VF b, VF *x, VF *y) {
    *x = _mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    *y = _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
}

STN_INLINE VF v_pair_sums(VF a, VF b) {
    VF x, y;
    v_unzip_pairs(a, b, &x, &y);
    return _mm512_add_ps(x, y);
}
#endif
