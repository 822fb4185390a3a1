# Sourced by callgrind-probe.sh and callgrind-profile.sh: bundles a probe with esbuild (the built
# packages and their dependencies inlined) to benchmarks/.probe-<name>.mjs and prints that path.
bundle_probe() {
  local out=benchmarks/.probe-$(basename "$1" .ts).mjs
  ./benchmarks/node_modules/.bin/esbuild "$1" --bundle --platform=node --format=esm --tsconfig=benchmarks/tsconfig.json \
    --outfile="$out" --log-level=error \
    --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);"
  echo "$out"
}
