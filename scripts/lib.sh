# Shared by scripts/run and scripts/test: installs what is missing, quickly when present.
# Sourced, not executed.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

CARGO_LEPTOS_VERSION="0.3.6"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# Runs apt-get when we may (root or passwordless sudo); otherwise says what to install.
apt_install() {
  local packages=("$@")
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >/dev/null || {
      apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >/dev/null; }
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}" >/dev/null
  else
    echo "Please install: ${packages[*]} (Debian/Ubuntu package names)" >&2
    exit 1
  fi
}

ensure_rust_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (once; about 20 minutes on 2 cores)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  # The CLI must match the wasm-bindgen library in Cargo.lock exactly.
  local wanted
  wanted="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wanted" ]; then
    say "Installing wasm-bindgen-cli $wanted (once; about 3 minutes)"
    cargo install wasm-bindgen-cli --version "$wanted"
  fi
}

# Tailwind CSS, Playwright and wasm-opt (release builds). wasm-opt is npm's binaryen, pinned in
# package.json: Debian's binaryen 108 breaks the function table that wasm-bindgen's start-up
# code fills ("WebAssembly.Table.set(): Argument 1 is invalid for table"), and no page of the
# release build would hydrate.
ensure_node_packages() {
  if ! command -v npm >/dev/null; then
    say "Installing Node.js and npm"
    apt_install nodejs npm
  fi
  if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages (Tailwind CSS, wasm-opt, Playwright)"
    # `npm ci` rejects the lock file npm 11 writes (it omits other platforms' optional
    # packages), so install from it instead.
    npm install --no-audit --no-fund --no-save --loglevel=error
  fi
}

ensure_chromium() {
  command -v chromium >/dev/null || { say "Installing Chromium for the browser tests"; apt_install chromium chromium-driver; }
}

# The embedded database needs PostgreSQL's server programs unless DATABASE_URL is set.
ensure_postgres_binaries() {
  if [ -n "${DATABASE_URL:-}" ] || command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    return
  fi
  say "Installing PostgreSQL (for the embedded database)"
  apt_install postgresql
}
