/*
 * stn4j native kernels: the public C ABI (and jextract's input).
 *
 * Conventions
 *  - float32 tensors, contiguous, row-major, exactly as PyTorch lays them out:
 *      input  [N, C, H, W]          grid   [N, Ho, Wo, 2]  (x then y, normalised to [-1, 1])
 *      theta  [N, 2, 3]             output [N, C, Ho, Wo]
 *  - Every size and index is 64-bit. Pointers are to the first element of the batch the call works on:
 *    to split a batch, offset each pointer by whole samples and pass a smaller n.
 *  - Row ranges [row_begin, row_end) select output rows (0 <= row_begin <= row_end <= Ho) of every sample
 *    in the call. Forward calls on disjoint row ranges write disjoint outputs, so they can run concurrently.
 *  - Backward calls ACCUMULATE (+=) into grad_input (the caller zeroes it first) and OVERWRITE grad_grid
 *    for the rows they cover. To run a backward in parallel without races, give each task either its own
 *    samples (disjoint grad_input slices) or its own band of input rows (the *_band entries) over every output
 *    row: each element's sum is then taken in the same order whatever the number of threads.
 *  - Optional outputs may be NULL (skip that gradient).
 *  - Every entry point validates its arguments and returns STN_OK or a negative STN_E* code without
 *    touching memory on error. Bounds of the buffers themselves cannot be checked here: the Java layer
 *    checks them before every call.
 *  - `isa` selects the kernel implementation: STN_ISA_AUTO uses stn_active_isa(); an explicit ISA that the
 *    CPU (or this build) lacks returns STN_E_ISA. All ISAs compute the same function; results may differ
 *    in the last bits (fused multiply-add).
 */
#ifndef STN_H
#define STN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define STN_API __declspec(dllexport)
#else
#  define STN_API __attribute__((visibility("default")))
#endif

/* Return codes. */
#define STN_OK 0
#define STN_E_ARG (-1)   /* a bad size, range, mode or NULL required pointer */
#define STN_E_ISA (-2)   /* the requested ISA is not supported by this CPU or build */
#define STN_E_NOMEM (-3) /* no memory for the call's workspace (stn_affine_sample_2d*); nothing was written */

/* Instruction-set tiers, in increasing order of preference. */
#define STN_ISA_AUTO 0
#define STN_ISA_SCALAR 1
#define STN_ISA_AVX2 2
#define STN_ISA_AVX512 3
#define STN_ISA_NEON 4 /* AArch64 only; never supported on x86-64, as AVX2 / AVX-512 never are on AArch64 */

/* Interpolation modes and paddings: the same numbers as PyTorch's grid_sampler enums. */
#define STN_MODE_BILINEAR 0 /* trilinear for 3-D, as PyTorch names it */
#define STN_MODE_NEAREST 1  /* round half to even; zero grid gradient */
#define STN_MODE_BICUBIC 2  /* Keys' cubic convolution, A = -0.75; 2-D only */
/* A flag of the backward's mode (2-D and 3-D): grad_input is overwritten, not accumulated into, so the caller need not
 * zero it first (some kernels then write it once instead of zeroing it and adding to it). */
#define STN_BACKWARD_FRESH 256
#define STN_PADDING_ZEROS 0
#define STN_PADDING_BORDER 1
#define STN_PADDING_REFLECTION 2

/* Version of the library, e.g. "0.1.0". */
STN_API const char *stn_version(void);

/* 1 if `isa` can run on this CPU with this build, else 0. STN_ISA_AUTO and STN_ISA_SCALAR always give 1. */
STN_API int32_t stn_isa_supported(int32_t isa);

/* The ISA that STN_ISA_AUTO uses: the best one supported, capped by the environment variable STN4J_MAX_ISA
 * (scalar, avx2, avx512, neon: a cap counts in this numbering), read once at first use. */
STN_API int32_t stn_active_isa(void);

/* Lower-case name of an ISA ("scalar", "avx2", "avx512", "neon"), or "unknown". */
STN_API const char *stn_isa_name(int32_t isa);

/* `bytes` of zeroed memory on a 2 MiB boundary with transparent huge pages asked for (Linux; a hint the system may
 * ignore), for big tensors: see native/src/memory.c. NULL where unsupported (other systems) or on failure; free it
 * with stn_free_huge and the same `bytes`, which returns STN_OK, or STN_E_ARG for a pointer it cannot have given. */
STN_API void *stn_alloc_huge(int64_t bytes);
STN_API int32_t stn_free_huge(void *p, int64_t bytes);

/* In a build with AddressSanitizer: marks `bytes` from `p` (8-byte aligned) unaddressable (poison = 1) or addressable
 * again (0), and returns 1. Elsewhere does nothing and returns 0. The Java pool's debug mode uses it on cached blocks. */
STN_API int32_t stn_debug_poison(void *p, int64_t bytes, int32_t poison);

/* grid[n, h, w] = theta[n] . (x_w, y_h, 1) for rows [row_begin, row_end). */
STN_API int32_t stn_affine_grid_2d(int32_t isa, const float *theta, float *grid,
                                   int64_t n, int64_t h, int64_t w, int32_t align_corners,
                                   int64_t row_begin, int64_t row_end);

/* grad_theta[n] = sum over the whole grid of grad_grid (x) (x_w, y_h, 1); overwrites grad_theta [n, 2, 3]. */
STN_API int32_t stn_affine_grid_2d_backward(int32_t isa, const float *grad_grid, float *grad_theta,
                                            int64_t n, int64_t h, int64_t w, int32_t align_corners);

/* output[n, c, ho, wo] = input sampled at grid[n, ho, wo], for output rows [row_begin, row_end). */
STN_API int32_t stn_grid_sample_2d(int32_t isa, const float *input, const float *grid, float *output,
                                   int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                   int64_t out_h, int64_t out_w,
                                   int32_t mode, int32_t padding, int32_t align_corners,
                                   int64_t row_begin, int64_t row_end);

/* Gradients of grid_sample for output rows [row_begin, row_end): grad_input (NCHW, may be NULL) is
 * accumulated, grad_grid (N, Ho, Wo, 2, may be NULL) is overwritten on those rows. With STN_BACKWARD_FRESH or'ed
 * into mode, grad_input is overwritten instead (its contents are never read); the range must then be every row. */
STN_API int32_t stn_grid_sample_2d_backward(int32_t isa, const float *grad_output, const float *input,
                                            const float *grid, float *grad_input, float *grad_grid,
                                            int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                            int64_t out_h, int64_t out_w,
                                            int32_t mode, int32_t padding, int32_t align_corners,
                                            int64_t row_begin, int64_t row_end);

/* stn_grid_sample_2d_backward whose grad_input receives only the taps in input rows [band_begin, band_end)
 * (0 <= band_begin <= band_end <= in_h), and outside those rows is neither read nor written (with STN_BACKWARD_FRESH:
 * the band's rows are overwritten). Each element of the band gets the same terms in the same order as from the
 * unbanded call, so calls on disjoint bands over the same output rows can run concurrently, and give together the
 * unbanded call's bits, whatever the bands. grad_grid (may be NULL) is as in the unbanded call. */
STN_API int32_t stn_grid_sample_2d_backward_band(int32_t isa, const float *grad_output, const float *input,
                                                 const float *grid, float *grad_input, float *grad_grid,
                                                 int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                                 int64_t out_h, int64_t out_w,
                                                 int32_t mode, int32_t padding, int32_t align_corners,
                                                 int64_t row_begin, int64_t row_end,
                                                 int64_t band_begin, int64_t band_end);

/* Fused affine transformer: stn_grid_sample_2d at the grid stn_affine_grid_2d makes of theta [n, 2, 3] (out_h x
 * out_w points, align_corners for both), without storing that grid: the same output, bit for bit, as the two calls. */
STN_API int32_t stn_affine_sample_2d(int32_t isa, const float *input, const float *theta, float *output,
                                     int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                     int64_t out_h, int64_t out_w,
                                     int32_t mode, int32_t padding, int32_t align_corners,
                                     int64_t row_begin, int64_t row_end);

/* Gradients of stn_affine_sample_2d for output rows [row_begin, row_end): grad_input as stn_grid_sample_2d_backward
 * (may be NULL; STN_BACKWARD_FRESH as there). The grid gradient is not stored: theta_rows [n, out_h, 4] (may be
 * NULL) receives, on those rows, each row's sums of g_x x_w, g_x, g_y x_w, g_y over its points (g the grid gradient
 * stn_grid_sample_2d_backward gives, the sums in stn_affine_grid_2d_backward's order), which
 * stn_affine_sample_2d_theta reduces to the theta gradient. Without grad_input, rows may be split over concurrent calls
 * (with it, concurrent calls would race on its sums: split the input gradient by input rows with
 * stn_affine_sample_2d_backward_band instead, as for stn_grid_sample_2d_backward). */
STN_API int32_t stn_affine_sample_2d_backward(int32_t isa, const float *grad_output, const float *input,
                                              const float *theta, float *grad_input, float *theta_rows,
                                              int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                              int64_t out_h, int64_t out_w,
                                              int32_t mode, int32_t padding, int32_t align_corners,
                                              int64_t row_begin, int64_t row_end);

/* The input gradient of stn_affine_sample_2d_backward over every output row, restricted to input rows
 * [band_begin, band_end) as stn_grid_sample_2d_backward_band restricts it (no theta gradient). */
STN_API int32_t stn_affine_sample_2d_backward_band(int32_t isa, const float *grad_output, const float *input,
                                                   const float *theta, float *grad_input,
                                                   int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                                   int64_t out_h, int64_t out_w,
                                                   int32_t mode, int32_t padding, int32_t align_corners,
                                                   int64_t band_begin, int64_t band_end);

/* grad_theta [n, 2, 3] (overwritten) from every row's sums of stn_affine_sample_2d_backward: the rows in order, in
 * double, as stn_affine_grid_2d_backward adds them, so that the two give the same bits from the same grid gradient. */
STN_API int32_t stn_affine_sample_2d_theta(const float *theta_rows, float *grad_theta, int64_t n, int64_t out_h,
                                           int32_t align_corners);

/* Channels-last 2-D sampling: input [N, H, W, C] and output [N, Ho, Wo, C] (grid [N, Ho, Wo, 2] as above); otherwise
 * as stn_grid_sample_2d. Each element gets the same operations, in the same order, as in the portable (scalar) kernel
 * of stn_grid_sample_2d on the transposed tensors, so the values are the same bit for bit. */
STN_API int32_t stn_grid_sample_2d_nhwc(int32_t isa, const float *input, const float *grid, float *output,
                                        int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                        int64_t out_h, int64_t out_w,
                                        int32_t mode, int32_t padding, int32_t align_corners,
                                        int64_t row_begin, int64_t row_end);

/* Gradients of stn_grid_sample_2d_nhwc, as stn_grid_sample_2d_backward: grad_output [N, Ho, Wo, C], grad_input
 * [N, H, W, C] (may be NULL) accumulated, grad_grid (may be NULL) overwritten on rows [row_begin, row_end). */
STN_API int32_t stn_grid_sample_2d_backward_nhwc(int32_t isa, const float *grad_output, const float *input,
                                                 const float *grid, float *grad_input, float *grad_grid,
                                                 int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                                 int64_t out_h, int64_t out_w,
                                                 int32_t mode, int32_t padding, int32_t align_corners,
                                                 int64_t row_begin, int64_t row_end);

/* stn_grid_sample_2d_backward_nhwc with grad_input banded as in stn_grid_sample_2d_backward_band. */
STN_API int32_t stn_grid_sample_2d_backward_nhwc_band(int32_t isa, const float *grad_output, const float *input,
                                                      const float *grid, float *grad_input, float *grad_grid,
                                                      int64_t n, int64_t c, int64_t in_h, int64_t in_w,
                                                      int64_t out_h, int64_t out_w,
                                                      int32_t mode, int32_t padding, int32_t align_corners,
                                                      int64_t row_begin, int64_t row_end,
                                                      int64_t band_begin, int64_t band_end);

/* ---- 3-D: input [N, C, D, H, W], grid [N, Do, Ho, Wo, 3] (x, y, z), theta [N, 3, 4], output [N, C, Do, Ho, Wo].
 * Row ranges count rows of all depth slices: row r is (d, h) = (r / H, r % H), 0 <= row_begin <= row_end <= D*H
 * (Do*Ho for grid sampling). */

/* grid[n, d, h, w] = theta[n] . (x_w, y_h, z_d, 1) for rows [row_begin, row_end) of D*H. */
STN_API int32_t stn_affine_grid_3d(int32_t isa, const float *theta, float *grid,
                                   int64_t n, int64_t d, int64_t h, int64_t w, int32_t align_corners,
                                   int64_t row_begin, int64_t row_end);

/* Overwrites grad_theta [n, 3, 4]. */
STN_API int32_t stn_affine_grid_3d_backward(int32_t isa, const float *grad_grid, float *grad_theta,
                                            int64_t n, int64_t d, int64_t h, int64_t w, int32_t align_corners);

/* mode: STN_MODE_BILINEAR (trilinear) or STN_MODE_NEAREST. */
STN_API int32_t stn_grid_sample_3d(int32_t isa, const float *input, const float *grid, float *output,
                                   int64_t n, int64_t c, int64_t in_d, int64_t in_h, int64_t in_w,
                                   int64_t out_d, int64_t out_h, int64_t out_w,
                                   int32_t mode, int32_t padding, int32_t align_corners,
                                   int64_t row_begin, int64_t row_end);

STN_API int32_t stn_grid_sample_3d_backward(int32_t isa, const float *grad_output, const float *input,
                                            const float *grid, float *grad_input, float *grad_grid,
                                            int64_t n, int64_t c, int64_t in_d, int64_t in_h, int64_t in_w,
                                            int64_t out_d, int64_t out_h, int64_t out_w,
                                            int32_t mode, int32_t padding, int32_t align_corners,
                                            int64_t row_begin, int64_t row_end);

/* ---- dense kernels of the nn layers (float32, row-major) ---- */

/* c[m, n] = (accumulate ? c : 0) + op(a) . op(b), op(a) [m, k] and op(b) [k, n]: op(a) is a ([m, k], row stride lda)
 * or, with trans_a, the transpose of a ([k, m], row stride lda); likewise b. Every element of c is summed over k in
 * ascending order the same way whatever m and n are: a product split by rows or columns of c gives the same bits. */
STN_API int32_t stn_sgemm(int32_t isa, int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                          const float *a, int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                          int32_t accumulate);

/* Floats of scratch (`col` below) that the convolutions of these sizes need, one per concurrent call; -1 for sizes
 * that are not a convolution. */
STN_API int64_t stn_conv2d_scratch(int64_t c, int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad);

/* 2-D convolution, stride 1, zero padding pad, for samples [n_begin, n_end): x [n, c, h, w], weight [o, c, k, k],
 * bias [o] (may be NULL), y [n, o, ho, wo] with ho = h + 2 pad - k + 1 (wo likewise), then max(y, 0) if relu. */
STN_API int32_t stn_conv2d_forward(int32_t isa, const float *x, const float *weight, const float *bias, float *y,
                                   float *col, int64_t n, int64_t c, int64_t h, int64_t w, int64_t o, int64_t k,
                                   int64_t pad, int32_t relu, int64_t n_begin, int64_t n_end);

/* grad_x [n, c, h, w] of the convolution for samples [n_begin, n_end) (overwritten), from grad_y [n, o, ho, wo].
 * relu_y: NULL, or the output y of a forward with relu, and grad_y is then the gradient of max(y, 0): it counts only
 * where y > 0. Requires pad < k (STN_E_ARG otherwise). */
STN_API int32_t stn_conv2d_backward_input(int32_t isa, const float *grad_y, const float *relu_y, const float *weight,
                                          float *grad_x, float *col, int64_t n, int64_t c, int64_t h, int64_t w,
                                          int64_t o, int64_t k, int64_t pad, int64_t n_begin, int64_t n_end);

/* grad_weight [o, c, k, k] and grad_bias [o] (may be NULL) of samples [n_begin, n_end), summed in sample order onto
 * their old values if accumulate, else overwritten. relu_y as for stn_conv2d_backward_input. */
STN_API int32_t stn_conv2d_backward_weight(int32_t isa, const float *grad_y, const float *relu_y, const float *x,
                                           float *grad_weight, float *grad_bias, float *col, int64_t n, int64_t c,
                                           int64_t h, int64_t w, int64_t o, int64_t k, int64_t pad,
                                           int32_t accumulate, int64_t n_begin, int64_t n_end);

/* Max pooling, k x k windows with stride k, for planes [p_begin, p_end) of x [planes, h, w]: y [planes, h/k, w/k]
 * (floor) and arg, the index within its plane of the element each output took (the first maximum in row-major
 * order; a NaN wins only as a window's first element). */
STN_API int32_t stn_max_pool2d(int32_t isa, const float *x, float *y, int32_t *arg, int64_t planes, int64_t h,
                               int64_t w, int64_t k, int64_t p_begin, int64_t p_end);

/* grad_x [planes, h, w] of stn_max_pool2d for planes [p_begin, p_end) (overwritten): grad_y added where arg points. */
STN_API int32_t stn_max_pool2d_backward(int32_t isa, const float *grad_y, const int32_t *arg, float *grad_x,
                                        int64_t planes, int64_t h, int64_t w, int64_t k, int64_t p_begin,
                                        int64_t p_end);

#ifdef __cplusplus
}
#endif

#endif /* STN_H */
