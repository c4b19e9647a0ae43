/* Command-line front of tests/fault_server.h for shell tests:
 *   fault_serve MODE BODY_FILE SECONDS
 * MODE: ok, reset, stall, trickle, malformed, oversized, mid-body, close.
 * Prints the port on stdout (one line, flushed), serves on 127.0.0.1 for at
 * most SECONDS (or until SIGTERM), then exits. */
#include <signal.h>

#include "fault_server.h"

static volatile sig_atomic_t done;
static void on_term(int sig)
{
    (void)sig;
    done = 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fault_serve MODE BODY_FILE SECONDS\n");
        return 2;
    }
    static const struct {
        const char *name;
        enum fault_mode mode;
    } modes[] = {{"ok", FAULT_OK},           {"reset", FAULT_RESET},
                 {"stall", FAULT_STALL},     {"trickle", FAULT_TRICKLE},
                 {"malformed", FAULT_MALFORMED}, {"oversized", FAULT_OVERSIZED},
                 {"mid-body", FAULT_MID_BODY}, {"close", FAULT_CONN_CLOSE}};
    int mode = -1;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        if (!strcmp(argv[1], modes[i].name))
            mode = (int)modes[i].mode;
    if (mode < 0) {
        fprintf(stderr, "fault_serve: unknown mode %s\n", argv[1]);
        return 2;
    }
    static char body[1 << 20];
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    size_t n = fread(body, 1, sizeof body - 1, f);
    body[n] = '\0';
    fclose(f);
    double secs = atof(argv[3]);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    struct fault_server s;
    if (fault_start(&s, (enum fault_mode)mode, body)) {
        perror("fault_serve: listen");
        return 1;
    }
    printf("%d\n", s.port);
    fflush(stdout);
    for (int i = 0; i < (int)(secs * 100) && !done; i++)
        fault_sleep_ms(10);
    fault_stop(&s);
    return 0;
}
