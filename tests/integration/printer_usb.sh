#!/bin/bash
# The usb printer backend through libusb's real code path, against the
# printer simulator in a umockdev ioctl handler (this kernel has no virtual
# USB host): every operation, every injected fault, the ribbon quirk, a
# printer that stops answering, and no printer at all.
. "$(dirname "$0")/../lib.sh"

J=$ROOT/etc/examples/EXAMPLE-000001.json
# ASan builds under the umockdev preload must not insist on being first
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
# sim [usbsim options] -- pbtool operations...
sim() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	timeout 60 umockdev-wrapper "$B/tests/usbsim" -o "$T/out" "${opts[@]}" -- \
		"$B/tests/pbtool" -b usb -d 0f49:1001 -t 2000 -L "$ROOT/etc/layouts/ektp-front.conf" "$@"
}
line() { sed -n "${2}p" "$1"; }

sim -n 3 -r 50 -- status encoder print "$J" eject status >"$T/ok" 2>"$T/ok.err"
check "status, to the encoder, print, eject all ok" \
	test "$(grep -c 'class=ok' "$T/ok")" = 5
check "the ribbon count is read" grep -q '^op=status .* left=50 ' "$T/ok"
check "and counts one print" sh -c "sed -n 5p '$T/ok' | grep -q ' left=49 '"
expect_grep "the simulator printed one card to the output" 'printed 1, output 1, rejected 0, blanks left 2' "$T/ok.err"
check "the simulator saved the printed K panel" test -s "$T/out/print-001.pgm"
check "with the face's text in it (dark pixels in the NIK row)" \
	sh -c "tail -c +16 '$T/out/print-001.pgm' | head -c \$((1016*150)) | tail -c \$((1016*40)) | od -An -tu1 -v | tr -s ' ' '\n' | awk '\$1 < 100' | wc -l | awk '{exit !(\$1 > 1000)}'"

sim -- encoder reject >"$T/rej" 2>"$T/rej.err"
expect_grep "reject sends the card to the reject box" 'output 0, rejected 1' "$T/rej.err"

# printer time, scaled 100x: feed 10 ms, print 150 ms, eject 10 ms
s0=$(date +%s%N)
sim -T 100 -- encoder print "$J" eject >"$T/timed" 2>/dev/null
ms=$((($(date +%s%N) - s0) / 1000000))
echo "# a timed cycle (scale 100) took $ms ms"
check "a timed cycle succeeds" test "$(grep -c 'class=ok' "$T/timed")" = 3
check "and takes at least the printer's 170 ms" test "$ms" -ge 170

# faults, each a named outcome
fault() { # NAME EXPECTED-LINE-ERE usbsim-options -- ops
	local name=$1 want=$2; shift 2
	sim "$@" >"$T/f-$name" 2>/dev/null
	if grep -Eq -- "$want" "$T/f-$name"; then ok "fault $name"; else
		notok "fault $name"; sed 's/^/#   /' "$T/f-$name"; fi
}
fault jam '^op=print class=stop reasons=jam ' -F jam:1 -- encoder print "$J"
fault cover-status '^op=status class=stop reasons=door open ' -F cover -- status
fault cover-feed '^op=encoder class=stop reasons=door open ' -F cover -- encoder
fault cooling '^op=print class=retry reasons=cooling down ' -F cooling:1 -- encoder print "$J"
check "after cooling down the same card prints" grep -q '^op=print class=ok' \
	<(sim -F cooling:1 -- encoder print "$J" print "$J" 2>/dev/null | tail -1)
fault hopper-empty-status '^op=status class=stop reasons=input hopper empty ' -n 0 -- status
fault hopper-empty-feed '^op=encoder class=stop reasons=input hopper empty ' -n 0 -- encoder
fault ribbon-out '^op=status class=stop reasons=ribbon out .* left=0 ' -r 0 -- status
fault ribbon-out-print '^op=print class=stop reasons=ribbon out ' -r 0 -- encoder print "$J"
fault ribbon-low '^op=status class=ok reasons=ribbon low .* left=5 ' -r 5 -- status
fault reject-full '^op=reject class=stop reasons=reject box full ' -R 0 -- encoder reject
fault bogus-ribbon '^op=status class=ok reasons= .* left=200 ' -F bogus-ribbon -- status
fault stops-answering '^op=status class=retry reasons=offline .*stopped answering' -F mute:3 -- status
check "a printer that stopped answering is reopened by the next operation" \
	grep -q '^op=encoder class=' <(sim -F mute:3 -- status encoder 2>/dev/null)

# no such printer: offline, retry
timeout 30 umockdev-wrapper "$B/tests/usbsim" -- "$B/tests/pbtool" -b usb -d 0f49:9999 status \
	>"$T/none" 2>/dev/null
expect_grep "no printer with that vendor:product is offline, retry" \
	'^op=status class=retry reasons=offline .*no printer 0f49:9999 on USB' "$T/none"
"$B/tests/pbtool" -b usb -d 0f49:1001 status >"$T/bare" 2>&1
expect_grep "without the simulator there is no printer: retry, not a crash" '^op=status class=retry ' "$T/bare"
finish
