#!/bin/bash
# End to end: supportgrant installed with `make install` on a private host (tests/lib/host.sh),
# staff logging in through the real sshd with the real module, the customer using the real
# CLI against the real daemon, and what the user sees and what SQLite and the journal record.
# The host itself is checked to be unchanged afterwards.
#   tests/e2e/run.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/host.sh"

B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
sg_require_root "the end-to-end tests"

# --- outside: the host before and after -----------------------------------------------------
if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    rc=0
    sg_run_private_untouched "$@" || rc=$?
    [ "$SG_HOST_CHANGED" = 0 ] || { echo "not ok - the host changed"; exit 1; }
    echo "ok - the host is untouched (/etc/passwd, /etc/group, /etc/shadow, /etc/pam.d, /etc/ssh, /var/lib/supportgrant)"
    exit "$rc"
fi

# --- inside the private host ------------------------------------------------------------------
sg_private_host /etc /usr /var

# An ASan build of the module needs the ASan runtime loaded first into the process that
# dlopen()s it: sshd. Its own leaks are not ours to report, so only errors count.
if readelf -d "$B/pam_supportgrant.so" | grep -q 'NEEDED.*libasan'; then
    mkdir -p "$SG_WORK/asan"
    chmod 0777 "$SG_WORK/asan"
    # shellcheck disable=SC2034 # read by sg_sshd_start
    SG_SSHD_WRAPPER="env LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:log_path=$SG_WORK/asan/sshd"
fi

# Programs run here that load the module (su, runuser, pamtester) need the same.
PAM_ASAN=
if readelf -d "$B/pam_supportgrant.so" | grep -q 'NEEDED.*libasan'; then
    PAM_ASAN="LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0"
fi

sg_host_setup "$B"

n=0
T=$SG_WORK/e2e
mkdir -p "$T"
chmod 0755 "$T"

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

fail() {
    echo "not ok $((n + 1)) - $1"
    [ -n "${OUT:-}" ] && echo "  stdout: ${OUT//$'\n'/$'\n'          }"
    [ -n "${ERR:-}" ] && echo "  stderr: ${ERR//$'\n'/$'\n'          }"
    echo "  --- sshd log (tail)"
    tail -n 25 "$SG_SSHD_LOG" | sed 's/^/  /'
    echo "  --- supportgrantd log (tail)"
    tail -n 40 "$SG_DAEMON_LOG" | sed 's/^/  /'
    echo "  --- database at $(date -u +%s)"
    sqlite3 -cmd '.timeout 5000' -header "$SG_DB" 'SELECT * FROM grants' \
        'SELECT id, user, time, outcome, grant_ids, pid, ended_at, end_kind FROM logins' | sed 's/^/  /'
    echo "  --- processes"
    ps -eo pid,ppid,user,stat,args | sed 's/^/  /'
    exit 1
}

# login USER [-a ANSWERS] [-- COMMAND]: one ssh login; sets RC, OUT, ERR.
login() {
    local u=$1
    shift
    RC=0
    if [ "${1:-}" = -a ]; then
        sg_ssh -a "$2" "$u" "${@:3}" >"$T/out" 2>"$T/err" </dev/null || RC=$?
    else
        sg_ssh "$u" "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?
    fi
    OUT=$(tr -d '\r' <"$T/out")
    ERR=$(tr -d '\r' <"$T/err")
}

# as USER CMD...: the CLI (or anything) as USER; sets RC, OUT, ERR. Staff without a grant may be
# ended by the daemon meanwhile: sg_as_staff runs the command again then.
as() {
    RC=0
    sg_as_staff "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
}

prompts() { grep -c 'Reason for this login' "$SG_LAST_PROMPTS" || true; }

# The newest login rows of USER, as the customer sees them.
last_login() { sg_as alice supportgrant --json logins --user "$1" --limit 1 | jq -c '.[0]'; }
login_field() { sg_as alice supportgrant --json logins --user "$1" --limit 1 | jq -r ".[0].$2"; }
login_end_is() { [ "$(login_field "$1" end)" = "$2" ]; } # for sg_wait_for: evaluated each time

# journal_count MATCH...: how many entries match (journalctl field matches, ANDed).
journal_count() { sg_journal "$@" | grep -c . || true; }

grant_id() { jq -r '.id' <<<"$1"; }

REASON='Ticket #4711 — backup "nightly" fails; checking /var/log & cron (ümlaut)'
GOOD='Ticket 4712: routine check of the mail queue'

# ==== 1. no grant: refused, with the message that says what to do =============================
login jdoe -a "$REASON" -- true
[[ $RC == 255 ]] || fail "jdoe without a grant is refused"
[[ $ERR == *"Support access for jdoe is not activated on this host"* &&
    $ERR == *'supportgrant grant jdoe'* && $ERR == *'supportgrant request'* ]] ||
    fail "the refusal tells the staff member what the customer runs"
[[ $(grep -c 'is not activated on this host' <<<"$ERR") == 1 ]] ||
    fail "the refusal is shown once (no keyboard-interactive retries)"
[[ $(login_field jdoe outcome) == denied ]] || fail "the refusal is in the login overview"
as alice supportgrant --json logins --user jdoe
[[ $(jq length <<<"$OUT") == 1 ]] || fail "one refused login is one denied row"
[[ $(journal_count SUPPORTGRANT_EVENT=login-denied SUPPORTGRANT_USER=jdoe SUPPORTGRANT_SERVICE=sshd) == 1 ]] ||
    fail "the refusal is in the journal once (login-denied)"
ok "no grant: ssh refused once with the helpful message; one denied row and login-denied entry"

# ==== 2. who may grant: a revoked-right user and staff get 77, nothing is created =============
for u in bob jdoe mdev; do
    as "$u" supportgrant grant kim
    [[ $RC == 77 && $ERR == *supportgrant:* ]] || fail "$u cannot grant (exit 77)"
done
as alice supportgrant --json list
[[ $RC == 0 && $OUT == "[]" ]] || fail "no grant was created by the refused attempts"
ok "a user whose right root revoked and staff accounts cannot grant (exit 77)"

# ==== 3. user grant: the reason is asked and recorded verbatim =================================
as alice supportgrant --json grant jdoe --note "ticket 4711"
[[ $RC == 0 ]] || fail "alice grants jdoe"
G_JDOE=$(grant_id "$OUT")
[[ $(jq -r '.kind + " " + .target + " " + .granted_by + " " + .state' <<<"$OUT") == "user jdoe alice active" ]] ||
    fail "the grant reads back as made"
login jdoe -a "$REASON" -- 'id -un; echo "export=$SUPPORTGRANT_EXPORT"'
[[ $RC == 0 && $OUT == $'jdoe\nexport=no' ]] || fail "jdoe logs in with a user grant"
[[ $(prompts) == 1 ]] || fail "the login asked for the reason once"
row=$(last_login jdoe)
[[ $(jq -r .outcome <<<"$row") == accepted && $(jq -r .reason <<<"$row") == "$REASON" &&
    $(jq -r .service <<<"$row") == sshd && $(jq -r .rhost <<<"$row") == 127.0.0.1 &&
    $(jq -c .grant_ids <<<"$row") == "[$G_JDOE]" ]] || { OUT=$row; fail "the login row holds the reason verbatim"; }
sg_wait_for 5 login_end_is jdoe closed || fail "the login row is closed after logout"
LID=$(jq -r .id <<<"$row")
[[ $(journal_count SUPPORTGRANT_EVENT=login-accepted "SUPPORTGRANT_REASON=$REASON" SUPPORTGRANT_USER=jdoe \
    "SUPPORTGRANT_LOGIN_ID=$LID" SUPPORTGRANT_RHOST=127.0.0.1 SUPPORTGRANT_EXPORT=no \
    MESSAGE_ID=8f80990ef59447feb030e4ce4de194d7 SYSLOG_IDENTIFIER=supportgrant) == 1 ]] ||
    fail "the journal has login-accepted with the reason verbatim"
sg_wait_for 5 test "$(journal_count SUPPORTGRANT_EVENT=session-closed "SUPPORTGRANT_LOGIN_ID=$LID")" = 1 ||
    fail "the journal has session-closed"
ok "user grant: login asks the reason; SQLite and journal hold it verbatim; logout closes the row"

# The daemon is the only program that opens the database: strace follows sshd and everything it
# starts through one whole staff login (the module runs inside those processes). No open of
# the database file; the module's connect to the daemon's socket shows the trace saw it work.
strace -f -qq -e trace=open,openat,openat2,creat,truncate,unlink,connect -s 512 \
    -o "$T/strace" -p "$SG_SSHD_PID" 2>"$T/strace.err" &
STRACE=$!
traced() { grep -q "^TracerPid:[[:space:]]*$STRACE\$" "/proc/$SG_SSHD_PID/status"; }
sg_wait_for 10 traced || fail "strace attaches to sshd"
login jdoe -a "$REASON" -- 'true'
[[ $RC == 0 ]] || fail "jdoe logs in under strace"
sg_wait_for 5 login_end_is jdoe closed || fail "the traced login is closed"
kill "$STRACE" 2>/dev/null || true
wait "$STRACE" 2>/dev/null || true
grep -q "connect(.*$SG_SOCKET" "$T/strace" || { OUT=$(head -c 2000 "$T/strace"); fail "the trace shows the module connecting to supportgrantd"; }
! grep -F "$SG_DB" "$T/strace" || fail "no process of the staff login opens the database"
ldd "$B/pam_supportgrant.so" >"$T/ldd" || fail "ldd pam_supportgrant.so"
! grep libsqlite3 "$T/ldd" || fail "pam_supportgrant.so does not link SQLite"
ldd "$B/supportgrantd" | grep -q libsqlite3 || fail "supportgrantd links SQLite (the twin)"
ok "only the daemon opens the database: a traced staff login never does; the module links no SQLite"

# Without a command the gate starts the login shell, as sshd would, and says what applies.
RC=0
OUT=$(printf 'echo "shell=$0"\nsupportgrant status\nexit\n' | sg_ssh jdoe 2>"$T/err" | tr -d '\r') || RC=$?
ERR=$(cat "$T/err")
[[ $RC == 0 && $OUT == *"shell=-bash"* && $OUT == *"Your support access runs until"*"(export: no)"* ]] ||
    fail "without a command jdoe gets his login shell, and status shows his access"
# (The terminal echoes what the client typed ahead; the shell's own output comes after.)
[[ $(grep -m 1 -e '^Support access for jdoe' -e 'shell=-bash' <<<"$OUT") == "Support access for jdoe runs until "*"; data export: no." ]] ||
    fail "the terminal session starts with what applies: until when, and no export"
ok "no command: the gate starts the login shell, saying until when and that export is off; supportgrant status there shows the access"

# ==== 4. a reason too short is asked again; three bad answers deny ===========================
login jdoe -a $'too short\n'"$GOOD" -- true
[[ $RC == 0 && $(prompts) == 2 ]] || fail "a short reason is asked again, then accepted"
grep -q 'at least 10 characters' "$SG_LAST_PROMPTS" || fail "the second prompt says why"
[[ $(login_field jdoe reason) == "$GOOD" ]] || fail "the accepted reason is recorded"
login jdoe -a $'short\n   \n.........!' -- true
[[ $RC == 255 && $ERR == *"No acceptable reason"* ]] || fail "three bad reasons deny the login"
[[ $(login_field jdoe outcome) == denied ]] || fail "the denied attempt is recorded"
ok "reason too short: asked again (at most 3 times), then denied and recorded"

# ==== 5. department grant: its staff in, another department's out ============================
login kim -- true
[[ $RC == 255 ]] || fail "kim has no grant yet"
as alice supportgrant --json grant --department support
[[ $RC == 0 ]] || fail "alice grants the support department"
G_SUPPORT=$(grant_id "$OUT")
login kim -- 'id -un'
[[ $RC == 0 && $OUT == kim ]] || fail "kim (department support) logs in"
[[ $(login_field kim grant_ids) == "[$G_SUPPORT]" || $(last_login kim | jq -c .grant_ids) == "[$G_SUPPORT]" ]] ||
    fail "kim's login names the department grant"
login mdev -- true
[[ $RC == 255 && $ERR == *"not activated"* ]] || fail "mdev (department development) stays out"
ok "department grant: support staff log in, development staff stay out"

# ==== 6. activation code: staff request, customer activates ==================================
as mdev supportgrant request --period 2h --note "db migration"
[[ $RC == 0 ]] || fail "mdev makes an activation code"
CODE=$(grep -o 'SG1-[A-Za-z0-9-]*' <<<"$OUT" | head -n 1)
[[ -n $CODE && $OUT == *"supportgrant activate $CODE"* ]] || fail "request prints the code and the line to send"
as bob supportgrant activate "$CODE" --yes
[[ $RC == 77 ]] || fail "bob (right revoked) cannot redeem a code"
as alice supportgrant --json activate "$CODE" --yes
[[ $RC == 0 && $(jq -r '.via + " " + .target + " " + .period' <<<"$OUT") == "code mdev 2h" ]] ||
    fail "alice redeems the code: a 2h grant for mdev via code"
as alice supportgrant activate "$CODE" --yes
[[ $RC != 0 && $ERR == *"used"* ]] || fail "a code works once"
login mdev -- 'id -un'
[[ $RC == 0 && $OUT == mdev ]] || fail "mdev logs in after the activation"
ok "activation code: staff request, customer activate --yes, works once, bob may not"

as alice supportgrant revoke --all
[[ $RC == 0 ]] || fail "revoke --all"

# ==== live sessions ============================================================================
# A session that would run for 10 minutes, with a child that ignores SIGTERM and SIGHUP and has
# left the session's process group: what a staff member's nohup'ed job looks like.
SESSION_CMD='(trap "" TERM HUP; exec sleep 601) >/dev/null 2>&1 </dev/null & echo session-up; exec sleep 600'

# start_session USER: ssh in the background; sets S_DIR (out, err, rc files) and S_LOGIN.
start_session() {
    local u=$1
    S_DIR=$(mktemp -d "$T/session.XXXXXX")
    (
        rc=0
        sg_ssh "$u" -- "$SESSION_CMD" >"$S_DIR/out" 2>"$S_DIR/err" </dev/null || rc=$?
        echo "$rc" >"$S_DIR/rc"
    ) &
    sg_wait_for 15 grep -q session-up "$S_DIR/out" || { ERR=$(cat "$S_DIR/err"); fail "$u's session starts"; }
    S_LOGIN=$(last_login "$u")
    [[ $(jq -r '.outcome + "/" + (.end // "open")' <<<"$S_LOGIN") == accepted/open ]] ||
        { OUT=$S_LOGIN; fail "$u's session is recorded as open"; }
    S_LOGIN=$(jq -r .id <<<"$S_LOGIN")
    S_MONITOR=$(sqlite3 "$SG_DB" "SELECT pid FROM logins WHERE id = $S_LOGIN")
    pgrep -u "$u" -f 'sleep 601' >/dev/null || fail "$u's background job runs"
}

session_alive() {
    [ ! -e "$S_DIR/rc" ] && kill -0 "$S_MONITOR" 2>/dev/null && pgrep -u "$1" -f 'sleep 600' >/dev/null
}

# assert_cut USER SECONDS WHAT: the connection closes within SECONDS, nothing of the session
# stays, and both records say terminated.
assert_cut() {
    local u=$1 limit=$2 what=$3 t0=$SECONDS
    sg_wait_for "$limit" test -e "$S_DIR/rc" || fail "$what: the ssh connection closes within ${limit}s"
    CUT_AFTER=$((SECONDS - t0))
    CUT_EPOCH=$(date +%s)
    sg_wait_for 3 sh -c "! pgrep -u $u >/dev/null" || { OUT=$(ps -o pid,user,args -u "$u"); fail "$what: no process of $u remains"; }
    ! kill -0 "$S_MONITOR" 2>/dev/null || fail "$what: sshd's session process $S_MONITOR is gone"
    [[ $(login_field "$u" end) == terminated ]] || { OUT=$(last_login "$u"); fail "$what: the login row ends 'terminated'"; }
    sg_wait_for 3 test "$(journal_count SUPPORTGRANT_EVENT=session-terminated "SUPPORTGRANT_LOGIN_ID=$S_LOGIN" SUPPORTGRANT_USER="$u" MESSAGE_ID=aca3919ce5e44fb49a28f36d324a681e)" = 1 ||
        fail "$what: the journal has session-terminated"
}

# set_expiry GRANT SECONDS: the grant now ends in SECONDS; the daemon hears of it by SIGHUP
# (what it also notices by itself within its 30 s sweep). The only way to test expiry without
# waiting an hour: the database is edited as root, as an administrator could.
set_expiry() {
    sqlite3 -cmd '.timeout 5000' "$SG_DB" "UPDATE grants SET expires_at = strftime('%s','now') + $2 WHERE id = $1"
    sg_daemon_reload
    EXPIRES_AT=$(sqlite3 -cmd '.timeout 5000' "$SG_DB" "SELECT expires_at FROM grants WHERE id = $1")
}

# sleep_until EPOCH: sleeps until that second has passed.
sleep_until() {
    while [ "$(date +%s)" -le "$1" ]; do sleep 0.1; done
}

# ==== 7. expiry cuts a live session within 5 s ================================================
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
start_session jdoe
set_expiry "$G" 3
session_alive jdoe || fail "expiry: the session runs until the grant expires"
assert_cut jdoe 10 "expiry"
cut_at=$CUT_EPOCH
[[ $((cut_at - EXPIRES_AT)) -le 5 ]] || fail "expiry: cut within 5 s of the expiry (took $((cut_at - EXPIRES_AT))s)"
ok "expiry cuts the live session $((cut_at - EXPIRES_AT))s after it (connection closed, no process left, end=terminated, session-terminated)"

# ==== 8. revoke cuts a live session ===========================================================
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
start_session jdoe
as alice supportgrant revoke "$G"
[[ $RC == 0 ]] || fail "alice revokes grant $G"
assert_cut jdoe 5 "revoke"
ok "revoke cuts the live session within 5 s (took ${CUT_AFTER}s)"

# ==== 9. still covered by another grant: the session stays ====================================
as alice supportgrant --json grant jdoe
G_USER=$(grant_id "$OUT")
as alice supportgrant --json grant --department support
[[ $RC == 0 ]] || fail "alice grants the support department"
start_session jdoe
as alice supportgrant revoke "$G_USER"
sleep 2
sg_daemon_reload
sleep 1
session_alive jdoe || fail "covered by the department grant, jdoe's session stays"
[[ $(login_field jdoe end) == null ]] || fail "the login row stays open"
as alice supportgrant revoke --department support
assert_cut jdoe 5 "revoke of the last covering grant"
ok "a session still covered by another grant stays; revoking that one too cuts it"

# ==== 10. extended before expiry: the session stays ===========================================
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
start_session jdoe
set_expiry "$G" 4
as alice supportgrant grant jdoe --period 2h
[[ $RC == 0 ]] || fail "alice extends jdoe's access"
(($(date +%s) < EXPIRES_AT)) || fail "the test was too slow to extend before the expiry"
sleep_until $((EXPIRES_AT + 2))
session_alive jdoe || fail "extended before expiry, the session outlives the first grant"
[[ $(login_field jdoe end) == null ]] || fail "the login row stays open after the first grant expired"
as alice supportgrant revoke --user jdoe
assert_cut jdoe 5 "revoke --user"
ok "a grant extended before expiry keeps the session; revoke --user then cuts it"

# ==== 11. the daemon restarted picks up open sessions ========================================
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
start_session jdoe
sg_daemon_stop
sqlite3 -cmd '.timeout 5000' "$SG_DB" "UPDATE grants SET expires_at = strftime('%s','now') - 1 WHERE id = $G"
sleep 1
session_alive jdoe || fail "without the daemon nothing ends the session"
sg_daemon_start
assert_cut jdoe 5 "daemon restart"
ok "a restarted daemon ends the open sessions whose access ended meanwhile"

# ==== 11b. a process detached before a normal logout ends with the access ==================
# setsid + closed fds: the session closes normally (end = closed), the process lives on with
# no open login row. Revoking must still end it; a customer's detached process stays.
outlived() { sg_journal SUPPORTGRANT_EVENT=session-terminated SUPPORTGRANT_USER=jdoe MESSAGE_ID=aca3919ce5e44fb49a28f36d324a681e | grep -c 'process outlived its session' || true; }
outlived_is() { [ "$(outlived)" = "$1" ]; }
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
# (setsid -f, then a moment: the terminal's hangup at logout must not reach it before setsid())
login jdoe -- 'setsid -f sleep 1002 </dev/null >/dev/null 2>&1; sleep 0.5; echo detached'
[[ $RC == 0 && $OUT == detached ]] || fail "jdoe starts a detached process and logs out"
sg_wait_for 5 login_end_is jdoe closed || { OUT=$(last_login jdoe); fail "jdoe's login row ends 'closed'"; }
pgrep -u jdoe -f 'sleep 1002' >/dev/null || fail "jdoe's detached process outlives the logout"
sg_as alice setsid sleep 1003 </dev/null >/dev/null 2>&1 &
sg_wait_for 5 pgrep -u alice -f 'sleep 1003' >/dev/null || fail "alice's detached process runs"
before=$(outlived)
t0=$SECONDS
as alice supportgrant revoke "$G"
[[ $RC == 0 ]] || fail "alice revokes grant $G"
sg_wait_for 5 sh -c '! pgrep -u jdoe >/dev/null' || { OUT=$(ps -o pid,user,stat,args -u jdoe); fail "detached: no process of jdoe remains 5 s after the revocation"; }
took=$((SECONDS - t0))
sg_wait_for 3 outlived_is $((before + 1)) ||
    { OUT=$(sg_journal SUPPORTGRANT_USER=jdoe | jq -r .MESSAGE); fail "detached: the journal has one session-terminated entry saying the process outlived its session"; }
[[ $(login_field jdoe end) == closed ]] || fail "detached: the closed login row stays closed"
pgrep -u alice -f 'sleep 1003' >/dev/null || fail "detached: alice's (customer) detached process is untouched"
pkill -u alice -f 'sleep 1003' || true
ok "a staff process detached before a normal logout ends within ${took}s of the revocation (journaled); a customer's stays"

# ==== 11e. processes that hide end with the access too ======================================
# What a second review kept alive after revocation: a listener whose main thread ended with
# the raw exit syscall (State: Z, its threads live on), by a program of its own and by a
# python3 one-liner with nothing uploaded; and a process under one of jdoe's subordinate uids
# (a user namespace, as rootless containers make). A customer's listener made the same way
# stays (the positive twin).
OUTLIVE=$(sg_user_copy "$B/tests/e2e/outlive")
mkdir -p "$T/ports"
chmod 1777 "$T/ports"
cat >"$T/zombie.py" <<'PYEOF'
import ctypes, os, threading, time
threading.Thread(target=time.sleep, args=(1007,)).start()
ctypes.CDLL(None).syscall({"x86_64": 60, "aarch64": 93}[os.uname().machine], 0)
PYEOF
chmod 0644 "$T/zombie.py"
SUB_START=$(awk -F: '$1 == "jdoe" { print $2; exit }' /etc/subuid)
if [ -z "$SUB_START" ]; then
    SUB_START=231072
    echo "jdoe:$SUB_START:65536" >>/etc/subuid
fi
answers() { timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1 && cat <&3' _ "$(cat "$1")" 2>/dev/null; }
hidden_gone() { ! pgrep -u jdoe >/dev/null && ! pgrep -u "$SUB_START" >/dev/null; }
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
login jdoe -- "setsid -f $OUTLIVE $T/ports/jdoe </dev/null >/dev/null 2>&1; setsid -f python3 $T/zombie.py </dev/null >/dev/null 2>&1; setsid -f unshare --map-root-user --map-users=$SUB_START,1,1 -- setpriv --reuid=1 -- sleep 1008 </dev/null >/dev/null 2>&1; sleep 1; echo started"
[[ $RC == 0 && $OUT == started ]] || fail "jdoe starts the hiding processes and logs out"
sg_as alice setsid -f "$OUTLIVE" "$T/ports/alice" </dev/null >/dev/null 2>&1
sg_wait_for 5 test -s "$T/ports/jdoe" -a -s "$T/ports/alice" || fail "the listeners write their ports"
[[ $(answers "$T/ports/jdoe") == "alive $(id -u jdoe)" ]] || fail "jdoe's hidden listener serves while access lasts"
[[ $(ps -o stat=,nlwp= -u jdoe | awk '$1 ~ /^Z/ && $2 > 1' | wc -l) == 2 ]] ||
    { OUT=$(ps -o pid,stat,nlwp,args -u jdoe); fail "jdoe's two listeners are zombie leaders with live threads"; }
pgrep -u "$SUB_START" -x sleep >/dev/null || { OUT=$(ps -eo pid,uid,args); fail "a process of jdoe's runs as subordinate uid $SUB_START"; }
t0=$(date +%s%N)
as alice supportgrant revoke "$G"
[[ $RC == 0 ]] || fail "alice revokes grant $G"
sg_wait_for 3 hidden_gone || { OUT=$(ps -o pid,uid,stat,nlwp,args -e); fail "hiding: nothing of jdoe's is left 2 s after the revocation"; }
took=$((($(date +%s%N) - t0) / 1000000))
((took <= 2000)) || fail "hiding: jdoe's processes ended within 2 s (took $took ms)"
[[ -z $(answers "$T/ports/jdoe") ]] || fail "hiding: jdoe's listener no longer answers"
[[ $(answers "$T/ports/alice") == "alive $(id -u alice)" ]] || fail "hiding: alice's (customer) listener made the same way still serves"
pkill -KILL -u alice -f outlive 2>/dev/null || true
pkill -KILL -u alice 2>/dev/null || true
ok "a zombie-leader listener (own program, python3 one-liner) and a subordinate-uid process of jdoe end ${took} ms after the revocation; alice's listener stays"

# ==== 11f. a staff process started after access ended is gone within 2 s =====================
# As root would start it (runuser, setpriv: no login, no PAM account check), or cron. Also for
# a staff account below UID_MIN (a system account in the staff group). alice's and www-data's
# processes started the same way stay (the positive twins).
id sysstaff >/dev/null 2>&1 || useradd -r -m -s /bin/bash -c "Support staff (system uid)" -G onoffice-staff sysstaff
(($(id -u sysstaff) < $(awk '$1 == "UID_MIN" { print $2 }' /etc/login.defs))) || fail "sysstaff has a uid below UID_MIN"
gone_within() { # gone_within USER MS_VAR: waits until nothing of USER runs; MS_VAR gets the ms
    local t0
    t0=$(date +%s%N)
    sg_wait_for 4 sh -c "! pgrep -u $1 >/dev/null" || return 1
    printf -v "$2" %d $((($(date +%s%N) - t0) / 1000000))
}
setpriv --reuid=jdoe --regid=jdoe --init-groups -- setsid -f sleep 1010 </dev/null >/dev/null 2>&1
gone_within jdoe ms_setpriv || { OUT=$(ps -o pid,uid,args -u jdoe); fail "late: jdoe's process started with setpriv ends"; }
env $PAM_ASAN runuser -u jdoe -- setsid -f sleep 1011 </dev/null >/dev/null 2>&1
gone_within jdoe ms_runuser || { OUT=$(ps -o pid,uid,args -u jdoe); fail "late: jdoe's process started with runuser ends"; }
setpriv --reuid=sysstaff --regid=sysstaff --init-groups -- setsid -f sleep 1012 </dev/null >/dev/null 2>&1
gone_within sysstaff ms_sys || { OUT=$(ps -o pid,uid,args -u sysstaff); fail "late: sysstaff's (uid below UID_MIN) process ends"; }
for ms in "$ms_setpriv" "$ms_runuser" "$ms_sys"; do
    ((ms <= 2000)) || fail "late: the staff processes end within 2 s (setpriv $ms_setpriv ms, runuser $ms_runuser ms, below UID_MIN $ms_sys ms)"
done
setpriv --reuid=alice --regid=alice --init-groups -- setsid -f sleep 1013 </dev/null >/dev/null 2>&1
setpriv --reuid=www-data --regid=www-data --clear-groups -- setsid -f sleep 1014 </dev/null >/dev/null 2>&1
sleep 3
pgrep -u alice -x sleep >/dev/null || fail "late: alice's process started with setpriv stays"
pgrep -u www-data -x sleep >/dev/null || fail "late: www-data's process (a system account, not staff) stays"
pkill -u alice -x sleep || true
pkill -u www-data -x sleep || true
ok "staff processes started after access ended are gone within 2 s (setpriv $ms_setpriv ms, runuser $ms_runuser ms, uid below UID_MIN $ms_sys ms); alice's and www-data's stay"

# ==== 11g. where logind's layout is there, a session ends through its cgroup =================
# A logind session scope (session-ID.scope under user-UID.slice), made by the test on the
# machine's cgroup v2: jdoe's login process, a process of jdoe's, and a root process (as sudo
# in the session would leave) are in it. Revoking ends all three, the root one only cgroup.kill
# can reach; a root process in a customer's session scope stays.
CG_ROOT=/sys/fs/cgroup
[ "$(stat -f -c %T "$CG_ROOT")" = cgroup2fs ] || CG_ROOT=/sys/fs/cgroup/unified
if [ "$(stat -f -c %T "$CG_ROOT" 2>/dev/null)" != cgroup2fs ]; then
    ok "# SKIP no cgroup v2 on this machine: the cgroup path is not tested here"
else
    CG_TEST=/supportgrant-test.$$
    JS=$CG_TEST/user.slice/user-$(id -u jdoe).slice/session-c9.scope
    AS=$CG_TEST/user.slice/user-$(id -u alice).slice/session-c10.scope
    mkdir -p "$CG_ROOT$JS" "$CG_ROOT$AS"
    in_cgroup() { # in_cgroup CGROUP CMD...: runs CMD in the background inside CGROUP; prints its pid
        sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$CG_ROOT$1" "${@:2}" </dev/null >/dev/null 2>&1 &
        echo $!
    }
    as alice supportgrant --json grant jdoe
    G=$(grant_id "$OUT")
    MON=$(in_cgroup "$JS" sleep 1015)
    JP=$(in_cgroup "$JS" setpriv --reuid=jdoe --regid=jdoe --init-groups -- sleep 1016)
    RP=$(in_cgroup "$JS" sleep 1017)
    CP=$(in_cgroup "$AS" sleep 1018)
    sg_wait_for 3 pgrep -u jdoe -x sleep >/dev/null || fail "cgroup: jdoe's process runs"
    sleep 0.2
    sqlite3 -cmd '.timeout 5000' "$SG_DB" "INSERT INTO logins (user, time, outcome, reason, service, rhost, pid, pid_start, grant_ids)
        VALUES ('jdoe', strftime('%s','now'), 'accepted', 'in a logind scope', 'sshd', '127.0.0.1', $MON, $(awk '{ print $22 }' "/proc/$MON/stat"), '$G')"
    [[ $(cat "$CG_ROOT$JS/cgroup.procs" | wc -l) == 3 ]] || { OUT=$(cat "$CG_ROOT$JS/cgroup.procs"); fail "cgroup: three processes in jdoe's scope"; }
    as alice supportgrant revoke "$G"
    [[ $RC == 0 ]] || fail "alice revokes grant $G"
    cg_empty() { [ -z "$(cat "$CG_ROOT$JS/cgroup.procs")" ]; }
    sg_wait_for 3 cg_empty || { OUT=$(ps -o pid,user,args -p "$MON,$JP,$RP"); fail "cgroup: nothing is left in jdoe's session scope"; }
    # (They are the sandbox init's children now: gone, or zombies until it reaps them.)
    for p in "$MON" "$JP" "$RP"; do
        [[ $(ps -o stat= -p "$p") == "" || $(ps -o stat= -p "$p") == Z* ]] || fail "cgroup: process $p of jdoe's scope was ended"
    done
    [[ $(ps -o stat= -p "$CP") == S* ]] || fail "cgroup: the root process in alice's session scope stays"
    kill "$CP"
    sg_wait_for 3 sh -c "[ -z \"\$(cat $CG_ROOT$AS/cgroup.procs)\" ]" || fail "cgroup: alice's scope empties"
    rmdir "$CG_ROOT$JS" "$CG_ROOT$AS" "$CG_ROOT$CG_TEST/user.slice/user-$(id -u jdoe).slice" \
        "$CG_ROOT$CG_TEST/user.slice/user-$(id -u alice).slice" "$CG_ROOT$CG_TEST/user.slice" "$CG_ROOT$CG_TEST"
    ok "a session in a logind scope ends through cgroup.kill: its login process, jdoe's and a root process in it; a root process in alice's scope stays"
fi

# ==== 11c. a login whose pid start time was not recorded: that pid is never signalled =======
# Without the start time the daemon cannot tell whether the pid still is the session's process
# or was since given to another one (here root's). The session ends by the uid-wide kill alone.
as alice supportgrant --json grant jdoe
G=$(grant_id "$OUT")
sleep 1004 </dev/null >/dev/null 2>&1 &
ROOT_PID=$!
sqlite3 -cmd '.timeout 5000' "$SG_DB" "INSERT INTO logins (user, time, outcome, reason, service, rhost, pid, pid_start, grant_ids)
    VALUES ('jdoe', strftime('%s','now'), 'accepted', 'start time unknown', 'sshd', '127.0.0.1', $ROOT_PID, 0, '$G')"
as alice supportgrant revoke "$G"
[[ $RC == 0 ]] || fail "alice revokes grant $G"
sg_wait_for 5 login_end_is jdoe terminated || { OUT=$(last_login jdoe); fail "pid_start 0: the open login row ends 'terminated'"; }
sleep 1.5 # past the daemon's SIGKILL grace period
kill -KILL "$ROOT_PID" 2>/dev/null || true
rc=0
wait "$ROOT_PID" 2>/dev/null || rc=$?
[[ $rc == 137 ]] || fail "pid_start 0: root's process on the recorded pid was not signalled (it ended with $rc, not by the test's SIGKILL)"
ok "a login without a recorded start time is terminated without signalling its pid"

# ==== 11d. the daemon down: refused before the reason is asked and the motd shown ============
as alice supportgrant grant jdoe
[ -s /etc/motd ] || echo "Welcome to this customer host (motd)" >/etc/motd
MOTD=$(grep -m 1 . /etc/motd)
sg_daemon_stop
login jdoe -- 'id -un'
[[ $RC == 255 && $OUT != *jdoe* && $ERR == *"supportgrantd does not answer"* ]] ||
    fail "daemon down: jdoe is refused, told why"
[[ $(prompts) == 0 && $OUT != *"$MOTD"* && $ERR != *"$MOTD"* ]] || fail "daemon down: no reason prompt, no motd"
sg_daemon_start
login jdoe -- 'id -un'
[[ $RC == 0 && $OUT == jdoe && $(prompts) == 1 ]] || fail "daemon back: jdoe logs in, asked for the reason"
as alice supportgrant revoke --user jdoe
ok "daemon down: a staff login is refused before the reason prompt and the motd"

# ==== 12. export control (supportgrant gate): without export, a terminal and nothing else =====
mapfile -t SSHO < <(sg_ssh_opts jdoe)
RSYNC_E=$(sg_ssh_command jdoe)
echo "uploaded by the test" >"$T/upload.txt"
SECRET="secret customer data $RANDOM$RANDOM"
echo "$SECRET" >/home/jdoe/data.txt
chown jdoe: /home/jdoe/data.txt
install -m 0755 -o jdoe -g jdoe /usr/lib/openssh/sftp-server /home/jdoe/my-sftp-server

transfer() { # transfer CMD...: sets RC, OUT, ERR
    RC=0
    sg_with_askpass "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?
    OUT=$(tr -d '\r' <"$T/out")
    ERR=$(tr -d '\r' <"$T/err")
}
# Only root writes genuine entries: every query here filters on _UID=0, as the documentation's do.
refusals() { journal_count _UID=0 SUPPORTGRANT_EVENT=export-refused SUPPORTGRANT_USER=jdoe SUPPORTGRANT_EXPORT=no MESSAGE_ID=584ebc450d2e4a619b211d0c0fb9989a "$@"; }
got_secret() { grep -rqs "$SECRET" "$T/got" || [[ $OUT == *"$SECRET"* ]]; }

# Every way out that the reviews found, and the usual ones; each is one entry in the journal.
ways=(
    "sftp get|sftp ${SSHO[*]} -b $T/get.batch 127.0.0.1|sftp read /home/jdoe/data.txt"
    "scp (sftp protocol)|scp ${SSHO[*]} 127.0.0.1:/home/jdoe/data.txt $T/got/scp|sftp read /home/jdoe/data.txt"
    "scp -O|scp -O ${SSHO[*]} 127.0.0.1:/home/jdoe/data.txt $T/got/scpO|scp -f /home/jdoe/data.txt"
    "rsync from the host|rsync -e '$RSYNC_E' 127.0.0.1:/home/jdoe/data.txt $T/got/rsync|rsync --server --sender"
    "sftp -s with a name built by the shell|sftp ${SSHO[*]} -s 'a=sftp-ser;b=ver;exec /usr/lib/openssh/\$a\$b' -b $T/get.batch 127.0.0.1|a=sftp-ser;b=ver;exec"
    "sftp -s a copy of sftp-server in the home directory|sftp ${SSHO[*]} -s /home/jdoe/my-sftp-server -b $T/get.batch 127.0.0.1|/home/jdoe/my-sftp-server"
    "rsync --rsync-path with a name built by the shell|rsync -e '$RSYNC_E' --rsync-path='a=rsy;b=nc;\$a\$b' 127.0.0.1:/home/jdoe/data.txt $T/got/rsync2|a=rsy;b=nc;"
    "ssh host cat FILE|ssh -T ${SSHO[*]/-P/-p} 127.0.0.1 cat /home/jdoe/data.txt|cat /home/jdoe/data.txt"
    "ssh host sh -c|ssh -T ${SSHO[*]/-P/-p} 127.0.0.1 \"sh -c 'cat /home/jdoe/data.txt'\"|sh -c 'cat /home/jdoe/data.txt'"
    "ssh host python3 -c|ssh -T ${SSHO[*]/-P/-p} 127.0.0.1 \"python3 -c 'print(open(\\\"/home/jdoe/data.txt\\\").read())'\"|python3 -c"
)
printf 'get /home/jdoe/data.txt %s\n' "$T/got/sftp" >"$T/get.batch"
printf 'put %s /home/jdoe/up.sftp\n' "$T/upload.txt" >"$T/put.batch"

as alice supportgrant grant jdoe
for way in "${ways[@]}"; do
    IFS='|' read -r what cmd logged <<<"$way"
    rm -rf "$T/got" && mkdir -p "$T/got"
    before=$(refusals)
    eval "transfer $cmd"
    ! got_secret || fail "without export: $what gets no byte of the secret file"
    sg_wait_for 3 test "$(refusals)" = $((before + 1)) ||
        { OUT=$(sg_journal SUPPORTGRANT_EVENT=export-refused | jq -r '._UID + " " + .SUPPORTGRANT_COMMAND'); fail "without export: $what is journaled exactly once as export-refused by root"; }
    [[ $(sg_journal _UID=0 SUPPORTGRANT_EVENT=export-refused SUPPORTGRANT_USER=jdoe | tail -n 1 | jq -r .SUPPORTGRANT_COMMAND) == *"$logged"* ]] ||
        fail "without export: the entry for $what says what was refused ($logged)"
done
# An sftp symlink to the server is refused too (it could plant one to run by path).
printf 'symlink /usr/lib/openssh/sftp-server /home/jdoe/ss\n' >"$T/link.batch"
before=$(refusals)
transfer sftp "${SSHO[@]}" -b "$T/link.batch" 127.0.0.1
[[ ! -e /home/jdoe/ss ]] || fail "without export: an sftp symlink is refused"
sg_wait_for 3 test "$(refusals SUPPORTGRANT_COMMAND='sftp symlink')" -ge 1 || fail "without export: the refused symlink is journaled"
# What still works: an sftp upload, a terminal, a gate_allow command exactly as written.
transfer sftp "${SSHO[@]}" -b "$T/put.batch" 127.0.0.1
[[ $RC == 0 ]] && cmp -s "$T/upload.txt" /home/jdoe/up.sftp || fail "without export: sftp put works"
login jdoe -- 'id -un'
[[ $RC == 0 && $OUT == jdoe ]] || fail "without export: a command in a terminal session runs"
cp /etc/security/supportgrant.conf "$T/conf.before-allow"
echo 'gate_allow = echo allowed by the customer' >>/etc/security/supportgrant.conf
login jdoe -T -- 'echo allowed by the customer'
[[ $RC == 0 && $OUT == "allowed by the customer" ]] || fail "without export: a gate_allow command runs without a terminal"
login jdoe -T -- 'echo allowed by the customer; cat /home/jdoe/data.txt'
[[ $RC == 1 && $OUT != *"$SECRET"* ]] || fail "without export: only exactly the gate_allow command runs"
cp "$T/conf.before-allow" /etc/security/supportgrant.conf
# Forwarding never reaches the gate; the sshd configuration (DisableForwarding) turns it off.
login jdoe -o ExitOnForwardFailure=yes -R 127.0.0.1:0:127.0.0.1:9 -- 'echo forwarded'
[[ $RC != 0 && $OUT != *forwarded* ]] || fail "remote port forwarding is refused for staff"
ok "without export: ${#ways[@]} ways out get no byte and are journaled once each by root; sftp upload, a terminal and gate_allow work"

as alice supportgrant revoke --user jdoe
as alice supportgrant grant jdoe --export
for way in "${ways[@]}"; do
    IFS='|' read -r what cmd logged <<<"$way"
    rm -rf "$T/got" && mkdir -p "$T/got"
    eval "transfer $cmd"
    got_secret || fail "with export: $what works"
done
login jdoe -- 'echo "export=$SUPPORTGRANT_EXPORT"'
[[ $RC == 0 && $OUT == export=yes ]] || fail "with export: the session says so"
ok "with export: the same ${#ways[@]} transfers all work"
as alice supportgrant revoke --all

# ==== 12a. export ends while access goes on: what was opened with it ends, the terminal stays ==
# A week without export and an hour with it: an sftp download (rate-limited, so that it is
# still running; one request in flight, so that what was read before is soon drained) ends
# when the export grant is revoked, with the file incomplete; a terminal
# session of the same staff member lives on; a new sftp session gets the restricted server.
as alice supportgrant --json grant jdoe --period 1w
G_WEEK=$(grant_id "$OUT")
as alice supportgrant --json grant jdoe --period 1h --export
G_EXP=$(grant_id "$OUT")
head -c 20M /dev/urandom >/home/jdoe/big.bin
chown jdoe: /home/jdoe/big.bin
start_session jdoe
rm -rf "$T/got" && mkdir -p "$T/got"
printf 'get /home/jdoe/big.bin %s\n' "$T/got/big.bin" >"$T/big.batch"
(
    rc=0
    sg_with_askpass sftp "${SSHO[@]}" -l 800 -R 1 -B 8192 -b "$T/big.batch" 127.0.0.1 >"$T/big.out" 2>"$T/big.err" </dev/null || rc=$?
    echo "$rc" >"$T/big.rc"
) &
got_size() { stat -c %s "$T/got/big.bin" 2>/dev/null || echo 0; }
downloading() { [ "$(got_size)" -gt 100000 ]; }
sg_wait_for 15 downloading || { ERR=$(cat "$T/big.err"); fail "export: the sftp download runs"; }
SFTP_PID=$(pgrep -u jdoe -x sftp-server) || fail "export: jdoe's sftp-server runs (unrestricted)"
[[ $(tr '\0' ' ' <"/proc/$SFTP_PID/cmdline") == "sftp-server " ]] || fail "export: the sftp server is the unrestricted one"
# A daemon restarted meanwhile still knows the session was started with export.
sg_daemon_stop
sg_daemon_start
before=$(journal_count SUPPORTGRANT_EVENT=session-terminated SUPPORTGRANT_USER=jdoe SUPPORTGRANT_EXPORT=no _UID=0)
t0=$(date +%s%N)
as alice supportgrant revoke "$G_EXP"
[[ $RC == 0 ]] || fail "alice revokes the export grant $G_EXP"
sg_wait_for 5 test -e "$T/big.rc" || fail "export: the sftp download ends when the export grant is revoked"
took=$((($(date +%s%N) - t0) / 1000000))
[[ $(cat "$T/big.rc") != 0 ]] || fail "export: sftp reports the download as failed"
size=$(got_size)
((size < 20 * 1024 * 1024)) || fail "export: the file is incomplete ($size bytes)"
sleep 1
[[ $(got_size) == "$size" ]] || fail "export: nothing more arrives"
! kill -0 "$SFTP_PID" 2>/dev/null || fail "export: jdoe's sftp-server is gone"
session_alive jdoe || fail "export: jdoe's terminal session (covered by the week without export) lives on"
export_ended_logged() { [ "$(journal_count SUPPORTGRANT_EVENT=session-terminated SUPPORTGRANT_USER=jdoe SUPPORTGRANT_EXPORT=no _UID=0)" = $((before + 1)) ]; }
sg_wait_for 3 export_ended_logged ||
    fail "export: one session-terminated entry (SUPPORTGRANT_EXPORT=no) says the export ended"
transfer sftp "${SSHO[@]}" -b "$T/big.batch" 127.0.0.1
[[ $RC != 0 ]] && ! cmp -s /home/jdoe/big.bin "$T/got/big.bin" || fail "export: a new sftp download is refused"
as alice supportgrant revoke "$G_WEEK"
sg_wait_for 5 test -e "$S_DIR/rc" || fail "export: revoking the week ends the terminal session"
sg_wait_for 3 sh -c '! pgrep -u jdoe >/dev/null' || fail "export: nothing of jdoe's is left after the week's revocation"
[[ $(sqlite3 -cmd '.timeout 5000' "$SG_DB" "SELECT end_kind FROM logins WHERE id = $S_LOGIN") == terminated ]] ||
    fail "export: the terminal session's login row ends 'terminated'"
ok "export ended while access goes on (the daemon restarted meanwhile): the sftp download opened with it ends ($took ms, $size of 20 MiB), the terminal stays, journaled"

# ==== 12b. only root writes genuine entries: forgeries stay out of the documented queries =====
FORGED="forged $RANDOM"
for u in www-data jdoe; do
    printf 'MESSAGE=%s by %s\nSYSLOG_IDENTIFIER=supportgrant\nMESSAGE_ID=8f80990ef59447feb030e4ce4de194d7\nSUPPORTGRANT_EVENT=login-accepted\nSUPPORTGRANT_USER=jdoe\n' "$FORGED" "$u" |
        setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups logger --journald ||
        fail "logger --journald as $u"
done
sg_journal_sync
[[ $(sg_journal SYSLOG_IDENTIFIER=supportgrant | grep -c "$FORGED") == 2 ]] ||
    fail "both forgeries are in the journal (the harness sees them)"
[[ $(sg_journal _UID=0 SYSLOG_IDENTIFIER=supportgrant | grep -c "$FORGED") == 0 &&
    $(sg_journal _UID=0 SUPPORTGRANT_EVENT=login-accepted SUPPORTGRANT_USER=jdoe | grep -c "$FORGED") == 0 ]] ||
    fail "the documented queries (_UID=0) show no forgery"
[[ $(sg_journal _UID=0 SYSLOG_IDENTIFIER=supportgrant SUPPORTGRANT_EVENT=login-accepted | grep -c .) -ge 1 ]] ||
    fail "the documented queries show the genuine entries"
ok "forged entries (logger --journald as www-data and as staff) stay out of every _UID=0 query"

# ==== staff in a user directory (SPEC §2): by name, and fail closed when it fails ===============
# tests/nss/nss_sgdir.c stands in for sssd or nslcd, after the local files, in sshd, the daemon
# and the CLI alike. dana and dora live only in the directory; alice is a local customer.
install -m 0644 "$B/tests/nss/libnss_sgdir.so.2" "/usr/lib/$(gcc -print-multiarch)/" ||
    fail "the directory stand-in is installed"
mkdir -p /run/sgdir
printf '%s\n' 'dana:*:7001:7001:Directory staff:/home/dana:/bin/bash' \
    'dora:*:7002:7001:Directory staff:/home/dora:/bin/bash' >/run/sgdir/passwd
# The directory's onoffice-staff has another gid than the local one: the shadowing case.
printf '%s\n' 'dir-staff:x:7000:dana,jdoe' 'dir-users:x:7001:' 'onoffice-staff:x:7100:dora' >/run/sgdir/group
echo up >/run/sgdir/mode
chmod 0644 /run/sgdir/*
sed -i -e 's/^\(passwd\|group\):.*/& sgdir/' /etc/nsswitch.conf
directory() { echo "$1" >/run/sgdir/mode; }
for u in dana dora alice; do
    ssh-keygen -q -t ed25519 -N '' -C "$u@sg-test" -f "$SG_HOST_DIR/keys/$u"
    install -d -m 0700 -o "$u" -g "$(id -g "$u")" "/home/$u" "/home/$u/.ssh"
    install -m 0600 -o "$u" -g "$(id -g "$u")" "$SG_HOST_DIR/keys/$u.pub" "/home/$u/.ssh/authorized_keys"
done
sg_daemon_stop
sg_daemon_start

# A local group onoffice-staff must not hide the directory's from the module, while sshd's
# Match Group, which goes by name, sees it: dora is staff.
login dora -- 'id -un'
[[ $RC == 255 && $ERR == *"Support access for dora is not activated"* ]] || fail "shadowing group: dora without a grant is refused"
as alice supportgrant grant dora
login dora -- 'id -un'
[[ $RC == 0 && $OUT == dora && $(prompts) == 1 ]] || fail "shadowing group: dora with a grant logs in and gives a reason"
as alice supportgrant revoke --all
ok "a local onoffice-staff with another gid hides no directory staff (staff by name)"

# The staff group only in the directory, as where it lives in LDAP.
cp /etc/security/supportgrant.conf "$T/conf.orig"
echo 'staff_group = dir-staff' >>/etc/security/supportgrant.conf
sed -i 's/^Match Group onoffice-staff$/Match Group dir-staff/' /etc/ssh/sshd_config.d/supportgrant.conf
sg_daemon_reload
sg_sshd_restart
sg_wait_for 5 test "$(sqlite3 -cmd '.timeout 5000' "$SG_DB" "SELECT gid FROM staff_groups WHERE name = 'dir-staff'")" = 7000 ||
    fail "the daemon records the gid of the staff group"
login dana -- 'id -un'
[[ $RC == 255 && $ERR == *"not activated"* ]] || fail "directory up: dana without a grant is refused"
as alice supportgrant --json grant dana
G=$(grant_id "$OUT")
login dana -- 'id -un'
[[ $RC == 0 && $OUT == dana ]] || fail "directory up: dana with a grant logs in (the positive twin)"
login alice -- 'id -un'
[[ $RC == 0 && $OUT == alice ]] || fail "directory up: alice logs in with her key"

# A live session of dana ends when the directory stops answering for her groups.
start_session dana
directory notfound
sg_daemon_reload
assert_cut dana 10 "staff unknown"
ok "directory up: staff by the directory's group; a live session ends when the directory fails"

for mode in notfound unavail-enoent unavail-eio tryagain; do
    directory "$mode"
    login dana -- 'id -un'
    [[ $RC == 255 && $OUT != dana && $ERR == *"cannot be checked on this host right now"* ]] ||
        fail "directory $mode: dana (with a grant) is refused, and told why"
    as alice supportgrant grant jdoe
    login jdoe -- 'id -un'
    [[ $RC == 255 && $OUT != jdoe ]] || fail "directory $mode: jdoe, local but known as staff, is refused"
    as alice supportgrant revoke --user jdoe
    login alice -- 'id -un'
    [[ $RC == 0 && $OUT == alice ]] || fail "directory $mode: alice, a local customer, is unaffected"
done
[[ $(journal_count SUPPORTGRANT_EVENT=login-denied SUPPORTGRANT_USER=alice) == 0 ]] ||
    fail "no denial was ever recorded for alice"
directory up
login dana -- 'id -un'
[[ $RC == 0 && $OUT == dana ]] || fail "directory back: dana logs in again"
as alice supportgrant revoke --all
cp "$T/conf.orig" /etc/security/supportgrant.conf
sed -i 's/^Match Group dir-staff$/Match Group onoffice-staff/' /etc/ssh/sshd_config.d/supportgrant.conf
sg_daemon_reload
sg_sshd_restart
ok "directory notfound, unavail-enoent, unavail-eio, tryagain: staff refused with or without a grant, customers unaffected"

# ==== every service gates staff (SPEC §5): the README's wiring, and supportgrant doctor =========
# With the older sshd-only wiring (account and session in /etc/pam.d/sshd, no profile), doctor
# must say that login, su and the rest let staff in unchecked.
sg_sshd_integration_legacy
doctor() { RC=0; sg_as "${1:-root}" supportgrant doctor "${@:2}" >"$T/out" 2>"$T/err" </dev/null || RC=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }
[ "$(id -u)" = 0 ] && doctor_root() { RC=0; supportgrant doctor "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?; OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); }
doctor_root
[[ $RC == 1 && $OUT == *"FAIL  pam login "*"staff NOT gated"* && $OUT == *"FAIL  pam su "* &&
    $OUT == *"FAIL  pam su-l "* && $OUT == *"ok    pam sshd "* &&
    $OUT == *"FAIL  pam profile"*"pam-auth-update --enable supportgrant"* ]] ||
    fail "doctor on the sshd-only wiring exits 1 and names each ungated service and the profile"
doctor_root --json
[[ $RC == 1 && $(jq -r '[.[] | select(.status == "fail") | .check] | index("pam login") != null' <<<"$OUT") == true ]] ||
    fail "doctor --json: one object per check, the ungated services failing"
ok "doctor on an sshd-only wiring: exit 1, naming login, su, su-l as ungated (--json too)"

# Services a stock Debian host has besides these (their packages are not installed here): as
# cron, at and systemd ship them.
[ -e /etc/pam.d/cron ] || printf '@include common-auth\n@include common-account\nsession required pam_loginuid.so\n@include common-session-noninteractive\nsession required pam_limits.so\n' >/etc/pam.d/cron
[ -e /etc/pam.d/atd ] || printf '@include common-auth\n@include common-account\nsession required pam_loginuid.so\n@include common-session-noninteractive\nsession required pam_limits.so\n' >/etc/pam.d/atd
[ -e /etc/pam.d/systemd-user ] || printf 'account include common-account\nsession required pam_limits.so\nsession include common-session-noninteractive\n' >/etc/pam.d/systemd-user

# Now exactly what the README tells an administrator (as the whole suite ran); its last command
# is doctor.
sg_sshd_integration off
RC=0
sg_readme_wiring || RC=$?
OUT=$(cat "$SG_HOST_DIR/wiring.log")
[[ $RC == 0 && $OUT == *"Staff are gated everywhere"* && $OUT != *FAIL* ]] ||
    fail "the README's wiring block runs, and its supportgrant doctor exits 0"
sg_sshd_restart
ok "the README's wiring block, run verbatim: doctor exits 0"

pamt() { RC=0; printf '%s\n' "$GOOD" | env $PAM_ASAN pamtester -v "$@" >"$T/out" 2>&1 || RC=$?; OUT=$(cat "$T/out"); }
services=(login su su-l cron atd systemd-user sshd)
for svc in "${services[@]}"; do
    pamt "$svc" jdoe acct_mgmt
    [[ $RC != 0 && $OUT == *"not activated"* ]] || fail "$svc: staff without a grant is denied"
    pamt "$svc" alice acct_mgmt
    [[ $RC == 0 && $OUT != *"Reason"* ]] || fail "$svc: alice, a customer, passes untouched"
done
as alice supportgrant grant jdoe
for svc in "${services[@]}"; do
    pamt "$svc" jdoe acct_mgmt
    [[ $RC == 0 ]] || fail "$svc: staff with a grant passes acct_mgmt (reason answered)"
done
ok "login, su, su-l, cron, atd, systemd-user, sshd: staff denied without a grant, allowed with one; customers untouched"

# su - jdoe by root: a login of jdoe, the reason asked through the conversation.
RC=0
OUT=$(printf '%s\n' "$GOOD" | env $PAM_ASAN su - jdoe -c 'id -un' 2>"$T/err") || RC=$?
ERR=$(cat "$T/err")
[[ $RC == 0 && $OUT == *jdoe* && $ERR == *"Reason for this login"* ]] || fail "su - jdoe with a grant asks the reason"
[[ $(jq -r '.service + "|" + .outcome + "|" + .reason' <<<"$(last_login jdoe)") == "su-l|accepted|$GOOD" ]] ||
    { OUT=$(last_login jdoe); fail "the su - login is in the overview with service su-l and its reason"; }
as alice supportgrant revoke --user jdoe
RC=0
OUT=$(printf '%s\n' "$GOOD" | env $PAM_ASAN su - jdoe -c 'id -un' 2>"$T/err") || RC=$?
[[ $RC != 0 && $OUT != *jdoe* ]] || fail "su - jdoe without a grant is refused"
ok "su - jdoe by root: asks the reason and records service su-l with a grant, refused without"

# doctor names what breaks the wiring: a missing module_unknown=ignore, a Match Group of
# another group than staff_group.
cp /etc/pam.d/sshd "$T/pam.sshd.readme"
sed -i 's/ module_unknown=ignore//' /etc/pam.d/sshd
doctor_root
[[ $RC == 1 && $OUT == *"FAIL  pam sshd auth"*"module_unknown=ignore"* ]] || fail "doctor names a missing module_unknown=ignore"
cp "$T/pam.sshd.readme" /etc/pam.d/sshd
sed -i 's/^Match Group onoffice-staff$/Match Group vendor-staff/' /etc/ssh/sshd_config.d/supportgrant.conf
doctor_root
[[ $RC == 1 && $OUT == *"FAIL  sshd match"*"vendor-staff"* ]] || fail "doctor names a Match Group that is not the staff group"
sed -i 's/^Match Group vendor-staff$/Match Group onoffice-staff/' /etc/ssh/sshd_config.d/supportgrant.conf
# A remove and reinstall leaves the profile off (Default: no) and the drop-in in place.
DEBIAN_FRONTEND=noninteractive pam-auth-update --disable supportgrant
doctor_root
[[ $RC == 1 && $OUT == *"FAIL  pam profile"*"stays off"* ]] || fail "doctor names the profile that is off"
DEBIAN_FRONTEND=noninteractive pam-auth-update --enable supportgrant
doctor_root
[[ $RC == 0 && $OUT == *"ok    pam profile"* ]] || fail "doctor: the profile on again"
doctor alice
[[ $RC == 0 && $OUT == *"warn  sshd effective"*"run as root"* ]] || fail "doctor as a customer: exit 0, sshd -T left to root"
ok "doctor names a missing module_unknown=ignore, a Match Group of another group and a profile left off; any user may run it"

# ==== a loop of refused logins does not flood the overview or the journal ======================
as alice supportgrant revoke --all
t0=$(date +%s)
loops=()
for loop in 1 2 3 4; do
    (for _ in $(seq 50); do sg_ssh -a "$GOOD" mdev -T -- true </dev/null >/dev/null 2>&1 || true; done) &
    loops+=($!)
done
wait "${loops[@]}" # not a bare wait: journald, the daemon and sshd are this shell's too
login kim -- true
rows() { sqlite3 -cmd '.timeout 5000' "$SG_DB" "SELECT count(*) || ' ' || coalesce(sum(count), 0) FROM logins WHERE user = '$1' AND outcome = 'denied' AND time >= $t0"; }
read -r n_rows n_denials <<<"$(rows mdev)"
took=$(($(date +%s) - t0))
[[ $n_denials == 200 && $n_rows -le $((took / 60 + 2)) ]] ||
    { OUT="rows=$n_rows denials=$n_denials in ${took}s"; fail "200 refused logins of mdev in ${took}s: a few rows with the count"; }
[[ $(sg_journal _UID=0 SUPPORTGRANT_EVENT=login-denied SUPPORTGRANT_USER=mdev | jq -r '.__REALTIME_TIMESTAMP' | awk -v t="${t0}000000" '$1 >= t' | grep -c .) == "$n_rows" ]] ||
    fail "one journal entry per row"
[[ $(rows kim) == "1 1" ]] || fail "a refused login of another account is its own row"
as alice supportgrant logins --user mdev --limit 1
[[ $OUT == *"denied "*"x "* ]] || fail "logins shows the count of a merged row"
ok "200 refused logins of one key in ${took}s: $n_rows row(s) with the count, one journal entry each; kim's is its own"

# ==== every denied login says why ===========================================================
as alice supportgrant --json logins
[[ $RC == 0 && $(jq '[.[] | select(.outcome == "denied")] | length' <<<"$OUT") -ge 5 &&
    $(jq '[.[] | select(.outcome == "denied" and ((.detail // "") == ""))] | length' <<<"$OUT") == 0 ]] ||
    fail "every denied row of this suite has a detail"
as alice supportgrant logins --user jdoe
[[ $OUT == *"(denied: no active grant)"* ]] || fail "logins (human) shows why a login was denied"
ok "every denied login row says why, in logins --json and in the table"

# ==== the audit trail of the whole run ==========================================================
# Every grant, revocation, login (accepted and denied), closed and terminated session and
# refused export above is a record of one intact chain.
as alice supportgrant --json audit verify
[[ $RC == 0 && $(jq -r .intact <<<"$OUT") == true && $(jq -r .records <<<"$OUT") -gt 20 ]] ||
    fail "audit verify: the trail of this whole run is intact"
sg_as alice supportgrant audit export >"$T/trail.jsonl" || fail "audit export as alice"
events=" $(jq -r .event "$T/trail.jsonl" | sort -u | tr '\n' ' ')"
for e in grant-created grant-revoked right-changed login-accepted login-denied session-closed \
    session-terminated export-refused; do
    [[ $events == *" $e "* ]] || fail "the trail holds $e records (it has:$events)"
done
ok "the audit trail of the whole run is intact and holds every kind of event, terminations and export refusals too"

# ==== the daemon and sshd stayed healthy ======================================================
sg_daemon_answers || fail "supportgrantd still answers"
kill -0 "$SG_SSHD_PID" || fail "sshd still runs"

# ==== make uninstall locks nobody out ===========================================================
# After make install and the README's wiring, make uninstall takes the profile's lines out of
# common-* before the module goes; the auth line in /etc/pam.d/sshd (module_unknown=ignore)
# stays, is named, and a customer's password login through sshd still works.
PW="customer password $RANDOM"
printf 'alice:%s\n' "$PW" | env $PAM_ASAN chpasswd
pw_login() {
    RC=0
    sg_ssh_password alice "$PW" id -un >"$T/out" 2>"$T/err" </dev/null || RC=$?
    OUT=$(tr -d '\r' <"$T/out")
    ERR=$(tr -d '\r' <"$T/err")
}
pw_login
[[ $RC == 0 && $OUT == alice ]] || fail "alice logs in over ssh with her password"
RC=0
make -s -C "$SG_TOP" uninstall DESTDIR= >"$T/out" 2>&1 || RC=$?
OUT=$(cat "$T/out")
[[ $RC == 0 && $OUT == *"pam-auth-update --package --remove supportgrant"* &&
    $OUT == *"still naming pam_supportgrant.so"*"/etc/pam.d/sshd"* ]] ||
    fail "make uninstall removes the profile first and names /etc/pam.d/sshd"
! grep -q pam_supportgrant /etc/pam.d/common-account /etc/pam.d/common-session && [[ ! -e /usr/bin/supportgrant ]] ||
    fail "make uninstall: the profile's lines and the programs are gone"
pw_login
[[ $RC == 0 && $OUT == alice ]] || fail "make uninstall: alice still logs in over ssh with her password"
ok "make uninstall after make install and the README's wiring: profile removed first, /etc/pam.d/sshd named, a password login still works"

sg_daemon_stop
sg_sshd_stop
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$SG_DAEMON_LOG" "$SG_WORK"/asan/* 2>/dev/null; then
    cat "$SG_DAEMON_LOG" "$SG_WORK"/asan/* 2>/dev/null | grep -A30 'ERROR: AddressSanitizer\|runtime error' | head -60
    fail "a sanitizer reported an error"
fi
ok "supportgrantd and sshd ran through without sanitizer reports"
echo "all $n checks passed"
