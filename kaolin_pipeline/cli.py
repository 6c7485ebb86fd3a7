"""The ``kaolin-pipeline`` command: a thin layer over the Python API.

Every verb calls library functions a user can call from Python. A
:class:`~kaolin_pipeline.errors.PipelineError` becomes one line on stderr and exit
status 2 (``--debug`` shows the traceback instead). Each verb imports its modules when it runs,
so ``--help``, ``doctor`` and ``info`` start without loading torch, pxr or open3d.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional

from kaolin_pipeline.allocator import keep_freed_memory
from kaolin_pipeline.errors import ConfigError, LoadError, PipelineError

RUNS_DIR = Path("runs")


def _cmd_doctor(args) -> int:
    from kaolin_pipeline.doctor import report

    print(report())
    return 0


# --------------------------------------------------------------------------- recipes


def _resolve_run(recipe: str, args, extra: dict) -> tuple[dict, Path, bool]:
    """The config and run folder of a ``fit``/``train`` invocation: ``--resume RUN`` reloads the saved
    config (with the overrides on top), a new run without ``--out`` gets a fresh ``runs/<name>[-N]``.
    Nothing is written here."""
    from kaolin_pipeline.export.rundir import RunDir, fresh_run_dir
    from kaolin_pipeline.train.config import load_config, load_run_config, parse_overrides

    overrides = dict(extra)
    for key, value in (("steps", args.steps), ("seed", args.seed), ("device", args.device)):
        if value is not None:
            overrides[key] = value
    overrides.update(parse_overrides(args.overrides))
    if args.resume:
        run = RunDir(args.resume)
        if args.overwrite:
            raise ConfigError(f"give either --resume {run.path} or --overwrite, not both")
        run.start(resume=True)
        config = load_run_config(recipe, run.config, overrides)
        if args.out and Path(args.out) != run.path:
            raise ConfigError(f"--out {args.out} and --resume {run.path} name different run folders")
        return config, run.path, True
    config = load_config(recipe, args.config, overrides)
    if args.out:
        RunDir(args.out).start(resume=False, overwrite=args.overwrite)
        return config, Path(args.out), False
    return config, fresh_run_dir(RUNS_DIR, config["name"]).path, False


def _print_metrics(metrics: dict) -> None:
    for key, value in metrics.items():
        print(f"  {key:<10} {value:.4f}" if isinstance(value, float) else f"  {key:<10} {value}")


def _cmd_fit(args, recipe: str = "fit") -> int:
    from kaolin_pipeline.export.rundir import RunDir
    from kaolin_pipeline.train.fit import fit

    target = getattr(args, "target", None)
    if target and "=" in target and not Path(target).exists():
        # argparse fills TARGET with the first key=value when none is given (e.g. after --resume RUN)
        args.overrides, target = [target, *args.overrides], None
    extra = {"target": target} if target else {}
    if args.resume and extra:
        raise ConfigError("give either TARGET or --resume RUN_DIR (a resumed run keeps its target)")
    config, run_dir, resume = _resolve_run(recipe, args, extra)
    metrics = fit(config, run_dir, resume=resume, overwrite=args.overwrite)
    print(f"run: {run_dir}")
    _print_metrics(metrics)
    run = RunDir(run_dir)
    print(f"metrics: {run.metrics_json}")
    print(f"report:  {run.report}")
    return 0


def _cmd_demo(args) -> int:
    args.target, args.config = None, None
    return _cmd_fit(args, recipe="demo")


def _cmd_train(args) -> int:
    from kaolin_pipeline.train.reconstruct import train

    extra = {}
    if args.dataset:
        extra["data.source"] = args.dataset
    if args.root:
        extra["data.root"] = args.root
    config, run_dir, resume = _resolve_run("reconstruct", args, extra)
    history = train(config, run_dir, resume=resume, overwrite=args.overwrite)
    if history:
        print(f"run: {run_dir} (step {history[-1]['step']}, loss {history[-1]['loss']:.4f})")
    print(f"evaluate with: kaolin-pipeline eval {run_dir}")
    return 0


def _cmd_eval(args) -> int:
    from kaolin_pipeline.export.rundir import RunDir
    from kaolin_pipeline.train.config import load_run_config, parse_overrides
    from kaolin_pipeline.train.reconstruct import evaluate, format_eval_table

    run = RunDir(args.run_dir)
    if not run.config.is_file():
        raise LoadError(f"{run.path}: no {RunDir.CONFIG}; not a run folder of `kaolin-pipeline train`")
    overrides = parse_overrides(args.overrides)
    if args.device:
        overrides["device"] = args.device
    config = load_run_config("reconstruct", run.config, overrides)
    result = evaluate(config, run.path, checkpoint=args.checkpoint)
    print(format_eval_table(result))
    print(f"written: {run.eval_json}")
    return 0


# --------------------------------------------------------------------------- files and runs


def _cmd_view(args) -> int:
    from kaolin_pipeline.visualize.view import classify, open_in_browser, write_view

    if args.max_iterations is not None and args.max_iterations < 1:
        raise ConfigError(f"--max-iterations must be >= 1, got {args.max_iterations}")
    if args.serve:
        return _serve_view(args, classify(args.path))
    page = write_view(args.path, out=args.out, max_iterations=args.max_iterations, cache_dir=args.cache_dir)
    print(page)
    if not args.no_browser:
        open_in_browser(page)
    return 0


def _serve_view(args, kind: str) -> int:
    """``view --serve``: write the page (a dataset's without inlined shapes) and serve it until Ctrl-C."""
    from kaolin_pipeline.visualize.serve import make_server
    from kaolin_pipeline.visualize.view import write_view

    dataset = kind == "dataset"
    page = write_view(args.path, out=args.out, max_iterations=args.max_iterations, cache_dir=args.cache_dir,
                      inline_mb=0.0 if dataset else 40.0)
    server = make_server(page, args.path if dataset else None, args.port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"serving {page} at {url} (Ctrl-C stops)", flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _cmd_export(args) -> int:
    from kaolin_pipeline.export.assets import export_run

    print(export_run(args.source, args.format, args.out))
    return 0


def _cmd_render(args) -> int:
    from kaolin_pipeline.datagen import generate_views

    report = generate_views(args.source, args.out, num_views=args.views, image_size=args.size, rig=args.cameras,
                            seed=args.seed, supersample=args.supersample)
    print(f"rendered {len(report['rendered'])}, skipped {len(report['skipped'])} (already complete), "
          f"failed {len(report['failed'])}: {args.out}")
    for name, message in report["failed"]:
        print(f"  failed {name}: {message}")
    return 0


def _cmd_info(args) -> int:
    from kaolin_pipeline.io.describe import describe_file

    print(describe_file(args.file))
    return 0


# --------------------------------------------------------------------------- parser


def _run_options(parser: argparse.ArgumentParser, with_config: bool = True) -> None:
    if with_config:
        parser.add_argument("--config", help="YAML file of config values (on top of the recipe defaults; "
                            "may start with base: NAME_OR_PATH) or a shipped config name, e.g. demo")
    parser.add_argument("--out", help="run folder (default: a fresh runs/<name>, runs/<name>-2, ...)")
    parser.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    parser.add_argument("--steps", type=int, help="number of optimisation steps")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to run (default: auto)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its latest checkpoint "
                        "(key=value overrides apply on top of its config.yaml)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. optim.lr_texture=0.01")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaolin-pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    doctor = verbs.add_parser("doctor", help="versions of dependencies and which optional parts work")
    doctor.set_defaults(run=_cmd_doctor)

    fit = verbs.add_parser("fit", help="fit a textured mesh to views of TARGET with DIB-R")
    fit.add_argument("target", nargs="?", metavar="TARGET",
                     help="mesh, point-cloud or voxel-grid file, synthetic:<family> or a folder of <i>_rgb.png views")
    _run_options(fit)
    fit.set_defaults(run=_cmd_fit)

    train = verbs.add_parser("train", help="train single-image mesh reconstruction")
    train.add_argument("--dataset", metavar="SOURCE",
                       help="data.source: synthetic:N, a folder of meshes, shapenet:ROOT or modelnet:ROOT")
    train.add_argument("--root", help=argparse.SUPPRESS)  # before data.source held it: --dataset shapenet --root R
    _run_options(train)
    train.set_defaults(run=_cmd_train)

    evaluate = verbs.add_parser("eval", help="3D IoU and F-score of a `train` run on held-out shapes")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--checkpoint", help="checkpoint file (default: the run's latest)")
    evaluate.add_argument("--device", choices=["auto", "cpu", "cuda"])
    evaluate.add_argument("overrides", nargs="*", metavar="key=value")
    evaluate.set_defaults(run=_cmd_eval)

    demo = verbs.add_parser("demo", help="fit a built-in textured synthetic shape (a few minutes on CPU)")
    _run_options(demo, with_config=False)
    demo.set_defaults(run=_cmd_demo)

    view = verbs.add_parser("view", help="inspect a run, Timelapse log, dataset or shape file in 3D (one HTML page)")
    view.add_argument("path", metavar="PATH",
                      help="run folder, Timelapse folder, dataset (folder, shapenet:ROOT, modelnet:ROOT[#split], synthetic:N) "
                           "or mesh / point-cloud / voxel file")
    view.add_argument("--no-browser", action="store_true", help="only print the page's path")
    view.add_argument("--out", metavar="HTML", help="where to write the page (a run's is always RUN/report.html)")
    view.add_argument("--max-iterations", type=int, metavar="N", help="at most N iterations per logged object")
    view.add_argument("--cache-dir", metavar="DIR", help="dataset thumbnail cache (default ~/.cache/kaolin-pipeline)")
    view.add_argument("--serve", action="store_true", help="serve the page on 127.0.0.1 (datasets load shapes on demand)")
    view.add_argument("--port", type=int, default=0, help="port for --serve (default: a free one)")
    view.set_defaults(run=_cmd_view)

    export = verbs.add_parser("export", help="export the mesh of a checkpoint or run")
    export.add_argument("source", metavar="CHECKPOINT_OR_RUN")
    export.add_argument("--format", required=True, choices=["usd", "obj", "ply", "glb"])
    export.add_argument("out", metavar="OUT")
    export.set_defaults(run=_cmd_export)

    render = verbs.add_parser("render", help="render Kaolin App synthetic views (RGBA, depth, normals, "
                                             "segmentation, cameras) of meshes")
    render.add_argument("source", metavar="SOURCE",
                        help="mesh file, folder of meshes, synthetic:<family>, shapenet:ROOT or modelnet:ROOT")
    render.add_argument("--out", required=True, help="output folder (one subfolder per shape for several shapes)")
    render.add_argument("--views", type=int, default=16, help="views per shape (default: 16)")
    render.add_argument("--size", type=int, default=256, help="image side in pixels (default: 256)")
    render.add_argument("--cameras", choices=["sphere", "hemisphere", "turntable"], default="sphere",
                        help="camera rig (default: sphere)")
    render.add_argument("--seed", type=int, default=0, help="seed of the random rigs and synthetic shapes")
    render.add_argument("--supersample", type=int, default=4, help="anti-aliasing samples per pixel and axis")
    render.set_defaults(run=_cmd_render)

    info = verbs.add_parser("info", help="summary of a mesh, point cloud or voxel grid file")
    info.add_argument("file", metavar="FILE")
    info.set_defaults(run=_cmd_info)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    # OpenMP threads that spin while waiting starve when another process holds a core: the demo took
    # 144 s instead of 11 s on 2 cores beside one busy process. Passive waiting, unless the user chose,
    # set before the commands import torch.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Freed blocks stay in the process: 40 fit steps on the Stanford bunny faulted in 281k pages instead of 816k.
    keep_freed_memory()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # key=value overrides may come after options (argparse stops filling positionals at the first option).
    stray = [item for item in extra if item.startswith("-") or "=" not in item]
    if stray or (extra and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(stray or extra)}")
    if extra:
        args.overrides = list(args.overrides) + extra
    try:
        return args.run(args)
    except PipelineError as exc:
        if args.debug:
            raise
        message = " ".join(str(exc).split())
        print(f"kaolin-pipeline: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        detail = f": {exc}" if str(exc) else ""
        print(f"kaolin-pipeline: interrupted{detail}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
