# Phase timing for scripts/test and .ci/run: `phase NAME CMD...` runs CMD, prints its wall time,
# and stops the script on failure; `summary` prints every phase's time.
_phase_names=()
_phase_secs=()
_phase_start_all=$(date +%s)

phase() {
  local name=$1; shift
  local t0 t1 rc
  printf '\n==> %s\n' "$name"
  t0=$(date +%s)
  set +e
  "$@"
  rc=$?
  set -e
  t1=$(date +%s)
  _phase_names+=("$name")
  _phase_secs+=($((t1 - t0)))
  printf '<== %s: %d s%s\n' "$name" $((t1 - t0)) "$([[ $rc -ne 0 ]] && echo " (FAILED, exit $rc)")"
  if [[ $rc -ne 0 ]]; then
    summary
    exit "$rc"
  fi
}

skip() {
  printf '\n==> %s: SKIPPED (%s)\n' "$1" "$2"
  _phase_names+=("$1 (skipped: $2)")
  _phase_secs+=(0)
}

summary() {
  local i
  printf '\nPhase wall times:\n'
  for i in "${!_phase_names[@]}"; do
    printf '  %6d s  %s\n' "${_phase_secs[$i]}" "${_phase_names[$i]}"
  done
  printf '  %6d s  total\n' $(($(date +%s) - _phase_start_all))
}
