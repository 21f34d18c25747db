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

/* How far a name may be from what was meant: about one edit in four characters. */
static unsigned tolerance(size_t n)
{
	return n <= 3 ? 1 : n <= 8 ? 2 : 3;
}

/* One wrong name, measured once against every candidate. */
struct query {
	const char *wrong;
	size_t n;
	unsigned tol;
	signed char letters[256]; /* how often each letter is in wrong, case ignored */
	const char *name;         /* the best so far */
	unsigned dist;
};

static void query_init(struct query *q, const char *wrong)
{
	memset(q, 0, sizeof(*q));
	q->wrong = wrong;
	q->n = strlen(wrong);
	q->tol = tolerance(q->n);
	q->dist = ~0u;
	if (q->n <= SUGGEST_MAX_LEN)
		for (const char *a = wrong; *a; a++)
			q->letters[tolower((unsigned char)*a)]++;
}

/*
 * A lower bound of distance() in linear time: every edit but a swap mends at
 * most two letters the names hold in different numbers (case ignored). Those
 * letters number n + m - 2 * (the letters both have), counted without a pass
 * over the alphabet: this runs for every name of the database.
 */
static unsigned letters_bound(const struct query *q, const char *candidate, size_t m)
{
	signed char left[256];
	size_t common = 0;

	if (q->n > SUGGEST_MAX_LEN || m > SUGGEST_MAX_LEN)
		return ~0u; /* as distance(): too long to be a name */
	memcpy(left, q->letters, sizeof(left));
	for (; *candidate; candidate++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*candidate);

		if (left[c] > 0) {
			left[c]--;
			common++;
		}
	}
	return (unsigned)((q->n + m - 2 * common + 1) / 2);
}

static void consider(struct query *q, const char *candidate)
{
	size_t n = q->n, m;
	unsigned dist;
	int cut_short;

	if (!candidate || !*candidate)
		return;
	m = strlen(candidate);
	/* ID_AA64PFR0 for ID_AA64PFR0_EL1: a name cut short is close whatever its length. */
	cut_short = n >= 4 && m >= n && m - n <= 4 && !strncasecmp(q->wrong, candidate, n);
	/* The distance is at least the difference in length and the letters
	 * bound: most candidates are out of reach without the quadratic walk
	 * (a file naming thousands of unknown registers stays fast). */
	if (!cut_short && ((m > n ? m - n : n - m) > q->tol || letters_bound(q, candidate, m) > q->tol))
		return;
	dist = distance(q->wrong, candidate, q->tol);
	if (dist > q->tol && cut_short)
		dist = q->tol;
	if (dist <= q->tol && (!q->name || dist < q->dist)) {
		q->name = candidate;
		q->dist = dist;
	}
}

const char *suggest_from_list(const char *wrong, const char *const *candidates, size_t n)
{
	struct query q;

	if (!wrong)
		return NULL;
	query_init(&q, wrong);
	for (size_t i = 0; i < n; i++)
		consider(&q, candidates[i]);
	return q.name;
}

const char *suggest_from_words(const char *wrong, const char *words)
{
	static char found[SUGGEST_MAX_LEN + 1];
	char word[SUGGEST_MAX_LEN + 1];
	struct query q;

	if (!wrong || !words)
		return NULL;
	query_init(&q, wrong);
	while (*words) {
		size_t len = strcspn(words, ", ");
		if (len && len <= SUGGEST_MAX_LEN) {
			const char *before = q.name;

			memcpy(word, words, len);
			word[len] = '\0';
			consider(&q, word);
			if (q.name != before) {
				strcpy(found, word);
				q.name = found;
			}
		}
		words += len;
		words += strspn(words, ", ");
	}
	return q.name;
}

const char *regdb_suggest_reg(const char *wrong, int arch)
{
	struct query q;

	if (!wrong)
		return NULL;
	query_init(&q, wrong);
	for (size_t i = 0; i < regdb_n_regs; i++)
		if (!arch || regdb_regs[i].arch == arch)
			consider(&q, regdb_regs[i].name);
	return q.name;
}

const char *regdb_suggest_field(const struct regdb_reg *r, const char *wrong)
{
	struct query q;

	if (!r || !wrong)
		return NULL;
	query_init(&q, wrong);
	for (uint32_t i = 0; i < r->n_fields; i++)
		consider(&q, r->fields[i].name);
	return q.name;
}

const char *regdb_suggest_sym(int kind, const char *wrong, int arch)
{
	struct query q;

	if (!wrong)
		return NULL;
	query_init(&q, wrong);
	for (size_t i = 0; i < regdb_n_syms; i++) {
		const struct regdb_sym *s = &regdb_syms[i];
		if (s->kind == kind && (!arch || !s->arch || s->arch == arch))
			consider(&q, s->name);
	}
	return q.name;
}
