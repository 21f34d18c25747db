# tests/matrix/report.awk -v results=FILE -v known_file=KNOWN.tsv RAW.tsv > compatibility.md
#
# Joins what tests/suites/matrix.sh collected (RAW.tsv, tab-separated):
#   R arch row kind file                         a profile (a matrix row)
#   H arch col package version qemu cpu seconds result   a kernel (a column) that ran
#   K arch col release                           the kernel release matrix_init saw
#   L arch row col phase entry outcome blocks field wanted before after accepted mask reg_after reason
#   G arch row col entry how wanted mask seen ok runtime_outcome
#   X arch row col exit                          examples/vmm.c's status
#   O arch row col phase entry outcome blocks reason        kvmprof check --against
#   V arch row col verdict n_missing n_new missing...
#   D date seconds
# (parse-live.awk and parse-check.awk write L/G/X/K and O/V.) Writes the
# markdown report on stdout and, to FILE, the machine-readable results:
#   cell arch row col direction live n_live_blocks offline n_offline_blocks n_unknown check n_missing agreement
#   entry arch row col entry field wanted accepted live_outcome guest offline_outcome agreement reason
#   T name pass|fail message                     one test of the suite
BEGIN {
	FS = "\t"; OFS = "\t"
	while ((getline line < known_file) > 0) { # column entry why
		if (line ~ /^#/ || line == "") continue
		split(line, kf, "\t"); known_why[kf[1], kf[2]] = kf[3]; known_seen[kf[1], kf[2]] = 0; known_at[++n_known_list] = kf[1] SUBSEP kf[2]
	}
}
$1 == "R" { n_rows[$2]++; row_at[$2, n_rows[$2]] = $3; row_kind[$3] = $4; row_file[$3] = $5 }
$1 == "H" {
	n_cols[$2]++; col_at[$2, n_cols[$2]] = $3
	col_pkg[$3] = $4; col_ver[$3] = $5; col_qemu[$3] = $6; col_cpu[$3] = $7; col_secs[$3] = $8; col_res[$3] = $9
}
$1 == "K" { col_release[$3] = $4 }
$1 == "L" {
	k = $3 SUBSEP $4 SUBSEP $6
	if (!((k) in l_out)) { n_ent[$3, $4]++; ent_at[$3, $4, n_ent[$3, $4]] = $6; known[k] = 1 }
	l_phase[k] = $5; l_out[k] = $7; l_blocks[k] = $8; l_field[k] = $9; l_wanted[k] = $10; l_before[k] = $11
	l_after[k] = $12; l_acc[k] = $13; l_mask[k] = $14; l_regafter[k] = $15; l_reason[k] = $16
}
$1 == "G" { k = $3 SUBSEP $4 SUBSEP $5; g_how[k] = $6; g_mask[k] = $8; g_seen[k] = $9; g_ok[k] = $10 }
$1 == "X" { x_exit[$3, $4] = $5 }
$1 == "O" {
	k = $3 SUBSEP $4 SUBSEP $6
	if (!((k) in known)) { n_ent[$3, $4]++; ent_at[$3, $4, n_ent[$3, $4]] = $6; known[k] = 1 }
	o_phase[k] = $5; o_out[k] = $7; o_blocks[k] = $8; o_reason[k] = $9
}
$1 == "V" { v_verdict[$3, $4] = $5; v_missing[$3, $4] = $6; v_new[$3, $4] = $7; v_list[$3, $4] = $8 }
$1 == "D" { run_date = $2; run_secs = $3 }

# ---- hex strings: awk numbers are doubles, so 64-bit values stay strings -------
function hexpad(x) { x = tolower(x); sub(/^0x/, "", x); while (length(x) < 16) x = "0" x; return x }
function nib(c) { return index("0123456789abcdef", c) - 1 }
function hexand(a, b,    i, r, x, y, v, bit) {
	a = hexpad(a); b = hexpad(b); r = ""
	for (i = 1; i <= 16; i++) {
		x = nib(substr(a, i, 1)); y = nib(substr(b, i, 1)); v = 0
		for (bit = 8; bit >= 1; bit /= 2)
			if (int(x / bit) % 2 && int(y / bit) % 2) v += bit
		r = r substr("0123456789abcdef", v + 1, 1)
	}
	return r
}
function short(x) { x = hexpad(x); sub(/^0+/, "", x); return "0x" (x == "" ? "0" : x) }
function series(name,    s) { s = name; if (!sub(/^linux-/, "", s)) return ""; sub(/-.*/, "", s); return s }
function sercmp(a, b,    pa, pb) { # -1, 0, 1 comparing "6.1" and "6.12" numerically
	split(a, pa, "."); split(b, pb, ".")
	if (pa[1] + 0 != pb[1] + 0) return pa[1] + 0 < pb[1] + 0 ? -1 : 1
	if (pa[2] + 0 != pb[2] + 0) return pa[2] + 0 < pb[2] + 0 ? -1 : 1
	return 0
}
function direction(row, col,    a, b, c) {
	if (row == col) return "same kernel"
	a = series(row); b = series(col)
	if (row_kind[row] !~ /^captured/) return "authored/test profile"
	c = sercmp(a, b)
	if (c < 0) return "upgrade " a " → " b
	if (c > 0) return "rollback " a " → " b
	return "same series, other platform"
}
# "neoverse-n1" of linux-7.3-arm64-neoverse-n1: what a row and a column share
# when the row was captured on the column's platform in another series.
function platform(name,    s) { s = name; if (!sub(/^linux-[0-9]+\.[0-9]+-[a-z0-9_]+-/, "", s)) return ""; return s }
function mark(ag) {
	return ag == "agree" ? "✓" : ag == "offline unknown" ? "?" : ag == "pvm rewrite" ? "P" : ag == "guest ≠ read-back" ? "G" : ag == "known offline limit" ? "K" : "✗"
}
function is_pvm(col) { return col ~ /-pvm-(this-)?host$/ }
function md(s) { gsub(/\|/, "\\|", s); return s }
function test(name, pass, msg) { print "T", name, (pass ? "pass" : "fail"), msg > results }

# Classifies every entry of cell (row, col); sets the cell's globals.
function judge_cell(row, col,    i, e, k, lb, ob, ou, ag, gnote, seen, after) {
	c_live_blocks = 0; c_off_blocks = 0; c_unknown = 0; c_disagree = 0; c_pvm = 0; c_gdiff = 0; c_gview = 0; c_known = 0
	c_disagree_list = ""; c_unknown_live = ""
	for (i = 1; i <= n_ent[row, col]; i++) {
		e = ent_at[row, col, i]; k = row SUBSEP col SUBSEP e
		lb = ((k) in l_out) && (l_blocks[k] == 1 || ((k) in g_ok && g_ok[k] == 0))
		ob = ((k) in o_out) && o_blocks[k] == 1
		ou = ((k) in o_out) && o_out[k] == "unknown"
		gnote = ""
		if ((k) in g_seen && g_seen[k] != "-" && ((k) in l_regafter)) {
			seen = hexand(g_seen[k], g_mask[k]); after = hexand(l_regafter[k], g_mask[k])
			if (seen != after) { gnote = "guest ≠ read-back " short(l_regafter[k]); c_gdiff++ }
		}
		# an entry the runtime did not try (an earlier entry of its all-or-nothing
		# phase failed, nothing was written) has no live verdict of its own
		if (((k) in l_out) && l_out[k] == "not-attempted") ag = "not attempted live"
		else if (lb && ob) ag = "agree"
		else if (!lb && !ob && !ou) ag = "agree"
		else if (ou) ag = "offline unknown"
		else if (lb && is_pvm(col) && l_out[k] == "readback-differs" && gnote == "") ag = "pvm rewrite"
		else if (lb && l_blocks[k] == 0 && gnote != "") ag = "guest ≠ read-back"
		else if (lb && ((col, e) in known_why)) { ag = "known"; if (counting) known_seen[col, e]++ }
		else if (lb && !((k) in o_out)) ag = "live only"
		else if (!((k) in l_out)) ag = "offline only"
		else ag = "DISAGREE"
		if (ag == "DISAGREE") { c_disagree++; c_disagree_list = c_disagree_list " " e }
		if (ag == "pvm rewrite") c_pvm++
		if (ag == "guest ≠ read-back") c_gview++
		if (ag == "known") c_known++
		if (ou) { c_unknown++; if (!lb) c_unknown_live = c_unknown_live (c_unknown_live == "" ? "" : ", ") e " (" (((k) in l_out) ? l_out[k] : "not run") ")" }
		if (lb) c_live_blocks++
		if (ob) c_off_blocks++
		e_ag[k] = ag; e_lb[k] = lb; e_ob[k] = ob; e_ou[k] = ou; e_gnote[k] = gnote
	}
	c_ran = ((row, col) in x_exit)
	c_live = !c_ran ? "not run" : (c_live_blocks == 0 && x_exit[row, col] == 0 ? "yes" : "no")
	c_off = c_off_blocks ? "no" : (c_unknown ? "unknown" : "yes")
	if (!((row, col) in v_verdict)) c_off = "not run"
	if (c_disagree) c_agree = "disagree"
	else if (c_live == c_off) c_agree = "agree"
	else if (c_off == "unknown") c_agree = "offline unknown"
	else if (c_pvm) c_agree = "pvm rewrite"
	else if (c_gview) c_agree = "guest ≠ read-back"
	else if (c_known) c_agree = "known offline limit"
	else c_agree = "disagree"
}

function cell_text(row, col) {
	judge_cell(row, col)
	if (!c_ran) return "not run"
	t = c_live == "yes" ? "**yes**" : "no (" c_live_blocks ")"
	if (v_missing[row, col] > 0) t = t " +" v_missing[row, col] " reg"
	return t " " mark(c_agree)
}

# The summary of arch ar: one row and one column per series; a cell joins
# the platforms (CPU models) for which the row series has a capture and the
# column series a kernel, in column order: "yes" or the blocking count each,
# then one agreement mark for all of them (the worst).
function summary_grid(ar,    j, i, c, s, n_ser, ser, plats, n_pl, pl, a, b, r, cell, any, worst, wrank, rk, txt) {
	n_ser = 0; n_pl = 0
	for (j = 1; j <= n_cols[ar]; j++) {
		c = col_at[ar, j]; s = series(c)
		if (s == "" || is_pvm(c)) continue
		if (!((ar, s) in ser_seen)) { ser_seen[ar, s] = 1; ser[++n_ser] = s }
		if (!((ar, "p", platform(c)) in ser_seen)) { ser_seen[ar, "p", platform(c)] = 1; pl[++n_pl] = platform(c) }
	}
	for (a = 1; a <= n_ser; a++) for (b = a + 1; b <= n_ser; b++) if (sercmp(ser[a], ser[b]) > 0) { s = ser[a]; ser[a] = ser[b]; ser[b] = s }
	plats = ""
	for (i = 1; i <= n_pl; i++) plats = plats (i > 1 ? " / " : "") "`" pl[i] "`"
	print ""
	print "### " ar ": guest started on ↓, host kernel →" (n_pl > 1 ? " (each cell: " plats ")" : "")
	print ""
	hdr = "| from ↓ \\ to → |"; sep = "| --- |"
	for (b = 1; b <= n_ser; b++) { hdr = hdr " " ser[b] " |"; sep = sep " --- |" }
	print hdr; print sep
	for (a = 1; a <= n_ser; a++) {
		line = "| **" ser[a] "** |"
		for (b = 1; b <= n_ser; b++) {
			txt = ""; any = 0; worst = "agree"; wrank = 0
			for (i = 1; i <= n_pl; i++) {
				r = "linux-" ser[a] "-" ar "-" pl[i]; c = "linux-" ser[b] "-" ar "-" pl[i]
				if (!((r) in row_kind) || !((c) in col_pkg)) { txt = txt (i > 1 ? " / " : "") "–"; continue }
				judge_cell(r, c)
				any = 1
				cell = !c_ran ? "not run" : c_live == "yes" ? "yes" : c_live_blocks
				if (c_ran && v_missing[r, c] > 0) cell = cell "+" v_missing[r, c] "r"
				txt = txt (i > 1 ? " / " : "") cell
				rk = c_agree == "agree" ? 0 : c_agree == "offline unknown" ? 1 : c_agree == "disagree" ? 9 : 2
				if (rk > wrank) { wrank = rk; worst = c_agree }
			}
			if (txt ~ /^(yes( \/ yes)*)$/) txt = "**yes**"
			line = line " " (any ? txt " " mark(worst) : "–") " |"
		}
		print line
	}
}

# The GICD_IIDR revision-1 row, per series: what each kernel did live and
# what the offline check predicted.
function iidr_table(ar,    j, c, k, live, off, r) {
	r = "matrix-gicd-iidr-rev1"
	if (!((r) in row_kind)) return
	print ""
	print "### GICD_IIDR: a write of revision 1 (the May 2026 case)"
	print ""
	print "From 49a1a2c70a7f (v5.19) until the fix a0e6ae45af17 KVM took the revision of a `GICD_IIDR` write from the old"
	print "value: the write returns 0 and the revision stays 3 (**kept 3**). Kernels with the fix refuse revision 1 with EINVAL"
	print "(**refused**). The offline check predicts it from the capture's probed range, or, where the capture has none, from"
	print "the register database's kernel-keyed fact `gicd-iidr-revision-write-ignored` (`kvmprof explain GICD_IIDR`)."
	print ""
	print "| host kernel | Debian package | live | offline (`kvmprof check --against`) | agree |"
	print "| --- | --- | --- | --- | --- |"
	for (j = 1; j <= n_cols[ar]; j++) {
		c = col_at[ar, j]; k = r SUBSEP c SUBSEP "GICD_IIDR"
		if (!((r, c) in x_exit)) continue
		live = l_out[k] == "rejected" ? "refused (EINVAL)" : l_out[k] == "readback-differs" ? "kept 3 (write returned 0)" : l_out[k]
		off = o_out[k] == "rejected" ? "refused" : o_out[k] == "differs" ? "kept 3 (reads back 3)" : o_out[k] == "unknown" ? "unknown: " o_reason[k] : o_out[k]
		print "| `" c "` | " col_pkg[c] " " col_ver[c] " | " live " | " md(off) " | " \
			((l_out[k] == "rejected" && o_out[k] == "rejected") || (l_out[k] == "readback-differs" && o_out[k] == "differs") ? "✓" : "✗") " |"
	}
}

END {
	n_arch = 0
	if ("arm64" in n_rows) archs[++n_arch] = "arm64"
	if ("x86_64" in n_rows) archs[++n_arch] = "x86_64"
	print "# Kernel compatibility: the upgrade/rollback matrix"
	print ""
	print "Generated by `make matrix` (`tests/suites/matrix.sh`, also part of `./run check`) from a real run on " run_date ";"
	print "do not edit. The run took " run_secs " s on this machine (2 CPUs), downloads excluded when the kernels are cached."
	print ""
	print "Each **row** is a profile captured by `kvmprof capture` on one kernel (`profiles/`, made by `make captures`; the"
	print "`provenance:` of each names the exact Debian package, QEMU and CPU model). Each **column** is a kernel that hosts a"
	print "VM with that profile: `examples/vmm.c` (`tests/matrix/matrix_init.c`) applies it in lenient mode so every entry is"
	print "reported, then a real guest under that kernel's KVM reads what it sees (arm64: `MRS` of every ID register, `HVC`"
	print "PSCI_VERSION, the GICD registers through MMIO; x86: `CPUID`) and the VMM compares. All profiles of an architecture run"
	print "in one boot of the column's kernel, one VM each. Independently, `kvmprof check ROW --against COLUMN's capture` gives"
	print "the offline verdict, which is compared with the live one entry by entry."
	print ""
	print "## Kernels"
	print ""
	print "| kernel (column) | Debian package | version | ran as | QEMU | CPU model | boot + run |"
	print "| --- | --- | --- | --- | --- | --- | --- |"
	for (a = 1; a <= n_arch; a++)
		for (j = 1; j <= n_cols[archs[a]]; j++) {
			c = col_at[archs[a], j]
			print "| `" c "` | " col_pkg[c] " | " col_ver[c] " | " col_release[c] " | " col_qemu[c] " | " col_cpu[c] " | " col_secs[c] " s |"
		}
	print ""
	print "## Summary: upgrade and rollback between series"
	print ""
	print "Each cell: a guest whose profile was captured on the row's series (`make captures`), started fresh on the column's"
	print "kernel, same CPU model. Above the diagonal an upgrade, below a rollback. **yes**: every entry was applied or already"
	print "presented and the guest saw every stated value; **N**: N entries block (the kernel could not present them, refused"
	print "them, read them back differently, or the guest saw something else); **+Rr**: besides, R registers of the row's"
	print "`KVM_GET_REG_LIST` that the column's kernel lacks (a fresh VM starts; a vCPU migrated from the row's kernel could"
	print "not be restored). The mark after a cell compares the live run with the offline check (`kvmprof check --against`):"
	print "✓ the same verdict entry by entry; ? the offline check cannot decide an entry (its reason names the missing fact)"
	print "and the live run decides; P PVM rewrote CPUID; G the runtime's read-back says the kernel presents the value but the"
	print "guest reads another (no capture can know); K a known limit of the offline emulation (listed below); ✗ they"
	print "disagree (a bug). Details, every profile (captured and authored) on every kernel, follow."
	for (a = 1; a <= n_arch; a++) summary_grid(archs[a])
	if ("arm64" in n_rows) iidr_table("arm64")
	print ""
	print "## Every profile on every kernel"
	print ""
	print "Rows: every profile of the architecture (captured ones, the authored ones of `profiles/`, and test profiles);"
	print "columns: every kernel, grouped by CPU model. Cell text as in the summary, with **no (N)** for N blocking entries"
	print "and **+R reg** for missing registers."
	for (a = 1; a <= n_arch; a++) {
		ar = archs[a]
		n_grp = 0; delete grp_seen
		for (j = 1; j <= n_cols[ar]; j++) {
			g = is_pvm(col_at[ar, j]) ? "this host" : platform(col_at[ar, j])
			if (!(g in grp_seen)) { grp_seen[g] = 1; grp[++n_grp] = g }
		}
		for (gi = 1; gi <= n_grp; gi++) {
			print ""
			print "### " ar ", " (grp[gi] == "this host" ? "this machine's own /dev/kvm" : "`-cpu` / platform `" grp[gi] "`")
			print ""
			hdr = "| profile ↓ \\ host kernel → |"; sep = "| --- |"
			for (j = 1; j <= n_cols[ar]; j++) {
				c = col_at[ar, j]
				if ((is_pvm(c) ? "this host" : platform(c)) != grp[gi]) continue
				hdr = hdr " " (is_pvm(c) ? "`" c "`" : series(c)) " |"; sep = sep " --- |"
			}
			print hdr; print sep
			for (i = 1; i <= n_rows[ar]; i++) {
				r = row_at[ar, i]
				line = "| `" r "`" (row_kind[r] ~ /^captured/ ? "" : " (" row_kind[r] ")") " |"
				for (j = 1; j <= n_cols[ar]; j++) {
					c = col_at[ar, j]
					if ((is_pvm(c) ? "this host" : platform(c)) != grp[gi]) continue
					line = line " " cell_text(r, c) " |"
				}
				print line
			}
		}
	}
	print ""
	print "## Live and offline verdicts"
	print ""
	print "| profile | host kernel | direction | live (guest checked) | offline, entries | `kvmprof check` | registers missing | comparison |"
	print "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for (a = 1; a <= n_arch; a++) {
		ar = archs[a]
		for (i = 1; i <= n_rows[ar]; i++)
			for (j = 1; j <= n_cols[ar]; j++) {
				r = row_at[ar, i]; c = col_at[ar, j]
				counting = 1; judge_cell(r, c); counting = 0
				d = direction(r, c)
				print "cell", ar, r, c, d, c_live, c_live_blocks, c_off, c_off_blocks, c_unknown, v_verdict[r, c], v_missing[r, c] + 0, c_agree > results
				print "| `" r "` | `" c "` | " d " | " c_live (c_live == "no" ? " (" c_live_blocks ")" : "") " | " c_off \
					(c_off_blocks ? " (" c_off_blocks ")" : "") (c_unknown ? ", " c_unknown " unknown" : "") " | " v_verdict[r, c] " | " \
					v_missing[r, c] + 0 " | " c_agree " |"
				# tests
				tn = "cell_" r "_on_" c
				if (!c_ran || !((r, c) in v_verdict))
					test(tn, 0, "not run (live " (c_ran ? "ran" : "missing") ", offline " (((r, c) in v_verdict) ? "ran" : "missing") ")")
				else
					test(tn, c_agree != "disagree", "live " c_live ", offline " c_off ": entries disagree:" c_disagree_list)
				if (r == c && c_ran)
					test("own_" r, c_live == "yes" || (c_pvm + c_gview == c_live_blocks && c_live_blocks > 0),
					     "a capture on its own kernel: live " c_live " with " c_live_blocks " blocking entries")
				if (r ~ /^matrix-gicd-iidr-rev1$/ && c_ran) {
					# refused (EINVAL, the runtime probed 2..3) or kept 3 (the write
					# returned 0, the read-back and the guest say 3); offline the same
					k = r SUBSEP c SUBSEP "GICD_IIDR"
					refused = l_out[k] == "rejected" && l_field[k] == "Revision" && l_wanted[k] == "0x1" && l_acc[k] == "0x2..0x3" && \
						o_reason[k] ~ /Revision=1: this kernel accepts 2\.\.3 only/
					kept = l_out[k] == "readback-differs" && l_field[k] == "Revision" && l_after[k] == "0x3"
					same = (refused && o_out[k] == "rejected") || (kept && o_out[k] == "differs")
					test("gicd_iidr_rev1_" c, (refused || kept) && same && o_blocks[k] == 1 && g_ok[k] == 0,
					     "live " l_out[k] " field " l_field[k] " wanted " l_wanted[k] " after " l_after[k] " accepted " l_acc[k] \
					     "; offline " o_out[k] " \"" o_reason[k] "\"; guest ok " g_ok[k])
				}
				if (row_file[r] ~ /^profiles\/.*-pvm\.yaml$/ && row_kind[r] !~ /^captured/ && is_pvm(c) && c_ran)
					test("authored_" r "_on_" c, c_live == "yes" || (c_pvm == c_live_blocks && c_live_blocks > 0),
					     "an authored profile for this host: live " c_live " with " c_live_blocks " blocking entries, " c_pvm " PVM rewrites")
			}
	}
	print ""
	print "## What blocks, cell by cell"
	print ""
	print "Every entry that blocks live or offline, or that the offline check cannot decide while the live run blocked it, for"
	print "each capture on a kernel of its own platform (the upgrade/rollback cells of the summary), and for any other cell"
	print "where the live run and the offline check differ."
	print "**field** is the first field at fault (`-`: the whole register); **wanted** the row's value of it; **kernel** what"
	print "the column's kernel accepts (`accepts lo..hi`, when the runtime probed it) or keeps; **live** the runtime's outcome;"
	print "**guest saw** the whole register as the guest read it (and, when it differs, the kernel's read-back: where PVM"
	print "rewrites CPUID, the guest sees the read-back, not what was written); **offline** `kvmprof check --against`'s outcome."
	for (a = 1; a <= n_arch; a++) {
		ar = archs[a]
		for (i = 1; i <= n_rows[ar]; i++)
			for (j = 1; j <= n_cols[ar]; j++) {
				r = row_at[ar, i]; c = col_at[ar, j]
				judge_cell(r, c)
				if (!c_ran || (c_live == "yes" && c_off == "yes" && v_missing[r, c] == 0)) continue
				# a capture on another platform, or an authored profile, blocks
				# for reasons of that platform: listed only when live and offline differ
				if (c_agree == "agree" && !(row_kind[r] ~ /^captured/ && platform(r) == platform(c))) continue
				print ""
				print "### `" r "` on `" c "` (" direction(r, c) "): " (c_live == "yes" ? "yes" : "no, " c_live_blocks " blocking") \
					", offline " c_off ", " c_agree
				print ""
				nb = 0
				for (e_i = 1; e_i <= n_ent[r, c]; e_i++) {
					e = ent_at[r, c, e_i]; k = r SUBSEP c SUBSEP e
					if (!(e_lb[k] || e_ob[k] || (e_ou[k] && e_lb[k]) || e_gnote[k] != "")) {
						gstr = ""
					}
					if (!(e_lb[k] || e_ob[k] || e_gnote[k] != "")) continue
					if (!nb++) {
						print "| entry | field | wanted | kernel | live | guest saw | offline | runtime's reason |"
						print "| --- | --- | --- | --- | --- | --- | --- | --- |"
					}
					kern = "-"
					if ((k) in l_out) {
						if (l_acc[k] != "-") { split(l_acc[k], rg, /\.\./); kern = "accepts " short(rg[1]) ".." short(rg[2]) }
						else if (l_out[k] == "readback-differs") kern = "reads back " short(l_after[k])
						else kern = "keeps " short(l_before[k])
					}
					g = ((k) in g_seen) ? (g_seen[k] == "-" ? "could not read" : short(g_seen[k]) (g_ok[k] ? " (ok)" : "")) : "-"
					if (e_gnote[k] != "") g = g ", " e_gnote[k]
					off = ((k) in o_out) ? o_out[k] : "-"
					print "| `" e "` | " (((k) in l_field) ? l_field[k] : "-") " | " (((k) in l_wanted) ? short(l_wanted[k]) : "-") " | " kern " | " \
						(((k) in l_out) ? l_out[k] : "-") " | " g " | " off (e_ag[k] == "agree" ? "" : " (" e_ag[k] ")") " | " \
						md(((k) in l_reason) ? l_reason[k] : o_reason[k]) " |"
					print "entry", ar, r, c, e, (((k) in l_field) ? l_field[k] : "-"), (((k) in l_wanted) ? l_wanted[k] : "-"), kern, \
						(((k) in l_out) ? l_out[k] : "-"), g, off, e_ag[k], (((k) in l_reason) ? l_reason[k] : o_reason[k]) > results
				}
				if (!nb) print "No entry blocks."
				if (c_unknown_live != "") {
					print ""
					print "Offline unknown, the live kernel honoured them: " c_unknown_live "."
				}
				if (v_missing[r, c] > 0) {
					print ""
					print "Registers of the row's `KVM_GET_REG_LIST` this kernel lacks (offline, from the captures): " v_missing[r, c] \
						": `" v_list[r, c] "`."
				}
			}
	}
	if (n_known_list) {
		print ""
		print "## Known limits of the offline check"
		print ""
		print "Entries the offline check (`kvmprof check --against`) calls presentable that the live kernel refuses, each"
		print "explained (`tests/matrix/known-disagreements.tsv`); the suite fails on any other disagreement, and on a listed"
		print "one that is no longer seen."
		print ""
		print "| host kernel | entry | cells | why |"
		print "| --- | --- | --- | --- |"
		for (ki = 1; ki <= n_known_list; ki++) {
			kk = known_at[ki]
			split(kk, kp, SUBSEP)
			print "| `" kp[1] "` | `" kp[2] "` | " known_seen[kk] " | " md(known_why[kk]) " |"
			test("known_disagreement_" kp[1] "_" kp[2], known_seen[kk] > 0, "listed in tests/matrix/known-disagreements.tsv but not seen in this run: remove it")
		}
	}
	print ""
	print "## How to read and rerun"
	print ""
	print "- `make matrix` reruns everything and rewrites this file; `make captures` regenerates the row profiles."
	print "- `build/matrix/results.tsv` holds the same verdicts for machines: `cell` lines (arch, row, column, direction,"
	print "  live verdict and blocking count, offline verdict, blocking and unknown counts, `kvmprof check`'s verdict,"
	print "  registers missing, comparison), `entry` lines (each blocking entry) and `T` lines (the suite's tests)."
	print "- The register list is compared offline only (from the two captures, each made live on its kernel); the live"
	print "  run starts fresh VMs, where a register list difference shows only on migration."
}
