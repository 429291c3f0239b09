#!/bin/bash
# Issue 6, item 4: a complete `ssh jdoe@127.0.0.1 true` with supportgrant wired into sshd as
# SPEC §9 says (publickey, then the reason prompt as keyboard-interactive, account and
# session checks, ForceCommand gate) against the same login on an sshd without it, in a
# private host built by tests/lib/host.sh (make install, useradd, the real supportgrantd).
# Runs alternate between the two so that load changes hit both alike.
#   bench/sshd.sh BUILD_DIR     (writes $SG_BENCH_RES/sshd.json)
set -euo pipefail
source "$(dirname "$0")/../tests/lib/sandbox.sh"
source "$SG_TOP/tests/lib/host.sh"

B=$(cd "${1:?usage: sshd.sh BUILD_DIR}" && pwd)
sg_require_root "the sshd benchmark"
if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    sg_run_private "$@"
    exit $?
fi
: "${SG_BENCH_RES:?}"
RUNS=${SG_BENCH_SSHD_RUNS:-40}

sg_private_host /etc /usr /var
sg_host_setup "$B"
supportgrant grant jdoe --period 1w --note bench >/dev/null

# The same sshd without supportgrant: a symlink named sshd-plain makes OpenSSH 9.2 use PAM
# service sshd-plain (HOST-FACTS), which gets the untouched /etc/pam.d/sshd, including copies
# of the common-* files without the pam-auth-update profile's lines; its own config file is the
# untouched sshd_config without the drop-in directory (which holds supportgrant's Match block).
ln -s /usr/sbin/sshd /usr/sbin/sshd-plain
for f in /etc/pam.d/common-*; do
    grep -v pam_supportgrant "$f" >"$f-plain"
done
sed 's/^@include \(common-[a-z-]*\)$/@include \1-plain/' "$SG_HOST_DIR/pam.sshd.orig" >/etc/pam.d/sshd-plain
grep -q 'common-account-plain' /etc/pam.d/sshd-plain || sg_die "sshd-plain: no common-account-plain"
! grep -rq pam_supportgrant /etc/pam.d/sshd-plain /etc/pam.d/common-*-plain ||
    sg_die "sshd-plain still names pam_supportgrant"
grep -v '^Include /etc/ssh/sshd_config.d/' "$SG_HOST_DIR/sshd_config.orig" >"$SG_HOST_DIR/sshd_config.plain"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    PLAIN_PORT=$((20000 + RANDOM % 40000))
    sg_port_free "$PLAIN_PORT" && [ "$PLAIN_PORT" != "$SG_SSH_PORT" ] && break
done
/usr/sbin/sshd-plain -D -f "$SG_HOST_DIR/sshd_config.plain" -E "$SG_HOST_DIR/sshd-plain.log" \
    -h "$SG_HOST_DIR/ssh_host_ed25519_key" -o "ListenAddress=127.0.0.1:$PLAIN_PORT" \
    -o PidFile=none -o MaxStartups=100:30:200 &
PLAIN_PID=$!
trap 'kill $PLAIN_PID 2>/dev/null || true; sg_sshd_stop; sg_daemon_stop' EXIT
plain_listening() { ! sg_port_free "$PLAIN_PORT"; }
sg_wait_for 10 plain_listening || sg_die "the plain sshd did not start"
printf '[127.0.0.1]:%s %s\n' "$PLAIN_PORT" "$(cut -d' ' -f1,2 "$SG_HOST_DIR/ssh_host_ed25519_key.pub")" \
    >>"$SG_HOST_DIR/known_hosts"

# One login; prints its wall time in ns. With the module: sg_ssh answers the reason prompt
# through SSH_ASKPASS; without: the same key, publickey only.
login() {
    local t0 t1 port=$SG_SSH_PORT
    [ "$1" = plain ] && port=$PLAIN_PORT
    t0=$(date +%s%N)
    SG_SSH_PORT=$port sg_ssh jdoe -o LogLevel=ERROR -- true </dev/null >/dev/null ||
        sg_die "ssh to the $1 sshd failed (see $SG_HOST_DIR/*.log)"
    t1=$(date +%s%N)
    echo $((t1 - t0))
}

accepted_rows() { supportgrant logins --json --user jdoe | { grep -o '"outcome": *"accepted"' || true; } | wc -l; }
rows_before=$(accepted_rows)
login module >/dev/null
login plain >/dev/null
with=() without=()
for ((i = 0; i < RUNS; i++)); do
    if ((i % 2)); then
        without+=("$(login plain)")
        with+=("$(login module)")
    else
        with+=("$(login module)")
        without+=("$(login plain)")
    fi
done
rows_after=$(accepted_rows)
# Every login through the module must have left its row: it really was in the path.
[ $((rows_after - rows_before)) -eq $((RUNS + 1)) ] ||
    sg_die "expected $((RUNS + 1)) new login rows, found $((rows_after - rows_before))"

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
p90() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR * 0.9 + 0.5)] }'; }
printf '{"runs": %d, "with_median_ns": %s, "without_median_ns": %s, "with_p90_ns": %s, "without_p90_ns": %s, "login_rows_added": %d}\n' \
    "$RUNS" "$(median "${with[@]}")" "$(median "${without[@]}")" "$(p90 "${with[@]}")" \
    "$(p90 "${without[@]}")" $((rows_after - rows_before)) >"$SG_BENCH_RES/sshd.json"
cat "$SG_BENCH_RES/sshd.json"
