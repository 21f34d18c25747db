/* SPDX-License-Identifier: MIT */
/*
 * test_cgen.c - the code generator (formats/c_out.c) and the source hash
 * (model/hash.c).
 *
 * Profiles are built by hand, so these tests do not depend on the YAML
 * loader. Emitted C is compared with the .golden files of tests/golden/cgen/ (regenerate with
 * KVMPROF_UPDATE_GOLDEN=1), and compiled with the system compiler under
 * -std=c11 -pedantic -Werror together with a checker main() that compares
 * every value and string of the table with the in-memory profile; the
 * checker's expectations are written as plain numbers and byte arrays, so
 * they do not share the generator's escaping.
 *
 * Runs from the repository root.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "golden.h"

#include "profile.h"

#define GOLDEN_DIR "tests/golden/cgen"
#define STRICT_CFLAGS "-std=c11 -Wall -Wextra -Werror -pedantic"

/* ---- building profiles by hand ------------------------------------------ */

static char *dup_str(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s)
		assert_non_null(d);
	return d;
}

static struct profile *new_profile(const char *file, const char *name, int arch)
{
	struct profile *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->file = dup_str(file);
	p->name = dup_str(name);
	p->arch = arch;
	p->format_version = 1;
	p->pos = (struct srcpos){ file, 1, 1 };
	return p;
}

static void add_provenance(struct profile *p, const char *key, const char *value)
{
	p->provenance = realloc(p->provenance, (p->n_provenance + 1) * sizeof(*p->provenance));
	assert_non_null(p->provenance);
	p->provenance[p->n_provenance++] = (struct pkv){ dup_str(key), dup_str(value), { 0 } };
}

static struct pentry *add_entry(struct profile *p, const char *name, int kind, int phase,
				uint64_t id, int line)
{
	struct pentry *e;

	p->entries = realloc(p->entries, (p->n_entries + 1) * sizeof(*p->entries));
	assert_non_null(p->entries);
	e = &p->entries[p->n_entries++];
	memset(e, 0, sizeof(*e));
	e->name = dup_str(name);
	e->kind = kind;
	e->phase = phase;
	e->width = 64;
	e->id = id;
	e->mask = ~0ull;
	e->pos = (struct srcpos){ p->file, line, 5 };
	e->profile = p->name;
	return e;
}

static void set_requires(struct pentry *e, const char *text, int line, int col)
{
	e->requires_text = dup_str(text);
	e->requires_pos = (struct srcpos){ e->pos.file, line, col };
}

static void add_field(struct pentry *e, const char *name, unsigned shift, unsigned width,
		      unsigned policy, unsigned flags, uint64_t value)
{
	struct pfield *f;

	e->fields = realloc(e->fields, (e->n_fields + 1) * sizeof(*e->fields));
	assert_non_null(e->fields);
	f = &e->fields[e->n_fields++];
	memset(f, 0, sizeof(*f));
	f->name = dup_str(name);
	f->shift = (uint8_t)shift;
	f->width = (uint8_t)width;
	f->policy = (uint8_t)policy;
	f->flags = (uint8_t)flags;
	f->value = value;
	f->pos = e->pos;
	if (width < 64) {
		e->mask &= ~(((1ull << width) - 1) << shift);
		e->value |= value << shift;
	}
}

/* Conditions in these tests are either text (parsed by cgen) or one of
 * these static trees; the trees are never freed. */
static void free_profile(struct profile *p)
{
	for (size_t i = 0; i < p->n_entries; i++) {
		struct pentry *e = &p->entries[i];

		free(e->name);
		for (size_t j = 0; j < e->n_fields; j++)
			free(e->fields[j].name);
		free(e->fields);
		free(e->requires_text);
		free(e->note);
	}
	free(p->entries);
	for (size_t i = 0; i < p->n_provenance; i++) {
		free(p->provenance[i].key);
		free(p->provenance[i].value);
	}
	free(p->provenance);
	free(p->requires_text);
	free(p->description);
	free(p->name);
	free(p->file);
	free(p);
}

/* Entries given with a mask of stated bits: fields fold into it; a
 * whole-value entry states everything unless told otherwise. */
static void fold_mask(struct pentry *e)
{
	if (e->n_fields)
		e->mask = ~e->mask;
}

/*
 * An arm64 profile like docs/profile-format.md's example. Register ids:
 * KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | op0<<14 | op1<<11 |
 * CRn<<7 | CRm<<3 | op2 (Documentation/virt/kvm/api.rst, "KVM_SET_ONE_REG");
 * firmware registers KVM_REG_ARM_FW = 0x0014 << 16. Fields: Arm ARM
 * (DDI 0487) ID_AA64PFR0_EL1, GICD_IIDR (IHI 0069). Caps and device types:
 * include/uapi/linux/kvm.h.
 */
static struct profile *arm64_profile(void)
{
	struct profile *p = new_profile("profiles/linux-6.12-arm64-qemu-max.yaml",
					"linux-6.12-arm64-qemu-max", KVMPROF_ARCH_ARM64);
	struct pentry *e;

	p->description = dup_str("KVM/arm64 6.12 defaults on QEMU's max CPU");
	add_provenance(p, "kind", "captured");
	add_provenance(p, "kernel", "6.12.117+deb12-arm64");
	add_provenance(p, "cpu", "qemu-system-aarch64 -cpu max");
	add_provenance(p, "sources[0]", "shared/real-kvm.md, measured 2026-11-24");
	p->requires_text = dup_str("kernel >= 6.7 && cap(KVM_CAP_ONE_REG)");
	p->requires_pos = (struct srcpos){ p->file, 10, 11 };

	e = add_entry(p, "KVM_CAP_ARM_NISV_TO_USER", KVMPROF_KIND_ENABLE_CAP, KVMPROF_PHASE_VM,
		      177, 14);
	e->value = e->args[0] = 1;
	e->flags = KVMPROF_ENTRY_OPTIONAL;

	e = add_entry(p, "psci-0.2", KVMPROF_KIND_VCPU_FEATURE, KVMPROF_PHASE_VCPU_INIT, 2, 22);
	e->value = 1;
	e->width = 1;
	e->mask = 1;
	e = add_entry(p, "pmu-v3", KVMPROF_KIND_VCPU_FEATURE, KVMPROF_PHASE_VCPU_INIT, 3, 23);
	e->value = 0;
	e->width = 1;
	e->mask = 1;

	e = add_entry(p, "MIDR_EL1", KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS,
		      0x603000000013c000ull, 25);
	e->value = 0x413fd0c1;
	e = add_entry(p, "ID_AA64PFR0_EL1", KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS,
		      0x603000000013c020ull, 26);
	e->policy = KVMPROF_POLICY_AT_MOST;
	add_field(e, "SVE", 32, 4, KVMPROF_POLICY_AT_MOST, 0, 0);
	add_field(e, "GIC", 24, 4, KVMPROF_POLICY_AT_MOST, 0, 1);
	add_field(e, "EL0", 0, 4, KVMPROF_POLICY_EXACT, 0, 2);
	fold_mask(e);
	e = add_entry(p, "ID_AA64DFR0_EL1", KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS,
		      0x603000000013c028ull, 27);
	e->policy = KVMPROF_POLICY_AT_MOST;
	add_field(e, "DoubleLock", 36, 4, KVMPROF_POLICY_AT_MOST, KVMPROF_FIELD_SIGNED, 0);
	add_field(e, "DebugVer", 0, 4, KVMPROF_POLICY_AT_MOST, 0, 6);
	fold_mask(e);
	e = add_entry(p, "CLIDR_EL1", KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS,
		      0x603000000013c801ull, 28);
	e->value = 0x2000023;
	e->flags = KVMPROF_ENTRY_OPTIONAL;
	e->note = dup_str("cache levels as QEMU's max CPU reports them */ reviewed");
	set_requires(e, "kernel >= 6.3", 28, 45);
	e = add_entry(p, "CTR_EL0", KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS,
		      0x603000000013d801ull, 29);
	e->value = 0xb444c000;
	e->mask = ~0xfull;
	e = add_entry(p, "PSCI_VERSION", KVMPROF_KIND_ONE_REG, KVMPROF_PHASE_VCPU_REGS,
		      0x6030000000140000ull, 30);
	e->value = 0x10001;

	e = add_entry(p, "GICD_IIDR", KVMPROF_KIND_DEVICE_ATTR, KVMPROF_PHASE_DEVICE, 0x8, 34);
	e->width = 32;
	e->group = 1; /* KVM_DEV_ARM_VGIC_GRP_DIST_REGS */
	e->aux = 7;   /* KVM_DEV_TYPE_ARM_VGIC_V3 */
	add_field(e, "Revision", 12, 4, KVMPROF_POLICY_EXACT, 0, 2);
	fold_mask(e);
	e->mask &= 0xffffffffull;
	return p;
}

/*
 * An x86 profile. CPUID ids are (function << 32) | index; KVM_CPUID_FLAG_*
 * and quirk/x2APIC bits: arch/x86/include/uapi/asm/kvm.h; bit positions of
 * CPUID.7.0.EBX and CPUID.1.0.ECX: Intel SDM vol. 2A, CPUID.
 */
static struct profile *x86_profile(void)
{
	struct profile *p = new_profile("profiles/linux-6.1-x86_64-pvm.yaml",
					"linux-6.1-x86_64-pvm", KVMPROF_ARCH_X86_64);
	struct pentry *e;

	p->description = dup_str("PVM host, kernel 6.1:\nCPUID and feature MSRs as seen by a guest");
	add_provenance(p, "kind", "authored");
	add_provenance(p, "kernel", "6.1.0-pvm");
	p->requires_text = dup_str("arch == x86_64 && kernel >= 6.1");
	p->requires_pos = (struct srcpos){ p->file, 8, 11 };

	e = add_entry(p, "KVM_CAP_DISABLE_QUIRKS2", KVMPROF_KIND_QUIRKS, KVMPROF_PHASE_VM, 213, 12);
	e->mask = 0x3;  /* LINT0_REENABLED, CD_NW_CLEARED stated */
	e->value = 0x2; /* disable CD_NW_CLEARED, keep LINT0_REENABLED */
	e = add_entry(p, "KVM_CAP_X2APIC_API", KVMPROF_KIND_X2APIC_API, KVMPROF_PHASE_VM, 129, 15);
	e->mask = 0x1;
	e->value = 0x1; /* USE_32BIT_IDS */
	e = add_entry(p, "KVM_CAP_EXCEPTION_PAYLOAD", KVMPROF_KIND_ENABLE_CAP, KVMPROF_PHASE_VM,
		      164, 17);
	e->value = e->args[0] = 1;
	set_requires(e, "kernel >= 5.0 || !(arch == x86_64)", 17, 40);

	e = add_entry(p, "CPUID.0x7.0x0.EBX", KVMPROF_KIND_CPUID, KVMPROF_PHASE_VCPU_REGS,
		      7ull << 32, 21);
	e->width = 32;
	e->cpuid_reg = KVMPROF_CPUID_EBX;
	e->aux = 1; /* KVM_CPUID_FLAG_SIGNIFCANT_INDEX */
	add_field(e, "AVX512F", 16, 1, KVMPROF_POLICY_EXACT, 0, 0);
	add_field(e, "AVX2", 5, 1, KVMPROF_POLICY_EXACT, 0, 1);
	fold_mask(e);
	e = add_entry(p, "CPUID.0x1.0x0.ECX", KVMPROF_KIND_CPUID, KVMPROF_PHASE_VCPU_REGS,
		      1ull << 32, 24);
	e->width = 32;
	e->cpuid_reg = KVMPROF_CPUID_ECX;
	e->value = 0x80000000; /* hypervisor bit */
	e->mask = 0x80000000;
	e = add_entry(p, "IA32_ARCH_CAPABILITIES", KVMPROF_KIND_MSR, KVMPROF_PHASE_VCPU_REGS,
		      0x10a, 27);
	e->value = 0x2b;
	e->mask = 0xff;
	e->flags = KVMPROF_ENTRY_OPTIONAL;
	return p;
}

/* ---- emitting ----------------------------------------------------------- */

/* Emits p (the .c, or the .h if header) into a malloc'd buffer. Returns the
 * emitter's status; *diag_text gets what the diagnostics printed. */
static int emit(const struct profile *p, const struct cgen_opts *o, int header, char **text,
		size_t *len, char **diag_text)
{
	char *dbuf = NULL;
	size_t dlen = 0;
	FILE *out = open_memstream(text, len);
	FILE *dout = open_memstream(&dbuf, &dlen);
	struct diag d;
	int rc;

	assert_non_null(out);
	assert_non_null(dout);
	diag_init(&d, dout);
	d.quiet_source = 1;
	rc = header ? cgen_emit_h(p, o, out, &d) : cgen_emit_c(p, o, out, &d);
	if (rc == 0)
		assert_int_equal(d.n_errors, 0);
	else
		assert_true(d.n_errors > 0);
	diag_fini(&d);
	fclose(out);
	fclose(dout);
	if (diag_text)
		*diag_text = dbuf;
	else
		free(dbuf);
	return rc;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void check_golden(const char *name, const char *text, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), GOLDEN_DIR "/%s.golden", name);
	golden_check(path, text, len);
}

/* ---- compiling and running emitted C ----------------------------------- */

struct workdir {
	char path[64];
};

static void workdir_make(struct workdir *w)
{
	strcpy(w->path, "/tmp/kvmprof-cgen-XXXXXX");
	assert_non_null(mkdtemp(w->path));
}

static void workdir_remove(struct workdir *w)
{
	char cmd[128];

	if (getenv("KVMPROF_KEEP_WORKDIR")) { /* for looking at the emitted C */
		print_message("kept %s\n", w->path);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->path);
	assert_int_equal(system(cmd), 0);
}

__attribute__((format(printf, 1, 2)))
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status)) {
		print_error("command did not run to its end: %s\n", cmd);
		return -1;
	}
	if (WEXITSTATUS(status) != 0)
		print_error("command failed (%d): %s\n", WEXITSTATUS(status), cmd);
	return WEXITSTATUS(status);
}

static const char *cc(void)
{
	const char *c = getenv("CC");

	return c && *c ? c : "cc";
}

/* The expected bytes of s as a C array of numbers, independent of cgen's
 * escaping. */
static void put_bytes(FILE *f, const char *label, const char *s)
{
	fprintf(f, "static const unsigned char %s[] = {", label);
	for (const unsigned char *c = (const unsigned char *)s; ; c++) {
		fprintf(f, " %u,", (unsigned)*c);
		if (!*c)
			break;
	}
	fputs(" };\n", f);
}

static void put_check_string(FILE *decl, FILE *body, int *n, const char *expr,
			     const char *want)
{
	char label[32];

	snprintf(label, sizeof(label), "want_%d", (*n)++);
	put_bytes(decl, label, want);
	fprintf(body, "\tcheck_str(\"%s\", %s, %s);\n", expr, expr, label);
}

static char *expected_origin(struct srcpos pos)
{
	const char *file = pos.file;
	size_t len;
	char *s;

	if (file[0] == '/')
		file = strrchr(file, '/') + 1;
	len = strlen(file) + 32;
	s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "%s:%d:%d", file, pos.line, pos.col);
	return s;
}

/*
 * A main() that checks every value and string of the emitted table against
 * the profile, as numbers and bytes written here. The byte arrays go to the
 * file's top, the checks into main(), kept in a second stream and joined.
 */
static void write_checker(const char *path, const struct profile *p, const char *sym,
			  const char *header)
{
	FILE *f = fopen(path, "w");
	char *body = NULL;
	size_t body_len = 0;
	FILE *b = open_memstream(&body, &body_len);
	int n = 0;
	char expr[160];
	uint32_t start[KVMPROF_PHASE_COUNT + 1];
	size_t flat_len = 1;
	char *flat;

	assert_non_null(f);
	assert_non_null(b);
	fprintf(f, "#include <stdio.h>\n#include <string.h>\n#include \"%s\"\n\n"
		"static int failures;\n"
		"static void check_str(const char *what, const char *got, const unsigned char *want)\n"
		"{\n\tif (!got || strcmp(got, (const char *)want) != 0) {\n"
		"\t\tprintf(\"MISMATCH %%s\\n\", what);\n\t\tfailures++;\n\t}\n}\n"
		"static void check_num(const char *what, unsigned long long got, unsigned long long want)\n"
		"{\n\tif (got != want) {\n"
		"\t\tprintf(\"MISMATCH %%s: %%llx != %%llx\\n\", what, got, want);\n"
		"\t\tfailures++;\n\t}\n}\n"
		"#define NUM(x, v) check_num(#x, (x), (v))\n\n",
		header);

	fprintf(b, "int main(void)\n{\n\tconst struct kvmprof_profile *p = &%s;\n\n", sym);
	fprintf(b, "\tNUM(p->magic, 0x%xull);\n\tNUM(p->abi, %uull);\n", KVMPROF_TABLE_MAGIC,
		KVMPROF_TABLE_ABI);
	fputs("\tNUM(p->sizeof_profile, sizeof(struct kvmprof_profile));\n"
	      "\tNUM(p->sizeof_entry, sizeof(struct kvmprof_entry));\n", b);
	fprintf(b, "\tNUM(p->format_version, %dull);\n\tNUM(p->arch, %dull);\n",
		p->format_version, p->arch);
	fprintf(b, "\tNUM(p->n_entries, %zuull);\n", p->n_entries);
	put_check_string(f, b, &n, "p->name", p->name);
	put_check_string(f, b, &n, "p->description", p->description ? p->description : "");
	for (size_t i = 0; i < p->n_provenance; i++)
		flat_len += strlen(p->provenance[i].key) + strlen(p->provenance[i].value) + 3;
	flat = calloc(1, flat_len);
	assert_non_null(flat);
	for (size_t i = 0; i < p->n_provenance; i++) {
		strcat(flat, p->provenance[i].key);
		strcat(flat, ": ");
		strcat(flat, p->provenance[i].value);
		strcat(flat, "\n");
	}
	put_check_string(f, b, &n, "p->provenance", flat);
	free(flat);
	{
		char hash[32];

		profile_hash(p, hash);
		put_check_string(f, b, &n, "p->source_hash", hash);
	}
	if (p->requires_text) {
		char *origin = expected_origin(p->requires_pos);

		fputs("\tif (!p->requires) { puts(\"MISSING p->requires\"); return 1; }\n", b);
		put_check_string(f, b, &n, "p->requires->text", p->requires_text);
		put_check_string(f, b, &n, "p->requires->origin", origin);
		fputs("\tNUM(p->requires->code[p->requires->n_code - 1].op, KVMPROF_OP_END);\n", b);
		free(origin);
	} else {
		fputs("\tNUM(p->requires == NULL, 1);\n", b);
	}

	memset(start, 0, sizeof(start));
	for (int ph = 0; ph <= KVMPROF_PHASE_COUNT; ph++) {
		uint32_t k = 0;

		while (k < p->n_entries && p->entries[k].phase < ph)
			k++;
		start[ph] = k;
		fprintf(b, "\tNUM(p->phase_start[%d], %" PRIu32 "ull);\n", ph, start[ph]);
	}

	for (size_t i = 0; i < p->n_entries; i++) {
		const struct pentry *e = &p->entries[i];
		char *origin = expected_origin(e->pos);

#define ENTRY_NUM(member, v)                                                          \
	fprintf(b, "\tNUM(p->entries[%zu]." member ", 0x%llxull);\n", i,             \
		(unsigned long long)(v))
		snprintf(expr, sizeof(expr), "p->entries[%zu].name", i);
		put_check_string(f, b, &n, expr, e->name);
		snprintf(expr, sizeof(expr), "p->entries[%zu].origin", i);
		put_check_string(f, b, &n, expr, origin);
		free(origin);
		ENTRY_NUM("kind", e->kind);
		ENTRY_NUM("phase", e->phase);
		ENTRY_NUM("policy", e->policy);
		ENTRY_NUM("width", e->width);
		ENTRY_NUM("reg", e->cpuid_reg);
		ENTRY_NUM("flags", e->flags);
		ENTRY_NUM("group", e->group);
		ENTRY_NUM("aux", e->aux);
		ENTRY_NUM("id", e->id);
		ENTRY_NUM("value", e->value);
		ENTRY_NUM("mask", e->mask);
		ENTRY_NUM("args[0]", e->args[0]);
		ENTRY_NUM("args[1]", e->args[1]);
		ENTRY_NUM("args[2]", e->args[2]);
		ENTRY_NUM("args[3]", e->args[3]);
		ENTRY_NUM("n_fields", e->n_fields);
		for (size_t j = 0; j < e->n_fields; j++) {
			const struct pfield *fl = &e->fields[j];

			snprintf(expr, sizeof(expr), "p->entries[%zu].fields[%zu].name", i, j);
			put_check_string(f, b, &n, expr, fl->name);
			fprintf(b, "\tNUM(p->entries[%zu].fields[%zu].shift, %u);\n", i, j, fl->shift);
			fprintf(b, "\tNUM(p->entries[%zu].fields[%zu].width, %u);\n", i, j, fl->width);
			fprintf(b, "\tNUM(p->entries[%zu].fields[%zu].policy, %u);\n", i, j, fl->policy);
			fprintf(b, "\tNUM(p->entries[%zu].fields[%zu].flags, %u);\n", i, j, fl->flags);
		}
		if (!e->n_fields)
			fprintf(b, "\tNUM(p->entries[%zu].fields == NULL, 1);\n", i);
		if (e->requires_text) {
			char *corigin = expected_origin(e->requires_pos);

			fprintf(b, "\tif (!p->entries[%zu].requires) { puts(\"MISSING requires\"); return 1; }\n", i);
			snprintf(expr, sizeof(expr), "p->entries[%zu].requires->text", i);
			put_check_string(f, b, &n, expr, e->requires_text);
			snprintf(expr, sizeof(expr), "p->entries[%zu].requires->origin", i);
			put_check_string(f, b, &n, expr, corigin);
			free(corigin);
		} else {
			fprintf(b, "\tNUM(p->entries[%zu].requires == NULL, 1);\n", i);
		}
#undef ENTRY_NUM
	}
	fputs("\tif (failures)\n\t\treturn 1;\n\tputs(\"tables match\");\n\treturn 0;\n}\n", b);
	fclose(b);
	fputs("\n", f);
	fputs(body, f);
	free(body);
	assert_int_equal(fclose(f), 0);
}

/*
 * Writes p's .c and .h into w, compiles them with STRICT_CFLAGS, links the
 * checker and runs it. Returns the checker's exit status (0: all equal).
 */
static int compile_and_check(struct workdir *w, const struct profile *p,
			     const struct cgen_opts *o_in)
{
	struct cgen_opts o = *o_in;
	char path[128], sym[512];
	char *text;
	size_t len;

	o.header_name = "gen.h";
	cgen_symbol_name(p->name, sym, sizeof(sym));
	if (o.symbol)
		snprintf(sym, sizeof(sym), "%s", o.symbol);

	assert_int_equal(emit(p, &o, 0, &text, &len, NULL), 0);
	snprintf(path, sizeof(path), "%s/gen.c", w->path);
	write_file(path, text, len);
	free(text);
	assert_int_equal(emit(p, &o, 1, &text, &len, NULL), 0);
	snprintf(path, sizeof(path), "%s/gen.h", w->path);
	write_file(path, text, len);
	free(text);
	snprintf(path, sizeof(path), "%s/check.c", w->path);
	write_checker(path, p, sym, "gen.h");

	if (run("%s " STRICT_CFLAGS " -Iruntime -I%s -c %s/gen.c -o %s/gen.o", cc(), w->path,
		w->path, w->path))
		return -1;
	if (run("%s -std=c11 -Wall -Wextra -Werror -Iruntime -I%s -o %s/check %s/check.c %s/gen.o",
		cc(), w->path, w->path, w->path, w->path))
		return -1;
	return run("%s/check", w->path);
}

/* ---- tests -------------------------------------------------------------- */

static void golden_case(const char *name, struct profile *p)
{
	struct cgen_opts o = { .source_label = p->file, .header_name = NULL };
	struct workdir w;
	char golden[64], *text;
	size_t len;

	assert_int_equal(emit(p, &o, 0, &text, &len, NULL), 0);
	snprintf(golden, sizeof(golden), "%s.c", name);
	check_golden(golden, text, len);
	free(text);
	assert_int_equal(emit(p, &o, 1, &text, &len, NULL), 0);
	snprintf(golden, sizeof(golden), "%s.h", name);
	check_golden(golden, text, len);
	free(text);

	workdir_make(&w);
	assert_int_equal(compile_and_check(&w, p, &o), 0);
	workdir_remove(&w);
}

static void test_golden_arm64(void **state)
{
	struct profile *p = arm64_profile();

	golden_case("arm64", p);
	free_profile(p);
}

static void test_golden_x86(void **state)
{
	struct profile *p = x86_profile();

	golden_case("x86_64", p);
	free_profile(p);
}

static void test_deterministic(void **state)
{
	struct profile *p = arm64_profile();
	struct cgen_opts o = { .source_label = "/home/someone/kvmprof/profiles/x.yaml" };
	char *a, *b;
	size_t alen, blen;

	assert_int_equal(emit(p, &o, 0, &a, &alen, NULL), 0);
	assert_int_equal(emit(p, &o, 0, &b, &blen, NULL), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	/* An absolute label is reduced to its file name. */
	assert_non_null(strstr(a, " from x.yaml; do not edit."));
	assert_null(strstr(a, "/home/"));
	free(a);
	free(b);

	/* Absolute file names in origins do not leak either. */
	for (size_t i = 0; i < p->n_entries; i++)
		p->entries[i].pos.file = "/abs/path/profiles/y.yaml";
	assert_int_equal(emit(p, &o, 0, &a, &alen, NULL), 0);
	assert_null(strstr(a, "/abs/"));
	assert_non_null(strstr(a, "\"y.yaml:25:5\""));
	free(a);
	free_profile(p);
}

/* Every hazard we know of for string literals and comments. */
static const char hostile_core[] =
	"*/ /* // \" \\ ?\?/ ?\?= ?\?' ?\?( \n #include <stdlib.h>\n\t\x01" "23\x1f\x7f\x80\xff" "7 end\\";

static struct expr static_true = { .kind = EXPR_BOOL, .value = 1, .len = 4 };
static struct expr static_arch = { .kind = EXPR_ARCH, .len = 4 };
static struct expr static_x86 = { .kind = EXPR_ARCH_NAME, .value = KVMPROF_ARCH_X86_64 };
static struct expr static_is_x86 = { .kind = EXPR_BINARY, .op = EXPR_EQ, .l = &static_arch,
				     .r = &static_x86 };

static struct profile *hostile_profile(void)
{
	char name[256], *long_text;
	struct profile *p;
	struct pentry *e;
	size_t long_len = 5000;

	snprintf(name, sizeof(name), "evil\"name*/%s\\", hostile_core);
	p = new_profile("dir*/we\"ird\\?\?/\n.yaml", name, KVMPROF_ARCH_X86_64);

	/* Longer than C11 promises for a literal: must become an array. */
	long_text = malloc(long_len + 1);
	assert_non_null(long_text);
	for (size_t i = 0; i < long_len; i++)
		long_text[i] = (char)(1 + i % 255);
	memcpy(long_text, hostile_core, sizeof(hostile_core) - 1);
	long_text[long_len] = '\0';
	p->description = long_text;

	add_provenance(p, "kind", "authored */ \"?\?/");
	add_provenance(p, "note\\", "a\tb\x01\xff\\");
	add_provenance(p, "sources[0]", "\" \n #include <stdlib.h>");
	add_provenance(p, "trailing", hostile_core);
	p->requires_text = dup_str(hostile_core);
	p->requires = &static_is_x86;
	p->requires_pos = (struct srcpos){ p->file, 3, 11 };

	e = add_entry(p, "CPUID.*/\"\\?\?/.0.EAX", KVMPROF_KIND_CPUID, KVMPROF_PHASE_VCPU_REGS,
		      0, 7);
	e->width = 32;
	e->note = dup_str(hostile_core);
	add_field(e, "F*/\"\\\n\x01\xff" "1", 0, 4, KVMPROF_POLICY_EXACT, 0, 3);
	add_field(e, hostile_core, 4, 4, KVMPROF_POLICY_AT_MOST, KVMPROF_FIELD_SIGNED, 1);
	fold_mask(e);
	set_requires(e, "kernel >= 6.1 */ \"\\?\?/\n\\", 8, 20);
	e->requires = &static_true;

	e = add_entry(p, hostile_core, KVMPROF_KIND_MSR, KVMPROF_PHASE_VCPU_REGS, 0x10a, 9);
	e->note = dup_str("trailing backslash\\");
	e->pos.file = "/abs/dir/evil*/\\.yaml";
	return p;
}

static void test_hostile_strings(void **state)
{
	struct profile *p = hostile_profile();
	struct cgen_opts o = { .source_label = "lab*/el\n?\?/\\" };
	struct workdir w;
	char *text;
	size_t len;

	assert_int_equal(emit(p, &o, 0, &text, &len, NULL), 0);
	/* Nothing raw: no byte outside printable ASCII, tab and newline. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		assert_true(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f));
	}
	/* No "?\?" anywhere, so no trigraph can form. */
	assert_null(strstr(text, "?\?"));
	free(text);

	workdir_make(&w);
	assert_int_equal(compile_and_check(&w, p, &o), 0);
	workdir_remove(&w);
	free_profile(p);
}

static void test_symbol_name(void **state)
{
	char buf[64];

	cgen_symbol_name("linux-6.12-arm64-qemu-max", buf, sizeof(buf));
	assert_string_equal(buf, "kvmprof_profile_linux_6_12_arm64_qemu_max");
	cgen_symbol_name("9 lives\xff\"*/", buf, sizeof(buf));
	assert_string_equal(buf, "kvmprof_profile_9_lives____");
	cgen_symbol_name("abcdef", buf, 20);
	assert_string_equal(buf, "kvmprof_profile_abc");
	cgen_symbol_name("", buf, sizeof(buf));
	assert_string_equal(buf, "kvmprof_profile_");
}

static void test_header(void **state)
{
	struct profile *p = arm64_profile();
	struct cgen_opts o = { .source_label = "profiles/a.yaml", .symbol = "my_profile" };
	char *text;
	size_t len;

	assert_int_equal(emit(p, &o, 1, &text, &len, NULL), 0);
	assert_non_null(strstr(text, "#ifndef KVMPROF_GEN_MY_PROFILE_H\n"));
	assert_non_null(strstr(text, "#include \"kvmprof.h\"\n"));
	assert_non_null(strstr(text, "extern const struct kvmprof_profile my_profile;\n"));
	free(text);
	assert_int_equal(emit(p, &o, 0, &text, &len, NULL), 0);
	assert_non_null(strstr(text, "\nconst struct kvmprof_profile my_profile = {\n"));
	assert_non_null(strstr(text, "#if KVMPROF_TABLE_ABI != 2\n#error"));
	free(text);
	free_profile(p);
}

static void expect_refusal(const struct profile *p, const struct cgen_opts *o, const char *msg)
{
	char *text, *diag_text;
	size_t len;

	assert_int_equal(emit(p, o, 0, &text, &len, &diag_text), -1);
	assert_int_equal(len, 0); /* nothing half-written */
	if (!strstr(diag_text, msg))
		fail_msg("diagnostics '%s' do not mention '%s'", diag_text, msg);
	free(text);
	free(diag_text);
}

static void test_refusals(void **state)
{
	struct profile *p = arm64_profile();
	struct cgen_opts o = { .source_label = "a.yaml" };
	struct pentry tmp;

	o.symbol = "not an identifier";
	expect_refusal(p, &o, "not a C identifier");
	o.symbol = "9x";
	expect_refusal(p, &o, "not a C identifier");
	o.symbol = NULL;
	o.header_name = "a\"b.h";
	expect_refusal(p, &o, "header name");
	o.header_name = "dir//x.h";
	expect_refusal(p, &o, "header name");
	o.header_name = NULL;

	/* Out of phase order. */
	tmp = p->entries[0];
	p->entries[0] = p->entries[p->n_entries - 1];
	p->entries[p->n_entries - 1] = tmp;
	expect_refusal(p, &o, "out of phase order");
	p->entries[p->n_entries - 1] = p->entries[0];
	p->entries[0] = tmp;

	/* Unknown capability, and a name where none is allowed. */
	free(p->requires_text);
	p->requires_text = dup_str("cap(KVM_CAP_NO_SUCH_THING)");
	expect_refusal(p, &o, "KVM_CAP_NO_SUCH_THING");
	free(p->requires_text);
	p->requires_text = dup_str("ID_AA64PFR0_EL1.GIC == 1");
	expect_refusal(p, &o, "[expr]");
	free(p->requires_text);
	p->requires_text = NULL;

	p->entries[3].kind = 99;
	expect_refusal(p, &o, "unknown kind");
	p->entries[3].kind = KVMPROF_KIND_ONE_REG;
	p->entries[4].fields[0].shift = 62;
	expect_refusal(p, &o, "malformed field");
	free_profile(p);
}

static void test_no_entries(void **state)
{
	struct profile *p = new_profile("e.yaml", "empty", KVMPROF_ARCH_ARM64);
	struct cgen_opts o = { .source_label = "e.yaml" };
	struct workdir w;

	workdir_make(&w);
	assert_int_equal(compile_and_check(&w, p, &o), 0);
	workdir_remove(&w);
	free_profile(p);
}

/* C11 promises string literals of 4095 bytes: that many stay a literal,
 * one more becomes an array; both compile under -pedantic -Werror. */
static void test_long_strings(void **state)
{
	struct cgen_opts o = { .source_label = "l.yaml" };

	for (size_t len = 4095; len <= 4096; len++) {
		struct profile *p = new_profile("l.yaml", "long", KVMPROF_ARCH_ARM64);
		struct workdir w;
		char *text;
		size_t text_len;

		p->description = malloc(len + 1);
		assert_non_null(p->description);
		memset(p->description, 'x', len);
		p->description[len] = '\0';
		assert_int_equal(emit(p, &o, 0, &text, &text_len, NULL), 0);
		if (len == 4095)
			assert_null(strstr(text, "kvmprof_profile_long_description["));
		else
			assert_non_null(strstr(text, "kvmprof_profile_long_description[4097]"));
		free(text);
		workdir_make(&w);
		assert_int_equal(compile_and_check(&w, p, &o), 0);
		workdir_remove(&w);
		free_profile(p);
	}
}

/* FNV-1a 64, written out again to pin the documented rendering. */
static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void test_hash(void **state)
{
	struct profile *p = arm64_profile();
	char base[32], h[32], want[32];
	struct profile *t;

	profile_hash(p, base);
	assert_int_equal(strlen(base), 24);
	assert_memory_equal(base, "fnv1a64:", 8);

	/* Origins, file names, description, provenance: unchanged. */
	free(p->file);
	p->file = dup_str("/elsewhere/moved.yaml");
	for (size_t i = 0; i < p->n_entries; i++) {
		p->entries[i].pos = (struct srcpos){ "/elsewhere/moved.yaml", 100 + (int)i, 3 };
		p->entries[i].requires_pos.line += 7;
		p->entries[i].profile = "some-base";
		for (size_t j = 0; j < p->entries[i].n_fields; j++)
			p->entries[i].fields[j].pos.line = 999;
	}
	p->requires_pos.col = 40;
	free(p->description);
	p->description = dup_str("reworded");
	free(p->provenance[0].value);
	p->provenance[0].value = dup_str("authored");
	profile_hash(p, h);
	assert_string_equal(h, base);

	/* Anything a guest would see: changed. */
	p->entries[3].value ^= 1;
	profile_hash(p, h);
	assert_string_not_equal(h, base);
	p->entries[3].value ^= 1;
	p->entries[4].fields[1].value = 0;
	profile_hash(p, h);
	assert_string_not_equal(h, base);
	p->entries[4].fields[1].value = 1;
	p->entries[6].requires_text[0] = 'K';
	profile_hash(p, h);
	assert_string_not_equal(h, base);
	p->entries[6].requires_text[0] = 'k';
	p->entries[0].args[2] = 5;
	profile_hash(p, h);
	assert_string_not_equal(h, base);
	p->entries[0].args[2] = 0;
	p->entries[1].phase = KVMPROF_PHASE_VM;
	profile_hash(p, h);
	assert_string_not_equal(h, base);
	p->entries[1].phase = KVMPROF_PHASE_VCPU_INIT;
	profile_hash(p, h);
	assert_string_equal(h, base);
	free_profile(p);

	/* The canonical rendering, as hash.c documents it. */
	t = new_profile("t.yaml", "t", KVMPROF_ARCH_ARM64);
	profile_hash(t, h);
	snprintf(want, sizeof(want), "fnv1a64:%016" PRIx64,
		 fnv1a64("kvmprof-hash 1\nname 1:t\narch 1\nformat 1\nrequires -\nentries 0\n"));
	assert_string_equal(h, want);
	add_entry(t, "E", KVMPROF_KIND_MSR, KVMPROF_PHASE_VCPU_REGS, 0x10, 3)->value = 2;
	add_field(&t->entries[0], "F", 1, 2, 1, 1, 1);
	profile_hash(t, h);
	snprintf(want, sizeof(want), "fnv1a64:%016" PRIx64,
		 fnv1a64("kvmprof-hash 1\nname 1:t\narch 1\nformat 1\nrequires -\nentries 1\n"
			 "entry 1:E kind 7 phase 2 policy 0 width 64 reg 0 flags 0x0 group 0x0 "
			 "aux 0x0 id 0x10 value 0x2 mask 0xfffffffffffffff9 args 0x0 0x0 0x0 0x0 "
			 "requires - fields 1\n"
			 "field 1:F shift 1 width 2 policy 1 flags 0x1 value 0x1\n"));
	assert_string_equal(h, want);
	free_profile(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbol_name),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_golden_arm64),
		cmocka_unit_test(test_golden_x86),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_no_entries),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_long_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
