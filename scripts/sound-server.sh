#!/usr/bin/env bash
# A private PulseAudio server for the app's audio tests: a 440 Hz sine wave
# as its microphone and a null sink as its speakers, so Speak and Point's
# real capture and playback paths run on machines without sound hardware.
# It never touches the user's own sound server (its socket is in a folder of
# its own, and no test finds it unless told).
#   eval "$(scripts/sound-server.sh start)"   prints LOCTEX_TEST_PULSE_SERVER=...
#   scripts/sound-server.sh stop
set -euo pipefail
runtime=${LOCTEX_SOUND_DIR:-/tmp/loctex-sound-$(id -u)}

case "${1:-}" in
  start)
    if ! command -v pulseaudio >/dev/null; then
      echo "sound-server: pulseaudio is not installed; the real-device audio tests will be skipped" >&2
      exit 0
    fi
    "$0" stop
    mkdir -p "$runtime"
    chmod 700 "$runtime"
    # -n: none of the system's default modules (no hardware, no desktop hooks).
    XDG_RUNTIME_DIR="$runtime" HOME="$runtime" pulseaudio -n --daemonize=yes --exit-idle-time=-1 \
      --disallow-exit --use-pid-file=yes --log-target=file:"$runtime/log" \
      -L module-native-protocol-unix \
      -L "module-null-sink sink_name=speakers" \
      -L "module-sine-source source_name=voice frequency=440" >&2 || { echo "sound-server: pulseaudio did not start (see $runtime/log)" >&2; exit 0; }
    echo "export LOCTEX_TEST_PULSE_SERVER=unix:$runtime/pulse/native"
    ;;
  stop)
    if [ -d "$runtime" ]; then
      XDG_RUNTIME_DIR="$runtime" HOME="$runtime" pulseaudio --kill 2>/dev/null || true
      rm -rf "$runtime"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
