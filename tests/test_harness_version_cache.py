"""`amux harnesses` remembers each binary's version: a second run does not start the binary again,
and a changed binary (upgrade, reinstall) is probed afresh. Real processes, a real executable."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_fake_claude(directory: Path, version: str, counter: Path) -> Path:
    binary = directory / "claude"
    binary.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        with open({str(counter)!r}, "a") as f:
            f.write("x")
        print("{version} (Claude Code)")
        """))
    binary.chmod(0o755)
    return binary


def harness_versions(tmp_path: Path, bin_dir: Path) -> dict[str, str | None]:
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "AMUX_HARNESS_BIN": str(bin_dir), "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run([sys.executable, "-m", "amux_tui.cli", "harnesses", "--json"], capture_output=True,
                         text=True, env=env, timeout=60, cwd=REPO_ROOT)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    entries = document["harnesses"] if isinstance(document, dict) else document
    return {entry["name"]: entry["version"] for entry in entries}


def test_version_is_probed_once_until_the_binary_changes(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    counter = tmp_path / "runs"
    write_fake_claude(bin_dir, "1.2.3", counter)
    assert harness_versions(tmp_path, bin_dir)["claude"] == "1.2.3"
    assert harness_versions(tmp_path, bin_dir)["claude"] == "1.2.3"
    assert counter.read_text() == "x"  # the second run used the remembered version
    binary = write_fake_claude(bin_dir, "1.2.40", counter)
    os.utime(binary, ns=(os.stat(binary).st_atime_ns, os.stat(binary).st_mtime_ns + 10**9))
    assert harness_versions(tmp_path, bin_dir)["claude"] == "1.2.40"
    assert counter.read_text() == "xx"
