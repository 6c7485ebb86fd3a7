"""Where Kaolin's downloadable sample data lives, and the environment variables that name it (Kaolin's
``kaolin.utils.bundled_data`` and ``kaolin.utils.env_vars``).

This project ships no sample data: :data:`BUNDLED_DATA_PATH` is a user cache folder
(``$XDG_CACHE_HOME/kaolin_pipeline/sample_data``, default ``~/.cache/...``). The scanned toys (Gaussian splats
and meshes) and the tensor-IR splats are fetched on request from Kaolin's public bucket by
:func:`download_scanned_toys_dataset` and :func:`download_tensor_ir_dataset`: each archive is downloaded only
if one of its files is missing or has another MD5 than Kaolin lists, unpacked into the folder, and checked
again. ``KAOLIN_SCANNED_TOYS_PATH`` and ``KAOLIN_TENSOR_IR_PATH`` choose other folders.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
import zipfile
from enum import Enum
from pathlib import Path
from typing import Dict, Optional

from kaolin_pipeline.errors import LoadError

__all__ = ["BUNDLED_DATA_PATH", "KaolinEnvVars", "KaolinTestEnvVars", "SAMPLE_MESHES_PATH", "SCANNED_TOYS_NAMES",
           "SCANNED_TOYS_PATH", "TENSOR_IR_NAMES", "TENSOR_IR_PATH", "download_scanned_toys_dataset",
           "download_tensor_ir_dataset"]


class KaolinTestEnvVars(str, Enum):
    """Environment variables that switch on Kaolin's tests needing downloads or optional back ends."""

    TEST_SCANNED_TOYS = "KAOLIN_TEST_SCANNED_TOYS"
    TEST_TENSOR_IR = "KAOLIN_TEST_TENSOR_IR"
    TEST_GSPLATS_DIR = "KAOLIN_TEST_GSPLATS_DIR"
    TEST_MODELNET_PATH = "KAOLIN_TEST_MODELNET_PATH"
    TEST_SHAPENETV1_PATH = "KAOLIN_TEST_SHAPENETV1_PATH"
    TEST_SHAPENETV2_PATH = "KAOLIN_TEST_SHAPENETV2_PATH"
    TEST_SHREC16_PATH = "KAOLIN_TEST_SHREC16_PATH"
    TEST_NVDIFFRAST = "KAOLIN_TEST_NVDIFFRAST"
    TEST_NVDIFFRAST_OPENGL = "KAOLIN_TEST_NVDIFFRAST_OPENGL"


class KaolinEnvVars(str, Enum):
    """Environment variables that move the sample-data folders."""

    SCANNED_TOYS_PATH = "KAOLIN_SCANNED_TOYS_PATH"
    TENSOR_IR_PATH = "KAOLIN_TENSOR_IR_PATH"


BUNDLED_DATA_PATH = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                        / "kaolin_pipeline" / "sample_data")
SAMPLE_MESHES_PATH = os.path.join(BUNDLED_DATA_PATH, "meshes")
SCANNED_TOYS_PATH = os.getenv(KaolinEnvVars.SCANNED_TOYS_PATH) or os.path.join(BUNDLED_DATA_PATH, "scanned_toys")
TENSOR_IR_PATH = os.getenv(KaolinEnvVars.TENSOR_IR_PATH) or os.path.join(BUNDLED_DATA_PATH, "tensor_ir")
SCANNED_TOYS_NAMES = ["BluehairRagdoll", "bublik_octopus", "knit_meow", "mer_elephant", "stink_raccoon",
                      "sunflower_baby"]
TENSOR_IR_NAMES = ["tensorir_ficus", "tensorir_lego"]

#: Kaolin's public bucket; each archive below is ``URL_ROOT + name``.
URL_ROOT = "https://nvidia-kaolin.s3.us-east-2.amazonaws.com/data/"

#: ``{archive: {file in the archive: MD5}}`` as Kaolin 0.18 lists them.
SCANNED_TOYS_ARCHIVES: Dict[str, Dict[str, str]] = {
    "toys_gaussians.usdc.zip": {
        "BluehairRagdoll.usdc": "194fc1779ed4a2c3c310c3dfc4fb7063",
        "bublik_octopus.usdc": "87c678debbc4c1dbbbd109cf14a8af66",
        "knit_meow.usdc": "23a80128a84d9c489c5a5a1f20fc42e7",
        "mer_elephant.usdc": "220c8ae6c73efb93cabeddb13b9b759e",
        "stink_raccoon.usdc": "7b9a9c05f080e4526dac45d2d7faac11",
        "sunflower_baby.usdc": "afb4d81f5c8c63ffd9778cfae608c138",
        "BluehairRagdoll_multi.usdc": "7ca53e1b359cc8ce04d272c132ea4fd8",
        "BluehairRagdoll_compressed.usdc": "8813ce84ab6a349a98aa922e79053b67",
    },
    "toys_gaussians.pt.zip": {
        "BluehairRagdoll.pt": "7e84a773e5402a4cc8e84e8c8544ae0a",
        "bublik_octopus.pt": "7f34c1e5f0a7ea6634ea4a92b81835e7",
        "knit_meow.pt": "b917ddd7485b4cf7e9414164e71e3707",
        "mer_elephant.pt": "3cee58ef3933166f5a7f60934362c3da",
        "stink_raccoon.pt": "dfb63443a8c12649c16fe8f364caee86",
        "sunflower_baby.pt": "b93bc44375d115aa5cebaf3c3c68cdec",
    },
    "toys_gaussians.ply.zip": {
        "BluehairRagdoll.ply": "f3a6591e7dc497d2fdbd1bb654f01baf",
        "bublik_octopus.ply": "4bd216545854171ef69d5c62a0aea369",
        "knit_meow.ply": "f413b1f5c3cc7ccbc724643749f06d57",
        "mer_elephant.ply": "613f87a424c9eba9ecafd8b91150330c",
        "stink_raccoon.ply": "e78798c1d2b6b4262b6c05636022fa15",
        "sunflower_baby.ply": "5f464485ac524c09e3a9b8a9f7d2b7d5",
    },
    "toys_mesh.usd.zip": {
        "mesh.BluehairRagdoll.usd": "d0aea4fd69ec6857294451dbaaa62843",
        "mesh.bublik_octopus.usd": "25fa5e9b39328b1211d7e9190875ec63",
        "mesh.knit_meow.usd": "d877c346f8b2396b0eea3b9702bd811f",
        "mesh.mer_elephant.usd": "8c65fd782524c95f3f2ad7a81a69ac79",
        "mesh.stink_raccoon.usd": "1f838b11799f0126a5bfd6953df58002",
        "mesh.sunflower_baby.usd": "64f7e5a042dd4e0f76402d9819aedeaa",
    },
}
TENSOR_IR_ARCHIVES: Dict[str, Dict[str, str]] = {
    "tensor_ir.ply.zip": {
        "tensorir_ficus.ply": "2c2c3bf45dd26038e84acca32cd95a74",
        "tensorir_lego.ply": "f382c20a563877b97a953537e90c8410",
    },
}


def _first_problem(folder: Path, checksums: Dict[str, str]) -> Optional[str]:
    """Why ``folder`` does not hold every file of ``checksums`` with its MD5, or None when it does."""
    for name, md5 in checksums.items():
        path = folder / name
        if not path.is_file():
            return f"missing {path}"
        if hashlib.md5(path.read_bytes()).hexdigest() != md5:
            return f"MD5 of {path} is not {md5}"
    return None


def fetch_archives(folder: str, archives: Dict[str, Dict[str, str]], url_root: str = URL_ROOT) -> str:
    """Download and unpack into ``folder`` each archive of ``archives`` whose files are not all there with their
    MD5; return ``folder``. :class:`LoadError` names the URL when a download fails or leaves a file wrong."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for archive, checksums in archives.items():
        if _first_problem(target, checksums) is None:
            continue
        url = url_root + archive
        with tempfile.TemporaryDirectory(dir=target) as scratch:
            local = Path(scratch) / archive
            try:
                urllib.request.urlretrieve(url, local)
                with zipfile.ZipFile(local) as bundle:
                    bundle.extractall(target)
            except (OSError, zipfile.BadZipFile) as exc:
                raise LoadError(f"{url}: could not download and unpack into {target}: {exc}") from exc
        problem = _first_problem(target, checksums)
        if problem is not None:
            raise LoadError(f"{url}: after unpacking into {target}, {problem}")
    return str(target)


def download_scanned_toys_dataset() -> str:
    """Kaolin's scanned toys (Gaussian splats as USD, PLY and ``.pt``, and meshes) in :data:`SCANNED_TOYS_PATH`."""
    return fetch_archives(SCANNED_TOYS_PATH, SCANNED_TOYS_ARCHIVES)


def download_tensor_ir_dataset() -> str:
    """Kaolin's tensor-IR Gaussian splats with extra per-splat features in :data:`TENSOR_IR_PATH`."""
    return fetch_archives(TENSOR_IR_PATH, TENSOR_IR_ARCHIVES)
