// What the pages measure of sound: the level of a chunk, and the dominant frequency of the last
// second (an FFT with the peak interpolated), which the page shows and the browser test reads.

/// Root mean square of the samples, and the same in dBFS.
export function level(samples) {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  return { rms, dbfs: rms > 0 ? 20 * Math.log10(rms) : -Infinity };
}

/// The strongest frequency in `samples` (its length a power of two), in Hz.
export function dominantFrequency(samples, sampleRate) {
  const n = samples.length;
  const re = Float64Array.from(samples, (sample, i) => sample * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))));
  const im = new Float64Array(n);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const step = (-2 * Math.PI) / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < size / 2; k++) {
        const cos = Math.cos(step * k), sin = Math.sin(step * k);
        const a = start + k, b = a + size / 2;
        const tre = re[b] * cos - im[b] * sin, tim = re[b] * sin + im[b] * cos;
        re[b] = re[a] - tre; im[b] = im[a] - tim;
        re[a] += tre; im[a] += tim;
      }
    }
  }
  let peak = 1;
  const magnitude = (k) => Math.hypot(re[k], im[k]);
  for (let k = 2; k < n / 2; k++) if (magnitude(k) > magnitude(peak)) peak = k;
  // Parabolic interpolation between the neighbouring bins.
  const [a, b, c] = [magnitude(peak - 1), magnitude(peak), magnitude(peak + 1)];
  const shift = a - 2 * b + c === 0 ? 0 : (0.5 * (a - c)) / (a - 2 * b + c);
  return ((peak + shift) * sampleRate) / n;
}

/// One channel of a decoded or captured AudioData as 32-bit float samples, whatever its layout
/// (decoded Opus comes interleaved f32, captured sound planar): every browser converts to
/// f32-planar.
export function channelSamples(data, channel = 0) {
  const samples = new Float32Array(data.numberOfFrames);
  data.copyTo(samples, { planeIndex: channel, format: 'f32-planar' });
  return samples;
}
