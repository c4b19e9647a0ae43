/* cgroup discovery: mounts from mountinfo, paths of processes, container
 * ids and pod uids resolved against the Kubernetes layouts. */
#include "cgroup_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

SCOPE_API const char *scope_cgroup_mode_name(int mode)
{
    switch (mode) {
    case SCOPE_CGROUP_MODE_NONE: return "none";
    case SCOPE_CGROUP_MODE_V1: return "v1";
    case SCOPE_CGROUP_MODE_V2: return "v2";
    case SCOPE_CGROUP_MODE_HYBRID: return "hybrid";
    default: return "unknown";
    }
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

int scope__cg_parse_mountinfo_line(char *line, const char **dir, const char **root,
                                   const char **superopts, int *version)
{
    /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
    char *f[6];
    char *save = NULL, *tok = strtok_r(line, " \n", &save);
    int n = 0;
    for (; tok && n < 6; n++, tok = strtok_r(NULL, " \n", &save))
        f[n] = tok;
    if (n < 6)
        return -1;
    /* skip optional fields up to the lone "-" */
    while (tok && strcmp(tok, "-") != 0)
        tok = strtok_r(NULL, " \n", &save);
    if (!tok)
        return -1;
    char *fstype = strtok_r(NULL, " \n", &save);
    char *source = strtok_r(NULL, " \n", &save);
    char *sopts = strtok_r(NULL, " \n", &save);
    if (!fstype || !source)
        return -1;
    int v;
    if (strcmp(fstype, "cgroup") == 0)
        v = 1;
    else if (strcmp(fstype, "cgroup2") == 0)
        v = 2;
    else
        return 0;
    unescape(f[3]);
    unescape(f[4]);
    *root = f[3];
    *dir = f[4];
    *superopts = sopts ? sopts : "";
    *version = v;
    return 1;
}

int scope__cg_list_has(const char *list, const char *word)
{
    size_t wl = strlen(word);
    const char *p = list;
    while (p && *p) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == wl && memcmp(p, word, wl) == 0)
            return 1;
        p = c ? c + 1 : NULL;
    }
    return 0;
}

static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return 0;
}

SCOPE_API void scope_cgroup_mounts_free(scope_cgroup_mounts *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->m[i].dir);
        free(m->m[i].root);
        free(m->m[i].opts);
    }
    free(m->m);
    free(m->prefix);
    free(m->v2_controllers);
    free(m);
}

static void strip_trailing_slashes(char *s)
{
    size_t l = strlen(s);
    while (l > 1 && s[l - 1] == '/')
        s[--l] = '\0';
}

SCOPE_API int scope_cgroup_mounts_new(scope_cgroup_mounts **out, const char *root)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_mounts_new: out is NULL");
    *out = NULL;
    scope_cgroup_mounts *m = calloc(1, sizeof *m);
    if (!m)
        return scope__enomem("a cgroup mount table");
    m->prefix = scope__strdup(root && strcmp(root, "/") != 0 ? root : "");
    if (!m->prefix) {
        free(m);
        return scope__enomem("a cgroup mount table");
    }
    strip_trailing_slashes(m->prefix);
    if (strcmp(m->prefix, "/") == 0)
        m->prefix[0] = '\0';
    char path[4096];
    snprintf(path, sizeof path, "%s/proc/self/mountinfo", m->prefix);
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        scope_cgroup_mounts_free(m);
        if (e == EMFILE || e == ENFILE)
            return scope__error_sys(SCOPE_ELIMIT, e,
                                    "cannot open %s: out of file descriptors (raise "
                                    "RLIMIT_NOFILE, ulimit -n, or close some)", path);
        return scope__error_sys(SCOPE_ENOENT, e, "cannot read %s (is /proc mounted?)", path);
    }
    char *line = NULL;
    size_t lcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, f) > 0) {
        const char *dir, *mroot, *sopts;
        int v;
        int r = scope__cg_parse_mountinfo_line(line, &dir, &mroot, &sopts, &v);
        if (r == 0)
            continue;
        if (r < 0)
            continue; /* torn or foreign line: only cgroup mounts matter */
        struct scope__cg_mount *nm = realloc(m->m, (m->n + 1) * sizeof *nm);
        if (!nm) {
            rc = scope__enomem("a cgroup mount table");
            break;
        }
        m->m = nm;
        struct scope__cg_mount *e = &m->m[m->n];
        e->dir = scope__asprintf("%s%s", m->prefix, strcmp(dir, "/") == 0 && m->prefix[0] ? "" : dir);
        e->root = scope__strdup(mroot);
        e->opts = scope__strdup(sopts);
        e->version = v;
        if (!e->dir || !e->root || !e->opts) {
            free(e->dir);
            free(e->root);
            free(e->opts);
            rc = scope__enomem("a cgroup mount table");
            break;
        }
        m->n++;
    }
    free(line);
    fclose(f);
    if (!rc && m->n == 0)
        rc = scope__error(SCOPE_ENOENT, 0,
                          "%s lists no cgroup or cgroup2 mount; mount one (mount -t cgroup2 none "
                          "/sys/fs/cgroup) or pass the root of a tree that has one",
                          path);
    if (rc) {
        scope_cgroup_mounts_free(m);
        return rc;
    }
    for (size_t i = 0; i < m->n; i++)
        if (m->m[i].version == 2) {
            char buf[1024];
            size_t len;
            snprintf(path, sizeof path, "%s/cgroup.controllers", m->m[i].dir);
            if (read_small(path, buf, sizeof buf, &len) == 0) {
                for (char *p = buf; *p; p++)
                    if (*p == ' ' || *p == '\n')
                        *p = ',';
                m->v2_controllers = scope__strdup(buf);
            }
            break;
        }
    *out = m;
    return 0;
}

SCOPE_API int scope_cgroup_mounts_mode(const scope_cgroup_mounts *m)
{
    if (!m)
        return SCOPE_CGROUP_MODE_NONE;
    int v1 = 0, v2 = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->m[i].version == 2)
            v2 = 1;
        else {
            /* a v1 hierarchy with only name=... holds no controller */
            const char *o = m->m[i].opts;
            int named_only = strstr(o, "name=") != NULL;
            static const char *const ctl[] = {"cpu", "cpuacct", "memory", "blkio", "pids",
                                              "cpuset", "devices", "freezer", "net_cls",
                                              "perf_event", "hugetlb", "rdma", "misc", NULL};
            for (int k = 0; ctl[k]; k++)
                if (scope__cg_list_has(o, ctl[k]))
                    named_only = 0;
            if (!named_only)
                v1 = 1;
        }
    }
    if (v1 && v2)
        return SCOPE_CGROUP_MODE_HYBRID;
    if (v1)
        return SCOPE_CGROUP_MODE_V1;
    if (v2)
        return SCOPE_CGROUP_MODE_V2;
    return SCOPE_CGROUP_MODE_NONE;
}

static const struct scope__cg_mount *find_mount(const scope_cgroup_mounts *m, const char *ctl)
{
    const struct scope__cg_mount *best = NULL;
    if (!ctl || !*ctl) {
        for (size_t i = 0; i < m->n; i++)
            if (m->m[i].version == 2 && (!best || strcmp(m->m[i].root, "/") == 0))
                best = &m->m[i];
        return best;
    }
    for (size_t i = 0; i < m->n; i++)
        if (m->m[i].version == 1 && scope__cg_list_has(m->m[i].opts, ctl) &&
            (!best || strcmp(m->m[i].root, "/") == 0))
            best = &m->m[i];
    if (best)
        return best;
    if (m->v2_controllers && scope__cg_list_has(m->v2_controllers, ctl))
        return find_mount(m, NULL);
    /* A pure v2 host whose root lists no controllers still has the core
     * files (cpu.stat, PSI) in every cgroup. */
    if (scope_cgroup_mounts_mode(m) == SCOPE_CGROUP_MODE_V2 && strcmp(ctl, "cpuacct") != 0)
        return find_mount(m, NULL);
    return NULL;
}

SCOPE_API int scope_cgroup_mounts_find(const scope_cgroup_mounts *m, const char *controller,
                                       const char **dir, int *version)
{
    if (!m)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_mounts_find: mounts is NULL");
    const struct scope__cg_mount *e = find_mount(m, controller);
    if (!e)
        return scope__error(SCOPE_ENOENT, 0,
                            "cgroup controller '%s' is not mounted (see /proc/self/mountinfo); "
                            "mount its hierarchy or enable it in the v2 root's "
                            "cgroup.subtree_control",
                            controller && *controller ? controller : "cgroup2");
    if (dir)
        *dir = e->dir;
    if (version)
        *version = e->version;
    return 0;
}

int scope__cg_primary(const scope_cgroup_mounts *m, const char **dir, int *version,
                      const char **controller)
{
    static const char *const order[] = {"cpuacct", "cpu", "memory", "pids", "", "name=systemd"};
    if (scope_cgroup_mounts_mode(m) == SCOPE_CGROUP_MODE_V2) {
        if (controller)
            *controller = "";
        return scope_cgroup_mounts_find(m, "", dir, version);
    }
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        const struct scope__cg_mount *e = find_mount(m, order[i]);
        if (e) {
            if (dir)
                *dir = e->dir;
            if (version)
                *version = e->version;
            if (controller)
                *controller = order[i];
            return 0;
        }
    }
    return scope__error(SCOPE_ENOENT, 0, "no cgroup hierarchy is mounted");
}

int scope__cg_dir(char *buf, size_t cap, const scope_cgroup_mounts *m, const char *controller,
                  const char *path)
{
    const struct scope__cg_mount *e = find_mount(m, controller);
    if (!e)
        return SCOPE_ENOENT;
    /* The mount shows hierarchy path e->root at e->dir. */
    size_t rl = strlen(e->root);
    const char *rest = path;
    if (strcmp(e->root, "/") != 0) {
        if (strncmp(path, e->root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
            return SCOPE_ENOENT;
        rest = path + rl;
    }
    if (strcmp(rest, "/") == 0)
        rest = "";
    int n = snprintf(buf, cap, "%s%s", e->dir, rest);
    if (n < 0 || (size_t)n >= cap)
        return SCOPE_ENOSPC;
    return 0;
}

int scope__cg_parse_pid_cgroup(const char *text, size_t len, const char *controller, char *buf,
                               size_t cap)
{
    const char *p = text, *end = text + len;
    int want_v2 = !controller || !*controller;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        /* hierarchy-id:controller-list:path */
        const char *c1 = memchr(p, ':', (size_t)(eol - p));
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
        if (c1 && c2) {
            int match;
            if (want_v2) {
                match = c1 - p == 1 && p[0] == '0' && c2 == c1 + 1;
            } else {
                char list[256];
                size_t l = (size_t)(c2 - c1 - 1);
                if (l >= sizeof list)
                    l = sizeof list - 1;
                memcpy(list, c1 + 1, l);
                list[l] = '\0';
                match = scope__cg_list_has(list, controller);
            }
            if (match) {
                size_t l = (size_t)(eol - c2 - 1);
                if (l + 1 > cap)
                    return -2;
                memcpy(buf, c2 + 1, l);
                buf[l] = '\0';
                return 0;
            }
        }
        p = eol + 1;
    }
    return -1;
}

SCOPE_API int scope_cgroup_pid_path(char *buf, size_t cap, const scope_cgroup_mounts *m, int pid,
                                    const char *controller)
{
    if (!buf || !cap || !m || pid <= 0)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_cgroup_pid_path: NULL buffer or mounts, or pid %d <= 0", pid);
    const char *ctl = controller;
    if (!ctl || !*ctl) {
        if (scope__cg_primary(m, NULL, NULL, &ctl))
            return SCOPE_ENOENT;
        if (!*ctl)
            ctl = NULL;
    }
    char path[4096], text[8192];
    size_t len;
    snprintf(path, sizeof path, "%s/proc/%d/cgroup", m->prefix, pid);
    int e = read_small(path, text, sizeof text, &len);
    if (e)
        return scope__error_sys(e == -ENOENT || e == -ESRCH ? SCOPE_EGONE : SCOPE_EIO, -e,
                                "cannot read %s; check that process %d exists", path, pid);
    /* A controller that lives on the v2 side of the host uses the 0:: line. */
    const struct scope__cg_mount *mt = find_mount(m, ctl);
    if (ctl && mt && mt->version == 2)
        ctl = NULL;
    int r = scope__cg_parse_pid_cgroup(text, len, ctl, buf, cap);
    if (r == -2)
        return scope__error(SCOPE_ENOSPC, 0, "cgroup path of process %d is longer than %zu bytes",
                            pid, cap);
    if (r)
        return scope__error(SCOPE_ENOENT, 0, "%s has no line for controller '%s'", path,
                            ctl ? ctl : "cgroup2 (0::)");
    return 0;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* The container id named by one path component (len bytes), or NULL. */
static const char *component_id(const char *c, size_t len, size_t *idlen)
{
    if (len == 64 && is_hex(c, 64)) {
        *idlen = 64;
        return c;
    }
    static const char *const pre[] = {"docker-", "crio-", "cri-containerd-", "libpod-", NULL};
    if (len > 6 + 64 && memcmp(c + len - 6, ".scope", 6) == 0) {
        for (int i = 0; pre[i]; i++) {
            size_t pl = strlen(pre[i]);
            if (len == pl + 64 + 6 && memcmp(c, pre[i], pl) == 0 && is_hex(c + pl, 64)) {
                *idlen = 64;
                return c + pl;
            }
        }
    }
    return NULL;
}

SCOPE_API int scope_cgroup_container_id(char *buf, size_t cap, const char *path)
{
    if (!buf || !cap || !path)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_container_id: NULL argument");
    size_t l = strlen(path);
    while (l > 1 && path[l - 1] == '/')
        l--;
    const char *s = path + l;
    while (s > path && s[-1] != '/')
        s--;
    size_t idl;
    const char *id = component_id(s, (size_t)(path + l - s), &idl);
    if (!id)
        return SCOPE_ENOENT; /* not an error worth a message: most cgroups are not containers */
    if (idl + 1 > cap)
        return scope__error(SCOPE_ENOSPC, 0, "container id needs %zu bytes", idl + 1);
    memcpy(buf, id, idl);
    buf[idl] = '\0';
    return 0;
}

/* A pod uid in one component: "pod<uid>" or "...-pod<uid_>.slice". */
static int component_pod(const char *c, size_t len, char *uid, size_t cap)
{
    const char *u = NULL;
    size_t ul = 0;
    if (len == 3 + 36 && memcmp(c, "pod", 3) == 0) {
        u = c + 3;
        ul = 36;
    } else if (len > 6 && memcmp(c + len - 6, ".slice", 6) == 0) {
        for (size_t i = 0; i + 4 + 36 + 6 <= len; i++)
            if (memcmp(c + i, "-pod", 4) == 0 && i + 4 + 36 + 6 == len) {
                u = c + i + 4;
                ul = 36;
            }
    }
    if (!u)
        return -1;
    for (size_t i = 0; i < ul; i++) {
        char ch = u[i];
        int dashpos = i == 8 || i == 13 || i == 18 || i == 23;
        if (dashpos ? (ch != '-' && ch != '_') : !isxdigit((unsigned char)ch))
            return -1;
    }
    if (cap < ul + 1)
        return -2;
    for (size_t i = 0; i < ul; i++)
        uid[i] = u[i] == '_' ? '-' : u[i];
    uid[ul] = '\0';
    return 0;
}

SCOPE_API int scope_cgroup_pod_uid(char *buf, size_t cap, const char *path)
{
    if (!buf || !cap || !path)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_pod_uid: NULL argument");
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        int r = component_pod(p, l, buf, cap);
        if (r == 0)
            return 0;
        if (r == -2)
            return scope__error(SCOPE_ENOSPC, 0, "a pod uid needs 37 bytes");
        p += l;
    }
    return SCOPE_ENOENT;
}

/* Depth-first search of the primary hierarchy for directories whose name
 * matches. mode 0: container id prefix; mode 1: pod uid. */
struct search {
    const char *want;
    size_t wantlen;
    int mode;
    char found[4096];
    int nfound;
    char rel[4096]; /* current hierarchy-relative path */
};

static void walk(struct search *s, const char *dir, size_t rel_len, int depth)
{
    if (depth > 10 || s->nfound > 1)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
            continue;
        size_t nl = strlen(e->d_name);
        if (rel_len + 1 + nl >= sizeof s->rel)
            continue;
        char sub[8192];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            if (stat(sub, &st) || !S_ISDIR(st.st_mode))
                continue;
        }
        s->rel[rel_len] = '/';
        memcpy(s->rel + rel_len + 1, e->d_name, nl + 1);
        int hit = 0;
        if (s->mode == 0) {
            size_t idl;
            const char *id = component_id(e->d_name, nl, &idl);
            hit = id && s->wantlen <= idl && memcmp(id, s->want, s->wantlen) == 0;
        } else {
            char uid[40];
            hit = component_pod(e->d_name, nl, uid, sizeof uid) == 0 && strcmp(uid, s->want) == 0;
        }
        if (hit) {
            if (s->nfound == 0)
                memcpy(s->found, s->rel, rel_len + 1 + nl + 1);
            s->nfound++;
            if (s->mode == 1)
                continue; /* a pod's children are its containers */
        }
        walk(s, sub, rel_len + 1 + nl, depth + 1);
    }
    closedir(d);
}

static int copy_out(char *buf, size_t cap, const char *s)
{
    size_t l = strlen(s);
    if (l + 1 > cap)
        return scope__error(SCOPE_ENOSPC, 0, "cgroup path needs %zu bytes", l + 1);
    memcpy(buf, s, l + 1);
    return 0;
}

static int exists_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

SCOPE_API int scope_cgroup_resolve(char *buf, size_t cap, const scope_cgroup_mounts *m,
                                   const char *spec)
{
    if (!buf || !cap || !m || !spec)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_resolve: NULL argument");
    const char *pdir, *pctl;
    int pver;
    int rc = scope__cg_primary(m, &pdir, &pver, &pctl);
    if (rc)
        return rc;
    if (strncmp(spec, "pid:", 4) == 0) {
        char *end;
        long pid = strtol(spec + 4, &end, 10);
        if (*end || pid <= 0 || pid > 0x7fffffff)
            return scope__error(SCOPE_EINVAL, 0, "'%s' is not pid:<number>", spec);
        return scope_cgroup_pid_path(buf, cap, m, (int)pid, NULL);
    }
    if (strncmp(spec, "container:", 10) == 0 || strncmp(spec, "pod:", 4) == 0) {
        struct search *s = calloc(1, sizeof *s);
        if (!s)
            return scope__enomem("a cgroup search");
        s->mode = spec[0] == 'p';
        char uid[40];
        if (s->mode == 0) {
            s->want = spec + 10;
            s->wantlen = strlen(s->want);
            if (s->wantlen < 12 || s->wantlen > 64 || !is_hex(s->want, s->wantlen)) {
                free(s);
                return scope__error(SCOPE_EINVAL, 0,
                                    "'%s': a container id is 12 to 64 lower-case hex digits",
                                    spec);
            }
        } else {
            const char *u = spec + 4;
            char tmp[48];
            snprintf(tmp, sizeof tmp, "pod%.40s", u);
            if (strlen(u) != 36 || component_pod(tmp, 39, uid, sizeof uid) != 0) {
                free(s);
                return scope__error(SCOPE_EINVAL, 0,
                                    "'%s': a pod uid is 36 characters, 8-4-4-4-12 hex digits",
                                    spec);
            }
            s->want = uid;
            s->wantlen = 36;
        }
        /* the walk starts at the mounted root, which shows hierarchy path root */
        const struct scope__cg_mount *mt = find_mount(m, *pctl ? pctl : NULL);
        size_t rl = 0;
        if (mt && strcmp(mt->root, "/") != 0) {
            rl = strlen(mt->root);
            if (rl >= sizeof s->rel)
                rl = 0;
            memcpy(s->rel, mt->root, rl);
        }
        s->rel[rl] = '\0';
        walk(s, pdir, rl, 0);
        if (s->nfound == 0) {
            rc = scope__error(SCOPE_ENOENT, 0,
                              "no cgroup under %s matches %s (looked for the cgroupfs and "
                              "systemd Kubernetes layouts); check the id, or that the "
                              "container still runs",
                              pdir, spec);
        } else if (s->nfound > 1) {
            rc = scope__error(SCOPE_EEXIST, 0,
                              "%s matches more than one cgroup under %s (first: %s); give more "
                              "digits",
                              spec, pdir, s->found);
        } else {
            rc = copy_out(buf, cap, s->found);
        }
        free(s);
        return rc;
    }
    if (spec[0] != '/')
        return scope__error(SCOPE_EINVAL, 0,
                            "'%s' is not a cgroup: give /path, pid:<n>, container:<id> or "
                            "pod:<uid>",
                            spec);
    char clean[4096];
    if (copy_out(clean, sizeof clean, spec))
        return SCOPE_ENOSPC;
    strip_trailing_slashes(clean);
    /* An absolute path under one of the mounts. */
    for (size_t i = 0; i < m->n; i++) {
        const char *d = m->m[i].dir;
        size_t dl = strlen(d);
        const char *s2 = clean;
        /* fixture roots: accept the path with or without the prefix */
        if (m->prefix[0] && strncmp(d, m->prefix, strlen(m->prefix)) == 0 &&
            strncmp(clean, m->prefix, strlen(m->prefix)) != 0) {
            d += strlen(m->prefix);
            dl = strlen(d);
        }
        if (dl && strncmp(s2, d, dl) == 0 && (s2[dl] == '/' || s2[dl] == '\0')) {
            if (!exists_dir(clean) && !exists_dir(m->m[i].dir))
                break;
            const char *rest = s2[dl] ? s2 + dl : "/";
            char rel[4096];
            if (strcmp(m->m[i].root, "/") == 0)
                snprintf(rel, sizeof rel, "%s", rest);
            else
                snprintf(rel, sizeof rel, "%s%s", m->m[i].root, strcmp(rest, "/") ? rest : "");
            char full[8192];
            snprintf(full, sizeof full, "%s%s", m->m[i].dir, s2[dl] ? s2 + dl : "");
            if (!exists_dir(full))
                return scope__error(SCOPE_ENOENT, 0, "cgroup directory %s does not exist", full);
            return copy_out(buf, cap, rel);
        }
    }
    /* A hierarchy-relative path: it must exist in the primary hierarchy, or
     * else in another one (a v1 host may hold it under memory only). */
    char full[8192];
    rc = scope__cg_dir(full, sizeof full, m, *pctl ? pctl : NULL, clean);
    if (rc == 0 && exists_dir(full))
        return copy_out(buf, cap, clean);
    for (size_t i = 0; i < m->n; i++) {
        const struct scope__cg_mount *e = &m->m[i];
        size_t rl = strlen(e->root);
        const char *rest = clean;
        if (strcmp(e->root, "/") != 0) {
            if (strncmp(clean, e->root, rl) != 0 || (clean[rl] != '/' && clean[rl] != '\0'))
                continue;
            rest = clean + rl;
        }
        snprintf(full, sizeof full, "%s%s", e->dir, strcmp(rest, "/") ? rest : "");
        if (exists_dir(full))
            return copy_out(buf, cap, clean);
    }
    return scope__error(SCOPE_ENOENT, 0,
                        "cgroup %s does not exist under %s; give a path relative to the "
                        "hierarchy root as /proc/<pid>/cgroup shows it",
                        clean, pdir);
}
