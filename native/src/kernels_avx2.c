/* AVX2 + FMA instantiation of kernels_simd.inc (this file alone is compiled with -mavx2 -mfma; the dispatcher calls
 * it only after the CPU reported both). See kernels_simd.inc for the NOTE on decomposition and edge cases. */
#include "stn_internal.h"
#include "simd_avx2.h"
#define STN_SIMD(name) name##_avx2
#include "kernels_simd.inc"
