#!/usr/bin/env bash
# Model v2 (issue #16): the FER2013-only default fine-tuned on FER2013 train + lfw-expressions
# (train persons) [+ CK+48], validated on FER2013 PublicTest_ + lfw-expressions val persons.
# The rule that picks among the variants is docs/model-decisions.txt (2026-12-01).
#
#   scripts/train-v2.sh VARIANT [extra train options, e.g. --threads 1 --resume]
#     all-robust   FER2013 (weight 0.5) + lfw train (1) + CK+48 (2), domain-gap augmentation
#     nock-robust  FER2013 (0.5) + lfw train (1), domain-gap augmentation (never sees CK+)
#     nock-plain   the same without the domain-gap augmentation (the ablation)
#     distill      FER2013 (1) + lfw train (1) + CK+48 (2), domain-gap augmentation, soft targets
#                  of the ensemble {BASE, models/microfer-resnet10-v2.mfm} (weight 0.5,
#                  temperature 2), lr 0.005, 6 epochs (docs/model-decisions.txt, 2026-12-02):
#                  v3, the default 2026-12-02 to 12-03 (models/microfer-resnet10-v3.mfm, after
#                  `microfer-cli calibrate` and `export --keep-crop --name microfer-resnet10-v3`;
#                  models/MODEL_CARD.md gives both commands)
#     within       v3 (models/microfer-resnet10-v3.mfm) fine-tuned on FER2013 (1) + lfw train
#                  (1) + CK+48 (2), domain-gap augmentation, each source's classes balanced
#                  within it (--balance-per-source), lr 0.003, 3 epochs, no teacher (rule m,
#                  docs/model-decisions.txt, 2026-12-03): v5, the default on 2026-12-03 until
#                  v6 (models/microfer-resnet10-v5.mfm: its last.mfm after `microfer-cli calibrate`
#                  and `export --keep-crop --name microfer-resnet10-v5`; models/MODEL_CARD.md)
#     pooled       the same with the classes of all sources pooled (rule m's control)
#     nock-within  nock-robust with each source's classes balanced within it
#                  (--balance-per-source): the cross-dataset CK+ check of v5's balance
#                  (rule n, docs/model-decisions.txt, 2026-12-03)
#     wide         a teacher: v5 (models/microfer-resnet10-v5.mfm) widened to --width 64 (four
#                  times the operations per face; the same logits at the start) and trained on
#                  v5's data and loss (FER2013 (1) + lfw train (1) + CK+48 (2), --robust,
#                  --balance-per-source), lr 0.01, warm-up 0.3 epoch, 3 epochs (rule o,
#                  docs/model-decisions.txt, 2026-12-03)
#     within-distill  within's recipe started from v5 (models/microfer-resnet10-v5.mfm) with soft
#                  targets of TEACHER (default runs/v2-wide/last.mfm, the wide variant's model;
#                  several, comma-separated: their averaged soft targets; weight 0.5,
#                  temperature 2): rules p and q, docs/model-decisions.txt, 2026-12-03
#     within-more  the same 3 epochs from v5 without a teacher (rule q's control)
#     source-distill  within-distill with a teacher per source (--source-teachers): FER2013
#                  images learn the FER2013-only models {F, G} (models/microfer-resnet10-fer2013.mfm,
#                  models/microfer-resnet10-gpu.mfm), lfw-expressions and CK+48 images
#                  {T, v5} (WIDE, default runs/v2-wide/last.mfm; V5, default
#                  runs/v2-within/last.mfm): rule r, docs/model-decisions.txt, 2026-12-03:
#                  v6, the default since 2026-12-03 (models/microfer-resnet10.mfm: its last.mfm
#                  after `microfer-cli calibrate` and `export --keep-crop --name
#                  microfer-resnet10-v6`; models/MODEL_CARD.md)
#     source-distill-more  source-distill's recipe and teachers started from v6
#                  (models/microfer-resnet10.mfm), 4 epochs, seed 2: rule s,
#                  docs/model-decisions.txt, 2026-12-03
#     interpolated-distill  source-distill's recipe, 2 epochs, started from W70 (`microfer-cli
#                  average`: 0.3 x the FER2013-only model + 0.7 x v6, weight by weight), with
#                  the FER2013-only models {F, G} teaching the FER2013 images and U (the equal
#                  average of v3, v5 and v6) the lfw-expressions and CK+48 images: rule u,
#                  docs/model-decisions.txt, 2026-12-03
#
# Needs build/ (scripts/setup.sh) and ../shared/data. Writes runs/v2-VARIANT/ (best.mfm =
# best mean validation accuracy). Start model: BASE (default models/microfer-resnet10-fer2013.mfm,
# the FER2013-only model that was the default until 2026-12-02, itself `microfer-cli train`
# from scratch on FER2013, see models/MODEL_CARD.md).
set -euo pipefail
cd "$(dirname "$0")/.."
variant=${1:?usage: scripts/train-v2.sh all-robust|nock-robust|nock-plain|nock-within|distill|within|pooled|wide|within-distill|within-more|source-distill|source-distill-more|interpolated-distill [train options]}
shift
cli=build/src/microfer-cli
shared=../shared/data
cache=runs/cache/lfw-expressions
base=${BASE:-models/microfer-resnet10-fer2013.mfm}
lr=0.01; epochs=8; warmup=0.5; seed=1; name=microfer-resnet10-v2
case "$variant" in
  all-robust)  data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=0.5,1,2; aug=--robust ;;
  nock-robust) data="$shared/fer2013/train,$cache:train"; weights=0.5,1; aug=--robust ;;
  nock-plain)  data="$shared/fer2013/train,$cache:train"; weights=0.5,1; aug= ;;
  nock-within) data="$shared/fer2013/train,$cache:train"; weights=0.5,1; name=microfer-resnet10-nock-within
               aug="--robust --balance-per-source" ;;
  distill)     data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug="--robust --teacher $base,models/microfer-resnet10-v2.mfm --distill 0.5 --distill-temp 2"
               lr=0.005; epochs=6; name=microfer-resnet10-v3 ;;
  within|pooled)
               base=${BASE:-models/microfer-resnet10-v3.mfm}
               data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug=--robust; lr=0.003; epochs=3; warmup=0.3; name=microfer-resnet10-v5
               if [ "$variant" = within ]; then aug="--robust --balance-per-source"
               else name=microfer-resnet10-v5-pooled; fi ;;
  within-distill)
               base=${BASE:-models/microfer-resnet10-v5.mfm}
               data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug="--robust --balance-per-source --teacher ${TEACHER:-runs/v2-wide/last.mfm}"
               aug="$aug --distill 0.5 --distill-temp 2"
               lr=0.003; epochs=3; warmup=0.3; name=microfer-resnet10-d2 ;;
  source-distill|source-distill-more)
               base=${BASE:-models/microfer-resnet10-v5.mfm}
               fg=models/microfer-resnet10-fer2013.mfm+models/microfer-resnet10-gpu.mfm
               tv=${WIDE:-runs/v2-wide/last.mfm}+${V5:-runs/v2-within/last.mfm}
               data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug="--robust --balance-per-source --source-teachers $fg,$tv,$tv"
               aug="$aug --distill 0.5 --distill-temp 2"
               lr=0.003; epochs=3; warmup=0.3; name=microfer-resnet10-v6
               if [ "$variant" = source-distill-more ]; then
                 base=${BASE:-models/microfer-resnet10.mfm}; epochs=4; seed=2; name=microfer-resnet10-v7
               fi ;;
  interpolated-distill)
               # Rule u: the start is W70 = 0.3 F + 0.7 v6, weight by weight; the teacher of
               # the real photos and CK+ is U, the equal average of v3, v5 and v6 (rule t).
               # v6 is models/microfer-resnet10.mfm, the default: should another default
               # ship, point both lines at models/microfer-resnet10-v6.mfm.
               mkdir -p "runs/v2-$variant"
               "$cli" average --model models/microfer-resnet10-fer2013.mfm,models/microfer-resnet10.mfm \
                 --weights 0.3,0.7 --out "runs/v2-$variant/start-w70.mfm" --name W70 > /dev/null
               "$cli" average --model models/microfer-resnet10-v3.mfm,models/microfer-resnet10-v5.mfm,models/microfer-resnet10.mfm \
                 --out "runs/v2-$variant/teacher-u.mfm" --name U > /dev/null
               base=${BASE:-runs/v2-$variant/start-w70.mfm}
               fg=models/microfer-resnet10-fer2013.mfm+models/microfer-resnet10-gpu.mfm
               u=runs/v2-$variant/teacher-u.mfm
               data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug="--robust --balance-per-source --source-teachers $fg,$u,$u"
               aug="$aug --distill 0.5 --distill-temp 2"
               lr=0.003; epochs=2; warmup=0.3; name=microfer-resnet10-v7 ;;
  within-more) base=${BASE:-models/microfer-resnet10-v5.mfm}
               data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug="--robust --balance-per-source"
               lr=0.003; epochs=3; warmup=0.3; name=microfer-resnet10-v6-control ;;
  wide)        base=${BASE:-models/microfer-resnet10-v5.mfm}
               data="$shared/fer2013/train,$cache:train,$shared/ckplus48"; weights=1,1,2
               aug="--robust --balance-per-source --width 64"; epochs=3; warmup=0.3
               name=microfer-resnet10-w64 ;;
  *) echo "unknown variant '$variant'" >&2; exit 2 ;;
esac
# The crop cache (made once, then reused): checked only for a known variant.
"$cli" crops --photos "$shared/lfw-expressions" --detector mtcnn --out "$cache" --model "$base"
exec "$cli" train --data "$data" --weights "$weights" --split-list data/lfw-expressions-split.csv \
  --val "$shared/fer2013/test,$cache:val" --val-prefix PublicTest_ --init "$base" \
  --epochs $epochs --batch 128 --lr $lr --warmup $warmup --balance sqrt --seed $seed $aug \
  --out "runs/v2-$variant" --name "$name" "$@"
