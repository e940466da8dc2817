#!/usr/bin/env bash
# Fuzz both targets for SECONDS each (default 600), seeded with the real review pages
# from ../shared (copied to a temp folder, never into the repository) and the default
# corpus. Needs cargo-fuzz (`cargo install cargo-fuzz`); runs on the stable toolchain.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds/pages" "$seeds/queries"
cp ../corpus/*/index.md "$seeds/pages/seed.md"
if [ -d ../../shared/corpus/reviews ]; then
  i=0
  for f in ../../shared/corpus/reviews/*/*/index.md; do cp "$f" "$seeds/pages/real$i.md"; i=$((i + 1)); done
fi
printf '%s\n' 'personalized image generation' '"video generative models"' 'phys*' 'title:diffusion -video' \
  'fine-tuning' "Yo'LLaVA" '모델' '(a OR b) AND c' > "$seeds/queries/list"
i=0
while IFS= read -r q; do printf '%s' "$q" > "$seeds/queries/q$i"; i=$((i + 1)); done < "$seeds/queries/list"
rm "$seeds/queries/list"
export RUSTC_BOOTSTRAP=1
if [ "${2:-}" != queries ]; then
  cargo fuzz run --sanitizer none parse_page "$seeds/pages" -- -max_total_time="$seconds" -max_len=200000
fi
# -O: as shipped, without debug assertions. tantivy 0.27 debug-asserts when a phrase is
# excluded (`personalized -"0 1"`), though the release result is right (see Cargo.toml).
cargo fuzz run --sanitizer none -O search_query "$seeds/queries" -- -max_total_time="$seconds" -max_len=4096
