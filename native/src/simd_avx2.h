/* The vector vocabulary of kernels_simd.inc for AVX2 + FMA: 8 float lanes, masks as all-ones float lanes. */
#ifndef STN_SIMD_AVX2_H
#define STN_SIMD_AVX2_H
#include <immintrin.h>
#include "simd_x86_q.h"

#define L 8
typedef __m256 VF;
typedef __m256i VI;
typedef __m256 VM;

#define v_set1(f) _mm256_set1_ps(f)
#define v_zero() _mm256_setzero_ps()
#define v_load(p) _mm256_loadu_ps(p)
/* the first n (0..8) floats at p, zeros in the other lanes; memory past them is not read */
#define v_load_first(p, n)                                                                                      \
    _mm256_maskload_ps((p), _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)))
/* stores the first n (0..8) lanes of v at p; memory past them is not written */
#define v_store_first(p, v, n)                                                                                  \
    _mm256_maskstore_ps((p), _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), \
                        (v))
#define v_store(p, v) _mm256_storeu_ps((p), (v))
#define v_add(a, b) _mm256_add_ps((a), (b))
#define v_sub(a, b) _mm256_sub_ps((a), (b))
#define v_mul(a, b) _mm256_mul_ps((a), (b))
#define v_div(a, b) _mm256_div_ps((a), (b))
#define v_fmadd(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define v_floor(v) _mm256_floor_ps(v)
#define v_rint(v) _mm256_round_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define v_max(a, b) _mm256_max_ps((a), (b)) /* NaN in a -> b */
#define v_min(a, b) _mm256_min_ps((a), (b))
#define v_abs(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (v))
#define m_lt(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define m_le(a, b) _mm256_cmp_ps((a), (b), _CMP_LE_OQ)
#define m_ge(a, b) _mm256_cmp_ps((a), (b), _CMP_GE_OQ)
#define m_gt(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define m_neq(a, b) _mm256_cmp_ps((a), (b), _CMP_NEQ_UQ)
#define m_nan(a) _mm256_cmp_ps((a), (a), _CMP_UNORD_Q)
#define m_and(a, b) _mm256_and_ps((a), (b))
#define m_or(a, b) _mm256_or_ps((a), (b))
#define m_andnot(a, b) _mm256_andnot_ps((a), (b)) /* ~a & b */
#define v_select(m, a, b) _mm256_blendv_ps((a), (b), (m)) /* m ? b : a */
#define v_negate_where(v, m) _mm256_xor_ps((v), _mm256_and_ps((m), _mm256_set1_ps(-0.0f)))
#define v_zero_where(v, m) _mm256_andnot_ps((m), (v))
#define v_cvt_i(v) _mm256_cvttps_epi32(v)
#define i_set1(i) _mm256_set1_epi32(i)
#define i_add(a, b) _mm256_add_epi32((a), (b))
#define i_mullo(a, b) _mm256_mullo_epi32((a), (b))
#define i_store(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
#define i_select(m, a, b) _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), (m)))
#define v_iota() _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7)

STN_INLINE float v_hsum(VF v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* a = x0 y0 .. x3 y3, b = x4 y4 .. x7 y7 -> x = x0..x7, y = y0..y7 */
STN_INLINE void v_unzip(VF a, VF b, VF *x, VF *y) {
    const VF t0 = _mm256_permute2f128_ps(a, b, 0x20); /* x0 y0 x1 y1 | x4 y4 x5 y5 */
    const VF t1 = _mm256_permute2f128_ps(a, b, 0x31); /* x2 y2 x3 y3 | x6 y6 x7 y7 */
    *x = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
    *y = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
}

/* p = x0 y0 x1 y1 ... x7 y7 -> x = x0..x7, y = y0..y7 */
#define v_deinterleave(p, x, y) v_unzip(_mm256_loadu_ps(p), _mm256_loadu_ps((p) + 8), (x), (y))

STN_INLINE void v_store_interleaved(float *p, VF x, VF y) {
    const VF lo = _mm256_unpacklo_ps(x, y); /* x0 y0 x1 y1 | x4 y4 x5 y5 */
    const VF hi = _mm256_unpackhi_ps(x, y); /* x2 y2 x3 y3 | x6 y6 x7 y7 */
    _mm256_storeu_ps(p, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}

/* Every lane of m set. */
#define m_all(m) (_mm256_movemask_ps(m) == 0xFF)
/* No lane of m set. */
#define m_none(m) (_mm256_movemask_ps(m) == 0)

/* "Pair order" of bilinear's row taps: a vector of L / 2 pixel pairs holds the pairs of half the L points, part 0 the
 * points k with (k & 2) == 0 and part 1 the others, each in increasing k (AVX2: 0 1 4 5 and 2 3 6 7). It is the
 * order of the in-lane unpack instructions, so zipping weights and summing or unzipping pairs need no lane-crossing
 * shuffle. */

/* part 0 = (x0 y0 x1 y1 | x4 y4 x5 y5), part 1 = (x2 y2 x3 y3 | x6 y6 x7 y7) */
STN_INLINE void v_zip(VF x, VF y, VF *a, VF *b) {
    *a = _mm256_unpacklo_ps(x, y);
    *b = _mm256_unpackhi_ps(x, y);
}

/* The pixel pairs (b[o[k]], b[o[k] + 1]) of part's points, in pair order: 64-bit loads, no gather. */
STN_INLINE VF v_load_pairs(const float *b, const int32_t *o, const int part) {
    o += 2 * part;
    const __m128d lo = _mm_loadh_pd(_mm_castsi128_pd(_mm_loadl_epi64((const __m128i *)(const void *)(b + o[0]))),
                                    (const double *)(const void *)(b + o[1]));
    const __m128d hi = _mm_loadh_pd(_mm_castsi128_pd(_mm_loadl_epi64((const __m128i *)(const void *)(b + o[4]))),
                                    (const double *)(const void *)(b + o[5]));
    return _mm256_castpd_ps(_mm256_insertf128_pd(_mm256_castpd128_pd256(lo), hi, 1));
}

/* Parts in pair order -> the sums x_k + y_k of points 0 .. L - 1, in order */
#define v_pair_sums(a, b) _mm256_hadd_ps((a), (b))

/* Parts in pair order -> x = x0 .. x7, y = y0 .. y7 */
STN_INLINE void v_unzip_pairs(VF a, VF b, VF *x, VF *y) {
    *x = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    *y = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
}
#endif
