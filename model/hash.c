/* SPDX-License-Identifier: MIT */
/*
 * hash.c - the source hash of a resolved profile, "fnv1a64:<16 hex digits>".
 *
 * The hash is FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3; Fowler, Noll, Vo, IETF draft-eastlake-fnv), taken over the
 * bytes of this canonical rendering of what the compiled tables mean:
 *
 *   kvmprof-hash 1\n
 *   name <S>\n
 *   arch <D>\n
 *   format <D>\n
 *   requires <S>\n
 *   entries <D>\n
 *   then per entry, in table order:
 *   entry <S> kind <D> phase <D> policy <D> width <D> reg <D> flags <X>
 *         group <X> aux <X> id <X> value <X> mask <X>
 *         args <X> <X> <X> <X> requires <S> fields <D>\n     (one line)
 *   and per field of that entry, in order:
 *   field <S> shift <D> width <D> policy <D> flags <X> value <X>\n
 *
 * <D> is a decimal number, <X> lowercase hex with "0x", and <S> a string
 * as "<byte length>:<bytes>" (so no content can imitate the framing), or
 * "-" for an absent string (a missing requires:).
 *
 * Left out on purpose: file names, origins (line:col), the base profile an
 * entry came from, the description and the provenance. Moving or
 * re-indenting a file, or rewording its description, keeps the hash; any
 * change to what a guest would see, or when, changes it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "profile.h"

#define FNV1A64_OFFSET_BASIS 0xcbf29ce484222325ull
#define FNV1A64_PRIME 0x100000001b3ull

static void fnv_bytes(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= FNV1A64_PRIME;
	}
}

void hash_text_fnv1a64(const void *data, size_t len, char out[32])
{
	uint64_t h = FNV1A64_OFFSET_BASIS;

	fnv_bytes(&h, data, len);
	snprintf(out, 32, "fnv1a64:%016" PRIx64, h);
}

__attribute__((format(printf, 2, 3)))
static void fnv_printf(uint64_t *h, const char *fmt, ...)
{
	char buf[128]; /* only numbers and keywords go through here */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	fnv_bytes(h, buf, (size_t)n);
}

static void fnv_string(uint64_t *h, const char *s)
{
	if (!s) {
		fnv_bytes(h, "-", 1);
		return;
	}
	fnv_printf(h, "%zu:", strlen(s));
	fnv_bytes(h, s, strlen(s));
}

static void hash_entry(uint64_t *h, const struct pentry *e)
{
	fnv_bytes(h, "entry ", 6);
	fnv_string(h, e->name);
	fnv_printf(h, " kind %d phase %d policy %d width %d reg %d flags 0x%x",
		   e->kind, e->phase, e->policy, e->width, e->cpuid_reg, e->flags);
	fnv_printf(h, " group 0x%" PRIx32 " aux 0x%" PRIx32, e->group, e->aux);
	fnv_printf(h, " id 0x%" PRIx64 " value 0x%" PRIx64 " mask 0x%" PRIx64,
		   e->id, e->value, e->mask);
	fnv_printf(h, " args 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
		   e->args[0], e->args[1], e->args[2], e->args[3]);
	fnv_bytes(h, " requires ", 10);
	fnv_string(h, e->requires_text);
	fnv_printf(h, " fields %zu\n", e->n_fields);
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct pfield *f = &e->fields[i];

		fnv_bytes(h, "field ", 6);
		fnv_string(h, f->name);
		fnv_printf(h, " shift %u width %u policy %u flags 0x%x value 0x%" PRIx64 "\n",
			   (unsigned)f->shift, (unsigned)f->width, (unsigned)f->policy,
			   (unsigned)f->flags, f->value);
	}
}

void profile_hash(const struct profile *p, char out[32])
{
	uint64_t h = FNV1A64_OFFSET_BASIS;

	fnv_bytes(&h, "kvmprof-hash 1\n", 15);
	fnv_bytes(&h, "name ", 5);
	fnv_string(&h, p->name);
	fnv_printf(&h, "\narch %d\nformat %d\nrequires ", p->arch, p->format_version);
	fnv_string(&h, p->requires_text);
	fnv_printf(&h, "\nentries %zu\n", p->n_entries);
	for (size_t i = 0; i < p->n_entries; i++)
		hash_entry(&h, &p->entries[i]);
	snprintf(out, 32, "fnv1a64:%016" PRIx64, h);
}
