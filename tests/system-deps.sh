#!/bin/sh
# Installs the Debian packages the project needs, when they are missing:
# mysqlclient builds against pkg-config and libmysqlclient; the tests start a memcached and
# drive Chromium; the benchmarks load the server with wrk.
set -e
need=""
for pkg in pkg-config default-libmysqlclient-dev memcached chromium wrk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages:$need (run as root, or: sudo apt-get install -y$need)" >&2
  exit 1
fi
echo "installing Debian packages:$need"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
