"""Kaolin's own DIB-R tutorial notebook, run on the CPU through :mod:`kaolin_pipeline.kaolin`, scored on held-out views.

Usage::

    .venv/bin/python benchmarks/kaolin_tutorial.py KAOLIN_CHECKOUT [--shape synthetic:blob] [--views 100]
        [--heldout 16] [--size 256] [--work DIR] [--out benchmarks/results/kaolin_tutorial.json]

``KAOLIN_CHECKOUT`` is a checkout of NVIDIAGameWorks/kaolin: its
``examples/tutorial/dibr_tutorial.ipynb`` and ``examples/samples/sphere.obj`` are read from there at
run time (nothing of Kaolin's is stored in this repository). The script

1. renders ``views + heldout`` views of ``--shape`` with the Data Generator (the code of
   ``kaolin-pipeline render``, its defaults: radius-0.7 scene, cameras uniform on a sphere at
   distance 3, 4x4 anti-aliased RGB) and splits them: the first ``views`` become the tutorial's
   ``examples/samples/rendered_clock/``, the rest are held out;
2. turns the notebook's code cells into a script with exactly these edits, printed as it runs:
   shell lines (``!pip ...``) dropped, ``'cuda'`` device strings made ``'cpu'`` and ``.cuda()`` made
   ``.cpu()`` (``rast_backend='cuda'`` stays: the layer accepts it). ``import kaolin as kal`` is left
   as it is: ``python -m kaolin_pipeline.kaolin`` makes it resolve to this project;
3. runs it in the tutorial's folder layout;
4. reads the last mesh the tutorial logged to its Timelapse (``./logs``) and measures the mask IoU of
   its hard silhouettes (``prepare_vertices`` + ``rasterize``) against the target masks of the
   held-out views, and of the training views.

Prints a table and writes the figures to the JSON file.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from kaolin_pipeline.datagen import generate_views
from kaolin_pipeline.export.timelapse import TimelapseReader
from kaolin_pipeline.io.render import import_synthetic_view, view_indices
from kaolin_pipeline.ops.metrics import mask_iou_score
from kaolin_pipeline.render import prepare_vertices, rasterize

NOTEBOOK = Path("examples/tutorial/dibr_tutorial.ipynb")
SPHERE = Path("examples/samples/sphere.obj")
LOG_CATEGORY = "optimized_mesh"

_DEVICE_STRING = re.compile(r"(?<!backend=)(['\"])cuda\1")


def notebook_to_cpu_script(notebook: Path) -> tuple[str, list[str]]:
    """The code cells of ``notebook`` as one CPU script, and a description of every line changed."""
    cells = json.loads(notebook.read_text())["cells"]
    lines, changes = [], []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.lstrip().startswith(("!", "%")):
                changes.append(f"dropped: {line.strip()}")
                continue
            edited = _DEVICE_STRING.sub(r"\1cpu\1", line).replace(".cuda()", ".cpu()")
            if edited != line:
                changes.append(f"{line.strip()}  ->  {edited.strip()}")
            lines.append(edited)
        lines.append("")
    return "\n".join(lines), changes


def split_views(source: Path, train_dir: Path, heldout_dir: Path, num_train: int) -> None:
    """Copy views ``0 .. num_train-1`` of ``source`` to ``train_dir`` and the rest, renumbered from 0, to ``heldout_dir``."""
    for path in sorted(source.iterdir()):
        match = re.fullmatch(r"(\d+)_(.+)", path.name)
        if not match:
            continue
        index = int(match.group(1))
        target = train_dir / path.name if index < num_train else heldout_dir / f"{index - num_train}_{match.group(2)}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def silhouette_iou(vertices: torch.Tensor, faces: torch.Tensor, views_dir: Path) -> list[float]:
    """Mask IoU of the hard silhouettes of a (V, 3) mesh against every view's target mask in ``views_dir``."""
    ious = []
    for index in view_indices(views_dir):
        view = import_synthetic_view(views_dir, index, semantic=True)
        target = view["semantic"][..., 0] > 0
        camera = view["metadata"]
        face_vertices_camera, face_vertices_image, _ = prepare_vertices(
            vertices.unsqueeze(0), faces, camera["cam_proj"], camera_transform=camera["cam_transform"].unsqueeze(0))
        _, face_idx = rasterize(target.shape[0], target.shape[1], face_vertices_camera[..., 2], face_vertices_image,
                                torch.ones(1, faces.shape[0], 3, 1))
        ious.append(float(mask_iou_score((face_idx >= 0).float(), target.unsqueeze(0).float())))
    return ious


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kaolin", type=Path, help="a checkout of NVIDIAGameWorks/kaolin")
    parser.add_argument("--shape", default="synthetic:blob", help="what the Data Generator renders")
    parser.add_argument("--views", type=int, default=100, help="training views")
    parser.add_argument("--heldout", type=int, default=16, help="held-out views")
    parser.add_argument("--size", type=int, default=256, help="image size (the tutorial's evaluation cell uses 256)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed afterwards)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "kaolin_tutorial.json")
    args = parser.parse_args()
    for needed in (NOTEBOOK, SPHERE):
        if not (args.kaolin / needed).is_file():
            parser.error(f"{args.kaolin / needed}: not found; KAOLIN_CHECKOUT must be a checkout of NVIDIAGameWorks/kaolin")

    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        all_views = work / "all_views"
        generate_views(args.shape, all_views, num_views=args.views + args.heldout, image_size=args.size)
        samples = work / "examples" / "samples"
        split_views(all_views, samples / "rendered_clock", work / "heldout", args.views)
        shutil.copyfile(args.kaolin / SPHERE, samples / SPHERE.name)

        script, changes = notebook_to_cpu_script(args.kaolin / NOTEBOOK)
        tutorial_dir = work / "examples" / "tutorial"
        tutorial_dir.mkdir(parents=True, exist_ok=True)
        (tutorial_dir / "dibr_tutorial.py").write_text(script)
        print("edits to the notebook's code:", *changes, sep="\n  ")
        shutil.rmtree(tutorial_dir / "logs", ignore_errors=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kaolin_pipeline.kaolin", "dibr_tutorial.py"], cwd=tutorial_dir,
                       env={**os.environ, "MPLBACKEND": "Agg"}, check=True)
        seconds = time.perf_counter() - start

        reader = TimelapseReader(tutorial_dir / "logs")
        last = reader.iterations(LOG_CATEGORY, "mesh", 0)[-1]
        mesh = reader.mesh(LOG_CATEGORY, 0, last)
        heldout = silhouette_iou(mesh.vertices.float(), mesh.faces, work / "heldout")
        training = silhouette_iou(mesh.vertices.float(), mesh.faces, samples / "rendered_clock")

    report = {
        "shape": args.shape, "views": args.views, "heldout_views": args.heldout, "image_size": args.size,
        "edits": changes, "last_logged_iteration": last, "seconds": round(seconds, 1),
        "heldout_mask_iou_mean": sum(heldout) / len(heldout), "heldout_mask_iou_min": min(heldout),
        "training_mask_iou_mean": sum(training) / len(training), "torch": torch.__version__,
    }
    print(f"\n{'shape':<20}{'views':>6}{'held-out IoU (mean / min)':>28}{'training IoU':>14}{'seconds':>9}")
    print(f"{args.shape:<20}{args.views:>6}{report['heldout_mask_iou_mean']:>19.4f} / {min(heldout):.4f}"
          f"{report['training_mask_iou_mean']:>14.4f}{seconds:>9.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
