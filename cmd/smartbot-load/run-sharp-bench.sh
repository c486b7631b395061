#!/usr/bin/env bash
# Time and peak memory of making a photo's variants with MakeVariants
# (smartbot-load media) and with sharp (libvips) as a typical Node program
# does it, side by side in one run: both make the large, medium and thumb
# variants (1280, 480, 150 pixels on the long side, JPEG quality 80,
# turned upright from EXIF orientation 6) of the same photo-like
# 4000x3000 JPEG, N times after one warm-up, ROUNDS rounds, alternating
# which goes first. This machine's cores are shared and noisy: compare the
# ratio within a round, and read the spread across rounds.
#
#   cmd/smartbot-load/run-sharp-bench.sh            # 5 rounds of 10 pictures, one at a time
#   ROUNDS=7 N=20 PARALLEL=2 cmd/smartbot-load/run-sharp-bench.sh
#   SIZE=6000x4000 SHARP_VERSION=0.35.5 cmd/smartbot-load/run-sharp-bench.sh
#
# Needs go, node (20 or later) and npm. sharp is installed in a temporary
# directory that is removed at the end; nothing of it stays in the repo.
set -euo pipefail

rounds=${ROUNDS:-5}
n=${N:-10}
parallel=${PARALLEL:-1}
size=${SIZE:-4000x3000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && CGO_ENABLED=0 go build -o "$work/smartbot-load" ./cmd/smartbot-load)
"$work/smartbot-load" media -gen "$size" -out "$work/photo.jpg" -orientation 6

version=${SHARP_VERSION:-$(npm view sharp version)}
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "sharp@$version" >/dev/null)

# One pipeline per variant, from the original, as sharp's users write it;
# the three of a picture run together, which is sharp's fastest way.
cat >"$work/variants.js" <<'EOF'
const sharp = require('sharp');
const fs = require('fs');
const [file, n, parallel] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const input = fs.readFileSync(file);
const variant = (side) => sharp(input).rotate()
  .resize(side, side, { fit: 'inside', withoutEnlargement: true })
  .jpeg({ quality: 80 }).toBuffer();
const picture = () => Promise.all([1280, 480, 150].map(variant));
(async () => {
  await picture(); // warm-up, not counted
  let started = 0;
  const worker = async () => { while (started < n) { started++; await picture(); } };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: parallel }, worker));
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / n;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  console.log(`ms_per_image=${ms.toFixed(1)} peak_rss_mb=${(hwm / 1024).toFixed(1)}`);
})();
EOF

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
run_go() { "$work/smartbot-load" media -in "$work/photo.jpg" -n "$n" -parallel "$parallel" -orientation 6 | tail -1; }
run_sharp() { (cd "$work" && node variants.js photo.jpg "$n" "$parallel"); }

echo "photo: $size, $(stat -c %s "$work/photo.jpg") bytes, EXIF orientation 6; sharp $version, node $(node --version), go $(go env GOVERSION), $(nproc) cores"
echo "n=$n pictures per round, parallel=$parallel"
printf '%-6s %12s %12s %10s %12s %12s\n' round go_ms sharp_ms ratio go_rss_mb sharp_rss_mb
ratios=()
for r in $(seq "$rounds"); do
	if ((r % 2)); then
		g=$(run_go)
		s=$(run_sharp)
	else
		s=$(run_sharp)
		g=$(run_go)
	fi
	gms=$(field ms_per_image <<<"$g")
	sms=$(field ms_per_image <<<"$s")
	ratio=$(awk -v a="$gms" -v b="$sms" 'BEGIN { printf "%.2f", a / b }')
	ratios+=("$ratio")
	printf '%-6s %12s %12s %10s %12s %12s\n' "$r" "$gms" "$sms" "$ratio" "$(field peak_rss_mb <<<"$g")" "$(field peak_rss_mb <<<"$s")"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "go/sharp time ratio: median %.2f (min %.2f, max %.2f) over %d rounds\n", m, v[1], v[NR], NR }'
