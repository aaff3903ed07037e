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


def test_tools_linked_to_one_shim_keep_their_own_versions(tmp_path):
    """Volta and mise link every tool to one shim executable: the resolved file alone does not say which tool it is."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = tmp_path / "shim"
    shim.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os, sys
        print({{"claude": "2.0.1 (Claude Code)", "codex": "codex-cli 0.99.0"}}[os.path.basename(sys.argv[0])])
        """))
    shim.chmod(0o755)
    for tool in ("claude", "codex"):
        (bin_dir / tool).symlink_to(shim)
    first = harness_versions(tmp_path, bin_dir)
    again = harness_versions(tmp_path, bin_dir)  # from the cache
    assert (first["claude"], first["codex"]) == ("2.0.1", "0.99.0")
    assert (again["claude"], again["codex"]) == ("2.0.1", "0.99.0")


def test_an_upgrade_behind_an_unchanged_wrapper_is_seen_once_the_entry_is_a_day_old(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    counter = tmp_path / "runs"
    real = write_fake_claude(tmp_path, "1.0.0", counter)  # the tool itself, outside the bin dir
    wrapper = bin_dir / "claude"
    wrapper.write_text(f'#!/bin/sh\nexec {real} "$@"\n')  # a per-tool shim (asdf style): never rewritten
    wrapper.chmod(0o755)
    assert harness_versions(tmp_path, bin_dir)["claude"] == "1.0.0"
    write_fake_claude(tmp_path, "1.1.0", counter)  # upgraded behind the wrapper
    assert harness_versions(tmp_path, bin_dir)["claude"] == "1.0.0"  # remembered: the wrapper did not change
    cache = tmp_path / "cache" / "amux" / "versions.json"
    entries = json.loads(cache.read_text())
    for entry in entries.values():
        entry["checked"] -= 2 * 24 * 3600
    cache.write_text(json.dumps(entries))
    assert harness_versions(tmp_path, bin_dir)["claude"] == "1.1.0"
    assert counter.read_text() == "xx"
