#!/bin/bash
# Robustness, end to end, in a private host (tests/lib/sandbox.sh): the real module through
# real Linux-PAM stacks (pamtester), the real daemon on the default socket, the real CLI as
# real users, real SQLite files on real (tmpfs) filesystems, a real journald.
#
#   faults:  database unreadable / truncated / random bytes / newer or wrong schema / locked
#            by another writer / on a full or read-only filesystem; configuration missing,
#            unreadable, world-writable, with a bad value; daemon not running, killed -9 in
#            the middle of a stream of grants, restarted.
#            For each: staff denied with a clear message, non-staff unaffected, nothing
#            acknowledged lost, PRAGMA integrity_check ok.
#   hostile: tests/robust/hostile.py (oversized, truncated, invalid, deep, wrong types, 1000
#            idle connections, a connect flood, clients that stop reading) while a well-behaved
#            client must keep getting answers within 1 s and the daemon's RSS stays bounded.
#   edges:   odd user and group names, terminal escapes in reasons, a clock that went back.
#
# tests/pam covers missing/corrupt/locked databases in-process; these are the other faults.
#   tests/robust/run.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"

B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
sg_require_root "the robustness tests"
command -v pamtester >/dev/null || sg_die "pamtester is missing (make deps)"

if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    sg_run_private "$@"
    exit $?
fi

sg_private_host /etc /var
# syslog(3) (pam_syslog) writes to /dev/log, which the host may or may not have. A private
# overlay over /dev links it to this sandbox's journald, so that what the module logs is
# checked for raw escapes too (edges.sh); the host's /dev is untouched.
mkdir -p "$SG_WORK/ov/dev/upper" "$SG_WORK/ov/dev/work"
if mount -t overlay overlay \
    -o "lowerdir=/dev,upperdir=$SG_WORK/ov/dev/upper,workdir=$SG_WORK/ov/dev/work" /dev; then
    ln -sf /run/systemd/journal/dev-log /dev/log
else
    echo "note: no private /dev; syslog lines are checked only if the host has /dev/log"
fi

CONF=/etc/security/supportgrant.conf
DBDIR=/var/lib/supportgrant
DB=$DBDIR/supportgrant.db
SOCK=/run/supportgrant/socket
T=$SG_WORK/robust
mkdir -p "$T" /etc/security /run/supportgrant
chmod 0755 "$T"
SG=$(sg_user_copy "$B/supportgrant") # the test users cannot reach a checkout under /root

groupadd onoffice-staff
groupadd onoffice-support
useradd -m alice                                    # customer admin (default right)
useradd -m bob                                      # customer user whose right root took away
useradd -m mallory                                  # an unprivileged local user
useradd -m -G onoffice-staff,onoffice-support jdoe  # staff
useradd -m -G onoffice-staff sam                    # staff, no department

# Staff must never get in through a fallback: after the module only pam_permit, so a stack
# result of "success" for staff means the module said yes, and for non-staff (PAM_IGNORE)
# that the module stayed out of the way.
cat >/etc/pam.d/sgrobust <<EOF
auth     required pam_permit.so
account  required $B/pam_supportgrant.so
account  required pam_permit.so
session  required $B/pam_supportgrant.so
session  required pam_permit.so
EOF

# The host's zone decides "today" and "1m" (edges.sh checks that a caller's TZ does not).
ln -sf /usr/share/zoneinfo/Europe/Berlin /etc/localtime
echo Europe/Berlin >/etc/timezone

write_conf() {
    printf '# robustness tests\n%s\n' "$*" >"$CONF"
    chmod 0644 "$CONF"
}
write_conf ""

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
REASON="Robustness test: customer ticket 4711"
DAEMON=
DLOG=$T/daemon.log
failures=0

pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION CMD...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

start_daemon() {
    : >"$DLOG.new"
    # ASan keeps freed memory in a quarantine (256 MiB by default): capped, so that the RSS
    # bound of the hostile-client test means something under the sanitizers too.
    ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=16" env -u TZ \
        "$B/supportgrantd" --socket "$SOCK" --foreground 2>"$DLOG.new" &
    DAEMON=$!
    if ! sg_wait_for 10 sg_ping; then
        cat "$DLOG.new" >&2
        sg_die "supportgrantd did not start"
    fi
}
# Stops the daemon (SIGTERM) and keeps its log for the sanitizer check at the end.
stop_daemon() {
    [ -n "$DAEMON" ] || return 0
    kill "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
    DAEMON=
    cat "$DLOG.new" >>"$DLOG"
}
# expect_daemon_refuses WHAT PATTERN: the daemon, started on a database it cannot open, exits 1
# before it listens, and its message names the database and matches PATTERN (the why).
expect_daemon_refuses() {
    local drc=0
    : >"$DLOG.new"
    env -u TZ timeout 20 "$B/supportgrantd" --socket "$SOCK" --foreground 2>"$DLOG.new" || drc=$?
    cat "$DLOG.new" >>"$DLOG"
    if [ "$drc" = 1 ] && [ ! -S "$SOCK" ] && grep -qF "$DB" "$DLOG.new" &&
        grep -qiE "$2" "$DLOG.new"; then
        pass "$1: the daemon refuses to start (exit 1), naming the database and why"
    else
        fail "$1: the daemon did not refuse to start clearly (rc=$drc): $(cat "$DLOG.new")"
    fi
}
# io.supportgrant.Ping answers without the database: "the daemon is up and serving".
sg_ping() {
    timeout 5 python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
s.sendall(b"{\"method\":\"io.supportgrant.Ping\"}\0")
sys.exit(0 if s.recv(100) == b"{\"parameters\":{}}\0" else 1)' "$SOCK" 2>/dev/null
}

# cli USER ARGS...: runs the CLI as USER; output in $out, status in $rc.
cli() {
    local u=$1
    shift
    rc=0
    out=$(runuser -u "$u" -- "$SG" "$@" 2>&1) || rc=$?
}

# pamtester is not built with the sanitizers; a sanitized module needs their runtimes first.
# (Leak checking stays with tests/pam, which runs the module in a sanitized program.)
PAM_PRELOAD=
if ldd "$B/pam_supportgrant.so" 2>/dev/null | grep libasan >/dev/null; then
    for lib in libasan.so libubsan.so; do
        PAM_PRELOAD="$PAM_PRELOAD $(gcc -print-file-name=$lib)"
    done
fi
PAMTESTER=(env LD_PRELOAD="$PAM_PRELOAD" ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" pamtester)
NODAC=(setpriv --bounding-set -dac_override,-dac_read_search "${PAMTESTER[@]}")

# login USER [STDIN]: account + session open + close through Linux-PAM, as sshd would for a
# login; output in $out, status in $rc.
login() {
    rc=0
    out=$(printf '%s\n' "${2:-$REASON}" "${2:-$REASON}" "${2:-$REASON}" |
        timeout 30 "${PAMTESTER[@]}" -v sgrobust "$1" acct_mgmt open_session close_session 2>&1) || rc=$?
}

expect_staff_denied() { # expect_staff_denied WHAT PATTERN
    login jdoe
    if [ "$rc" != 0 ] && grep -qiE "$2" <<<"$out"; then
        pass "$1: staff denied with a clear message"
    else
        fail "$1: staff not denied clearly (rc=$rc): $out"
    fi
}
expect_staff_allowed() {
    login jdoe
    if [ "$rc" = 0 ] && grep -q "session has successfully been closed" <<<"$out"; then
        pass "$1: staff allowed"
    else
        fail "$1: staff not allowed (rc=$rc): $out"
    fi
}
expect_nonstaff_unaffected() {
    local u
    for u in alice root; do
        login "$u"
        if [ "$rc" != 0 ] || grep -qi supportgrant <<<"$out"; then
            fail "$1: non-staff $u affected (rc=$rc): $out"
            return
        fi
    done
    pass "$1: non-staff unaffected"
}
integrity_ok() {
    [ "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)" = ok ]
}
grant_count() { sqlite3 "$DB" 'SELECT count(*) FROM grants'; }

start_daemon
cli alice grant jdoe --period 1w --note "baseline grant"
[ "$rc" = 0 ] || sg_die "the first grant failed: $out"
expect_staff_allowed "baseline"
expect_nonstaff_unaffected "baseline"

# =============================================================================================
echo "# database faults"

# Unreadable: a 0000 database and a daemon confined without CAP_DAC_OVERRIDE and
# CAP_DAC_READ_SEARCH (as under a mandatory access control profile). The daemon is the only
# program that opens it: it refuses to start, and the module denies staff.
stop_daemon
chmod 0000 "$DB"
drc=0
: >"$DLOG.new"
env -u TZ timeout 20 setpriv --bounding-set -dac_override,-dac_read_search \
    "$B/supportgrantd" --socket "$SOCK" --foreground 2>"$DLOG.new" || drc=$?
cat "$DLOG.new" >>"$DLOG"
if [ "$drc" = 1 ] && [ ! -S "$SOCK" ] && grep -qF "$DB" "$DLOG.new" &&
    grep -qiE "unable to open|denied" "$DLOG.new"; then
    pass "unreadable database: the daemon refuses to start (exit 1), naming the database and why"
else
    fail "unreadable database: the daemon did not refuse to start clearly (rc=$drc): $(cat "$DLOG.new")"
fi
expect_staff_denied "unreadable database" "cannot be checked"
expect_nonstaff_unaffected "unreadable database"
chmod 0600 "$DB"
check "unreadable database: integrity ok afterwards" integrity_ok

# Truncated to its first pages (a disk that filled up during a copy, a bad restore).
cp "$DB" "$T/good.db"
n_before=$(grant_count)
truncate -s 8192 "$DB"
rm -f "$DB-wal" "$DB-shm"
expect_staff_denied "truncated database" "database is unavailable|cannot be checked"
expect_nonstaff_unaffected "truncated database"
expect_daemon_refuses "truncated database" "malformed|not a database|corrupt"
cli alice grant jdoe --note "on a truncated db"
check "truncated database: no grant is acknowledged" test "$rc" != 0

# Random bytes where the database was (the daemon side; tests/pam covers the module's).
head -c 65536 /dev/urandom >"$DB"
expect_daemon_refuses "random-bytes database" "not a database|malformed|corrupt"
expect_staff_denied "random-bytes database" "database is unavailable|cannot be checked"
expect_nonstaff_unaffected "random-bytes database"

# A newer schema (a downgrade after an upgrade): refused, not "migrated" backwards.
cp "$T/good.db" "$DB"
sqlite3 "$DB" 'PRAGMA user_version = 99'
expect_staff_denied "newer schema" "database is unavailable|cannot be checked"
expect_nonstaff_unaffected "newer schema"
expect_daemon_refuses "newer schema" "newer"
check "newer schema: the file was left alone" \
    test "$(sqlite3 "$DB" 'PRAGMA user_version')" = 99

# The right version number on the wrong schema (a table missing).
cp "$T/good.db" "$DB"
sqlite3 "$DB" 'PRAGMA foreign_keys=OFF; DROP TABLE grants'
expect_staff_denied "wrong schema" "database is unavailable|cannot be checked"
expect_nonstaff_unaffected "wrong schema"

# Back to the good copy: every grant acknowledged before is still there.
cp "$T/good.db" "$DB"
check "restored database: all $n_before grants there" test "$(grant_count)" = "$n_before"

# Locked by another writer past the busy timeout: the grant is refused, not half-made. (The
# daemon is single-threaded: while it waits out the busy timeout it answers no one else. Only
# root can lock the database file, which is 0600.)
start_daemon
n_before=$(grant_count)
python3 - "$DB" "$T/locked" <<'EOF' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(6)
db.execute("ROLLBACK")
EOF
LOCKER=$!
sg_wait_for 10 test -f "$T/locked"
t0=$(date +%s%N)
cli alice grant jdoe --note "while locked"
t1=$(date +%s%N)
if [ "$rc" = 1 ] && grep -q "database is unavailable" <<<"$out"; then
    pass "locked database: grant refused with a clear message after $(((t1 - t0) / 1000000)) ms"
else
    fail "locked database: grant (rc=$rc): $out"
fi
expect_staff_denied "locked database" "database is unavailable|cannot be checked|cannot be recorded"
expect_nonstaff_unaffected "locked database"
wait "$LOCKER"
check "locked database: the refused grant was not written" test "$(grant_count)" = "$n_before"
cli alice grant jdoe --note "after the lock"
check "locked database: grants work again once the lock is gone" test "$rc" = 0
stop_daemon
check "locked database: integrity ok" integrity_ok

# A full filesystem: a small tmpfs under the database directory.
cp "$DB" "$T/good.db"
n_before=$(grant_count)
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$DBDIR"
cp "$T/good.db" "$DB"
start_daemon
cli alice grant jdoe --note "before the disk filled up"
check "full filesystem: a grant before it filled up" test "$rc" = 0
n_before=$((n_before + 1))
dd if=/dev/zero of="$DBDIR/filler" bs=4k 2>/dev/null || true
acked=0
for i in $(seq 1 20); do
    cli alice grant jdoe --note "on a full disk $i"
    if [ "$rc" = 0 ]; then
        acked=$((acked + 1))
    elif ! grep -q "database is unavailable" <<<"$out"; then
        fail "full filesystem: unclear refusal: $out"
    fi
done
check "full filesystem: grants are refused (acknowledged $acked of 20 into the last free pages)" \
    test "$acked" -lt 20
expect_staff_denied "full filesystem" "cannot be recorded|database is unavailable|cannot be checked"
expect_nonstaff_unaffected "full filesystem"
check "full filesystem: the daemon keeps serving" sg_ping
rm -f "$DBDIR/filler"
cli alice grant jdoe --note "after freeing space"
check "full filesystem: grants work again once there is space" test "$rc" = 0
expect_staff_allowed "full filesystem, space freed"
stop_daemon
check "full filesystem: integrity ok" integrity_ok
check "full filesystem: every acknowledged grant is there" \
    test "$(grant_count)" = "$((n_before + acked + 1))"
cp "$DB" "$T/good.db"

# A read-only filesystem (remounted ro after an I/O error).
mount -o remount,ro "$DBDIR"
expect_staff_denied "read-only filesystem" "cannot be recorded|database is unavailable|cannot be checked"
expect_nonstaff_unaffected "read-only filesystem"
expect_daemon_refuses "read-only filesystem" "file system is read-only"
umount "$DBDIR"
cp "$T/good.db" "$DB"
check "read-only filesystem: integrity ok" integrity_ok

# =============================================================================================
echo "# configuration faults"
start_daemon
rm -f "$CONF"
expect_staff_denied "configuration missing" "configuration is broken"
expect_nonstaff_unaffected "configuration missing"
write_conf ""

# Unreadable: as for the database, root without DAC override meets a 0000 file.
chmod 0000 "$CONF"
rc=0
out=$(printf '%s\n' "$REASON" | "${NODAC[@]}" -v sgrobust jdoe acct_mgmt 2>&1) || rc=$?
if [ "$rc" != 0 ] && grep -q "configuration is broken" <<<"$out"; then
    pass "configuration unreadable: staff denied with a clear message"
else
    fail "configuration unreadable: staff (rc=$rc): $out"
fi
rc=0
out=$("${NODAC[@]}" -v sgrobust alice acct_mgmt 2>&1) || rc=$?
check "configuration unreadable: non-staff unaffected" test "$rc" = 0
chmod 0644 "$CONF"

chmod 0666 "$CONF"
expect_staff_denied "configuration world-writable" "configuration is broken"
expect_nonstaff_unaffected "configuration world-writable"
stop_daemon
rc=0
timeout 10 "$B/supportgrantd" --socket "$SOCK" --foreground 2>"$T/d.err" || rc=$?
if [ "$rc" != 0 ] && grep -q "$CONF" "$T/d.err"; then
    pass "configuration world-writable: the daemon refuses to start and names the file"
else
    fail "configuration world-writable: daemon (rc=$rc): $(cat "$T/d.err")"
fi
chmod 0644 "$CONF"

write_conf "reason_min_length = 9000"
expect_staff_denied "configuration bad value" "configuration is broken"
expect_nonstaff_unaffected "configuration bad value"
rc=0
timeout 10 "$B/supportgrantd" --socket "$SOCK" --foreground 2>"$T/d.err" || rc=$?
if [ "$rc" != 0 ] && grep -q "$CONF:2: bad value '9000'" "$T/d.err"; then
    pass "configuration bad value: the daemon refuses to start with file, line and value"
else
    fail "configuration bad value: daemon (rc=$rc): $(cat "$T/d.err")"
fi
# A reload with a bad file keeps the good configuration.
write_conf ""
start_daemon
write_conf "reason_min_length = 9000"
kill -HUP "$DAEMON"
sleep 0.5
check "configuration bad value on reload: the daemon keeps serving" sg_ping
write_conf ""
stop_daemon
grep -q "keeping the previous configuration" "$DLOG" &&
    pass "configuration bad value on reload: the daemon says it keeps the old one" ||
    fail "configuration bad value on reload: no log line"

# =============================================================================================
echo "# daemon faults"
rm -f "$SOCK"
cli alice list
if [ "$rc" = 69 ] && grep -q "cannot reach supportgrantd" <<<"$out"; then
    pass "daemon not running: the CLI exits 69 and says so"
else
    fail "daemon not running: CLI (rc=$rc): $out"
fi
expect_staff_denied "daemon not running" "supportgrantd does not answer"
expect_nonstaff_unaffected "daemon not running"

# kill_during_stream FILE FIRST: while a stream in the background appends a line to FILE for
# each acknowledged write, kills the daemon with -9 three times (after FIRST lines, then after
# 10 more each time) and starts it again; meanwhile the stream is refused. Sets n_at_kill (the
# lines at the first kill).
kill_during_stream() {
    local file=$1 n round
    lines_at_least() { [ "$(wc -l <"$file")" -ge "$1" ]; }
    sg_wait_for 30 lines_at_least "$2" || true
    n_at_kill=
    for round in 1 2 3; do
        kill -9 "$DAEMON"
        wait "$DAEMON" 2>/dev/null || true
        n=$(wc -l <"$file")
        n_at_kill=${n_at_kill:-$n}
        cat "$DLOG.new" >>"$DLOG"
        DAEMON=
        sleep 0.3
        start_daemon
        sg_wait_for 30 lines_at_least $((n + 10)) || true
    done
}

# kill -9 during a stream of grants (every third one redeemed from an activation code, whose
# grant and "used" mark are one transaction): every grant the CLI reported is in the database,
# no half records, and the daemon serves again after a restart.
start_daemon
: >"$T/acked"
(
    for i in $(seq 1 400); do
        if [ $((i % 3)) = 0 ]; then
            # jdoe holds the 1h grants of the two rounds before (tests/README.md rule 1).
            code=$(runuser -u jdoe -- "$SG" request --json --note "stream $i" |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])' 2>/dev/null)
            o=$(runuser -u alice -- "$SG" activate "$code" --yes --json 2>/dev/null) ||
                continue
        else
            o=$(runuser -u alice -- "$SG" grant jdoe --json --note "stream $i" \
                2>/dev/null) || continue
        fi
        id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$o" 2>/dev/null)
        echo "$id stream $i" >>"$T/acked"
    done
) &
STREAM=$!
kill_during_stream "$T/acked" 15
kill "$STREAM" 2>/dev/null || true
wait "$STREAM" 2>/dev/null || true
stop_daemon
n_acked=$(wc -l <"$T/acked")
lost=0
while read -r id note; do
    got=$(sqlite3 "$DB" "SELECT note FROM grants WHERE id = $id")
    [ "$got" = "$note" ] || { lost=$((lost + 1)); echo "lost: grant $id ($note) -> '$got'"; }
done <"$T/acked"
check "kill -9: all $n_acked acknowledged grants are in the database" test "$lost" = 0
check "kill -9 (3 times): grants acknowledged before ($n_at_kill) and after ($((n_acked - n_at_kill)))" \
    test "$n_at_kill" -ge 1 -a "$n_acked" -gt "$n_at_kill"
check "kill -9: some of them from activation codes" \
    test "$(sqlite3 "$DB" "SELECT count(*) FROM grants WHERE via = 'code'")" -ge 1
half=$(sqlite3 "$DB" "SELECT count(*) FROM grants WHERE target IS NULL OR target = '' OR
    granted_at IS NULL OR granted_by IS NULL OR granted_by = '' OR kind IS NULL OR period IS NULL")
check "kill -9: no half records" test "$half" = 0
orphans=$(sqlite3 "$DB" "SELECT
    (SELECT count(*) FROM grants g WHERE via = 'code' AND
        (SELECT count(*) FROM used_codes u WHERE u.grant_id = g.id) != 1) +
    (SELECT count(*) FROM used_codes u WHERE NOT EXISTS
        (SELECT 1 FROM grants g WHERE g.id = u.grant_id AND g.via = 'code'))")
check "kill -9: every code grant has its 'used' mark and every mark its grant" test "$orphans" = 0
check "kill -9: integrity ok" integrity_ok
start_daemon
cli alice list
check "restarted: the daemon serves" test "$rc" = 0
expect_staff_allowed "restarted"

# kill -9 during four concurrent streams of staff logins and one of grants beside them (the
# module is a client of the daemon, which writes every login row, several in one commit):
# every login the module let in (its session opened) has its accepted row with its own reason,
# and every grant the CLI reported is there, after any crash; none is half-made.
: >"$T/logins-acked"
: >"$T/grants-acked"
STREAMS=()
(
    for i in $(seq 1 300); do
        o=$(runuser -u alice -- "$SG" grant jdoe --json --note "beside logins $i" 2>/dev/null) ||
            continue
        id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$o" 2>/dev/null)
        echo "$id beside logins $i" >>"$T/grants-acked"
    done
) &
STREAMS+=($!)
for w in 1 2 3 4; do
    (
        for i in $(seq 1 150); do
            o=$(printf '%s\n' "$REASON $w.$i" "$REASON $w.$i" "$REASON $w.$i" |
                timeout 30 "${PAMTESTER[@]}" -v -I rhost=stream-$w.$i sgrobust jdoe \
                acct_mgmt open_session close_session 2>&1) || true
            if grep -q 'successfully opened a session' <<<"$o"; then
                echo "stream-$w.$i" >>"$T/logins-acked"
            fi
        done
    ) &
    STREAMS+=($!)
done
kill_during_stream "$T/logins-acked" 10
kill "${STREAMS[@]}" 2>/dev/null || true
wait "${STREAMS[@]}" 2>/dev/null || true
n_acked=$(wc -l <"$T/logins-acked")
lost=0
while read -r rhost; do
    got=$(sqlite3 "$DB" "SELECT count(*) FROM logins WHERE rhost = '$rhost' AND outcome = 'accepted'
        AND reason = '$REASON ${rhost#stream-}'")
    [ "$got" = 1 ] || { lost=$((lost + 1)); echo "lost: login from $rhost ($got rows)"; }
done <"$T/logins-acked"
check "kill -9 in a stream of logins: all $n_acked logins let in have their row and reason" test "$lost" = 0
check "kill -9 (3 times): logins let in before ($n_at_kill) and after ($((n_acked - n_at_kill)))" \
    test "$n_at_kill" -ge 1 -a "$n_acked" -gt "$n_at_kill"
half=$(sqlite3 "$DB" "SELECT count(*) FROM logins WHERE rhost LIKE 'stream-%' AND
    (user != 'jdoe' OR outcome NOT IN ('accepted', 'denied') OR
     (outcome = 'accepted' AND (reason IS NULL OR reason NOT LIKE '$REASON %')))")
check "kill -9 in a stream of logins: no half records" test "$half" = 0
lost=0
while read -r id note; do
    [ "$(sqlite3 "$DB" "SELECT note FROM grants WHERE id = $id")" = "$note" ] || lost=$((lost + 1))
done <"$T/grants-acked"
check "kill -9 in a stream of logins: all $(wc -l <"$T/grants-acked") grants acknowledged beside them are there" \
    test "$lost" = 0 -a "$(wc -l <"$T/grants-acked")" -ge 1
check "kill -9 in a stream of logins: integrity ok" integrity_ok
# The audit trail was written in the same transactions: every login let in has its record,
# with its reason, and the chain is intact.
lost=0
while read -r rhost; do
    got=$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE
        json_extract(record, '$.event') = 'login-accepted' AND json_extract(record, '$.rhost') = '$rhost'
        AND json_extract(record, '$.reason') = '$REASON ${rhost#stream-}'")
    [ "$got" = 1 ] || lost=$((lost + 1))
done <"$T/logins-acked"
check "kill -9 in a stream of logins: each of the $n_acked logins has its audit record with its reason" \
    test "$lost" = 0
cli alice audit verify
check "kill -9 in a stream of logins: audit verify says the trail is intact" \
    grep -q '^audit trail intact: ' <<<"$out"

# =============================================================================================
echo "# hostile clients"
# Many login rows, so that a streamed Logins call has lots to send to a client that never reads.
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO logins (user, time, outcome, reason, service, rhost, tty, pid)
    SELECT 'jdoe', strftime('%s','now') - i, 'denied', 'padding row ' || i || ' ' ||
           hex(randomblob(100)), 'sshd', '192.0.2.1', 'ssh', 1 FROM n" 2>"$T/sql.err" ||
    { cat "$T/sql.err"; fail "could not add login rows"; }
# root reads the RSS; mallory, an unprivileged local user, is the attacker.
rc=0
# It runs itself again as the attacker: from a copy that mallory can read.
/usr/bin/python3 "$(sg_user_copy "$HERE/hostile.py")" --socket "$SOCK" --pid "$DAEMON" --attacker mallory \
    --cli "$SG" --as alice || rc=$?
check "hostile clients (see above)" test "$rc" = 0
check "hostile clients: the daemon is still the same process" kill -0 "$DAEMON"

# =============================================================================================
echo "# bad input at the edges"
source "$HERE/edges.sh"

# =============================================================================================
echo "# wiring mistakes"
# A service file with the module's own lines besides the profile's (here: twice in one file):
# the first run decides, one reason is asked, the session opens, and the log says so once.
cat >/etc/pam.d/sgtwice <<EOF
auth     required pam_permit.so
account  required $B/pam_supportgrant.so
account  required $B/pam_supportgrant.so
account  required pam_permit.so
session  required $B/pam_supportgrant.so
session  required $B/pam_supportgrant.so
session  required pam_permit.so
EOF
syslog_count() { sg_journal_sync; env -u LD_PRELOAD journalctl -D /run/log/journal -o cat --no-pager 2>/dev/null | grep -c "$1" || true; }
cli alice grant jdoe --period 1h --note "wiring mistakes"
twice_before=$(syslog_count "runs more than once")
rc=0
out=$(printf '%s\n' "$REASON" "$REASON" | timeout 30 "${PAMTESTER[@]}" -v sgtwice jdoe acct_mgmt open_session close_session 2>&1) || rc=$?
check "twice in one stack: the session opens" test "$rc" = 0
check "twice in one stack: one reason asked" test "$(grep -c 'Reason for this login' <<<"$out")" = 1
check "twice in one stack: logged once" test "$(syslog_count "runs more than once")" = $((twice_before + 1))
# A module argument that is not per-service: refused, staff denied, and the log says which.
sed -i "s|^account  required $B/pam_supportgrant.so$|account  required $B/pam_supportgrant.so staff_group=mallory|" /etc/pam.d/sgtwice
rc=0
out=$(printf '%s\n' "$REASON" | timeout 30 "${PAMTESTER[@]}" -v sgtwice jdoe acct_mgmt 2>&1) || rc=$?
check "module argument staff_group=: staff denied (configuration error)" \
    sh -c "[ $rc != 0 ] && grep -q 'configuration is broken' <<'EOT'
$out
EOT"
check "module argument staff_group=: the log names it and where it belongs" \
    test "$(syslog_count "module argument 'staff_group=mallory': only reason= and reason_min_length=")" -ge 1
cli alice revoke --user jdoe
rm -f /etc/pam.d/sgtwice

# =============================================================================================
echo "# actors"
source "$HERE/actors.sh"

stop_daemon
check "final integrity ok" integrity_ok
if grep -q 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$DLOG"; then
    grep -A20 'ERROR: AddressSanitizer\|runtime error\|LeakSanitizer' "$DLOG" | head -60
    fail "supportgrantd reported a sanitizer error"
fi
echo "robust: $failures failure(s)"
[ "$failures" = 0 ]
