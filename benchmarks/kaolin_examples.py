"""Kaolin's tutorials and recipes on meshes, cameras, lighting, conversions and SPC, run here on the CPU.

Usage::

    .venv/bin/python benchmarks/kaolin_examples.py KAOLIN_CHECKOUT [--only NAME ...] [--timeout S]
        [--work DIR] [--out benchmarks/results/kaolin_examples.json]

``KAOLIN_CHECKOUT`` is a checkout of NVIDIAGameWorks/kaolin (0.18). Its ``examples/`` and ``sample_data/``
are copied to a scratch folder at run time (nothing of Kaolin's is stored in this repository) and every
in-scope example runs there, in its own folder, under ``python -m kaolin_pipeline.kaolin`` (a notebook's code cells in IPython, as
Jupyter runs them) with only the
user's edit: ``'cuda'`` device strings become ``'cpu'``, ``.cuda()`` becomes ``.cpu()``, and a notebook's
``!pip`` lines and magics are dropped (a package such a line installs and this environment lacks is
installed first with pip, and the table says so). A sample the checkout does not carry
(``examples/samples/rendered_clock.zip``, which its Git LFS holds) is made with our Data Generator as
``benchmarks/kaolin_tutorial.py`` does.

Out of scope, as in the issue: physics, Gaussians, nerfstudio and the interactive GUI notebook; the
tutorial folder's helper modules and scripts that need data the checkout does not have
(``usd_kitchenset.py`` needs Pixar's Kitchen set). Excluded and listed with the reason: the notebooks that
import nvdiffrast in their own code. One example gets one more edit, printed and recorded with its reason
(``working_with_meshes``: its render cells run only where ``torch.cuda.is_available()``).

Each example is allowed its own time (``Example.seconds``: 1200 s, more for the five that train for
thousands of steps; the DMTet tutorial needs hours of one core); ``--timeout`` sets one limit for all.

Prints a table (example, runs to the end, seconds, final value where the example computes one) and
writes JSON.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).parent))
from kaolin_checkout import copy_tree, edit_source, notebook_source  # noqa: E402


@dataclass(frozen=True)
class Example:
    """One tutorial or recipe: its path under ``examples/`` and the printed figure that is its result."""

    path: str
    value: Optional[str] = None  # regex; group 1 of its last match in the output is the final value
    needs_clock_views: bool = False
    extra_edit: Optional[tuple[str, str, str]] = None  # (old, new, why): one more edit beyond the user's, printed
    #: seconds allowed unless --timeout says otherwise: what it needs on a busy 2-core machine, with margin
    seconds: float = 1200
    #: files outside the scratch folder that the example writes: removed before it runs, as Kaolin's USD export
    #: refuses to overwrite a file (FileExistsError), so a second run would stop on the first run's output
    writes: tuple[str, ...] = ()


_NUMBER = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"

EXAMPLES = [
    Example("tutorial/bbox_tutorial.ipynb", rf"loss on epoch \d+: (?:tensor\()?{_NUMBER}", needs_clock_views=True,
            seconds=2400),  # 1,500 steps: ~280 s of one core; 1,637 s at nice 10 on the busy 2-core machine
    Example("tutorial/dibr_tutorial.ipynb", rf"Epoch \d+ - loss: {_NUMBER}", needs_clock_views=True,
            seconds=2400),  # 2,500 steps: ~300-400 s of one core
    Example("tutorial/diffuse_lighting.ipynb", seconds=2400),  # 1,100 steps: ~300 s of one core; 1,743 s busy
    Example("tutorial/dmtet_tutorial.ipynb", rf"Iteration \d+ - loss: (?:tensor\()?{_NUMBER}",
            seconds=36000),  # 5,000 steps, about 1 s each on 2 cores (an MLP on 277k grid vertices, 50k x 89k chamfer)
    Example("tutorial/gltf_viz.ipynb"),
    Example("tutorial/quaternion_tutorial.ipynb"),
    Example("tutorial/sg_specular_lighting.ipynb", seconds=3000),  # 500 steps: ~350 s of one core
    Example("tutorial/understanding_spcs_tutorial.ipynb"),
    Example("tutorial/working_with_meshes.ipynb", rf"Sample loss (?:tensor\()?{_NUMBER}",
            extra_edit=("if torch.cuda.is_available():", "if True:",
                        "its render cells sit under `if torch.cuda.is_available():`, and the next cell uses the camera "
                        "they define, so on a CPU the notebook stops with a NameError whatever library it runs on"),
            writes=("/tmp/out.usd",)),
    Example("recipes/camera/camera_coordinate_systems.py"),
    Example("recipes/camera/camera_init_explicit.py"),
    Example("recipes/camera/camera_init_simple.py"),
    Example("recipes/camera/camera_movement.py"),
    Example("recipes/camera/camera_opengl_shaders.py"),
    Example("recipes/camera/camera_properties.py"),
    Example("recipes/camera/camera_ray_tracing.py"),
    Example("recipes/camera/camera_trajectories.py"),
    Example("recipes/camera/camera_transforms.py"),
    Example("recipes/camera/cameras_differentiable.py"),
    Example("recipes/dataload/spc_from_pointcloud.py"),
    Example("recipes/math/quaternions.py"),
    Example("recipes/preprocess/fast_mesh_sampling.py"),
    Example("recipes/preprocess/occupancy_sampling.py"),
    Example("recipes/spc/spc_basics.py"),
    Example("recipes/spc/spc_conv3d_example.py"),
    Example("recipes/spc/spc_dual_octree.py"),
    Example("recipes/spc/spc_trilinear_interp.py"),
]

#: Examples that are not run, and why (listed in the table and the JSON).
EXCLUDED = {
    "tutorial/camera_and_rasterization.ipynb": "imports nvdiffrast in its own code (RasterizeCudaContext)",
    "tutorial/easy_mesh_render.ipynb": "imports nvdiffrast in its own code",
    "tutorial/interactive_visualizer.ipynb": "interactive GUI (out of scope)",
    "tutorial/nerfstudio_gsplat_interactive_visualizer.ipynb": "nerfstudio / Gaussians (out of scope)",
    "tutorial/working_with_gaussians.ipynb": "Gaussians (out of scope)",
    "tutorial/physics": "physics (out of scope)",
}

_PIP_LINE = re.compile(r"^\s*!?\s*pip install\s+(.*)$")
_IMPORT_NAMES = {"pillow": "PIL", "scikit-image": "skimage", "usd-core": "pxr", "opencv-python": "cv2"}


def pip_packages(text: str) -> list[str]:
    """Package names that a notebook's ``!pip install`` lines ask for (options dropped)."""
    names = []
    for line in text.splitlines():
        match = _PIP_LINE.match(line)
        if match:
            names += [word for word in match.group(1).split() if not word.startswith("-")]
    return names


def ensure_packages(names: list[str]) -> list[str]:
    """Install with pip the packages of ``names`` that do not import here; returns those installed."""
    missing = [name for name in names
               if importlib.util.find_spec(_IMPORT_NAMES.get(name.lower(), name.replace("-", "_"))) is None]
    if missing:
        print("installing what the example's !pip lines ask for:", *missing)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
    return missing


def edit_helper_modules(examples_dir: Path) -> list[str]:
    """Apply the user's edit to every ``.py`` file of the scratch copy (helper modules such as the DMTet
    tutorial's ``dmtet_network.py`` carry device strings too); returns the files changed."""
    changed = []
    for path in sorted(examples_dir.rglob("*.py")):
        text, changes = edit_source(path.read_text())
        if changes:
            path.write_text(text)
            changed.append(str(path.relative_to(examples_dir)))
    return changed


def make_clock_views(examples_dir: Path) -> None:
    """``examples/samples/rendered_clock/``: 100 Data Generator views of ``synthetic:blob`` (the LFS zip's stand-in)."""
    from kaolin_pipeline.datagen import generate_views

    generate_views("synthetic:blob", examples_dir / "samples" / "rendered_clock", num_views=100, image_size=256)


def example_script(path: Path) -> tuple[str, list[str], list[str]]:
    """The script to run for ``path`` (a notebook's code cells or a recipe), its edits, and its pip packages."""
    text = notebook_source(path) if path.suffix == ".ipynb" else path.read_text()
    script, changes = edit_source(text, drop_shell=path.suffix == ".ipynb")
    return script, changes, pip_packages(text)


def run_example(example: Example, examples_dir: Path, timeout: float) -> dict:
    """Run one example in its own folder of the scratch copy; returns its row."""
    source = examples_dir / example.path
    script, changes, packages = example_script(source)
    if example.extra_edit:
        old, new, why = example.extra_edit
        script = script.replace(old, new)
        changes.append(f"{old}  ->  {new}  (beyond the user's edit: {why})")
        print(f"    extra edit: {old} -> {new}: {why}")
    installed = ensure_packages(packages)
    for leftover in map(Path, example.writes):
        if leftover.exists():
            leftover.unlink()
            print(f"    removed {leftover}, which the example writes (a leftover of an earlier run)")
    runnable = source.with_name(f"_cpu_{source.stem}.py")
    runnable.write_text(script)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    log = source.with_name(f"_cpu_{source.stem}.log")  # written as the example runs: `tail -f` it under --work
    print(f"    output: {log}", flush=True)
    start = time.perf_counter()
    with log.open("w") as sink:
        try:
            # a notebook's code runs in IPython, as in Jupyter (display(..., display_id=True) returns a handle there)
            shell = ["-m", "IPython", "--no-banner", "--colors=NoColor"] if source.suffix == ".ipynb" else []
            returncode = subprocess.run([sys.executable, "-m", "kaolin_pipeline.kaolin", *shell, runnable.name],
                                        cwd=source.parent, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                        timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            returncode = None
    seconds = time.perf_counter() - start
    output = log.read_text(errors="replace")
    value = None
    if example.value and output:
        matches = re.findall(example.value, output)
        value = float(matches[-1]) if matches else None
    lines = [line for line in output.splitlines() if line.strip()]
    error = None
    if returncode != 0:
        error = "timed out" if returncode is None else next(
            (line.strip() for line in reversed(lines) if re.match(r"\w*(Error|Exception)\b", line.strip())),
            lines[-1].strip() if lines else f"exit {returncode}")
    return {"example": example.path, "ran_to_end": returncode == 0, "seconds": round(seconds, 1),
            "final_value": value, "error": error, "edits": len(changes), "installed": installed,
            "extra_edit": example.extra_edit and f"{example.extra_edit[0]} -> {example.extra_edit[1]}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kaolin", type=Path, help="a checkout of NVIDIAGameWorks/kaolin")
    parser.add_argument("--only", nargs="*", help="run only the examples whose path contains one of these")
    parser.add_argument("--timeout", type=float,
                        help="seconds allowed per example (default: each example's own budget, 1200 s for most)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "kaolin_examples.json")
    args = parser.parse_args()
    if not (args.kaolin / "examples" / "tutorial").is_dir():
        parser.error(f"{args.kaolin}: not a checkout of NVIDIAGameWorks/kaolin (no examples/tutorial/)")
    chosen = [example for example in EXAMPLES if not args.only or any(part in example.path for part in args.only)]

    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        copy_tree(args.kaolin / "examples", work / "examples")
        copy_tree(args.kaolin / "sample_data", work / "sample_data")
        print("the user's edit applied to:", *edit_helper_modules(work / "examples"))
        if any(example.needs_clock_views for example in chosen):
            make_clock_views(work / "examples")
        rows = []
        for example in chosen:
            print(f"--- {example.path}", flush=True)
            rows.append(run_example(example, work / "examples", args.timeout or example.seconds))
            print(f"    {'ran to the end' if rows[-1]['ran_to_end'] else rows[-1]['error']} "
                  f"({rows[-1]['seconds']} s)", flush=True)

    print(f"\n{'example':<52}{'runs':>6}{'seconds':>9}  final value / error")
    for row in rows:
        tail = row["final_value"] if row["ran_to_end"] else row["error"]
        print(f"{row['example']:<52}{'yes' if row['ran_to_end'] else 'no':>6}{row['seconds']:>9.1f}  "
              f"{'' if tail is None else tail}")
    for path, reason in EXCLUDED.items():
        print(f"{path:<52}{'excl.':>6}{'':>9}  {reason}")
    print(f"\n{sum(row['ran_to_end'] for row in rows)} of {len(rows)} ran to the end")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"examples": rows, "excluded": EXCLUDED}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
