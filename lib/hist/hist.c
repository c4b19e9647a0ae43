/* HDR histograms: HdrHistogram's log-linear layout, percentile rule, V2
 * encoding and interval log format, implemented from the published format
 * description (no code taken from HdrHistogram_c). */
#include "../internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <zlib.h>

#define V2_ENCODING_COOKIE 0x1c849313u
#define V2_COMPRESSED_COOKIE 0x1c849314u
#define V2_HEADER_LEN 40

struct scope_hist {
    int64_t lowest, highest;
    int32_t sigfigs;
    int32_t unit_magnitude;
    int32_t sub_bucket_half_count_magnitude;
    int32_t sub_bucket_count;
    int32_t sub_bucket_half_count;
    int64_t sub_bucket_mask;
    int32_t bucket_count;
    int32_t counts_len;
    int64_t total;
    int64_t min_value, max_value; /* raw extremes; min INT64_MAX when empty */
    int64_t overflow;
    int64_t *counts;
};

SCOPE_API int scope_hist_opts_init(scope_hist_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_hist_opts");
}

static int floor_log2(uint64_t v) { return 63 - __builtin_clzll(v); }

static int hist_init(scope_hist *h, int64_t lowest, int64_t highest, int32_t sigfigs)
{
    if (lowest < 1)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_hist_opts.lowest is %" PRId64 ": it must be at least 1",
                            lowest);
    if (sigfigs < 1 || sigfigs > 5)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_hist_opts.sigfigs is %d: use 1 to 5 significant digits",
                            (int)sigfigs);
    if (lowest > INT64_MAX / 2 || highest < 2 * lowest)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_hist_opts.highest %" PRId64 " is below twice lowest %" PRId64
                            ": raise highest", highest, lowest);
    int64_t largest_single_unit = 2;
    for (int i = 0; i < sigfigs; i++)
        largest_single_unit *= 10;
    int sbc_mag = (int)ceil(log2((double)largest_single_unit));
    int half_mag = (sbc_mag > 1 ? sbc_mag : 1) - 1;
    int unit_mag = floor_log2((uint64_t)lowest);
    if (unit_mag + half_mag + 1 > 61)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_hist_opts: lowest %" PRId64 " with %d digits overflows 64-bit "
                            "values; lower lowest or sigfigs", lowest, (int)sigfigs);
    h->lowest = lowest;
    h->highest = highest;
    h->sigfigs = sigfigs;
    h->unit_magnitude = unit_mag;
    h->sub_bucket_half_count_magnitude = half_mag;
    h->sub_bucket_count = 1 << (half_mag + 1);
    h->sub_bucket_half_count = h->sub_bucket_count / 2;
    h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << unit_mag;
    int64_t smallest_untrackable = (int64_t)h->sub_bucket_count << unit_mag;
    int buckets = 1;
    while (smallest_untrackable <= highest) {
        if (smallest_untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        smallest_untrackable <<= 1;
        buckets++;
    }
    h->bucket_count = buckets;
    h->counts_len = (buckets + 1) * h->sub_bucket_half_count;
    h->total = 0;
    h->overflow = 0;
    h->min_value = INT64_MAX;
    h->max_value = 0;
    return 0;
}

/* Counts arrays are large (270 KiB at the default 1 h / 3 digits) and
 * mostly zero. Above 64 KiB they are mapped directly (untouched pages are
 * never faulted in nor cleared) and, once freed, kept for reuse in a small
 * process-wide cache after clearing only the part that was used: a short
 * load run creates and frees about ten of them, and faulting their pages in
 * again every time cost it milliseconds. At most COUNTS_CACHE arrays are
 * kept (only their touched pages are resident). Sanitizer builds use
 * calloc, so that ASan still sees every access. */
#define COUNTS_MMAP_BYTES 65536
#define COUNTS_CACHE 16
#if defined(__SANITIZE_ADDRESS__)
#define COUNTS_PLAIN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTS_PLAIN 1
#endif
#endif

#ifndef COUNTS_PLAIN
static struct {
    pthread_mutex_t mu;
    int n;
    size_t len[COUNTS_CACHE];
    int64_t *p[COUNTS_CACHE];
} counts_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};
#endif

static int64_t *counts_alloc(size_t n)
{
    size_t bytes = n * sizeof(int64_t);
#ifndef COUNTS_PLAIN
    if (bytes >= COUNTS_MMAP_BYTES) {
        int64_t *p = NULL;
        pthread_mutex_lock(&counts_cache.mu);
        for (int i = counts_cache.n - 1; i >= 0; i--)
            if (counts_cache.len[i] == n) {
                p = counts_cache.p[i];
                counts_cache.n--;
                counts_cache.p[i] = counts_cache.p[counts_cache.n];
                counts_cache.len[i] = counts_cache.len[counts_cache.n];
                break;
            }
        pthread_mutex_unlock(&counts_cache.mu);
        if (p)
            return p; /* all zero */
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return m == MAP_FAILED ? NULL : m;
    }
#endif
    (void)bytes;
    return calloc(n, sizeof(int64_t));
}

/* @used: counts at or above it are zero. */
static void counts_free(int64_t *c, size_t n, int32_t used)
{
    if (!c)
        return;
#ifndef COUNTS_PLAIN
    if (n * sizeof *c >= COUNTS_MMAP_BYTES) {
        memset(c, 0, (size_t)used * sizeof *c);
        pthread_mutex_lock(&counts_cache.mu);
        if (counts_cache.n < COUNTS_CACHE) {
            counts_cache.p[counts_cache.n] = c;
            counts_cache.len[counts_cache.n++] = n;
            c = NULL;
        }
        pthread_mutex_unlock(&counts_cache.mu);
        if (c)
            munmap(c, n * sizeof *c);
        return;
    }
#endif
    (void)n;
    (void)used;
    free(c);
}

static int32_t used_len(const scope_hist *h);

static int hist_alloc(scope_hist **out, int64_t lowest, int64_t highest, int32_t sigfigs)
{
    scope_hist tmp;
    int rc = hist_init(&tmp, lowest, highest, sigfigs);
    if (rc)
        return rc;
    scope_hist *h = malloc(sizeof *h);
    if (!h)
        return scope__enomem("a histogram");
    *h = tmp;
    h->counts = counts_alloc((size_t)h->counts_len);
    if (!h->counts) {
        free(h);
        return scope__enomem("histogram counts");
    }
    *out = h;
    return 0;
}

SCOPE_API int scope_hist_new(scope_hist **out, const scope_hist_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_new: out is NULL");
    *out = NULL;
    scope_hist_opts o;
    int rc = scope__opts_copy(&o, opts, sizeof o, "scope_hist_opts");
    if (rc)
        return rc;
    if (o.pad_)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_opts.pad_ must be 0");
    return hist_alloc(out, o.lowest ? o.lowest : 1, o.highest ? o.highest : INT64_C(3600000000000),
                      o.sigfigs ? o.sigfigs : 3);
}

SCOPE_API int scope_hist_dup(scope_hist **out, const scope_hist *h)
{
    if (!out || !h)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_dup: out or h is NULL");
    int rc = hist_alloc(out, h->lowest, h->highest, h->sigfigs);
    if (rc)
        return rc;
    scope_hist *d = *out;
    memcpy(d->counts, h->counts, (size_t)used_len(h) * sizeof *h->counts);
    d->total = h->total;
    d->min_value = h->min_value;
    d->max_value = h->max_value;
    d->overflow = h->overflow;
    return 0;
}

SCOPE_API void scope_hist_free(scope_hist *h)
{
    if (!h)
        return;
    counts_free(h->counts, (size_t)h->counts_len, used_len(h));
    free(h);
}

SCOPE_API void scope_hist_reset(scope_hist *h)
{
    if (!h)
        return;
    memset(h->counts, 0, (size_t)used_len(h) * sizeof *h->counts);
    h->total = 0;
    h->overflow = 0;
    h->min_value = INT64_MAX;
    h->max_value = 0;
}

/* --- index arithmetic ---------------------------------------------------- */

static inline int32_t bucket_index(const scope_hist *h, int64_t v)
{
    int pow2ceiling = 64 - __builtin_clzll((uint64_t)(v | h->sub_bucket_mask));
    return pow2ceiling - h->unit_magnitude - (h->sub_bucket_half_count_magnitude + 1);
}

static inline int32_t sub_bucket_index(const scope_hist *h, int64_t v, int32_t bi)
{
    return (int32_t)(v >> (bi + h->unit_magnitude));
}

static inline int32_t counts_index(const scope_hist *h, int32_t bi, int32_t sbi)
{
    return ((bi + 1) << h->sub_bucket_half_count_magnitude) + (sbi - h->sub_bucket_half_count);
}

static inline int32_t counts_index_for(const scope_hist *h, int64_t v)
{
    int32_t bi = bucket_index(h, v);
    return counts_index(h, bi, sub_bucket_index(h, v, bi));
}

/* One past the last index that can hold a count: every count at or above
 * it is zero (max_value bounds them, as for the encoding). */
static int32_t used_len(const scope_hist *h)
{
    if (!h->total)
        return 0;
    int32_t n = counts_index_for(h, h->max_value) + 1;
    return n > h->counts_len ? h->counts_len : n;
}

static inline int64_t value_from_index(const scope_hist *h, int32_t bi, int32_t sbi)
{
    return (int64_t)sbi << (bi + h->unit_magnitude);
}

static int64_t value_at_index(const scope_hist *h, int32_t index)
{
    int32_t bi = (index >> h->sub_bucket_half_count_magnitude) - 1;
    int32_t sbi = (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;
    if (bi < 0) {
        sbi -= h->sub_bucket_half_count;
        bi = 0;
    }
    return value_from_index(h, bi, sbi);
}

/* The width of @v's bucket, unsigned: it can be 2^63 in a histogram whose
 * range reaches INT64_MAX. */
static uint64_t equivalent_range(const scope_hist *h, int64_t v)
{
    int32_t bi = bucket_index(h, v);
    int32_t sbi = sub_bucket_index(h, v, bi);
    int32_t adjusted = sbi >= h->sub_bucket_count ? bi + 1 : bi;
    int shift = h->unit_magnitude + adjusted;
    return shift >= 64 ? UINT64_MAX : UINT64_C(1) << shift;
}

static int64_t lowest_equiv(const scope_hist *h, int64_t v)
{
    int32_t bi = bucket_index(h, v);
    return value_from_index(h, bi, sub_bucket_index(h, v, bi));
}

/* lowest + @add, saturated at INT64_MAX (the top buckets of a histogram
 * that reaches INT64_MAX end past it). */
static int64_t add_sat(int64_t lowest, uint64_t add)
{
    uint64_t room = (uint64_t)INT64_MAX - (uint64_t)lowest;
    return add > room ? INT64_MAX : (int64_t)((uint64_t)lowest + add);
}

static int64_t highest_equiv(const scope_hist *h, int64_t v)
{
    return add_sat(lowest_equiv(h, v), equivalent_range(h, v) - 1);
}

static int64_t median_equiv(const scope_hist *h, int64_t v)
{
    return add_sat(lowest_equiv(h, v), equivalent_range(h, v) >> 1);
}

/* --- recording ------------------------------------------------------------- */

SCOPE_API int scope_hist_record_n(scope_hist *h, int64_t value, int64_t count)
{
    if (!h || count < 0)
        return SCOPE_EINVAL;
    if (value < 0 || value > h->highest) {
        h->overflow += count;
        return SCOPE_EINVAL;
    }
    int32_t idx = counts_index_for(h, value);
    if (idx < 0 || idx >= h->counts_len) {
        h->overflow += count;
        return SCOPE_EINVAL;
    }
    if (!count)
        return 0;
    h->counts[idx] += count;
    h->total += count;
    if (value < h->min_value && value != 0) /* zeros show through counts[0] */
        h->min_value = value;
    if (value > h->max_value)
        h->max_value = value;
    return 0;
}

SCOPE_API int scope_hist_record(scope_hist *h, int64_t value)
{
    return scope_hist_record_n(h, value, 1);
}

SCOPE_API int scope_hist_record_corrected(scope_hist *h, int64_t value, int64_t interval)
{
    int rc = scope_hist_record_n(h, value, 1);
    if (rc || interval <= 0 || value <= interval)
        return rc;
    for (int64_t missing = value - interval; missing >= interval; missing -= interval) {
        rc = scope_hist_record_n(h, missing, 1);
        if (rc)
            return rc;
    }
    return 0;
}

static int same_layout(const scope_hist *a, const scope_hist *b)
{
    return a->counts_len == b->counts_len && a->unit_magnitude == b->unit_magnitude &&
           a->sub_bucket_half_count_magnitude == b->sub_bucket_half_count_magnitude;
}

/* Recomputes total, min and max from counts[0 .. @limit) (every count at or
 * above @limit is zero). */
static void recompute(scope_hist *h, int32_t limit)
{
    h->total = 0;
    h->min_value = INT64_MAX;
    h->max_value = 0;
    for (int32_t i = 0; i < limit; i++) {
        if (!h->counts[i])
            continue;
        h->total += h->counts[i];
        int64_t v = value_at_index(h, i);
        if (v && v < h->min_value)
            h->min_value = v;
        if (v > h->max_value)
            h->max_value = v;
    }
}

SCOPE_API int scope_hist_add(scope_hist *dst, const scope_hist *src)
{
    if (!dst || !src)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_add: dst or src is NULL");
    if (same_layout(dst, src)) {
        for (int32_t i = 0, n = used_len(src); i < n; i++)
            dst->counts[i] += src->counts[i];
        dst->total += src->total;
        dst->overflow += src->overflow;
        if (src->min_value < dst->min_value)
            dst->min_value = src->min_value;
        if (src->max_value > dst->max_value)
            dst->max_value = src->max_value;
        return 0;
    }
    int64_t dropped = 0;
    for (int32_t i = 0; i < src->counts_len; i++)
        if (src->counts[i] && scope_hist_record_n(dst, value_at_index(src, i), src->counts[i]))
            dropped += src->counts[i];
    dst->overflow += src->overflow;
    if (dropped)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_hist_add: %" PRId64 " values lie above the destination's "
                            "highest trackable value %" PRId64 "; create it with a larger highest",
                            dropped, dst->highest);
    return 0;
}

SCOPE_API int scope_hist_subtract(scope_hist *dst, const scope_hist *src)
{
    if (!dst || !src || !same_layout(dst, src))
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_hist_subtract: histograms are NULL or have different settings");
    for (int32_t i = 0; i < src->counts_len; i++)
        if (src->counts[i] > dst->counts[i])
            return scope__error(SCOPE_EINVAL, 0,
                                "scope_hist_subtract: bucket %d would go negative: the source "
                                "is not a snapshot taken before the destination", (int)i);
    int32_t limit = used_len(dst); /* counts only go down */
    for (int32_t i = 0; i < src->counts_len; i++)
        dst->counts[i] -= src->counts[i];
    dst->overflow -= src->overflow < dst->overflow ? src->overflow : dst->overflow;
    recompute(dst, limit);
    return 0;
}

/* --- queries --------------------------------------------------------------- */

SCOPE_API int64_t scope_hist_count(const scope_hist *h) { return h ? h->total : 0; }
SCOPE_API int64_t scope_hist_overflow(const scope_hist *h) { return h ? h->overflow : 0; }

SCOPE_API int64_t scope_hist_min(const scope_hist *h)
{
    if (!h || !h->total)
        return 0;
    if (h->counts[0]) /* zeros (and values below the first sub-bucket) */
        return 0;
    return lowest_equiv(h, h->min_value);
}

SCOPE_API int64_t scope_hist_max(const scope_hist *h)
{
    if (!h || !h->total)
        return 0;
    return h->max_value ? highest_equiv(h, h->max_value) : 0;
}

SCOPE_API double scope_hist_mean(const scope_hist *h)
{
    if (!h || !h->total)
        return 0.0;
    double sum = 0;
    for (int32_t i = 0; i < h->counts_len; i++)
        if (h->counts[i])
            sum += (double)h->counts[i] * (double)median_equiv(h, value_at_index(h, i));
    return sum / (double)h->total;
}

SCOPE_API double scope_hist_stdev(const scope_hist *h)
{
    if (!h || !h->total)
        return 0.0;
    double mean = scope_hist_mean(h), acc = 0;
    for (int32_t i = 0; i < h->counts_len; i++)
        if (h->counts[i]) {
            double d = (double)median_equiv(h, value_at_index(h, i)) - mean;
            acc += d * d * (double)h->counts[i];
        }
    return sqrt(acc / (double)h->total);
}

SCOPE_API int64_t scope_hist_percentile(const scope_hist *h, double p)
{
    if (!h || !h->total)
        return 0;
    if (!(p > 0))
        return scope_hist_min(h);
    if (p > 100)
        p = 100;
    int64_t want = (int64_t)(p / 100.0 * (double)h->total + 0.5);
    if (want < 1)
        want = 1;
    int64_t cum = 0;
    for (int32_t i = 0; i < h->counts_len; i++) {
        cum += h->counts[i];
        if (cum >= want)
            return highest_equiv(h, value_at_index(h, i));
    }
    return scope_hist_max(h);
}

SCOPE_API int64_t scope_hist_count_at(const scope_hist *h, int64_t value)
{
    if (!h || value < 0 || value > h->highest)
        return 0;
    int32_t idx = counts_index_for(h, value);
    return idx >= 0 && idx < h->counts_len ? h->counts[idx] : 0;
}

SCOPE_API int64_t scope_hist_lowest_equivalent(const scope_hist *h, int64_t value)
{
    return h && value >= 0 ? lowest_equiv(h, value) : 0;
}

SCOPE_API int64_t scope_hist_highest_equivalent(const scope_hist *h, int64_t value)
{
    return h && value >= 0 ? highest_equiv(h, value) : 0;
}

SCOPE_API int scope_hist_equal(const scope_hist *a, const scope_hist *b)
{
    if (!a || !b)
        return 0;
    if (a->lowest != b->lowest || a->highest != b->highest || a->sigfigs != b->sigfigs ||
        a->total != b->total)
        return 0;
    return memcmp(a->counts, b->counts, (size_t)a->counts_len * sizeof *a->counts) == 0;
}

/* --- V2 encoding ----------------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const unsigned char *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* ZigZag + LEB128 with at most 9 bytes (the 9th carries 8 bits). */
static size_t zz_put(unsigned char *b, int64_t sv)
{
    uint64_t v = ((uint64_t)sv << 1) ^ (uint64_t)(sv >> 63);
    size_t n = 0;
    while (n < 8) {
        if (v >> 7 == 0) {
            b[n++] = (unsigned char)v;
            return n;
        }
        b[n++] = (unsigned char)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    b[n++] = (unsigned char)v;
    return n;
}

static int zz_get(const unsigned char *b, size_t len, size_t *pos, int64_t *out)
{
    uint64_t v = 0;
    int shift = 0;
    for (int i = 0; i < 9; i++) {
        if (*pos >= len)
            return -1;
        unsigned char c = b[(*pos)++];
        if (i == 8) {
            v |= (uint64_t)c << 56;
            break;
        }
        v |= (uint64_t)(c & 0x7f) << shift;
        shift += 7;
        if (!(c & 0x80))
            break;
    }
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return 0;
}

/* The uncompressed V2 encoding into a fresh buffer. */
static int encode_raw(unsigned char **out, size_t *len, const scope_hist *h)
{
    int32_t limit = h->total ? counts_index_for(h, h->max_value) + 1 : 0;
    if (limit > h->counts_len)
        limit = h->counts_len;
    size_t cap = V2_HEADER_LEN + (size_t)limit * 9 + 16;
    unsigned char *b = malloc(cap);
    if (!b)
        return scope__enomem("a histogram encoding");
    size_t n = V2_HEADER_LEN;
    for (int32_t i = 0; i < limit;) {
        int64_t c = h->counts[i++];
        if (c == 0) {
            int64_t zeros = 1;
            while (i < limit && h->counts[i] == 0) {
                zeros++;
                i++;
            }
            n += zz_put(b + n, zeros > 1 ? -zeros : 0);
        } else {
            n += zz_put(b + n, c);
        }
    }
    put_be32(b, V2_ENCODING_COOKIE);
    put_be32(b + 4, (uint32_t)(n - V2_HEADER_LEN));
    put_be32(b + 8, 0); /* normalizing index offset */
    put_be32(b + 12, (uint32_t)h->sigfigs);
    put_be64(b + 16, (uint64_t)h->lowest);
    put_be64(b + 24, (uint64_t)h->highest);
    double ratio = 1.0;
    uint64_t bits;
    memcpy(&bits, &ratio, sizeof bits);
    put_be64(b + 32, bits);
    *out = b;
    *len = n;
    return 0;
}

SCOPE_API int scope_hist_encode(void **out, size_t *len, const scope_hist *h)
{
    if (!out || !len || !h)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_encode: an argument is NULL");
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    int rc = encode_raw(&raw, &rawlen, h);
    if (rc)
        return rc;
    uLongf clen = compressBound((uLong)rawlen);
    unsigned char *c = malloc(8 + clen);
    if (!c) {
        free(raw);
        return scope__enomem("a compressed histogram");
    }
    int zrc = compress2(c + 8, &clen, raw, (uLong)rawlen, Z_DEFAULT_COMPRESSION);
    free(raw);
    if (zrc != Z_OK) {
        free(c);
        return scope__error(SCOPE_EINTERNAL, 0, "zlib compress2 failed (%d)", zrc);
    }
    put_be32(c, V2_COMPRESSED_COOKIE);
    put_be32(c + 4, (uint32_t)clen);
    *out = c;
    *len = 8 + clen;
    return 0;
}

SCOPE_API void scope_hist_buf_free(void *buf) { free(buf); }

/* Frees a histogram whose decoding failed after writing counts[0 .. @idx):
 * total and max are made to cover them first (a freed array is cleared up
 * to used_len() before it is cached). */
static void free_partial(scope_hist *h, int32_t idx)
{
    recompute(h, idx < h->counts_len ? idx : h->counts_len);
    scope_hist_free(h);
}

static int decode_raw(scope_hist **out, const unsigned char *b, size_t len)
{
    if (len < V2_HEADER_LEN)
        return scope__error(SCOPE_EPARSE, 0,
                            "histogram encoding truncated: %zu bytes, the header needs 40", len);
    uint32_t cookie = get_be32(b);
    if (cookie != V2_ENCODING_COOKIE)
        return scope__error(SCOPE_EPARSE, 0,
                            "histogram encoding cookie 0x%08x is not HdrHistogram V2 "
                            "(0x1c849313); only V2 with 64-bit counts is supported", cookie);
    uint32_t plen = get_be32(b + 4);
    int32_t norm = (int32_t)get_be32(b + 8);
    int32_t sig = (int32_t)get_be32(b + 12);
    int64_t lowest = (int64_t)get_be64(b + 16), highest = (int64_t)get_be64(b + 24);
    if (plen > len - V2_HEADER_LEN)
        return scope__error(SCOPE_EPARSE, 0,
                            "histogram payload length %u exceeds the %zu bytes present", plen,
                            len - V2_HEADER_LEN);
    /* The normalizing index offset only matters to shifted histograms; like
     * HdrHistogram_c we ignore it (hdr-histogram-js writes 1 here). */
    (void)norm;
    scope_hist *h;
    int rc = hist_alloc(&h, lowest, highest, sig);
    if (rc == SCOPE_ENOMEM)
        return rc; /* hist_alloc's message names the size */
    if (rc)
        return scope__error(SCOPE_EPARSE, 0, "histogram encoding has invalid settings: %s",
                            scope_error_message());
    size_t pos = V2_HEADER_LEN, end = V2_HEADER_LEN + plen;
    int32_t idx = 0;
    int64_t sum = 0;
    while (pos < end) {
        int64_t v;
        if (zz_get(b, end, &pos, &v)) {
            free_partial(h, idx);
            return scope__error(SCOPE_EPARSE, 0, "histogram payload ends inside a number");
        }
        if (v < 0) {
            /* compared without negating v (INT64_MIN has no negation) */
            if (v < (int64_t)idx - (int64_t)h->counts_len) {
                free_partial(h, idx);
                return scope__error(SCOPE_EPARSE, 0, "histogram payload runs past its buckets");
            }
            idx += (int32_t)-v;
        } else {
            if (idx >= h->counts_len) {
                free_partial(h, idx);
                return scope__error(SCOPE_EPARSE, 0, "histogram payload runs past its buckets");
            }
            if (v > INT64_MAX - sum) {
                free_partial(h, idx);
                return scope__error(SCOPE_EPARSE, 0,
                                    "histogram payload counts add up past 2^63 - 1");
            }
            sum += v;
            h->counts[idx++] = v;
        }
    }
    recompute(h, idx < h->counts_len ? idx : h->counts_len);
    *out = h;
    return 0;
}

SCOPE_API int scope_hist_decode(scope_hist **out, const void *data, size_t len)
{
    if (!out || (!data && len))
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_decode: out or data is NULL");
    *out = NULL;
    const unsigned char *b = data;
    if (len < 8)
        return scope__error(SCOPE_EPARSE, 0, "histogram encoding truncated: %zu bytes", len);
    uint32_t cookie = get_be32(b);
    if (cookie == V2_ENCODING_COOKIE)
        return decode_raw(out, b, len);
    if (cookie != V2_COMPRESSED_COOKIE)
        return scope__error(SCOPE_EPARSE, 0,
                            "cookie 0x%08x is not an HdrHistogram V2 encoding (0x1c849314 "
                            "compressed or 0x1c849313 plain)", cookie);
    uint32_t clen = get_be32(b + 4);
    if (clen > len - 8)
        return scope__error(SCOPE_EPARSE, 0,
                            "compressed histogram says %u bytes but %zu are present", clen,
                            len - 8);
    /* The header states the payload length: inflate the header first. */
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return scope__enomem("zlib inflate state");
    unsigned char hdr[V2_HEADER_LEN];
    z.next_in = (Bytef *)(b + 8);
    z.avail_in = clen;
    z.next_out = hdr;
    z.avail_out = sizeof hdr;
    int zrc = inflate(&z, Z_SYNC_FLUSH);
    if ((zrc != Z_OK && zrc != Z_STREAM_END) || z.avail_out) {
        inflateEnd(&z);
        return scope__error(SCOPE_EPARSE, 0, "compressed histogram does not inflate (zlib %d)",
                            zrc);
    }
    uint32_t plen = get_be32(hdr + 4);
    if (plen > (1u << 28)) {
        inflateEnd(&z);
        return scope__error(SCOPE_EPARSE, 0, "histogram payload length %u is implausible", plen);
    }
    unsigned char *raw = malloc(V2_HEADER_LEN + (size_t)plen);
    if (!raw) {
        inflateEnd(&z);
        return scope__enomem("an inflated histogram");
    }
    memcpy(raw, hdr, sizeof hdr);
    z.next_out = raw + V2_HEADER_LEN;
    z.avail_out = plen;
    zrc = plen ? inflate(&z, Z_FINISH) : Z_STREAM_END;
    size_t got = plen - z.avail_out;
    inflateEnd(&z);
    if ((zrc != Z_STREAM_END && zrc != Z_OK && zrc != Z_BUF_ERROR) || got != plen) {
        free(raw);
        return scope__error(SCOPE_EPARSE, 0,
                            "compressed histogram payload is corrupt or short (zlib %d, %zu of "
                            "%u bytes)", zrc, got, plen);
    }
    int rc = decode_raw(out, raw, V2_HEADER_LEN + plen);
    free(raw);
    return rc;
}

/* --- base64 ------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

SCOPE_API int scope_hist_encode_base64(char **out, const scope_hist *h)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_encode_base64: out is NULL");
    void *bin;
    size_t n;
    int rc = scope_hist_encode(&bin, &n, h);
    if (rc)
        return rc;
    const unsigned char *s = bin;
    char *t = malloc((n + 2) / 3 * 4 + 1);
    if (!t) {
        free(bin);
        return scope__enomem("base64 text");
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        t[j++] = b64[v >> 18 & 63];
        t[j++] = b64[v >> 12 & 63];
        t[j++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        t[j++] = i + 2 < n ? b64[v & 63] : '=';
    }
    t[j] = '\0';
    free(bin);
    *out = t;
    return 0;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

SCOPE_API int scope_hist_decode_base64(scope_hist **out, const char *text, size_t len)
{
    if (!out || (!text && len))
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_decode_base64: out or text is NULL");
    *out = NULL;
    while (len && (*text == ' ' || *text == '\t'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' ||
                   text[len - 1] == '\r'))
        len--;
    unsigned char *bin = malloc(len / 4 * 3 + 3);
    if (!bin)
        return scope__enomem("decoded base64");
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '=')
            break;
        int v = b64val((unsigned char)text[i]);
        if (v < 0) {
            free(bin);
            return scope__error(SCOPE_EPARSE, 0,
                                "histogram base64 has an invalid character 0x%02x at offset %zu",
                                (unsigned char)text[i], i);
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bin[n++] = (unsigned char)(acc >> bits);
        }
    }
    int rc = scope_hist_decode(out, bin, n);
    free(bin);
    return rc;
}

/* --- interval log ------------------------------------------------------------ */

SCOPE_API int scope_hist_log_header(FILE *f, int64_t start_wall_ns)
{
    if (!f)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_log_header: f is NULL");
    double s = (double)start_wall_ns / 1e9;
    if (fprintf(f,
                "#[Logged with libscope %s]\n"
                "#[Histogram log format version 1.3]\n"
                "#[StartTime: %.3f (seconds since epoch)]\n"
                "#[BaseTime: %.3f (seconds since epoch)]\n"
                "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                "\"Interval_Compressed_Histogram\"\n",
                SCOPE_VERSION_STRING, s, s) < 0)
        return scope__error_sys(SCOPE_EIO, errno, "writing the histogram log header");
    return 0;
}

SCOPE_API int scope_hist_log_write(FILE *f, const char *tag, int64_t start_ns, int64_t length_ns,
                                   const scope_hist *h)
{
    if (!f || !h)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_log_write: f or h is NULL");
    if (tag && (!*tag || strpbrk(tag, ", \t\r\n")))
        return scope__error(SCOPE_EINVAL, 0,
                            "histogram log tag \"%s\" is empty or holds a comma, blank or "
                            "newline; pick a plain word", tag);
    char *text;
    int rc = scope_hist_encode_base64(&text, h);
    if (rc)
        return rc;
    int w = fprintf(f, "%s%s%s%.3f,%.3f,%.3f,%s\n", tag ? "Tag=" : "", tag ? tag : "",
                    tag ? "," : "", (double)start_ns / 1e9, (double)length_ns / 1e9,
                    (double)scope_hist_max(h) / 1e6, text);
    free(text);
    if (w < 0)
        return scope__error_sys(SCOPE_EIO, errno, "writing a histogram log line");
    return 0;
}

SCOPE_API int scope_hist_log_read(scope_hist **out, FILE *f, char *tag, size_t tag_cap,
                                  double *start_s, double *length_s, double *base_s)
{
    if (!out || !f || !base_s)
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_log_read: out, f or base_s is NULL");
    *out = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n)
            continue;
        if (line[0] == '#') {
            double v;
            if (sscanf(line, "#[BaseTime: %lf", &v) == 1)
                *base_s = v;
            continue;
        }
        if (line[0] == '"' || !strncmp(line, "StartTimestamp", 14))
            continue;
        char *p = line;
        if (tag && tag_cap)
            tag[0] = '\0';
        if (!strncmp(p, "Tag=", 4)) {
            char *comma = strchr(p, ',');
            if (!comma) {
                rc = scope__error(SCOPE_EPARSE, 0, "histogram log line has a tag but no fields: %.80s",
                                  line);
                break;
            }
            size_t tl = (size_t)(comma - p - 4);
            if (tag) {
                if (tl + 1 > tag_cap) {
                    rc = scope__error(SCOPE_ENOSPC, 0,
                                      "histogram log tag needs %zu bytes, the buffer has %zu",
                                      tl + 1, tag_cap);
                    break;
                }
                memcpy(tag, p + 4, tl);
                tag[tl] = '\0';
            }
            p = comma + 1;
        }
        char *e1, *e2, *e3;
        double st = strtod(p, &e1);
        double ln = (*e1 == ',') ? strtod(e1 + 1, &e2) : (e2 = e1, 0);
        if (*e1 != ',' || *e2 != ',') {
            rc = scope__error(SCOPE_EPARSE, 0, "malformed histogram log line: %.80s", line);
            break;
        }
        (void)strtod(e2 + 1, &e3);
        if (*e3 != ',') {
            rc = scope__error(SCOPE_EPARSE, 0, "malformed histogram log line: %.80s", line);
            break;
        }
        rc = scope_hist_decode_base64(out, e3 + 1, strlen(e3 + 1));
        if (rc)
            break;
        if (start_s)
            *start_s = *base_s + st;
        if (length_s)
            *length_s = ln;
        rc = 1;
        break;
    }
    free(line);
    return rc;
}

SCOPE_API int scope_hist_print(FILE *f, const scope_hist *h, double scale, int32_t ticks)
{
    if (!f || !h || !(scale > 0))
        return scope__error(SCOPE_EINVAL, 0, "scope_hist_print: f or h is NULL or scale <= 0");
    if (ticks <= 0)
        ticks = 5;
    int ok = fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                     "1/(1-Percentile)") >= 0;
    if (h->total) {
        /* Percentile levels: within each half distance to 100, @ticks steps. */
        double level = 0;
        int64_t last_cum = -1;
        for (int half = 0; half < 64 && ok; half++) {
            double lo = 100.0 - 100.0 / pow(2.0, half);
            double hi = 100.0 - 100.0 / pow(2.0, half + 1);
            for (int t = 0; t < ticks && ok; t++) {
                level = lo + (hi - lo) * t / ticks;
                int64_t v = scope_hist_percentile(h, level);
                int64_t cum = 0;
                for (int32_t i = 0; i < h->counts_len; i++) {
                    if (value_at_index(h, i) > v)
                        break;
                    cum += h->counts[i];
                }
                double q = (double)cum / (double)h->total;
                if (cum == last_cum && cum != h->total)
                    continue;
                last_cum = cum;
                if (cum >= h->total) {
                    ok = fprintf(f, "%12.3f %2.12f %10" PRId64 "\n", (double)v / scale, 1.0,
                                 cum) >= 0;
                    goto done;
                }
                ok = fprintf(f, "%12.3f %2.12f %10" PRId64 " %14.2f\n", (double)v / scale, q, cum,
                             1.0 / (1.0 - q)) >= 0;
            }
        }
    }
done:
    if (ok)
        ok = fprintf(f,
                     "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
                     "#[Max     = %12.3f, Total count    = %12" PRId64 "]\n"
                     "#[Buckets = %12d, SubBuckets     = %12d]\n",
                     scope_hist_mean(h) / scale, scope_hist_stdev(h) / scale,
                     (double)scope_hist_max(h) / scale, h->total, (int)h->bucket_count,
                     (int)h->sub_bucket_count) >= 0;
    if (!ok)
        return scope__error_sys(SCOPE_EIO, errno, "writing a histogram table");
    return 0;
}
