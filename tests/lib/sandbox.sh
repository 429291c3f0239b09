# shellcheck shell=bash
# A private host for tests (see ../shared/HOST-FACTS.md "Testing without touching the host"):
# mount + pid namespaces, overlays over /etc, /usr and /var, tmpfs over /run and /home, a real
# journald. Source it. Every mount lives in the private namespace and every file the tests
# write lands in a temporary directory that is removed afterwards: the host stays untouched.

SG_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

sg_log() { printf '%s\n' "$*" >&2; }
sg_die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# Tests that need root (namespaces, journald, real users) skip with a clear message otherwise.
sg_require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: $1 needs root (mount/pid namespaces, a private journald); run 'make check' as root"
        exit 77
    fi
}

# sg_run_private "$@": runs the calling script again inside fresh namespaces and returns its
# status. The outer run owns $SG_WORK (overlay upper dirs, scratch) and removes it.
# The inner run sees SG_IN_PRIVATE=1 and must call sg_private_host.
# SG_IN_PRIVATE and SG_WORK go to the inner run only: exported here they would reach every
# later child of the outer run, which would then take itself for the inner run and mount
# over the real host (seen: a script run after sg_run_private useradd'ed on the host's /etc).
sg_run_private() {
    local rc=0 work
    work=$(mktemp -d /tmp/supportgrant-test.XXXXXX)
    chmod 0755 "$work"
    # Only the inner run gets SG_IN_PRIVATE: exported here, it would stay set in the calling
    # script, and a later script it starts would take the host for a private one.
    SG_WORK=$work SG_IN_PRIVATE=1 SG_OUTER_MNTNS=$(readlink /proc/self/ns/mnt) \
        unshare --mount --pid --fork --mount-proc --propagation private -- "$0" "$@" || rc=$?
    # Anything left mounted died with the namespace; the scratch directory goes now.
    rm -rf "$work"
    return "$rc"
}

# sg_private_host DIR...: overlays over each DIR (e.g. /etc /var /usr), tmpfs over /run and
# /home, then a real journald.
sg_private_host() {
    local d name
    # Never mount over the real host: refuse unless sg_run_private made this namespace.
    if [ -z "${SG_OUTER_MNTNS:-}" ] || [ -z "${SG_WORK:-}" ] ||
        [ "$(readlink /proc/self/ns/mnt)" = "$SG_OUTER_MNTNS" ]; then
        sg_die "sg_private_host outside a private namespace (use sg_run_private)"
    fi
    for d in "$@"; do
        name=$(echo "$d" | tr / _)
        mkdir -p "$SG_WORK/ov/$name/upper" "$SG_WORK/ov/$name/work"
        mount -t overlay overlay \
            -o "lowerdir=$d,upperdir=$SG_WORK/ov/$name/upper,workdir=$SG_WORK/ov/$name/work" "$d"
    done
    mount -t tmpfs -o mode=0755 tmpfs /run
    mount -t tmpfs -o mode=0755 tmpfs /home
    mkdir -p /run/lock /run/user
    sg_start_journald
}

# A real journald, volatile: tests read what the code really sent.
sg_start_journald() {
    mkdir -p /run/systemd/journal /run/log /etc/systemd
    rm -rf /etc/systemd/journald.conf.d
    printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\nForwardToConsole=no\nRateLimitBurst=0\n' \
        >/etc/systemd/journald.conf
    # journald refuses to run without a machine ID, which a fresh container or chroot may
    # lack. Give the private host one; only ever in an overlaid /etc.
    if [ ! -s /etc/machine-id ]; then
        grep -q ' /etc overlay ' /proc/self/mounts || sg_die "no /etc/machine-id and /etc is not private"
        tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id
    fi
    env -u LD_PRELOAD /lib/systemd/systemd-journald >"$SG_WORK/journald.log" 2>&1 &
    SG_JOURNALD_PID=$!
    sg_wait_for 10 test -d /run/log/journal ||
        { cat "$SG_WORK/journald.log"; sg_die "journald did not start"; }
}

sg_journal_sync() {
    env -u LD_PRELOAD journalctl --sync >/dev/null 2>&1 || true
}

# sg_journal MATCH...: the journal entries that match, as JSON lines.
sg_journal() {
    sg_journal_sync
    env -u LD_PRELOAD journalctl -D /run/log/journal -o json --no-pager "$@" 2>/dev/null
}

# sg_user_copy FILE: a copy of the built program FILE that every user may run, under the
# sandbox's own 0755 work directory; prints its path. Tests run programs as other users from
# there, never from the build directory: a checkout may sit where only root can enter (/root,
# a mktemp -d directory).
sg_user_copy() {
    mkdir -p "$SG_WORK/bin"
    chmod 0755 "$SG_WORK/bin"
    install -m 0755 "$1" "$SG_WORK/bin/" || sg_die "cannot copy $1 for the test users"
    echo "$SG_WORK/bin/$(basename "$1")"
}

# sg_deb_build: prints the path of ./supportgrant_VERSION_ARCH.deb, built first (make deb) when
# missing or older than a source, so that no test passes on a stale package. Outside any
# sandbox: it writes only into the checkout.
sg_deb_build() {
    local version arch deb log
    version=$(dpkg-parsechangelog -l "$SG_TOP/packaging/debian/changelog" -S Version)
    arch=$(dpkg-architecture -qDEB_HOST_ARCH)
    deb=$SG_TOP/supportgrant_${version}_$arch.deb
    if [ ! -f "$deb" ] || [ -n "$(cd "$SG_TOP" && find Makefile README.md SECURITY.md common helper \
        pam_module conf packaging -newer "$deb" -type f -print -quit)" ]; then
        sg_log "building $deb"
        log=$(mktemp)
        make -C "$SG_TOP" -s deb >"$log" 2>&1 || { tail -40 "$log" >&2; rm -f "$log"; sg_die "make deb failed"; }
        rm -f "$log"
    fi
    echo "$deb"
}

# sg_wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
sg_wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    while ! "$@" 2>/dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
    return 0
}
