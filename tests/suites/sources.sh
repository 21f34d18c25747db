#!/usr/bin/env bash
# Rules of the source tree, checked by reading it:
#  - every check an error or warning names is in check_table (model/checks.c)
#    at the level of its call (diag_error: error, diag_warning: warning);
#  - architectural numbers live in the register database (regdb/*.db) or the
#    one uAPI header (runtime/kvm_compat.h), nowhere else in the C sources:
#    no arm64 one-reg ids, no ioctl numbers, no KVM constant defined by
#    number, no MSR index of the database, no architecture name as a literal;
#  - no C file outside runtime/ includes a runtime-private header (every
#    header of runtime/ but the public kvmprof.h and the uAPI kvm_compat.h);
#  - the facts generated into the runtime (which links no regdb) are the
#    database's: runtime/arch/x86/cpuid_features.h is what `make regen` makes.
# Prints cmocka's summary lines.
set -u
cd "$(dirname "$0")/../.."
. tests/suites/lib/report.bash
suite_init sources "source rules"

srcs=$(ls regdb/*.c model/*.c model/*.y model/*.l formats/*.c ops/*.c cli/*.c)
echo "[==========] Running 4 test(s)."

# check_table rows: NAME LEVEL
table=$(perl -ne 'print "$1 $2\n" if /^\s*\{ "([a-z0-9-]+)", CHECK_(ERROR|WARNING),/' model/checks.c)
# call sites: LEVEL NAME FILE. The check is the first string literal of the
# call (the format comes after it); a call naming none shows as "(none)".
calls=$(perl -0777 -ne 'while (/\bdiag_(error|warning)\(([^;]*?)\);/gs) { my ($l, $c) = ($1, $2); my $n = $c =~ /"([^"]*)"/ ? $1 : ""; $n = "(none)" unless $n =~ /^[a-z0-9-]+$/; print uc($l), " $n $ARGV\n" }' $srcs)
bad=$(printf '%s\n' "$calls" | while read -r level name file; do
	[ -n "$level" ] || continue
	if ! printf '%s\n' "$table" | grep -qx "$name $level"; then
		echo "$file: $name as $level"
	fi
done | sort -u)
if [ -z "$table" ] || [ -z "$calls" ]; then
	report_fail checks_in_table "no check table or no call sites found (the patterns are stale)"
elif [ -z "$bad" ]; then
	report_pass checks_in_table
else
	report_fail checks_in_table "not in check_table at that level: $(echo $bad)"
fi
# Where a fact may be spelt as a number: the database and the uAPI header,
# with no exceptions.
fact_srcs=$(ls regdb/*.c regdb/*.h model/*.[chyl] formats/*.[ch] ops/*.[ch] cli/*.[ch] runtime/*.[ch] \
	runtime/arch/*/*.[ch] | grep -v '^runtime/kvm_compat.h$')
msr_ids=$(awk '$1 == "reg" && $3 == "msr" { print $4 }' regdb/x86-msr.db | paste -sd'|')
# The sources with their comments blanked (line numbers kept), as FILE:LINE:TEXT.
code=$(perl -0777 -ne '
	my $t = $_;
	$t =~ s{/\*.*?\*/}{ (my $c = $&) =~ s/[^\n]/ /g; $c }gse;
	$t =~ s{//[^\n]*}{}g;
	my $n = 0;
	print "$ARGV:", ++$n, ":$_\n" for split /\n/, $t, -1;
' $fact_srcs)
# The same with string literals blanked too: numbers quoted in messages and
# help texts (examples of what a user types) are not facts the code uses.
code_nostr=$(printf '%s\n' "$code" | perl -pe 's/"(?:[^"\\]|\\.)*"/""/g')
facts=$( {
	printf '%s\n' "$code_nostr" | grep -E ':.*\b0x60[0-9a-fA-F]{14}(ull|ULL)?\b' # arm64 one-reg ids
	printf '%s\n' "$code" | grep -E ':.*_IO(R|W|WR)?[[:space:]]*\([[:space:]]*KVMIO' # ioctl numbers
	printf '%s\n' "$code" | grep -E ':[0-9]+:[[:space:]]*#[[:space:]]*define[[:space:]]+((KVMPROF_)?KVM_[A-Z0-9_]+|[A-Z0-9_]*CAP_[A-Z0-9_]*)[[:space:]]+\(?(0x)?[0-9]'
	printf '%s\n' "$code_nostr" | grep -Ei ":.*\\b($msr_ids)(u|ull)?\\b" # MSR indices of the database
	# architecture names come from regdb's table (the runtime, which links no
	# regdb, names the machines it runs on in kvm_ioctl.c)
	printf '%s\n' "$code" | grep -E ':.*"(arm64|x86_64|aarch64)"' | grep -vE '^(regdb/regdb\.c|runtime/kvm_ioctl\.c):'
} | sort -u)
facts=$(printf '%s\n' "$facts" | grep -v '^$')
if [ -z "$facts" ]; then
	report_pass facts_in_regdb_or_uapi_header
else
	printf '%s\n' "$facts" | sed 's/^/    | /'
	report_fail facts_in_regdb_or_uapi_header "architectural numbers outside regdb/ and runtime/kvm_compat.h (above)"
fi
# The runtime's private headers, and every C file outside runtime/ (the
# product, its tests, fuzzers, examples; not build output) including one.
private=$(find runtime -name '*.h' ! -name kvmprof.h ! -name kvm_compat.h -exec basename {} \; | sort | paste -sd'|')
outside=$(find . \( -path ./runtime -o -path './build*' -o -path ./.git \) -prune -o \
	-type f \( -name '*.[chyl]' \) -print)
if [ -z "$private" ]; then
	report_fail no_private_runtime_headers_outside "no private header found in runtime/ (the listing is stale)"
else
	includes=$(printf '%s\n' "$outside" | xargs grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]([^\">]*/)?($private)[\">]" /dev/null)
	if [ -z "$includes" ]; then
		report_pass no_private_runtime_headers_outside
	else
		printf '%s\n' "$includes" | sed 's/^/    | /'
		report_fail no_private_runtime_headers_outside "runtime-private headers ($private) included outside runtime/ (above)"
	fi
fi
# The runtime's generated facts, made again from the database.
if regen=$(awk -v emit=cpuid-features -f regdb/gen-regdb.awk regdb/*.db 2>&1) &&
	[ "$regen" = "$(cat runtime/arch/x86/cpuid_features.h)" ]; then
	report_pass runtime_facts_match_regdb
else
	printf '%s\n' "$regen" | diff - runtime/arch/x86/cpuid_features.h | head -20 | sed 's/^/    | /'
	report_fail runtime_facts_match_regdb "runtime/arch/x86/cpuid_features.h differs from the database: run make regen"
fi
report_finish
