"""Kaolin's own test files, run against :mod:`kaolin_pipeline.kaolin` on the CPU.

Usage::

    .venv/bin/python benchmarks/kaolin_tests.py KAOLIN_CHECKOUT [--only PATH_PART ...] [--exclude PATH_PART ...] [-n 2]
        [--out benchmarks/results/kaolin_tests.json]

``KAOLIN_CHECKOUT`` is a checkout of NVIDIAGameWorks/kaolin (0.18). Its ``tests/`` folder is copied to a scratch
folder at run time (nothing of Kaolin's is stored in this repository), with the user's edit applied to every
test file (``'cuda'`` device strings become ``'cpu'``, ``.cuda()`` becomes ``.cpu()``). A ``conftest.py`` at
the top makes ``import kaolin`` resolve to this project and loads ``kaolin.utils.testing`` (Kaolin's test
helpers) from the checkout itself, so the tests compare with Kaolin's own tolerances (with the same edit:
its lists of device and dtype cases name ``'cuda'``), and ``pytest.approx(None, ...)`` compares by ``==`` as in
pytest 8.4.2, the version Kaolin's CI pins (pytest 9 raises TypeError). Every test folder is made a
package (an empty ``__init__.py`` where there is none), as the math tests' relative imports need. Kaolin's top
``conftest.py`` imports its physics module for physics fixtures; that import is made optional.

Every test file of the modules in scope runs: all of ``tests/python/kaolin`` except physics, the
experimental and non-commercial folders and Gaussians. Prints pass, fail, error and skip per file, then
every test that did not pass with a one-line reason (``kaolin._C`` and nvdiffrast named where the test needs
them), and writes the JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from kaolin_checkout import edit_source  # noqa: E402

TESTS = Path("tests/python/kaolin")
OUT_OF_SCOPE = ("physics/", "experimental/", "non_commercial/", "gaussians", "test_gaussians.py")

_CONFTEST = '''"""Written by kaolin-pipeline's benchmarks/kaolin_tests.py: ``import kaolin`` is kaolin_pipeline.kaolin."""
import sys
import types

from kaolin_pipeline.kaolin import alias

alias.install()
import kaolin  # noqa: E402

TESTING = {testing!r}
_testing = types.ModuleType("kaolin.utils.testing")
_testing.__file__ = TESTING
sys.modules["kaolin.utils.testing"] = _testing
try:
    import kaolin.utils as _utils
except ImportError:
    _utils = types.ModuleType("kaolin.utils")
    _utils.__path__ = []
    sys.modules["kaolin.utils"] = _utils
    kaolin.utils = _utils
_utils.testing = _testing
exec(compile(open({edited!r}).read(), TESTING, "exec"), _testing.__dict__)

# Kaolin's CI pins pytest 8.4.2, whose approx(None, rel) compares by ==; pytest 9 raises TypeError instead.
import pytest  # noqa: E402

_approx = pytest.approx


def _approx_as_pytest_8(expected, *args, **kwargs):
    return None if expected is None else _approx(expected, *args, **kwargs)


pytest.approx = _approx_as_pytest_8
'''

_PHYSICS_IMPORT = "from kaolin.physics.simplicits import SimplicitsObject, SimplicitsScene"


def in_scope(path: str) -> bool:
    """Whether a test file (path under ``tests/python/kaolin``) belongs to the modules in scope."""
    return not any(part in path for part in OUT_OF_SCOPE)


def prepare(checkout: Path, scratch: Path) -> list[str]:
    """Copy Kaolin's tests into ``scratch`` with the user's edit and our conftest; returns the test files in scope."""
    source = checkout / "tests"
    for path in source.rglob("*"):
        target = scratch / "tests" / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.suffix == ".py":
            target.parent.mkdir(parents=True, exist_ok=True)
            text, _ = edit_source(path.read_text())
            text = text.replace(_PHYSICS_IMPORT, f"try:\n    {_PHYSICS_IMPORT}\nexcept ImportError:\n    pass")
            target.write_text(text)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    folders = [scratch / "tests", scratch / "tests" / "python", scratch / TESTS, *(scratch / TESTS).rglob("*")]
    for folder in folders:  # packages (tests.python.kaolin.math...), so relative imports and same-named files work
        if folder.is_dir() and not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("")
    testing = checkout / "kaolin" / "utils" / "testing.py"  # its device lists get the user's edit too
    (scratch / "kaolin_testing.py").write_text(edit_source(testing.read_text())[0])
    (scratch / "conftest.py").write_text(_CONFTEST.format(testing=str(testing),
                                                          edited=str(scratch / "kaolin_testing.py")))
    (scratch / "pytest.ini").write_text("[pytest]\n")
    return sorted(str(path.relative_to(scratch / TESTS)) for path in (scratch / TESTS).rglob("test_*.py")
                  if in_scope(str(path.relative_to(scratch / TESTS))))


# Tests that compare with the exact order one of Kaolin's kernels or tables happens to produce, checked against
# ours in a scratch copy that compares orderless: (file, test names, why). Marching cubes: the same vertices in every case; Kaolin's kernel orders them by
# its cube scan and triangulates by Lorensen's table, ours is scikit-image's (Lewiner), which splits the
# ambiguous cubes of cases 2, 5, 6, 10, 11 and 12 differently.
_MCUBES = "ops/conversions/test_voxelgrid.py", "test_voxelgrids_to_trianglemeshes_{}"
KNOWN_DIFFERENCES = [
    (_MCUBES[0], {_MCUBES[1].format(i) for i in (0, 1, 3, 4, 7, 8, 9, 13)},
     "Kaolin's CUDA marching-cubes kernel's vertex/face order: ours has the same vertices and triangles in "
     "another order"),
    (_MCUBES[0], {_MCUBES[1].format(i) for i in (2, 5, 6, 10, 11, 12)},
     "Kaolin's CUDA marching-cubes kernel's vertex/face order and Lorensen's table: ours (scikit-image, "
     "Lewiner) has the same vertices, ambiguous cubes triangulated otherwise"),
    ("ops/conversions/test_tetmesh.py", {"test_output_value[cpu0]", "test_output_value[cpu1]"},
     "Kaolin's 16-case marching-tetrahedra table starts some triangles at another corner (or lists a quad's two "
     "the other way round): ours has the same triangles, windings and tets"),
    ("render/spc/test_raytrace.py", {"test_ambiguous_raytrace"},
     "Kaolin's CUDA ray traversal lists voxels hit at the same depth (a ray exactly between voxels) in its "
     "stepping order: ours has the same hits, sorted front to back"),
    ("ops/spc/test_points.py", {"test_interpolate_trilinear_forward", "test_interpolate_trilinear_backward"},
     "passes 9 coords with 5 points to coords_to_trilinear_coeffs, whose CUDA kernel reads points past its end; "
     "ours refuses shapes that do not match (PipelineError)"),
    ("ops/spc/test_points.py", {"test_interpolate_trilinear_by_coords_backward"},
     "Kaolin's backward gives d/d(cell-local position), 2^(level-1) times smaller than d/d(coords); ours is the "
     "true derivative in coords (gradcheck)"),
    ("rep/test_surface_mesh.py", {f"test_ensure_indexed_attribute[{b}-cpu{i}]" for b in ("NONE", "FIXED", "LIST")
                                  for i in (0, 1)},
     "our io.usd reader merges equal face-varying UVs (ico_smooth.usda: 63, as its OBJ; Kaolin keeps all 240), so "
     "SurfaceMesh.cat stacks uvs + face_uvs_idx instead of falling back to face_uvs; the data are the same"),
    ("ops/test_batch.py", {"test_list_to_packed_fail2"},
     "expects the message to name the second tensor torch.cuda.FloatTensor: with 'cuda' -> 'cpu' it is a "
     "torch.FloatTensor (ours words it as Kaolin, from tensor.type(); needs a GPU)"),
    ("render/camera/test_trajectory.py", {"test_incompatible_device"},
     "mixes a 'cuda' and a 'cpu' camera to get a device-mismatch error: with 'cuda' -> 'cpu' both are on the CPU "
     "(needs a GPU)"),
]


def known_difference(name: str, test: str) -> str | None:
    """The reason listed in :data:`KNOWN_DIFFERENCES` for a test that failed an assertion, if any."""
    return next((why for file, tests, why in KNOWN_DIFFERENCES if name == file and test in tests), None)


def reason_of(element: ElementTree.Element) -> str:
    """One line saying why a test case did not pass (the needed CUDA part named first)."""
    text = (element.get("message") or "") + "\n" + (element.text or "")
    if "kaolin._C" in text or re.search(r"\b_C\.", text):
        return "calls kaolin._C (CUDA kernel)"
    if "nvdiffrast" in text:
        return "needs nvdiffrast"
    cuda_class = re.search(r"\b(_\w+Cuda)\b is not implemented", text)  # Kaolin's autograd wrappers of _C kernels
    if cuda_class:
        return f"calls {cuda_class.group(1)} (Kaolin's CUDA kernel wrapper)"
    if "deserialize object on a CUDA device" in text:
        return "loads a golden tensor Kaolin saved on a CUDA device (torch.load without map_location)"
    missing = re.search(r"No such file or directory: '([^']*/samples/[^']*)'", text)
    if missing:  # e.g. tests/samples/synthetic/*.npy: in Kaolin's tree, but their blobs are not in every snapshot
        sample = os.path.normpath(missing.group(1)).split("/samples/", 1)[1]
        return f"needs Kaolin's sample file samples/{sample}, missing from this checkout"
    if "No module named 'kaolin.physics'" in text:
        return "needs kaolin.physics (physics is out of scope)"
    lines = [line.strip() for line in (element.text or "").splitlines() if line.strip().startswith("E ")]
    if element.get("message") == "collection failure" and lines:  # the error pytest printed, not its label
        return "collection: " + lines[-1][1:].strip()[:150]
    message = (element.get("message") or element.text or "").strip().splitlines()
    return message[0][:160] if message else element.tag


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kaolin", type=Path, help="a checkout of NVIDIAGameWorks/kaolin")
    parser.add_argument("--only", nargs="*", help="run only the test files whose path contains one of these")
    parser.add_argument("--exclude", nargs="*", default=[], help="skip the test files whose path contains one of these")
    parser.add_argument("-n", "--workers", type=int, default=1,
                        help="pytest-xdist workers; each file's tests stay in one worker "
                             "(Kaolin's fixtures share a folder per file and remove it)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "kaolin_tests.json")
    args = parser.parse_args()
    if not (args.kaolin / TESTS).is_dir():
        parser.error(f"{args.kaolin}: not a checkout of NVIDIAGameWorks/kaolin (no {TESTS})")

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        files = [name for name in prepare(args.kaolin, scratch)
                 if (not args.only or any(part in name for part in args.only))
                 and not any(part in name for part in args.exclude)]
        report_xml = scratch / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:dash",
                   "--rootdir", str(scratch), "--continue-on-collection-errors", f"--junitxml={report_xml}", "-o", "junit_family=xunit1",
                   *(["-n", str(args.workers), "--dist", "loadfile"] if args.workers > 1 else []), *[str(TESTS / name) for name in files]]
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True)
        if not report_xml.is_file():
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            print("pytest wrote no report: the lines above say why", file=sys.stderr)
            return 1
        cases = ElementTree.parse(report_xml).getroot().iter("testcase")

        counts: dict[str, Counter] = defaultdict(Counter)
        not_passed = []
        for case in cases:
            path = (case.get("file") or case.get("classname", "").replace(".", "/") + ".py")
            name = path.split(str(TESTS) + "/")[-1]
            outcome = next(((child.tag, child) for child in case if child.tag in ("failure", "error", "skipped")),
                           ("passed", None))
            tag = {"failure": "failed", "error": "errors", "skipped": "skipped"}.get(outcome[0], "passed")
            counts[name][tag] += 1
            if tag != "passed":
                known = known_difference(name, case.get("name")) if tag == "failed" else None
                not_passed.append({"file": name, "test": case.get("name"), "outcome": tag,
                                   "reason": known or reason_of(outcome[1])})

    totals = sum(counts.values(), Counter())
    print(f"{'test file':<48}{'pass':>6}{'fail':>6}{'error':>7}{'skip':>6}")
    for name in sorted(counts):
        row = counts[name]
        print(f"{name:<48}{row['passed']:>6}{row['failed']:>6}{row['errors']:>7}{row['skipped']:>6}")
    print(f"{'total':<48}{totals['passed']:>6}{totals['failed']:>6}{totals['errors']:>7}{totals['skipped']:>6}")
    reasons = Counter((item["outcome"], item["reason"]) for item in not_passed)
    print("\nwhy the others did not pass (count, outcome, reason):")
    for (outcome, reason), count in reasons.most_common():
        print(f"{count:>6}  {outcome:<8} {reason}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"totals": dict(totals), "files": {k: dict(v) for k, v in counts.items()},
                                    "not_passed": not_passed}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
