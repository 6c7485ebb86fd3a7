"""Wavefront MTL material libraries (the ``mtllib`` of an OBJ file) <-> :class:`PBRMaterial`.

Statements read (keys are case-insensitive; texture options before the file name are skipped;
file names are relative to the MTL file):

=================  ==========================================
MTL                :class:`~kaolin_pipeline.structures.PBRMaterial`
=================  ==========================================
``Kd r g b``       ``diffuse_color``
``Ks r g b``       ``specular_color`` (``is_specular_workflow`` stays False, as Kaolin)
``Pr x``           ``roughness_value`` (PBR extension)
``Pm x``           ``metallic_value`` (PBR extension)
``d x`` / ``Tr x`` ``opacity_value`` (``Tr`` = 1 - d)
``map_Kd``         ``diffuse_texture`` (3, H, W)
``map_Ks``         ``specular_texture`` (3, H, W)
``map_Pr``         ``roughness_texture`` (1, H, W)
``map_Pm``         ``metallic_texture`` (1, H, W)
``map_d``          ``opacity_texture`` (1, H, W)
``norm`` / ``bump`` / ``map_bump``  ``normals_texture`` (3, H, W) in [-1, 1]
=================  ==========================================

Other statements (``Ka``, ``Ns``, ``illum``...) are ignored. Textures are row 0 = top of the
image, addressed by the OBJ's ``vt`` coordinates as stored (origin bottom-left). An image
file used by several materials is read once and shared. A missing image is skipped with a
warning; an unreadable one raises :class:`LoadError` naming it.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import torch

from kaolin_pipeline.errors import MaterialLoadError
from kaolin_pipeline.io._fileutil import atomic_path, reading
from kaolin_pipeline.io.textures import from_file_values, read_texture_png, to_file_values, write_texture_png
from kaolin_pipeline.structures import PBRMaterial

_COLORS = {"kd": "diffuse_color", "ks": "specular_color"}
_SCALARS = {"pr": "roughness_value", "pm": "metallic_value", "d": "opacity_value"}
_MAPS = {"map_kd": "diffuse_texture", "map_ks": "specular_texture", "map_pr": "roughness_texture",
         "map_pm": "metallic_texture", "map_d": "opacity_texture", "norm": "normals_texture",
         "bump": "normals_texture", "map_bump": "normals_texture"}
# What write_mtl writes for each field: (MTL key, file name suffix of its image).
_WRITTEN_MAPS = {"diffuse_texture": ("map_Kd", "diffuse"), "specular_texture": ("map_Ks", "specular"),
                 "roughness_texture": ("map_Pr", "roughness"), "metallic_texture": ("map_Pm", "metallic"),
                 "opacity_texture": ("map_d", "opacity"), "normals_texture": ("norm", "normals")}
_WRITTEN_VALUES = {"diffuse_color": "Kd", "specular_color": "Ks", "roughness_value": "Pr",
                   "metallic_value": "Pm", "opacity_value": "d"}


def read_mtl(path: Path) -> dict[str, dict[str, object]]:
    """Material name -> ``{PBRMaterial field: value}``: colours and numbers as float lists, maps as Paths."""
    materials: dict[str, dict[str, object]] = {}
    current: Optional[dict[str, object]] = None
    with reading(path, "MTL material library"):
        text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if len(parts) < 2 or parts[0].startswith("#"):
            continue
        key = parts[0].lower()
        if key == "newmtl":
            current = materials.setdefault(line.split(None, 1)[1].strip(), {})
        elif current is None:
            continue
        elif key in _MAPS:
            current[_MAPS[key]] = path.parent / parts[-1].replace("\\", "/")
        elif key in _COLORS or key in _SCALARS or key == "tr":
            try:
                values = [float(x) for x in parts[1:4 if key in _COLORS else 2]]
            except ValueError:
                warnings.warn(f"{path}: line {number}: ignoring malformed {parts[0]!r} statement: {line.strip()!r}")
                continue
            if key in _COLORS:
                current[_COLORS[key]] = values * 3 if len(values) == 1 else values
            elif key == "tr":
                current["opacity_value"] = [1.0 - values[0]]
            else:
                current[_SCALARS[key]] = values
    return materials


def to_pbr_material(name: str, fields: dict[str, object], source: Path, with_textures: bool,
                    images: dict[tuple[Path, str], Optional[torch.Tensor]]) -> PBRMaterial:
    """A :class:`PBRMaterial` from one entry of :func:`read_mtl`; texture maps only when ``with_textures``.

    ``images`` caches textures by (file, field) across materials, so shared images are one tensor.
    """
    values = {field: value for field, value in fields.items() if not isinstance(value, Path)}
    material = PBRMaterial(material_name=name, **values)
    for field, file in fields.items():
        if not isinstance(file, Path) or not with_textures:
            continue
        if (file, field) not in images:
            images[(file, field)] = _read_map(file, field, source)
        setattr(material, field, images[(file, field)])
    return material


def _read_map(file: Path, field: str, source: Path) -> Optional[torch.Tensor]:
    if not file.is_file():
        warnings.warn(f"{source}: texture image {file} not found; loading without it", MaterialLoadError)
        return None
    return from_file_values(field, read_texture_png(file, str(source), PBRMaterial.TEXTURE_CHANNELS[field]))


def material_names(materials: list[PBRMaterial]) -> list[str]:
    """Unique names without white space for ``newmtl``/``usemtl`` (``material_<i>`` where a name is unusable)."""
    names: list[str] = []
    for index, material in enumerate(materials):
        name = material.material_name.strip()
        if not name or any(c.isspace() for c in name) or name in names:
            name = f"material_{index}"
        names.append(name)
    return names


def write_mtl(path: Path, materials: list[PBRMaterial], names: list[str]) -> None:
    """Write ``materials`` as the MTL file ``path`` and their textures as ``<stem>_<i>_<kind>.png`` beside it
    (``i``: the first material using that texture tensor)."""
    lines = ["# written by kaolin_pipeline"]
    written: dict[tuple[int, str], str] = {}  # a texture tensor shared by materials is one file
    for index, (material, name) in enumerate(zip(materials, names)):
        lines += ["", f"newmtl {name}"]
        for field, key in _WRITTEN_VALUES.items():
            value = getattr(material, field)
            if value is not None:
                lines.append(f"{key} " + " ".join(f"{x:.9g}" for x in value.detach().cpu().tolist()))
        for field, (key, kind) in _WRITTEN_MAPS.items():
            texture = getattr(material, field)
            if texture is not None:
                file_key = (id(texture), field)
                if file_key not in written:
                    written[file_key] = f"{path.stem}_{index}_{kind}.png"
                    write_texture_png(to_file_values(field, texture.detach()), path.parent / written[file_key])
                lines.append(f"{key} {written[file_key]}")
    with atomic_path(path) as temp:
        temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
