/* AArch64 NEON instantiation of kernels_simd.inc (NEON is baseline on AArch64: no flags, always supported there).
 * See kernels_simd.inc for the NOTE on decomposition and edge cases, simd_neon.h for the x86 semantics it mimics. */
#include "stn_internal.h"
#include "simd_neon.h"
#define STN_SIMD(name) name##_neon
#include "kernels_simd.inc"
