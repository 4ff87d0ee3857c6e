/* AVX-512 F/BW/VL instantiation of kernels_simd.inc (this file alone is compiled with -mavx512f -mavx512bw -mavx512vl
 * -mfma; the dispatcher calls it only after the CPU reported all of them). See kernels_simd.inc for the NOTE. */
#include "stn_internal.h"
#include "simd_avx512.h"
#define STN_SIMD(name) name##_avx512
#include "kernels_simd.inc"
