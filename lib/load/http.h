/* HTTP/1.x response parsing for the load engine: small pure functions, no
 * allocation, incremental (callers keep unconsumed bytes and call again). */
#ifndef SCOPE_LOAD_HTTP_H
#define SCOPE_LOAD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define SCOPE__HTTP_HEAD_MAX 65536

/* What the engine needs from a response head. */
struct scope__http_head {
    int status;             /* 100..999 */
    int minor;              /* HTTP/1.<minor> */
    int64_t content_length; /* -1 when absent */
    int chunked;            /* Transfer-Encoding ends in chunked */
    int close;              /* the connection ends after this response */
};

/* Parses a response head at @buf. Returns the head's length in bytes
 * (through the empty line) when complete, 0 when more bytes are needed, or
 * -1 when malformed (or longer than SCOPE__HTTP_HEAD_MAX). Lines may end in
 * CRLF or LF. */
int scope__http_head_parse(const char *buf, size_t len, struct scope__http_head *h);

/* How the body of a response is delimited. */
enum { SCOPE__BODY_NONE, SCOPE__BODY_LENGTH, SCOPE__BODY_CHUNKED, SCOPE__BODY_EOF };
/* RFC 9112 section 6.3: the body mode for @h, given the request was HEAD. */
int scope__http_body_mode(const struct scope__http_head *h, int head_request);

/* A chunked-body decoder. Zero-initialise before the body. */
struct scope__http_chunk {
    int state;
    int64_t left;    /* data bytes left in the current chunk */
    int64_t body;    /* data bytes seen so far */
};

/* Consumes chunked data from @buf. Sets *used to the bytes consumed (a
 * partial size or trailer line is left unconsumed). Returns 1 when the body
 * (with trailers) is complete, 0 when more is needed, -1 when malformed. */
int scope__http_chunk_feed(struct scope__http_chunk *c, const char *buf, size_t len,
                           size_t *used);

#endif
