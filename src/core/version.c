/* version.c — library version string with the git revision baked in at configure time. */
#include "tide/core.h"

#ifndef TIDE_GIT_REV
#define TIDE_GIT_REV "unknown"
#endif

const char *tide_version(void) { return TIDE_VERSION_STRING " (git " TIDE_GIT_REV ")"; }
