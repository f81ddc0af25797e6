// Reference outputs of face-api's faceExpressionNet, computed by face-api's own JavaScript on
// the pure-JS tfjs CPU backend, for the LibTorch port's parity test (tests/test_teacher.cpp).
// Usage: node scripts/teacher/reference.mjs [TEACHER_DIR] [OUT_JSON]
//   TEACHER_DIR: what scripts/teacher/fetch-face-api.sh made (default /var/tmp/microfer-runs/teacher)
//   OUT_JSON:    default tests/data/teacher/face_expression_reference.json
// Inputs: the 112x112 binary PNM files in tests/data/teacher (P6 RGB, or P5 gray replicated to
// RGB), fed as a [1,112,112,3] float tensor of 0..255 values: face-api's path for a tensor input
// (no resizing at 112x112; it subtracts its mean RGB and divides by 255 itself).
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const teacherDir = path.resolve(process.argv[2] ?? '/var/tmp/microfer-runs/teacher');
const outJson = path.resolve(process.argv[3] ?? path.join(root, 'tests/data/teacher/face_expression_reference.json'));
const inputDir = path.join(root, 'tests/data/teacher');
const modelDir = path.join(teacherDir, 'face-api/model');

// face-api's ESM bundle without tfjs imports tfjs and its WebGL and WASM backends by file path
// (ES module paths Node cannot resolve); point all three at the tfjs package's Node entry
// point, which carries the CPU backend. The rewritten copy lives in TEACHER_DIR, next to the
// node_modules it resolves against.
const bundle = fs.readFileSync(path.join(teacherDir, 'face-api/dist/face-api.esm-nobundle.js'), 'utf8')
  .replace(/"@tensorflow\/tfjs(-backend-webgl|-backend-wasm)?\/dist\/index\.js"/g, '"@tensorflow/tfjs"');
const bundleCopy = path.join(teacherDir, 'face-api-cpu.mjs');
fs.writeFileSync(bundleCopy, bundle);
const faceapi = await import(bundleCopy);
const tf = faceapi.tf;
await tf.setBackend('cpu');
await tf.ready();

// tfjs's own decoder (tf.io.decodeWeights) reads the manifest, not ours.
const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'face_expression_model-weights_manifest.json'), 'utf8'));
const specs = manifest.flatMap((g) => g.weights);
const bytes = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(modelDir, p)))));
const net = faceapi.nets.faceExpressionNet;
net.loadFromWeightMap(tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), specs));

// Binary PNM (P5 or P6, maxval 255, single whitespace after the header) -> HxWx3 RGB bytes.
function readPnm(file) {
  const data = fs.readFileSync(file);
  const header = [];
  let pos = 0;
  while (header.length < 4) {
    while (/\s/.test(String.fromCharCode(data[pos]))) pos++;
    if (data[pos] === 0x23) { while (data[pos] !== 0x0a) pos++; continue; }  // comment
    let tok = '';
    while (!/\s/.test(String.fromCharCode(data[pos]))) tok += String.fromCharCode(data[pos++]);
    header.push(tok);
  }
  pos++;
  const [magic, w, h, maxval] = [header[0], +header[1], +header[2], +header[3]];
  if ((magic !== 'P5' && magic !== 'P6') || maxval !== 255) throw new Error(`${file}: not an 8-bit P5/P6 file`);
  const channels = magic === 'P6' ? 3 : 1;
  const px = data.subarray(pos, pos + w * h * channels);
  if (px.length !== w * h * channels) throw new Error(`${file}: truncated`);
  const rgb = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = px[i * channels + (channels === 3 ? c : 0)];
  return { w, h, rgb };
}

const inputs = fs.readdirSync(inputDir).filter((f) => /\.(ppm|pgm)$/.test(f)).sort();
const results = [];
for (const file of inputs) {
  const { w, h, rgb } = readPnm(path.join(inputDir, file));
  const x = tf.tensor4d(rgb, [1, h, w, 3], 'float32');
  const probs = await net.forward(x);
  // The logits too (runNet: the same path without the softmax): probabilities near 0 or 1
  // hide differences that the logits still show.
  const logits = net.runNet(await faceapi.toNetInput(x));
  results.push({ input: file, logits: Array.from(await logits.data()), probabilities: Array.from(await probs.data()) });
  tf.dispose([x, probs, logits]);
}
const pkg = JSON.parse(fs.readFileSync(path.join(teacherDir, 'face-api/package.json'), 'utf8'));
const out = {
  note: 'face-api faceExpressionNet logits and softmax outputs in face-api order, by scripts/teacher/reference.mjs',
  face_api_version: pkg.version,
  tfjs_version: tf.version_core,
  backend: tf.getBackend(),
  labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
  results,
};
fs.writeFileSync(outJson, JSON.stringify(out, null, 2) + '\n');
console.log(`${outJson}: ${results.length} inputs`);
