#!/bin/bash
# Replays every fuzz target's committed corpus (tests/fuzz/corpus/TARGET/) through the
# target built with the plain driver (tests/fuzz/driver.c) in BUILD_DIR: the seeds and every
# crasher ever found stay fixed. No libFuzzer needed; `make fuzz` is the fuzzing itself.
#   tests/fuzz/regress.sh BUILD_DIR
set -uo pipefail
B=$(cd "${1:?usage: regress.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")"
rc=0
for corpus in corpus/*/; do
    t=$(basename "$corpus")
    if [ ! -x "$B/tests/fuzz/$t" ]; then
        echo "FAIL: $B/tests/fuzz/$t is not built (make B=$(basename "$B") tests-build)"
        rc=1
        continue
    fi
    if ! "$B/tests/fuzz/$t" "$corpus" 2>"$B/tests/fuzz/$t.regress.log"; then
        tail -n 40 "$B/tests/fuzz/$t.regress.log"
        echo "FAIL: $t on its corpus"
        rc=1
    fi
done
exit $rc
