/* SPDX-License-Identifier: MIT */
/*
 * suggest.c - "did you mean" for names a profile or a command line gets
 * wrong: the register database's names (registers, fields, capabilities,
 * quirks, x2APIC flags, vCPU features) and any list of keys, nearest by edit
 * distance, case-insensitively.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "regdb.h"

#define SUGGEST_MAX_LEN 64

/* Optimal-string-alignment distance (a swap of two neighbours counts once), ignoring case;
 * limit + 1 once a row, and the row before it (which a swap reaches), are beyond limit. */
static unsigned distance(const char *a, const char *b, unsigned limit)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	if (n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
		return ~0u;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	unsigned prev_min = 0; /* of row i - 1: a swap reaches back two rows */

	for (size_t i = 1; i <= n; i++) {
		unsigned row_min = d[i][0] = (unsigned)i;

		for (size_t j = 1; j <= m; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			unsigned best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
			if (best < row_min)
				row_min = best;
		}
		if (row_min > limit && prev_min >= limit)
			return limit + 1;
		prev_min = row_min;
	}
	return d[n][m];
}

/*
 * A lower bound of distance() in linear time: every edit but a swap mends at
 * most two letters a and b hold in different numbers (case ignored).
 */
static unsigned letters_bound(const char *a, const char *b)
{
	signed char count[256] = { 0 };
	unsigned off = 0;

	if (strlen(a) > SUGGEST_MAX_LEN || strlen(b) > SUGGEST_MAX_LEN)
		return ~0u; /* as distance(): too long to be a name */
	for (; *a; a++)
		count[tolower((unsigned char)*a)]++;
	for (; *b; b++)
		count[tolower((unsigned char)*b)]--;
	for (int c = 0; c < 256; c++)
		off += (unsigned)(count[c] < 0 ? -count[c] : count[c]);
	return (off + 1) / 2;
}

/* How far a name may be from what was meant: about one edit in four characters. */
static unsigned tolerance(const char *name)
{
	size_t n = strlen(name);
	return n <= 3 ? 1 : n <= 8 ? 2 : 3;
}

struct best {
	const char *name;
	unsigned dist;
};

static void consider(struct best *b, const char *wrong, const char *candidate)
{
	unsigned dist;
	size_t n = strlen(wrong);

	if (!candidate || !*candidate)
		return;
	/* The distance is at least the difference in length: most candidates
	 * are out of reach without the quadratic walk (a file naming thousands
	 * of unknown registers stays fast). */
	size_t m = strlen(candidate);
	if ((m > n ? m - n : n - m) > tolerance(wrong) &&
	    !(n >= 4 && m >= n && m - n <= 4 && !strncasecmp(wrong, candidate, n)))
		return;
	if (letters_bound(wrong, candidate) > tolerance(wrong) &&
	    !(n >= 4 && m >= n && m - n <= 4 && !strncasecmp(wrong, candidate, n)))
		return;
	/* the prefix rule below needs the true distance only up to the tolerance */
	dist = distance(wrong, candidate, tolerance(wrong));
	/* ID_AA64PFR0 for ID_AA64PFR0_EL1: a name cut short is close whatever its length. */
	if (dist > tolerance(wrong) && n >= 4 && !strncasecmp(wrong, candidate, n) && strlen(candidate) - n <= 4)
		dist = tolerance(wrong);
	if (dist <= tolerance(wrong) && (!b->name || dist < b->dist))
		*b = (struct best){ candidate, dist };
}

const char *suggest_from_list(const char *wrong, const char *const *candidates, size_t n)
{
	struct best b = { NULL, ~0u };

	if (!wrong)
		return NULL;
	for (size_t i = 0; i < n; i++)
		consider(&b, wrong, candidates[i]);
	return b.name;
}

const char *suggest_from_words(const char *wrong, const char *words)
{
	struct best b = { NULL, ~0u };
	static char found[SUGGEST_MAX_LEN + 1];
	char word[SUGGEST_MAX_LEN + 1];

	if (!wrong || !words)
		return NULL;
	while (*words) {
		size_t len = strcspn(words, ", ");
		if (len && len <= SUGGEST_MAX_LEN) {
			memcpy(word, words, len);
			word[len] = '\0';
			struct best before = b;
			consider(&b, wrong, word);
			if (b.name != before.name) {
				strcpy(found, word);
				b.name = found;
			}
		}
		words += len;
		words += strspn(words, ", ");
	}
	return b.name;
}

const char *regdb_suggest_reg(const char *wrong, int arch)
{
	struct best b = { NULL, ~0u };

	if (!wrong)
		return NULL;
	for (size_t i = 0; i < regdb_n_regs; i++)
		if (!arch || regdb_regs[i].arch == arch)
			consider(&b, wrong, regdb_regs[i].name);
	return b.name;
}

const char *regdb_suggest_field(const struct regdb_reg *r, const char *wrong)
{
	struct best b = { NULL, ~0u };

	if (!r || !wrong)
		return NULL;
	for (uint32_t i = 0; i < r->n_fields; i++)
		consider(&b, wrong, r->fields[i].name);
	return b.name;
}

const char *regdb_suggest_sym(int kind, const char *wrong, int arch)
{
	struct best b = { NULL, ~0u };

	if (!wrong)
		return NULL;
	for (size_t i = 0; i < regdb_n_syms; i++) {
		const struct regdb_sym *s = &regdb_syms[i];
		if (s->kind == kind && (!arch || !s->arch || s->arch == arch))
			consider(&b, wrong, s->name);
	}
	return b.name;
}
