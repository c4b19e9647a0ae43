/* Small memory, string and parsing helpers. */
#include "../internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *scope__strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *scope__strndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (!r)
        return NULL;
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

int scope__grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return SCOPE_ENOMEM;
        nc *= 2;
    }
    void *p = realloc(*ptr, nc * elem);
    if (!p)
        return SCOPE_ENOMEM;
    *ptr = p;
    *cap = nc;
    return 0;
}

char *scope__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

void scope__buf_append(scope__buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (scope__grow((void **)&b->data, &b->cap, b->len + n + 1, 1)) {
        b->failed = 1;
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void scope__buf_puts(scope__buf *b, const char *s)
{
    scope__buf_append(b, s, strlen(s));
}

void scope__buf_printf(scope__buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        scope__buf_append(b, tmp, (size_t)n);
        return;
    }
    if (b->failed || scope__grow((void **)&b->data, &b->cap, b->len + (size_t)n + 1, 1)) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void scope__buf_free(scope__buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

ssize_t scope__pread_text(int fd, char *buf, size_t cap)
{
    ssize_t n;
    do
        n = pread(fd, buf, cap - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

int scope__parse_u64(const char **pp, const char *end, uint64_t *out)
{
    const char *p = *pp;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        p++;
    }
    *out = v;
    *pp = p;
    return 0;
}

int scope__kv_u64(const char *text, size_t len, const char *key, uint64_t *out)
{
    size_t kl = strlen(key);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > kl && memcmp(p, key, kl) == 0) {
            const char *q = p + kl;
            if (*q == ':')
                q++;
            if (q < eol && (*q == ' ' || *q == '\t'))
                return scope__parse_u64(&q, eol, out);
        }
        p = eol + 1;
    }
    return -1;
}
