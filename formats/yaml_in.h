/* SPDX-License-Identifier: MIT */
/* yaml_in.h - loader internals shared with resolve.c. */
#ifndef KVMPROF_YAML_IN_H
#define KVMPROF_YAML_IN_H

#include "profile.h"

/* Loads one file; names in values may refer to what `base` states. */
struct profile *profile_load_with_base(const char *path, const struct profile *base, struct diag *d);

/* Reads only the `base:` of a file (NULL if none or unreadable; errors are
 * left to the full load). Caller frees. *pos gets the value's position. */
char *profile_peek_base(const char *path, struct diag *d, struct srcpos *pos);

#endif /* KVMPROF_YAML_IN_H */
