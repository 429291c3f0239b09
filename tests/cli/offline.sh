#!/bin/bash
# Checks of the supportgrant CLI that need no daemon: usage errors, help and version,
# activation codes made by `request` and read back by `activate`, and what happens when
# supportgrantd cannot be reached. Usage: tests/cli/offline.sh BUILD_DIR
set -euo pipefail

B=${1:?usage: $0 BUILD_DIR}
SG=$(realpath "$B/supportgrant")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
NOSOCK=$T/no-such-socket
# Fixed zone and locale so the times and messages below are predictable.
export TZ=UTC LC_ALL=C

n=0
OUT='' ERR='' RC=0

# run ARGS...: runs the CLI with stdin not a terminal; sets OUT, ERR and RC.
run() {
        set +e
        "$SG" "$@" >"$T/out" 2>"$T/err" </dev/null
        RC=$?
        set -e
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}

fail() {
        echo "not ok $((n + 1)) - $1"
        echo "  exit status: $RC"
        echo "  stdout: ${OUT//$'\n'/$'\n'          }"
        echo "  stderr: ${ERR//$'\n'/$'\n'          }"
        exit 1
}

ok() {
        n=$((n + 1))
        echo "ok $n - $1"
}

# usage_error DESC ARGS...: exit 2, a message on stderr that points at the help, no output.
usage_error() {
        local desc=$1
        shift
        run "$@"
        [[ $RC == 2 && $ERR == supportgrant:* && $ERR == *--help* && -z $OUT ]] || fail "$desc"
        ok "$desc"
}

# A JSON field through sqlite3's JSON functions (sqlite3 is a test dependency; jq is not).
json_field() {
        printf '%s' "$1" >"$T/json"
        sqlite3 :memory: "SELECT json_extract(CAST(readfile('$T/json') AS TEXT), '$2');"
}
json_valid() {
        printf '%s' "$1" >"$T/json"
        [[ $(sqlite3 :memory: "SELECT json_valid(CAST(readfile('$T/json') AS TEXT));") == 1 ]]
}

# --- help and version -------------------------------------------------------------------

run --version
[[ $RC == 0 && $OUT =~ ^supportgrant\ [0-9]+\.[0-9]+ && -z $ERR ]] || fail "--version"
ok "--version prints the version"

run --help
[[ $RC == 0 && -z $ERR ]] || fail "--help exits 0"
for word in grant revoke list history logins request activate status rights gate \
        --limit --json --utc --socket --conf --since --until --period --export --note --yes; do
        [[ $OUT == *"$word"* ]] || fail "--help mentions $word"
done
ok "--help lists every command and option"

run help logins
[[ $RC == 0 && $OUT == *"Usage: supportgrant logins"* && $OUT == *--limit* ]] ||
        fail "help logins"
ok "'help COMMAND' shows that command's help"

run grant --help
[[ $RC == 0 && $OUT == *"Usage: supportgrant grant"* && $OUT != *--limit* ]] ||
        fail "grant --help"
ok "'COMMAND --help' shows only that command's options"

# --- usage errors (exit 2) ------------------------------------------------------------

usage_error "no command" --json
usage_error "unknown command" frobnicate
usage_error "unknown option" list --frobnicate
usage_error "option without its value" grant jdoe --period
usage_error "option that does not apply to the command" list --export
usage_error "extra argument" list extra
usage_error "grant without a target" grant
usage_error "grant with both a user and a department" grant jdoe --department support
usage_error "grant with a bad user name" grant 'j doe'
usage_error "grant with an unknown period" grant jdoe --period 3h
usage_error "grant with a control character in the note" grant jdoe --note $'a\033[2Jb'
usage_error "grant with a note that is too long" grant jdoe --note "$(printf 'x%.0s' {1..201})"
usage_error "revoke without a selector" revoke
usage_error "revoke with two selectors" revoke 3 --all
usage_error "revoke with a non-numeric ID" revoke abc
usage_error "revoke with ID 0" revoke 0
usage_error "revoke with a negative ID after --" revoke -- -3
usage_error "history with an unreadable --since" history --since yesterdayish
usage_error "history with --since after --until" history --since 2026-11-25 --until 2026-11-24
usage_error "logins with a negative --limit" logins --limit -1
usage_error "logins with a non-numeric --limit" logins --limit ten
usage_error "rights with an unknown action" rights frobnicate
usage_error "rights revoke without a user" rights revoke
usage_error "activate without a code" activate
usage_error "request for a user and a department" request --user a --department b

# None of the above may have tried to reach a daemon: they all ran with the default socket,
# which does not exist here or is not ours; exit 2 and not 69 shows they stopped first.

# --- request and activate ---------------------------------------------------------------

run request --user jdoe --period 4h --note "Ticket 4711: slow report"
[[ $RC == 0 && -z $ERR ]] || fail "request exits 0"
code=$(sed -n 2p <<<"$OUT" | tr -d ' ')
[[ $(sed -n 1p <<<"$OUT") == "Activation code for jdoe (4 hours, no data export):" &&
        $code == SG1-* &&
        $(sed -n 3p <<<"$OUT") == "Send this to the customer; an administrator there runs:" &&
        $(sed -n 4p <<<"$OUT") == "  supportgrant activate $code" ]] || fail "request output"
ok "request prints the code and the command to send"

run --json request --department support --period permanent --export --note "Wartung"
json_valid "$OUT" || fail "request --json is valid JSON"
jcode=$(json_field "$OUT" '$.code')
[[ $RC == 0 && $jcode == SG1-* &&
        $(json_field "$OUT" '$.command') == "supportgrant activate $jcode" &&
        $(json_field "$OUT" '$.kind') == department &&
        $(json_field "$OUT" '$.target') == support &&
        $(json_field "$OUT" '$.period') == permanent &&
        $(json_field "$OUT" '$.export') == 1 &&
        $(json_field "$OUT" '$.note') == Wartung &&
        $(json_field "$OUT" '$.created') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] ||
        fail "request --json fields"
ok "request --json prints the code object (options before the command work too)"

run request --user "$(id -un)"
mine=$(sed -n 2p <<<"$OUT" | tr -d ' ')
run request
[[ $RC == 0 && $(sed -n 1p <<<"$OUT") == "Activation code for $(id -un) ("* ]] ||
        fail "request defaults to the calling user"
[[ $(sed -n 2p <<<"$OUT" | tr -d ' ') != "$mine" ]] || fail "two codes differ (nonce)"
ok "request defaults to the calling user; every code is new"

run activate "$code" --yes --socket "$NOSOCK"
[[ $RC == 69 &&
        $OUT == *"This code activates support access for user jdoe for 4 hours (counted from now), data export: not allowed."* &&
        $OUT == *"Requested "*" UTC ("* && $OUT == *"Note: Ticket 4711: slow report"* &&
        $ERR == *"cannot reach supportgrantd at $NOSOCK"*"supportgrant.socket"* ]] ||
        fail "activate decodes the code, then cannot reach the daemon"
ok "activate shows what a code grants, then exits 69 without a daemon"

run activate "https://support.example.com/activate?code=$jcode&lang=de" --yes --socket "$NOSOCK"
[[ $RC == 69 && $OUT == *"for department support"*"permanently"*"data export: allowed."* ]] ||
        fail "activate takes a URL"
ok "activate accepts a URL with code= and reads export and period back"

run activate "$(tr '[:upper:]' '[:lower:]' <<<"$code" | tr -d -)" --yes --socket "$NOSOCK"
[[ $RC == 69 && $OUT == *"for user jdoe"* ]] || fail "activate takes lower case without dashes"
ok "activate accepts the code in lower case without dashes"

run activate "$code" --socket "$NOSOCK"
[[ $RC == 2 && $OUT == *"for user jdoe"* && $ERR == *--yes* && $ERR != *"cannot reach"* ]] ||
        fail "activate without a terminal and without --yes"
ok "activate refuses to go on without a terminal or --yes (exit 2)"

# One character changed (in the creation time, not a length field or the padding bits): the
# checksum catches it before any connection (exit 1, not 69).
[[ ${code:10:1} == 0 ]] && other=1 || other=0
run activate "${code:0:10}$other${code:11}" --yes --socket "$NOSOCK"
[[ $RC == 1 && $ERR == *"mistyped"* && -z $OUT && $ERR != *"cannot reach"* ]] ||
        fail "activate of a mistyped code"
ok "activate of a mistyped code exits 1 before connecting"

run activate "${code:0:24}" --yes --socket "$NOSOCK"
[[ $RC == 1 && $ERR == *"incomplete"* && -z $OUT ]] || fail "activate of a cut-off code"
ok "activate of an incomplete code exits 1"

run activate hello --yes --socket "$NOSOCK"
[[ $RC == 1 && $ERR == *"not an activation code"* ]] || fail "activate of something else"
ok "activate of text that is no code exits 1"

# --- no daemon --------------------------------------------------------------------------

for cmd in list history logins status rights "grant jdoe" "revoke --all" "rights revoke bob"; do
        # shellcheck disable=SC2086 # the command is several words on purpose
        run $cmd --socket "$NOSOCK"
        [[ $RC == 69 && -z $OUT &&
                $ERR == "supportgrant: cannot reach supportgrantd at $NOSOCK: No such file or directory"*"is supportgrant.socket running?"* ]] ||
                fail "$cmd without a daemon"
done
ok "every daemon command exits 69 with a hint when the socket is missing"

: >"$T/not-a-socket"
run --json list --socket "$T/not-a-socket"
[[ $RC == 69 && -z $OUT && $ERR == *"Connection refused"* ]] || fail "list on a non-socket"
ok "a path that is not a listening socket is unreachable too (exit 69)"

# gate without a daemon to ask: no export (fails closed). Without export a session gets a
# terminal and nothing else (SPEC §8): every command without one is refused and never runs (the
# touch would show it), transfer or not, plain or hidden in shell syntax.
long="env"
for _ in $(seq 40); do long+=" -u X"; done
refused=(
        'scp -f /etc/hostname'
        'rsync --server --sender -logDtpre.iLsfxCIvu . /etc/hostname'
        'cat /etc/hostname'
        'ls -d /etc'
        "sh -c 'cat /etc/hostname'"
        'python3 -c "print(open(\"/etc/hostname\").read())"'
        '\scp -f /etc/hostname'
        's$@cp -f /etc/hostname'
        '/usr/lib/openssh/sftp-server;'
        'a=sftp-ser;b=ver;exec /usr/lib/openssh/$a$b'
        'x=scp; $x -f /etc/hostname'
        "$long scp -f /etc/hostname"
        '/usr/lib/openssh/sftp-server -P read'
        ''
)
for cmd in "${refused[@]}"; do
        rm -f "$T/ran"
        SSH_ORIGINAL_COMMAND="$cmd; touch $T/ran" run gate --socket "$NOSOCK"
        [[ $RC == 1 && -z $OUT && ! -e $T/ran && $ERR == *"cannot be asked"* &&
                $ERR == *"interactive terminal"* && $ERR == *"this command was refused"* ]] ||
                fail "gate refuses '$cmd' without a terminal"
done
SSH_ORIGINAL_COMMAND="" run gate --socket "$NOSOCK"
[[ $RC == 1 && -z $OUT && $ERR == *"this command was refused"* ]] ||
        fail "gate refuses a login shell without a terminal (ssh -T)"
ok "gate without export: every command without a terminal is refused, never run (exit 1)"

# The positive twins: with a terminal the command runs, with its exit status; a gate_allow
# command runs exactly as written, and only exactly.
SSH_TTY=/dev/pts/0 SSH_ORIGINAL_COMMAND="echo gate-ran; exit 3" run gate --socket "$NOSOCK"
[[ $RC == 3 && $OUT == gate-ran ]] || fail "gate runs a command in a terminal session"
printf 'gate_allow = echo allowed-ran\n' >"$T/allow.conf"
chmod 0644 "$T/allow.conf"
SSH_ORIGINAL_COMMAND="echo allowed-ran" run gate --conf "$T/allow.conf" --socket "$NOSOCK"
[[ $RC == 0 && $OUT == allowed-ran ]] || fail "gate runs a gate_allow command without a terminal"
SSH_ORIGINAL_COMMAND="echo allowed-ran; cat /etc/hostname" run gate --conf "$T/allow.conf" \
        --socket "$NOSOCK"
[[ $RC == 1 && -z $OUT ]] || fail "gate refuses a gate_allow command with more after it"
SSH_ORIGINAL_COMMAND="scp -t /tmp/upload" run gate --socket "$NOSOCK" --help
[[ $RC == 0 && $OUT == *"Usage: supportgrant gate"* ]] || fail "gate --help"
ok "gate runs what a terminal session asks, and gate_allow commands exactly as written"

# --- configuration ----------------------------------------------------------------------

run list --conf "$T/missing.conf" --socket "$NOSOCK"
[[ $RC == 1 && $ERR == *missing.conf* ]] || fail "a --conf that does not exist"
ok "a --conf that does not exist is an error (exit 1)"

printf 'staff_group = onoffice-staff\nno_such_key = 1\n' >"$T/bad.conf"
chmod 0644 "$T/bad.conf"
run list --conf "$T/bad.conf" --socket "$NOSOCK"
if [[ $(id -u) == 0 ]]; then
        [[ $RC == 1 && $ERR == *"bad.conf:2:"*no_such_key* ]] || fail "bad configuration"
        ok "a bad configuration is an error naming file and line (exit 1)"

        printf 'socket = %s\ndefault_period = 2h\n' "$T/conf-socket" >"$T/good.conf"
        chmod 0644 "$T/good.conf"
        run list --conf "$T/good.conf"
        [[ $RC == 69 && $ERR == *"$T/conf-socket"* ]] || fail "socket from the configuration"
        run list --conf "$T/good.conf" --socket "$NOSOCK"
        [[ $RC == 69 && $ERR == *"$NOSOCK"* ]] || fail "--socket over the configuration"
        run request --conf "$T/good.conf" --user jdoe
        [[ $RC == 0 && $OUT == *"(2 hours, no data export)"* ]] || fail "default_period"
        ok "the configuration supplies socket and default_period; --socket wins"

        chmod 0666 "$T/good.conf"
        run list --conf "$T/good.conf"
        [[ $RC == 1 && $ERR == *writable* ]] || fail "a writable configuration"
        ok "a configuration others may write is refused (exit 1)"
else
        # Not root: the file is not owned by root, which is refused before parsing.
        [[ $RC == 1 ]] || fail "configuration not owned by root"
        ok "a configuration not owned by root is refused (exit 1)"
fi

echo "all $n checks passed"
