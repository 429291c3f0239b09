# shellcheck shell=bash
# Bad input at the edges; sourced by tests/robust/run.sh (its helpers, a running daemon).
ESC=$'\e'

no_escape_in() { # no_escape_in TEXT: no raw ESC, BEL or CSI bytes
    ! LC_ALL=C grep -q $'[\e\a\x9b]' <<<"$1"
}

# ---- user and group names ------------------------------------------------------------------
# Valid but unusual names work end to end.
useradd -m -G onoffice-staff jane.doe
groupadd onoffice-qa.team
usermod -aG onoffice-qa.team sam
cli alice grant jane.doe --period 1h --note "dotted name"
check "odd names: a grant for jane.doe" test "$rc" = 0
login jane.doe
check "odd names: jane.doe logs in" test "$rc" = 0
cli alice grant --department qa.team --period 1h
check "odd names: a grant for department qa.team" test "$rc" = 0

# Names NSS may hand out (LDAP, a hand-edited /etc/passwd) that supportgrant must not carry:
# a terminal escape and a space. A staff account with such a name is denied (fail closed) and
# its name never reaches the terminal, the journal or the log raw.
BADNAME="ev${ESC}[2Jil"
cp /etc/passwd "$T/passwd.orig"
cp /etc/group "$T/group.orig"
echo "${BADNAME}:x:4990:4990::/home/evil:/bin/sh" >>/etc/passwd
echo "evil:x:4990:" >>/etc/group
echo "space name:x:4991:4990::/home/evil:/bin/sh" >>/etc/passwd
sed -i "/^onoffice-staff:/s/\$/,evil-placeholder,space name/" /etc/group
python3 -c 'import sys; p = "/etc/group"; t = open(p).read().replace("evil-placeholder", sys.argv[1]); open(p, "w").write(t)' "$BADNAME"
for u in "$BADNAME" "space name"; do
    rc=0
    # (pamtester itself echoes the name it was given; only the module's words count.)
    out=$(printf '%s\n' "$REASON" | timeout 30 "${PAMTESTER[@]}" -v sgrobust "$u" acct_mgmt 2>&1) ||
        rc=$?
    check "odd names: staff account '$(printf %q "$u")' denied" test "$rc" != 0
    check "odd names: no raw escape in what '$(printf %q "$u")' is told" \
        no_escape_in "$(grep -v '^pamtester:' <<<"$out" || true)"
done
cli alice grant "$BADNAME"
check "odd names: the CLI refuses to grant to a name with an escape (rc=$rc)" test "$rc" = 2 -o "$rc" = 1
check "odd names: the CLI's refusal shows no raw escape" no_escape_in "$out"
cli alice grant --department "r&d${ESC}]0;x"
check "odd names: the CLI refuses a department with odd characters" test "$rc" != 0
check "odd names: ... and shows no raw escape" no_escape_in "$out"
# Straight to the daemon, past the CLI's own checks.
out=$(python3 - "$SOCK" "$BADNAME" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
for p in ({"kind": "user", "target": sys.argv[2]}, {"kind": "department", "target": "a b"}):
    s.sendall(json.dumps({"method": "io.supportgrant.Grant", "parameters": p}).encode() + b"\0")
    buf = b""
    while not buf.endswith(b"\0"):
        buf += s.recv(4096)
    print(json.loads(buf[:-1]).get("error"))
EOF
)
check "odd names: the daemon refuses them as InvalidArgument" \
    test "$out" = $'io.supportgrant.InvalidArgument\nio.supportgrant.InvalidArgument'
# The edits above are undone so the rest sees a sane host.
cp "$T/passwd.orig" /etc/passwd
cp "$T/group.orig" /etc/group

# ---- reasons with terminal escapes ---------------------------------------------------------
n_logins=$(sqlite3 "$DB" 'SELECT count(*) FROM logins')
login jdoe "${ESC}]0;owned${ESC}\\${ESC}[2J ticket 4711 please"
if [ "$rc" != 0 ] && grep -q "control characters" <<<"$out"; then
    pass "escape in reason: refused three times, login denied, the user is told why"
else
    fail "escape in reason: (rc=$rc) $out"
fi
check "escape in reason: nothing echoed raw" no_escape_in "$(grep -v 'Reason for this login' <<<"$out")"
raw=$(sqlite3 "$DB" "SELECT count(*) FROM logins WHERE instr(reason, char(27)) > 0 OR
    instr(detail, char(27)) > 0")
check "escape in reason: not in the database" test "$raw" = 0
sg_journal_sync
if env -u LD_PRELOAD journalctl -D /run/log/journal -o export --no-pager 2>/dev/null |
    LC_ALL=C grep -a $'\e' | cat -v | head -5 | grep .; then
    fail "escapes: a raw ESC reached the journal (above)"
else
    pass "escapes: no raw ESC in the journal (reasons, names, syslog lines)"
fi
# A reason that got into the database raw anyway (an older version, a restored dump) is shown
# escaped by the customer's tools.
sqlite3 "$DB" "INSERT INTO logins (user, time, outcome, reason, service)
    VALUES ('jdoe', strftime('%s','now'), 'denied', 'tampered' || char(27) || '[31m red' ||
    char(7) || char(155) || 'x', 'sshd')"
cli alice logins --since 1h
check "tampered reason: 'supportgrant logins' exits 0" test "$rc" = 0
check "tampered reason: 'supportgrant logins' shows no raw escape" no_escape_in "$out"
check "tampered reason: ... but shows the row" grep -q tampered <<<"$out"
cli alice logins --since 1h --json
check "tampered reason: --json shows no raw escape" no_escape_in "$out"

# ---- a clock that went back between grant and login ----------------------------------------
# unshare --time does not cover CLOCK_REALTIME, so the jump is staged in the data: grants
# made "in the future" as seen from now, which is what a clock set back after the grant
# leaves behind. The expiry is absolute: a clock set back makes the access last longer in
# wall-clock terms (SECURITY.md) but never moves the stored expiry, and a grant whose expiry
# is past by the current clock is never used.
now=$(date +%s)
cli alice revoke --all
sqlite3 "$DB" "INSERT INTO grants (kind, target, export, period, granted_at, expires_at,
    granted_by, via, note) VALUES ('user', 'sam', 0, '1h', $((now + 3600)), $((now + 7200)),
    'alice', 'cli', 'made before the clock went back')"
fid=$(sqlite3 "$DB" 'SELECT max(id) FROM grants')
login sam
check "clock back: a grant dated in the future covers sam until its stored expiry" test "$rc" = 0
got=$(sqlite3 "$DB" "SELECT grant_ids FROM logins WHERE user = 'sam' AND outcome = 'accepted'
    ORDER BY id DESC LIMIT 1")
check "clock back: the login names grant $fid" test "$got" = "$fid"
cli alice list --json
exp=$(python3 -c 'import json,sys; print([g["expires_at"] for g in json.load(sys.stdin) if g["id"] == int(sys.argv[1])][0])' "$fid" <<<"$out" 2>/dev/null || true)
check "clock back: the expiry shown is the stored one ($exp)" \
    test "$exp" = "$(date -u -d "@$((now + 7200))" +%Y-%m-%dT%H:%M:%SZ)"
sqlite3 "$DB" "UPDATE grants SET expires_at = $((now - 60)) WHERE id = $fid"
login sam
check "clock back: once its expiry is past by the current clock, sam is denied" test "$rc" != 0

# ---- the host's zone, not the caller's -------------------------------------------------------
# "today" ends at the next midnight of the host's zone (Europe/Berlin here) and "1m" keeps the
# host's wall-clock time, whatever TZ the customer's shell has.
for p in today 1m; do
    rc=0
    out=$(TZ=Pacific/Kiritimati runuser -u alice -- "$SG" grant jdoe --period "$p" \
        --json 2>&1) || rc=$?
    want=$(/usr/bin/python3 "$HERE/expiry.py" "$p" Europe/Berlin <<<"$out") || true
    set -- $want
    check "host zone: '$p' from a shell in another TZ expires at ${1:-?} (Europe/Berlin)" \
        test "$rc" = 0 -a -n "${1:-}" -a "${1:-}" = "${2:-}"
done
cli alice revoke --user jdoe

# ---- the 2038 boundary, end to end -------------------------------------------------------------
sqlite3 "$DB" "INSERT INTO grants (kind, target, export, period, granted_at, expires_at,
    granted_by, via, note) VALUES ('user', 'sam', 1, '1m', $now, 2208988800,
    'alice', 'cli', 'expires in 2040')"
login sam
check "2038: a grant expiring in 2040 lets sam in" test "$rc" = 0
check "2038: ... and the message shows 2040" grep -q 2040 <<<"$out"
cli alice list --json
check "2038: list shows 2040-01-01T00:00:00Z" grep -q '"2040-01-01T00:00:00Z"' <<<"$out"
cli alice revoke --all
