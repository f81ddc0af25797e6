# Sourced by the scripts that train or score on lfw-expressions: the one definition of its crop
# cache. The crops are cut by YuNet (score 0.6, NMS 0.3: the thresholds run V of
# docs/model-decisions.txt was trained with; the product's default is 0.7) with the shipped
# model's crop geometry; the cache lives outside the source tree, in $MICROFER_RUNS (default
# /var/tmp/microfer-runs), and is reused while its settings match (`microfer-train crops`).
lfw_cache=${MICROFER_RUNS:-/var/tmp/microfer-runs}/cache/lfw-expressions
# lfw_crops MICROFER_TRAIN SHARED_DATA [more crops options]: makes or reuses the cache; prints its summary.
lfw_crops() {
  "$1" crops --photos "$2/lfw-expressions" --out "$lfw_cache" --detector yunet \
    --yunet-thresholds 0.6,0.3 "${@:3}"
}
