import os
import subprocess
import sys

from rnr_keras.tensorflow_logs import keep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# What TensorFlow 2.21 printed on start-up on a CPU machine.
STARTUP = "".join(
    line + "\n"
    for line in (
        "WARNING: All log messages before absl::InitializeLog() is called "
        "are written to STDERR",
        "I0000 00:00:1796226535.437713    3314 port.cc:153] oneDNN custom "
        "operations are on.",
        "I0000 00:00:1796226535.438068    3314 cudart_stub.cc:31] Could not "
        "find cuda drivers on your machine, GPU will not be used.",
        "I0000 00:00:1796226605.995153    3653 cpu_feature_guard.cc:227] This "
        "TensorFlow binary is optimized to use available CPU instructions.",
        "To enable the following instructions: AVX2 AVX512F FMA, in other "
        "operations, rebuild TensorFlow with the appropriate compiler flags.",
        "E0000 00:00:1796226539.053458    3314 cuda_platform.cc:52] failed "
        "call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: "
        "UNKNOWN ERROR (303)",
    )
)


def test_known_start_up_messages_are_dropped():
    assert keep(STARTUP) == ""


def test_other_lines_are_kept():
    text = "E0000 00:00:17.1 1 kernel.cc:1] a real error\nTraceback (most recent call last):\n"
    assert keep(STARTUP + text) == text


def test_the_command_line_prints_no_tensorflow_start_up_noise():
    # A command that imports TensorFlow, in a fresh process (as a user
    # runs it): its stderr has none of the start-up lines.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "rnr_keras", "train", "--help"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage: rnr-keras train" in result.stdout
    for noise in ("oneDNN", "cudart_stub", "cuInit", "absl::InitializeLog"):
        assert noise not in result.stderr


def test_import_rnr_keras_prints_no_start_up_noise():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import rnr_keras, tensorflow as tf; print(int(tf.constant(1) + 1))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "2"
    assert "oneDNN" not in result.stderr and "cuInit" not in result.stderr


def test_log_level_0_shows_everything():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}
    result = subprocess.run(
        [sys.executable, "-c", "import rnr_keras"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Nothing is captured: TensorFlow's own lines reach stderr (which
    # ones depends on the machine, so only the absl notice is asserted).
    assert "absl::InitializeLog" in result.stderr or "I0000" in result.stderr
