#!/bin/bash
# service_verify.sh - what ships as dist/wirewho.service is right.
#
#   - ExecStart names the program where `meson install` puts it, and
#     `systemd-analyze verify` passes on the unit with the files laid out as
#     `meson install` would (the install paths from `meson introspect
#     --installed`: the program for ExecStart, the manual page for
#     Documentation=man:wirewho(8)): in a private mount namespace of its
#     own, with tmpfs over the two folders holding just those files, so
#     nothing is installed on the machine or seen by other processes;
#   - the options of its ExecStart line are accepted by the built binary
#     (`watch` parses them and runs: its usage is checked, not its capture).
# Skipped (77) only when systemd-analyze cannot run at all.
#
# usage: service_verify.sh BUILD_DIR SOURCE_ROOT
set -u
BUILD=$(readlink -f "${1:?usage: $0 BUILD_DIR SOURCE_ROOT}")
ROOT=$(readlink -f "${2:?usage: $0 BUILD_DIR SOURCE_ROOT}")
WW=$BUILD/wirewho
UNIT=$ROOT/dist/wirewho.service
MAN=$ROOT/docs/wirewho.8
FAIL=0
ok()   { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; FAIL=1; }

systemd-analyze --version >/dev/null 2>&1 || { echo "SKIP: systemd-analyze cannot run"; exit 77; }

# Where `meson install` puts the program and the manual page ("" if it does not).
installed() {
	meson introspect --installed "$BUILD" 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"
}
IBIN=$(installed "$WW")
IMAN=$(installed "$MAN")
BIN=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$UNIT")
[ -n "$IBIN" ] && [ "$BIN" = "$IBIN" ] && ok "test_the_unit_starts_the_program_where_meson_installs_it" ||
	fail "test_the_unit_starts_the_program_where_meson_installs_it (ExecStart=$BIN, installed as ${IBIN:-nothing})"
[ -n "$IMAN" ] && ok "test_meson_installs_the_manual_page_the_unit_names" ||
	fail "test_meson_installs_the_manual_page_the_unit_names"

verify() {
	# As root a mount namespace of our own; otherwise a user namespace too.
	local how=(unshare -m)
	[ "$(id -u)" = 0 ] || how=(unshare -rm)
	# The man tree is the folder above manN/ ("" when nothing installs it:
	# then verify looks for the page as this machine has it).
	local mandir=${IMAN%/man[0-9]/*}
	"${how[@]}" sh -c '
		set -e
		mkdir -p "$(dirname "$2")"
		mount -t tmpfs wwverify "$(dirname "$2")"
		cp "$1" "$2"
		if [ -n "$4" ]; then
			mkdir -p "$4"
			mount -t tmpfs wwverify "$4"
			mkdir -p "$(dirname "$5")"
			cp "$3" "$5"
		fi
		exec systemd-analyze verify "$6"' sh "$WW" "${IBIN:-$BIN}" "$MAN" "${IMAN:+$mandir}" "$IMAN" "$UNIT"
}
if unshare -m true 2>/dev/null || unshare -rm true 2>/dev/null; then
	out=$(verify 2>&1)
	[ $? = 0 ] && [ -z "$out" ] && ok "test_systemd_analyze_verify_passes_on_the_installed_layout" ||
		fail "test_systemd_analyze_verify_passes_on_the_installed_layout: $out"
else
	# No mount namespace to lay the files out in: the unit as this machine has it.
	out=$(systemd-analyze verify "$UNIT" 2>&1)
	[ $? = 0 ] && [ -z "$out" ] && ok "test_systemd_analyze_verify_passes (as installed here)" ||
		fail "test_systemd_analyze_verify_passes (no mount namespace; is wirewho installed?): $out"
fi

# ExecStart's options parse: the same words, the interface a missing one so
# that nothing is captured; usage errors are exit 2, a missing interface 1.
ARGS=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$UNIT" | tr -d '\\\n' | sed 's/^ExecStart=[^ ]* //')
ARGS=${ARGS//\$\{WIREWHO_INTERFACE\}/wwverify-none$$}
ARGS=${ARGS//\$WIREWHO_ARGS/}
T=$(mktemp -d /tmp/wwverify.XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "allow comm=curl dir=out proto=tcp rport=443" >"$T/policy"
ARGS=${ARGS//\/etc\/wirewho\/policy/$T/policy}
# shellcheck disable=SC2086
timeout 10 "$WW" $ARGS --duration 1 >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" != 2 ] && [ "$rc" != 124 ]; then
	ok "test_the_unit_execstart_options_are_what_watch_takes (exit $rc)"
else
	fail "test_the_unit_execstart_options_are_what_watch_takes (exit $rc): $(head -c 300 "$T/err")"
fi
exit $FAIL
