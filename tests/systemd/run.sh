#!/bin/bash
# The package's whole life under a booted systemd: a minimal Debian 12 (debootstrap, cached
# under build/systemd/) boots with systemd as PID 1 in systemd-nspawn, on an overlay so that the
# cached tree stays clean. As an administrator would, the test installs the built .deb with
# apt, checks the units (enabled, listening, started on first use, systemd-analyze verify and
# security), the journal catalog, runs README's wiring block verbatim, then the ssh story
# through the container's own sshd and logind: refusal, grant, reason, logins, revoke ending
# the session (a process that sudo made root included: cgroup.kill through the unit),
# restart, reboot, socket and service stopped, apt remove and apt purge.
#   tests/systemd/run.sh [BUILD_DIR]      (BUILD_DIR is not used: the .deb has its own build)
# SG_DEB=path.deb tests an existing package. Needs root, debootstrap and systemd-nspawn
# (make deps), and the Debian mirror apt uses, for the first run only.
set -euo pipefail
[ -z "${SG_TRACE:-}" ] || set -x
source "$(dirname "$0")/../lib/sandbox.sh"

sg_require_root "the booted-systemd tests (systemd-nspawn)"

CACHE=$SG_TOP/build/systemd/bookworm
# What the tree holds besides minbase: systemd as init, logind for session scopes, sshd and its
# client, sudo (a staff process that became root), man-db (systemd-analyze verify opens the
# units' Documentation= pages), and the package's libraries, so that apt
# installs the .deb with no network (the container has none).
INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,openssh-client,sudo,procps,man-db,libjson-c5,libsqlite3-0

# --- outside: the package, the cached tree, a private mount and pid namespace ------------------
if [ "${SG_IN_BOOT_NS:-}" != 1 ]; then
    for t in debootstrap systemd-nspawn nsenter; do
        command -v "$t" >/dev/null || sg_die "$t is missing: run 'make deps'"
    done
    SG_DEB=${SG_DEB:-$(sg_deb_build)} || exit 1
    # The tree: debootstrap once (about a minute), then reused while its recipe is the same.
    stamp="bookworm minbase $INCLUDE"
    if [ "$(cat "$CACHE.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$CACHE/lib/systemd/systemd" ]; then
        mirror=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' |
            awk '$2 == "bookworm" { print $1; exit }')
        [ -n "$mirror" ] || sg_die "no bookworm mirror in apt's sources (apt-get indextargets)"
        sg_log "debootstrap bookworm from $mirror into $CACHE (once; cached)"
        rm -rf "$CACHE" "$CACHE.tmp" "$CACHE.stamp"
        mkdir -p "$(dirname "$CACHE")"
        t0=$SECONDS
        debootstrap --variant=minbase --include="$INCLUDE" bookworm "$CACHE.tmp" "$mirror" \
            >"$CACHE.log" 2>&1 || { tail -20 "$CACHE.log"; sg_die "debootstrap failed ($CACHE.log)"; }
        mv "$CACHE.tmp" "$CACHE"
        echo "$stamp" >"$CACHE.stamp"
        sg_log "debootstrap took $((SECONDS - t0)) s"
    fi
    work=$(mktemp -d /tmp/supportgrant-systemd.XXXXXX)
    # systemd-nspawn --keep-unit makes its cgroups ("payload", "supervisor") under the one it
    # runs in: give it one of its own in each hierarchy, removed afterwards.
    cgroups=()
    while read -r mnt; do
        path=$(awk -F: -v m="$mnt" '(m ~ /unified$/ || m == "/sys/fs/cgroup") && $1 == 0 { print $3 }
            m ~ /systemd$/ && $2 == "name=systemd" { print $3 }' /proc/self/cgroup)
        cg=$mnt${path%/}/supportgrant-systemd-test.$$
        mkdir "$cg" 2>/dev/null && echo $$ >"$cg/cgroup.procs" && cgroups+=("$cg") || rmdir "$cg" 2>/dev/null || true
    done < <(awk '$3 == "cgroup2" || ($3 == "cgroup" && $4 ~ /name=systemd/) { print $2 }' /proc/self/mounts)
    rc=0
    # PID 1 of the new pid namespace is this script: when it ends, every process it started
    # (nspawn, the container, ssh) ends with it, and every mount goes with the namespace.
    SG_WORK=$work SG_IN_BOOT_NS=1 SG_DEB=$SG_DEB SG_OUTER_MNTNS=$(readlink /proc/self/ns/mnt) \
        unshare --mount --pid --fork --mount-proc --propagation private -- "$0" "$@" || rc=$?
    rm -rf "$work"
    for cg in "${cgroups[@]}"; do
        echo $$ >"$(dirname "$cg")/cgroup.procs"
        for i in $(seq 50); do
            find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null && break
            sleep 0.1
        done
        [ ! -d "$cg" ] || sg_log "note: $cg could not be removed"
    done
    exit "$rc"
fi

# --- inside the private namespaces ------------------------------------------------------------
[ -n "${SG_WORK:-}" ] && [ "$(readlink /proc/self/ns/mnt)" != "${SG_OUTER_MNTNS:-}" ] ||
    sg_die "not in a private mount namespace"
W=$SG_WORK
ROOT=$W/root
mkdir -p "$W/upper" "$W/ovwork" "$ROOT"
mount -t overlay overlay -o "lowerdir=$CACHE,upperdir=$W/upper,workdir=$W/ovwork" "$ROOT"
T0=$SECONDS

CT_PID='' NSPAWN_PID='' BOOTS=0
fails=0
pass() { echo "ok   systemd: $*"; }
fail() {
    echo "FAIL systemd: $1"
    [ -n "${OUT:-}" ] && echo "  out: ${OUT//$'\n'/$'\n'       }"
    [ -n "${ERR:-}" ] && echo "  err: ${ERR//$'\n'/$'\n'       }"
    if [ -n "$CT_PID" ]; then
        echo "  --- journal of the container (tail)"
        ct journalctl -b --no-pager -n 40 2>&1 | sed 's/^/  /'
    fi
    exit 1
}

# ct CMD...: CMD inside the container (all its namespaces), with a clean environment.
ct() {
    nsenter -t "$CT_PID" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# run CMD...: sets RC, OUT, ERR.
run() {
    RC=0
    "$@" >"$W/out" 2>"$W/err" </dev/null || RC=$?
    OUT=$(tr -d '\r' <"$W/out")
    ERR=$(tr -d '\r' <"$W/err")
}

# boot: systemd-nspawn boots the tree; waits until systemd says the boot is over.
boot() {
    BOOTS=$((BOOTS + 1))
    systemd-nspawn -q -D "$ROOT" --boot --keep-unit --register=no --private-network \
        --console=read-only >"$W/console.$BOOTS.log" 2>&1 </dev/null &
    NSPAWN_PID=$!
    CT_PID=''
    local i c
    for i in $(seq 200); do
        for c in $(pgrep -P "$NSPAWN_PID" 2>/dev/null); do
            [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && CT_PID=$c
        done
        [ -n "$CT_PID" ] && break
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$CT_PID" ] || { OUT=$(cat "$W/console.$BOOTS.log" || true); fail "boot $BOOTS: systemd-nspawn starts systemd"; }
    # systemctl answers once PID 1 has its private socket; then it waits for the boot to end.
    for i in $(seq 100); do
        run timeout 60 nsenter -t "$CT_PID" -a -- systemctl is-system-running --wait
        [[ -n $OUT ]] && break
        sleep 0.1
    done
    [[ $OUT == running ]] || { ERR=$(ct systemctl --failed --no-legend 2>&1 || true); fail "boot $BOOTS: the system is running"; }
}
# halt: the container powers off (systemctl poweroff or reboot inside); nspawn exits.
wait_down() {
    local i
    for i in $(seq 300); do
        kill -0 "$NSPAWN_PID" 2>/dev/null || { CT_PID=''; return 0; }
        sleep 0.1
    done
    fail "the container shuts down within 30 s"
}
trap 'if [ -n "$NSPAWN_PID" ]; then kill "$NSPAWN_PID" 2>/dev/null || true; fi' EXIT

# snapshot: what an administrator compares before the install and after the purge: every path,
# mode, owner and content under /etc/pam.d, /etc/ssh, /etc/security and /var/lib. Left out are
# the package manager's own records and systemd's per-boot state, which every install and boot
# changes whatever the package.
snapshot() {
    local where=(etc/pam.d etc/ssh etc/security var/lib \( -path var/lib/dpkg -o -path var/lib/apt
        -o -path var/lib/systemd/random-seed -o -path var/lib/systemd/timers \) -prune -o)
    (
        cd "$ROOT"
        find "${where[@]}" -printf '%p %m %U:%G %y\n' | sort
        find "${where[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
    )
}

# The answers ssh's askpass gives: the reason for key + keyboard-interactive logins, a
# password for password logins; every prompt is kept in /root/prompts.
cat >"$ROOT/usr/local/bin/sg-askpass" <<'SHEOF'
#!/bin/sh
printf '%s\n' "$1" >>/root/prompts
case $1 in
*assword*) printf '%s\n' "$SG_PASSWORD" ;;
*) printf '%s\n' "$SG_REASON" ;;
esac
SHEOF
chmod 0755 "$ROOT/usr/local/bin/sg-askpass"
cp "$SG_DEB" "$ROOT/root/"
DEB=/root/$(basename "$SG_DEB")

SSHOPTS=(-F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=/dev/null
    -o StrictHostKeyChecking=no -o BatchMode=no -o ConnectTimeout=10
    -o ServerAliveInterval=2 -o ServerAliveCountMax=3)
# ct_ssh USER REASON CMD...: USER's key login through the container's sshd, a terminal, the
# reason REASON when asked.
ct_ssh() {
    local u=$1 reason=$2
    shift 2
    : >"$ROOT/root/prompts"
    ct env SSH_ASKPASS=/usr/local/bin/sg-askpass SSH_ASKPASS_REQUIRE=force DISPLAY= \
        SG_REASON="$reason" ssh "${SSHOPTS[@]}" -i "/root/keys/$u" \
        -o PreferredAuthentications=publickey,keyboard-interactive -tt "$u@127.0.0.1" "$@"
}
# ct_ssh_password USER PASSWORD CMD...: a customer's password login.
ct_ssh_password() {
    local u=$1 pw=$2
    shift 2
    : >"$ROOT/root/prompts"
    ct env SSH_ASKPASS=/usr/local/bin/sg-askpass SSH_ASKPASS_REQUIRE=force DISPLAY= \
        SG_PASSWORD="$pw" ssh "${SSHOPTS[@]}" -o PubkeyAuthentication=no \
        -o PreferredAuthentications=password "$u@127.0.0.1" "$@"
}
as() {
    local u=$1
    shift
    ct setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
}
grants_json() { as alice supportgrant --json list; }

# ==== first boot: the tree as debootstrap left it =============================================
boot
snapshot >"$W/before"
pass "boot 1: systemd $(ct systemctl --version | awk 'NR == 1 { print $2 }') is PID 1 and the system is running"

# Users: alice (customer, may activate), jdoe and kim (staff, once the wiring made the group).
ct useradd -m -s /bin/bash -c "Customer admin" alice
ct useradd -m -s /bin/bash -c "Support staff" jdoe
ct useradd -m -s /bin/bash -c "Support staff" kim
PW="customer password $RANDOM"
printf 'alice:%s\n' "$PW" | nsenter -t "$CT_PID" -a -- chpasswd
mkdir -p "$ROOT/root/keys"
for u in jdoe kim; do
    ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$ROOT/root/keys/$u"
    install -d -m 0700 "$ROOT/home/$u/.ssh"
    install -m 0600 "$ROOT/root/keys/$u.pub" "$ROOT/home/$u/.ssh/authorized_keys"
    ct chown -R "$u:$u" "/home/$u/.ssh"
done
# jdoe may become root with sudo: what the session scope must still end.
echo 'jdoe ALL=(root) NOPASSWD: ALL' >"$ROOT/etc/sudoers.d/jdoe"
chmod 0440 "$ROOT/etc/sudoers.d/jdoe"
run ct_ssh_password alice "$PW" id -un
[[ $RC == 0 && $OUT == alice ]] || fail "before the install: alice logs in over ssh with her password"

# ==== apt install ./supportgrant_*.deb ===========================================================
run ct apt-get install -y -q --no-install-recommends "$DEB"
[[ $RC == 0 ]] || fail "apt install $DEB (offline: its dependencies are in the tree)"
run ct systemctl is-enabled supportgrant.socket
[[ $OUT == enabled ]] || fail "the socket is enabled"
run ct systemctl is-active supportgrant.socket supportgrant.service
[[ $OUT == $'active\ninactive' ]] || fail "the socket listens; the service waits for the first request"
run ct stat -c '%a %F' /run/supportgrant/socket
[[ $OUT == "666 socket" ]] ||
    fail "/run/supportgrant/socket is a socket, mode 0666"
run as alice supportgrant status
[[ $RC == 0 ]] || fail "alice asks the daemon through the socket"
run ct systemctl is-active supportgrant.service
[[ $OUT == active ]] || fail "the first request started supportgrant.service"
run ct stat -c '%a %U' /var/lib/supportgrant
[[ $OUT == "700 root" ]] || fail "/var/lib/supportgrant is 0700 root"
pass "apt install: socket enabled and listening (0666), the daemon started on first use"

run ct systemd-analyze verify supportgrant.socket supportgrant.service
[[ $RC == 0 && -z $OUT && -z $ERR ]] || fail "systemd-analyze verify: clean"
run ct systemd-analyze security --no-pager supportgrant.service
score=$(sed -n 's/^→ Overall exposure level for supportgrant.service: \([0-9.]*\).*/\1/p' <<<"$OUT")
[[ -n $score ]] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
    { OUT=$(tail -3 <<<"$OUT"); fail "systemd-analyze security supportgrant.service ≤ 2.0"; }
pass "systemd-analyze verify clean; security exposure $score (≤ 2.0)"

# ==== README's wiring block, verbatim ============================================================
block=$(awk '/<!-- wiring: begin -->/ { on = 1; next } /<!-- wiring: end -->/ { on = 0 }
             on && /^```/ { fence = !fence; next } on && fence' "$SG_TOP/README.md")
[ -n "$block" ] || fail "README has a wiring block"
run ct bash -e -c "$block"
[[ $RC == 0 ]] || fail "README's wiring block runs and its supportgrant doctor exits 0"
ct usermod -aG onoffice-staff jdoe
ct usermod -aG onoffice-staff kim
run ct supportgrant doctor
[[ $RC == 0 && $OUT == *"Staff are gated everywhere this can check."* ]] ||
    fail "supportgrant doctor with staff members: exit 0"
pass "README's wiring block runs verbatim under systemd (systemctl reload ssh); doctor exits 0"

# ==== the ssh story ==============================================================================
run ct_ssh jdoe "no grant yet" true
[[ $RC == 255 && $ERR == *"Support access for jdoe is not activated on this host"* ]] ||
    fail "jdoe without a grant is refused"
pass "no grant: jdoe's ssh login is refused with the message"

run as alice supportgrant --json grant jdoe --period 1w
[[ $RC == 0 ]] || fail "alice grants jdoe for a week"
G1=$(jq -r .id <<<"$OUT")
run ct journalctl -x --no-pager -o short _UID=0 SUPPORTGRANT_EVENT=grant-created "SUPPORTGRANT_GRANT_ID=$G1"
[[ $OUT == *"alice activated support access (grant $G1)"* && $OUT == *"The time counts from"* ]] ||
    fail "journalctl -x explains grant-created with the catalog text"
pass "grant $G1: journalctl -x shows the catalog text"

REASON="Ticket 7001: nightly backup fails under systemd"
# shellcheck disable=SC2016 # expanded by the remote shell
run ct_ssh jdoe "$REASON" 'id -un; echo "export=$SUPPORTGRANT_EXPORT"'
[[ $RC == 0 && $OUT == $'jdoe\nexport=no' ]] || fail "jdoe logs in with the grant"
grep -q 'Reason for this login' "$ROOT/root/prompts" || { OUT=$(cat "$ROOT/root/prompts"); fail "the login asked the reason"; }
run as alice supportgrant --json logins --user jdoe --limit 1
[[ $(jq -r '.[0] | .outcome + "|" + .reason + "|" + .service' <<<"$OUT") == "accepted|$REASON|sshd" ]] ||
    fail "supportgrant logins shows the login with its reason"
run ct journalctl --no-pager -o cat _UID=0 SUPPORTGRANT_EVENT=login-accepted SUPPORTGRANT_USER=jdoe
[[ $OUT == *"$REASON"* ]] || fail "the journal has login-accepted with the reason"
pass "grant: the login asks the reason; logins and the journal hold it"

# A live session in which jdoe became root with sudo (which asks the reason too: the profile
# gates sudo's account phase; -S reads it from stdin) and left a root process in a session of
# its own, without a terminal: no signal by uid or terminal reaches it, only the session's
# cgroup (logind's session scope, ended with cgroup.kill by the daemon under its unit).
S=$W/session1
mkdir -p "$S"
(
    rc=0
    ct_ssh jdoe "$REASON" 'echo "Ticket 7001: root for the backup job" | sudo -S sh -c "setsid sleep 602 </dev/null >/dev/null 2>&1 &" >/dev/null 2>&1; echo session-up; exec sleep 600' \
        >"$S/out" 2>"$S/err" || rc=$?
    echo "$rc" >"$S/rc"
) &
sg_wait_for 15 grep -q session-up "$S/out" || { ERR=$(cat "$S/err"); fail "jdoe's session starts"; }
root_sleep() { ct pgrep -u root -x -f 'sleep 602'; }
sg_wait_for 5 root_sleep >/dev/null || { OUT=$(ct ps -ef || true); fail "sudo made a root process in jdoe's session"; }
RP=$(root_sleep)
run ct cat "/proc/$RP/cgroup"
[[ $OUT == *"/user.slice/user-$(ct id -u jdoe).slice/session-"*".scope" ]] ||
    fail "the root process is in jdoe's logind session scope"
t0=$(date +%s.%N)
run as alice supportgrant revoke "$G1"
[[ $RC == 0 ]] || fail "alice revokes grant $G1"
sg_wait_for 5 test -e "$S/rc" || fail "revoke: the ssh connection closes within 5 s"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
sg_wait_for 3 sh -c "! nsenter -t $CT_PID -a -- pgrep -u root -x -f 'sleep 602' >/dev/null" ||
    fail "revoke: the root process sudo left in the session is gone"
sg_wait_for 3 sh -c "! nsenter -t $CT_PID -a -- pgrep -u jdoe >/dev/null" || fail "revoke: no process of jdoe remains"
run as alice supportgrant --json logins --user jdoe --limit 1
[[ $(jq -r '.[0].end' <<<"$OUT") == terminated ]] || fail "revoke: the login row ends 'terminated'"
pass "revoke ends the session in $took s, the process sudo made root included (cgroup.kill under the unit)"

# ==== systemctl restart keeps grants and live sessions ===========================================
run as alice supportgrant --json grant jdoe --period 1w --note "kept across restart and reboot"
[[ $RC == 0 ]] || fail "alice grants jdoe again"
G2=$(jq -r .id <<<"$OUT")
S=$W/session2
mkdir -p "$S"
(
    rc=0
    ct_ssh jdoe "$REASON" 'echo session-up; exec sleep 600' >"$S/out" 2>"$S/err" || rc=$?
    echo "$rc" >"$S/rc"
) &
sg_wait_for 15 grep -q session-up "$S/out" || { ERR=$(cat "$S/err"); fail "jdoe's second session starts"; }
main_pid() { ct systemctl show -p MainPID --value supportgrant.service; }
P1=$(main_pid)
run ct systemctl restart supportgrant.service
[[ $RC == 0 ]] || fail "systemctl restart supportgrant.service"
P2=$(main_pid)
[[ $P2 != 0 && $P2 != "$P1" ]] || fail "the restart started a new daemon ($P1 → $P2)"
sleep 3 # the new daemon's first sweeps (at start, and its one-second process check)
[[ ! -e $S/rc ]] && ct pgrep -u jdoe -x -f 'sleep 600' >/dev/null || fail "restart: jdoe's live session goes on"
run grants_json
[[ $(jq -r --argjson g "$G2" '[.[] | select(.id == $g)] | length' <<<"$OUT") == 1 ]] || fail "restart: grant $G2 is still active"
pass "systemctl restart: a new daemon; grant $G2 and jdoe's live session stay"

# ==== an upgrade: the running daemon is the new one; grants and the live session stay ==========
# The same package with a higher version (repacked: only its version differs).
mkdir -p "$W/up"
dpkg-deb -R "$SG_DEB" "$W/up/pkg"
V0=$(sed -n 's/^Version: //p' "$W/up/pkg/DEBIAN/control")
sed -i "s/^Version: .*/Version: $V0+up1/" "$W/up/pkg/DEBIAN/control"
dpkg-deb -b -Zgzip "$W/up/pkg" "$ROOT/root/upgrade.deb" >/dev/null
P1=$(main_pid)
run ct apt-get install -y -q --no-install-recommends /root/upgrade.deb
[[ $RC == 0 ]] || fail "apt install: the upgrade to $V0+up1"
run ct dpkg-query -W -f '${Version}' supportgrant
[[ $OUT == "$V0+up1" ]] || fail "the upgrade is installed"
P2=$(main_pid)
[[ $P2 != 0 && $P2 != "$P1" ]] || fail "the upgrade restarted the running daemon ($P1 → $P2)"
run ct readlink "/proc/$P2/exe"
[[ $OUT == /usr/sbin/supportgrantd ]] || fail "the daemon runs the installed binary, not a deleted one ($OUT)"
sleep 3
[[ ! -e $S/rc ]] && ct pgrep -u jdoe -x -f 'sleep 600' >/dev/null || fail "upgrade: jdoe's live session goes on"
run grants_json
[[ $(jq -r --argjson g "$G2" '[.[] | select(.id == $g)] | length' <<<"$OUT") == 1 ]] || fail "upgrade: grant $G2 is still active"
pass "upgrade to $V0+up1: the running daemon restarted on the new binary; grant $G2 and the live session stay"

# ==== reboot: grants stay, and a grant that expired meanwhile stays expired ======================
run as alice supportgrant --json grant kim --period 1h
[[ $RC == 0 ]] || fail "alice grants kim for an hour"
GK=$(jq -r .id <<<"$OUT")
# kim's grant is made to end during the reboot (its expiry moved 5 s ahead, as the e2e tests do;
# the daemon is stopped meanwhile: the one writer is the test).
ct systemctl stop supportgrant.service 2>/dev/null # "can still be activated by" the socket
DB=$ROOT/var/lib/supportgrant/supportgrant.db
GK_END=$(($(date +%s) + 5))
sqlite3 "$DB" "UPDATE grants SET expires_at = $GK_END WHERE id = $GK"
ct systemctl reboot || true
wait_down
[[ -e $S/rc ]] || fail "the reboot ended jdoe's ssh session"
while [ "$(date +%s)" -le "$GK_END" ]; do sleep 0.2; done
boot
run ct systemctl is-active supportgrant.socket
[[ $OUT == active ]] || fail "boot 2: the socket listens again"
run grants_json
[[ $(jq -r '[.[].id] | map(tostring) | join(" ")' <<<"$OUT") == "$G2" ]] ||
    fail "boot 2: grant $G2 is active, kim's grant $GK is not"
run ct_ssh kim "Ticket 7002: after the reboot" true
[[ $RC == 255 && $ERR == *"Support access for kim is not activated on this host"* ]] ||
    fail "boot 2: kim, whose grant expired during the reboot, is refused"
run ct_ssh jdoe "Ticket 7003: after the reboot" 'id -un'
[[ $RC == 0 && $OUT == jdoe ]] || fail "boot 2: jdoe logs in with grant $G2"
pass "reboot (systemctl reboot, boot 2): grant $G2 kept, kim's grant $GK expired during the reboot and stays so"

# ==== socket and service stopped: staff refused before any question, customers unaffected =======
run ct systemctl stop supportgrant.socket supportgrant.service
[[ $RC == 0 ]] || fail "systemctl stop supportgrant.socket supportgrant.service"
run ct_ssh jdoe "must not be asked" true
[[ $RC == 255 && $ERR == *"supportgrantd does not answer"* ]] || fail "daemon down: jdoe is refused, told why"
! grep -q 'Reason' "$ROOT/root/prompts" || { OUT=$(cat "$ROOT/root/prompts"); fail "daemon down: jdoe is refused before being asked a reason"; }
run ct_ssh_password alice "$PW" id -un
[[ $RC == 0 && $OUT == alice ]] || fail "daemon down: alice logs in over ssh with her password"
run ct systemctl start supportgrant.socket
run ct_ssh jdoe "Ticket 7004: daemon back" 'id -un'
[[ $RC == 0 && $OUT == jdoe ]] || fail "socket started again: jdoe logs in"
pass "socket and service stopped: jdoe refused before any question, alice logs in; started again, jdoe logs in"

# ==== apt remove locks nobody out; apt purge leaves the host as before the install ===============
run ct apt-get remove -y -q supportgrant
[[ $RC == 0 ]] || fail "apt remove supportgrant"
[[ $OUT == *"/etc/pam.d/sshd (its line has module_unknown=ignore"* ]] ||
    fail "apt remove names /etc/pam.d/sshd, whose auth line stays"
run ct_ssh_password alice "$PW" id -un
[[ $RC == 0 && $OUT == alice ]] || fail "after apt remove: alice logs in over ssh with her password"
pass "apt remove: prerm names /etc/pam.d/sshd; alice's password ssh login works"

# What README's "Uninstall" leaves to the administrator, then the purge.
ct sed -i '/pam_supportgrant\.so/d' /etc/pam.d/sshd
ct rm /etc/ssh/sshd_config.d/supportgrant.conf
ct systemctl reload ssh
run ct apt-get purge -y -q supportgrant
[[ $RC == 0 ]] || fail "apt purge supportgrant"
snapshot >"$W/after"
OUT=$(diff "$W/before" "$W/after" || true)
[[ -z $OUT ]] || fail "apt purge: /etc/pam.d, /etc/ssh, /etc/security and /var/lib as before the install"
run ct_ssh_password alice "$PW" id -un
[[ $RC == 0 && $OUT == alice ]] || fail "after apt purge: alice logs in over ssh with her password"
pass "apt purge: /etc/pam.d, /etc/ssh, /etc/security and /var/lib as before the install"

ct systemctl poweroff || true
wait_down
echo "systemd: all checks passed in $((SECONDS - T0)) s (two boots; debootstrap cache $CACHE)"
