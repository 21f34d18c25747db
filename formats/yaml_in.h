/* SPDX-License-Identifier: MIT */
/* yaml_in.h - one parse of a YAML file, shared by the loader (yaml_in.c),
 * resolve.c and the host: reader (host_in.c). */
#ifndef KVMPROF_YAML_IN_H
#define KVMPROF_YAML_IN_H

#include <yaml.h>

#include "profile.h"

/*
 * A file read and parsed once, by input.c's strict reader (limits, repeated
 * keys reported then). resolve.c takes its base: from it, the loader the
 * model, host_in.c the host: and vcpu: register-set: sections; a loaded
 * profile keeps it (and its base chain's) for them (struct profile's src).
 */
struct yaml_file {
	char *path;
	char *text;
	size_t len;
	yaml_document_t doc;
	struct input_yaml *dups; /* repeated keys, skipped by every reader */
};

/* Reads and parses path; NULL after reporting why in d. */
struct yaml_file *yaml_file_open(const char *path, struct diag *d);
/* Frees f; NULL is ignored. */
void yaml_file_close(struct yaml_file *f);
/* path interned in d, which gets the text for quoting lines. */
const char *yaml_file_name(const struct yaml_file *f, struct diag *d);

/* The top-level `base:` of f (NULL if none); *pos gets the value's position. */
const char *yaml_file_base(const struct yaml_file *f, struct diag *d, struct srcpos *pos);

/* Loads the profile f states; names in values may refer to what `base`
 * states. The profile takes f (profile_free() closes it). */
struct profile *profile_load_file(struct yaml_file *f, const struct profile *base, struct diag *d);

#endif /* KVMPROF_YAML_IN_H */
