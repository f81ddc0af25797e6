#!/usr/bin/env python3
"""The microfer Python module (python/microfer_module.cpp), run by CTest as Python.Module with
PYTHONPATH at the built module and OMP_WAIT_POLICY=PASSIVE. Plain unittest; numpy is needed
for the array checks (they skip, saying so, where the interpreter has no numpy). OpenCV's
Python package is not used: the test image is decoded here by a small PNG reader."""

import os
import pathlib
import struct
import tempfile
import threading
import unittest
import zlib

import microfer

try:
    import numpy as np
except ImportError:  # the path checks still run
    np = None

ROOT = pathlib.Path(__file__).resolve().parent.parent
ASTRONAUT = ROOT / "assets" / "astronaut.png"  # one face, happy
FACE_KEYS = {"label", "label_index", "confidence", "uncertain", "probabilities", "box",
             "detector_score", "landmarks", "measured_landmarks"}
needs_numpy = unittest.skipIf(np is None, "numpy is not installed for this Python "
                                          "(Debian: python3-numpy)")


def read_png_rgb(path):
    """An 8-bit, non-interlaced gray/RGB/RGBA PNG as an H x W x C uint8 array (RGB order)."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {0: 1, 2: 3, 6: 4}[colour]
    assert depth == 8 and interlace == 0, "only 8-bit non-interlaced PNGs"
    raw = zlib.decompress(idat)
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = prev[i]
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + ((left + up) >> 1)) & 255
            elif kind == 4:
                upleft = prev[i - channels] if i >= channels else 0
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else upleft
                row[i] = (row[i] + pred) & 255
        out[y * stride:(y + 1) * stride] = row
        prev = row
    return np.frombuffer(bytes(out), dtype=np.uint8).reshape(height, width, channels)


class Module(unittest.TestCase):
    def test_names_and_version(self):
        self.assertEqual(microfer.EMOTIONS,
                         ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"))
        self.assertRegex(microfer.__version__, r"^\d+\.\d+\.\d+$")


class LabelPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.faces = microfer.label(str(ASTRONAUT))

    def check_face(self, face, width, height):
        self.assertEqual(set(face), FACE_KEYS)
        self.assertEqual(list(face["probabilities"]), list(microfer.EMOTIONS))
        self.assertAlmostEqual(sum(face["probabilities"].values()), 1.0, places=4)
        for p in face["probabilities"].values():
            self.assertTrue(0.0 <= p <= 1.0)
        self.assertEqual(face["label_index"], microfer.EMOTIONS.index(face["label"]))
        self.assertEqual(face["confidence"], face["probabilities"][face["label"]])
        self.assertEqual(face["confidence"], max(face["probabilities"].values()))
        self.assertIsInstance(face["uncertain"], bool)
        x, y, w, h = face["box"]
        self.assertTrue(w > 0 and h > 0, face["box"])
        self.assertTrue(x >= 0 and y >= 0 and x + w <= width and y + h <= height, face["box"])
        self.assertTrue(0.0 <= face["detector_score"] <= 1.0)
        if face["landmarks"] is None:
            self.assertEqual(face["measured_landmarks"], 0)
        else:
            self.assertEqual(len(face["landmarks"]), 5)
            for px, py in face["landmarks"]:
                self.assertTrue(0 <= px <= width and 0 <= py <= height, face["landmarks"])

    def test_astronaut_is_happy(self):
        self.assertEqual(len(self.faces), 1, self.faces)
        face = self.faces[0]
        self.check_face(face, 512, 512)
        self.assertEqual(face["label"], "happy")
        # The shipped default model, detector auto (YuNet), TTA flip: the CLI prints "happy 1.00"
        # (0.9995 in results.csv).
        self.assertAlmostEqual(face["confidence"], 0.9995, delta=0.01)

    def test_pathlike_and_labeller_agree(self):
        labeller = microfer.Labeller()
        self.assertIn(labeller.detector, ("yunet", "mtcnn", "haar"))
        self.assertEqual(labeller.tta, "flip")
        self.assertTrue(os.path.isfile(labeller.model), labeller.model)
        for faces in (microfer.label(ASTRONAUT), labeller.label(ASTRONAUT),
                      labeller.label(os.fsencode(ASTRONAUT))):
            self.assertEqual(len(faces), 1)
            self.assertEqual(faces[0]["label"], "happy")
            for name, p in self.faces[0]["probabilities"].items():
                self.assertAlmostEqual(faces[0]["probabilities"][name], p, places=5)

    def test_encoded_bytes_are_the_image(self):
        data = pathlib.Path(ASTRONAUT).read_bytes()
        for encoded in (data, bytearray(data), memoryview(data)):
            faces = microfer.label(encoded)
            self.assertEqual(len(faces), 1)
            for name, p in self.faces[0]["probabilities"].items():
                self.assertAlmostEqual(faces[0]["probabilities"][name], p, places=5)
        with self.assertRaises(RuntimeError):  # a PNG signature, then nothing an image holds
            microfer.label(data[:40])
        with self.assertRaises(ValueError):
            microfer.label(bytearray())

    def test_threads_share_one_labeller(self):
        labeller = microfer.Labeller(detector="haar", tta="off")
        results, errors = [], []

        def work():
            try:
                results.append(labeller.label(ASTRONAUT))
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 3)
        for faces in results[1:]:
            self.assertEqual(faces, results[0])

    def test_label_many_keeps_order_and_matches_label(self):
        labeller = microfer.Labeller(detector="haar", tta="flip")
        single = labeller.label(ASTRONAUT)
        data = pathlib.Path(ASTRONAUT).read_bytes()
        inputs = [ASTRONAUT, __file__, data, os.fsencode(ASTRONAUT), __file__]
        for workers in (1, 2, 3):
            out = labeller.label_many(iter(inputs), workers=workers, on_error="none")
            self.assertEqual(len(out), len(inputs))
            self.assertIsNone(out[1])
            self.assertIsNone(out[4])
            for faces in (out[0], out[2], out[3]):
                self.assertEqual(len(faces), 1)
                for name, p in single[0]["probabilities"].items():
                    self.assertAlmostEqual(faces[0]["probabilities"][name], p, places=5)
        # The module-level call keeps label()'s pipeline; the default raises the first failure.
        self.assertEqual(len(microfer.label_many([ASTRONAUT] * 3, workers=2)), 3)
        with self.assertRaises(RuntimeError) as cm:
            labeller.label_many([ASTRONAUT, __file__], workers=2)
        self.assertIn(os.path.basename(__file__), str(cm.exception))
        with self.assertRaises(FileNotFoundError):
            labeller.label_many(["/no/such/photo.jpg"])
        self.assertEqual(labeller.label_many([]), [])
        with self.assertRaises(ValueError):
            labeller.label_many([ASTRONAUT], workers=0)
        with self.assertRaises(ValueError):
            labeller.label_many([ASTRONAUT], on_error="skip")
        with self.assertRaises(TypeError):
            labeller.label_many([ASTRONAUT, 3.5])

    def test_missing_file_is_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, "no-such-photo.jpg")
            with self.assertRaises(FileNotFoundError) as cm:
                microfer.label(missing)
            self.assertIn(missing, str(cm.exception))
            with self.assertRaises(FileNotFoundError) as cm:
                microfer.Labeller(model=os.path.join(tmp, "no-such-model.mfm"))
            self.assertIn("no-such-model.mfm", str(cm.exception))

    def test_not_an_image_is_named(self):
        with self.assertRaises(RuntimeError) as cm:
            microfer.label(__file__)
        self.assertIn(os.path.basename(__file__), str(cm.exception))

    def test_bad_arguments(self):
        with self.assertRaises(ValueError) as cm:
            microfer.label(ASTRONAUT, detector="dlib")
        self.assertIn("dlib", str(cm.exception))
        with self.assertRaises(ValueError):
            microfer.label(ASTRONAUT, tta="sideways")
        with self.assertRaises(ValueError):
            microfer.label(ASTRONAUT, min_confidence=1.5)
        with self.assertRaises(TypeError):
            microfer.label(42)


@needs_numpy
class LabelArray(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rgb = read_png_rgb(ASTRONAUT)
        cls.bgr = np.ascontiguousarray(cls.rgb[:, :, ::-1])
        cls.by_path = microfer.label(ASTRONAUT)

    def assert_same_faces(self, faces, expected):
        self.assertEqual(len(faces), len(expected))
        for face, want in zip(faces, expected):
            self.assertEqual(set(face), FACE_KEYS)
            self.assertEqual(face["label"], want["label"])
            for name, p in want["probabilities"].items():
                self.assertAlmostEqual(face["probabilities"][name], p, places=5)
            for a, b in zip(face["box"], want["box"]):
                self.assertAlmostEqual(a, b, places=3)

    def test_bgr_array_matches_path(self):
        self.assertEqual(self.bgr.shape, (512, 512, 3))
        faces = microfer.label(self.bgr)
        self.assert_same_faces(faces, self.by_path)
        self.assertEqual(faces[0]["label"], "happy")

    def test_views_and_bgra_match_path(self):
        # A reversed view (not C-contiguous) and a 4-channel image give the same pixels.
        self.assert_same_faces(microfer.label(self.rgb[:, :, ::-1]), self.by_path)
        bgra = np.dstack([self.bgr, np.full((512, 512), 255, np.uint8)])
        self.assert_same_faces(microfer.label(bgra), self.by_path)

    def test_gray_array(self):
        gray = (self.rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
        faces = microfer.label(gray.round().astype(np.uint8))
        self.assertIsInstance(faces, list)
        for face in faces:
            self.assertEqual(set(face), FACE_KEYS)

    def test_no_face_gives_empty_list(self):
        blank = np.full((240, 320, 3), 128, np.uint8)
        blank[:, 160:] = 40
        self.assertEqual(microfer.label(blank), [])
        self.assertEqual(microfer.Labeller(detector="haar").label(blank), [])

    def test_bad_arrays(self):
        with self.assertRaises(ValueError) as cm:
            microfer.label(self.bgr.astype(np.float32))
        self.assertIn("uint8", str(cm.exception))
        with self.assertRaises(ValueError) as cm:
            microfer.label(np.zeros((8, 8, 2), np.uint8))
        self.assertIn("(8, 8, 2)", str(cm.exception))
        with self.assertRaises(ValueError):
            microfer.label(np.zeros((0, 8, 3), np.uint8))
        with self.assertRaises(ValueError):
            microfer.label(np.zeros(16, np.uint8))


if __name__ == "__main__":
    unittest.main()
