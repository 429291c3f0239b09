#!/bin/bash
# supportgrant (the CLI) and supportgrantd (the daemon) together, on a real socket with a real
# SQLite database, called by real users of different kinds (useradd in the private host):
#   root; alice, a customer (UID in the login.defs range, holds the right by default); bob, a
#   customer whose right root takes away and gives back; jdoe and mdev, staff (onoffice-staff,
#   departments onoffice-support / onoffice-development); svc, a service account below UID_MIN.
# Also: a grant made with the CLI honoured by the PAM module in a real PAM stack (pamtester),
# activation codes end to end, hostile clients, and that the CLI never opens the database.
#   tests/daemon/run.sh BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"

B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
sg_require_root "the daemon tests"

if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    sg_run_private "$@"
    exit $?
fi

for tool in jq python3 pamtester setpriv; do
    command -v "$tool" >/dev/null || sg_die "$tool is missing (make deps installs it)"
done

sg_private_host /etc /var

# A zone with an offset, so that local time, UTC and "today" (midnight local) differ.
ln -sf /usr/share/zoneinfo/Europe/Berlin /etc/localtime
echo Europe/Berlin >/etc/timezone
unset TZ
export LC_ALL=C

groupadd onoffice-staff
groupadd onoffice-support
groupadd onoffice-development
useradd -m alice
useradd -m bob
useradd -m -G onoffice-staff,onoffice-support jdoe
useradd -m -G onoffice-staff,onoffice-development mdev
useradd -r -M -s /usr/sbin/nologin svc

T=$SG_WORK/daemon
mkdir -p "$T/lib" "$T/run" "$T/out"
chmod 0755 "$T" "$T/run" "$T/out"
chmod 0700 "$T/lib" # as in SPEC §3: root's, nobody else may even look inside
SOCK=$T/run/socket
DB=$T/lib/supportgrant.db
CONF=/etc/security/supportgrant.conf
mkdir -p /etc/security
# The installed configuration path: the CLI finds the socket there without options, as on a
# real host.
write_conf() {
    printf 'database = %s\nsocket = %s\n%s' "$DB" "$SOCK" "${1:-}" >"$CONF"
    chmod 0644 "$CONF"
}
write_conf

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SG=$B/supportgrant

DAEMON=
start_daemon() {
    "$B/supportgrantd" --socket "$SOCK" --foreground --conf "$CONF" 2>>"$T/daemon.log" &
    DAEMON=$!
    sg_wait_for 10 test -S "$SOCK" || { cat "$T/daemon.log"; sg_die "supportgrantd did not start"; }
}
stop_daemon() {
    [ -n "$DAEMON" ] || return 0
    kill "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
    DAEMON=
}
trap stop_daemon EXIT
start_daemon

# ---- how the tests talk ------------------------------------------------------------------

n=0 nfail=0
OUT='' ERR='' RC=0 WHO='' CMD=''

# as USER ARGS...: the CLI as USER (a real uid, its groups, no terminal); sets OUT, ERR, RC.
as() {
    WHO=$1
    shift
    CMD="supportgrant $*"
    set +e
    if [ "$WHO" = root ]; then
        "$SG" "$@" >"$T/stdout" 2>"$T/stderr" </dev/null
    else
        setpriv --reuid="$WHO" --regid="$(id -gn "$WHO")" --init-groups -- \
            env HOME=/ "$SG" "$@" >"$T/stdout" 2>"$T/stderr" </dev/null
    fi
    RC=$?
    set -e
    OUT=$(cat "$T/stdout")
    ERR=$(cat "$T/stderr")
    if grep -q 'AddressSanitizer\|runtime error\|LeakSanitizer' "$T/stderr"; then
        fail "sanitizer report from '$CMD' as $WHO"
    fi
}

fail() {
    nfail=$((nfail + 1))
    n=$((n + 1))
    echo "not ok $n - $1"
    echo "  ($WHO) $CMD -> exit $RC"
    echo "  stdout: ${OUT//$'\n'/$'\n'          }"
    echo "  stderr: ${ERR//$'\n'/$'\n'          }"
}
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
# t DESC CONDITION: CONDITION is shell code (single-quoted by the caller), evaluated here so
# that it sees OUT, ERR and RC of the last call.
t() {
    local desc=$1
    shift
    if eval "$*"; then ok "$desc"; else fail "$desc"; fi
}

# j FILTER: jq on the last stdout, raw output.
j() { jq -r "$@" <<<"$OUT"; }

# epoch RFC3339: seconds since the epoch.
epoch() { date -d "$1" +%s; }

# ---- the tests ----------------------------------------------------------------------------

# Local time as the CLI prints it: "2026-11-25 21:06 CET".
local_time() { date -d "@$1" '+%Y-%m-%d %H:%M %Z'; }

# expected_expiry PERIOD GRANTED_EPOCH: the expiry SPEC §2 asks for, computed by date(1) in the
# host's zone. Days, weeks and months are calendar steps in local time (DST-correct); a month
# keeps the day of month, clamped to the last day of a shorter month.
expected_expiry() {
    local p=$1 g=$2 day clock y m d ny nm last
    day=$(date -d "@$g" +%F)
    clock=$(date -d "@$g" +%T)
    case $p in
    1h) echo $((g + 3600)) ;;
    2h) echo $((g + 7200)) ;;
    4h) echo $((g + 14400)) ;;
    today) date -d "$(date -d "$day + 1 day" +%F) 00:00:00" +%s ;;
    1w) date -d "$(date -d "$day + 7 days" +%F) $clock" +%s ;;
    2w) date -d "$(date -d "$day + 14 days" +%F) $clock" +%s ;;
    1m)
        read -r y m d < <(date -d "@$g" '+%Y %-m %-d')
        ny=$y nm=$((m + 1))
        [ "$nm" = 13 ] && { nm=1; ny=$((y + 1)); }
        last=$(date -d "$(printf '%04d-%02d-01' "$ny" "$nm") + 1 month - 1 day" +%-d)
        [ "$d" -gt "$last" ] && d=$last
        date -d "$(printf '%04d-%02d-%02d' "$ny" "$nm" "$d") $clock" +%s
        ;;
    esac
}

# ---- grant: every period, human and JSON ---------------------------------------------------

for p in 1h 2h 4h today 1w 2w 1m permanent; do
    before=$(date +%s)
    as alice grant jdoe --period "$p" --json
    after=$(date +%s)
    t "grant --period $p --json: exit 0, one object" '[[ $RC == 0 ]] && [[ $(j type) == object ]]'
    g=$(epoch "$(j .granted_at)")
    t "grant --period $p: granted_at is now, in UTC" \
        '[[ $(j .granted_at) == *Z ]] && (( g >= before && g <= after ))'
    t "grant --period $p: kind, target, period, granted_by, via, state" \
        '[[ $(j "[.kind,.target,.period,.granted_by,.via,.state] | join(\" \")") == "user jdoe $p alice cli active" ]]'
    t "grant --period $p: export is off by default, no note, not revoked" \
        '[[ $(j "[.export,.note,.revoked_at,.revoked_by] | map(tostring) | join(\" \")") == "false  null null" ]]'
    if [ "$p" = permanent ]; then
        t "grant --period permanent: expires_at is null" '[[ $(j .expires_at) == null ]]'
    else
        want=$(expected_expiry "$p" "$g")
        t "grant --period $p: expires_at $(date -u -d "@$want" +%FT%TZ) (date(1) in $(date +%Z))" \
            '[[ $(j .expires_at) == "$(date -u -d "@$want" +%FT%TZ)" ]]'
    fi
done
# The same periods in the list, newest first: ids 8..1.
as alice list --json
t "list --json: the eight grants, newest first" '[[ $(j "map(.id) | join(\",\")") == 8,7,6,5,4,3,2,1 ]]'
t "list --json: the periods as granted" \
    '[[ $(j "map(.period) | join(\",\")") == permanent,1m,2w,1w,today,4h,2h,1h ]]'

# Human output: the sentence a customer reads, local time with zone and relative expiry.
as alice grant jdoe --period 2h --export --note "ticket 4711"
id_2h=9
exp=$(( $(date +%s) + 7200 ))
t "grant (human): says for whom, the grant id, until when in local time, export allowed" \
    '[[ $RC == 0 && $OUT == "Support access activated for jdoe (grant 9) until "* ]] &&
     { [[ $OUT == *"$(local_time "$exp") (in 2h)"* ]] || [[ $OUT == *"$(local_time $((exp - 1))) (in 1h 59min"* ]]; } &&
     [[ $OUT == *"data export: allowed." ]] && [[ -z $ERR ]]'
as alice grant --department support --period today
t "grant --department (human): names the department and midnight tonight" \
    '[[ $RC == 0 && $OUT == "Support access activated for department support (grant 10) until $(date -d "$(date -d "+1 day" +%F) 00:00" "+%Y-%m-%d %H:%M %Z") ("* ]] &&
     [[ $OUT == *"data export: not allowed." ]]'
as alice grant jdoe --period permanent --utc
t "grant --period permanent (human): says permanently" \
    '[[ $RC == 0 && $OUT == "Support access activated for jdoe (grant 11) permanently, data export: not allowed." ]]'

as alice list
t "list (human): a header and a row per active grant" \
    '[[ $RC == 0 && $(head -1 <<<"$OUT") == "ID  "*TARGET*EXPORT*GRANTED*EXPIRES*BY*VIA*NOTE ]] &&
     [[ $(wc -l <<<"$OUT") == 12 ]]'
row=$(grep '^9 ' <<<"$OUT" || true)
t "list (human): grant 9 shows export yes, its expiry in local time, by alice via cli, the note" \
    '[[ $row == *" jdoe "*" yes "*"$(local_time "$exp")"*" alice "*" cli "*"ticket 4711" ]] ||
     [[ $row == *" jdoe "*" yes "*"$(local_time $((exp - 1)))"*" alice "*" cli "*"ticket 4711" ]]'
row=$(grep '^10 ' <<<"$OUT" || true)
t "list (human): a department grant shows as dept:NAME" '[[ $row == "10  "*"dept:support "* ]]'
as alice list --utc
t "list --utc: times in UTC" '[[ $RC == 0 && $OUT == *" UTC "* && $OUT != *" CET "* ]]'

# ---- usage errors and failures of grant -----------------------------------------------------

as alice grant jdoe --period 3h
t "grant --period 3h: usage error (exit 2) listing the periods" \
    '[[ $RC == 2 && $ERR == *"unknown period '"'"'3h'"'"'"*"1h, 2h, 4h, today, 1w, 2w, 1m or permanent"* && -z $OUT ]]'
as alice grant
t "grant without a target: exit 2" '[[ $RC == 2 && $ERR == *"for whom?"* ]]'
as alice grant jdoe --department support
t "grant USER --department: exit 2" '[[ $RC == 2 ]]'
as alice grant alice
t "grant to a non-staff user: exit 1, says not a staff account" \
    '[[ $RC == 1 && $ERR == *"alice is not a staff account (not a member of group onoffice-staff)"* ]]'
as alice grant nosuchuser
t "grant to an unknown user: exit 1" '[[ $RC == 1 && $ERR == *"there is no user nosuchuser"* ]]'
as alice grant --department nosuch
t "grant to an unknown department: exit 1, names the group" \
    '[[ $RC == 1 && $ERR == *"no group onoffice-nosuch"* ]]'
as alice grant --department staff
t "the staff group itself is not a department" '[[ $RC == 1 ]]'
as alice --socket "$T/run/nothing-here" list
t "no daemon at the socket: exit 69, says what to check" \
    '[[ $RC == 69 && $ERR == *"cannot reach supportgrantd at $T/run/nothing-here"* ]]'
as alice --conf "$T/no-such.conf" list
t "a --conf that does not exist: exit 1" '[[ $RC == 1 && $ERR == *no-such.conf* ]]'

# ---- who may do what: rights, a service account, staff ---------------------------------------

as root rights list --json
t "rights list (root): alice holds the right by default" \
    '[[ $(j ".[] | select(.user==\"alice\") | \"\(.holds) \(.source) \(.uid)\"") == "true default $(id -u alice)" ]]'
t "rights list: root holds it always, staff never" \
    '[[ $(j ".[] | select(.user==\"root\") | \"\(.holds) \(.source)\"") == "true root" ]] &&
     [[ $(j ".[] | select(.user==\"jdoe\") | \"\(.holds) \(.source)\"") == "false staff" ]]'
as root rights revoke bob
t "rights revoke bob (root): exit 0, says bob may not" \
    '[[ $RC == 0 && $OUT == "bob may not activate support access (source: revoked)." ]]'
as bob grant jdoe
t "bob without the right: grant exits 77 naming the missing right and the fix" \
    '[[ $RC == 77 && $ERR == *"bob lacks the right to activate support access"* && $ERR == *"supportgrant rights restore bob"* && -z $OUT ]]'
as bob list
t "bob without the right: list exits 77 too" '[[ $RC == 77 && $ERR == *"lacks the right to activate"* ]]'
as bob status
t "bob without the right: status says so and who can fix it (exit 0)" \
    '[[ $RC == 0 && $OUT == "You may not activate support access (ask root: supportgrant rights restore bob)." ]]'
as root rights list --json
t "rights list: bob revoked, changed by root, with a time" \
    '[[ $(j ".[] | select(.user==\"bob\") | \"\(.holds) \(.source) \(.changed_by)\"") == "false revoked root" ]] &&
     [[ $(j ".[] | select(.user==\"bob\") | .changed_at") == 20*Z ]]'
as alice rights restore bob
t "rights restore by a customer: exit 77, only root" \
    '[[ $RC == 77 && $ERR == *"only root may change who holds the right"* ]]'
as root rights restore bob
t "rights restore bob (root): exit 0" '[[ $RC == 0 && $OUT == "bob may activate support access (source: granted)." ]]'
as bob grant jdoe --note "from bob" --json
t "bob with the right given back: grant works, granted_by bob" \
    '[[ $RC == 0 && $(j .granted_by) == bob && $(j .note) == "from bob" ]]'
bob_grant=$(j .id)
as root rights list
t "rights list (human): a table with bob granted by root" \
    '[[ $RC == 0 && $(head -1 <<<"$OUT") == USER*UID*HOLDS*SOURCE*CHANGED ]] &&
     [[ $(grep "^bob " <<<"$OUT") == *" yes "*" granted "*" by root" ]]'
as root rights restore jdoe
t "rights restore for a staff account: refused (exit 1)" \
    '[[ $RC == 1 && $ERR == *"staff accounts never hold the right"* ]]'
as root rights revoke nosuchuser
t "rights revoke of an unknown user: exit 1" '[[ $RC == 1 && $ERR == *"no user nosuchuser"* ]]'
as root rights frobnicate bob
t "rights with an unknown action: exit 2" '[[ $RC == 2 ]]'

# The service account: UID below UID_MIN of login.defs, no right by default.
t "svc is a service account (uid $(id -u svc) < UID_MIN)" '(( $(id -u svc) < 1000 ))'
as svc grant jdoe
t "service account: grant exits 77 naming the right" \
    '[[ $RC == 77 && $ERR == *"svc lacks the right to activate support access"* ]]'
as svc status --json
t "service account: status --json says may_activate false, no numbers" \
    '[[ $RC == 0 && $(j "[.user,.staff,.may_activate,.active_grants] | map(tostring) | join(\" \")") == "svc false false null" ]]'
as svc history
t "service account: history exits 77" '[[ $RC == 77 ]]'
as root rights restore svc
as svc list --json
t "service account after rights restore: list works" '[[ $RC == 0 && $(j type) == array ]]'
as root rights revoke svc

as alice status
t "customer status: may activate, with the numbers" \
    '[[ $RC == 0 && $(head -1 <<<"$OUT") == "You may activate support access." && $OUT == *"Active grants: "*", open staff sessions: 0" ]]'
as alice status --json
t "customer status --json: may_activate true, staff false, counts" \
    '[[ $(j "[.user,.staff,.may_activate] | map(tostring) | join(\" \")") == "alice false true" ]] &&
     [[ $(j .active_grants) =~ ^[0-9]+$ && $(j .open_sessions) == 0 ]]'
as root status --json
t "root status: may activate" '[[ $RC == 0 && $(j .may_activate) == true && $(j .user) == root ]]'

# Staff: only their own status.
as jdoe grant jdoe
t "staff: grant (even for themselves) exits 77, says staff may only ask for status" \
    '[[ $RC == 77 && $ERR == *"jdoe is a staff account: staff accounts may only ask for their own status"* ]]'
for cmd in list history logins "revoke --all" rights; do
    as jdoe $cmd
    t "staff: $cmd exits 77" '[[ $RC == 77 && -z $OUT ]]'
done

# ---- staff status ----------------------------------------------------------------------------

as mdev status
t "staff without a grant: status says no access (exit 0)" \
    '[[ $RC == 0 && $OUT == "You have no support access on this host." ]]'
as mdev status --json
t "staff without a grant: status --json covered false, no expiry, export false" \
    '[[ $(j "[.user,.staff,.covered,.expires_at,.export,(.grant_ids|length),.may_activate] | map(tostring) | join(\" \")") == "mdev true false null false 0 false" ]]'
as alice grant mdev --period 4h --json
mdev_grant=$(j .id)
mdev_exp=$(epoch "$(j .expires_at)")
as mdev status
t "staff with a 4h grant: your support access runs until ... (export: no)" \
    '[[ $RC == 0 && $OUT == "Your support access runs until $(local_time "$mdev_exp") (in "*") (export: no)." ]]'
as alice grant --department development --period 1h --export --json
dev_grant=$(j .id)
as mdev status --json
t "staff covered by user and department grant: both ids, the later expiry, export from the department" \
    '[[ $(j "[.covered,.expires_at,.export] | map(tostring) | join(\" \")") == "true $(date -u -d "@$mdev_exp" +%FT%TZ) true" ]] &&
     [[ $(j ".grant_ids | sort | map(tostring) | join(\",\")") == "$mdev_grant,$dev_grant" || $(j ".grant_ids | sort | map(tostring) | join(\",\")") == "$dev_grant,$mdev_grant" ]]'
as mdev status
t "staff status (human): export yes while the department grant runs" '[[ $OUT == *"(export: yes)." ]]'

# ---- revoke ----------------------------------------------------------------------------------

as alice revoke --department development --json
t "revoke --department --json: the department grant, revoked by alice just now" \
    '[[ $RC == 0 && $(j "length") == 1 && $(j ".[0] | [.id,.kind,.target,.state,.revoked_by] | map(tostring) | join(\" \")") == "$dev_grant department development revoked alice" ]] &&
     (( $(date +%s) - $(epoch "$(j ".[0].revoked_at")") <= 5 ))'
as mdev status
t "staff status after the department was revoked: export no again" \
    '[[ $OUT == "Your support access runs until $(local_time "$mdev_exp") (in "*") (export: no)." ]]'
as alice revoke "$mdev_grant" 99999
t "revoke of an active and an unknown id: exit 1, names the unknown id" \
    '[[ $RC == 1 && $ERR == *"there is no grant 99999"* ]]'
as alice revoke "$mdev_grant" "$dev_grant"
t "revoke of an active and a revoked id: exit 1, nothing revoked" \
    '[[ $RC == 1 && $ERR == *"grant $dev_grant is not active (it is revoked); nothing was revoked"* ]]'
as mdev status --json
t "...and the active grant is still active" '[[ $(j .covered) == true ]]'
as alice revoke "$mdev_grant"
t "revoke ID (human): says which grant, for whom, until when it was valid" \
    '[[ $RC == 0 && $OUT == "Revoked grant $mdev_grant for mdev (was valid until $(local_time "$mdev_exp"), data export: not allowed)." ]]'
as mdev status
t "staff status after revocation: no access" '[[ $OUT == "You have no support access on this host." ]]'
as alice revoke --user mdev
t "revoke --user with nothing active: exit 0, says nothing matched" \
    '[[ $RC == 0 && $OUT == "No active grants matched." ]]'
as alice revoke abc
t "revoke abc: exit 2, IDs are numbers" '[[ $RC == 2 && $ERR == *"is not a grant ID"* ]]'
as alice revoke
t "revoke without a selector: exit 2" '[[ $RC == 2 && $ERR == *"exactly one of"* ]]'
as alice revoke 1 --all
t "revoke ID --all: exit 2" '[[ $RC == 2 ]]'
as jdoe status
t "staff with a permanent grant: status says permanent" \
    '[[ $RC == 0 && $OUT == "Your support access is permanent (export: yes)." ]]'

# ---- the PAM module honours what the CLI did ---------------------------------------------------

# A real PAM stack (Linux-PAM reads /etc/pam.d, an overlay here) run by pamtester, the module
# pointed at the same configuration as the daemon and the CLI.
cat >/etc/pam.d/sgtest <<EOP
auth     required pam_permit.so
account  required $B/pam_supportgrant.so conf=$CONF
session  required $B/pam_supportgrant.so conf=$CONF
EOP
PAM_PRELOAD=
if ldd "$B/pam_supportgrant.so" | grep -q libasan; then
    # A sanitized module needs its runtime loaded first in a host program that has none.
    PAM_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
fi
REASON="Customer ticket 4711: invoices do not print"
# pam_login USER RHOST: account check, session open and close; sets OUT and RC.
pam_login() {
    WHO=pamtester CMD="pamtester sgtest $1 acct_mgmt open_session close_session"
    set +e
    OUT=$(printf '%s\n' "$REASON" | ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$PAM_PRELOAD" \
        pamtester -v -I rhost="$2" sgtest "$1" acct_mgmt open_session close_session 2>&1)
    RC=$?
    set -e
    ERR=
}

pam_login mdev 192.0.2.7
t "PAM: staff without a grant is denied and told what the customer runs" \
    '[[ $RC != 0 && $OUT == *"Support access for mdev is not activated on this host."* && $OUT == *"supportgrant grant mdev"* ]]'
as alice grant mdev --period 2h --json
pam_grant=$(j .id)
pam_exp=$(epoch "$(j .expires_at)")
t_login0=$(date +%s)
pam_login mdev 192.0.2.8
t "PAM: after 'supportgrant grant mdev' the login is accepted, asking for a reason" \
    '[[ $RC == 0 && $OUT == *"Reason for this login: "* && $OUT == *"successfully opened a session"* ]]'
t "PAM: the session is told until when and that export is not allowed" \
    '[[ $OUT == *"Support access for mdev runs until $(local_time "$pam_exp") (in "*"); data export: not allowed."* ]]'
as alice logins --json --user mdev
t "logins --json: the accepted login with its reason, service, rhost, grant and end" \
    '[[ $RC == 0 && $(j length) == 2 ]] &&
     [[ $(j ".[0] | [.user,.outcome,.reason,.service,.rhost,(.grant_ids|map(tostring)|join(\",\")),.end] | join(\"|\")") == "mdev|accepted|$REASON|sgtest|192.0.2.8|$pam_grant|closed" ]]'
t "logins --json: time and ended_at are now, in RFC 3339 UTC" \
    '(( $(epoch "$(j ".[0].time")") >= t_login0 - 1 && $(epoch "$(j ".[0].ended_at")") <= $(date +%s) )) && [[ $(j ".[0].time") == *Z ]]'
t "logins --json: the earlier attempt is there as denied, no grants, no end" \
    '[[ $(j ".[1] | [.user,.outcome,.rhost,(.grant_ids|length),.end,.ended_at] | map(tostring) | join(\"|\")") == "mdev|denied|192.0.2.7|0|null|null" ]]'
t "logins --json: the fields of SPEC §6" \
    '[[ $(j ".[0] | keys_unsorted | join(\",\")") == id,user,time,outcome,reason,service,rhost,grant_ids,ended_at,end* ]]'
login_id=$(j ".[0].id")
as alice logins
row=$(grep " accepted " <<<"$OUT" || true)
t "logins (human): a row with the time, user, from where, grant, ended closed and the reason" \
    '[[ $(head -1 <<<"$OUT") == TIME*USER*OUTCOME*FROM*SERVICE*GRANTS*ENDED*REASON ]] &&
     [[ $row == *" CET  mdev "*" accepted "*" 192.0.2.8 "*" sgtest "*" $pam_grant "*" closed "*"$REASON" ]]'
as alice revoke --user mdev
pam_login mdev 192.0.2.9
t "PAM: after 'supportgrant revoke --user mdev' the login is denied again" '[[ $RC != 0 && $OUT == *"not activated"* ]]'
n_journal=$(sg_journal SUPPORTGRANT_EVENT=login-accepted SUPPORTGRANT_USER=mdev | jq -s 'length')
t "journal: one login-accepted entry for mdev" '[[ $n_journal == 1 ]]'
