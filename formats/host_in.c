/* SPDX-License-Identifier: MIT */
/*
 * host_in.c - reads `host:` and `vcpu: register-set:` (see host.h) from the
 * parse the loader made of the file (struct yaml_file); the loader proper
 * ignores both sections.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "host.h"
#include "input.h"
#include "kvmprof.h"
#include "profile.h"
#include "regdb.h"
#include "yaml_in.h"

struct hreader {
	struct diag *d;
	const char *file;
	yaml_document_t *doc;
	struct host_facts *h;
	struct input_yaml *dups;
	int errors;
};

static struct srcpos pos_of(struct hreader *R, const yaml_node_t *n)
{
	struct srcpos pos = { R->file, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
	return pos;
}

static yaml_node_t *node(struct hreader *R, int i)
{
	return yaml_document_get_node(R->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void error(struct hreader *R, const yaml_node_t *n, const char *fmt, const char *arg)
{
	diag_error(R->d, pos_of(R, n), "host", fmt, arg);
	R->errors++;
}

/* A number in decimal or 0x hex, optionally negative (capabilities). */
static int number(struct hreader *R, const yaml_node_t *n, uint64_t *out, const char *what)
{
	const char *s = scalar(n);
	char *end;
	int neg = 0;

	if (s && *s == '-') {
		neg = 1;
		s++;
	}
	if (!s || !*s || *s == '+' || *s == ' ') {
		error(R, n, "%s must be a number", what);
		return -1;
	}
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (*end || errno) {
		error(R, n, "%s must be a number", what);
		return -1;
	}
	if (neg)
		*out = (uint64_t)-(int64_t)*out;
	return 0;
}

static int expect(struct hreader *R, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	if (n->type == type)
		return 0;
	error(R, n, "%s", what);
	return -1;
}

/*
 * Makes room for item n of a list read from `at` (doubling, so linear time):
 * 0, or -1 once the list holds KVMPROF_MAX_HOST_LIST items (reported once).
 */
static int room(struct hreader *R, void *arrp, size_t n, size_t size, const yaml_node_t *at)
{
	void **arr = arrp;

	if (n >= KVMPROF_MAX_HOST_LIST) {
		if (n == KVMPROF_MAX_HOST_LIST) {
			diag_error(R->d, pos_of(R, at), "limit", "this list has more than %d entries",
				   KVMPROF_MAX_HOST_LIST);
			R->errors++;
		}
		return -1;
	}
	if (n < 16 || !(n & (n - 1)))
		*arr = xrealloc(*arr, (n < 16 ? 16 : 2 * n) * size);
	return 0;
}

#define GROW(arr, n, at) room(R, &(arr), (n), sizeof(*(arr)), (at))

/* A repeated key of a mapping: reported by input_yaml_load(), skipped here. */
static int repeated(struct hreader *R, const yaml_node_pair_t *p)
{
	return input_yaml_is_duplicate_key(R->dups, node(R, p->key));
}

static void read_caps(struct hreader *R, yaml_node_t *map)
{
	struct host_facts *h = R->h;

	if (expect(R, map, YAML_MAPPING_NODE, "host: capabilities: must be a mapping of KVM_CAP_* names to values"))
		return;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(R, p->key), *v = node(R, p->value);
		const char *name = scalar(k);
		const struct regdb_sym *s = name ? regdb_sym_by_name(REGDB_SYM_CAP, name, h->arch) : NULL;
		uint64_t val;

		if (!s && name)
			s = regdb_sym_by_name(REGDB_SYM_CAP, name, 0);
		if (!s) {
			error(R, k, "unknown capability '%s' (see `kvmprof explain`)", name ? name : "");
			continue;
		}
		if (repeated(R, p) || number(R, v, &val, "a capability's value"))
			continue;
		if (GROW(h->caps, h->n_caps, map))
			break;
		h->caps[h->n_caps++] = (struct host_cap){ xstrdup(name), s->value, (int64_t)val };
	}
}

static void read_id_list(struct hreader *R, yaml_node_t *seq, uint64_t **out, size_t *n, const char *what)
{
	if (expect(R, seq, YAML_SEQUENCE_NODE, what))
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		uint64_t v;

		if (number(R, node(R, *it), &v, "a register id"))
			continue;
		if (GROW(*out, *n, seq))
			break;
		(*out)[(*n)++] = v;
	}
}

struct keyed {
	uint64_t id;
	size_t order;
	const yaml_node_t *k;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Reads {id: value, ...}; the same id written twice (0x10 and 16) is an error. */
static void read_id_map(struct hreader *R, yaml_node_t *map, struct host_reg_value **out, size_t *n,
			const char *what, const char *item)
{
	struct keyed *keys;
	size_t n_pairs;

	if (expect(R, map, YAML_MAPPING_NODE, what))
		return;
	n_pairs = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	keys = xcalloc(n_pairs < KVMPROF_MAX_HOST_LIST ? n_pairs + 1 : KVMPROF_MAX_HOST_LIST + 1, sizeof(*keys));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		uint64_t id, v;

		if (repeated(R, p) || number(R, node(R, p->key), &id, "a register id or MSR index") ||
		    number(R, node(R, p->value), &v, "a value"))
			continue;
		if (GROW(*out, *n, map))
			break;
		(*out)[*n] = (struct host_reg_value){ id, v };
		keys[*n] = (struct keyed){ id, *n, node(R, p->key) };
		(*n)++;
	}
	if (*n > 1) {
		qsort(keys, *n, sizeof(*keys), keyed_cmp);
		for (size_t i = 1; i < *n; i++)
			if (keys[i].id == keys[i - 1].id) {
				diag_error(R->d, pos_of(R, keys[i].k), "conflict", "%s 0x%" PRIx64 " is stated twice", item,
					   keys[i].id);
				diag_note(R->d, pos_of(R, keys[i - 1].k), "first stated here");
				R->errors++;
			}
	}
	free(keys);
}

static void read_msr_map(struct hreader *R, yaml_node_t *map, struct host_msr **out, size_t *n, const char *what)
{
	struct host_reg_value *vals = NULL;
	size_t nv = 0;

	(void)what;
	read_id_map(R, map, &vals, &nv, "MSRs must map MSR indices to values", "MSR");
	*out = xcalloc(nv ? nv : 1, sizeof(**out));
	for (size_t i = 0; i < nv; i++)
		(*out)[i] = (struct host_msr){ (uint32_t)vals[i].id, vals[i].value };
	*n = nv;
	free(vals);
}

/* A flow mapping {k: v, ...}: the value of key, or NULL. */
static yaml_node_t *get(struct hreader *R, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(R, p->key));
		if (k && !strcmp(k, key))
			return node(R, p->value);
	}
	return NULL;
}

static int get_num(struct hreader *R, yaml_node_t *map, const char *key, uint64_t *v)
{
	yaml_node_t *n = get(R, map, key);

	if (!n) {
		diag_error(R->d, pos_of(R, map), "host", "missing '%s'", key);
		R->errors++;
		return -1;
	}
	return number(R, n, v, key);
}

static void read_attrs(struct hreader *R, yaml_node_t *seq)
{
	struct host_facts *h = R->h;

	if (expect(R, seq, YAML_SEQUENCE_NODE, "host: device-attrs: must be a list of {device, group, attr, value}"))
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *m = node(R, *it);
		uint64_t dev, grp, attr, val;

		if (expect(R, m, YAML_MAPPING_NODE, "a device attribute must be {device, group, attr, value}"))
			continue;
		if (get_num(R, m, "device", &dev) || get_num(R, m, "group", &grp) || get_num(R, m, "attr", &attr) ||
		    get_num(R, m, "value", &val))
			continue;
		if (GROW(h->attrs, h->n_attrs, seq))
			break;
		h->attrs[h->n_attrs++] = (struct host_attr){ (uint32_t)dev, (uint32_t)grp, attr, val };
	}
}

static void read_ranges(struct hreader *R, yaml_node_t *seq)
{
	struct host_facts *h = R->h;

	if (expect(R, seq, YAML_SEQUENCE_NODE, "host: accepted: must be a list of {register, field, lo, hi}"))
		return;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *m = node(R, *it), *reg, *field;
		uint64_t lo, hi;

		if (expect(R, m, YAML_MAPPING_NODE, "an accepted range must be {register, field, lo, hi}"))
			continue;
		reg = get(R, m, "register");
		field = get(R, m, "field");
		if (!scalar(reg) || !scalar(field)) {
			error(R, m, "%s", "an accepted range needs 'register' and 'field'");
			continue;
		}
		if (get_num(R, m, "lo", &lo) || get_num(R, m, "hi", &hi))
			continue;
		if (GROW(h->ranges, h->n_ranges, seq))
			break;
		h->ranges[h->n_ranges++] = (struct host_range){ xstrdup(scalar(reg)), xstrdup(scalar(field)), lo, hi };
	}
}

static void read_cpuid(struct hreader *R, yaml_node_t *seq)
{
	struct host_facts *h = R->h;

	if (expect(R, seq, YAML_SEQUENCE_NODE, "host: cpuid: must be a list of [function, index, flags, eax, ebx, ecx, edx]"))
		return;
	h->have_cpuid = 1;
	for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *row = node(R, *it);
		uint64_t v[7];
		int i = 0, bad = 0;

		if (row->type != YAML_SEQUENCE_NODE ||
		    row->data.sequence.items.top - row->data.sequence.items.start != 7) {
			error(R, row, "%s", "a CPUID leaf must be [function, index, flags, eax, ebx, ecx, edx]");
			continue;
		}
		for (yaml_node_item_t *c = row->data.sequence.items.start; c < row->data.sequence.items.top; c++, i++) {
			if (number(R, node(R, *c), &v[i], "a CPUID value") || v[i] > UINT32_MAX)
				bad = 1;
		}
		if (bad)
			continue;
		if (GROW(h->cpuid, h->n_cpuid, seq))
			break;
		h->cpuid[h->n_cpuid++] = (struct host_cpuid_leaf){
			(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2],
			{ (uint32_t)v[3], (uint32_t)v[4], (uint32_t)v[5], (uint32_t)v[6] } };
	}
}

static void read_host(struct hreader *R, yaml_node_t *map)
{
	struct host_facts *h = R->h;

	if (expect(R, map, YAML_MAPPING_NODE, "host: must be a mapping"))
		return;
	h->present = 1;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(R, p->key), *v = node(R, p->value);
		const char *key = scalar(k);
		uint64_t n;

		if (repeated(R, p))
			continue;
		if (!key) {
			error(R, k, "%s", "host: keys must be names");
		} else if (!strcmp(key, "kernel") && scalar(v)) {
			unsigned a = 0, b = 0, c = 0;
			free(h->kernel);
			h->kernel = xstrdup(scalar(v));
			if (sscanf(h->kernel, "%u.%u.%u", &a, &b, &c) >= 2)
				h->kernel_version = KVMPROF_KERNEL_VERSION(a, b, c);
		} else if (!strcmp(key, "machine") && scalar(v)) {
			free(h->machine);
			h->machine = xstrdup(scalar(v));
		} else if (!strcmp(key, "capabilities")) {
			read_caps(R, v);
		} else if (!strcmp(key, "quirks")) {
			if (!number(R, v, &n, "quirks")) {
				h->have_quirks = 1;
				h->quirks = n;
			}
		} else if (!strcmp(key, "x2apic-api")) {
			if (!number(R, v, &n, "x2apic-api")) {
				h->have_x2apic = 1;
				h->x2apic = n;
			}
		} else if (!strcmp(key, "reg-list")) {
			h->have_reg_list = 1;
			read_id_list(R, v, &h->reg_list, &h->n_reg_list, "host: reg-list: must be a list of register ids");
		} else if (!strcmp(key, "reg-values")) {
			read_id_map(R, v, &h->reg_values, &h->n_reg_values,
				    "host: reg-values: must map register ids to values", "register");
		} else if (!strcmp(key, "writable-masks")) {
			h->have_masks = 1;
			read_id_map(R, v, &h->masks, &h->n_masks, "host: writable-masks: must map register ids to masks",
				    "register");
		} else if (!strcmp(key, "device-attrs")) {
			read_attrs(R, v);
		} else if (!strcmp(key, "accepted")) {
			read_ranges(R, v);
		} else if (!strcmp(key, "cpuid")) {
			read_cpuid(R, v);
		} else if (!strcmp(key, "feature-msrs")) {
			h->have_feature_msrs = 1;
			read_msr_map(R, v, &h->feature_msrs, &h->n_feature_msrs, "host: feature-msrs:");
		} else if (!strcmp(key, "msr-values")) {
			read_msr_map(R, v, &h->vcpu_msrs, &h->n_vcpu_msrs, "host: msr-values:");
		} else if (!strcmp(key, "msr-list")) {
			uint64_t *ids = NULL;
			size_t ni = 0;
			h->have_msr_list = 1;
			read_id_list(R, v, &ids, &ni, "host: msr-list: must be a list of MSR indices");
			h->msr_list = xcalloc(ni ? ni : 1, sizeof(*h->msr_list));
			for (size_t i = 0; i < ni; i++)
				h->msr_list[i] = (uint32_t)ids[i];
			h->n_msr_list = ni;
			free(ids);
		} else {
			error(R, k, "unknown key '%s' in host: (expected one of: kernel, machine, capabilities, quirks, "
				    "x2apic-api, reg-list, reg-values, writable-masks, device-attrs, accepted, cpuid, "
				    "feature-msrs, msr-values, msr-list)", key);
		}
	}
}

static void read_regset(struct hreader *R, yaml_node_t *map)
{
	struct host_facts *h = R->h;

	if (expect(R, map, YAML_MAPPING_NODE, "vcpu: register-set: must map registers to required, tolerated or hidden"))
		return;
	h->have_regset = 1;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(R, p->key), *v = node(R, p->value);
		const char *name = scalar(k), *pol = scalar(v);
		int policy;
		uint64_t id;

		if (repeated(R, p))
			continue;
		if (!name || host_reg_parse(h->arch, name, &id)) {
			error(R, k, "unknown register '%s' in register-set: (a database name, S<op0>_<op1>_C<n>_C<m>_<op2> "
				    "or a one-reg id in hex)", name ? name : "");
			continue;
		}
		if (pol && !strcmp(pol, "required"))
			policy = HOST_REG_REQUIRED;
		else if (pol && !strcmp(pol, "tolerated"))
			policy = HOST_REG_TOLERATED;
		else if (pol && !strcmp(pol, "hidden"))
			policy = HOST_REG_HIDDEN;
		else {
			error(R, v, "%s", "a register-set policy must be required, tolerated or hidden");
			continue;
		}
		if (GROW(h->regset, h->n_regset, map))
			break;
		h->regset[h->n_regset++] = (struct host_regset_entry){ id, xstrdup(name), policy, pos_of(R, k) };
	}
}

/* host: and vcpu: register-set: of parsed file f into h. */
static int host_facts_read(struct yaml_file *f, int arch, struct host_facts *h, struct diag *d)
{
	struct hreader R = { .d = d, .h = h, .doc = &f->doc, .dups = f->dups };
	yaml_node_t *root = yaml_document_get_root_node(&f->doc);

	memset(h, 0, sizeof(*h));
	h->arch = arch;
	R.file = yaml_file_name(f, d);
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
			const char *key = scalar(node(&R, p->key));
			yaml_node_t *v = node(&R, p->value);

			if (repeated(&R, p))
				continue;
			if (key && !strcmp(key, "host")) {
				read_host(&R, v);
			} else if (key && !strcmp(key, "vcpu") && v->type == YAML_MAPPING_NODE) {
				yaml_node_t *rs = get(&R, v, "register-set");
				if (rs)
					read_regset(&R, rs);
			}
		}
	}
	/* repeated keys were reported when the file was parsed */
	return R.errors || input_yaml_has_duplicates(f->dups) ? -1 : 0;
}

int host_facts_load(const char *path, int arch, struct host_facts *h, struct diag *d)
{
	struct yaml_file *f = yaml_file_open(path, d);
	int rc;

	if (!f) {
		memset(h, 0, sizeof(*h));
		h->arch = arch;
		return -1;
	}
	rc = host_facts_read(f, arch, h, d);
	yaml_file_close(f);
	return rc;
}

int host_facts_of_profile(const struct profile *p, struct host_facts *h, struct diag *d)
{
	if (!p->src) {
		memset(h, 0, sizeof(*h));
		h->arch = p->arch;
		return 0;
	}
	return host_facts_read(p->src, p->arch, h, d);
}

/* Appends the register set of parsed file src to h (regset_latest_by_id()
 * then keeps one entry per register). 0 or -1. */
static int regset_add_file(struct yaml_file *src, int arch, struct host_facts *h, struct diag *d)
{
	struct host_facts f;

	if (host_facts_read(src, arch, &f, d) < 0) {
		host_facts_free(&f);
		return -1;
	}
	for (size_t i = 0; i < f.n_regset; i++) {
		h->regset = xgrow(h->regset, h->n_regset, sizeof(*h->regset));
		h->regset[h->n_regset++] = f.regset[i];
		f.regset[i].name = NULL; /* moved to h */
	}
	h->have_regset |= f.have_regset;
	host_facts_free(&f);
	return 0;
}

struct regset_in_order {
	struct host_regset_entry e;
	size_t order; /* of appending */
};

static int by_id_then_order(const void *a, const void *b)
{
	const struct regset_in_order *x = a, *y = b;

	if (x->e.id != y->e.id)
		return x->e.id < y->e.id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts h's register set by id, keeping of the entries naming one register
 * the last appended: a nearer file's, or a later line's (the policy a
 * register named again takes). One sort, where a search per entry was
 * quadratic in a capture's hundreds of registers. */
static void regset_latest_by_id(struct host_facts *h)
{
	struct regset_in_order *o = xcalloc(h->n_regset, sizeof(*o));
	size_t k = 0;

	for (size_t i = 0; i < h->n_regset; i++)
		o[i] = (struct regset_in_order){ h->regset[i], i };
	qsort(o, h->n_regset, sizeof(*o), by_id_then_order);
	for (size_t i = 0; i < h->n_regset; i++) {
		if (i + 1 < h->n_regset && o[i + 1].e.id == o[i].e.id) {
			free(o[i].e.name);
			continue;
		}
		h->regset[k++] = o[i].e;
	}
	h->n_regset = k;
	free(o);
}

int host_regset_of_profile(const struct profile *p, struct host_facts *h, struct diag *d)
{
	memset(h, 0, sizeof(*h));
	h->arch = p->arch;
	if (!p->src)
		return 0; /* made in memory (baseline, tests): no file, no register set */
	/* The deepest base first, so that nearer files override it. */
	for (size_t i = p->n_base_srcs; i-- > 0;)
		if (regset_add_file(p->base_srcs[i], p->arch, h, d))
			return -1;
	if (regset_add_file(p->src, p->arch, h, d))
		return -1;
	if (h->n_regset) /* qsort of NULL is undefined, even with no elements */
		regset_latest_by_id(h);
	return 0;
}
