// corpus: fuzz/evspec
/* Event specifications as users write them (-e lists with {groups},
 * modifiers, raw rNNNN, pmu/terms/, aliases), resolved against the skylakex
 * and amdzen4 fixture trees; libpfm4 is not consulted (its tables are not
 * ours to fuzz and make runs slow). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmu/pmu_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root_intel[4096], root_amd[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(root_intel, sizeof root_intel, "%s/tests/fixtures/sysfs/skylakex", SCOPE_SOURCE_DIR);
    snprintf(root_amd, sizeof root_amd, "%s/tests/fixtures/sysfs/amdzen4", SCOPE_SOURCE_DIR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    const char *root = (data[0] & 1) ? root_amd : root_intel;
    char *z = malloc(size);
    if (!z)
        return 0;
    memcpy(z, data + 1, size - 1);
    z[size - 1] = '\0';
    struct scope__evlist l;
    memset(&l, 0, sizeof l);
    if (scope__evlist_parse(&l, z, root, SCOPE__EV_NO_LIBPFM) == 0) {
        for (size_t i = 0; i < l.n; i++)
            if (l.ev[i].group < 0 || l.ev[i].group >= l.ngroups || !l.ev[i].name)
                abort();
    }
    scope__evlist_free(&l);
    struct scope__evspec e;
    memset(&e, 0, sizeof e);
    scope__event_parse(&e, z, root, SCOPE__EV_NO_LIBPFM);
    scope__evspec_free(&e);
    free(z);
    return 0;
}
