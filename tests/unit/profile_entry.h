/* SPDX-License-Identifier: MIT */
/*
 * profile_entry.h - looking an entry of a loaded profile up by name, for the
 * cmocka tests (header only, like golden.h).
 */
#ifndef KVMPROF_TEST_PROFILE_ENTRY_H
#define KVMPROF_TEST_PROFILE_ENTRY_H

#include <string.h>

#include "profile.h"

/* p's entry named `name` (the first, in p's order), or NULL. */
static inline const struct pentry *entry_named(const struct profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_entries; i++)
		if (!strcmp(p->entries[i].name, name))
			return &p->entries[i];
	return NULL;
}

#endif
