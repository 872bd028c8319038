// The broadcast page (/broadcast): camera and microphone chosen by the user, a preview, VP8 and
// Opus encoded with WebCodecs (a keyframe when the unit asks and every few seconds), packetized
// as the broadcaster CLI does (RFC 7741, RFC 7587, the capture-time extension) and sent over the
// session's WebSocket. Stop, or closing the page, closes the channel unless it is to stay open.
import { buildRTP, decodeFrame, encodeMessage, messages, VP8Packetizer, VP8, OPUS } from '/static/avmedia.js';
import { $, addChat, say as sayIn, sendChatFrom } from '/static/page.js';
import { channelSamples, level } from '/static/sound.js';

const keyframeSeconds = 2;
/// What the page knows, for its status line and for tests (window.avBroadcast).
const state = window.avBroadcast = {
  channel: null, live: false, framesSent: 0, keyframesSent: 0, audioPacketsSent: 0, kbps: 0, viewers: 0, chat: [],
  keyframeRequests: 0, levelDbfs: -Infinity, error: null, ended: false,
};

const say = (text, kind) => sayIn(state, text, kind);

if (typeof VideoEncoder === 'undefined' || typeof AudioEncoder === 'undefined' || typeof MediaStreamTrackProcessor === 'undefined') {
  say('This browser cannot encode here (no WebCodecs VideoEncoder/AudioEncoder or MediaStreamTrackProcessor): use a recent '
    + 'Chromium or Edge, on http://localhost or over https.', 'error');
  $('go').disabled = true;
  throw new Error('no WebCodecs');
}

// Devices: the stream for the chosen camera and microphone, shown in the preview.
let stream = null;
async function useDevices() {
  for (const track of stream?.getTracks() ?? []) track.stop();
  const camera = $('camera').value, microphone = $('microphone').value;
  stream = await navigator.mediaDevices.getUserMedia({
    video: { deviceId: camera ? { exact: camera } : undefined, width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 30 } },
    // What the microphone hears, as it is: the listeners' own devices do any processing.
    audio: { deviceId: microphone ? { exact: microphone } : undefined, echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
  });
  $('preview').srcObject = stream;
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [select, kind, current] of [[$('camera'), 'videoinput', stream.getVideoTracks()[0]], [$('microphone'), 'audioinput', stream.getAudioTracks()[0]]]) {
    const chosen = current?.getSettings().deviceId;
    select.replaceChildren(...devices.filter((device) => device.kind === kind).map((device, index) => {
      const option = new Option(device.label || `${kind === 'videoinput' ? 'camera' : 'microphone'} ${index + 1}`, device.deviceId);
      option.selected = device.deviceId === chosen;
      return option;
    }));
  }
}
$('camera').onchange = $('microphone').onchange = () => useDevices().catch((error) => say(`the devices: ${error.message}`, 'error'));

// Sending: one RTP packet per WebSocket message, as RFC 4571 frames on a TCP session.
let socket = null;
let bytesThisSecond = 0;
const random32 = () => crypto.getRandomValues(new Uint32Array(1))[0];
const video = { ssrc: random32() || 1, sequence: random32() & 0xffff, base: random32(), packetizer: new VP8Packetizer() };
const sound = { ssrc: random32() || 2, sequence: random32() & 0xffff, base: random32() };
const captureTimes = new Map();

function sendPacket(bytes) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(bytes);
  bytesThisSecond += bytes.length;
}

function sendVideo(chunk) {
  const frame = new Uint8Array(chunk.byteLength);
  chunk.copyTo(frame);
  const captureTimeUs = captureTimes.get(chunk.timestamp) ?? Date.now() * 1000;
  captureTimes.delete(chunk.timestamp);
  const timestamp = (video.base + Math.round((chunk.timestamp * VP8.clockRate) / 1e6)) >>> 0;
  const payloads = video.packetizer.payloads(frame);
  payloads.forEach((payload, index) => {
    sendPacket(buildRTP({ payloadType: VP8.payloadType, marker: index === payloads.length - 1, sequence: video.sequence, timestamp, ssrc: video.ssrc, captureTimeUs, payload }));
    video.sequence = (video.sequence + 1) & 0xffff;
  });
  state.framesSent += 1;
  if (chunk.type === 'key') state.keyframesSent += 1;
}

function sendAudio(chunk) {
  const payload = new Uint8Array(chunk.byteLength);
  chunk.copyTo(payload);
  const timestamp = (sound.base + Math.round((chunk.timestamp * OPUS.clockRate) / 1e6)) >>> 0;
  sendPacket(buildRTP({ payloadType: OPUS.payloadType, sequence: sound.sequence, timestamp, ssrc: sound.ssrc, captureTimeUs: Date.now() * 1000, payload }));
  sound.sequence = (sound.sequence + 1) & 0xffff;
  state.audioPacketsSent += 1;
}

// Encoding: frames read from the tracks as they come; a frame is dropped rather than queued
// when the encoder falls behind, so the broadcast stays live.
let keyframeWanted = true;
let lastKeyframeUs = -Infinity;
let readers = [];
async function encodeVideo(track) {
  const settings = track.getSettings();
  const encoder = new VideoEncoder({ output: sendVideo, error: (error) => say(`video encoder: ${error.message}`, 'error') });
  encoder.configure({
    codec: 'vp8', width: settings.width, height: settings.height, bitrate: 900_000, framerate: settings.frameRate || 30, latencyMode: 'realtime',
  });
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  readers.push(reader);
  for (;;) {
    const { value: frame, done } = await reader.read();
    if (done) break;
    if (encoder.encodeQueueSize > 2 || !state.live) { frame.close(); continue; }
    const keyFrame = keyframeWanted || frame.timestamp - lastKeyframeUs >= keyframeSeconds * 1e6;
    if (keyFrame) { keyframeWanted = false; lastKeyframeUs = frame.timestamp; }
    captureTimes.set(frame.timestamp, Date.now() * 1000);
    encoder.encode(frame, { keyFrame });
    frame.close();
  }
  if (encoder.state !== 'closed') encoder.close();
}

async function encodeAudio(track) {
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  readers.push(reader);
  let encoder = null;
  for (;;) {
    const { value: data, done } = await reader.read();
    if (done) break;
    const samples = channelSamples(data);
    state.levelDbfs = level(samples).dbfs;
    if (!encoder) {
      encoder = new AudioEncoder({ output: sendAudio, error: (error) => say(`audio encoder: ${error.message}`, 'error') });
      encoder.configure({ codec: 'opus', sampleRate: data.sampleRate, numberOfChannels: data.numberOfChannels, bitrate: 64_000, opus: { frameDuration: 20_000 } });
    }
    if (state.live) encoder.encode(data);
    data.close();
  }
  if (encoder && encoder.state !== 'closed') encoder.close();
}

function onMessage({ kind, value }) {
  switch (kind) {
    case 'opened':
      state.live = true;
      say('live');
      encodeVideo(stream.getVideoTracks()[0]).catch((error) => say(`video: ${error.message}`, 'error'));
      encodeAudio(stream.getAudioTracks()[0]).catch((error) => say(`sound: ${error.message}`, 'error'));
      break;
    case 'keyframeRequest': keyframeWanted = true; state.keyframeRequests += 1; break;
    case 'channelStatus': state.viewers = value.viewers; break;
    case 'chat': addChat(state, value._0.from, value._0.text, value._0.broadcaster === true); break;
    case 'error': say(value._0.message, 'error'); break;
    case 'goodbye': say(`the unit said goodbye: ${value.reason}`); break;
    default: break;
  }
}

sendChatFrom(() => $('name').value || 'broadcaster', () => socket);

async function goLive() {
  const name = $('name').value.trim();
  const response = await fetch('/api/channels', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title: $('title').value.trim(), broadcasterName: name }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  state.channel = body.channel;
  state.secret = body.secret;
  state.unit = body.unit.unit;
  if (!body.unit.webSocketPort) throw new Error(`unit ${body.unit.unit} serves no WebSocket sessions`);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${body.unit.host}:${body.unit.webSocketPort}/session`);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  ws.onopen = () => {
    ws.send(encodeMessage(messages.hello('broadcaster', name)));
    ws.send(encodeMessage(messages.open(body.ticket, name)));
  };
  ws.onmessage = (event) => {
    try {
      const frame = decodeFrame(new Uint8Array(event.data));
      if (frame.message) onMessage(frame.message);
    } catch (error) {
      say(`a frame the page cannot read: ${error.message}`);
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    state.live = false;
    if (!state.ended) say('the unit closed the session; the broadcast has stopped', 'error');
  };
  const share = $('share');
  const link = document.createElement('a');
  link.href = `/watch/${body.channel}`;
  link.textContent = `${location.origin}/watch/${body.channel}`;
  share.replaceChildren(document.createTextNode('Viewers watch at '), link, document.createTextNode(`; channel ${body.channel}, secret `));
  const secret = document.createElement('code');
  secret.textContent = body.secret;
  share.append(secret);
  $('go').disabled = true;
  $('stop').disabled = false;
}

/// Ends the broadcast: the session says goodbye and, unless it is to stay open, the channel closes.
function stop(closing = false) {
  if (state.ended || state.channel === null) return;
  state.ended = true;
  state.live = false;
  if (socket?.readyState === WebSocket.OPEN) socket.send(encodeMessage(messages.goodbye(closing ? 'page closed' : 'stopped')));
  socket?.close();
  for (const reader of readers) reader.cancel().catch(() => {});
  readers = [];
  if (!$('keep-open').checked) {
    const body = JSON.stringify({ secret: state.secret });
    if (closing) navigator.sendBeacon(`/api/channels/${state.channel}/close`, new Blob([body], { type: 'application/json' }));
    else fetch(`/api/channels/${state.channel}/close`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  }
  say($('keep-open').checked ? `stopped; channel ${state.channel} stays open` : 'stopped; the channel is closed');
  $('stop').disabled = true;
}

$('live').onsubmit = (event) => {
  event.preventDefault();
  goLive().catch((error) => say(`cannot go live: ${error.message}`, 'error'));
};
$('stop').onclick = () => stop(false);
addEventListener('pagehide', () => stop(true));

setInterval(() => {
  state.kbps = Math.round((bytesThisSecond * 8) / 1000);
  bytesThisSecond = 0;
  const width = Number.isFinite(state.levelDbfs) ? Math.max(0, Math.min(100, ((state.levelDbfs + 60) / 60) * 100)) : 0;
  $('meter').style.width = `${width}%`;
  $('level').textContent = Number.isFinite(state.levelDbfs) ? `${Math.round(state.levelDbfs)} dBFS` : '';
  $('status').textContent = state.live
    ? `live on channel ${state.channel} via unit ${state.unit} · ${state.kbps} kbit/s · ${state.framesSent} frames · ${state.viewers} watching`
    : state.ended ? 'stopped' : 'not live';
}, 1000);

useDevices().catch((error) => say(`no camera or microphone: ${error.message}. Allow the page to use them, or plug one in.`, 'error'));
