#!/usr/bin/env python3
"""Per-class prior offsets on a model's calibrated probabilities (decision rule l,
docs/model-decisions.txt): p'_c is proportional to p_c * exp(b_c), so the label is the argmax
of log p_c + b_c. Reads the answer files of `microfer-cli eval ... --probs CSV`.

  fit:   scripts/prior_offsets.py fit ACCURACY.csv MACRO.csv
         b fitted by coordinate search (b_neutral = 0; every other b_c over -2.00..2.00 in
         steps of 0.05; 5 sweeps in class order; a tie goes to the value nearest 0)
         maximizing S = mean(accuracy on ACCURACY.csv, macro recall on MACRO.csv over its
         classes with >= 20 images). Prints b, and S and its parts with b and with b = 0.
  apply: scripts/prior_offsets.py apply B FILE.csv...
         B: the offsets as printed by fit (7 comma-separated numbers, FER2013's class order).
         Prints each file's accuracy, macro recall (classes with >= 20 images) and every
         class's recall, with B and with b = 0.
Plain Python 3, no third-party modules."""

import csv
import math
import sys

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
GRID = [round(-2.0 + 0.05 * i, 2) for i in range(81)]
SWEEPS = 5
MIN_SUPPORT = 20


def read(path):
    """[(truth index, [log p_c])] of one --probs file."""
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            logp = [math.log(max(float(r[c]), 1e-12)) for c in CLASSES]
            rows.append((CLASSES.index(r["truth"]), logp))
    return rows


def predict(logp, b):
    scores = [l + o for l, o in zip(logp, b)]
    return max(range(len(scores)), key=lambda k: (scores[k], -k))  # first maximum


def figures(rows, b):
    """accuracy, macro recall over classes with >= MIN_SUPPORT images, per-class recall."""
    support = [0] * len(CLASSES)
    right = [0] * len(CLASSES)
    for truth, logp in rows:
        support[truth] += 1
        right[truth] += predict(logp, b) == truth
    recall = [right[c] / support[c] if support[c] else float("nan") for c in range(len(CLASSES))]
    counted = [c for c in range(len(CLASSES)) if support[c] >= MIN_SUPPORT]
    macro = sum(recall[c] for c in counted) / len(counted)
    return sum(right) / len(rows), macro, recall, support


def score(acc_rows, macro_rows, b):
    return 0.5 * (figures(acc_rows, b)[0] + figures(macro_rows, b)[1])


def fit(acc_rows, macro_rows):
    b = [0.0] * len(CLASSES)
    fixed = CLASSES.index("neutral")
    for _ in range(SWEEPS):
        for c in range(len(CLASSES)):
            if c == fixed:
                continue
            best = None
            for v in GRID:
                trial = b[:]
                trial[c] = v
                s = score(acc_rows, macro_rows, trial)
                key = (s, -abs(v))
                if best is None or key > best[0]:
                    best = (key, v)
            b[c] = best[1]
    return b


def report(name, rows, b):
    acc, macro, recall, support = figures(rows, b)
    per = " ".join(f"{CLASSES[c]} {100 * recall[c]:.1f}" for c in range(len(CLASSES))
                   if support[c])
    print(f"  {name}: accuracy {100 * acc:.2f} %, macro recall {100 * macro:.2f} % | {per}")


def main(argv):
    if len(argv) >= 3 and argv[0] == "fit":
        acc_rows, macro_rows = read(argv[1]), read(argv[2])
        b = fit(acc_rows, macro_rows)
        print("b = " + ",".join(f"{v:.2f}" for v in b) + "  (" + ", ".join(
            f"{c} {v:+.2f}" for c, v in zip(CLASSES, b)) + ")")
        for label, offsets in (("b = 0", [0.0] * len(CLASSES)), ("fitted b", b)):
            print(f"{label}: S = {100 * score(acc_rows, macro_rows, offsets):.2f} %")
            report(argv[1], acc_rows, offsets)
            report(argv[2], macro_rows, offsets)
        return 0
    if len(argv) >= 3 and argv[0] == "apply":
        b = [float(v) for v in argv[1].split(",")]
        if len(b) != len(CLASSES):
            sys.exit("B needs 7 numbers")
        for path in argv[2:]:
            rows = read(path)
            print(f"{path} ({len(rows)} images)")
            report("b = 0   ", rows, [0.0] * len(CLASSES))
            report("with B  ", rows, b)
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
