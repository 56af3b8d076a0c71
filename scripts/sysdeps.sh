#!/bin/sh
# System libraries WeasyPrint needs (pango) and a CJK font for Chinese PDFs.
# Installs them with apt-get when missing and we are root; otherwise says what to run.
missing=""
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || missing="$missing libpango-1.0-0 libpangoft2-1.0-0"
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$missing fonts-noto-cjk"
# HarfBuzz's subsetter: small, fast PDFs (inspections/documents/fonts.py; without it PDFs are larger).
dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || missing="$missing libharfbuzz-subset0"
command -v dpkg >/dev/null 2>&1 || exit 0   # not Debian/Ubuntu: see README
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages:$missing"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "Missing system packages:$missing"
  echo "Run: sudo apt-get install -y$missing"
  echo "(PDF export needs them; everything else works without.)"
fi
exit 0
