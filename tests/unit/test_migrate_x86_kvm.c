/* SPDX-License-Identifier: MIT */
/*
 * test_migrate_x86_kvm.c - a running x86 guest saved and restored on this
 * machine's real /dev/kvm (PVM) with tests/migrate/migrate_vmm.c, and the
 * destination's verdict before restore (kvmprof_migration_check()).
 *
 * The profiles are YAML files built into tables in memory (as `kvmprof
 * check` does): profiles/linux-6.18-x86_64-pvm.yaml and
 * tests/migrate/profiles/migrate-x86-tolerate-kvm-msr.yaml.
 *
 * PVM rewrites the guest's CPUID on the first KVM_RUN (real-kvm.md): the
 * table KVM_GET_CPUID2 returns after the run is the rewritten one, the one
 * the guest saw, and that is what the state carries and the restore sets.
 * test_pvm_cpuid_rewrite_carried says where the rewrite applies.
 */
#define MIGRATE_NO_MAIN
#include "../migrate/migrate_vmm.c"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "rt_fixtures.h"
#include "tables.h"

#define PVM_PROFILE "profiles/linux-6.18-x86_64-pvm.yaml"
#define TOLERATE_PROFILE "tests/migrate/profiles/migrate-x86-tolerate-kvm-msr.yaml"

struct loaded {
	struct profile *p;
	struct tables t;
};

static void load(struct loaded *l, const char *path)
{
	static const char *const search[] = { "profiles", NULL };
	struct diag d;

	diag_init(&d, stderr);
	l->p = profile_load_resolved(path, search, &d);
	assert_non_null(l->p);
	assert_int_equal(tables_build(l->p, &l->t, &d), 0);
	diag_fini(&d);
}

static void unload(struct loaded *l)
{
	tables_free(&l->t);
	profile_free(l->p);
}

/* Saves a guest started with p into *s (read back through the text). */
static void save_to_state(const struct kvmprof_profile *p, struct state *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	assert_non_null(mem);
	assert_int_equal(migrate_save(p, mem), 0);
	fclose(mem);
	mem = fmemopen(buf, len, "r");
	assert_non_null(mem);
	assert_int_equal(state_read(mem, s), 0);
	fclose(mem);
	free(buf);
}

/* The state's value of MSR `index`, or -1 when it carries none. */
static int state_has_msr(const struct state *s, uint32_t index)
{
	for (int i = 0; i < s->n; i++) {
		unsigned idx;
		uint64_t v;

		if (sscanf(s->lines[i], "msr %x %" SCNx64, &idx, &v) == 2 && idx == index)
			return 1;
	}
	return 0;
}

/* Save and restore on the same kernel with the same profile: the guest,
 * reading its 66 values again, sees no change. */
static void test_same_kernel_nothing_changed(void **state)
{
	struct loaded l;
	struct state s = { .n = 0 };
	char text[4096];
	uint8_t mem[GUEST_MEM_SIZE];
	uint64_t first[REC_SLOTS];
	int nonzero = 0;

	(void)state;
	RT_NEED_KVM();
	load(&l, PVM_PROFILE);
	save_to_state(&l.t.profile, &s);
	/* The guest did look: its record in the saved memory is not empty, and
	 * leaf 0 names a vendor. */
	assert_int_equal(st_get_mem(&s, mem), 0);
	flatten_record(mem, REC1, first);
	for (int i = 0; i < n_looks; i++)
		nonzero += first[i] != 0;
	assert_true(nonzero > 10);
	assert_true(first[1] != 0); /* CPUID.0.EBX: the vendor string's first 4 bytes */
	assert_non_null(st_find(&s, "blob", "xsave"));
	assert_non_null(st_find(&s, "blob", "lapic"));
	assert_true(state_has_msr(&s, 0x10)); /* IA32_TSC, from the index list */

	assert_int_equal(migrate_restore(&l.t.profile, &s, text, sizeof(text)), MIGRATE_SAME);
	printf("restore: %s\n", text);
	st_free(&s);
	unload(&l);
}

/* PVM: what the guest executed CPUID for is KVM_GET_CPUID2 after the run,
 * not what KVM_SET_CPUID2 set; the profile hides AVX512F (leaf 7.0 EBX bit
 * 16) and the guest may see it anyway. The state carries the table the
 * guest saw, so the restore keeps the rewrite and the guest sees no change. */
static void test_pvm_cpuid_rewrite_carried(void **state)
{
	struct loaded l;
	struct state s = { .n = 0 };
	uint8_t mem[GUEST_MEM_SIZE];
	uint64_t first[REC_SLOTS];
	int found = 0;

	(void)state;
	RT_NEED_KVM();
	load(&l, PVM_PROFILE);
	save_to_state(&l.t.profile, &s);
	assert_int_equal(st_get_mem(&s, mem), 0);
	flatten_record(mem, REC1, first);
	for (int i = 0; i < s.n; i++) {
		unsigned fn, idx, flags, r[4];

		if (sscanf(s.lines[i], "cpuid %x %x %x %x %x %x %x", &fn, &idx, &flags, &r[0], &r[1], &r[2], &r[3]) != 7 ||
		    fn != 7 || idx != 0)
			continue;
		found = 1;
		/* looks 12..15 are CPUID.0x7.0x0.EAX..EDX (cpuid_looks[3]) */
		for (int k = 0; k < 4; k++)
			assert_int_equal(first[12 + k], r[k]);
		printf("CPUID.0x7.0x0.EBX: the guest saw 0x%08x, AVX512F %s; the profile states AVX512F 0%s\n", r[1],
		       r[1] & (1u << 16) ? "set" : "clear",
		       r[1] & (1u << 16) ? ": PVM rewrote CPUID on the first KVM_RUN (the saved table is the rewritten one)"
					 : "");
	}
	assert_true(found);
	st_free(&s);
	unload(&l);
}

/* A state saved under another profile (name), or under a profile of the
 * same name whose content changed (hash), is refused before restore. */
static void test_other_profile_refused(void **state)
{
	struct loaded a, b;
	struct state s = { .n = 0 };
	char text[4096];
	const char *saved_hash;

	(void)state;
	RT_NEED_KVM();
	load(&a, PVM_PROFILE);
	load(&b, TOLERATE_PROFILE);
	save_to_state(&a.t.profile, &s);
	assert_int_equal(migrate_restore(&b.t.profile, &s, text, sizeof(text)), MIGRATE_REFUSED);
	assert_non_null(strstr(text, "saved under profile linux-6.18-x86_64-pvm"));
	/* Same name, other content. */
	saved_hash = a.t.profile.source_hash;
	a.t.profile.source_hash = "fnv1a64:0000000000000000";
	assert_int_equal(migrate_restore(&a.t.profile, &s, text, sizeof(text)), MIGRATE_REFUSED);
	assert_non_null(strstr(text, "this VM runs linux-6.18-x86_64-pvm (fnv1a64:0000000000000000)"));
	a.t.profile.source_hash = saved_hash;
	st_free(&s);
	unload(&a);
	unload(&b);
}

/* A state carrying an MSR this kernel does not list: refused when the
 * profile states no policy for it (naming it), dropped with a note when
 * the profile tolerates it; a hidden MSR is never restored. */
static void test_missing_msr_by_policy(void **state)
{
	struct loaded pvm, tol;
	struct state s = { .n = 0 };
	char text[4096];

	(void)state;
	RT_NEED_KVM();
	load(&pvm, PVM_PROFILE);
	load(&tol, TOLERATE_PROFILE);

	save_to_state(&pvm.t.profile, &s);
	st_add(&s, "msr 4b564dff 0"); /* as if the source kernel had listed it */
	assert_int_equal(migrate_restore(&pvm.t.profile, &s, text, sizeof(text)), MIGRATE_REFUSED);
	assert_non_null(strstr(text, "refused: 1 register this kernel does not list or cannot take is not tolerated"));
	assert_non_null(strstr(text, "MSR 0x4b564dff [unstated]"));
	st_free(&s);

	save_to_state(&tol.t.profile, &s);
	assert_true(state_has_msr(&s, 0x4b564d05));
	st_add(&s, "msr 4b564dff 0");
	assert_int_equal(migrate_restore(&tol.t.profile, &s, text, sizeof(text)), MIGRATE_SAME);
	st_free(&s);
	unload(&pvm);
	unload(&tol);
}

/* The verdict itself, with counts, on this kernel. */
static void test_migration_check_counts(void **state)
{
	struct loaded tol;
	struct vm v;
	static struct kvmprof_incoming_item items[8];
	struct kvmprof_migration_report r = { .items = items, .capacity = 8 };
	const uint32_t msrs[] = { 0x10, 0x4b564dff, 0x4b564d05, 0x4b564dfe };
	struct kvmprof_incoming in = { .sz = sizeof(in), .msrs = msrs, .n_msrs = 4 };
	char text[512];

	(void)state;
	RT_NEED_KVM();
	load(&tol, TOLERATE_PROFILE);
	in.profile_name = tol.t.profile.name;
	in.profile_hash = tol.t.profile.source_hash;
	assert_int_equal(vm_open(&v, &tol.t.profile), 0);
	assert_int_equal(kvmprof_migration_check(&tol.t.profile, v.kvm_fd, v.vm_fd, v.vcpu_fd, &in, &r), KVMPROF_ERR_MIGRATION);
	assert_int_equal(r.n_taken, 1);
	assert_int_equal(r.n_dropped, 1);
	assert_int_equal(r.n_hidden, 1);
	assert_int_equal(r.n_refused, 1);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.items[2].id, 0x4b564dfe);
	assert_int_equal(r.items[2].verdict, KVMPROF_INCOMING_REFUSE);
	assert_true(r.n_dest_only > 10);
	kvmprof_migration_reason(&tol.t.profile, &in, &r, text, sizeof(text));
	assert_string_equal(kvmprof_incoming_verdict_name(r.items[0].verdict), "drop");
	assert_non_null(strstr(text, "1 dropped (tolerated, or outside the register set): MSR 0x4b564dff"));
	/* Capacity too small: the counters stay right, REPORT_FULL unless refused. */
	in.n_msrs = 3;
	r.capacity = 1;
	assert_int_equal(kvmprof_migration_check(&tol.t.profile, v.kvm_fd, v.vm_fd, v.vcpu_fd, &in, &r), KVMPROF_ERR_REPORT_FULL);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.n_dropped + r.n_hidden, 2);
	vm_close(&v);
	unload(&tol);
}

int main(void)
{
	(void)vmm_run_profile;      /* examples/vmm.c's own run, unused here */
	(void)migrate_restore_file; /* the VMM's per-file restore, unused here */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_kernel_nothing_changed),
		cmocka_unit_test(test_pvm_cpuid_rewrite_carried),
		cmocka_unit_test(test_other_profile_refused),
		cmocka_unit_test(test_missing_msr_by_policy),
		cmocka_unit_test(test_migration_check_counts),
	};

#if !defined(__x86_64__)
	printf("SKIP: x86_64 only\n");
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
