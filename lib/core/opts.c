/* Size-tagged options structs (libbpf's rule): read only the fields inside
 * the caller's size, reject non-zero bytes past the fields we know. */
#include "../internal.h"

#include <string.h>

/* "scope_proc_opts" -> "SCOPE_PROC_OPTS" for messages naming the macro. */
static void upper(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        dst[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    dst[i] = '\0';
}

int scope__opts_copy(void *dst, const void *opts, size_t known_size, const char *type)
{
    memset(dst, 0, known_size);
    if (!opts) {
        *(size_t *)dst = known_size;
        return 0;
    }
    size_t size = *(const size_t *)opts;
    if (size < sizeof(size_t)) {
        char macro[64];
        upper(macro, sizeof macro, type);
        return scope__error(SCOPE_EINVAL, 0,
                            "%s.size is %zu: initialise the struct with %s_INIT or "
                            "%s_init(&opts, sizeof opts) before setting fields",
                            type, size, macro, type);
    }
    if (size > known_size) {
        const unsigned char *p = (const unsigned char *)opts;
        for (size_t i = known_size; i < size; i++)
            if (p[i])
                return scope__error(SCOPE_EINVAL, 0,
                                    "%s has a non-zero byte at offset %zu, past the %zu bytes "
                                    "this libscope (%s) knows: the program was built against a "
                                    "newer libscope; install that version or leave the new "
                                    "fields zero",
                                    type, i, known_size, SCOPE_VERSION_STRING);
        size = known_size;
    }
    memcpy(dst, opts, size);
    *(size_t *)dst = known_size;
    return 0;
}

int scope__opts_init(void *opts, size_t caller_size, size_t known_size, const char *type)
{
    if (!opts)
        return scope__error(SCOPE_EINVAL, 0, "%s pointer is NULL", type);
    if (caller_size < sizeof(size_t))
        return scope__error(SCOPE_EINVAL, 0,
                            "%s size %zu is too small: pass sizeof(struct)", type, caller_size);
    memset(opts, 0, caller_size);
    /* A caller built against an older header has a smaller struct: record its
     * size, so that the library reads only what the caller has. */
    *(size_t *)opts = caller_size < known_size ? caller_size : known_size;
    return 0;
}
