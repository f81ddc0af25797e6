# Sourced by scripts/test.sh and scripts/test-sanitizers.sh: CLOCKED, a CTest regex of the
# tests that time themselves against the clock (streams paced at their frame rate, the adaptive
# live view, the app's video and camera runs, soak). They run one at a time, never beside
# another test: on 2 cores a neighbour would make them miss their pace.
# shellcheck disable=SC2034
CLOCKED='^(Streams|AdaptiveSession|QualityController|Soak|FrameSource|DamagedVideo)\.|^Gui\.(VideoRuns|OpenStream|MissingCamera|CameraLost|VideoWithout|ResultsGoUnder)'
