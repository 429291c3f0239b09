#!/bin/bash
# make bench: measures the PAM module, a full login, the CLI and sshd end to end, inside the
# private host (real users from useradd, a real journald, the real daemon on a real socket,
# databases on the real disk), and writes bench/results.json plus a table on stdout.
#   bench/run.sh BUILD_DIR          (BUILD_DIR from: make B=build-bench OPT=-O2 bench-build)
# Knobs for quick runs: SG_BENCH_SCALE=0.1 (fewer iterations), SG_BENCH_CONC_SECONDS=10,
# SG_BENCH_SSHD=0 (no sshd part). Item numbers below are those of issue 6.
set -euo pipefail
source "$(dirname "$0")/../tests/lib/sandbox.sh"

B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
OUT=${SG_BENCH_OUT:-$SG_TOP/bench/results.json}
sg_require_root "the benchmark"

if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    # Two private hosts, one after the other (the sshd one has supportgrant installed with
    # make install), writing raw results into one directory; then the report.
    SG_BENCH_RES=$(mktemp -d /tmp/supportgrant-bench.XXXXXX)
    export SG_BENCH_RES
    trap 'rm -rf "$SG_BENCH_RES"' EXIT
    {
        echo "{\"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\","
        echo " \"cpus\": $(nproc), \"kernel\": \"$(uname -r)\","
        echo " \"os\": \"$(. /etc/os-release && echo "$PRETTY_NAME")\","
        echo " \"virtualization\": \"$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1)\","
        echo " \"memory_kb\": $(awk '/MemTotal/ { print $2 }' /proc/meminfo),"
        echo " \"filesystem\": \"$(stat -f -c %T /tmp)\","
        echo " \"sqlite\": \"$(sqlite3 --version | cut -d' ' -f1)\","
        echo " \"load_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\","
        echo " \"date\": \"$(date -u +%FT%TZ)\", \"opt\": \"${SG_BENCH_OPT:--O2}\"}"
    } >"$SG_BENCH_RES/machine.json"
    sg_run_private "$@"
    if [ "${SG_BENCH_SSHD:-1}" = 1 ]; then
        # A fresh start for the second host: nothing of the first run may make it take the
        # real host for a private one (sandbox.sh also refuses that itself).
        env -u SG_IN_PRIVATE -u SG_WORK -u SG_OUTER_MNTNS "$SG_TOP/bench/sshd.sh" "$B"
    fi
    sed -i "s|\"date\"|\"load_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"date\"|" \
        "$SG_BENCH_RES/machine.json"
    "$B/bench/sgbench" report "$SG_BENCH_RES" "$OUT"
    exit $?
fi

sg_private_host /etc /var
SCALE=${SG_BENCH_SCALE:-1}
CONC_SECONDS=${SG_BENCH_CONC_SECONDS:-10}
CONC_PROCS=${SG_BENCH_CONC_PROCS:-64}
n() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); print (v < 20 ? 20 : v) }'; }

groupadd onoffice-staff
groupadd onoffice-support
useradd -m alice
useradd -m -G onoffice-staff,onoffice-support jdoe

T=$SG_WORK/bench
RES=${SG_BENCH_RES:?}
mkdir -p "$T/etc" "$T/lib" "$T/run" "$T/pam.d" "$RES"
chmod 0755 "$T" "$T/etc"
chmod 0700 "$T/lib"
SMALL=$T/lib/small.db
BIG=$T/lib/big.db
MOD=$B/pam_supportgrant.so
SGB=$B/bench/sgbench

# One daemon per database (only the daemon opens it; the module asks the one on its socket).
for db in small big; do
    printf 'database = %s/lib/%s.db\nsocket = %s/run/%s.sock\n' "$T" "$db" "$T" "$db" >"$T/etc/$db.conf"
    # The daemon must not end the benchmark's own "sessions" (its pids are the bench processes).
    { cat "$T/etc/$db.conf"; echo "terminate_sessions = no"; } >"$T/etc/daemon-$db.conf"
done
chmod 0644 "$T/etc/"*.conf

# The baselines an administrator could build without supportgrant.
# pam_access: a rule file regenerated at each activation (jdoe is the one with a grant).
cat >"$T/etc/access.conf" <<'EOF'
+ : jdoe : ALL
- : (onoffice-staff) : ALL
+ : ALL : ALL
EOF
# pam_exec: a script asking the database with the sqlite3 CLI.
cat >"$T/etc/check-grant.sh" <<'EOF'
#!/bin/sh
# Staff may log in while an unrevoked, unexpired grant names them.
db=$1
case "$PAM_USER" in ''|*[!a-z0-9_-]*) exit 1 ;; esac
case " $(id -nG "$PAM_USER") " in *" onoffice-staff "*) ;; *) exit 0 ;; esac
n=$(sqlite3 -readonly "$db" "SELECT count(*) FROM grants WHERE kind = 'user' AND target = '$PAM_USER' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > unixepoch())")
[ "${n:-0}" -gt 0 ]
EOF
chmod 0755 "$T/etc/check-grant.sh"

acct_stack() { printf 'account required %s\naccount required pam_permit.so\n' "$1" >"$T/pam.d/$2"; }
acct_stack "$MOD conf=$T/etc/small.conf" sg-small
acct_stack "$MOD conf=$T/etc/big.conf" sg-big
# nodefgroup: without it pam_access also looks up "jdoe" as a group name, which through
# nss-systemd costs milliseconds and would make this baseline look worse than it need be.
acct_stack "pam_access.so nodefgroup accessfile=$T/etc/access.conf" access
# The floor: what libpam itself costs per pam_acct_mgmt with a one-line stack.
printf 'account required pam_permit.so\n' >"$T/pam.d/floor"
acct_stack "pam_exec.so quiet $T/etc/check-grant.sh $SMALL" exec-small
acct_stack "pam_exec.so quiet $T/etc/check-grant.sh $BIG" exec-big
# The audit trail's cost: the same whole login on the small database, by the daemon and by a
# build of it that appends nothing to the trail (Makefile, supportgrantd-notrail).
printf 'database = %s/lib/notrail.db\nsocket = %s/run/notrail.sock\n' "$T" "$T" >"$T/etc/notrail.conf"
{ cat "$T/etc/notrail.conf"; echo "terminate_sessions = no"; } >"$T/etc/daemon-notrail.conf"
chmod 0644 "$T/etc/notrail.conf" "$T/etc/daemon-notrail.conf"
for svc in small notrail; do
    for phase in account session; do
        printf '%s required %s conf=%s\n%s required pam_permit.so\n' \
            "$phase" "$MOD" "$T/etc/$svc.conf" "$phase"
    done >"$T/pam.d/sg-txn-$svc"
done
for svc in sg-txn sg-conc; do
    for phase in account session; do
        printf '%s required %s conf=%s\n%s required pam_permit.so\n' \
            "$phase" "$MOD" "$T/etc/big.conf" "$phase"
    done >"$T/pam.d/$svc"
done

step() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }
acct() { "$SGB" acct "$T/pam.d" "$1" "$2" "$3" >"$RES/$4.json"; }
txn() { "$SGB" txn "$T/pam.d" sg-txn jdoe "$1" >"$RES/$2.json"; }

"$SGB" fsync "$T/lib" 200 >"$RES/fsync.json"
"$SGB" commit "$T/lib" "$(n 1000)" >"$RES/commit.json"
"$SGB" audit "$T/lib" "$(n 5000)" >"$RES/audit.json"
step "populating: 1 grant (small), 10,000 grants + 10,000 logins (big)"
"$SGB" populate "$SMALL" 1 0 jdoe
"$SGB" populate "$T/lib/notrail.db" 1 0 jdoe
"$SGB" populate "$BIG" 10000 10000 jdoe

DAEMONS=()
trap 'kill "${DAEMONS[@]}" 2>/dev/null || true' EXIT
for db in small big notrail; do
    daemon=$B/supportgrantd
    [ "$db" = notrail ] && daemon=$B/bench/supportgrantd-notrail
    "$daemon" --socket "$T/run/$db.sock" --foreground --conf "$T/etc/daemon-$db.conf" \
        2>>"$T/daemon.log" &
    DAEMONS+=($!)
    sg_wait_for 10 test -S "$T/run/$db.sock" || { cat "$T/daemon.log"; sg_die "supportgrantd did not start"; }
done

# 5. Growth: the same account check (and a whole login) at 10k, 100k and 1M login rows.
rows=10000
for add in 0 90000 900000; do
    if [ "$add" -gt 0 ]; then
        step "adding $add login rows"
        "$SGB" populate "$BIG" 0 "$add" jdoe
        rows=$((rows + add))
    fi
    step "growth: account check and login at $rows login rows"
    acct sg-big jdoe "$(n 5000)" "growth-acct-$rows"
    txn "$(n 300)" "growth-txn-$rows"
done

# fsyncs per whole staff login: the daemon's (the module makes none), counted by strace over
# FSYNC_LOGINS logins one after another (sgbench txn adds 20 warm-up logins).
step "fsyncs per whole login"
FSYNC_LOGINS=$(n 100)
strace -f -qq -c -e trace=fsync,fdatasync,sync_file_range,syncfs,sync -o "$T/strace-fsync" \
    -p "${DAEMONS[1]}" 2>/dev/null &
STRACE=$!
traced() { grep -q "^TracerPid:[[:space:]]*$STRACE\$" "/proc/${DAEMONS[1]}/status"; }
sg_wait_for 10 traced || sg_die "strace did not attach to the daemon"
"$SGB" txn "$T/pam.d" sg-txn jdoe "$FSYNC_LOGINS" >/dev/null
kill -INT "$STRACE"
wait "$STRACE" 2>/dev/null || true
[ -n "${SG_BENCH_TRACE:-}" ] && cp "$T/strace-fsync" "$SG_BENCH_TRACE"
awk -v logins=$((FSYNC_LOGINS + 20)) '
    $NF ~ /^(fsync|fdatasync|sync_file_range|syncfs|sync)$/ { calls += $4 }
    END { printf "{\"logins\": %d, \"fsyncs\": %d, \"per_login\": %.3f}\n", logins, calls, calls / logins }
' "$T/strace-fsync" >"$RES/fsyncs.json"

# 1. The account check against both baselines.
step "account check: non-staff"
acct floor alice "$(n 50000)" acct-floor
acct sg-big alice "$(n 20000)" acct-nonstaff-module
acct access alice "$(n 300)" acct-nonstaff-access
acct exec-big alice "$(n 300)" acct-nonstaff-exec
step "account check: staff, 1 grant"
acct sg-small jdoe "$(n 10000)" acct-small-module
acct access jdoe "$(n 5000)" acct-small-access
acct exec-small jdoe "$(n 300)" acct-small-exec
step "account check: staff, 10,000 grants, 1,000,000 logins"
acct sg-big jdoe "$(n 10000)" acct-big-module
acct access jdoe "$(n 5000)" acct-big-access
acct exec-big jdoe "$(n 300)" acct-big-exec

"$SGB" parts "$T/etc/big.conf" alice "$(n 5000)" >"$RES/parts-alice.json"
"$SGB" parts "$T/etc/big.conf" jdoe "$(n 5000)" >"$RES/parts-jdoe.json"

# 2. Whole logins: one after the other, then 64 at once.
step "full login transaction"
txn "$(n 1000)" txn
step "full login with and without the audit trail (1 grant)"
# Wall time is noisy at this scale; the daemons' own CPU time (utime + stime) over the same
# logins (sgbench txn adds 20 warm-up logins to each run) says what the trail costs them.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_trail=0 ticks_notrail=0
for round in 1 2; do # alternating, so that neither gets the quieter half of the run
    t0=$(cpu_ticks "${DAEMONS[0]}")
    "$SGB" txn "$T/pam.d" sg-txn-small jdoe "$(n 500)" >"$RES/txn-trail-$round.json"
    t1=$(cpu_ticks "${DAEMONS[0]}")
    ticks_trail=$((ticks_trail + t1 - t0))
    t0=$(cpu_ticks "${DAEMONS[2]}")
    "$SGB" txn "$T/pam.d" sg-txn-notrail jdoe "$(n 500)" >"$RES/txn-notrail-$round.json"
    t1=$(cpu_ticks "${DAEMONS[2]}")
    ticks_notrail=$((ticks_notrail + t1 - t0))
done
printf '{"logins": %d, "hz": %d, "ticks_trail": %d, "ticks_notrail": %d}\n' \
    $((2 * ($(n 500) + 20))) "$(getconf CLK_TCK)" "$ticks_trail" "$ticks_notrail" >"$RES/trail-cpu.json"
[ "$(sqlite3 "$T/lib/notrail.db" 'SELECT count(*) FROM audit')" = 1 ] ||
    sg_die "the baseline daemon wrote to the audit trail"
step "$CONC_PROCS concurrent logins for $CONC_SECONDS s"
"$SGB" concurrent "$T/pam.d" sg-conc jdoe "$CONC_PROCS" "$CONC_SECONDS" "$BIG" >"$RES/concurrent.json"

# 3. The CLI through the daemon (root holds the right to activate).
step "CLI round trips"
CLI=("$B/supportgrant" --conf "$T/etc/big.conf")
runs=$(n 100)
hyperfine -N --style none --warmup 5 --runs "$runs" --export-json "$RES/cli-grant.json" \
    "${CLI[*]} grant jdoe --note bench" >/dev/null
hyperfine -N --style none --warmup 5 --runs "$runs" --export-json "$RES/cli-logins.json" \
    "${CLI[*]} logins --json --limit 256" >/dev/null
"${CLI[@]}" logins --json --limit 256 | grep -o '"id":' | wc -l >"$RES/cli-logins-rows"

kill "${DAEMONS[@]}" 2>/dev/null || true
wait "${DAEMONS[@]}" 2>/dev/null || true

# 6. The daemon at rest: its CPU use with 200 staff accounts running a process each (covered
# by a department grant, so nothing is ended), with the 1 s sweep of process uids
# (terminate_sessions = yes) and, as the baseline in the same run, without any sweep.
step "daemon at rest: 200 staff accounts with a process each"
IDLE_SECONDS=${SG_BENCH_IDLE_SECONDS:-30}
printf 'database = %s/lib/idle.db\nsocket = %s/run/idle.sock\n' "$T" "$T" >"$T/etc/idle.conf"
{ cat "$T/etc/idle.conf"; echo "terminate_sessions = no"; } >"$T/etc/idle-nosweep.conf"
chmod 0644 "$T/etc/idle.conf" "$T/etc/idle-nosweep.conf"
IDLE=
idle_start() { # idle_start CONF
    "$B/supportgrantd" --socket "$T/run/idle.sock" --foreground --conf "$1" 2>>"$T/daemon.log" &
    IDLE=$!
    sg_wait_for 10 test -S "$T/run/idle.sock" || sg_die "supportgrantd did not start"
}
idle_stop() {
    kill "$IDLE"
    wait "$IDLE" 2>/dev/null || true
}
idle_cpu() { # idle_cpu CONF: the daemon's CPU seconds over IDLE_SECONDS, after a warm-up
    local t0 t1
    idle_start "$1"
    sleep 3
    t0=$(awk '{ print $14 + $15 }' "/proc/$IDLE/stat")
    sleep "$IDLE_SECONDS"
    t1=$(awk '{ print $14 + $15 }' "/proc/$IDLE/stat")
    idle_stop
    awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz }'
}
# The department's grant first, so that the daemon has nothing to end.
idle_start "$T/etc/idle-nosweep.conf"
"$B/supportgrant" --conf "$T/etc/idle.conf" grant --department support --period 1w --note bench >/dev/null
idle_stop
for i in $(seq 1 200); do
    useradd -M -G onoffice-staff,onoffice-support "staff$i"
    setsid setpriv --reuid="staff$i" --regid="staff$i" --init-groups -- sleep 100000 </dev/null >/dev/null 2>&1 &
done
cpu_sweep=$(idle_cpu "$T/etc/idle.conf")
[ "$(pgrep -c -x sleep -u "$(seq -s, -f 'staff%g' 1 200)")" = 200 ] || sg_die "the daemon ended covered staff processes"
cpu_none=$(idle_cpu "$T/etc/idle-nosweep.conf")
printf '{"seconds": %s, "staff_uids": 200, "processes": %s, "cpu_s_sweep": %s, "cpu_s_no_sweep": %s}\n' \
    "$IDLE_SECONDS" "$(ls /proc | grep -c '^[0-9]')" "$cpu_sweep" "$cpu_none" >"$RES/idle.json"
pkill -x sleep -u "$(seq -s, -f 'staff%g' 1 200)" || true
