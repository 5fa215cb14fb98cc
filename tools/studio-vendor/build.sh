#!/bin/sh
# Rebuild the studio's vendored scripts from the pinned npm packages (needs node + npm).
# The results are committed: the studio and CI never need npm or the network.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../../templates/studio/static/vendor
npx esbuild entry.js --bundle --minify --format=iife --global-name=PM --legal-comments=none --outfile="$out/prosemirror.js"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
{
  for pkg in prosemirror-model prosemirror-state prosemirror-view prosemirror-keymap prosemirror-history \
             prosemirror-commands prosemirror-schema-list prosemirror-transform orderedmap rope-sequence w3c-keyname htmx.org; do
    version=$(node -p "require('./node_modules/$pkg/package.json').version")
    echo "==== $pkg $version ===="
    cat node_modules/$pkg/LICENSE* 2>/dev/null || echo "(see https://www.npmjs.com/package/$pkg)"
    echo
  done
} > "$out/LICENSES.txt"
