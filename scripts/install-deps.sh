#!/usr/bin/env bash
# Installs ganvas's build and test dependencies from Debian 12 packages.
# Idempotent and quiet when everything is present; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config ccache
    libtorch-dev libgloo-dev libdnnl-dev libopenblas0-pthread
    libopencv-dev libopencv-contrib-dev
    libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    # The server's end-to-end tests: curl as the client, Chromium (headless) for the studio, driven
    # over the DevTools protocol by a Python script (standard library only).
    curl chromium python3
)
# Reference tools for peer benchmarks, fixture and experiment scripts (never a run-time dependency).
if [[ "${GANVAS_WITH_PEERS:-0}" == 1 ]]; then
    packages+=(python3-torch python3-skimage python3-scipy python3-pil)
fi

# libFuzzer and the compiler it comes with, for `make fuzz`.
if [[ "${GANVAS_WITH_FUZZ:-0}" == 1 ]]; then
    packages+=(clang libfuzzer-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
