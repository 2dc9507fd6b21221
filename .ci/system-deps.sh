#!/usr/bin/env bash
# Debian libraries that the PySide6 wheels load and fonts the PDFs use. Installs only what is missing,
# and only where it can (root with apt-get); elsewhere it names what to install.
# --test: also what the tests print to (a CUPS scheduler and the CUPS-PDF queue's backend: tests/cups_pdf.py).
set -euo pipefail
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libEGL.so.1'        || need+=(libegl1)
have_lib 'libGL.so.1'         || need+=(libgl1)
have_lib 'libxkbcommon.so.0'  || need+=(libxkbcommon0)
have_lib 'libfontconfig.so.1' || need+=(libfontconfig1)
have_lib 'libdbus-1.so.3'     || need+=(libdbus-1-3)
have_lib 'libglib-2.0.so.0'   || need+=(libglib2.0-0)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
  [ -x /usr/sbin/cupsd ] && command -v lp >/dev/null || need+=(cups)
  [ -e /usr/lib/cups/backend/cups-pdf ] || need+=(printer-driver-cups-pdf)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]} (install them with your package manager)" >&2
fi
