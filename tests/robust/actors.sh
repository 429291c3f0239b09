# shellcheck shell=bash
# What each actor of SECURITY.md can and cannot do, through the real CLI and daemon (peer
# credentials) and the real file modes; sourced by tests/robust/run.sh with a running daemon.
# alice: customer admin; bob: customer user whose right root took away; www-data: a service
# account; jdoe: staff; mallory: any other local user (by default a human account, so it
# holds the right to activate: that is SPEC §2, and SECURITY.md says so).

expect_cli() { # expect_cli WHAT RC PATTERN USER ARGS...
    local what=$1 want=$2 pat=$3
    shift 3
    cli "$@"
    if [ "$rc" = "$want" ] && grep -qiE "$pat" <<<"$out"; then
        pass "actors: $what"
    else
        fail "actors: $what (rc=$rc, wanted $want): $out"
    fi
}

# jdoe holds a grant while his own commands run: without one, the daemon may end them at any
# sweep (tests/README.md). What staff may do does not depend on it.
cli alice grant jdoe --period 1h --note "actors: jdoe's own commands"
check "actors: jdoe holds a grant for his own commands" test "$rc" = 0
cli root rights revoke bob
check "actors: root takes bob's right away" test "$rc" = 0
expect_cli "bob without the right cannot grant" 77 "lacks the right" bob grant jdoe
expect_cli "bob without the right cannot list" 77 "lacks the right" bob list
expect_cli "a service account cannot grant" 77 "lacks the right" www-data grant jdoe
expect_cli "staff cannot grant themselves" 77 "staff account" jdoe grant jdoe
expect_cli "staff cannot list others' grants" 77 "staff account" jdoe list
expect_cli "staff cannot read the login overview" 77 "staff account" jdoe logins
expect_cli "staff may ask for their own status" 0 "jdoe|access" jdoe status
expect_cli "a customer admin cannot change rights" 77 "only root" alice rights restore bob
expect_cli "a customer admin cannot grant to a non-staff account" 1 "not a staff account" \
    alice grant mallory
cli alice grant jdoe --period 1h --note "actors"
check "actors: a customer admin grants" test "$rc" = 0
gid=$(grep -o '"id": *[0-9]*' <<<"$(runuser -u alice -- "$SG" list --json)" | head -1 |
    grep -o '[0-9]*$')
expect_cli "bob cannot revoke" 77 "lacks the right" bob revoke "$gid"
cli root rights restore bob
expect_cli "bob with his right restored can list" 0 "jdoe" bob list

# The files themselves: only root reads the audit trail or changes the configuration.
rc=0
runuser -u mallory -- cat "$DB" >/dev/null 2>&1 || rc=$?
check "actors: a local user cannot read the database file" test "$rc" != 0
rc=0
runuser -u mallory -- sh -c "echo 'staff_group = mallory' >>$CONF" 2>/dev/null || rc=$?
check "actors: a local user cannot change the configuration" test "$rc" != 0
check "actors: database directory 0700, file 0600, root's" \
    test "$(stat -c %a:%U "$DBDIR")" = 700:root -a "$(stat -c %a:%U "$DB")" = 600:root
rc=0
runuser -u mallory -- "$SG" --socket /nonexistent list >/dev/null 2>&1 || rc=$?
check "actors: --socket elsewhere just fails to connect (exit 69)" test "$rc" = 69
