#!/bin/bash
# bench/setup_bench.sh BUILD_DIR [--here] [--runs N]
#
# How long vtpm-setup takes to manufacture a TPM beside Debian's
# swtpm_setup doing the same job in the same run: a TPM 2 with the RSA and
# ECC EKs, their certificates and the platform certificate, NV locked, PCR
# bank sha256, each signed by its tool's local CA (made once before timing).
# Runs alternate (vtpm-setup, swtpm_setup, vtpm-setup, ...) so that a change
# in the machine's load hits both; prints each run and the medians as a
# Markdown table, and the ratio (target: vtpm-setup <= 0.5 x swtpm_setup).
#
# By default it runs inside the test VM (scripts/vm-run, TCG), where
# `make bench` measures everything else; --here runs it on this machine.
# Exit status 0 when both tools worked in every run.
set -euo pipefail

die() {
	echo "bench/setup_bench.sh: $*" >&2
	exit 2
}

[[ $# -ge 1 ]] || die "usage: bench/setup_bench.sh BUILD_DIR [--here] [--runs N]"
build=$(readlink -f "$1")
shift
here=0 runs=5 where="this machine"
while (($#)); do
	case $1 in
	--here) here=1 ;;
	--in-vm) here=1; where="the test VM (TCG, 2 vCPUs)" ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs: '$runs' is not a count"
repo=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $build/vtpm-setup ]] || die "$build/vtpm-setup not found (run make)"
command -v swtpm_setup >/dev/null || die "swtpm_setup is not installed (apt-get install swtpm-tools)"

if ((!here)); then
	exec "$repo/scripts/vm-run" --timeout 900 -- \
		"$repo/bench/setup_bench.sh" "$build" --in-vm --runs "$runs"
fi

work=$(mktemp -d /tmp/setup_bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
job=(--tpm2 --createek --create-ek-cert --create-platform-cert --lock-nvram)

mkdir -p "$work/swtpm-ca"
cat >"$work/localca.conf" <<EOF
statedir = $work/swtpm-ca
signingkey = $work/swtpm-ca/signkey.pem
issuercert = $work/swtpm-ca/issuercert.pem
certserial = $work/swtpm-ca/certserial
EOF
cat >"$work/swtpm_setup.conf" <<EOF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $work/localca.conf
create_certs_tool_options = /etc/swtpm-localca.options
active_pcr_banks = sha256
EOF

# run_one TOOL N: one manufacture into a fresh directory; prints its
# wall-clock milliseconds.
run_one() {
	local tool=$1 dir=$work/$1-$2 start end
	mkdir -p "$dir"
	start=$(date +%s%N)
	if [[ $tool == vtpm-setup ]]; then
		"$build/vtpm-setup" "${job[@]}" --tpmstate "$dir" --ca-dir "$work/vtpm-ca" \
			>"$work/out" 2>&1 || { cat "$work/out" >&2; die "vtpm-setup failed"; }
	else
		swtpm_setup "${job[@]}" --tpmstate "$dir" --config "$work/swtpm_setup.conf" \
			--logfile "$work/swtpm_setup.log" >"$work/out" 2>&1 ||
			{ tail -5 "$work/swtpm_setup.log" >&2; die "swtpm_setup failed"; }
	fi
	end=$(date +%s%N)
	[[ -s $dir/tpm2-00.permall ]] || die "$tool wrote no state"
	echo $(((end - start) / 1000000))
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# Not timed: each tool makes its CA (and warms its caches) once.
run_one vtpm-setup warm >/dev/null
run_one swtpm_setup warm >/dev/null

ours=() theirs=()
for ((i = 1; i <= runs; i++)); do
	ours+=("$(run_one vtpm-setup "$i")")
	theirs+=("$(run_one swtpm_setup "$i")")
done
m_ours=$(median "${ours[@]}")
m_theirs=$(median "${theirs[@]}")
ratio=$(awk -v a="$m_ours" -v b="$m_theirs" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 0.5) ? "met" : "NOT met" }')

cat <<EOF
### Manufacturing a TPM: vtpm-setup beside swtpm_setup

Job: \`${job[*]}\`, fresh state directory each run, local CA made before timing; $runs runs each, alternating, on $where.

| tool | median | runs (ms) |
|---|---:|---|
| vtpm-setup $("$build/vtpm-setup" --version | sed 's/^vtpm-setup //') | ${m_ours} ms | ${ours[*]} |
| swtpm_setup $(swtpm_setup --version | sed -n 's/.*version //p') | ${m_theirs} ms | ${theirs[*]} |

vtpm-setup / swtpm_setup: **${ratio}** (target <= 0.5: ${verdict})
EOF
