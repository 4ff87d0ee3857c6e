/*
 * Portable C kernels: the reference every other ISA is tested against. Plain C11, no intrinsics.
 *
 * NOTE: decomposition
 *  - affine grid: each output point is theta . (x_w, y_h, 1) with x_w, y_h from torch.linspace (stn_base_coord).
 *    The backward is a sum over every point: per row, float sums over the row's points (which is what the vector
 *    kernels also do, lane-wise), then rows accumulated in double so that a 1024x1024 grid keeps ~1e-7 accuracy.
 *  - grid sample: per output point, the coordinate pipeline (stn_internal.h) runs once and its taps and
 *    weights are reused for every channel (the channel loop is innermost).
 *  - backward: grad_input is scattered (accumulated) in output-point order, channel by channel; grad_grid is
 *    the channel sum of the weight derivatives, times d(pixel)/d(grid) from the pipeline.
 * Edge cases: a 1-pixel axis (align_corners maps everything to pixel 0, scale 0), points far outside the image
 * (the pipeline's safety clamp), NaN (read as -1).
 */
#include "stn_internal.h"

void stn_affine_grid_2d_scalar(const stn_ag2d *a) {
    for (int64_t n = 0; n < a->n; n++) {
        const float *t = a->theta + n * 6;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float y = stn_base_coord(h, a->h, a->align_corners);
            float *g = a->grid + ((n * a->h + h) * a->w) * 2;
            for (int64_t w = 0; w < a->w; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                g[2 * w] = x * t[0] + y * t[1] + t[2];
                g[2 * w + 1] = x * t[3] + y * t[4] + t[5];
            }
        }
    }
}

void stn_affine_grid_2d_backward_scalar(const stn_ag2d *a) {
    for (int64_t n = 0; n < a->n; n++) {
        double acc[6] = {0, 0, 0, 0, 0, 0};
        for (int64_t h = 0; h < a->h; h++) {
            const float y = stn_base_coord(h, a->h, a->align_corners);
            const float *g = a->grad_grid + ((n * a->h + h) * a->w) * 2;
            float sxx = 0.0f, sx1 = 0.0f, syx = 0.0f, sy1 = 0.0f;
            for (int64_t w = 0; w < a->w; w++) {
                const float x = stn_base_coord(w, a->w, a->align_corners);
                sxx += g[2 * w] * x;
                sx1 += g[2 * w];
                syx += g[2 * w + 1] * x;
                sy1 += g[2 * w + 1];
            }
            acc[0] += sxx;
            acc[1] += (double)y * sx1;
            acc[2] += sx1;
            acc[3] += syx;
            acc[4] += (double)y * sy1;
            acc[5] += sy1;
        }
        for (int k = 0; k < 6; k++) a->grad_theta[n * 6 + k] = (float)acc[k];
    }
}

void stn_grid_sample_2d_scalar(const stn_gs2d *a) {
    const int64_t in_plane = a->in_h * a->in_w, out_plane = a->out_h * a->out_w;
    for (int64_t n = 0; n < a->n; n++) {
        const float *in_n = a->input + n * a->c * in_plane;
        float *out_n = a->output + n * a->c * out_plane;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float *g = a->grid + ((n * a->out_h + h) * a->out_w) * 2;
            for (int64_t w = 0; w < a->out_w; w++) {
                float mx, my;
                const float x = stn_source_index(g[2 * w], a->in_w, a->padding, a->align_corners, &mx);
                const float y = stn_source_index(g[2 * w + 1], a->in_h, a->padding, a->align_corners, &my);
                stn_bilinear_point(in_n, out_n, a->c, a->in_h, a->in_w, out_plane, h * a->out_w + w, x, y);
            }
        }
    }
}

void stn_grid_sample_2d_backward_scalar(const stn_gs2d *a) {
    const int64_t in_plane = a->in_h * a->in_w, out_plane = a->out_h * a->out_w;
    for (int64_t n = 0; n < a->n; n++) {
        const float *in_n = a->input + n * a->c * in_plane;
        const float *gout_n = a->grad_output + n * a->c * out_plane;
        float *gin_n = a->grad_input ? a->grad_input + n * a->c * in_plane : NULL;
        for (int64_t h = a->row_begin; h < a->row_end; h++) {
            const float *g = a->grid + ((n * a->out_h + h) * a->out_w) * 2;
            float *gg = a->grad_grid ? a->grad_grid + ((n * a->out_h + h) * a->out_w) * 2 : NULL;
            for (int64_t w = 0; w < a->out_w; w++) {
                float mx, my, gx, gy;
                const float x = stn_source_index(g[2 * w], a->in_w, a->padding, a->align_corners, &mx);
                const float y = stn_source_index(g[2 * w + 1], a->in_h, a->padding, a->align_corners, &my);
                stn_bilinear_point_backward(gout_n, in_n, gin_n, a->c, a->in_h, a->in_w, out_plane,
                                            h * a->out_w + w, x, y, &gx, &gy);
                if (gg) {
                    gg[2 * w] = gx * mx;
                    gg[2 * w + 1] = gy * my;
                }
            }
        }
    }
}
