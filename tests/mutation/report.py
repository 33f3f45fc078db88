"""The verdict of a `make mutation` run on the guard code (docs/testing.md).

Reads mutmut's results in the run directory (mutants/**/*.meta), keeps the mutants whose names
match the patterns run (tests/mutation/guards.txt, or MUTANTS), and counts them by status.
A surviving mutant listed in tests/mutation/equivalent.txt, with the mutated line as mutmut
shows it, is counted as equivalent; any other survivor is unexplained, and so is a listed
mutant whose line no longer matches (the code changed under the list). Exits 1 when a mutant
is unexplained, not checked, reached by no test or timed out, 0 otherwise.

    python tests/mutation/report.py RUN_DIR SECONDS PATTERN...
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

HERE = Path(__file__).resolve().parent


def equivalents() -> dict[str, tuple[str, str]]:
    """name -> (the mutated line, why it is equivalent), from equivalent.txt's blocks:
    a name line, a `+ ` line as mutmut shows the change, and the reason's lines."""
    found: dict[str, tuple[str, str]] = {}
    for block in (HERE / "equivalent.txt").read_text().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        if not lines:
            continue
        name, changed, *why = lines
        found[name.strip()] = (changed.removeprefix("+ ").strip(), " ".join(w.strip() for w in why))
    return found


def statuses(run_dir: Path, patterns: list[str]) -> dict[str, str]:
    result = {}
    for meta in (run_dir / "mutants").rglob("*.meta"):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
                result[name] = status_by_exit_code[code]
    return result


def changed_line(run_dir: Path, name: str) -> str:
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=run_dir, capture_output=True, text=True, check=True).stdout
    added = [line[1:].strip() for line in shown.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return added[0] if added else ""


def main(run_dir: Path, seconds: int, patterns: list[str]) -> int:
    found = statuses(run_dir, patterns)
    listed = equivalents()
    equivalent, unexplained, stale = [], [], []
    for name in sorted(n for n, s in found.items() if s == "survived"):
        if name not in listed:
            unexplained.append(name)
        elif changed_line(run_dir, name) != listed[name][0]:
            stale.append(name)
        else:
            equivalent.append(name)
    counts = Counter(found.values())
    print(f"guard mutants: {len(found)} in {seconds // 60} min {seconds % 60} s (load {os.getloadavg()[0]:.1f} at the end)")
    print(f"  killed {counts['killed']}, equivalent {len(equivalent)}, surviving unexplained {len(unexplained) + len(stale)}")
    others = {s: n for s, n in counts.items() if s not in ("killed", "survived")}
    if others:
        print("  also: " + ", ".join(f"{s} {n}" for s, n in sorted(others.items())))
    for name in unexplained:
        print(f"  survived, not explained: {name}  (mutmut show {name})")
    for name in stale:
        print(f"  listed as equivalent, but the mutant is now another change: {name}")
    bad = unexplained or stale or any(s in ("not checked", "no tests", "timeout", "suspicious", "segfault") for s in found.values())
    if not found:
        print("  no mutant matched the patterns")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]))
