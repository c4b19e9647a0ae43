#include "../internal.h"

SCOPE_API const char *scope_version(void) { return SCOPE_VERSION_STRING; }
SCOPE_API int scope_version_number(void) { return SCOPE_VERSION_NUMBER; }
