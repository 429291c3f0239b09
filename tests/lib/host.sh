# shellcheck shell=bash
# A real host inside the private-host sandbox (sandbox.sh): supportgrant installed with
# `make install` (or the Debian package with dpkg -i), customers and staff made with useradd,
# the real supportgrantd on its real socket, and the real /usr/sbin/sshd wired up by the
# README's wiring block, run verbatim (SPEC §5, §9), on 127.0.0.1 and a free port. Used by the e2e suite, the demo, the benchmarks and the
# package suite.
#
#   source tests/lib/sandbox.sh; source tests/lib/host.sh
#   sg_run_private ...                     (outer run)
#   sg_private_host /etc /usr /var         (inner run)
#   sg_host_setup BUILD_DIR                install, users, daemon, sshd
#   SG_HOST_INSTALL=deb sg_host_setup supportgrant_VERSION_ARCH.deb    the same from the .deb
#   sg_ssh jdoe -- 'echo hi'               a staff login; see sg_ssh below
#   sg_sshd_integration off; sg_sshd_restart   the same sshd without supportgrant (bench)
#
# Accounts made by sg_host_users:
#   alice  customer admin (holds the right to activate by default)
#   bob    customer user whose right root took away (sg_host_setup does that)
#   jdoe   staff, department support      kim   staff, department support
#   mdev   staff, department development
# Everything lives in the sandbox: /etc, /usr and /var are overlays, /run and /home tmpfs.

SG_STAFF_USERS=(jdoe kim mdev)
# How sg_host_setup installs: "make" (`make install` of a build directory) or "deb" (dpkg -i of
# a .deb; sshd and PAM are then wired as README "Configure sshd and PAM" tells an administrator:
# the pam-auth-update profile, the shipped sshd example, the auth line in /etc/pam.d/sshd).
SG_HOST_INSTALL=${SG_HOST_INSTALL:-make}
SG_SOCKET=/run/supportgrant/socket
SG_DB=/var/lib/supportgrant/supportgrant.db

# sg_host_install BUILD_DIR: `make install` of what BUILD_DIR holds, without rebuilding it
# (-o: the sandbox must install exactly what the caller built, ASan or not).
sg_host_install() {
    local b
    b=$(cd "$1" && pwd) || sg_die "no build directory $1"
    make -s -C "$SG_TOP" install B="$b" DESTDIR= \
        -o "$b/supportgrant" -o "$b/supportgrantd" -o "$b/pam_supportgrant.so" >/dev/null ||
        sg_die "make install B=$b failed"
    if [ ! -x /usr/bin/supportgrant ] || [ ! -x /usr/sbin/supportgrantd ]; then
        sg_die "make install did not install the programs"
    fi
}

# sg_host_install_deb DEB: the package as an administrator installs it. Its maintainer scripts
# run for real (the profile is registered); nothing is started,
# as there is no systemd here.
sg_host_install_deb() {
    [ -f "$1" ] || sg_die "no package $1"
    # The man-db trigger would index every manual page of the host: not what is tested here.
    rm -f /var/lib/man-db/auto-update
    DEBIAN_FRONTEND=noninteractive dpkg -i "$1" >"$SG_HOST_DIR/dpkg.log" 2>&1 ||
        { cat "$SG_HOST_DIR/dpkg.log" >&2; sg_die "dpkg -i $1 failed"; }
    [ "$(dpkg-query -W -f='${db:Status-Status}' supportgrant)" = installed ] ||
        sg_die "dpkg -i did not leave supportgrant installed"
    dpkg -S /usr/bin/supportgrant /usr/sbin/supportgrantd >/dev/null ||
        sg_die "the programs are not the package's"
}

sg_host_users() {
    # The staff group is the administrator's to make (the package makes none: SPEC §2).
    getent group onoffice-staff >/dev/null || groupadd onoffice-staff
    groupadd onoffice-support
    groupadd onoffice-development
    useradd -m -s /bin/bash -c "Customer admin" alice
    useradd -m -s /bin/bash -c "Customer user" bob
    useradd -m -s /bin/bash -c "Support staff" -G onoffice-staff,onoffice-support jdoe
    useradd -m -s /bin/bash -c "Support staff" -G onoffice-staff,onoffice-support kim
    useradd -m -s /bin/bash -c "Developer" -G onoffice-staff,onoffice-development mdev
}

# sg_as USER CMD...: CMD as USER (its real uid: the daemon authorizes by SO_PEERCRED).
sg_as() {
    local u=$1
    shift
    setpriv --reuid="$u" --regid="$u" --init-groups --reset-env -- "$@"
}

# sg_as_staff USER CMD...: CMD as USER, where USER may be a staff account without a grant. The
# daemon ends every process of such an account at any sweep (periodic, after a revocation or an
# expiry: SPEC §7), so CMD may die under the test's feet (tests/README.md). When it died of
# SIGHUP, SIGTERM or SIGKILL and the journal says the daemon ended USER's processes just then, it
# runs again (at most 4 times); any other outcome is CMD's own. Output as CMD's; stdin is read
# by the first run only.
sg_as_staff() {
    local u=$1 try before rc=0
    shift
    for try in 1 2 3 4 5; do
        before=$(sg_ended_count "$u")
        rc=0
        sg_as "$u" "$@" >"$SG_WORK/as_staff.out" 2>"$SG_WORK/as_staff.err" || rc=$?
        case $rc in 129 | 137 | 143) ;; *) break ;; esac
        sg_wait_for 3 sg_ended_since "$u" "$before" || break
        sg_log "note: the daemon ended $u's '$*' (no access: SPEC §7); run $((try + 1))"
        # Past the daemon's SIGKILL one second after SIGHUP/SIGTERM (supportgrantd(8)), and at
        # another point of its 1 s sweep each time: a fixed pause put every run at the same
        # phase of the sweep, so a run that took long enough was caught every time (seen: six
        # runs in a row).
        sleep "2.$((RANDOM % 10))"
    done
    cat "$SG_WORK/as_staff.out"
    cat "$SG_WORK/as_staff.err" >&2
    return "$rc"
}
sg_ended_count() { sg_journal SUPPORTGRANT_EVENT=session-terminated "SUPPORTGRANT_USER=$1" | grep -c . || true; }
sg_ended_since() { [ "$(sg_ended_count "$1")" -gt "$2" ]; }

# --- the daemon ------------------------------------------------------------------------

# SG_DAEMON_WRAPPER: a command the daemon runs under (the package test limits its capabilities
# to the unit's bounding set with it).
# shellcheck disable=SC2120 # callers may pass extra daemon options
sg_daemon_start() {
    mkdir -p /run/supportgrant
    SG_DAEMON_LOG=${SG_DAEMON_LOG:-$SG_HOST_DIR/supportgrantd.log}
    # shellcheck disable=SC2086 # SG_DAEMON_ARGS: extra options, e.g. --debug
    ${SG_DAEMON_WRAPPER:-} /usr/sbin/supportgrantd --socket "$SG_SOCKET" --foreground ${SG_DAEMON_ARGS:-} "$@" 2>>"$SG_DAEMON_LOG" &
    SG_DAEMON_PID=$!
    sg_wait_for 10 sg_daemon_answers || { cat "$SG_DAEMON_LOG" >&2; sg_die "supportgrantd did not start"; }
}

sg_daemon_answers() {
    kill -0 "$SG_DAEMON_PID" && test -S "$SG_SOCKET" && test -f "$SG_DB" &&
        /usr/bin/supportgrant status >/dev/null 2>&1
}

sg_daemon_stop() {
    [ -n "${SG_DAEMON_PID:-}" ] || return 0
    kill "$SG_DAEMON_PID" 2>/dev/null || true
    wait "$SG_DAEMON_PID" 2>/dev/null || true
    SG_DAEMON_PID=
}

# Makes the daemon re-read its configuration and look at every open session at once.
sg_daemon_reload() {
    kill -HUP "$SG_DAEMON_PID"
}

# --- sshd ------------------------------------------------------------------------------

# SG_SSHD_WRAPPER: a command sshd runs under (the e2e suite preloads ASan with it).

# The integration of SPEC §9 into the sandbox's /etc, exactly as the README's wiring block
# does it (sg_readme_wiring), for a `make install` and for the .deb alike. The originals are
# kept for sg_sshd_integration off (the bench compares logins with and without the module).
sg_sshd_integration() {
    [ -f "$SG_HOST_DIR/sshd_config.orig" ] || cp /etc/ssh/sshd_config "$SG_HOST_DIR/sshd_config.orig"
    [ -f "$SG_HOST_DIR/pam.sshd.orig" ] || cp /etc/pam.d/sshd "$SG_HOST_DIR/pam.sshd.orig"
    cp "$SG_HOST_DIR/sshd_config.orig" /etc/ssh/sshd_config
    cp "$SG_HOST_DIR/pam.sshd.orig" /etc/pam.d/sshd
    rm -f /etc/ssh/sshd_config.d/supportgrant.conf
    DEBIAN_FRONTEND=noninteractive pam-auth-update --disable supportgrant >/dev/null 2>&1 || true
    [ "${1:-on}" = off ] && return 0
    sg_readme_wiring || { cat "$SG_HOST_DIR/wiring.log" >&2; sg_die "the README's wiring block failed"; }
    grep -q '^account.*pam_supportgrant.so' /etc/pam.d/common-account &&
        grep -q '^session.*pam_supportgrant.so' /etc/pam.d/common-session &&
        grep -q '^auth .*pam_supportgrant.so kbdint_step' /etc/pam.d/sshd &&
        [ -f /etc/ssh/sshd_config.d/supportgrant.conf ] ||
        sg_die "the README's wiring block did not wire pam_supportgrant"
}

# The older sshd-only recipe (account and session lines in /etc/pam.d/sshd, no profile): only
# for showing that supportgrant doctor finds every service it leaves ungated.
sg_sshd_integration_legacy() {
    sg_sshd_integration off
    printf '\nMatch Group onoffice-staff\n    AuthenticationMethods publickey,keyboard-interactive:pam\n    KbdInteractiveAuthentication yes\n    ForceCommand /usr/bin/supportgrant gate\n    DisableForwarding yes\n' >>/etc/ssh/sshd_config
    awk '
        /^@include common-auth/ {
            print "auth [success=done ignore=ignore default=die] pam_supportgrant.so kbdint_step"
        }
        { print }
        /^@include common-account/ { print "account required pam_supportgrant.so" }
        /^@include common-session/ && !/noninteractive/ { print "session required pam_supportgrant.so" }
    ' "$SG_HOST_DIR/pam.sshd.orig" >/etc/pam.d/sshd
}

# sg_readme_wiring: runs README's wiring block (between its "wiring: begin/end" markers)
# verbatim, so that what is tested is what the README tells administrators. There is no
# systemd in the sandbox: its "systemctl reload ssh" is a no-op here, and the caller restarts
# the test's sshd. Output in $SG_HOST_DIR/wiring.log; returns the block's status (its last
# command is supportgrant doctor).
sg_readme_wiring() {
    local block shim=$SG_HOST_DIR/shim
    block=$(awk '/<!-- wiring: begin -->/ { on = 1; next } /<!-- wiring: end -->/ { on = 0 }
                 on && /^```/ { fence = !fence; next } on && fence' "$SG_TOP/README.md")
    [ -n "$block" ] || sg_die "README has no wiring block"
    # sshd -t and sshd -T need host keys and the privilege separation directory, which a
    # booted host has (openssh-server's postinst, tmpfiles); the sandbox may not yet.
    [ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -A
    mkdir -p /run/sshd
    chmod 0755 /run/sshd
    mkdir -p "$shim"
    printf '#!/bin/sh\n# no systemd in the test sandbox: the test restarts its own sshd\nexit 0\n' >"$shim/systemctl"
    chmod 0755 "$shim/systemctl"
    PATH=$shim:$PATH bash -e -c "$block" >"$SG_HOST_DIR/wiring.log" 2>&1
}

# Keys: a host key for sshd, one client key per staff account (in its authorized_keys).
sg_ssh_keys() {
    local u
    mkdir -p "$SG_HOST_DIR/keys"
    ssh-keygen -q -t ed25519 -N '' -C sg-host -f "$SG_HOST_DIR/ssh_host_ed25519_key"
    for u in "${SG_STAFF_USERS[@]}"; do
        ssh-keygen -q -t ed25519 -N '' -C "$u@sg-test" -f "$SG_HOST_DIR/keys/$u"
        install -d -m 0700 -o "$u" -g "$u" "/home/$u/.ssh"
        install -m 0600 -o "$u" -g "$u" "$SG_HOST_DIR/keys/$u.pub" "/home/$u/.ssh/authorized_keys"
    done
    # The answers to the reason prompt come from a script (HOST-FACTS: SSH_ASKPASS).
    # SG_ANSWERS holds one answer per line; SG_ASKPASS_STATE counts the prompts of this login
    # and logs them, so that a test can see what was asked and how often.
    cat >"$SG_HOST_DIR/askpass" <<'EOF'
#!/bin/bash
n=$(($(wc -l <"$SG_ASKPASS_STATE") + 1))
printf '%s\n' "$1" >>"$SG_ASKPASS_STATE"
answer=$(printf '%s\n' "${SG_ANSWERS-}" | sed -n "${n}p")
printf '%s\n' "$answer"
EOF
    chmod 0755 "$SG_HOST_DIR/askpass"
}

sg_port_free() {
    ! ss -Htln "sport = :$1" | grep -q .
}

# sg_sshd_start: the real sshd, by absolute path (it re-execs itself), on 127.0.0.1 and a
# random free port; other test runs on this machine share the network namespace.
sg_sshd_start() {
    local port
    mkdir -p /run/sshd
    chmod 0755 /run/sshd
    SG_SSHD_LOG=${SG_SSHD_LOG:-$SG_HOST_DIR/sshd.log}
    /usr/sbin/sshd -t -h "$SG_HOST_DIR/ssh_host_ed25519_key" || sg_die "sshd -t: the configuration is broken"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 40000))
        sg_port_free "$port" || continue
        : >"$SG_SSHD_LOG"
        ${SG_SSHD_WRAPPER:-} /usr/sbin/sshd -D -E "$SG_SSHD_LOG" -h "$SG_HOST_DIR/ssh_host_ed25519_key" \
            -o "ListenAddress=127.0.0.1:$port" -o PidFile=none -o MaxStartups=100:30:200 \
            -o LogLevel=VERBOSE &
        SG_SSHD_PID=$!
        if sg_wait_for 10 sg_sshd_listening "$port"; then
            SG_SSH_PORT=$port
            printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$SG_HOST_DIR/ssh_host_ed25519_key.pub")" \
                >"$SG_HOST_DIR/known_hosts"
            return 0
        fi
        kill "$SG_SSHD_PID" 2>/dev/null
        wait "$SG_SSHD_PID" 2>/dev/null
    done
    cat "$SG_SSHD_LOG" >&2
    sg_die "sshd did not start"
}

# sg_sshd_restart: after sg_sshd_integration on|off (a new port).
sg_sshd_restart() {
    sg_sshd_stop
    sg_sshd_start
}

sg_sshd_listening() {
    kill -0 "$SG_SSHD_PID" && ! sg_port_free "$1"
}

sg_sshd_stop() {
    [ -n "${SG_SSHD_PID:-}" ] || return 0
    kill "$SG_SSHD_PID" 2>/dev/null || true
    wait "$SG_SSHD_PID" 2>/dev/null || true
    SG_SSHD_PID=
}

# sg_ssh [-a ANSWERS] USER [SSH-OPTION...] [-- COMMAND...]: logs USER in with its key and
# answers the keyboard-interactive prompts with ANSWERS (one per line; default: a good
# reason). The session has a terminal (-tt), as a person's has: staff without export get
# nothing else (SPEC §8); pass -T for a session without one. With a terminal the remote
# stdout and stderr both come to stdout, with CRLF line ends. Returns ssh's exit status;
# stdout and stderr are ssh's. After the call, $SG_LAST_PROMPTS names the file listing the
# prompts the login got.
sg_ssh() {
    local answers="Ticket 4711: customer reported a failing backup" u
    if [ "$1" = -a ]; then
        answers=$2
        shift 2
    fi
    local opts=()
    u=$1
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    SG_LAST_PROMPTS=$(mktemp "$SG_HOST_DIR/prompts.XXXXXX")
    SG_ANSWERS=$answers SG_ASKPASS_STATE=$SG_LAST_PROMPTS \
        SSH_ASKPASS="$SG_HOST_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY='' \
        ssh -F /dev/null -p "$SG_SSH_PORT" -i "$SG_HOST_DIR/keys/$u" -o IdentitiesOnly=yes \
        -o UserKnownHostsFile="$SG_HOST_DIR/known_hosts" -o StrictHostKeyChecking=no \
        -o BatchMode=no -o PreferredAuthentications=publickey,keyboard-interactive \
        -o ConnectTimeout=10 -o ServerAliveInterval=2 -o ServerAliveCountMax=3 \
        -o User="$u" -tt "${opts[@]}" 127.0.0.1 "$@"
}

# sg_ssh_opts USER: the options sg_ssh uses, for scp/sftp/rsync -e (no answers: set
# SG_ANSWERS, SG_ASKPASS_STATE, SSH_ASKPASS* yourself, or use sg_with_askpass).
sg_ssh_opts() {
    printf '%s\n' -F /dev/null -P "$SG_SSH_PORT" -i "$SG_HOST_DIR/keys/$1" -o IdentitiesOnly=yes \
        -o UserKnownHostsFile="$SG_HOST_DIR/known_hosts" -o StrictHostKeyChecking=no \
        -o BatchMode=no -o PreferredAuthentications=publickey,keyboard-interactive \
        -o ConnectTimeout=10 -o User="$1"
}

# sg_ssh_command USER: the ssh command line for rsync -e (the paths hold no blanks: mktemp).
sg_ssh_command() {
    local o
    mapfile -t o < <(sg_ssh_opts "$1")
    echo "ssh -F /dev/null -p $SG_SSH_PORT ${o[*]:4}"
}

# sg_ssh_password USER PASSWORD CMD...: a password login (no key, no keyboard-interactive),
# as a customer logs in; the output of CMD on stdout.
sg_ssh_password() {
    local u=$1 pw=$2
    shift 2
    sg_with_askpass -a "$pw" ssh -F /dev/null -p "$SG_SSH_PORT" -o BatchMode=no \
        -o UserKnownHostsFile="$SG_HOST_DIR/known_hosts" -o StrictHostKeyChecking=no \
        -o PubkeyAuthentication=no -o PreferredAuthentications=password -o ConnectTimeout=10 \
        -o User="$u" 127.0.0.1 "$@"
}

# sg_with_askpass [-a ANSWERS] CMD...: CMD (scp, sftp, rsync) with the askpass answers set.
sg_with_askpass() {
    local answers="Ticket 4711: customer reported a failing backup"
    if [ "$1" = -a ]; then
        answers=$2
        shift 2
    fi
    SG_LAST_PROMPTS=$(mktemp "$SG_HOST_DIR/prompts.XXXXXX")
    SG_ANSWERS=$answers SG_ASKPASS_STATE=$SG_LAST_PROMPTS \
        SSH_ASKPASS="$SG_HOST_DIR/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY='' "$@"
}

# --- everything --------------------------------------------------------------------------

# sg_host_setup BUILD_DIR: the whole host. Call inside the private host, after
# sg_private_host /etc /usr /var. With SG_HOST_INSTALL=deb the argument is the .deb.
sg_host_setup() {
    # useradd and make install only ever into the private host (see sg_private_host).
    [ "$$" = 1 ] && mountpoint -q /etc && mountpoint -q /home ||
        sg_die "sg_host_setup: not inside sg_private_host /etc /usr /var; refusing to touch the host"
    SG_HOST_DIR=$SG_WORK/host
    mkdir -p "$SG_HOST_DIR"
    chmod 0755 "$SG_HOST_DIR"
    case $SG_HOST_INSTALL in
    make) sg_host_install "$1" ;;
    deb) sg_host_install_deb "$1" ;;
    *) sg_die "SG_HOST_INSTALL=$SG_HOST_INSTALL: make or deb" ;;
    esac
    sg_host_users
    sg_daemon_start
    # bob is a human customer account, but root took his right away.
    /usr/bin/supportgrant rights revoke bob >/dev/null || sg_die "supportgrant rights revoke bob failed"
    sg_ssh_keys
    sg_sshd_integration on
    sg_sshd_start
}

# The host's own files that a test must never change; run outside the sandbox.
# sg_run_private_untouched ARGS...: sg_run_private, with the host's fingerprint taken before
# and after. Returns the inner run's status; if the host changed, prints the difference, sets
# SG_HOST_CHANGED=1 and returns 1 whatever the inner run said.
sg_run_private_untouched() {
    local before after rc=0
    SG_HOST_CHANGED=0
    before=$(sg_host_fingerprint)
    sg_run_private "$@" || rc=$?
    after=$(sg_host_fingerprint)
    if [ "$before" != "$after" ]; then
        SG_HOST_CHANGED=1
        echo "the host changed:"
        diff <(echo "$before") <(echo "$after") || true
        return 1
    fi
    return "$rc"
}

sg_host_fingerprint() {
    local f
    for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/security/supportgrant.conf; do
        if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi
    done
    find /etc/pam.d /etc/ssh -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum
    for f in /var/lib/supportgrant /usr/bin/supportgrant /usr/sbin/supportgrantd /run/supportgrant; do
        if [ -e "$f" ]; then echo "present $f"; else echo "absent $f"; fi
    done
}
