#!/usr/bin/env bash
# `make demo`: the whole cluster on this machine (a primary CSM, its backup and three units, on
# 127.0.0.1 with embedded defaults) and a demo channel on the air: the broadcaster's test
# pattern with a burned-in clock and a 440 Hz tone. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
for product in avserver broadcaster viewer; do swift build -c release --product "$product"; done
bin=.build/release
logs=.build/demo
mkdir -p "$logs"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# A fresh admin token each run (the cluster key is made inside `avserver all`): nothing to set up,
# nothing anybody else can guess.
token_file=$logs/admin-token
(umask 077 && "$bin/avserver" keygen > "$token_file")
token=$(cat "$token_file")
"$bin/avserver" all --admin-token-file "$token_file" &
pids+=($!)
# Up when the portal answers and the primary CSM has all three units.
until curl -sf -o /dev/null --max-time 1 http://127.0.0.1:8080/health \
  && curl -sf --max-time 1 -H "Authorization: Bearer $token" http://127.0.0.1:7080/admin/units | grep -o '"active"' | wc -l | grep -qx 3; do
  sleep 0.2
done

# Starts a broadcaster with LOG and its flags; once it is on the air, its channel is in $live.
go_live() {
  local log=$1
  shift
  "$bin/broadcaster" "$@" < /dev/null > "$log" 2>&1 &
  pids+=($!)
  until grep -q "is live" "$log" 2>/dev/null; do
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "the broadcaster stopped; see $log:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.2
  done
  live=$(sed -n 's/^channel \([0-9]*\) is live.*/\1/p' "$log")
}
go_live "$logs/broadcaster.log" --title "Demo channel" --name demo --video test --audio test
channel=$live
# An audio-only channel in 60 ms frames, from a WAV file played in a loop (recorded first by
# `broadcaster preview` from the tone): what `viewer load` emulates thousands of viewers of.
"$bin/broadcaster" preview --video none --audio test --duration 2 --record "$logs/tone.wav" > "$logs/preview.log" 2>&1
go_live "$logs/radio.log" --title "Demo radio" --name demo --video none --audio "$logs/tone.wav" --loop --audio-frame-ms 60
radio=$live
# OBS, ffmpeg and phones publish over RTMP with a stream key made for a channel title.
stream_key=$("$bin/avserver" admin stream-key --token-file "$token_file" --title "Demo over RTMP" | tail -1)
rtmp_url=rtmp://127.0.0.1:1935/live
rtmp_line="Stream key:         $stream_key"
if command -v ffmpeg > /dev/null; then
  # ffmpeg as a streamer's OBS would be: H.264 without B-frames, a keyframe a second, AAC.
  ffmpeg -hide_banner -loglevel error -nostdin -re -f lavfi -i testsrc2=size=640x360:rate=25 -f lavfi -i sine=frequency=660:sample_rate=48000 \
    -c:v libx264 -preset veryfast -tune zerolatency -bf 0 -g 25 -b:v 1500k -c:a aac -b:a 128k -f flv "$rtmp_url/$stream_key" \
    > "$logs/ffmpeg.log" 2>&1 &
  pids+=($!)
  rtmp_line="$rtmp_line (ffmpeg publishes with it now: a third channel, H.264 over RTMP; log: $logs/ffmpeg.log)"
fi
cat <<TEXT

  The cluster is up and channel $channel is on the air (test pattern and tone; log: $logs/broadcaster.log).
  Watch it:           $bin/viewer watch $channel
  Or in a browser:    http://127.0.0.1:8080/watch/$channel   (go live from one: http://127.0.0.1:8080/broadcast)
  Channel $radio is audio only (a WAV file in a loop, in 60 ms Opus frames; log: $logs/radio.log).
  Load test:          $bin/viewer load --channel $radio --viewers 1000 --duration 20
  Go live yourself:   $bin/broadcaster --title "My channel" --video test --audio test
  Go live from OBS:   Settings > Stream: Service "Custom", Server $rtmp_url, and a key of your own from
                      $bin/avserver admin stream-key --token-file $token_file --title "My OBS channel"
  $rtmp_line
  Your camera and mic: $bin/broadcaster devices, then $bin/broadcaster preview --video /dev/video0 --audio default
  A recorded talk:    ffmpeg -i talk.mp4 -f yuv4mpegpipe -pix_fmt yuv420p - | $bin/broadcaster --video - --audio talk.wav --title Talk
  Web portal:         http://127.0.0.1:8080/   (admin dashboard: http://127.0.0.1:8080/admin?token=$token)
  Cluster status:     $bin/avserver admin status --token-file $token_file
  Ctrl-C stops everything.

TEXT
wait "${pids[0]}"
