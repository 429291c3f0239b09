#!/bin/bash
# The PAM module through real Linux-PAM stacks (pam_start_confdir), with real users and groups
# (useradd in an overlay over /etc), a real journald and the real daemon on a real socket.
#   tests/pam/run.sh BUILD_DIR [valgrind]
set -euo pipefail
source "$(dirname "$0")/../lib/sandbox.sh"

B=$(cd "${1:?usage: run.sh BUILD_DIR [valgrind]}" && pwd)
MODE=${2:-}
sg_require_root "the PAM module tests"

if [ "${SG_IN_PRIVATE:-}" != 1 ]; then
    sg_run_private "$@"
    exit $?
fi

sg_private_host /etc /var

# Customers, staff and departments, as on a real host.
groupadd onoffice-staff
groupadd onoffice-support
groupadd onoffice-development
useradd -m alice
useradd -m -G onoffice-staff,onoffice-support jdoe
useradd -m -G onoffice-staff,onoffice-development mdev
useradd -m -g onoffice-staff sam   # staff through the primary group, no department
groupadd vendor-staff
useradd -m -G vendor-staff vic      # staff only where staff_group = vendor-staff

# A user directory after the local files (tests/nss/nss_sgdir.c), switched by the tests between
# working and failing: dana and dora live only there; lena is local, but her staff group
# dir-staff is the directory's; the directory also has a group onoffice-staff of its own, with
# another gid than the local one (a local group shadowing the directory's: staff by name).
useradd -m lena
mkdir -p /run/sgdir
printf 'dana:x:7001:7001:Directory staff:/nonexistent:/bin/sh\ndora:x:7002:7001:Directory staff:/nonexistent:/bin/sh\n' >/run/sgdir/passwd
printf 'dir-staff:x:7000:dana,lena\ndir-users:x:7001:\nonoffice-staff:x:7100:dora\n' >/run/sgdir/group
echo up >/run/sgdir/mode
chmod 0644 /run/sgdir/*
sed -i -e 's/^\(passwd\|group\):.*/& sgdir/' /etc/nsswitch.conf
export LD_LIBRARY_PATH=$B/tests/nss${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
[ "$(id -un dana 2>/dev/null)" = dana ] && [ "$(getent group dir-staff | cut -d: -f3)" = 7000 ] ||
    sg_die "the directory stand-in (libnss_sgdir) does not answer"

T=$SG_WORK/pam
mkdir -p "$T/etc" "$T/lib" "$T/run" "$T/pam.d"
chmod 0755 "$T" "$T/etc"
chmod 0700 "$T/lib"
cat >"$T/etc/supportgrant.conf" <<EOF
# PAM module tests
database = $T/lib/supportgrant.db
socket = $T/run/socket
EOF
# The daemon only answers Ping here: the tests open sessions from their own process, which a
# terminating daemon would rightly signal.
sed 's/^# PAM module tests/terminate_sessions = no/' "$T/etc/supportgrant.conf" >"$T/etc/daemon.conf"
chmod 0644 "$T/etc/"*.conf

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$B/supportgrantd" --socket "$T/run/socket" --foreground --conf "$T/etc/daemon.conf" \
    2>"$T/daemon.log" &
DAEMON=$!
sg_wait_for 10 test -S "$T/run/socket" || { cat "$T/daemon.log"; sg_die "supportgrantd did not start"; }
sg_wait_for 10 test -f "$T/lib/supportgrant.db" || sg_die "supportgrantd did not create the database"

export SG_TEST_DIR=$T SG_MODULE=$B/pam_supportgrant.so SG_DAEMON=$B/supportgrantd
rc=0
if [ "$MODE" = valgrind ]; then
    valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect --track-fds=no \
        "$B/tests/pam/test_pam" || rc=$?
else
    "$B/tests/pam/test_pam" || rc=$?
fi

kill "$DAEMON" 2>/dev/null || true
wait "$DAEMON" 2>/dev/null || true
if grep -q 'ERROR: AddressSanitizer\|runtime error' "$T/daemon.log"; then
    cat "$T/daemon.log"
    sg_die "supportgrantd reported a sanitizer error"
fi
exit "$rc"
