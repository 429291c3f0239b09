# shellcheck shell=bash
# The audit trail (SPEC §11), sourced by tests/daemon/run.sh after the grants, rights, logins,
# revocations, codes and export refusals above have filled it. Uses that file's as, t, j.

# sql STATEMENTS: straight into the database, as root could (the attacker of SECURITY.md).
sql() { sqlite3 "$DB" "PRAGMA busy_timeout = 5000; $1" >/dev/null; }
sql_value() { sqlite3 "$DB" "PRAGMA busy_timeout = 5000; $1" | tail -1; }
intact_re='^audit trail intact: ([0-9]+) records \(seq ([0-9]+)\.\.([0-9]+)\), head ([0-9a-f]{64})$'

# Denials of one account and origin within a minute are one row (its count grows) and one
# journal entry, but every attempt is a record of the trail.
pam_login mdev 192.0.2.50
pam_login mdev 192.0.2.50
t "two denied attempts of mdev from one origin: one row, counted twice" \
    '[[ $RC != 0 && $(sql_value "SELECT count || '\''|'\'' || (SELECT count(*) FROM logins WHERE rhost = '\''192.0.2.50'\'') FROM logins WHERE rhost = '\''192.0.2.50'\''") == "2|1" ]]'
OUT=$(sql_value "SELECT count(*), coalesce(max(count), 0), coalesce(sum(count != (SELECT count(*) FROM audit a
    WHERE json_extract(a.record, '$.event') = 'login-denied' AND json_extract(a.record, '$.login_id') = l.id)), 0)
    FROM logins l WHERE outcome = 'denied'")
t "every denied attempt is a record, also those merged into one row ($OUT: rows|largest count|rows that differ)" \
    '[[ $OUT =~ ^[1-9][0-9]*\|([2-9]|[1-9][0-9]+)\|0$ ]]'
as root audit verify
t "audit verify (root): intact, one line with the count, the seqs and the head" \
    '[[ $RC == 0 && $OUT =~ $intact_re && ${BASH_REMATCH[2]} == 1 && ${BASH_REMATCH[1]} == ${BASH_REMATCH[3]} ]]'
n_records=${BASH_REMATCH[1]} head=${BASH_REMATCH[4]}
as alice audit verify
t "audit verify (alice, holds the right): the same line" '[[ $RC == 0 && $OUT =~ $intact_re && ${BASH_REMATCH[4]} == "$head" ]]'
as jdoe audit verify
t "audit verify (jdoe, staff): exit 77" '[[ $RC == 77 && $ERR == *"staff accounts may only ask for their own status"* ]]'
as root audit verify --json
t "audit verify --json: intact, records, the same head, the trail's name" \
    '[[ $RC == 0 && $(j .intact) == true && $(j .records) == "$n_records" && $(j .head) == "$head" && $(j .trail) =~ ^[0-9a-f]{32}$ ]]'
trail=$(j .trail)
as root status --json
t "status (root): the trail's head" '[[ $RC == 0 && $(j .audit.seq) == "$n_records" && $(j .audit.hash) == "$head" && $(j .audit.trail) == "$trail" ]]'
as root status
t "status (root, human): the head as SEQ:HASH, ready for --checkpoint, and the last checkpoint" \
    '[[ $RC == 0 && $OUT == *"Audit trail head: $n_records:$head"* && $OUT == *"Last audit checkpoint: "[0-9]*:* ]]'
as alice status
t "status (alice): no audit lines (root's only)" '[[ $RC == 0 && $OUT != *"Audit trail"* ]]'

as root audit export
t "audit export: one JSON line per record" '[[ $RC == 0 && $(grep -c . <<<"$OUT") == "$n_records" ]]'
printf '%s\n' "$OUT" >"$T/trail.jsonl"
chmod 0644 "$T/trail.jsonl"
# Recomputed independently: Python's json and hashlib, as SECURITY.md tells a customer to.
OUT=$(python3 - "$T/trail.jsonl" <<'PY'
import hashlib, json, sys
prev, n, events = "0" * 64, 0, set()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    p, h = r.pop("prev"), r.pop("hash")
    c = json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert p == prev, f"record {r['seq']}: prev"
    assert hashlib.sha256((p + c).encode()).hexdigest() == h, f"record {r['seq']}: hash"
    n += 1
    assert r["seq"] == n, f"record {r['seq']}: seq"
    prev = h
    events.add(r["event"])
print(n, prev, " ".join(sorted(events)))
PY
)
t "audit export: Python's hashlib recomputes every hash, ending at the head" \
    '[[ $OUT == "$n_records $head "* ]]'
t "the trail holds every kind of event this suite caused" \
    '[[ $OUT == *" grant-created grant-revoked login-accepted login-denied right-changed session-closed trail-started" ]]'
login_seq=$(jq -r 'select(.event == "login-accepted" and .reason != null) | .seq' "$T/trail.jsonl" | head -1)
login_reason=$(jq -r "select(.seq == $login_seq) | .reason" "$T/trail.jsonl")
OUT=$(jq -c "select(.seq == ${login_seq:-0}) | [.user, .login_id, .service, .grant_id, .expires]" "$T/trail.jsonl")
t "a login-accepted record carries its reason, user, login id, service, grants and expiry" \
    '[[ -n $login_reason && $(jq "map(. != null) | all" <<<"$OUT") == true ]]'

# Offline, as a customer, without the daemon's help.
as alice audit verify --file "$T/trail.jsonl"
t "audit verify --file (alice, offline): intact, the same head" '[[ $RC == 0 && $OUT =~ $intact_re && ${BASH_REMATCH[4]} == "$head" ]]'
as svc audit verify --file "$T/trail.jsonl"
t "audit verify --file works for any user (svc, no right)" '[[ $RC == 0 && $OUT =~ $intact_re ]]'
sed "${login_seq}s/\"reason\":\"[^\"]*\"/\"reason\":\"nothing to see\"/" "$T/trail.jsonl" >"$T/forged.jsonl"
chmod 0644 "$T/forged.jsonl"
as alice audit verify --file "$T/forged.jsonl"
t "a reason changed in the export: exit 1, names the record" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: record $login_seq was changed: its content does not match its hash" ]]'
sed "${login_seq}d" "$T/trail.jsonl" >"$T/forged.jsonl"
as alice audit verify --file "$T/forged.jsonl" --json
t "a line deleted from the export: --json says missing, with its seq" \
    '[[ $RC == 1 && $(j .intact) == false && $(j .break) == missing && $(j .seq) == "$login_seq" ]]'
sed "3s/.*/not json/" "$T/trail.jsonl" >"$T/forged.jsonl"
as alice audit verify --file "$T/forged.jsonl"
t "a line of the export that is no record: exit 1, names the file and the line" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: $T/forged.jsonl, line 3: not an audit record"* ]]'
head -n $((n_records - 2)) "$T/trail.jsonl" >"$T/forged.jsonl"
as alice audit verify --file "$T/forged.jsonl" --checkpoint "$n_records:$head"
t "an export cut short, with the head written down earlier: truncated" \
    '[[ $RC == 1 && $OUT == *"truncated: it ends at record $((n_records - 2)), but the checkpoint given names record $n_records" ]]'
as alice audit verify --file "$T/trail.jsonl" --checkpoint "$n_records:$head"
t "...and the whole export reaches that head" '[[ $RC == 0 && $OUT =~ $intact_re ]]'
as alice audit verify --file "$T/trail.jsonl" --checkpoint "$n_records:nothex"
t "--checkpoint that is not SEQ:HASH: exit 2, says what it must be" '[[ $RC == 2 && $ERR == *"expected SEQ:HASH"* ]]'
as alice audit export --file "$T/trail.jsonl"
t "audit export --file: exit 2" '[[ $RC == 2 && $ERR == *"options of '\''audit verify'\''"* ]]'
as alice audit check
t "audit with an unknown subcommand: exit 2" '[[ $RC == 2 && $ERR == *"verify or export"* ]]'

# Root edits the database behind the daemon's back: each edit is named, and undone for the next.
sql "CREATE TABLE audit_saved AS SELECT * FROM audit"
restore_trail() { sql "DELETE FROM audit; INSERT INTO audit SELECT * FROM audit_saved"; }
sql "UPDATE audit SET record = replace(record, json_quote('$login_reason'), '\"for fun\"') WHERE seq = $login_seq"
as root audit verify
t "sqlite3: a login's reason changed: exit 1, 'record N was changed'" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: record $login_seq was changed: its content does not match its hash" ]]'
restore_trail
sql "DELETE FROM audit WHERE seq = $login_seq"
as root audit verify
t "sqlite3: a login's record deleted: exit 1, 'record N is missing'" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: record $login_seq is missing: record $((login_seq + 1)) comes after record $((login_seq - 1))" ]]'
restore_trail
sql "UPDATE audit SET seq = -seq WHERE seq IN (2, 3); UPDATE audit SET seq = 2 WHERE seq = -3; UPDATE audit SET seq = 3 WHERE seq = -2"
as root audit verify --json
t "sqlite3: two records swapped: exit 1, reordered at the first" \
    '[[ $RC == 1 && $(j .break) == reordered && $(j .seq) == 2 ]]'
restore_trail
as root audit verify
t "the trail restored: intact again (the twin of each edit above)" '[[ $RC == 0 && $OUT =~ $intact_re && ${BASH_REMATCH[4]} == "$head" ]]'
# A restart journals the head: a cut tail is then seen even when the database's own notes of
# checkpoints are removed too.
stop_daemon
start_daemon
sg_journal_sync
sql "DELETE FROM audit WHERE seq > $((n_records - 2)); DELETE FROM audit_checkpoints"
as root audit verify
t "sqlite3: the tail cut and the database's checkpoints removed: the journal's checkpoint shows it" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: the trail was truncated: it ends at record $((n_records - 2)), but the journal'\''s checkpoint of "*" names record $n_records" ]]'
restore_trail

# A prune cuts the trail after a checkpoint older than the retention: verify stays intact and
# its start is vouched for by the checkpoint the prune journals again.
cut=$((n_records / 2))
cut_hash=$(sql_value "SELECT hash FROM audit WHERE seq = $cut")
sql "INSERT OR REPLACE INTO audit_checkpoints VALUES ($cut, '$cut_hash', $(date -d '7 months ago' +%s))"
stop_daemon
start_daemon
sg_journal_sync
as root audit verify --json
t "after a prune: the records up to the old checkpoint are gone, the trail intact and vouched" \
    '[[ $RC == 0 && $(j .intact) == true && $(j .first) == $((cut + 1)) && $(j .start_vouched) == true && $(j .last) -ge $n_records ]]'
sql "UPDATE audit SET prev = '$(printf '%064d' 0)' WHERE seq = $((cut + 1))"
as root audit verify
t "after a prune: a first record that no longer follows the checkpoint is named" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: record $((cut + 1)) was changed: it follows 000000000000…, but the journal'\''s checkpoint of "*" says record $cut was ${cut_hash:0:12}…" ]]'
restore_trail
sql "DELETE FROM audit WHERE seq <= $cut; DROP TABLE audit_saved"
as root audit verify
t "...and intact again once it does" '[[ $RC == 0 && $OUT =~ $intact_re ]]'

# A head written down earlier, given to the daemon: it must be in the trail, exactly.
h2=$(sql_value "SELECT hash FROM audit WHERE seq = $((cut + 2))")
h3=$(sql_value "SELECT hash FROM audit WHERE seq = $((cut + 3))")
as alice audit verify --checkpoint "$((cut + 2)):$h2"
t "audit verify --checkpoint SEQ:HASH of the trail: intact" '[[ $RC == 0 && $OUT =~ $intact_re ]]'
as alice audit verify --checkpoint "$((cut + 2)):$h3"
t "audit verify --checkpoint with another hash for that record: exit 1, names it and the checkpoint" \
    '[[ $RC == 1 && $OUT == "audit trail NOT intact: record $((cut + 2)) was changed: the checkpoint given says its hash is ${h3:0:12}…, the trail has ${h2:0:12}…" ]]'

# A database of the version before the trail (schema 5), made from this one: the daemon
# migrates it, and its trail starts with a record naming what was there, which Python
# recomputes from the rows as they were.
mig=$T/lib/migrate.db
sqlite3 "$DB" ".backup '$mig'"
sqlite3 "$mig" "DROP TABLE audit; DROP TABLE audit_checkpoints; DROP TABLE audit_trail; PRAGMA user_version = 5"
chmod 0600 "$mig"
want=$(python3 - "$mig" <<'PY'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h, counts = hashlib.sha256(), {}
for t, key in [("grants", "id"), ("logins", "id"), ("rights", "user"), ("used_codes", "code_id"),
               ("known_staff", "user"), ("staff_groups", "name")]:
    counts[t] = 0
    for row in db.execute(f"SELECT * FROM {t} ORDER BY {key}"):
        h.update((json.dumps([t, *row], separators=(",", ":"), ensure_ascii=False) + "\n").encode())
        counts[t] += 1
print(json.dumps(counts, sort_keys=True, separators=(",", ":")), h.hexdigest())
PY
)
printf 'database = %s\nsocket = %s\nterminate_sessions = no\naudit_checkpoint = 1s\n' \
    "$mig" "$T/out/mig.sock" >"$T/out/mig.conf"
"$B/supportgrantd" --socket "$T/out/mig.sock" --foreground --conf "$T/out/mig.conf" 2>>"$T/daemon.log" &
MIG=$!
sg_wait_for 10 test -S "$T/out/mig.sock" || { cat "$T/daemon.log"; sg_die "supportgrantd did not start on the old database"; }
OUT=$(sqlite3 "$mig" "SELECT json_extract(record, '\$.event') || ' ' || json_extract(record, '\$.rows') || ' ' ||
    json_extract(record, '\$.rows_sha256') FROM audit WHERE seq = 1")
t "a schema 5 database: its trail starts with trail-started, the row counts and SHA-256 Python computes" \
    '[[ -n $want && $OUT == "trail-started $want" && $want == *"\"logins\":"[1-9]* ]]'
MIGSG=("$SG" --conf "$T/out/mig.conf" --socket "$T/out/mig.sock")
"${MIGSG[@]}" rights revoke bob >/dev/null
read -r mig_seq mig_trail < <(sqlite3 "$mig" "SELECT max(seq), (SELECT id FROM audit_trail) FROM audit" | tr '|' ' ')
checkpointed() {
    [ "$(sg_journal SUPPORTGRANT_EVENT=audit-checkpoint "SUPPORTGRANT_AUDIT_TRAIL=$mig_trail" \
        "SUPPORTGRANT_AUDIT_SEQ=$mig_seq" _UID=0 | grep -c .)" -ge 1 ]
}
t "audit_checkpoint = 1s: the new head (record $mig_seq, a right changed) is journaled within 4 s" \
    'sg_wait_for 4 checkpointed'
OUT=$("${MIGSG[@]}" audit verify 2>&1) && RC=0 || RC=$?
t "the migrated database: audit verify intact from its first record" \
    '[[ $RC == 0 && $OUT =~ $intact_re && ${BASH_REMATCH[2]} == 1 && ${BASH_REMATCH[3]} == "$mig_seq" ]]'
# A long trail is verified over many turns of the loop: meanwhile the daemon answers others.
python3 - "$mig" 400000 <<'PY'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
seq, prev = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
rows = []
for i in range(int(sys.argv[2])):
    seq += 1
    r = {"seq": seq, "time": 1796700000 + i, "event": "login-denied", "user": "jdoe",
         "service": "sshd", "rhost": "192.0.2.77", "detail": "no active grant"}
    c = json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    h = hashlib.sha256((prev + c).encode()).hexdigest()
    rows.append((seq, c, prev, h))
    prev = h
db.executemany("INSERT INTO audit (seq, record, prev, hash) VALUES (?, ?, ?, ?)", rows)
db.commit()
PY
mig_seq=$(sqlite3 "$mig" "SELECT max(seq) FROM audit")
: >"$T/out/long-verify"
"${MIGSG[@]}" audit verify >"$T/out/long-verify" 2>&1 &
LONG=$!
sleep 0.2
t0=$(date +%s%N)
OUT=$("${MIGSG[@]}" status 2>&1) && RC=0 || RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
running=$([ -s "$T/out/long-verify" ] && echo no || echo yes)
wait "$LONG" && RC_LONG=0 || RC_LONG=$?
t "while it verifies $mig_seq records, the daemon answers status in $ms ms (verify still running: $running)" \
    '[[ $RC == 0 && $OUT == *"may activate"* && $running == yes && $ms -lt 1000 ]]'
OUT=$(cat "$T/out/long-verify")
t "...and the long trail is intact, every record counted" \
    '[[ $RC_LONG == 0 && $OUT =~ $intact_re && ${BASH_REMATCH[1]} == "$mig_seq" ]]'
kill "$MIG"
wait "$MIG" 2>/dev/null || true
