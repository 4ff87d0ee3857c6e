/*
 * Memory for big tensors: 2 MiB-aligned anonymous mappings with transparent huge pages asked for (Linux).
 *
 * NOTE: why. The sampling kernels read their input along the grid, a staircase over many rows: every output row
 * touches tens of input pages, and an imagenet call (N = 8, 13 MB of input, grid and output) touches more 4 KiB pages
 * than the CPU's second-level TLB holds (3,072 entries on Zen 4). On 2 MiB pages the same call needs 7 entries
 * (measured: docs/kernels.md, "Huge pages"). PyTorch has the same allocation behind THP_MEM_ALLOC_ENABLE.
 * Edge cases: MADV_HUGEPAGE is a hint (THP "never", or no huge page free, leaves ordinary pages: still correct); the
 * mapping is rounded up to whole base pages (sysconf, so 16 / 64 KiB-page kernels too) and its unaligned head and
 * tail are unmapped again, so nothing beyond that rounding is held. Fresh anonymous pages read as zero, which
 * Tensor.zeros relies on. Other systems return NULL and the Java layer allocates as before.
 */
#if defined(__linux__)
#define _GNU_SOURCE /* MADV_HUGEPAGE, MAP_ANONYMOUS */
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <stdint.h>

#include "stn.h"

#if defined(__SANITIZE_ADDRESS__)
#define STN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STN_ASAN 1
#endif
#endif
#ifdef STN_ASAN
#include <sanitizer/asan_interface.h>
#endif

#if defined(__linux__) && defined(MADV_HUGEPAGE)
#define STN_HUGE_ALIGN ((size_t)2 << 20)

static size_t mapped_length(int64_t bytes) {
    const long page = sysconf(_SC_PAGESIZE);
    const size_t p = page > 0 ? (size_t)page : 4096u;
    return ((size_t)bytes + p - 1) / p * p;
}
#endif

void *stn_alloc_huge(int64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes <= 0 || (uint64_t)bytes > SIZE_MAX / 2) return NULL;
    const size_t len = mapped_length(bytes), span = len + STN_HUGE_ALIGN;
    char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *p = (char *)(((uintptr_t)raw + STN_HUGE_ALIGN - 1) & ~(uintptr_t)(STN_HUGE_ALIGN - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    const size_t tail = (size_t)((raw + span) - (p + len));
    if (tail) munmap(p + len, tail);
    (void)madvise(p, len, MADV_HUGEPAGE); /* a hint; on failure the pages are ordinary ones */
    return p;
#else
    (void)bytes;
    return NULL;
#endif
}

int32_t stn_free_huge(void *p, int64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (!p || bytes <= 0 || ((uintptr_t)p & (STN_HUGE_ALIGN - 1))) return STN_E_ARG;
    return munmap(p, mapped_length(bytes)) == 0 ? STN_OK : STN_E_ARG;
#else
    (void)p;
    (void)bytes;
    return STN_E_ARG;
#endif
}

/* Debug builds of the Java pool poison the blocks they cache, so that a kernel reading one is reported by ASan. */
int32_t stn_debug_poison(void *p, int64_t bytes, int32_t poison) {
#ifdef STN_ASAN
    if (!p || bytes <= 0) return 0;
    if (poison) {
        ASAN_POISON_MEMORY_REGION(p, (size_t)bytes);
    } else {
        ASAN_UNPOISON_MEMORY_REGION(p, (size_t)bytes);
    }
    return 1;
#else
    (void)p;
    (void)bytes;
    (void)poison;
    return 0;
#endif
}

/*
 * Workspace for kernels that need more than a tile (stn_scratch_take / stn_scratch_give): up to STN_SCRATCH_SLOTS
 * buffers are kept between calls, so that a kernel called in a loop does not map and fault in fresh pages each time
 * (an 800 KB buffer is ~200 page faults per call). A buffer is taken and given back with atomic exchanges, so
 * concurrent callers each get their own; with no slot free, or on a compiler without the GCC atomics, it is plain
 * malloc/free. What is kept is bounded: STN_SCRATCH_SLOTS buffers of at most the largest size a kernel asked for.
 */
#include <stdlib.h>
#include "stn_internal.h"

#define STN_SCRATCH_SLOTS 2
#define STN_SCRATCH_HEAD 64 /* the header (size, malloc's pointer); keeps the buffer 64-byte aligned */
#if defined(__GNUC__)
static void *scratch_slot[STN_SCRATCH_SLOTS];
#endif

void *stn_scratch_take(int64_t bytes) {
#if defined(__GNUC__)
    for (int s = 0; s < STN_SCRATCH_SLOTS; s++) {
        char *h = __atomic_exchange_n(&scratch_slot[s], NULL, __ATOMIC_ACQ_REL);
        if (!h) continue;
        if (*(int64_t *)(void *)h >= bytes) return h + STN_SCRATCH_HEAD;
        free(*(char **)(void *)(h + 8));
    }
#endif
    /* malloc, aligned by hand (mingw has no aligned_alloc); the header keeps the size and what malloc returned */
    char *m = malloc((size_t)bytes + 2 * STN_SCRATCH_HEAD);
    if (!m) return NULL;
    char *h = m + (STN_SCRATCH_HEAD - (uintptr_t)m % STN_SCRATCH_HEAD) % STN_SCRATCH_HEAD;
    *(int64_t *)(void *)h = bytes;
    *(char **)(void *)(h + 8) = m;
    return h + STN_SCRATCH_HEAD;
}

void stn_scratch_give(void *p) {
    if (!p) return;
    char *h = (char *)p - STN_SCRATCH_HEAD;
#if defined(__GNUC__)
    for (int s = 0; s < STN_SCRATCH_SLOTS; s++) {
        void *expected = NULL;
        if (__atomic_compare_exchange_n(&scratch_slot[s], &expected, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return;
    }
#endif
    free(*(char **)(void *)(h + 8));
}
