// The browser's packetizer and session messages (Sources/Server/Web/Static/avmedia.js) against
// vectors the Swift Wire library wrote: `node avmedia.test.mjs VECTORS.json`. Run by
// BrowserModuleTests in `make test`; exits non-zero, naming each failure, when they disagree.
import { readFileSync } from 'node:fs';
import { deepStrictEqual, strictEqual, throws, ok } from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const media = await import(join(here, '../../Sources/Server/Web/Static/avmedia.js'));
const vectors = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const hex = (text) => Uint8Array.from(text.match(/../g) ?? [], (byte) => parseInt(byte, 16));
const toHex = (bytes) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');

let failures = 0, passed = 0;
function check(name, body) {
  try { body(); passed += 1; } catch (error) { failures += 1; console.error(`FAIL ${name}: ${error.message}`); }
}

for (const [index, vector] of vectors.rtp.entries()) {
  const input = { ...vector.input, payload: hex(vector.input.payload) };
  check(`rtp ${index}: built as Swift builds it`, () => strictEqual(toHex(media.buildRTP(input)), vector.bytes));
  check(`rtp ${index}: read back`, () => {
    const packet = media.parseRTP(hex(vector.bytes));
    for (const key of ['payloadType', 'marker', 'sequence', 'timestamp', 'ssrc', 'captureTimeUs']) strictEqual(packet[key], vector.input[key], key);
    strictEqual(toHex(packet.payload), vector.input.payload);
  });
}
for (const [index, bytes] of vectors.swiftOnlyRTP.entries()) {
  // Packets with CSRCs, padding and the two-byte extension form, as Swift wrote them.
  check(`rtp written by Swift ${index}`, () => {
    const packet = media.parseRTP(hex(bytes.bytes));
    strictEqual(toHex(packet.payload), bytes.payload);
    strictEqual(packet.captureTimeUs, bytes.captureTimeUs ?? undefined);
  });
}
for (const [index, bad] of vectors.malformedRTP.entries()) {
  check(`malformed rtp ${index} (${bad.why})`, () => throws(() => media.parseRTP(hex(bad.bytes))));
}

for (const vector of vectors.vp8) {
  const name = `vp8 frame of ${vector.frame.length / 2} bytes`;
  check(`${name}: payloads as Swift cuts them`, () => {
    const packetizer = new media.VP8Packetizer(vector.maxPayloadSize, vector.firstPictureID);
    deepStrictEqual(packetizer.payloads(hex(vector.frame)).map(toHex), vector.payloads);
    strictEqual(packetizer.nextPictureID, (vector.firstPictureID + 1) & 0x7fff);
  });
  check(`${name}: assembled from Swift's packets`, () => {
    const assembler = new media.VP8Assembler();
    const frames = vector.packets.map((bytes) => assembler.push(media.parseRTP(hex(bytes)))).filter(Boolean);
    strictEqual(frames.length, 1);
    strictEqual(toHex(frames[0].data), vector.frame);
    strictEqual(frames[0].keyframe, vector.keyframe);
  });
  check(`${name}: a lost packet loses the frame, not the next`, () => {
    if (vector.packets.length < 2) return;
    const assembler = new media.VP8Assembler();
    const lossy = vector.packets.filter((_, index) => index !== 1);
    ok(lossy.map((bytes) => assembler.push(media.parseRTP(hex(bytes)))).every((frame) => frame === null));
  });
}
for (const vector of vectors.descriptors) {
  check(`descriptor ${vector.bytes}`, () => {
    const parsed = media.parseVP8Descriptor(hex(vector.bytes + 'ff'));
    strictEqual(parsed.size, vector.size);
    strictEqual(parsed.start, vector.start);
    strictEqual(parsed.pictureID, vector.pictureID ?? undefined);
  });
}

// Messages the page sends: the same JSON Swift writes (and so the unit reads).
const sent = vectors.sent;
check('hello', () => deepStrictEqual(media.messages.hello('viewer', 'ann <b>'), JSON.parse(sent.hello)));
check('open', () => deepStrictEqual(media.messages.open('T.k', 'ann'), JSON.parse(sent.open)));
check('open with a resume point', () => deepStrictEqual(
  media.messages.open('T.k', 'ann', media.resumePoint(new Map([[3000000000, 65535], [7, 1]]))), JSON.parse(sent.openResuming)));
check('setMode', () => deepStrictEqual(media.messages.setMode('tcp', 'page'), JSON.parse(sent.setMode)));
check('goodbye', () => deepStrictEqual(media.messages.goodbye('page closed'), JSON.parse(sent.goodbye)));
check('chat', () => {
  const chat = media.messages.chat('ann', '<img src=x onerror=alert(1)> \u001b[31m');
  chat.chat._0.sentAtMilliseconds = 0;
  deepStrictEqual(chat, JSON.parse(sent.chat));
});
// Messages the unit sends, as the page reads them.
const received = Object.fromEntries(Object.entries(vectors.received).map(([key, text]) => [key, media.decodeFrame(new TextEncoder().encode(text)).message]));
check('opened', () => { strictEqual(received.opened.kind, 'opened'); strictEqual(received.opened.value._0.mode, 'tcp'); strictEqual(received.opened.value._0.channel, 7); });
check('error', () => { strictEqual(received.error.kind, 'error'); strictEqual(received.error.value._0.code, 'noRoom'); });
check('modeChanged', () => { strictEqual(received.modeChanged.value._0, 'tcp'); strictEqual(received.modeChanged.value.reason, 'why'); });
check('videoSkipped', () => { strictEqual(received.videoSkipped.value._0, true); });
check('channelStatus', () => strictEqual(received.channelStatus.value.viewers, 12));
check('keyframeRequest', () => strictEqual(received.keyframeRequest.kind, 'keyframeRequest'));
check('goodbye received', () => strictEqual(received.goodbye.value.reason, 'channel closed'));
check('chat received', () => strictEqual(received.chat.value._0.text, '<b>hi</b>'));
check('a media frame', () => ok(media.decodeFrame(hex(vectors.rtp[0].bytes)).media));
check('an empty frame', () => throws(() => media.decodeFrame(new Uint8Array())));

console.log(`${passed} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
