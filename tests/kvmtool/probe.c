/* SPDX-License-Identifier: MIT */
/*
 * probe.c - /init of the Linux guest that kvmtool boots in the kvmtool
 * suite (tests/suites/kvmtool.sh). Static, for x86_64 and aarch64. Prints
 * what the guest sees, one fact per line, each starting "probe: ", then
 * stops the VM:
 *
 *   probe: begin
 *   probe: cpus N
 *   probe: cpuinfo-flags cpu0 fpu vme ... | probe: cpuinfo-features cpu0 fp asimd ...
 *   x86:   probe: cpuid cpu=N leaf=0x1.0x0 eax=... ebx=... ecx=... edx=...
 *          probe: apicid cpu=N initial=... (CPUID.1.EBX[31:24], read on that CPU)
 *   arm64: probe: idreg cpu=N ID_AA64ISAR0_EL1=0x... (MRS at EL0: Linux
 *          emulates it, giving the sanitised system-wide value; MIDR_EL1 is
 *          the CPU's own)
 *          probe: hwcap 0x... hwcap2 0x...
 *   probe: end
 *
 * kvmtool has no ACPI power-off on x86: the guest ends with reboot(), which
 * kvmtool takes as the end of the VM; arm64 powers off through PSCI.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/reboot.h>

static void print_cpuinfo_line(const char *key)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f) {
		printf("probe: cannot open /proc/cpuinfo: %s\n", strerror(errno));
		return;
	}
	/* The first processor's block is enough: the kernel prints the same
	 * feature list for every CPU (x86 per CPU, but kvmtool gives all
	 * vCPUs one profile). */
	while (fgets(line, sizeof(line), f)) {
		size_t klen = strlen(key);
		char *colon;

		if (strncmp(line, key, klen) != 0 || !(colon = strchr(line, ':')))
			continue;
		line[strcspn(line, "\n")] = 0;
		printf("probe: cpuinfo-%s cpu0 %s\n", key, colon + 2);
		break;
	}
	fclose(f);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -1;
	sched_yield();
	return 0;
}

#if defined(__x86_64__)
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void probe_cpu(int cpu)
{
	static const uint32_t leaves[][2] = {
		{ 0x0, 0 }, { 0x1, 0 }, { 0x7, 0 }, { 0xb, 0 }, { 0xb, 1 },
		{ 0x40000000, 0 }, { 0x80000001, 0 },
	};
	uint32_t r[4];

	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		cpuid(leaves[i][0], leaves[i][1], r);
		printf("probe: cpuid cpu=%d leaf=0x%x.0x%x eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
		       cpu, leaves[i][0], leaves[i][1], r[0], r[1], r[2], r[3]);
	}
	cpuid(1, 0, r);
	printf("probe: apicid cpu=%d initial=%u\n", cpu, r[1] >> 24);
}

static void probe_system(void)
{
	print_cpuinfo_line("flags");
}

static void stop_vm(void)
{
	reboot(RB_AUTOBOOT);
}
#elif defined(__aarch64__)
#define MRS(name, enc)                                                  \
	do {                                                            \
		uint64_t v;                                             \
		__asm__ volatile("mrs %0, " enc : "=r"(v));             \
		printf("probe: idreg cpu=%d %s=0x%016llx\n", cpu, name, \
		       (unsigned long long)v);                          \
	} while (0)

static void probe_cpu(int cpu)
{
	MRS("MIDR_EL1", "S3_0_C0_C0_0");
	MRS("ID_AA64PFR0_EL1", "S3_0_C0_C4_0");
	MRS("ID_AA64PFR1_EL1", "S3_0_C0_C4_1");
	MRS("ID_AA64ZFR0_EL1", "S3_0_C0_C4_4");
	MRS("ID_AA64DFR0_EL1", "S3_0_C0_C5_0");
	MRS("ID_AA64ISAR0_EL1", "S3_0_C0_C6_0");
	MRS("ID_AA64ISAR1_EL1", "S3_0_C0_C6_1");
	MRS("ID_AA64ISAR2_EL1", "S3_0_C0_C6_2");
	MRS("ID_AA64MMFR0_EL1", "S3_0_C0_C7_0");
	MRS("ID_AA64MMFR1_EL1", "S3_0_C0_C7_1");
	MRS("ID_AA64MMFR2_EL1", "S3_0_C0_C7_2");
}

static void probe_system(void)
{
	print_cpuinfo_line("Features");
	printf("probe: hwcap 0x%lx hwcap2 0x%lx\n", getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
}

static void stop_vm(void)
{
	reboot(RB_POWER_OFF);
}
#else
#error "probe.c: x86_64 or aarch64"
#endif

int main(void)
{
	long n;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	printf("probe: begin\n");
	printf("probe: cpus %ld\n", n);
	probe_system();
	for (int cpu = 0; cpu < n; cpu++) {
		if (pin(cpu) != 0) {
			printf("probe: cannot run on cpu %d: %s\n", cpu, strerror(errno));
			continue;
		}
		probe_cpu(cpu);
	}
	printf("probe: end\n");
	fflush(stdout);
	sync();
	stop_vm();
	return 0;
}
