#!/usr/bin/env bash
# Installs the Debian packages the build (and, with --test, the tests; with --bench, the peer
# benchmarks) need, when they are missing. Safe to run again: it does nothing when everything is there.
set -euo pipefail

# Codecs and devices for the clients, zlib for their PNG snapshots; curl for the scripts.
# libavcodec and libswresample: the ingest turns a publisher's AAC into Opus.
packages=(pkg-config libopus-dev libvpx-dev libv4l-dev libasound2-dev zlib1g-dev curl libavcodec-dev libswresample-dev)
if [ "${1:-}" = "--test" ]; then
  # Network namespaces for the HA and UDP-blocking tests, a PostgreSQL server for the portal's
  # database tests, a headless browser with its WebDriver for the dashboard test, and the model
  # checker (with a C compiler for its verifiers) for the failover model; and for the device test,
  # a VM booting Debian's own kernel with its vivid camera and snd-aloop sound card modules;
  # Node for the browser module's tests against the Swift vectors, ffmpeg to decode what a page sent
  # and, with GStreamer (rtmp2sink, x264enc, the AAC encoder of gst-libav), to publish over RTMP.
  packages+=(iproute2 nftables iputils-arping postgresql chromium chromium-driver spin gcc)
  packages+=(qemu-system-x86 linux-image-amd64 busybox-static alsa-utils cpio)
  packages+=(nodejs ffmpeg)
  packages+=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav)
fi
if [ "${1:-}" = "--bench" ]; then
  # The peer the TCP fan-out is compared with: nginx with its RTMP module, ffmpeg to encode its
  # stream, and a C compiler for the load tools.
  packages+=(nginx-light libnginx-mod-rtmp ffmpeg gcc)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
