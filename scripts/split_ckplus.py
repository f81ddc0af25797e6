#!/usr/bin/env python3
"""Writes the fixed subject-level split of CK+48 (train / val / test), rule w of
docs/model-decisions.txt.

A CK+48 file is S<subject>_<sequence>_<frame>.png. The subjects are sorted, shuffled with
seed 1 and dealt in order: the first 60 % to train, the next 20 % to val, the rest to test, so
no person is seen in training and again in validation or test. The list names one line per
sequence ("S010_004,train"), the key `microfer-cli` reads a file's person by (the name
without its trailing frame number); every sequence of a subject is in its subject's part.

The list is committed (data/ckplus-split.csv); the images are not. Run again only to check
that it reproduces:  python3 scripts/split_ckplus.py --check
"""
import argparse
import collections
import os
import random
import sys

from split_lfw_expressions import write_or_check

SEED = 1
PARTS = (("train", 0.60), ("val", 0.20), ("test", 0.20))


def sequences(root):
    """sequence -> Counter(class folder -> images)"""
    seqs = collections.defaultdict(collections.Counter)
    for cls in sorted(os.listdir(root)):
        d = os.path.join(root, cls)
        if os.path.isdir(d):
            for f in sorted(os.listdir(d)):
                seqs[os.path.splitext(f)[0].rsplit("_", 1)[0]][cls] += 1
    return seqs


def deal(subjects):
    order = sorted(subjects)
    random.Random(SEED).shuffle(order)
    part_of, start = {}, 0
    for i, (part, share) in enumerate(PARTS):
        end = len(order) if i == len(PARTS) - 1 else start + round(share * len(order))
        for s in order[start:end]:
            part_of[s] = part
        start = end
    return part_of


def render(seqs):
    part_of = deal({s.split("_")[0] for s in seqs})
    lines = ["# CK+48 subject-level split: sequence,part (made by scripts/split_ckplus.py, "
             "seed %d)" % SEED]
    for part, _ in PARTS:
        got = collections.Counter()
        for s, c in seqs.items():
            if part_of[s.split("_")[0]] == part:
                got.update(c)
        n = sum(1 for v in part_of.values() if v == part)
        lines.append("# %s: %d subjects, %d images (%s)" % (
            part, n, sum(got.values()), " ".join("%s=%d" % kv for kv in sorted(got.items()))))
    lines.append("person,part")
    lines += ["%s,%s" % (s, part_of[s.split("_")[0]]) for s in sorted(seqs)]
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data", "ckplus48"))
    ap.add_argument("--out", default=os.path.join(here, "..", "data", "ckplus-split.csv"))
    ap.add_argument("--check", action="store_true",
                    help="compare with the committed list instead of writing it")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print("split: %s not found (CK+48 lives in ../shared)" % args.data)
        return 2
    return write_or_check(render(sequences(args.data)), args.out, args.check)


if __name__ == "__main__":
    sys.exit(main())
