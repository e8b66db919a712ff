#!/usr/bin/env bash
# Installs everything Aisle's demo and tests need on a fresh Debian or Ubuntu machine:
# Chromium (browser tests), FAISS with OpenBLAS (the companion's ANN search), then npm packages.
# Run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
# onnxruntime-node's postinstall would download GPU providers; the CPU binary ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip

echo "aisle setup: installing chromium, libfaiss-dev, libopenblas0-pthread with apt-get" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium libfaiss-dev libopenblas0-pthread >/dev/null

echo "aisle setup: npm ci" >&2
npm ci --no-audit --no-fund

echo "aisle setup: building the FAISS addon" >&2
npm run build:native
