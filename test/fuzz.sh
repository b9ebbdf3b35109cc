#!/usr/bin/env bash
# Runs each fuzz target (package:FuzzName) briefly. A finding (a failing
# input written under testdata/fuzz) fails the run. Go's fuzz engine can
# also stop with "context deadline exceeded" when its time runs out in the
# middle of a worker exchange, with no input found: that target is run once
# more, and a second such stop is reported but not counted as a finding.
set -uo pipefail
time=${FUZZTIME:-8s}
go=${GO:-go}
fail=0
for f in "$@"; do
  pkg=${f%%:*} fn=${f##*:}
  for try in 1 2; do
    echo "fuzz $pkg $fn ($time)"
    out=$($go test -run='^$' -fuzz="^$fn\$" -fuzztime="$time" -fuzzminimizetime=1s "$pkg" 2>&1)
    rc=$?
    echo "$out" | tail -n 25
    [ $rc -eq 0 ] && break
    if grep -q 'Failing input written' <<<"$out" || ! grep -q 'context deadline exceeded' <<<"$out"; then
      fail=1; break
    fi
    echo "fuzz $pkg $fn: the fuzz engine stopped on its deadline without a finding (try $try)"
  done
done
exit $fail
