#!/bin/bash
# The whole story of supportgrant in a private sandbox host (tests/lib/host.sh), narrated:
# refused, activated, the reason asked and recorded, an activation code, the record in the
# overview and the journal, and a live session cut when access is revoked. Every command shown
# really runs; every output shown is its real output. Leaves nothing behind.
#   tests/e2e/demo.sh [BUILD_DIR]         (make demo)
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"
source "$(dirname "$0")/../lib/host.sh"

B=$(cd "${1:-build}" && pwd)
sg_require_root "the demo"

if [ -t 1 ]; then
    BOLD=$'\e[1m' DIM=$'\e[2m' CYAN=$'\e[36m' RESET=$'\e[0m'
else
    BOLD='' DIM='' CYAN='' RESET=''
fi
heading() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET"; }
say() { printf '%s\n' "$*" | fold -s -w 96; }
# quoted ARGS...: the arguments as one would type them.
quoted() {
    local a out=()
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then out+=("$a"); else out+=("'$a'"); fi
    done
    printf '%s' "${out[*]}"
}

# show WHO CMD...: prints the command as typed at WHO's prompt, then runs it as WHO.
show() {
    local who=$1
    shift
    printf '%s%s$ %s%s\n' "$CYAN" "$who" "$(quoted "$@")" "$RESET"
    if [ "$who" = root ]; then "$@"; else sg_as_staff "$who" "$@"; fi 2>&1 | sed 's/^/    /'
    return "${PIPESTATUS[0]}"
}

if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    t0=$SECONDS
    rc=0
    sg_run_private_untouched "$@" || rc=$?
    heading "Afterwards"
    if [ "$SG_HOST_CHANGED" != 0 ]; then
        say "The host changed (above), which must never happen."
        exit 1
    fi
    say "The sandbox is gone. /etc/passwd, /etc/group, /etc/pam.d, /etc/ssh and /var/lib/supportgrant of this machine are exactly as before. ($((SECONDS - t0)) s)"
    exit "$rc"
fi

sg_private_host /etc /usr /var

heading "A private host"
say "This demo runs in a sandbox: mount and pid namespaces with overlays over /etc, /usr and /var. In it, 'make install' put supportgrant in place, useradd made the customer's accounts (alice, bob) and the vendor's staff (jdoe and kim in department support, mdev in development), supportgrantd runs on /run/supportgrant/socket, and the real sshd listens on 127.0.0.1 wired up as the README says."
sg_host_setup "$B"
say "sshd listens on port $SG_SSH_PORT. The host was wired with the README's block (the pam-auth-update profile, the sshd drop-in, the sshd auth line), and supportgrant doctor said so. The staff part:"
sed -n '/^Match Group/,$p' /etc/ssh/sshd_config.d/supportgrant.conf | sed 's/^/    /'
grep -H pam_supportgrant /etc/pam.d/sshd /etc/pam.d/common-account /etc/pam.d/common-session | sed 's/^/    /'

SSH_SHOWN="ssh -p $SG_SSH_PORT"
# staff_login USER REASON CMD: an ssh login of a staff member, the reason typed at the prompt.
staff_login() {
    local u=$1 reason=$2 cmd=$3 rc=0
    printf '%s%s$ %s %s@localhost %s%s\n' "$CYAN" "$u" "$SSH_SHOWN" "$u" "$(quoted "$cmd")" "$RESET"
    sg_ssh -a "$reason" "$u" -- "$cmd" >"$SG_WORK/out" 2>&1 </dev/null || rc=$?
    if [ -s "$SG_LAST_PROMPTS" ]; then
        printf '    (jdoe@localhost) %s%s\n' "$(head -n 1 "$SG_LAST_PROMPTS" | sed 's/^([^)]*) //')" "$reason" |
            sed "s/(jdoe@/($u@/"
    fi
    tr -d '\r' <"$SG_WORK/out" | grep -v -e '^$' -e '^Connection to .* closed\.$' | sed 's/^/    /' || true
    [ "$rc" = 0 ] || printf '    %s[ssh exit status %s]%s\n' "$DIM" "$rc" "$RESET"
    return 0
}

heading "1. Without activation, staff cannot log in"
say "jdoe from the vendor's support team tries to log in. His key is accepted, but the customer has not activated support access:"
staff_login jdoe "" "hostname"
say "The refusal is recorded too (see step 5)."

heading "2. The customer activates access for one hour"
show alice supportgrant grant jdoe --note "ticket 4711: backup fails"
show alice supportgrant list
say "bob is a customer account too, but root took his right to activate away; staff can never grant themselves:"
show bob supportgrant grant jdoe || true
show jdoe supportgrant grant jdoe || true

heading "3. Now jdoe logs in, and is asked why"
staff_login jdoe "Ticket 4711: the nightly backup fails, checking cron" 'supportgrant status; id -un'

heading "4. Access by activation code"
say "mdev (development) is not covered. He makes a code on his own machine, no daemon needed, and mails it to the customer:"
show mdev supportgrant request --period 2h --note "database migration"
CODE=$(sg_as_staff mdev supportgrant request --period 2h --note "database migration" | grep -o 'SG1-[A-Za-z0-9-]*' | head -n 1)
say "(A fresh code for the next step, as the first one is on the screen.) The customer redeems it:"
show alice supportgrant activate "$CODE" --yes
staff_login mdev "Migrating the customer database to v12" 'id -un'

heading "5. The customer sees every login and its reason"
show alice supportgrant logins
say "The same, with the exact time, in the systemd journal:"
sg_journal_sync
show root journalctl --directory /run/log/journal --no-pager -o short-iso _UID=0 SYSLOG_IDENTIFIER=supportgrant
say "Each entry carries structured fields for tools:"
printf '%sroot$ journalctl --directory /run/log/journal -o verbose _UID=0 SUPPORTGRANT_EVENT=login-accepted SUPPORTGRANT_USER=jdoe | grep SUPPORTGRANT_%s\n' "$CYAN" "$RESET"
journalctl --directory /run/log/journal --no-pager -o verbose _UID=0 SUPPORTGRANT_EVENT=login-accepted SUPPORTGRANT_USER=jdoe |
    grep '^ *SUPPORTGRANT_' | sed 's/^ */    /'

heading "6. Revoking access ends a live session"
say "jdoe is logged in and working (a long-running command, and a job that ignores SIGTERM and SIGHUP):"
printf '%sjdoe$ %s jdoe@localhost %s &%s\n' "$CYAN" "$SSH_SHOWN" "'nohup sleep 3601 & sleep 3600'" "$RESET"
LIVE=$SG_WORK/live
mkdir -p "$LIVE"
(
    rc=0
    sg_ssh -a "Ticket 4711: watching the backup run" jdoe -- \
        '(trap "" TERM HUP; exec sleep 3601) >/dev/null 2>&1 </dev/null & echo "working..."; exec sleep 3600' \
        >"$LIVE/out" 2>&1 </dev/null || rc=$?
    echo "$rc" >"$LIVE/rc"
) &
sg_wait_for 15 grep -q working "$LIVE/out" || sg_die "jdoe's session did not start"
tr -d '\r' <"$LIVE/out" | sed 's/^/    /'
show root pgrep -a -u jdoe
show alice supportgrant status
t0=$(date +%s%N)
show alice supportgrant revoke --user jdoe
sg_wait_for 10 test -e "$LIVE/rc" || sg_die "jdoe's session was not cut"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
say "jdoe's ssh ended $ms ms after the revocation was asked for (exit status $(cat "$LIVE/rc")); it printed:"
tr -d '\r' <"$LIVE/out" | sed -n '2,$p' | sed 's/^/    /'
sg_wait_for 3 sh -c '! pgrep -u jdoe >/dev/null' || true
show root pgrep -a -u jdoe || say "    (no process of jdoe is left, not even the job that ignored SIGTERM)"
show alice supportgrant logins --user jdoe --limit 1
sg_journal_sync
show root journalctl --directory /run/log/journal --no-pager -o short-iso _UID=0 SUPPORTGRANT_EVENT=session-terminated

heading "That is supportgrant"
say "Staff get in only while the customer says so, every login says why, the customer sees it all, and when access ends the sessions end."
sg_sshd_stop
sg_daemon_stop
