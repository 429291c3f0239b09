#!/bin/bash
# The Debian package, installed for real with dpkg in a private host (overlays over /etc, /usr
# and /var): files and modes, the units (systemd-analyze verify and security), the journal
# catalog (journalctl -x on real entries), the pam-auth-update profile (off by default, then
# enabled and tried with a real PAM stack), the daemon under the unit's capability bounding
# set, an upgrade over itself that keeps data and local changes, and remove + purge leaving
# nothing behind. Then e2e-deb.sh: the installed package end to end through the real sshd.
#   tests/package/run.sh [BUILD_DIR]      (BUILD_DIR is not used: the .deb has its own build)
# SG_DEB=path.deb tests an existing package instead of building ./supportgrant_VERSION_ARCH.deb.
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"

sg_require_root "the package tests (dpkg -i in a private host)"

VERSION=$(dpkg-parsechangelog -l "$SG_TOP/packaging/debian/changelog" -S Version)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    SG_DEB=${SG_DEB:-$(sg_deb_build)} || exit 1
    export SG_DEB
    rc=0
    sg_run_private "$@" || rc=$?
    # The installed package end to end through the real sshd, in a fresh private host.
    "$SG_TOP/tests/package/e2e-deb.sh" "$SG_DEB" || rc=1
    exit "$rc"
fi

sg_private_host /etc /usr /var

fails=0
pass() { echo "ok   $*"; }
fail() {
    echo "FAIL $*"
    fails=$((fails + 1))
}
check() { # check DESCRIPTION CMD...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
# mode_is PATH MODE OWNER:GROUP [TYPE]
mode_is() {
    local got
    got=$(stat -c '%a %U:%G %F' "$1" 2>/dev/null) || {
        echo "  $1: missing"
        return 1
    }
    [[ $got == "$2 $3 ${4:-regular file}" ]] || {
        echo "  $1: $got, expected $2 $3 ${4:-regular file}"
        return 1
    }
}

export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
# The man-db trigger would index every manual page of the host: not what is tested here.
rm -f /var/lib/man-db/auto-update
DPKG_LOG=$SG_WORK/dpkg.log

# Everything under /etc, /usr and /var, with type, mode and owner, and the contents of /etc:
# what the package leaves behind shows as a difference after the purge. dpkg's, debconf's and
# the logs' own bookkeeping is not the package's.
snapshot() {
    find /etc /usr /var -xdev \
        \( -path /var/lib/dpkg -o -path /var/log -o -path /var/cache/debconf \
        -o -path /var/cache/man -o -path /var/cache/ldconfig \) -prune \
        -o -printf '%p %y %m %u:%g\n' | LC_ALL=C sort
    find /etc -xdev -type f ! -name '*-' ! -name .pwd.lock -print0 | LC_ALL=C sort -z |
        xargs -0 sha256sum
}

# A customer and a staff member, as on a real host (the staff group comes from the package).
useradd -m alice
snapshot >"$SG_WORK/before"

# ---- install ------------------------------------------------------------------------------
echo "== dpkg -i $(basename "$SG_DEB")"
dpkg -i "$SG_DEB" >"$DPKG_LOG" 2>&1 || { cat "$DPKG_LOG"; sg_die "dpkg -i failed"; }
check "dpkg says installed" \
    test "$(dpkg-query -W -f='${db:Status-Status} ${Version}' supportgrant)" = "installed $VERSION"

PAMDIR=/lib/$MULTIARCH/security
check "the module is shipped where libpam's directory is (/lib/<triplet>/security)" \
    sh -c "dpkg -L supportgrant | grep -qx '$PAMDIR/pam_supportgrant.so'"
files_ok() {
    local r=0
    mode_is /usr/bin/supportgrant 755 root:root || r=1
    mode_is /usr/sbin/supportgrantd 755 root:root || r=1
    mode_is "$PAMDIR/pam_supportgrant.so" 644 root:root || r=1
    mode_is /etc/security/supportgrant.conf 644 root:root || r=1
    mode_is /lib/systemd/system/supportgrant.socket 644 root:root || r=1
    mode_is /lib/systemd/system/supportgrant.service 644 root:root || r=1
    mode_is /usr/lib/systemd/catalog/supportgrant.catalog 644 root:root || r=1
    mode_is /usr/lib/tmpfiles.d/supportgrant.conf 644 root:root || r=1
    mode_is /usr/share/pam-configs/supportgrant 644 root:root || r=1
    mode_is /usr/share/bash-completion/completions/supportgrant 644 root:root || r=1
    mode_is /usr/share/doc/supportgrant/examples/sshd_config.d-supportgrant.conf 644 root:root ||
        r=1
    mode_is /usr/share/doc/supportgrant/SECURITY.md.gz 644 root:root || r=1
    for m in man1/supportgrant.1 man5/supportgrant.conf.5 man8/pam_supportgrant.8 \
        man8/supportgrantd.8; do
        mode_is "/usr/share/man/$m.gz" 644 root:root || r=1
    done
    mode_is /var/lib/supportgrant 700 root:root directory || r=1
    return $r
}
check "files in place with their modes" files_ok
check "no setuid or setgid file in the package" \
    test -z "$(dpkg -L supportgrant | xargs -d '\n' stat -c '%A %n' | awk '$1 ~ /[sS]/')"
check "the configuration is a conffile" \
    grep -qx ' /etc/security/supportgrant.conf [0-9a-f]*' \
    <(dpkg-query -W -f='${Conffiles}\n' supportgrant)
check "the socket is enabled (sockets.target.wants)" \
    test "$(readlink /etc/systemd/system/sockets.target.wants/supportgrant.socket)" = \
    /lib/systemd/system/supportgrant.socket
check "the service is not enabled on its own" \
    test -z "$(find /etc/systemd/system -name supportgrant.service)"
# A local staff group made at install time would shadow the directory's where the staff group
# lives in LDAP and the directory was unreachable then (SPEC §2): the package makes none.
check "the package makes no local staff group and ships no sysusers.d entry" \
    sh -c '! getent -s files group onoffice-staff >/dev/null && ! ls /usr/lib/sysusers.d/supportgrant* 2>/dev/null'
groupadd onoffice-staff # as README "Configure" tells the administrator where no directory has it
check "the programs run" \
    test "$(supportgrant --version)/$(supportgrantd --version)" = \
    "supportgrant $VERSION/supportgrantd $VERSION"
check "the man pages are found by man" \
    sh -c 'man -w supportgrant supportgrantd pam_supportgrant supportgrant.conf >/dev/null'

# The man pages describe what the programs accept: every option and command of --help, every
# key of the shipped configuration.
man_text() { MANWIDTH=200 man "$@" 2>/dev/null | col -b; }
docs_match_code() {
    local r=0 w page
    page=$(man_text 1 supportgrant)
    for w in $(supportgrant --help | grep -oE -- '--[a-z-]+' | sort -u) \
        $(supportgrant --help | sed -n 's/^  \([a-z]\+\)\( .*\)\?$/\1/p'); do
        grep -qF -- "$w" <<<"$page" || { echo "  supportgrant(1) does not mention $w"; r=1; }
    done
    page=$(man_text 8 supportgrantd)
    for w in $(supportgrantd --help | grep -oE -- '--[a-z-]+' | sort -u); do
        grep -qF -- "$w" <<<"$page" || { echo "  supportgrantd(8) does not mention $w"; r=1; }
    done
    page=$(man_text 5 supportgrant.conf)
    for w in $(sed -n 's/^# \([a-z_]\+\) = .*/\1/p' /etc/security/supportgrant.conf); do
        grep -qE "^ +$w = " <<<"$page" || { echo "  supportgrant.conf(5) does not describe $w"; r=1; }
    done
    page=$(man_text 8 pam_supportgrant)
    for w in conf= debug kbdint_step; do
        grep -qF -- "$w" <<<"$page" || { echo "  pam_supportgrant(8) does not mention $w"; r=1; }
    done
    return $r
}
check "man pages mention every option, command and configuration key" docs_match_code

# Completion as bash runs it, from the installed file.
groupadd onoffice-support
useradd -M -G onoffice-staff sgcomp
complete_words() { # complete_words WORD...: what TAB offers for the last word
    bash -c 'source /usr/share/bash-completion/bash_completion
        source /usr/share/bash-completion/completions/supportgrant
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _supportgrant; echo "${COMPREPLY[*]}"' complete "$@"
}
completion_ok() {
    local r=0 got
    expect() {
        got=$(complete_words "${@:2}")
        [ "$got" = "$1" ] || { echo "  '${*:2}': offered '$got', expected '$1'"; r=1; }
    }
    expect "grant" supportgrant gr
    expect "1h 2h 4h today 1w 2w 1m permanent" supportgrant grant alice --period ""
    expect "support" supportgrant --json grant --department su
    # Departments never include the staff group; users offered are staff accounts only.
    expect "support" supportgrant grant --department ""
    expect "sgcomp" supportgrant grant ""
    expect "sgcomp" supportgrant logins --user ""
    expect "--all" supportgrant revoke --a
    expect "list revoke restore" supportgrant rights ""
    expect "alice" supportgrant rights revoke al
    return $r
}
check "bash completion of commands, periods, departments (never the staff group) and staff accounts" completion_ok
userdel sgcomp

# ---- units --------------------------------------------------------------------------------
# systemd-analyze verify loads the units in a test manager (no PID 1 needed): it fails on
# errors and only warns (exit 0) about unknown settings, so any output at all is a failure.
verify_out=$(systemd-analyze verify /lib/systemd/system/supportgrant.socket \
    /lib/systemd/system/supportgrant.service 2>&1) && verify_rc=0 || verify_rc=$?
check "systemd-analyze verify: clean" test "$verify_rc/$verify_out" = "0/"
[ -z "$verify_out" ] || echo "$verify_out" | sed 's/^/  /'

unit_prop() { # unit_prop UNIT KEY: the value systemd parsed
    sed -n "s/^$2=//p" "/lib/systemd/system/$1"
}
check "socket: /run/supportgrant/socket, mode 0666" \
    test "$(unit_prop supportgrant.socket ListenStream)/$(unit_prop supportgrant.socket SocketMode)" = \
    "/run/supportgrant/socket/0666"
check "service: Type=notify, StateDirectory=supportgrant 0700" \
    test "$(unit_prop supportgrant.service Type)/$(unit_prop supportgrant.service StateDirectory)/$(unit_prop supportgrant.service StateDirectoryMode)" = \
    "notify/supportgrant/0700"
check "service: only CAP_KILL" \
    test "$(unit_prop supportgrant.service CapabilityBoundingSet)" = CAP_KILL
# The offline security analysis reads the unit as systemd would and scores its sandbox.
sec=$(systemd-analyze security --offline=true --no-pager /lib/systemd/system/supportgrant.service 2>&1 |
    sed -n 's/.*Overall exposure level for supportgrant.service: \([0-9.]*\).*/\1/p')
check "service sandbox: exposure ${sec:-?} <= 2.0 (systemd-analyze security)" \
    awk -v s="${sec:-99}" 'BEGIN { exit !(s <= 2.0) }'
for want in ProtectSystem=strict NoNewPrivileges=yes PrivateNetwork=yes \
    RestrictAddressFamilies=AF_UNIX SystemCallFilter=@system-service UMask=0077 ProtectHome=yes; do
    check "service: $want" grep -qx "$want" /lib/systemd/system/supportgrant.service
done

# ---- the daemon with the unit's capabilities ------------------------------------------------
# No PID 1 here to run the unit, so run its ExecStart as the unit would be limited: bounding
# set CAP_KILL only, no new privileges, umask 0077. It must open and create its database and
# serve requests.
mkdir -p /run/supportgrant
useradd -m -G onoffice-staff jdoe
(umask 0077 && exec setpriv --no-new-privs --bounding-set -all,+kill --inh-caps -all \
    /usr/sbin/supportgrantd --socket /run/supportgrant/socket --foreground) \
    2>"$SG_WORK/daemon.log" &
DAEMON=$!
sg_wait_for 10 test -S /run/supportgrant/socket || {
    cat "$SG_WORK/daemon.log"
    sg_die "supportgrantd did not start"
}
check "daemon runs with CAP_KILL only" \
    grep -qx 'CapBnd:	0000000000000020' "/proc/$DAEMON/status"
check "grant through the installed CLI and daemon" \
    sh -c 'supportgrant grant jdoe --note package-test >/dev/null'
check "database 0600 in /var/lib/supportgrant" \
    mode_is /var/lib/supportgrant/supportgrant.db 600 root:root

# ---- journal catalog ----------------------------------------------------------------------
# The systemd trigger has already run journalctl --update-catalog during dpkg -i.
ids=$(sed -n 's/.*{"\([a-z-]*\)", "\([0-9a-f]\{32\}\)"}.*/\1 \2/p' "$SG_TOP/common/journal.c")
check "journal.c lists 9 events" test "$(echo "$ids" | wc -l)" = 9
catalog_ok() {
    local event id r=0
    while read -r event id; do
        if ! journalctl --dump-catalog "$id" 2>/dev/null | grep -q '^Subject: '; then
            echo "  $event ($id): no catalog entry"
            r=1
        fi
    done <<<"$ids"
    return $r
}
check "every MESSAGE_ID has a catalog entry" catalog_ok
# The fields each event always carries (common/journal.c leaves out empty ones; see the
# callers of sg_journal_event). A catalog entry may substitute only these: journalctl shows
# an absent @FIELD@ as its bare name.
always_fields() {
    case $1 in
    grant-created | grant-revoked) echo GRANT_ID ACTOR EXPIRES EXPORT ;;
    login-accepted) echo USER GRANT_ID LOGIN_ID SERVICE EXPIRES EXPORT ;;
    login-denied) echo USER SERVICE DETAIL ;;
    session-closed | session-terminated) echo USER LOGIN_ID SERVICE ;;
    right-changed) echo USER ACTOR ;;
    export-refused) echo USER COMMAND ;;
    audit-checkpoint) echo AUDIT_SEQ AUDIT_HASH AUDIT_TRAIL ;;
    esac
}
field_value() {
    case $1 in
    USER) echo jdoe ;; GRANT_ID) echo 1 ;; LOGIN_ID) echo 5 ;; SERVICE) echo sshd ;;
    ACTOR) echo root ;; EXPIRES) echo permanent ;; EXPORT) echo no ;;
    COMMAND) echo "scp -f /etc/shadow" ;; DETAIL) echo "no active grant" ;;
    AUDIT_SEQ) echo 7 ;; AUDIT_HASH | AUDIT_TRAIL) echo 0123456789abcdef ;;
    esac
}
substitutions_ok() {
    local event id used f r=0
    while read -r event id; do
        used=$(journalctl --dump-catalog "$id" 2>/dev/null | grep -o '@SUPPORTGRANT_[A-Z_]*@' |
            sed 's/@SUPPORTGRANT_\(.*\)@/\1/' | sort -u)
        for f in $used; do
            if ! grep -qw "$f" <<<"$(always_fields "$event")"; then
                echo "  $event: substitutes SUPPORTGRANT_$f, which it does not always carry"
                r=1
            fi
        done
    done <<<"$ids"
    return $r
}
check "catalog substitutes only fields every entry carries" substitutions_ok
# And journalctl -x explains real entries: one of each event sent with the fields the code
# sends, and the daemon's own grant-created below.
explain_ok() {
    local event id out f r=0
    while read -r event id; do
        {
            printf 'MESSAGE=package test %s\nMESSAGE_ID=%s\nSUPPORTGRANT_EVENT=%s\n' \
                "$event" "$id" "$event"
            for f in $(always_fields "$event"); do
                printf 'SUPPORTGRANT_%s=%s\n' "$f" "$(field_value "$f")"
            done
        } | logger --journald
    done <<<"$ids"
    sg_journal_sync
    while read -r event id; do
        out=$(journalctl -D /run/log/journal -x --no-pager -o short MESSAGE_ID="$id" 2>&1)
        # Each Subject names the user, the grant or the audit record.
        if ! grep -qE '^░░ Subject: .*(jdoe|grant 1|record [0-9])' <<<"$out" || grep -q '@' <<<"$out"; then
            echo "  $event: journalctl -x shows:"
            sed 's/^/    /' <<<"$out" | head -12
            r=1
        fi
    done <<<"$ids"
    return $r
}
check "journalctl -x explains each event" explain_ok
check "the daemon's own grant-created entry is explained" \
    grep -q '░░ Subject: Support access granted (grant 1)' \
    <(journalctl -D /run/log/journal -x --no-pager SUPPORTGRANT_EVENT=grant-created SUPPORTGRANT_ACTOR=root _PID="$DAEMON")

# ---- PAM profile --------------------------------------------------------------------------
check "profile off by default: common-* do not mention pam_supportgrant" \
    test -z "$(grep -l pam_supportgrant /etc/pam.d/common-* 2>/dev/null)"
pam-auth-update --package --enable supportgrant
check "enabled: account and session lines (required) in common-account/-session" \
    test "$(grep -h pam_supportgrant /etc/pam.d/common-account /etc/pam.d/common-session |
        tr -s ' \t' ' ')" = "$(printf 'account required pam_supportgrant.so \nsession required pam_supportgrant.so ')"
check "enabled: no auth or password line" \
    test -z "$(grep -l pam_supportgrant /etc/pam.d/common-auth /etc/pam.d/common-password)"
# A real stack of common-account: the customer passes, the staff member with a grant passes,
# a staff member without one is refused.
printf '@include common-account\n' >/etc/pam.d/sgpkgtest
useradd -m -G onoffice-staff mdev
check "PAM: customer alice passes common-account" sh -c 'pamtester sgpkgtest alice acct_mgmt >/dev/null'
check "PAM: root passes common-account" sh -c 'pamtester sgpkgtest root acct_mgmt >/dev/null'
check "PAM: staff mdev without a grant is refused" \
    sh -c '! pamtester sgpkgtest mdev acct_mgmt </dev/null >/dev/null 2>&1'
check "PAM: staff jdoe with a grant passes (reason asked)" \
    sh -c 'echo "package install test" | pamtester sgpkgtest jdoe acct_mgmt >/dev/null 2>&1'
rm -f /etc/pam.d/sgpkgtest

# ---- upgrade over itself ------------------------------------------------------------------
echo '# local change' >>/etc/security/supportgrant.conf
conf_sum=$(sha256sum /etc/security/supportgrant.conf)
kill "$DAEMON" && wait "$DAEMON" || true
echo "== dpkg -i again (upgrade over itself)"
dpkg -i "$SG_DEB" >"$DPKG_LOG" 2>&1 || { cat "$DPKG_LOG"; sg_die "reinstall failed"; }
check "reinstall: still installed" \
    test "$(dpkg-query -W -f='${db:Status-Status}' supportgrant)" = installed
check "reinstall: files in place" files_ok
check "reinstall: local change of the conffile kept" \
    test "$(sha256sum /etc/security/supportgrant.conf)" = "$conf_sum"
check "reinstall: database kept" test -s /var/lib/supportgrant/supportgrant.db
check "reinstall: profile still enabled" grep -q pam_supportgrant /etc/pam.d/common-account
check "reinstall: socket still enabled" test -L /etc/systemd/system/sockets.target.wants/supportgrant.socket
check "reinstall: one staff group" test "$(getent -s files group onoffice-staff | wc -l)" = 1

# ---- remove, then purge -------------------------------------------------------------------
userdel -r jdoe 2>/dev/null
userdel -r mdev 2>/dev/null
groupdel onoffice-support
groupdel onoffice-staff
echo "== dpkg -r"
dpkg -r supportgrant >"$DPKG_LOG" 2>&1 || { cat "$DPKG_LOG"; sg_die "dpkg -r failed"; }
check "remove: common-* no longer mention pam_supportgrant" \
    test -z "$(grep -l pam_supportgrant /etc/pam.d/common-* 2>/dev/null)"
check "remove: module and programs gone" \
    test ! -e "$PAMDIR/pam_supportgrant.so" -a ! -e /usr/bin/supportgrant -a ! -e /usr/sbin/supportgrantd
check "remove: configuration and data kept" \
    test -f /etc/security/supportgrant.conf -a -f /var/lib/supportgrant/supportgrant.db
check "remove: PAM still works for alice" sh -c 'printf "@include common-account\n@include common-session\n" >/etc/pam.d/sgpkgtest && pamtester sgpkgtest alice acct_mgmt open_session close_session >/dev/null; r=$?; rm -f /etc/pam.d/sgpkgtest; exit $r'

echo "== dpkg --purge"
dpkg --purge supportgrant >"$DPKG_LOG" 2>&1 || { cat "$DPKG_LOG"; sg_die "dpkg --purge failed"; }
check "purge: dpkg prints no warning" sh -c "! grep -i warning '$DPKG_LOG'"
grep -i warning "$DPKG_LOG" | sed 's/^/  /' || true
check "purge: dpkg no longer knows it" \
    sh -c '! dpkg-query -W -f="\${db:Status-Status}" supportgrant 2>/dev/null | grep -q .'
snapshot >"$SG_WORK/after"
# The catalog database is systemd's (rebuilt by its trigger, without our entries now), and
# pam-auth-update's list of seen profiles is libpam-runtime's.
purge_diff=$(diff "$SG_WORK/before" "$SG_WORK/after" |
    grep '^[<>]' | grep -v -e ' /var/lib/systemd/catalog/database ' -e ' /var/lib/pam/seen ' || true)
check "purge: /etc, /usr and /var as before the install" test -z "$purge_diff"
[ -z "$purge_diff" ] || echo "$purge_diff" | head -30 | sed 's/^/  /'
check "purge: the catalog has no supportgrant entry" \
    sh -c '! journalctl --dump-catalog 2>/dev/null | grep -q "Defined-By: supportgrant"'

echo
if [ "$fails" -gt 0 ]; then
    echo "package: $fails check(s) failed"
    exit 1
fi
echo "package: all checks passed"
