#!/bin/sh
# Installs Outpost from its package tarball as a systemd service (SPEC §12). Run as root; running
# it again upgrades the program and keeps the configuration and the data.
#
#   install.sh [options] outpost-<version>.tgz     install or upgrade
#   install.sh [options] --uninstall               remove the program; keep config, data and user
#
# options:
#   --prefix DIR   where the program goes (default /opt/outpost)
#   --root DIR     install into DIR as if it were / (packaging and tests); implies --no-start
#   --no-start     do not call systemctl (no daemon-reload, enable or start)
#   --force        reinstall the program even when this version is already installed
#   --help
#
# What it does: npm installs the tarball into <prefix> (its npm-shrinkwrap.json pins the
# runtime dependencies), links /usr/local/bin/outpost, creates the system user `outpost`,
# /etc/outpost/outpost.yaml from the example when absent (root:outpost 0640), /var/lib/outpost
# (outpost, 0700), and /etc/systemd/system/outpost.service naming this node and this prefix.
set -eu

PREFIX=/opt/outpost
ROOT=
START=yes
FORCE=no
UNINSTALL=no
TARBALL=

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,12s/^# \{0,1\}//p' "$0"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift 2 ;;
    --root=*) ROOT=${1#*=}; shift ;;
    --no-start) START=no; shift ;;
    --uninstall) UNINSTALL=yes; shift ;;
    --force) FORCE=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$TARBALL" ] || die "one tarball at a time"; TARBALL=$1; shift ;;
  esac
done

case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path" ;; esac
if [ -n "$ROOT" ]; then
  case "$ROOT" in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac
  START=no
fi
[ "$(id -u)" -eq 0 ] || die "run me as root (sudo $0 …)"

ETC=$ROOT/etc/outpost
CONFIG=$ETC/outpost.yaml
DATA=$ROOT/var/lib/outpost
UNIT=$ROOT/etc/systemd/system/outpost.service
LINK=$ROOT/usr/local/bin/outpost
DEST=$ROOT$PREFIX
PKG=$DEST/lib/node_modules/outpost

systemd_up() { [ "$START" = yes ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

if [ "$UNINSTALL" = yes ]; then
  if systemd_up; then
    systemctl disable --now outpost.service >/dev/null 2>&1 || true
  fi
  rm -f "$UNIT" "$LINK"
  rm -rf "$DEST"
  if systemd_up; then systemctl daemon-reload; fi
  say "outpost removed from $DEST."
  say "kept: the configuration ($CONFIG), the data ($DATA) and the user outpost."
  say "to remove them too: rm -rf $ETC $DATA && userdel outpost"
  exit 0
fi

[ -n "$TARBALL" ] || die "name the package tarball (outpost-<version>.tgz); see --help"
[ -f "$TARBALL" ] || die "no such file: $TARBALL"
case "$TARBALL" in /*) ;; *) TARBALL=$(pwd)/$TARBALL ;; esac
NODE=$(command -v node) || die "node not found on PATH; install Node.js 20.18 or newer first"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH; it comes with Node.js"
"$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)' \
  || die "Node.js $("$NODE" --version) is too old; Outpost needs 20.18 or newer"

# The program: a global install into its own prefix, from the tarball and its shrinkwrap.
previous=
[ -f "$PKG/package.json" ] && previous=$("$NODE" -p "require('$PKG/package.json').version" 2>/dev/null || true)
version=$(tar -xzOf "$TARBALL" package/package.json | "$NODE" -p "JSON.parse(require('fs').readFileSync(0, 'utf8')).version") \
  || die "$TARBALL is not an Outpost package tarball"
if [ "$previous" = "$version" ] && [ "$FORCE" = no ]; then
  program_note="outpost $version already installed in $DEST (--force reinstalls it)."
else
  mkdir -p "$DEST"
  npm install --global --prefix "$DEST" --no-audit --no-fund --loglevel=error "$TARBALL" >/dev/null
  if [ -n "$previous" ] && [ "$previous" != "$version" ]; then
    program_note="outpost upgraded from $previous to $version in $DEST."
  else
    program_note="outpost $version installed in $DEST."
  fi
fi

# The command for operators: reads the installed config unless told otherwise.
mkdir -p "$(dirname "$LINK")"
cat > "$LINK" <<EOF
#!/bin/sh
# Installed by Outpost's install.sh: the outpost command with the service's configuration.
: "\${OUTPOST_CONFIG:=/etc/outpost/outpost.yaml}"
export OUTPOST_CONFIG
exec $NODE $PREFIX/lib/node_modules/outpost/bin/outpost.js "\$@"
EOF
chmod 0755 "$LINK"

# The user the service runs as: no login, no home of its own beyond the data dir.
if [ -n "$ROOT" ]; then
  mkdir -p "$ROOT/etc"
  for f in passwd group shadow gshadow; do [ -e "$ROOT/etc/$f" ] || : > "$ROOT/etc/$f"; done
  # (useradd warns that the chroot has no /usr/sbin/nologin: true, and harmless there)
  grep -q '^outpost:' "$ROOT/etc/passwd" || useradd --root "$ROOT" --system --user-group --home-dir /var/lib/outpost --no-create-home --shell /usr/sbin/nologin outpost 2>/dev/null
else
  id outpost >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/outpost --no-create-home --shell /usr/sbin/nologin outpost
fi
ids=$(awk -F: '$1 == "outpost" { print $3 ":" $4 }' "$ROOT/etc/passwd")
[ -n "$ids" ] || die "could not create the user outpost"

# The configuration: the example, with the service's data dir, unless one is already there.
mkdir -p "$ETC"
if [ ! -e "$CONFIG" ]; then
  sed 's|^dataDir: .*|dataDir: /var/lib/outpost|' "$PKG/config/outpost.example.yaml" > "$CONFIG"
  chown "root:${ids#*:}" "$CONFIG"
  chmod 0640 "$CONFIG"
  config_note="created $CONFIG from the example: edit it"
else
  config_note="kept $CONFIG"
fi

# The data dir: the service's alone.
mkdir -p "$DATA"
chown "$ids" "$DATA"
chmod 0700 "$DATA"

# The unit, naming this node and this prefix.
mkdir -p "$(dirname "$UNIT")"
sed -e "s|/usr/bin/node|$NODE|g" -e "s|/opt/outpost|$PREFIX|g" "$PKG/scripts/outpost.service" > "$UNIT"
chmod 0644 "$UNIT"

if systemd_up; then
  systemctl daemon-reload
  systemctl enable outpost.service >/dev/null 2>&1
fi

say "$program_note"
say "  $config_note"
say "  data: $DATA (outpost, 0700); unit: $UNIT; command: $LINK"
say ""
say "next steps:"
if [ -n "$previous" ] && [ "$previous" != "$version" ]; then
  say "  systemctl restart outpost        # a store from an older release is migrated at start,"
  say "                                   # after a copy in /var/lib/outpost/backups/pre-upgrade-…"
else
  say "  \$EDITOR /etc/outpost/outpost.yaml   # listeners, TLS, exchange.url, backup"
  say "  systemctl start outpost"
  say "  cat /var/lib/outpost/initial-admin-password   # the first login as admin, at the admin listener"
fi
say "  outpost status"
