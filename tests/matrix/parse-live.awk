# tests/matrix/parse-live.awk -v arch=A -v col=HOST: what tests/matrix/matrix_init.c
# printed on kernel HOST (one matrix column), as tab-separated records:
#   K arch col release                      the kernel the program ran on
#   L arch row col phase entry outcome blocks field wanted before after accepted mask reg_after reason
#   G arch row col entry how wanted mask seen ok runtime_outcome   (ok: 1, 0; seen "-": unreadable)
#   X arch row col exit                     vmm.c's status for the profile (0, 1, 2)
# (row = the profile's name.) Carriage returns of the serial console are dropped.
BEGIN { FS = "\t"; OFS = "\t" }
{ sub(/\r$/, "") }
/^matrix: kernel / { split($0, w, " "); print "K", arch, col, w[3]; next }
/^matrix: profile .* exit [0-9]+$/ { n = split($0, w, " "); print "X", arch, row, col, w[n]; row = ""; next }
/^matrix: profile / { row = substr($0, 17); next }
row == "" { next }
/^M\t/ {
	print "L", arch, row, col, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
	next
}
/^  (MRS|HVC|MMIO|CPUID) +[^ ]+ +wanted 0x[0-9a-f]+ mask 0x[0-9a-f]+ guest saw 0x[0-9a-f]+  (ok|DIFFERENT) \(runtime: [a-z-]+\)$/ {
	n = split($0, w, " ")
	out = w[n]; sub(/\)$/, "", out)
	print "G", arch, row, col, w[2], w[1], w[4], w[6], w[9], (w[10] == "ok" ? 1 : 0), out
	next
}
/^  (MRS|HVC|MMIO|CPUID) +[^ ]+ +the guest could not read it/ {
	split($0, w, " ")
	print "G", arch, row, col, w[2], w[1], "-", "-", "-", 0, "-"
}
