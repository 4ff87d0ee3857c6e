/* The vector vocabulary of kernels_simd.inc for AArch64 Advanced SIMD (NEON): 4 float lanes, masks as all-ones
 * uint32 lanes. NEON is part of the AArch64 baseline, so this needs no special compiler flags.
 *
 * NOTE: x86 semantics are reproduced where the kernels rely on them: v_max / v_min return b when a is NaN (maxps /
 * minps; NEON's fmax would return NaN), comparisons are ordered (false with NaN) except m_neq, and v_cvt_i truncates.
 * No gather is needed: the kernels read pixels with scalar or row loads through precomputed taps. */
#ifndef STN_SIMD_NEON_H
#define STN_SIMD_NEON_H
#include <arm_neon.h>

#define L 4
typedef float32x4_t VF;
typedef int32x4_t VI;
typedef uint32x4_t VM;

#define v_set1(f) vdupq_n_f32(f)
#define v_zero() vdupq_n_f32(0.0f)
#define v_load(p) vld1q_f32(p)
/* the first n (0..4) floats at p, zeros in the other lanes; memory past them is not read */
STN_INLINE float32x4_t v_load_first(const float *p, int64_t n) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t i = 0; i < n; i++) t[i] = p[i];
    return vld1q_f32(t);
}
/* stores the first n (0..4) lanes of v at p; memory past them is not written */
STN_INLINE void v_store_first(float *p, float32x4_t v, int64_t n) {
    float t[4];
    vst1q_f32(t, v);
    for (int64_t i = 0; i < n; i++) p[i] = t[i];
}
#define v_store(p, v) vst1q_f32((p), (v))
#define v_add(a, b) vaddq_f32((a), (b))
#define v_sub(a, b) vsubq_f32((a), (b))
#define v_mul(a, b) vmulq_f32((a), (b))
#define v_div(a, b) vdivq_f32((a), (b))
#define v_fmadd(a, b, c) vfmaq_f32((c), (a), (b)) /* a * b + c, fused */
#define v_floor(v) vrndmq_f32(v)
#define v_rint(v) vrndnq_f32(v) /* to nearest, ties to even */
STN_INLINE VF v_max(VF a, VF b) { return vbslq_f32(vcgtq_f32(a, b), a, b); } /* NaN in a -> b, as maxps */
STN_INLINE VF v_min(VF a, VF b) { return vbslq_f32(vcltq_f32(a, b), a, b); } /* NaN in a -> b, as minps */
#define v_abs(v) vabsq_f32(v)
#define m_lt(a, b) vcltq_f32((a), (b))
#define m_le(a, b) vcleq_f32((a), (b))
#define m_ge(a, b) vcgeq_f32((a), (b))
#define m_gt(a, b) vcgtq_f32((a), (b))
#define m_neq(a, b) vmvnq_u32(vceqq_f32((a), (b))) /* unordered: true with NaN */
#define m_nan(a) vmvnq_u32(vceqq_f32((a), (a)))
#define m_and(a, b) vandq_u32((a), (b))
#define m_or(a, b) vorrq_u32((a), (b))
#define m_andnot(a, b) vbicq_u32((b), (a)) /* ~a & b */
#define v_select(m, a, b) vbslq_f32((m), (b), (a)) /* m ? b : a */
#define v_negate_where(v, m)                                                                                        \
    vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(v), vandq_u32((m), vdupq_n_u32(0x80000000u))))
#define v_zero_where(v, m) vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(v), (m)))
#define v_cvt_i(v) vcvtq_s32_f32(v) /* truncates, as cvttps2dq */
#define i_set1(i) vdupq_n_s32(i)
#define i_add(a, b) vaddq_s32((a), (b))
#define i_mullo(a, b) vmulq_s32((a), (b))
#define i_store(p, v) vst1q_s32((int32_t *)(p), (v))
#define i_select(m, a, b) vbslq_s32((m), (b), (a)) /* m ? b : a */
STN_INLINE VF v_iota(void) {
    static const float iota[4] = {0, 1, 2, 3};
    return vld1q_f32(iota);
}
#define v_hsum(v) vaddvq_f32(v)

/* a = x0 y0 x1 y1, b = x2 y2 x3 y3 -> x = x0..x3, y = y0..y3 */
STN_INLINE void v_unzip(VF a, VF b, VF *x, VF *y) {
    *x = vuzp1q_f32(a, b);
    *y = vuzp2q_f32(a, b);
}

/* p = x0 y0 x1 y1 x2 y2 x3 y3 -> x = x0..x3, y = y0..y3 */
STN_INLINE void v_deinterleave(const float *p, VF *x, VF *y) {
    const float32x4x2_t t = vld2q_f32(p);
    *x = t.val[0];
    *y = t.val[1];
}

STN_INLINE void v_store_interleaved(float *p, VF x, VF y) {
    float32x4x2_t t;
    t.val[0] = x;
    t.val[1] = y;
    vst2q_f32(p, t);
}

/* Every lane of m set. */
#define m_all(m) (vminvq_u32(m) != 0)
/* No lane of m set. */
#define m_none(m) (vmaxvq_u32(m) == 0)

/* Pair order (see simd_avx2.h): part 0 holds the pairs of points 0 1, part 1 of 2 3. */
STN_INLINE void v_zip(VF x, VF y, VF *a, VF *b) {
    *a = vzip1q_f32(x, y);
    *b = vzip2q_f32(x, y);
}

STN_INLINE VF v_load_pairs(const float *b, const int32_t *o, const int part) {
    o += 2 * part;
    return vcombine_f32(vld1_f32(b + o[0]), vld1_f32(b + o[1]));
}

#define v_pair_sums(a, b) vpaddq_f32((a), (b))
#define v_unzip_pairs(a, b, x, y) v_unzip((a), (b), (x), (y))

/* The 4-lane "Q" vocabulary (see simd_x86_q.h): on NEON it is the same register as VF. */
typedef float32x4_t QF;
#define q_load4(p) vld1q_f32(p)
#define q_load2(p) vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f))
#define q_store4(p, v) vst1q_f32((p), (v))
#define q_store2(p, v) vst1_f32((p), vget_low_f32(v))
STN_INLINE QF q_set(float a, float b, float c, float d) {
    const float v[4] = {a, b, c, d};
    return vld1q_f32(v);
}
#define q_set1(f) vdupq_n_f32(f)
#define q_add(a, b) vaddq_f32((a), (b))
#define q_mul(a, b) vmulq_f32((a), (b))
#define q_fmadd(a, b, c) vfmaq_f32((c), (a), (b))
STN_INLINE float q_sum2(QF v) { return vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 1); }
STN_INLINE float q_sum4(QF v) {
    return (vgetq_lane_f32(v, 0) + vgetq_lane_f32(v, 2)) + (vgetq_lane_f32(v, 1) + vgetq_lane_f32(v, 3));
}
/* rows a, b, c, d of a 4 x 4 block become its columns */
STN_INLINE void q_transpose4(QF *a, QF *b, QF *c, QF *d) {
    const float32x4x2_t ab = vtrnq_f32(*a, *b), cd = vtrnq_f32(*c, *d);
    *a = vcombine_f32(vget_low_f32(ab.val[0]), vget_low_f32(cd.val[0]));
    *b = vcombine_f32(vget_low_f32(ab.val[1]), vget_low_f32(cd.val[1]));
    *c = vcombine_f32(vget_high_f32(ab.val[0]), vget_high_f32(cd.val[0]));
    *d = vcombine_f32(vget_high_f32(ab.val[1]), vget_high_f32(cd.val[1]));
}

#endif
