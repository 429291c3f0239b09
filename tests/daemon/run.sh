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
# The tools the test users run must be the system's (a root-only ~/.pyenv shim would not do).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

groupadd onoffice-staff
groupadd onoffice-support
groupadd onoffice-development
useradd -m alice
useradd -m bob
useradd -m -G onoffice-staff,onoffice-support jdoe
useradd -m -G onoffice-staff,onoffice-development mdev
useradd -r -M -s /usr/sbin/nologin svc
# A user directory after the local files (tests/nss/nss_sgdir.c) that ignores case, as nslcd or
# sssd with case_sensitive = false do: carol lives only there; jdoe and the support department
# are known there too, so that "JDoe" and "Support" find them (SPEC §2 "names").
mkdir -p /run/sgdir
printf 'carol:*:7301:7301:Customer in the directory:/:/bin/sh\n%s\n' "$(getent passwd jdoe)" >/run/sgdir/passwd
printf 'dir-users:x:7301:\n%s\n' "$(getent group onoffice-support)" >/run/sgdir/group
chmod 0644 /run/sgdir/*
sed -i -e 's/^\(passwd\|group\):.*/& sgdir/' /etc/nsswitch.conf
NSS_LIB=$(sg_user_copy "$B/tests/nss/libnss_sgdir.so.2")
export LD_LIBRARY_PATH=${NSS_LIB%/*}
[[ $(id -un Carol 2>/dev/null) == carol && $(id -un JDoe 2>/dev/null) == jdoe ]] ||
    sg_die "the directory stand-in (libnss_sgdir) does not answer"

T=$SG_WORK/daemon
mkdir -p "$T/lib" "$T/run" "$T/out"
chmod 0755 "$T" "$T/run"
chmod 1777 "$T/out" # scratch for the test users
chmod 0700 "$T/lib" # as in SPEC §3: root's, nobody else may even look inside
SOCK=$T/run/socket
DB=$T/lib/supportgrant.db
CONF=/etc/security/supportgrant.conf
mkdir -p /etc/security
# The installed configuration path: the CLI finds the socket there without options, as on a
# real host.
# terminate_sessions = no: this suite runs the CLI as staff accounts without a grant, whose
# processes the daemon would otherwise end at any sweep (tests/README.md); ending sessions is
# the e2e suite's subject.
write_conf() {
    printf 'database = %s\nsocket = %s\nterminate_sessions = no\n%s' "$DB" "$SOCK" "${1:-}" >"$CONF"
    chmod 0644 "$CONF"
}
write_conf

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SG=$(sg_user_copy "$B/supportgrant") # the test users cannot reach a checkout under /root
SG_DAEMON_COPY=$(sg_user_copy "$B/supportgrantd")

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
exp=$(( $(date +%s) + 7200 )) jdoe_export_exp=$exp
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
t "the staff group itself is not a department: exit 1, saying so (not 'no group')" \
    '[[ $RC == 1 && $ERR == *"staff is the staff group (onoffice-staff), not a department"* && $ERR != *"no group"* ]]'
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

# A uid without a passwd entry holds nothing, and is not told to ask for "rights restore".
as_uid() { # as_uid UID ARGS...
    WHO="uid $1" CMD="supportgrant ${*:2}"
    set +e
    setpriv --reuid="$1" --regid="$1" --clear-groups -- "$SG" "${@:2}" >"$T/stdout" 2>"$T/stderr" </dev/null
    RC=$?
    set -e
    OUT=$(cat "$T/stdout")
    ERR=$(cat "$T/stderr")
}
as_uid 54321 grant jdoe
t "a uid unknown to NSS: grant exits 77, says it has no user name" \
    '[[ $RC == 77 && $ERR == "supportgrant: uid 54321 has no user name on this host, and only known users may activate support access" ]]'
as_uid 54321 status
t "a uid unknown to NSS: status says it may not activate, without a command that cannot work" \
    '[[ $RC == 0 && $OUT == "You may not activate support access (your uid has no user name on this host)." ]]'
# The gate trusts the daemon's view of the caller: when the daemon cannot name it (here the
# gate's own NSS, through nss_wrapper, knows a "ghost" the daemon's does not), a download is
# refused rather than waved through as "not staff".
printf 'ghost:x:54321:54321::/:/bin/sh\n' >"$T/ghost.passwd"
printf 'ghost:x:54321:\n' >"$T/ghost.group"
WHO="uid 54321 (ghost)" CMD="supportgrant gate (scp -f)"
set +e
setpriv --reuid=54321 --regid=54321 --clear-groups -- env LD_PRELOAD=libnss_wrapper.so \
    NSS_WRAPPER_PASSWD="$T/ghost.passwd" NSS_WRAPPER_GROUP="$T/ghost.group" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
    SSH_ORIGINAL_COMMAND="scp -f /etc/hostname" "$SG" gate >"$T/stdout" 2>"$T/stderr" </dev/null
RC=$?
set -e
OUT=$(cat "$T/stdout") ERR=$(cat "$T/stderr")
t "gate: a caller the daemon cannot name gets no export (scp -f refused)" \
    '[[ $RC == 1 && $ERR == *"data export is not allowed for ghost"* && -z $OUT ]]'
as root rights revoke svc --json
t "rights revoke --json: the user's right as it now stands" \
    '[[ $RC == 0 && $(j "[.user,.uid,.holds,.source,.changed_by] | map(tostring) | join(\" \")") == "svc $(id -u svc) false revoked root" ]]'

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
as mdev status --json
dev_exp=$(epoch "$(j .export_until)")
t "staff status --json: export_until is the department grant's end, before the access ends" \
    '(( dev_exp > $(date +%s) && dev_exp < mdev_exp ))'
as mdev status
t "staff status (human): export yes, but only until the department grant ends" \
    '[[ $OUT == *"(export: yes until $(local_time "$dev_exp"))." ]]'

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
as alice grant mdev --period 1h
as alice grant --department development --period 2h --json
dev2=$(j .id)
as alice revoke --user mdev
t "revoke --user while a department grant still covers him: says so, and how to end that too" \
    '[[ $RC == 0 && $OUT == "Revoked grant "*" for mdev "* &&
       $OUT == *"Note: mdev is still covered by grant $dev2 for department development (until "*"). To end that too: supportgrant revoke --department development" ]]'
as alice revoke --department development
as alice revoke --user mdev
t "revoke --user with nothing left covering him: no note" \
    '[[ $RC == 0 && $OUT == "No active grants matched." ]]'
as jdoe status
t "staff with a permanent grant and a 2h one with export: permanent, export until the 2h end" \
    '[[ $RC == 0 && ( $OUT == "Your support access is permanent (export: yes until $(local_time "$jdoe_export_exp"))." ||
        $OUT == "Your support access is permanent (export: yes until $(local_time $((jdoe_export_exp - 1))))." ) ]]'

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
    OUT=$(printf '%s\n' "$REASON" | ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 LD_PRELOAD="$PAM_PRELOAD" \
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

# ---- history and logins: the default window and the filters ----------------------------------

# Records from the past, as months of use would leave them: one 7 months old (outside the
# default 6-month retention window), one 5 months old (inside). Written straight into the
# database by the test (as root); the daemon prunes only at start and every 6 hours.
now=$(date +%s)
old7=$(date -d '7 months ago' +%s)
old5=$(date -d '5 months ago' +%s)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA busy_timeout = 5000;
INSERT INTO grants (id, kind, target, export, period, granted_at, expires_at, granted_by, via, note)
  VALUES (1001, 'user', 'jdoe', 0, '1h', $old7, $old7 + 3600, 'alice', 'cli', 'seven months'),
         (1002, 'department', 'support', 1, '2h', $old5, $old5 + 7200, 'bob', 'code', 'five months');
INSERT INTO logins (id, user, time, outcome, reason, service, rhost, grant_ids, ended_at, end_kind)
  VALUES (2001, 'jdoe', $old7 + 60, 'accepted', 'old login seven', 'sshd', '198.51.100.1', '1001', $old7 + 600, 'closed'),
         (2002, 'jdoe', $old5 + 60, 'accepted', 'old login five', 'sshd', '198.51.100.2', '1002', $old5 + 600, 'terminated');
SQL

as alice history --json
t "history (default window = retention): the 5-month-old grant, not the 7-month-old one" \
    '[[ $RC == 0 ]] && j "map(.id) | index(1002)" | grep -qv null && [[ $(j "map(.id) | index(1001)") == null ]]'
t "history --json: newest first, the old grant last and expired" \
    '[[ $(j ".[-1] | [.id,.state,.via,.granted_by,.note,.export] | map(tostring) | join(\" \")") == "1002 expired code bob five months true" ]] &&
     [[ $(j "map(.granted_at) | . == (sort | reverse)") == true ]]'
t "history --json: revoked grants carry revoked_at and revoked_by" \
    '[[ $(j ".[] | select(.id == $mdev_grant) | [.state,.revoked_by] | join(\" \")") == "revoked alice" ]]'
as alice history --since "8 months" --json
t "history --since \"8 months\": the 7-month-old grant too" '[[ $RC == 0 && $(j "map(.id) | index(1001)") != null ]]'
as alice history --since "$(date -d '6 days ago' +%F)" --json
t "history --since YYYY-MM-DD (6 days ago): only today's grants" \
    '[[ $RC == 0 && $(j "map(.id) | index(1002)") == null && $(j "map(select(.granted_at < \"$(date -u -d @$((now - 86400)) +%FT%TZ)\")) | length") == 0 && $(j length) -gt 10 ]]'
as alice history --until "$(date -d '1 month ago' '+%F %H:%M')" --json
t "history --until \"YYYY-MM-DD HH:MM\" a month ago: only the 5-month-old grant" \
    '[[ $RC == 0 && $(j "map(.id) | join(\",\")") == 1002 ]]'
as alice history --since "$(date -u -d @$((old7 - 60)) +%FT%TZ)" --until "$(date -u -d @$((old7 + 60)) +%FT%TZ)" --json
t "history --since/--until in RFC 3339: exactly the grant in between" \
    '[[ $RC == 0 && $(j "map(.id) | join(\",\")") == 1001 ]]'
as alice history --since 2w --until 1w
t "history with an empty window (human): says so" \
    '[[ $RC == 0 && $OUT == "No grants were made in this time window." ]]'
as alice history
t "history (human): columns, the department as dept:support, state and who revoked" \
    '[[ $(head -1 <<<"$OUT") == ID*TARGET*EXPORT*PERIOD*GRANTED*EXPIRES*STATE*REVOKED*BY*VIA*NOTE ]] &&
     [[ $(grep "^1002 " <<<"$OUT") == *"dept:support "*" yes "*" 2h "*" expired "*" bob "*" code "*"five months" ]] &&
     [[ $(grep "^$mdev_grant " <<<"$OUT") == *" revoked "*" by alice "* ]]'
as alice history --since 1w --until 2w
t "history --since later than --until: exit 2" '[[ $RC == 2 && $ERR == *"--since must be earlier than --until"* ]]'
as alice history --since yesterdayish
t "history --since nonsense: exit 2, says what WHEN may be" '[[ $RC == 2 && $ERR == *"RFC 3339"* ]]'

as alice logins --json
t "logins (default window): the 5-month-old login, not the 7-month-old one" \
    '[[ $RC == 0 && $(j "map(.id) | index(2002)") != null && $(j "map(.id) | index(2001)") == null ]]'
t "logins --json: a terminated session says so" \
    '[[ $(j ".[] | select(.id == 2002) | [.end,.reason,(.grant_ids|map(tostring)|join(\",\"))] | join(\"|\")") == "terminated|old login five|1002" ]]'
as alice logins --since "8 months" --user jdoe --json
t "logins --since \"8 months\" --user jdoe: both old logins of jdoe, none of mdev" \
    '[[ $RC == 0 && $(j "map(.id) | join(\",\")") == 2002,2001 ]]'
as alice logins --since 1d --json
t "logins --since 1d: only today's (mdev's three attempts)" \
    '[[ $RC == 0 && $(j "map(.user) | unique | join(\",\")") == mdev && $(j length) == 3 ]]'
as alice logins --until 1d --user mdev
t "logins --user mdev --until 1d (human): none, says so" '[[ $RC == 0 && $OUT == "No logins of mdev in this time window." ]]'
as alice logins --user mdev --limit 1 --json
t "logins --limit 1: the newest only" '[[ $RC == 0 && $(j length) == 1 && $(j ".[0].rhost") == 192.0.2.9 ]]'
as alice logins --user 'bad name'
t "logins --user with an invalid name: exit 2" '[[ $RC == 2 ]]'

# Restarted, the daemon prunes what is older than the retention.
stop_daemon
start_daemon
as alice history --since 1y --json
t "after a restart the 7-month-old grant is pruned, the 5-month-old one kept" \
    '[[ $RC == 0 && $(j "map(.id) | index(1001)") == null && $(j "map(.id) | index(1002)") != null ]]'
as alice logins --since 1y --json
t "after a restart the 7-month-old login is pruned, the 5-month-old one kept" \
    '[[ $RC == 0 && $(j "map(.id) | index(2001)") == null && $(j "map(.id) | index(2002)") != null ]]'

# ---- activation codes ------------------------------------------------------------------------

as jdoe request --period 2h --note "ticket 99" --json
code=$(j .code)
code_created=$(epoch "$(j .created)")
t "request (staff, --json): the code, the command to send, what it carries" \
    '[[ $RC == 0 && $code == SG1-* && $(j .command) == "supportgrant activate $code" ]] &&
     [[ $(j "[.kind,.target,.period,.export,.note] | map(tostring) | join(\"|\")") == "user|jdoe|2h|false|ticket 99" ]] &&
     (( $(date +%s) - $(epoch "$(j .created)") <= 5 ))'
as jdoe request --department support --period 1w --export
t "request (human): the code and the line to send" \
    '[[ $RC == 0 && $(sed -n 1p <<<"$OUT") == "Activation code for department support (1 week, data export allowed):" ]] &&
     [[ $(sed -n 4p <<<"$OUT") == "  supportgrant activate SG1-"* ]]'
dept_code=$(sed -n 2p <<<"$OUT" | tr -d ' ')

n_before=$(sqlite3 "$DB" 'SELECT count(*) FROM grants')
as alice activate "$code"
t "activate without --yes and no terminal: exit 2, shows what it would grant, activates nothing" \
    '[[ $RC == 2 && $OUT == "This code activates support access for user jdoe for 2 hours (counted from now), data export: not allowed."* ]] &&
     [[ $OUT == *"Note: ticket 99"* && $ERR == *"pass --yes"* && $(sqlite3 "$DB" "SELECT count(*) FROM grants") == "$n_before" ]]'
sleep 2 # so that "counted from the redemption" differs from "counted from the request"
as alice activate "$code" --yes --json
t "activate --yes --json: a grant via code, granted by the redeemer, with the code's note" \
    '[[ $RC == 0 && $(j "[.kind,.target,.period,.export,.via,.granted_by,.note,.state] | map(tostring) | join(\"|\")") == "user|jdoe|2h|false|code|alice|ticket 99|active" ]]'
code_grant=$(j .id)
t "activate: the period counts from the redemption, not from the request" \
    '(( $(epoch "$(j .expires_at)") == $(epoch "$(j .granted_at)") + 7200 )) &&
     (( $(epoch "$(j .granted_at)") >= code_created + 2 ))'
as alice list --json
t "list: the grant from the code shows via code" \
    '[[ $(j ".[] | select(.id == $code_grant) | .via") == code ]]'
as bob activate "$code" --yes
used_at=$(sqlite3 "$DB" "SELECT used_at FROM used_codes WHERE grant_id = $code_grant")
t "a used code is refused (exit 1), saying when and by whom it was used" \
    '[[ $RC == 1 && $ERR == "supportgrant: this activation code was already used $(local_time "$used_at") ("*") by alice; each code works once, ask for a new one." ]]'
# Two customers redeem the same code at the same moment: exactly one of them gets the grant.
as jdoe request --json
race_code=$(j .code)
race_pids=()
for u in alice bob; do
    setpriv --reuid=$u --regid=$u --init-groups -- "$SG" activate "$race_code" --yes --json \
        >"$T/out/race.$u" 2>&1 </dev/null &
    race_pids+=($!)
done
race_rc=0
for pid in "${race_pids[@]}"; do
    wait "$pid" || race_rc=$((race_rc + 1))
done
OUT=$(cat "$T/out/race.alice" "$T/out/race.bob") ERR= RC=$race_rc
t "one code redeemed twice at once: one grant, one 'already used'" \
    '[[ $race_rc == 1 && $(grep -c "already used" <<<"$OUT") == 1 && $(sqlite3 "$DB" "SELECT count(*) FROM used_codes uc JOIN grants g ON g.id = uc.grant_id WHERE g.via = \"code\"") == 2 ]]'
as alice revoke --user jdoe

# One character changed: the checksum catches it, in the CLI and in the daemon.
i=12
c=${dept_code:$i:1}
[ "$c" = 7 ] && r=8 || r=7
bad=${dept_code:0:$i}$r${dept_code:$((i + 1))}
as alice activate "$bad" --yes
t "a code with one character changed is refused (exit 1): mistyped, checksum" \
    '[[ $bad != "$dept_code" && $RC == 1 && $ERR == *"is mistyped (its checksum does not match)"* ]]'
varlink() { # varlink JSON: one raw call on the socket as alice; prints the reply
    varlink_as alice "$1"
}
varlink_as() { # varlink_as USER JSON: the same as USER
    setpriv --reuid="$1" --regid="$1" --init-groups -- python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\0"); buf = b""
while not buf.endswith(b"\0"):
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.rstrip(b"\0").decode())' "$SOCK" "$2"
}
OUT=$(varlink '{"method":"io.supportgrant.Activate","parameters":{"code":"'"$bad"'"}}')
t "the daemon itself refuses the mistyped code (CodeInvalid), whatever the client" \
    '[[ $(j .error) == io.supportgrant.CodeInvalid && $(j .parameters.message) == *checksum* ]]'
# ExportRefused is the gate's, in a staff session: a customer cannot put entries in the journal
# through it (the staff side, with _UID=0, is the e2e suite's).
OUT=$(varlink '{"method":"io.supportgrant.ExportRefused","parameters":{"what":"command","command":"cat /etc/shadow"}}')
t "ExportRefused from a customer: PermissionDenied, only staff sessions report refusals" \
    '[[ $(j .error) == io.supportgrant.PermissionDenied && $(j .parameters.missing) == *"staff account"* ]]'
OUT=$(varlink '{"method":"io.supportgrant.ExportStarted"}')
t "ExportStarted from a customer: PermissionDenied, only a staff session's gate starts an export" \
    '[[ $(j .error) == io.supportgrant.PermissionDenied && $(j .parameters.missing) == *"staff account"* ]]'
# The PAM module's methods are root's (the module runs inside sshd, login, su, cron): a staff
# member cannot record a login or keep a reason for himself with a stock client, nor can a
# customer; root gets answers (the twin).
for u in jdoe alice; do
    OUT=$(varlink_as $u '{"method":"io.supportgrant.LoginOpen","parameters":{"user":"jdoe","reason":"I let myself in"}}')
    t "LoginOpen from $u: PermissionDenied, only the PAM module (root) records logins" \
        '[[ $(j .error) == io.supportgrant.PermissionDenied && $(j .parameters.message) == *"PAM module"* ]]'
    OUT=$(varlink_as $u '{"method":"io.supportgrant.LoginReason","parameters":{"user":"jdoe","reason":"ticket 4711 printing"}}')
    t "LoginReason from $u: PermissionDenied" '[[ $(j .error) == io.supportgrant.PermissionDenied ]]'
done
t "no login row was made by the refused calls" \
    '[[ $(sqlite3 "$DB" "SELECT count(*) FROM logins WHERE reason = '"'I let myself in'"'") == 0 ]]'
OUT=$(varlink_as root '{"method":"io.supportgrant.LoginReason","parameters":{"user":"jdoe","reason":"ticket 4711 printing"}}')
t "LoginReason from root: a token" '[[ $(j .parameters.token) =~ ^[0-9a-f]{32}$ ]]'
OUT=$(varlink_as root '{"method":"io.supportgrant.LoginCheck","parameters":{"user":"nobody-staff","departments":["no such name!"]}}')
t "LoginCheck from root with a bad department: refused naming the parameter" \
    '[[ $(j .error) == org.varlink.service.InvalidParameter && $(j .parameters.parameter) == departments ]]'
# ExportStarted from staff with export: remembered once per process (asking again changes
# nothing), at most 64 processes per staff member, so that one cannot crowd out the others.
as alice grant jdoe --period 1h --export --note "export cap" --json
cap_grant=$(jq -r .id <<<"$OUT")
OUT=$(setpriv --reuid=jdoe --regid=jdoe --init-groups -- python3 -c '
import os, socket, sys, time
def call():
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
    s.sendall(b"{\"method\":\"io.supportgrant.ExportStarted\"}\0"); buf = b""
    while not buf.endswith(b"\0"):
        d = s.recv(4096)
        if not d: break
        buf += d
    return b"\"export\":true" in buf
try: os.setsid()
except OSError: pass
first, again = call(), call()
kids, res = [], b""
for i in range(65):  # one after the other: each stays alive, in its own session
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            os.setsid(); ok = call()
        finally:
            os.write(w, b"1" if ok else b"0"); time.sleep(30); os._exit(0)
    kids.append(pid)
    os.close(w); res += os.read(r, 1); os.close(r)
for k in kids: os.kill(k, 9); os.waitpid(k, 0)
pid = os.fork()
if pid == 0:
    ok = False
    try: os.setsid(); ok = call()
    finally: os._exit(0 if ok else 1)
after = os.waitpid(pid, 0)[1] == 0
yes = res.count(b"1")
print(first, again, 1 <= yes <= 63 and res == b"1" * yes + b"0" * (65 - yes), after)' "$SOCK" 2>&1)
WHO=jdoe CMD=ExportStarted
t "ExportStarted from staff with export: yes, once per process, at most 64 live per staff member; once they are gone, yes again" \
    '[[ $OUT == "True True True True" ]]'
as alice revoke "$cap_grant"
as jdoe activate "$dept_code" --yes
t "staff redeeming a code: exit 77 (no one grants themselves)" \
    '[[ $RC == 77 && $ERR == *"jdoe is a staff account"* ]]'
as svc activate "$dept_code" --yes
t "a service account redeeming a code: exit 77 naming the right" \
    '[[ $RC == 77 && $ERR == *"svc lacks the right to activate"* ]]'
as alice activate "https://support.example.com/activate/$dept_code" --yes --json
t "a URL whose last path segment is the code is accepted" \
    '[[ $RC == 0 && $(j "[.kind,.target,.period,.export,.via] | map(tostring) | join(\"|\")") == "department|support|1w|true|code" ]]'
as mdev request --period 4h --json
url="https://support.example.com/redeem?lang=de&code=$(j .code)&x=1"
as bob activate "$url" --yes
t "a URL with a code= parameter is accepted (human output)" \
    '[[ $RC == 0 && $OUT == *"Support access activated for mdev (grant "*") until "*" (in 4h), data export: not allowed." ]]'
# On a terminal the customer confirms; "y" activates.
as jdoe request --period 1h --json
tty_code=$(j .code)
set +e
OUT=$(printf 'y\n' | setpriv --reuid=alice --regid=alice --init-groups -- \
    script -qec "$SG activate $tty_code" /dev/null 2>&1)
RC=$?
set -e
t "activate on a terminal asks 'Activate? [y/N]' and activates on y" \
    '[[ $RC == 0 && $OUT == *"Activate? [y/N]"* && $OUT == *"Support access activated for jdoe"* ]]'
as alice revoke --user mdev
as alice revoke --department support

# An expired code: code_validity shortened to 2 seconds and the daemon reloaded (SIGHUP).
as jdoe request --json
old_code=$(j .code)
write_conf 'code_validity = 2s
'
kill -HUP "$DAEMON"
sleep 3
as alice activate "$old_code" --yes
t "an expired code is refused (exit 1): when it was made, how long codes work" \
    '[[ $RC == 1 && $ERR == "supportgrant: this activation code was made "*" CET and codes work for 2 seconds: it has expired; ask for a new one." ]]'
OUT=$(varlink '{"method":"io.supportgrant.Activate","parameters":{"code":"'"$old_code"'"}}')
t "the daemon's CodeExpired error carries created and its own code_validity" \
    '[[ $(j .error) == io.supportgrant.CodeExpired && $(j .parameters.validity) == "2 seconds" && $(j .parameters.created) == *Z ]]'
write_conf
kill -HUP "$DAEMON"
sleep 0.5
as alice activate "$old_code" --yes --conf "$CONF"
t "with the validity back at 7 days the same code works" '[[ $RC == 0 ]]'
as alice revoke --user jdoe

# Codes dated in the future: the clock of the machine that made one may be a few minutes ahead,
# no more (each second allowed is a second more of validity). redate CODE SECONDS moves the
# creation time in the code, with a valid checksum.
redate() {
    python3 - "$1" "$2" <<'EOP'
import sys, zlib
A = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
code, delta = sys.argv[1], int(sys.argv[2])
syms = [A.index(c) for c in code[3:].replace("-", "")]
bits = "".join(format(v, "05b") for v in syms)
p = bytearray(int(bits[i:i + 8], 2) for i in range(0, len(bits) - len(bits) % 8, 8))
body = p[:-4]
created = int.from_bytes(body[3:11], "big") + delta
body[3:11] = created.to_bytes(8, "big")
p = body + zlib.crc32(bytes(body)).to_bytes(4, "big")
bits = "".join(format(b, "08b") for b in p)
bits += "0" * (-len(bits) % 5)
out = "".join(A[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))
print("SG1-" + "-".join(out[i:i + 5] for i in range(0, len(out), 5)))
EOP
}
as jdoe request --json
future_code=$(redate "$(j .code)" 600)
as alice activate "$future_code" --yes
t "a code dated 10 minutes ahead is refused (exit 1): check the clocks" \
    '[[ $RC == 1 && $ERR == *"dated in the future"* ]]'
as jdoe request --json
near_code=$(redate "$(j .code)" 120)
as alice activate "$near_code" --yes
t "a code dated 2 minutes ahead (clock error) works" '[[ $RC == 0 ]]'
as alice revoke --user jdoe

# A used code is remembered for the retention period: made 9 days ago (past the validity of 7
# days), it is still known as used after the daemon pruned at its start, so a code_validity
# raised afterwards does not make it work again.
as jdoe request --json
reuse_code=$(j .code)
as alice activate "$reuse_code" --yes
as alice revoke --user jdoe
sqlite3 "$DB" "PRAGMA busy_timeout = 5000; UPDATE used_codes SET created = created - 9 * 86400 WHERE used_by = 'alice' AND created >= $(date +%s) - 60" >/dev/null
stop_daemon
start_daemon
write_conf 'code_validity = 30d
'
kill -HUP "$DAEMON"
sleep 0.5
as alice activate "$reuse_code" --yes
t "a used code older than its validity stays used after pruning (code_validity raised later)" \
    '[[ $RC == 1 && $ERR == *"already used"* ]]'
write_conf
kill -HUP "$DAEMON"
sleep 0.5

# ---- hostile clients ---------------------------------------------------------------------------

# One process (as the service account: anyone may connect) keeps these open at once: garbage,
# a message over 64 KiB, a silent connection, half a request, a client that pipelines requests
# and never reads, and 300 idle connections (more than the daemon's limit). Meanwhile a
# customer's CLI call must be answered promptly.
cat >"$T/hostile.py" <<'EOP'
import json, os, socket, sys, time

path, ready, report = sys.argv[1:4]

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    return s

def reply(s):
    """The first message the daemon sends, and whether it then hangs up."""
    buf, state = b"", "timeout"
    try:
        while True:
            d = s.recv(65536)
            if not d:
                state = "closed"
                break
            buf += d
    except socket.timeout:
        state = "open" if b"\0" in buf else "timeout"
    except ConnectionResetError:
        state = "closed"
    return buf.split(b"\0")[0], state

out = {}
g = conn()
g.sendall(b"\x00\xffnot json at all\x01\0")
msg, state = reply(g)
out["garbage"] = [json.loads(msg).get("error") if msg else None, state]

big = conn()
try:
    big.sendall(b'{"method":"io.supportgrant.Ping","parameters":{"x":"' + b"A" * (70 * 1024))
except (BrokenPipeError, ConnectionResetError):
    pass
msg, state = reply(big)
out["oversized"] = [json.loads(msg).get("error") if msg else None,
                    json.loads(msg)["parameters"].get("message") if msg else None, state]

keep = []
silent = conn(); keep.append(silent)
half = conn(); half.sendall(b'{"method":"io.supportgrant.Li'); keep.append(half)
flood = conn(); flood.setblocking(False); keep.append(flood)
sent = 0
try:
    for _ in range(20000):
        flood.send(b'{"method":"io.supportgrant.Ping"}\0')
        sent += 1
except BlockingIOError:
    pass
out["flood_sent"] = sent
for _ in range(300):
    try:
        keep.append(conn())
    except OSError as e:
        out.setdefault("connect_errors", []).append(str(e))
        break
with open(report, "w") as f:
    json.dump(out, f)
open(ready, "w").close()
time.sleep(60)
EOP
rm -f "$T/out/hostile.ready"
setpriv --reuid=svc --regid=svc --init-groups -- \
    python3 "$T/hostile.py" "$SOCK" "$T/out/hostile.ready" "$T/out/hostile.json" &
HOSTILE=$!
sg_wait_for 30 test -e "$T/out/hostile.ready" || sg_die "the hostile client did not get ready"
OUT=$(cat "$T/out/hostile.json")
t "garbage: the daemon answers with an error and hangs up" \
    '[[ $(j ".garbage | join(\" \")") == "org.varlink.service.InvalidParameter closed" ]]'
t "a message over 64 KiB: refused as too large and the connection closed" \
    '[[ $(j ".oversized[0]") == org.varlink.service.InvalidParameter && $(j ".oversized[1]") == *"larger than 65536 bytes"* && $(j ".oversized[2]") == closed ]]'
start=$(date +%s%N)
as alice list --json
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t "with silent, half-sent, flooding and 300 idle connections open, a customer is answered (${ms} ms)" \
    '[[ $RC == 0 && $(j type) == array ]] && (( ms < 3000 ))'
as root status --json
t "...and root too" '[[ $RC == 0 && $(j .may_activate) == true ]]'
kill "$HOSTILE" 2>/dev/null || true
wait "$HOSTILE" 2>/dev/null || true
t "the daemon is still running" 'kill -0 "$DAEMON"'

# ---- names are canonical (SPEC §2): stored and compared as NSS spells them ---------------------

as alice revoke --all
as carol grant mdev --period 1h --json
t "carol, a customer in the directory, may grant (before root takes her right)" '[[ $RC == 0 ]]'
as alice revoke --all
as root rights revoke Carol --json
t "rights revoke Carol: stored and shown as carol" '[[ $RC == 0 && $(j .user) == carol ]]'
as carol grant mdev --period 1h
t "rights revoke Carol took carol's right: she can no longer grant" \
    '[[ $RC == 77 && $ERR == *"lacks the right"* ]]'
as root rights list --json
t "rights list shows carol, never Carol" \
    '[[ $(j "[.[] | select(.user == \"carol\")] | length") == 1 && $(j "[.[] | select(.user == \"Carol\")] | length") == 0 ]]'
as root rights restore CAROL
as carol grant mdev --period 1h
t "rights restore CAROL: carol grants again" '[[ $RC == 0 ]]'
as alice revoke --all

as alice grant JDoe --period 1h --json
t "grant JDoe: the grant names jdoe" '[[ $RC == 0 && $(j .target) == jdoe ]]'
as jdoe status --json
t "grant JDoe covers jdoe" '[[ $(j .covered) == true ]]'
as alice list --json
t "list shows jdoe, never JDoe" '[[ $(j "map(.target) | join(\",\")") == jdoe ]]'
as alice logins --user JDoe --json
t "logins --user JDoe: jdoe's logins, shown as jdoe" \
    '[[ $RC == 0 && $(j length) -gt 0 && $(j "map(.user) | unique | join(\",\")") == jdoe ]]'
as alice revoke --user JDOE --json
t "revoke --user JDOE revokes jdoe's grant" '[[ $RC == 0 && $(j "length") == 1 && $(j ".[0].target") == jdoe ]]'
as alice grant --department Support --period 1h --json
t "grant --department Support: the grant names support" '[[ $RC == 0 && $(j .target) == support ]]'
as alice revoke --department SUPPORT --json
t "revoke --department SUPPORT revokes it" '[[ $RC == 0 && $(j "length") == 1 ]]'

# What an earlier version stored as typed is rewritten at start, and journaled.
stop_daemon
sqlite3 "$DB" "INSERT INTO rights VALUES ('Carol', 0, strftime('%s','now'), 'root');
    INSERT INTO grants (kind, target, export, period, granted_at, expires_at, granted_by, via)
        VALUES ('user', 'JDoe', 0, '1h', strftime('%s','now'), strftime('%s','now') + 3600, 'alice', 'cli'),
               ('department', 'SUPPORT', 0, '1h', strftime('%s','now'), strftime('%s','now') + 3600, 'alice', 'cli');"
start_daemon
OUT=$(sqlite3 "$DB" "SELECT group_concat(user) FROM rights WHERE user IN ('Carol', 'carol');
    SELECT group_concat(target) FROM grants WHERE target IN ('JDoe', 'SUPPORT');")
t "migration: rights and grant targets under other spellings are rewritten to the canonical names" \
    '[[ $OUT == carol ]]'
as carol grant mdev
t "migration: the right stored as Carol now takes carol's" '[[ $RC == 77 ]]'
as jdoe status --json
t "migration: the grant stored for JDoe now covers jdoe" '[[ $(j .covered) == true ]]'
sg_journal_sync
OUT=$(sg_journal SYSLOG_IDENTIFIER=supportgrantd | jq -r .MESSAGE | grep "canonical name" || true)
t "migration: each rewrite is journaled" \
    '[[ $OUT == *"of Carol now stored under its canonical name carol"* && $OUT == *"user JDoe now stored under its canonical name jdoe"* && $OUT == *"department SUPPORT now stored under its canonical name support"* ]]'
as root rights restore carol
as alice revoke --all

# ---- the daemon makes its directories; it runs as root or not at all -----------------------------

rm -rf "$T/newrun"
RC=0
WHO=root CMD="supportgrantd --socket $T/newrun/socket --foreground"
"$B/supportgrantd" --socket "$T/newrun/socket" --foreground --conf "$CONF" 2>>"$T/daemon2.log" &
pid2=$!
sg_wait_for 10 test -S "$T/newrun/socket" || RC=1
OUT=$(stat -c "%a %U" "$T/newrun" 2>&1)
kill "$pid2" 2>/dev/null
wait "$pid2" 2>/dev/null || true
t "supportgrantd --foreground makes its missing runtime directory (0755 root) and serves" \
    '[[ $RC == 0 && $OUT == "755 root" ]]'
set +e
OUT=$(setpriv --reuid=alice --regid=alice --init-groups -- "$SG_DAEMON_COPY" --socket "$T/out/alice.sock" --foreground --conf "$CONF" 2>&1)
RC=$?
set -e
WHO=alice CMD=supportgrantd
t "supportgrantd as another user than root: exit 1, saying it must run as root" \
    '[[ $RC == 1 && $OUT == *"must run as root"* && ! -S $T/out/alice.sock ]]'

# The database's directory and its WAL are checked like the file: the daemon does not start,
# and says which and why; with them right again, it serves.
refused_start() { # refused_start: runs the daemon; RC its exit status, OUT its messages
    set +e
    OUT=$(timeout 20 "$B/supportgrantd" --socket "$T/out/refused.sock" --foreground --conf "$CONF" 2>&1)
    RC=$?
    set -e
}
stop_daemon
chmod 0770 "$T/lib"
refused_start
WHO=root CMD=supportgrantd
t "a group-writable database directory: the daemon does not start (exit 1), naming it and why" \
    '[[ $RC == 1 && ! -S $T/out/refused.sock && $OUT == *"$T/lib: must be owned by uid 0 and not writable by group or others"* && $OUT == *"not starting"* ]]'
chmod 0700 "$T/lib"
touch "$DB-wal"
chmod 0644 "$DB-wal"
refused_start
t "a world-readable -wal: the daemon does not start (exit 1), naming it and why" \
    '[[ $RC == 1 && ! -S $T/out/refused.sock && $OUT == *"$DB-wal: must be owned by uid 0 and not writable by group or others, nor readable by others"* ]]'
chmod 0600 "$DB-wal"
start_daemon
as alice list
t "...and with 0700 and 0600 again, the daemon serves" '[[ $RC == 0 ]]'

# ---- the CLI never opens the database --------------------------------------------------------

t "the database directory is root's and 0700: a customer cannot even look inside" \
    '[[ $(stat -c "%U %a" "$T/lib") == "root 700" ]] && ! setpriv --reuid=alice --regid=alice --init-groups -- test -e "$DB"'
# Everything above worked for alice, bob and the staff through the daemon alone (the check just
# above shows they could not have opened the database); strace shows it also for root, who could.
# LeakSanitizer does not run under ptrace, hence detect_leaks=0 there.
for who in $(command -v strace >/dev/null && echo alice root); do
    rm -f "$T/strace.log"
    set +e
    if [ "$who" = root ]; then
        ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$T/strace.log" -e trace=%file,connect \
            "$SG" history --json >/dev/null 2>&1
    else
        ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$T/strace.log" -e trace=%file,connect \
            setpriv --reuid=alice --regid=alice --init-groups -- "$SG" history --json >/dev/null 2>&1
    fi
    RC=$?
    set -e
    OUT=$(grep -F -e "$DB" -e supportgrant.db "$T/strace.log" || true)
    ERR=
    t "strace: 'supportgrant history' as $who talks to the socket and never touches the database" \
        '[[ $RC == 0 && -z $OUT ]] && grep -qF "connect(" "$T/strace.log" && grep -F "connect(" "$T/strace.log" | grep -qF "$SOCK"'
done
command -v strace >/dev/null || echo "# strace is not installed: the 0700 directory check above stands alone"

# ---- the audit trail -------------------------------------------------------------------------

# shellcheck source=tests/daemon/audit.sh
. "$SG_TOP/tests/daemon/audit.sh"

# ---- make install: no setuid -------------------------------------------------------------------

make -s -j2 -C "$SG_TOP" B="$T/build" install DESTDIR="$T/inst" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; sg_die "make install failed"; }
OUT=$(find "$T/inst" -perm /6000)
t "make install: no file with a setuid or setgid bit" '[[ -z $OUT ]]'
t "make install: /usr/bin/supportgrant is root's, 0755" \
    '[[ $(stat -c "%U %a" "$T/inst/usr/bin/supportgrant") == "root 755" ]]'

# ---- the end: the daemon stops cleanly, with nothing from the sanitizers -------------------------

stop_daemon
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error' "$T/daemon.log"; then
    cat "$T/daemon.log"
    WHO=supportgrantd CMD=stop OUT= ERR= RC=
    fail "supportgrantd reported a sanitizer error"
else
    ok "supportgrantd stopped without a sanitizer report"
fi

echo "$((n - nfail)) passed, $nfail failed"
[ "$nfail" = 0 ]
