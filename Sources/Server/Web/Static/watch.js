// The watch page (/watch/N): joins through the portal's API, opens the session over WebSocket at
// the unit it names (always TCP mode: the unit's cursor and lag policy apply as to any TCP
// viewer), decodes VP8 onto the canvas and Opus into Web Audio with a small jitter buffer, and
// keeps the chat. A unit that goes away is left for another through the API, resuming where the
// page left off. Everything it shows of others (titles, names, chat) is set as text.
import { decodeFrame, encodeMessage, messages, resumePoint, H264Assembler, VP8Assembler, H264, VP8, OPUS } from '/static/avmedia.js';
import { $, addChat, say as sayIn, sendChatFrom } from '/static/page.js';
import { channelSamples, dominantFrequency } from '/static/sound.js';

const channel = Number(location.pathname.split('/').filter(Boolean).pop());
const name = new URLSearchParams(location.search).get('name') || `web-${Math.floor(Math.random() * 10000)}`;
/// What the page knows, for its status line and for tests (window.avWatch).
const state = window.avWatch = {
  channel, name, unit: null, mode: '', videoOnlyAudio: false, viewers: 0, framesDecoded: 0, fps: 0, kbps: 0,
  latencyMs: null, audioFrequency: null, audioChunks: 0, chat: [], ended: false, error: null, rejoins: [],
  keyframesDecoded: 0, videoSkips: 0, videoCodec: 'vp8',
};

const say = (text, kind) => sayIn(state, text, kind);

if (typeof VideoDecoder === 'undefined' || typeof AudioDecoder === 'undefined') {
  say('This browser has no WebCodecs (VideoDecoder, AudioDecoder): use a recent Chromium, Edge or Firefox, '
    + 'on http://localhost or over https (other plain-http addresses are not a secure context).', 'error');
  throw new Error('no WebCodecs');
}

// Video: whole frames from the assembler; delta frames wait for a keyframe after a start, a gap
// or the unit's "video back" (it resumes at a keyframe).
const canvas = $('video');
const context2d = canvas.getContext('2d');
let needKeyframe = true;
let framesThisSecond = 0;
let videoDecoder = null;
function makeVideoDecoder() {
  return new VideoDecoder({
    output(frame) {
      if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
        canvas.width = frame.displayWidth;
        canvas.height = frame.displayHeight;
      }
      context2d.drawImage(frame, 0, 0);
      frame.close();
      state.framesDecoded += 1;
      framesThisSecond += 1;
    },
    error(error) {
      // A decoder that failed is closed: the next keyframe starts a new one.
      say(`video decoder: ${error.message}; waiting for the next keyframe`);
      resetVideo();
    },
  });
}
// The channel's video codec, as its join said: VP8 from this project's broadcasters, H.264 from
// OBS and other RTMP publishers. An H.264 decoder is configured at its first keyframe, from the
// profile and level of the SPS before it.
let videoCodec = 'vp8';
let configuredCodec = null;
function resetVideo() {
  needKeyframe = true;
  configuredCodec = null;
  if (!videoDecoder || videoDecoder.state === 'closed') videoDecoder = makeVideoDecoder();
  if (videoCodec === 'vp8') configureVideo('vp8');
}
function configureVideo(codec) {
  configuredCodec = codec;
  videoDecoder.configure(codec === 'vp8'
    // The broadcaster CLI converts to YUV with BT.601 in studio range, as VP8's colour space bit 0
    // says; told so, the browser does not guess another matrix.
    ? { codec, optimizeForLatency: true, colorSpace: { primaries: 'smpte170m', transfer: 'smpte170m', matrix: 'smpte170m', fullRange: false } }
    // Annex B (no description): SPS and PPS come in the stream before every keyframe.
    : { codec, optimizeForLatency: true });
}
resetVideo();
const assembler = new VP8Assembler();
const h264Assembler = new H264Assembler();

function decodeVideo(frame) {
  if (needKeyframe && !frame.keyframe) return;
  if (frame.codec && frame.codec !== configuredCodec) {
    if (!frame.keyframe) return;
    configureVideo(frame.codec);
  }
  if (!configuredCodec) return;
  needKeyframe = false;
  if (frame.keyframe) state.keyframesDecoded += 1;
  videoDecoder.decode(new EncodedVideoChunk({
    type: frame.keyframe ? 'key' : 'delta', timestamp: Math.round((frame.timestamp * 1e6) / VP8.clockRate), data: frame.data,
  }));
}

// Audio: decoded chunks are scheduled back to back a little ahead of now (the jitter buffer);
// when they run late or too far ahead the schedule starts again from now.
const audio = new AudioContext({ sampleRate: OPUS.clockRate, latencyHint: 'interactive' });
const jitter = 0.08;
let playAt = 0;
let audioDecoder = null;
const recent = new Float32Array(16384);
let recentFill = 0;
function playAudio(data) {
  state.audioChunks += 1;
  const buffer = audio.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
  for (let channelIndex = 0; channelIndex < data.numberOfChannels; channelIndex++) {
    const samples = channelSamples(data, channelIndex);
    buffer.copyToChannel(samples, channelIndex);
    if (channelIndex === 0) keepForAnalysis(samples);
  }
  data.close();
  const now = audio.currentTime;
  if (playAt < now + 0.01 || playAt > now + 0.5) playAt = now + jitter;
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  source.start(playAt);
  playAt += buffer.duration;
}
function keepForAnalysis(samples) {
  const take = Math.min(samples.length, recent.length);
  recent.copyWithin(0, take);
  recent.set(samples.subarray(samples.length - take), recent.length - take);
  recentFill = Math.min(recent.length, recentFill + take);
}
function decodeAudio(packet) {
  if (!audioDecoder) {
    // The Opus TOC byte says mono or stereo (RFC 6716 section 3.1).
    const channels = packet.payload.length && packet.payload[0] & 0x04 ? 2 : 1;
    audioDecoder = new AudioDecoder({ output: playAudio, error: (error) => { say(`audio decoder: ${error.message}`); audioDecoder = null; } });
    audioDecoder.configure({ codec: 'opus', sampleRate: OPUS.clockRate, numberOfChannels: channels });
  }
  audioDecoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: Math.round((packet.timestamp * 1e6) / OPUS.clockRate), data: packet.payload }));
}
$('sound').onclick = () => audio.resume();

// The session.
let socket = null;
let bytesThisSecond = 0;
let latencies = [];
const lastSequences = new Map();
let lostAt = null;

function onMedia(packet) {
  lastSequences.set(packet.ssrc, packet.sequence);
  if (packet.captureTimeUs !== undefined) latencies.push(Date.now() - packet.captureTimeUs / 1000);
  if (packet.payloadType === VP8.payloadType) {
    const frame = assembler.push(packet);
    if (frame) decodeVideo(frame);
  } else if (packet.payloadType === H264.payloadType) {
    const frame = h264Assembler.push(packet);
    if (frame) decodeVideo(frame);
  } else if (packet.payloadType === OPUS.payloadType) {
    decodeAudio(packet);
  }
}

function onMessage({ kind, value }) {
  switch (kind) {
    case 'opened': state.mode = value._0.mode; break;
    case 'modeChanged': state.mode = value._0; break;
    case 'videoSkipped':
      state.videoOnlyAudio = value._0;
      if (value._0) { state.videoSkips += 1; say(`audio only while catching up (${value.reason})`); }
      else { needKeyframe = true; say('video is back'); }
      break;
    case 'channelStatus': state.viewers = value.viewers; break;
    case 'chat': addChat(state, value._0.from, value._0.text, value._0.broadcaster === true); break;
    case 'error': say(value._0.message, 'error'); break;
    case 'goodbye': say(`the unit said goodbye: ${value.reason}`); break;
    default: break;
  }
}

sendChatFrom(() => name, () => socket);

async function join() {
  const response = await fetch(`/api/channels/${channel}/join`, { method: 'POST' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error?.message ?? `HTTP ${response.status}`), { status: response.status });
  return body;
}

function connect(place) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  if (!place.unit.webSocketPort) throw new Error(`unit ${place.unit.unit} serves no WebSocket sessions`);
  const ws = new WebSocket(`${scheme}://${place.unit.host}:${place.unit.webSocketPort}/session`);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  state.unit = place.unit.unit;
  if ((place.videoCodec ?? 'vp8') !== videoCodec) {
    videoCodec = place.videoCodec ?? 'vp8';
    state.videoCodec = videoCodec;
    resetVideo();
  }
  ws.onopen = () => {
    ws.send(encodeMessage(messages.hello('viewer', name)));
    ws.send(encodeMessage(messages.open(place.ticket, name, resumePoint(lastSequences))));
    if (lostAt !== null) {
      const gapMs = Math.round(performance.now() - lostAt);
      state.rejoins.push({ unit: place.unit.unit, gapMs });
      say(`the unit went away; joined again on unit ${place.unit.unit} after ${gapMs} ms`);
      lostAt = null;
    }
  };
  ws.onmessage = (event) => {
    const bytes = new Uint8Array(event.data);
    bytesThisSecond += bytes.length;
    try {
      const frame = decodeFrame(bytes);
      if (frame.media) onMedia(frame.media); else onMessage(frame.message);
    } catch (error) {
      say(`a frame the page cannot read: ${error.message}`);
    }
  };
  ws.onclose = () => {
    if (socket !== ws || state.ended) return;
    lostAt ??= performance.now();
    say(`lost unit ${place.unit.unit}; joining again`);
    setTimeout(start, 300);
  };
}

let attempts = 0;
async function start() {
  try {
    connect(await join());
    attempts = 0;
  } catch (error) {
    if (error.status === 404) {
      state.ended = true;
      say('The channel has ended.', 'error');
      return;
    }
    attempts += 1;
    say(`cannot join: ${error.message}; trying again`, attempts > 5 ? 'error' : 'notice');
    setTimeout(start, Math.min(5000, 300 * 2 ** attempts));
  }
}

async function describe() {
  const channels = await fetch('/api/channels').then((response) => response.json()).catch(() => []);
  const live = channels.find((entry) => entry.channel === channel);
  $('title').textContent = live ? live.title || `Channel ${channel}` : `Channel ${channel}`;
  $('byline').textContent = live ? `by ${live.broadcasterName || 'someone'}` : '';
  document.title = `${$('title').textContent}: avcluster`;
}

setInterval(() => {
  state.fps = framesThisSecond;
  framesThisSecond = 0;
  state.kbps = Math.round((bytesThisSecond * 8) / 1000);
  bytesThisSecond = 0;
  if (latencies.length) state.latencyMs = Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length);
  latencies = [];
  if (recentFill === recent.length) state.audioFrequency = dominantFrequency(recent, OPUS.clockRate);
  $('sound').hidden = audio.state === 'running';
  const parts = [
    state.mode ? `${state.mode.toUpperCase()} via unit ${state.unit}` : 'connecting', `${state.kbps} kbit/s`, `${state.fps} fps`,
    state.latencyMs === null ? 'latency ?' : `${state.latencyMs} ms behind live`, `${state.viewers} watching`,
  ];
  if (state.videoOnlyAudio) parts.push('audio only while catching up');
  $('status').textContent = parts.join(' · ');
}, 1000);

describe();
start();
