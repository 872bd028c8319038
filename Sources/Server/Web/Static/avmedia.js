// The avcluster session protocol and its media, for the browser: RTP packets (RFC 3550) with the
// capture-time header extension (RFC 8285, one-byte form), VP8 payloads (RFC 7741), Opus
// payloads (RFC 7587: one Opus packet each), and the session's JSON messages. A session over
// WebSocket carries one RFC 4571 frame per binary message: RTP starts with a byte 128-191,
// a session message with '{'. Tested against vectors the Swift Wire library writes
// (Tests/Web/avmedia.test.mjs), so the two cannot drift apart.

export const VP8 = Object.freeze({ payloadType: 96, clockRate: 90000 });
export const OPUS = Object.freeze({ payloadType: 111, clockRate: 48000 });
export const H264 = Object.freeze({ payloadType: 102, clockRate: 90000 });
export const CAPTURE_TIME_EXTENSION_ID = 1;
export const PROTOCOL_VERSION = 2;
/// Largest VP8 payload, descriptor included: whole packets stay within 1200 bytes.
export const MAX_VP8_PAYLOAD = 1200 - 12 - 16;

/// One RTP packet as bytes; `captureTimeUs` (microseconds since the Unix epoch) goes in the
/// capture-time extension.
export function buildRTP({ payloadType, marker = false, sequence, timestamp, ssrc, captureTimeUs, payload }) {
  const extension = captureTimeUs === undefined ? 0 : 16; // 4-byte block header, 9 bytes padded to 12
  const bytes = new Uint8Array(12 + extension + payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x80 | (extension ? 0x10 : 0);
  bytes[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  view.setUint16(2, sequence & 0xffff);
  view.setUint32(4, timestamp >>> 0);
  view.setUint32(8, ssrc >>> 0);
  if (extension) {
    view.setUint16(12, 0xbede);
    view.setUint16(14, 3);
    bytes[16] = (CAPTURE_TIME_EXTENSION_ID << 4) | 7;
    view.setBigUint64(17, BigInt(Math.round(captureTimeUs)));
  }
  bytes.set(payload, 12 + extension);
  return bytes;
}

/// Reads an RTP packet; throws an Error naming what is wrong.
export function parseRTP(bytes) {
  if (bytes.length < 12) throw new Error(`an RTP packet needs 12 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] >> 6 !== 2) throw new Error(`RTP version ${bytes[0] >> 6}, not 2`);
  let offset = 12 + 4 * (bytes[0] & 0x0f);
  let captureTimeUs;
  if (bytes[0] & 0x10) {
    if (bytes.length < offset + 4) throw new Error('the RTP header extension is cut off');
    const profile = view.getUint16(offset);
    const length = 4 * view.getUint16(offset + 2);
    const start = offset + 4;
    if (bytes.length < start + length) throw new Error('the RTP header extension is longer than the packet');
    if (profile === 0xbede) {
      for (let i = start; i < start + length;) {
        const id = bytes[i] >> 4, size = (bytes[i] & 0x0f) + 1;
        if (bytes[i] === 0) { i += 1; continue; }
        if (id === 15) break;
        if (i + 1 + size > start + length) throw new Error(`extension element ${id} runs past its block`);
        if (id === CAPTURE_TIME_EXTENSION_ID && size === 8) captureTimeUs = Number(view.getBigUint64(i + 1));
        i += 1 + size;
      }
    } else if ((profile & 0xfff0) === 0x1000) {
      for (let i = start; i < start + length;) {
        if (bytes[i] === 0) { i += 1; continue; }
        if (i + 2 > start + length) throw new Error('a two-byte extension element has no length');
        const id = bytes[i], size = bytes[i + 1];
        if (i + 2 + size > start + length) throw new Error(`extension element ${id} runs past its block`);
        if (id === CAPTURE_TIME_EXTENSION_ID && size === 8) captureTimeUs = Number(view.getBigUint64(i + 2));
        i += 2 + size;
      }
    }
    offset = start + length;
  }
  let end = bytes.length;
  if (bytes[0] & 0x20) {
    const padding = bytes[bytes.length - 1];
    if (padding === 0 || offset + padding > bytes.length) throw new Error(`RTP padding of ${padding} bytes does not fit`);
    end -= padding;
  }
  if (offset > end) throw new Error('the RTP header is longer than the packet');
  return {
    payloadType: bytes[1] & 0x7f, marker: (bytes[1] & 0x80) !== 0, sequence: view.getUint16(2),
    timestamp: view.getUint32(4), ssrc: view.getUint32(8), captureTimeUs, payload: bytes.subarray(offset, end),
  };
}

/// The VP8 payload descriptor (RFC 7741 section 4.2) and its size in bytes.
export function parseVP8Descriptor(payload) {
  let i = 0;
  const next = (what) => {
    if (i >= payload.length) throw new Error(`the VP8 payload ends inside its descriptor, before ${what}`);
    return payload[i++];
  };
  const first = next('the first byte');
  const descriptor = { start: (first & 0x10) !== 0, partition: first & 0x07, pictureID: undefined };
  if (first & 0x80) {
    const extensions = next('the extension byte');
    if (extensions & 0x80) {
      const high = next('the picture id');
      descriptor.pictureID = high & 0x80 ? ((high & 0x7f) << 8) | next("the picture id's second byte") : high;
    }
    if (extensions & 0x40) next('TL0PICIDX');
    if (extensions & 0x30) next('TID/KEYIDX');
  }
  descriptor.size = i;
  return descriptor;
}

/// Splits VP8 frames into RTP payloads exactly as the broadcaster CLI does (`VP8Packetizer`): a
/// descriptor with a 15-bit picture id on every payload, S set on the first.
export class VP8Packetizer {
  constructor(maxPayloadSize = MAX_VP8_PAYLOAD, firstPictureID = Math.floor(Math.random() * 0x8000)) {
    this.maxPayloadSize = Math.max(maxPayloadSize, 8);
    this.nextPictureID = firstPictureID & 0x7fff;
  }

  payloads(frame) {
    const pictureID = this.nextPictureID;
    this.nextPictureID = (pictureID + 1) & 0x7fff;
    const chunk = this.maxPayloadSize - 4;
    const result = [];
    let offset = 0;
    do {
      const end = Math.min(offset + chunk, frame.length);
      const payload = new Uint8Array(4 + end - offset);
      payload.set([0x80 | (offset === 0 ? 0x10 : 0), 0x80, 0x80 | ((pictureID >> 8) & 0x7f), pictureID & 0xff]);
      payload.set(frame.subarray(offset, end), 4);
      result.push(payload);
      offset = end;
    } while (offset < frame.length);
    return result;
  }
}

/// Puts VP8 frames back together from packets that arrive in order (a TCP or WebSocket session):
/// a frame is whole from its first payload (S, partition 0) to the marker with no sequence gap;
/// anything else is dropped and counted, and the next frame starts afresh.
export class VP8Assembler {
  constructor(maxFrameBytes = 2 << 20) {
    this.maxFrameBytes = maxFrameBytes;
    this.current = null;
    this.dropped = 0;
  }

  /// Takes one parsed RTP packet; returns a finished frame
  /// ({ data, timestamp, keyframe, captureTimeUs }) or null.
  push(packet) {
    const descriptor = parseVP8Descriptor(packet.payload);
    const body = packet.payload.subarray(descriptor.size);
    const current = this.current;
    if (descriptor.start && descriptor.partition === 0) {
      if (current) this.dropped += 1;
      this.current = { timestamp: packet.timestamp, next: packet.sequence, chunks: [], bytes: 0, captureTimeUs: packet.captureTimeUs };
    } else if (!current || current.timestamp !== packet.timestamp || current.next !== packet.sequence) {
      if (current) this.dropped += 1;
      this.current = null;
      return null;
    }
    const frame = this.current;
    frame.chunks.push(body);
    frame.bytes += body.length;
    frame.next = (packet.sequence + 1) & 0xffff;
    if (frame.bytes > this.maxFrameBytes) {
      this.dropped += 1;
      this.current = null;
      return null;
    }
    if (!packet.marker) return null;
    this.current = null;
    const data = new Uint8Array(frame.bytes);
    let offset = 0;
    for (const chunk of frame.chunks) { data.set(chunk, offset); offset += chunk.length; }
    // RFC 7741 section 4.3: the P bit of the VP8 payload header is 0 on a keyframe.
    return { data, timestamp: frame.timestamp, keyframe: data.length > 0 && (data[0] & 0x01) === 0, captureTimeUs: frame.captureTimeUs };
  }
}

/// Puts H.264 access units back together (RFC 6184, packetization mode 1: single NAL units,
/// STAP-A, FU-A) from packets that arrive in order, as Annex B (a start code before each NAL
/// unit), which WebCodecs decodes with no `description`. An access unit is whole from its first
/// packet to the marker with no sequence gap; anything else is dropped and counted.
export class H264Assembler {
  constructor(maxFrameBytes = 4 << 20) {
    this.maxFrameBytes = maxFrameBytes;
    this.current = null;
    this.dropped = 0;
    /// The codec string of the last SPS seen (`avc1.PPCCLL`: profile, constraints, level).
    this.codec = null;
  }

  /// Takes one parsed RTP packet; returns an access unit
  /// ({ data, timestamp, keyframe, codec, captureTimeUs }) or null.
  push(packet) {
    const payload = packet.payload;
    if (payload.length === 0) return null;
    let current = this.current;
    if (current && (current.timestamp !== packet.timestamp || current.next !== packet.sequence)) {
      // A gap, or a new timestamp before the marker: this access unit is lost.
      this.dropped += 1;
      current = this.current = null;
    }
    if (!current) {
      current = this.current = { timestamp: packet.timestamp, next: packet.sequence, nals: [], bytes: 0, keyframe: false, fragment: null, fragmentEnded: true, captureTimeUs: packet.captureTimeUs };
    }
    current.next = (packet.sequence + 1) & 0xffff;
    const type = payload[0] & 0x1f;
    if (type === 24) {
      // STAP-A: 16-bit sizes, each followed by a NAL unit.
      for (let i = 1; i + 2 <= payload.length;) {
        const size = (payload[i] << 8) | payload[i + 1];
        i += 2;
        if (size === 0 || i + size > payload.length) return this.lose();
        this.addNAL(payload.subarray(i, i + size));
        i += size;
      }
    } else if (type === 28) {
      if (payload.length < 2) return this.lose();
      const header = payload[1];
      if (header & 0x80) {
        current.fragment = [new Uint8Array([(payload[0] & 0xe0) | (header & 0x1f)]), payload.subarray(2)];
        current.fragmentEnded = false;
      } else if (current.fragment) {
        current.fragment.push(payload.subarray(2));
      } else {
        return this.lose();
      }
      if (header & 0x40) {
        const parts = current.fragment;
        const nal = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
        let offset = 0;
        for (const part of parts) { nal.set(part, offset); offset += part.length; }
        current.fragment = null;
        current.fragmentEnded = true;
        this.addNAL(nal);
      }
    } else if (type >= 1 && type <= 23) {
      this.addNAL(payload);
    } else {
      return this.lose();
    }
    if (current.bytes > this.maxFrameBytes) return this.lose();
    if (!packet.marker || !current.fragmentEnded) return null;
    this.current = null;
    const data = new Uint8Array(current.bytes);
    let offset = 0;
    for (const nal of current.nals) {
      data.set([0, 0, 0, 1], offset);
      data.set(nal, offset + 4);
      offset += nal.length + 4;
    }
    return { data, timestamp: current.timestamp, keyframe: current.keyframe, codec: this.codec, captureTimeUs: current.captureTimeUs };
  }

  addNAL(nal) {
    const type = nal[0] & 0x1f;
    if (type === 7 && nal.length >= 4) {
      this.codec = 'avc1.' + [nal[1], nal[2], nal[3]].map((byte) => byte.toString(16).padStart(2, '0')).join('');
    }
    if (type === 5) this.current.keyframe = true;
    this.current.nals.push(nal);
    this.current.bytes += nal.length + 4;
  }

  lose() {
    this.dropped += 1;
    this.current = null;
    return null;
  }
}

/// Session messages as the unit's JSON coder writes them (Swift's Codable form of
/// `SessionMessage`).
export const messages = Object.freeze({
  hello: (peer, name) => ({ hello: { _0: { protocolVersion: PROTOCOL_VERSION, peer, name } } }),
  open: (ticket, name, resume) => ({ open: resume ? { ticket, name, resume } : { ticket, name } }),
  setMode: (mode, reason) => ({ setMode: { _0: mode, reason } }),
  chat: (from, text) => ({ chat: { _0: { from, text, sentAtMilliseconds: Date.now() } } }),
  goodbye: (reason) => ({ goodbye: { reason } }),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/// A session message as the bytes of one frame.
export function encodeMessage(message) {
  return encoder.encode(JSON.stringify(message));
}

/// One received frame: { media: parsed RTP } or { message: { kind, value } }, where kind is the
/// message's case (hello, opened, error, modeChanged, chat, videoSkipped, keyframeRequest,
/// channelStatus, goodbye) and value its fields.
export function decodeFrame(bytes) {
  if (bytes.length === 0) throw new Error('an empty frame');
  if ((bytes[0] & 0xc0) === 0x80) return { media: parseRTP(bytes) };
  const object = JSON.parse(decoder.decode(bytes));
  const kind = Object.keys(object)[0];
  if (typeof kind !== 'string') throw new Error('a session message names no case');
  return { message: { kind, value: object[kind] } };
}

/// Where a receiver left off, for `open` after a re-join: the last sequence number of each stream.
export function resumePoint(lastSequences) {
  const streams = [...lastSequences].map(([ssrc, sequence]) => ({ ssrc, sequence }));
  return streams.length ? { streams } : undefined;
}
