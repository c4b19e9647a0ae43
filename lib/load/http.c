/* HTTP/1.x response parsing: status line, headers that delimit the body,
 * chunked transfer coding. Pure functions. */
#include "http.h"

#include <string.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != b[i])
            return 0;
    return 1;
}

static int is_tchar(int c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Does the comma-separated token list @v contain @tok (case-insensitive)?
 * With @last, only its last element counts. */
static int has_token(const char *v, size_t n, const char *tok, int last)
{
    int found = 0;
    size_t i = 0;
    while (i <= n) {
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (s < e && (v[s] == ' ' || v[s] == '\t'))
            s++;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        int m = ieq(v + s, e - s, tok);
        if (last)
            found = m;
        else if (m)
            return 1;
        i++;
    }
    return found;
}

int scope__http_head_parse(const char *buf, size_t len, struct scope__http_head *h)
{
    h->status = 0;
    h->minor = 1;
    h->content_length = -1;
    h->chunked = 0;
    h->close = 0;
    int keep_alive = 0, te = 0;
    size_t pos = 0, lineno = 0;
    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            return len >= SCOPE__HTTP_HEAD_MAX ? -1 : 0;
        size_t end = (size_t)(nl - buf), next = end + 1;
        if (next > SCOPE__HTTP_HEAD_MAX)
            return -1;
        if (end > pos && buf[end - 1] == '\r')
            end--;
        const char *l = buf + pos;
        size_t n = end - pos;
        if (lineno == 0) {
            /* HTTP/1.x SP 3DIGIT [SP reason] */
            if (n < 12 || memcmp(l, "HTTP/1.", 7) || l[7] < '0' || l[7] > '9' || l[8] != ' ')
                return -1;
            h->minor = l[7] - '0';
            for (int i = 9; i < 12; i++)
                if (l[i] < '0' || l[i] > '9')
                    return -1;
            h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
            if (h->status < 100 || (n > 12 && l[12] != ' '))
                return -1;
        } else if (n == 0) {
            if (te && !h->chunked)
                h->close = 1; /* unknown coding: the body runs to the close */
            if (h->minor == 0 && !keep_alive)
                h->close = 1;
            if (h->chunked)
                h->content_length = -1;
            return (int)next;
        } else {
            size_t c = 0;
            while (c < n && is_tchar((unsigned char)l[c]))
                c++;
            if (c == 0 || c >= n || l[c] != ':')
                return -1; /* no name, or blank before the colon (RFC 9112 5.1) */
            const char *v = l + c + 1;
            size_t vn = n - c - 1;
            while (vn && (*v == ' ' || *v == '\t'))
                v++, vn--;
            while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
                vn--;
            if (ieq(l, c, "content-length")) {
                if (!vn)
                    return -1;
                int64_t x = 0;
                for (size_t i = 0; i < vn; i++) {
                    if (v[i] < '0' || v[i] > '9' || x > (INT64_MAX - 9) / 10)
                        return -1;
                    x = x * 10 + (v[i] - '0');
                }
                if (h->content_length >= 0 && h->content_length != x)
                    return -1;
                h->content_length = x;
            } else if (ieq(l, c, "transfer-encoding")) {
                te = 1;
                h->chunked = has_token(v, vn, "chunked", 1);
            } else if (ieq(l, c, "connection")) {
                if (has_token(v, vn, "close", 0))
                    h->close = 1;
                if (has_token(v, vn, "keep-alive", 0))
                    keep_alive = 1;
            }
        }
        pos = next;
        lineno++;
    }
}

int scope__http_body_mode(const struct scope__http_head *h, int head_request)
{
    if (head_request || (h->status >= 100 && h->status < 200) || h->status == 204 ||
        h->status == 304)
        return SCOPE__BODY_NONE;
    if (h->chunked)
        return SCOPE__BODY_CHUNKED;
    if (h->content_length >= 0)
        return h->content_length ? SCOPE__BODY_LENGTH : SCOPE__BODY_NONE;
    return SCOPE__BODY_EOF;
}

enum { CK_SIZE, CK_DATA, CK_DATA_END, CK_TRAILER };

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int scope__http_chunk_feed(struct scope__http_chunk *c, const char *buf, size_t len,
                           size_t *used)
{
    size_t pos = 0;
    *used = 0;
    for (;;) {
        switch (c->state) {
        case CK_SIZE: {
            const char *nl = memchr(buf + pos, '\n', len - pos);
            if (!nl) {
                *used = pos;
                return len - pos > 1024 ? -1 : 0;
            }
            size_t end = (size_t)(nl - buf);
            int64_t x = 0;
            size_t i = pos, digits = 0;
            for (; i < end; i++, digits++) {
                int d = hexval((unsigned char)buf[i]);
                if (d < 0)
                    break;
                if (x > (INT64_MAX >> 4))
                    return -1;
                x = x * 16 + d;
            }
            if (!digits)
                return -1;
            /* after the digits: optional blanks, ";ext", then [CR]LF */
            while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
            if (i < end && buf[i] != ';' && !(buf[i] == '\r' && i + 1 == end))
                return -1;
            pos = end + 1;
            c->left = x;
            c->state = x ? CK_DATA : CK_TRAILER;
            break;
        }
        case CK_DATA: {
            size_t avail = len - pos;
            size_t take = (int64_t)avail < c->left ? avail : (size_t)c->left;
            pos += take;
            c->left -= take;
            c->body += (int64_t)take;
            if (c->left) {
                *used = pos;
                return 0;
            }
            c->state = CK_DATA_END;
            break;
        }
        case CK_DATA_END:
            if (pos < len && buf[pos] == '\r')
                pos++, c->left = 1; /* remember the CR across reads */
            if (pos >= len) {
                *used = pos;
                return 0;
            }
            if (buf[pos] != '\n')
                return -1;
            pos++;
            c->left = 0;
            c->state = CK_SIZE;
            break;
        case CK_TRAILER: {
            const char *nl = memchr(buf + pos, '\n', len - pos);
            if (!nl) {
                *used = pos;
                return len - pos > 8192 ? -1 : 0;
            }
            size_t end = (size_t)(nl - buf);
            size_t n = end - pos;
            pos = end + 1;
            if (n == 0 || (n == 1 && buf[end - 1] == '\r')) {
                *used = pos;
                return 1;
            }
            break;
        }
        default:
            return -1;
        }
    }
}
