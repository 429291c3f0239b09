#!/bin/bash
# The installed package end to end: a private host (tests/lib/host.sh) gets the .deb with
# dpkg -i instead of make install, sshd and PAM are wired as an administrator does it from
# the package (pam-auth-update --enable supportgrant, the shipped sshd example as a drop-in,
# the auth line in /etc/pam.d/sshd), and the daemon is the installed /usr/sbin/supportgrantd.
# A staff login through the real sshd is then refused without a grant, let in with one (the
# reason asked, listed and journaled), kept from copying data off the host, and cut when the
# customer revokes. The host itself is checked to be unchanged afterwards.
#   tests/package/e2e-deb.sh supportgrant_VERSION_ARCH.deb      (run by tests/package/run.sh)
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/host.sh"

DEB=$(realpath "${1:?usage: e2e-deb.sh PACKAGE.deb}")
sg_require_root "the installed-package end-to-end test"

# --- outside: the host before and after -----------------------------------------------------
if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    rc=0
    sg_run_private_untouched "$DEB" || rc=$?
    [ "$SG_HOST_CHANGED" = 0 ] || { echo "FAIL deb e2e: the host changed"; exit 1; }
    echo "ok   deb e2e: the host is untouched (/etc/passwd, /etc/group, /etc/shadow, /etc/pam.d, /etc/ssh, /var/lib/supportgrant)"
    exit "$rc"
fi

# --- inside the private host ------------------------------------------------------------------
sg_private_host /etc /usr /var
echo "== deb e2e: dpkg -i $(basename "$DEB"), pam-auth-update, sshd drop-in, real sshd"
# shellcheck disable=SC2034 # read by host.sh
SG_HOST_INSTALL=deb
# No PID 1 runs the unit: the daemon gets at least the unit's capability bounding set
# (CapabilityBoundingSet=CAP_KILL, NoNewPrivileges=yes), so that cutting a session is shown
# to work with what the unit allows.
# shellcheck disable=SC2034 # read by sg_daemon_start
SG_DAEMON_WRAPPER="setpriv --no-new-privs --bounding-set -all,+kill --inh-caps -all"
sg_host_setup "$DEB"

T=$SG_WORK/deb-e2e
mkdir -p "$T"
chmod 0755 "$T"

pass() { echo "ok   deb e2e: $1"; }
fail() {
    echo "FAIL deb e2e: $1"
    [ -n "${OUT:-}" ] && echo "  stdout: ${OUT//$'\n'/$'\n'          }"
    [ -n "${ERR:-}" ] && echo "  stderr: ${ERR//$'\n'/$'\n'          }"
    echo "  --- sshd log (tail)"
    tail -n 25 "$SG_SSHD_LOG" | sed 's/^/  /'
    echo "  --- supportgrantd log (tail)"
    tail -n 25 "$SG_DAEMON_LOG" | sed 's/^/  /'
    exit 1
}

# run CMD...: sets RC, OUT, ERR.
run() {
    RC=0
    "$@" >"$T/out" 2>"$T/err" </dev/null || RC=$?
    OUT=$(tr -d '\r' <"$T/out") # ssh sessions have a terminal: CRLF line ends
    ERR=$(tr -d '\r' <"$T/err")
}

newest_login() { sg_as alice supportgrant --json logins --user jdoe --limit 1 | jq -c '.[0]'; }
# Genuine entries come from root: every count filters on _UID=0, as the documentation does.
journal_count() { sg_journal _UID=0 "$@" | grep -c . || true; }

# ==== what runs is the package, wired as the README says ======================================
MODULE=$(dpkg -L supportgrant | grep '/security/pam_supportgrant\.so$')
# The only module on this host is the package's: the one sshd loads below.
[[ -n $MODULE && $(find /usr/lib /lib -name pam_supportgrant.so -exec realpath {} + 2>/dev/null | sort -u) == "$(realpath "$MODULE")" ]] ||
    { OUT=$(find /usr/lib /lib -name pam_supportgrant.so); fail "the only pam_supportgrant.so is the package's"; }
OUT=$(grep -h pam_supportgrant /etc/pam.d/sshd /etc/pam.d/common-account /etc/pam.d/common-session |
    tr -s ' \t' ' ')
[[ $OUT == $'auth [success=done ignore=ignore module_unknown=ignore default=die] pam_supportgrant.so kbdint_step\naccount required pam_supportgrant.so \nsession required pam_supportgrant.so ' ]] ||
    fail "PAM: the auth line in sshd, account and session from the profile, each once"
OUT=$(/usr/sbin/sshd -T -h "$SG_HOST_DIR/ssh_host_ed25519_key" -C user=jdoe,host=x,addr=127.0.0.1 |
    grep -E '^(authenticationmethods|forcecommand) ' | sort)
[[ $OUT == $'authenticationmethods publickey,keyboard-interactive:pam\nforcecommand /usr/bin/supportgrant gate' ]] ||
    fail "sshd -T: the shipped example applies to staff"
[[ $(readlink "/proc/$SG_DAEMON_PID/exe") == /usr/sbin/supportgrantd ]] ||
    fail "the daemon runs the installed /usr/sbin/supportgrantd"
grep -qx 'CapBnd:	0000000000000020' "/proc/$SG_DAEMON_PID/status" ||
    fail "the daemon runs with CAP_KILL only, as under its unit"
pass "the package's programs and module, wired by pam-auth-update and the shipped sshd example"

# ==== no grant: refused with the message that says what to do ==================================
run sg_ssh jdoe -- true
[[ $RC == 255 && $ERR == *"Support access for jdoe is not activated on this host"* &&
    $ERR == *"supportgrant grant jdoe"* && $ERR == *"supportgrant request"* ]] || fail "jdoe without a grant is refused with the helpful message"
OUT=$(newest_login)
[[ $(jq -r .outcome <<<"$OUT") == denied ]] || fail "the refusal is in the login overview"
[[ $(journal_count SUPPORTGRANT_EVENT=login-denied SUPPORTGRANT_USER=jdoe SUPPORTGRANT_SERVICE=sshd) == 1 ]] ||
    fail "the refusal is journaled (login-denied)"
OUT='' ERR=''
pass "no grant: ssh refused with the helpful message; denied row and login-denied entry"

# ==== the customer grants; the login asks the reason ==========================================
run sg_as alice supportgrant --json grant jdoe
[[ $RC == 0 ]] || fail "alice grants jdoe with the installed CLI"
G=$(jq -r .id <<<"$OUT")
REASON="Ticket 5150: deb install check — backup \"nightly\" fails"
# shellcheck disable=SC2016 # expanded by the remote shell
run sg_ssh -a "$REASON" jdoe -- 'id -un; echo "export=$SUPPORTGRANT_EXPORT"'
[[ $RC == 0 && $OUT == $'jdoe\nexport=no' ]] || fail "jdoe logs in with the grant"
[[ $(grep -c 'Reason for this login' "$SG_LAST_PROMPTS") == 1 ]] ||
    { OUT=$(cat "$SG_LAST_PROMPTS"); fail "the login asked for the reason once"; }
OUT=$(newest_login)
[[ $(jq -r '.outcome + "|" + .reason + "|" + .service + "|" + (.grant_ids | tostring)' <<<"$OUT") == \
    "accepted|$REASON|sshd|[$G]" ]] || fail "supportgrant logins --json shows the login with its reason"
LID=$(jq -r .id <<<"$OUT")
[[ $(journal_count SUPPORTGRANT_EVENT=login-accepted SUPPORTGRANT_USER=jdoe "SUPPORTGRANT_REASON=$REASON" \
    "SUPPORTGRANT_LOGIN_ID=$LID" SYSLOG_IDENTIFIER=supportgrant) == 1 ]] ||
    { OUT=$(sg_journal SUPPORTGRANT_USER=jdoe); fail "the journal has login-accepted with the reason"; }
OUT='' ERR=''
pass "grant: the login asks the reason; logins --json and the journal hold it"

# ==== no export: scp from the host is refused by the gate =====================================
echo "customer data $RANDOM" >/home/jdoe/data.txt
chown jdoe: /home/jdoe/data.txt
mapfile -t SSHO < <(sg_ssh_opts jdoe)
refused=$(journal_count SUPPORTGRANT_EVENT=export-refused SUPPORTGRANT_USER=jdoe)
run sg_with_askpass scp -O "${SSHO[@]}" 127.0.0.1:/home/jdoe/data.txt "$T/got.scpO"
[[ $RC != 0 && ! -s $T/got.scpO && $ERR == *"data export is not allowed for jdoe"* &&
    $ERR == *"this command was refused"* ]] || fail "without export: scp -O from the host is refused by the gate"
[[ $(journal_count SUPPORTGRANT_EVENT=export-refused SUPPORTGRANT_USER=jdoe SUPPORTGRANT_EXPORT=no) == $((refused + 1)) ]] ||
    fail "the refused scp is journaled (export-refused)"
run sg_with_askpass scp "${SSHO[@]}" 127.0.0.1:/home/jdoe/data.txt "$T/got.scp"
[[ $RC != 0 && ! -s $T/got.scp ]] || fail "without export: scp (sftp protocol) from the host fails"
OUT='' ERR=''
pass "no export: scp -O and scp from the host refused by the gate; export-refused journaled"

# ==== revoke cuts the live session within 5 s ===================================================
# A long session with a child that ignores SIGTERM and SIGHUP and left the process group.
S=$(mktemp -d "$T/session.XXXXXX")
(
    rc=0
    sg_ssh jdoe -- '(trap "" TERM HUP; exec sleep 601) >/dev/null 2>&1 </dev/null & echo session-up; exec sleep 600' \
        >"$S/out" 2>"$S/err" </dev/null || rc=$?
    echo "$rc" >"$S/rc"
) &
sg_wait_for 15 grep -q session-up "$S/out" || { ERR=$(cat "$S/err"); fail "jdoe's session starts"; }
OUT=$(newest_login)
[[ $(jq -r '.outcome + "/" + (.end // "open")' <<<"$OUT") == accepted/open ]] || fail "the session is recorded as open"
LID=$(jq -r .id <<<"$OUT")
pgrep -u jdoe -f 'sleep 601' >/dev/null || fail "jdoe's background job runs"
if [ -e "$S/rc" ] || ! kill -0 "$(sqlite3 "$SG_DB" "SELECT pid FROM logins WHERE id = $LID")"; then
    fail "the session runs until the revoke"
fi
t0=$(date +%s.%N)
run sg_as alice supportgrant revoke "$G"
[[ $RC == 0 ]] || fail "alice revokes grant $G"
sg_wait_for 5 test -e "$S/rc" || fail "revoke: the ssh connection closes within 5 s"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
sg_wait_for 3 sh -c '! pgrep -u jdoe >/dev/null' || { OUT=$(ps -o pid,user,args -u jdoe); fail "revoke: no process of jdoe remains"; }
OUT=$(newest_login)
[[ $(jq -r .end <<<"$OUT") == terminated ]] || fail "revoke: the login row ends 'terminated'"
sg_wait_for 3 test "$(journal_count SUPPORTGRANT_EVENT=session-terminated "SUPPORTGRANT_LOGIN_ID=$LID")" = 1 ||
    fail "revoke: the journal has session-terminated"
OUT=
pass "revoke cuts the live session in $took s (connection closed, no process left, end=terminated, journaled)"

sg_daemon_answers || fail "supportgrantd still answers"
kill -0 "$SG_SSHD_PID" || fail "sshd still runs"

# ==== completion of grant ids, from the installed file and the running daemon ======================
run sg_as alice supportgrant --json grant jdoe --period 1h --note completion
G2=$(jq -r .id <<<"$OUT")
run sg_as alice supportgrant --json list
WANT=$(jq -r '.[].id' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')
run sg_as alice bash -c 'source /usr/share/bash-completion/bash_completion
    source /usr/share/bash-completion/completions/supportgrant
    COMP_WORDS=(supportgrant revoke ""); COMP_CWORD=2; COMP_LINE="supportgrant revoke "
    COMP_POINT=${#COMP_LINE}; _supportgrant; echo "${COMPREPLY[*]}"'
[[ -n $WANT && $WANT == *"$G2"* && $OUT == "$WANT" ]] || fail "completion: supportgrant revoke <TAB> offers the active grant ids ($WANT)"
run sg_as alice supportgrant revoke "$G2"
OUT=''
pass "completion: supportgrant revoke <TAB> offers the active grant ids"

# ==== removing the package locks nobody out ======================================================
# apt remove takes the module and the profile's lines away; the auth line the README's block
# put into /etc/pam.d/sshd stays, and with module_unknown=ignore a customer's password login
# through sshd still works. prerm names the files that still mention the module.
PW="customer password $RANDOM"
printf 'alice:%s\n' "$PW" | chpasswd
pw_login() { run sg_ssh_password alice "$PW" id -un; }
pw_login
[[ $RC == 0 && $OUT == alice ]] || fail "alice logs in over ssh with her password"
sg_daemon_stop
RC=0
dpkg -r supportgrant >"$T/out" 2>&1 || RC=$?
OUT=$(cat "$T/out")
[[ $RC == 0 ]] || fail "dpkg -r supportgrant"
[[ $OUT == *"/etc/pam.d/sshd (its line has module_unknown=ignore"* ]] ||
    fail "remove: prerm names /etc/pam.d/sshd, whose line is harmless"
[[ ! -e /usr/bin/supportgrant ]] && ! grep -q pam_supportgrant /etc/pam.d/common-account ||
    fail "remove: the module's programs and profile lines are gone"
grep -q '^auth .*module_unknown=ignore.*pam_supportgrant.so kbdint_step' /etc/pam.d/sshd ||
    fail "remove: the auth line stays in /etc/pam.d/sshd"
pw_login
[[ $RC == 0 && $OUT == alice ]] || fail "remove: alice still logs in over ssh with her password"
OUT='' ERR=''
pass "dpkg -r: prerm names /etc/pam.d/sshd; a customer's password ssh login still works"

sg_sshd_stop
echo "deb e2e: all checks passed"
