#!/bin/sh
# The device test's guest side (run by Tests/Devices/device-vm.sh, as root in the guest, with
# vivid on /dev/video0 and snd-aloop's Loopback card): the real binaries on the real devices.
# Everything they print and write goes to OUT, which the host checks (DeviceTests.swift).
#
#   in-guest.sh BIN OUT     BIN: the directory of broadcaster, viewer and avserver
set -u
bin=$1
out=$2
tone=$out/tone.wav  # written by the host: a 440 Hz tone, long enough for every step
step() { echo "== $(date +%T) $*"; }

run() {  # run NAME COMMAND...: output to OUT/NAME.txt, exit status to OUT/NAME.rc
  name=$1; shift
  "$@" >"$out/$name.txt" 2>&1
  echo $? >"$out/$name.rc"
}

step "broadcaster devices"
run devices "$bin/broadcaster" devices

step "preview: YUYV 640x480 at 25 fps (vivid's fastest at that size)"
run preview-yuyv "$bin/broadcaster" preview --video /dev/video0 --size 640x480 --fps 25 --pixel-format YUYV \
  --audio none --duration 4 --snapshot "$out/yuyv.ppm"

step "preview: RGB3 (24-bit RGB), converted by libv4lconvert"
run preview-rgb3 "$bin/broadcaster" preview --video /dev/video0 --size 640x480 --fps 25 --pixel-format RGB3 \
  --audio none --duration 3 --snapshot "$out/rgb3.png"
run preview-rgb3-ppm "$bin/broadcaster" preview --video /dev/video0 --size 640x480 --fps 25 --pixel-format RGB3 \
  --audio none --duration 1 --snapshot "$out/rgb3.ppm"

step "preview: sound from hw:Loopback,1 while aplay plays the tone into hw:Loopback,0"
aplay -q -D hw:Loopback,0 "$tone" &
player=$!
sleep 1
run preview-sound "$bin/broadcaster" preview --video none --audio hw:Loopback,1 --duration 3 --record "$out/recorded.wav"
kill $player; wait $player

step "the whole path: a cluster, a broadcaster on the devices, a viewer"
# The guest is emulated at a fraction of real time: its timers run late without any load, so
# admission by loop delay would refuse the viewer.
"$bin/avserver" all --units 1 --max-loop-delay-ms 60000 >"$out/avserver.txt" 2>&1 &
server=$!
for _ in $(seq 120); do
  curl -sf -o /dev/null http://127.0.0.1:8080/ && break
  sleep 0.5
done
aplay -q -D hw:Loopback,0 "$tone" &
player=$!
"$bin/broadcaster" --title "Devices" --video /dev/video0 --size 320x240 --fps 15 --video-kbps 300 \
  --audio hw:Loopback,1 --duration 60 >"$out/broadcaster.txt" 2>&1 </dev/null &
broadcaster=$!
for _ in $(seq 120); do
  grep -q "sending to unit" "$out/broadcaster.txt" && break
  sleep 0.5
done
sleep 2
# 16 s: under emulation on a busy host the guest's sound card may deliver a tenth of real time.
run viewer "$bin/viewer" watch 1 --duration 16 --audio-out "$out/viewer.wav" --snapshot "$out/viewer.ppm" \
  --rtp-out 127.0.0.1:5004 --sdp "$out/stream.sdp"
kill -INT $broadcaster
wait $broadcaster
echo $? >"$out/broadcaster.rc"
kill $player $server 2>/dev/null
wait
step "done"
exit 0
