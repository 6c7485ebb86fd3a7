"""Wavefront MTL material libraries (the ``mtllib`` of an OBJ file) <-> :class:`PBRMaterial`.

Statements read (keys are case-insensitive; file names are relative to the MTL file and may hold
spaces: ``map_Kd fuze uv.jpg``; the texture options before the file name (``-s 1 1 1 -o 0 0 -bm 1
-clamp on`` ...) are parsed by their argument counts, ``-clamp on`` sets the material's
``wrap_mode`` to ``"clamp"``, else it is ``"repeat"``, MTL's default, and ``-imfchan r|g|b`` reads that
one channel of the image into a one-channel texture; the other options are ignored):

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
``map_Ns``         ``roughness_texture`` (1, H, W) unless ``map_Pr`` gives one (Kaolin's and Blender's mapping;
                   ``map_Ns -imfchan g rm.png``: the green channel of a glTF roughness-metallic image)
``map_refl``       ``metallic_texture`` (1, H, W) unless ``map_Pm`` gives one (``-imfchan b``: the blue channel)
``norm`` / ``bump`` / ``map_bump``  ``normals_texture`` (3, H, W) in [-1, 1]
=================  ==========================================

Other statements (``Ka``, ``Ns``, ``illum``...) are ignored (:func:`read_raw_mtl` reads ``Ka``/``map_Ka`` into
Kaolin's raw material dicts); a library with no statement read at all
(garbage, or an empty file) gives a warning naming it. Textures are row 0 = top of the
image, addressed by the OBJ's ``vt`` coordinates as stored (origin bottom-left). An image
file used by several materials is read once and shared. A missing image is skipped with a
warning; an unreadable one raises :class:`LoadError` naming it.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import NamedTuple, Optional

import torch

from kaolin_pipeline.errors import MaterialLoadError
from kaolin_pipeline.io._fileutil import atomic_path, reading
from kaolin_pipeline.io.textures import from_file_values, read_texture_png, to_file_values, write_texture_png
from kaolin_pipeline.structures import PBRMaterial

_COLORS = {"kd": "diffuse_color", "ks": "specular_color"}
# Texture map options and their argument counts (MTL spec); -o/-s/-t take 1 to 3 numbers.
_MAP_OPTIONS = {"-blendu": 1, "-blendv": 1, "-bm": 1, "-boost": 1, "-cc": 1, "-clamp": 1, "-imfchan": 1,
                "-mm": 2, "-texres": 1, "-type": 1, "-o": 3, "-s": 3, "-t": 3}
_NUMBERS_UP_TO_THREE = ("-o", "-s", "-t")
_KNOWN_KEYS = {"newmtl", "ka", "ke", "ns", "ni", "illum", "tf", "map_ka", "disp", "decal", "refl", "pe",
               "ps", "pc", "pcr", "aniso", "anisor", "map_ke"}
_SCALARS = {"pr": "roughness_value", "pm": "metallic_value", "d": "opacity_value"}
_MAPS = {"map_kd": "diffuse_texture", "map_ks": "specular_texture", "map_pr": "roughness_texture",
         "map_pm": "metallic_texture", "map_d": "opacity_texture", "norm": "normals_texture",
         "bump": "normals_texture", "map_bump": "normals_texture"}
# Maps read into a field only when the material's PBR statement (map_Pr, map_Pm) gives none.
_FALLBACK_MAPS = {"map_ns": "roughness_texture", "map_refl": "metallic_texture"}
_CHANNELS = {"r": 0, "g": 1, "b": 2}  # -imfchan values naming one colour channel
# What write_mtl writes for each field: (MTL key, file name suffix of its image).
_WRITTEN_MAPS = {"diffuse_texture": ("map_Kd", "diffuse"), "specular_texture": ("map_Ks", "specular"),
                 "roughness_texture": ("map_Pr", "roughness"), "metallic_texture": ("map_Pm", "metallic"),
                 "opacity_texture": ("map_d", "opacity"), "normals_texture": ("norm", "normals")}
_WRITTEN_VALUES = {"diffuse_color": "Kd", "specular_color": "Ks", "roughness_value": "Pr",
                   "metallic_value": "Pm", "opacity_value": "d"}


class TextureMap(NamedTuple):
    """A texture map statement: its image file and the channel ``-imfchan`` picks (0, 1, 2; None: the whole image)."""

    file: Path
    channel: Optional[int] = None


def read_mtl(path: Path) -> dict[str, dict[str, object]]:
    """Material name -> ``{PBRMaterial field: value}``: colours and numbers as float lists, maps as
    :class:`TextureMap`, ``wrap_mode`` as a string when the material has a map."""
    materials: dict[str, dict[str, object]] = {}
    fallbacks: dict[str, dict[str, TextureMap]] = {}  # material name -> maps of _FALLBACK_MAPS
    current: Optional[dict[str, object]] = None
    understood = 0
    with reading(path, "MTL material library"):
        text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if len(parts) < 2 or parts[0].startswith("#"):
            continue
        key = parts[0].lower()
        understood += (key in _MAPS or key in _FALLBACK_MAPS or key in _COLORS or key in _SCALARS
                       or key in _KNOWN_KEYS or key == "tr")
        if key == "newmtl":
            name = line.split(None, 1)[1].strip()
            current = materials.setdefault(name, {})
            current_fallbacks = fallbacks.setdefault(name, {})
        elif current is None:
            continue
        elif key in _MAPS or key in _FALLBACK_MAPS:
            file, clamp, channel = _map_file(line)
            if file is None:
                warnings.warn(f"{path}: line {number}: no file name in {parts[0]!r} statement: {line.strip()!r}")
                continue
            texture_map = TextureMap(path.parent / file.replace("\\", "/"), channel)
            if key in _MAPS:
                current[_MAPS[key]] = texture_map
            else:
                current_fallbacks[_FALLBACK_MAPS[key]] = texture_map
            if key == "map_kd" or "wrap_mode" not in current:
                current["wrap_mode"] = "clamp" if clamp else "repeat"
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
    for name, maps in fallbacks.items():
        for field, texture_map in maps.items():
            materials[name].setdefault(field, texture_map)
    if not understood:
        warnings.warn(f"{path}: no MTL statement could be read (expected newmtl, Kd, map_Kd...); "
                      "the materials it should define are left empty")
    return materials


# Kaolin's raw OBJ materials (kaolin.io.obj.load_mtl): the colours and maps it keeps, keyed as the file spells them.
_RAW_COLOURS = {"kd", "ka", "ks"}
_RAW_MAPS = {"map_kd", "map_ka", "map_ks", "bump", "map_bump", "disp", "map_d", "map_ns", "map_refl"}


def read_raw_mtl(path: Path, source: Optional[Path] = None) -> dict[str, dict[str, object]]:
    """Material name -> Kaolin's raw material dict (``kaolin.io.obj.import_mesh(raw_materials=True)``):
    ``material_name``; ``Kd``, ``Ka``, ``Ks`` (3,) float32; ``map_Kd``, ``map_Ka`` (ambient), ``map_Ks``, ``bump``/
    ``map_bump``, ``disp``, ``map_d``, ``map_Ns``, ``map_refl`` as the image's bytes ``(H, W, 3)`` uint8, or
    ``(H, W, 1)`` with ``-imfchan r|g|b``; keys spelt as in the file. A missing image warns
    :class:`MaterialLoadError` naming ``source`` (default: the MTL file) and is left out; malformed colours warn
    and are left out."""
    materials: dict[str, dict[str, object]] = {}
    current: Optional[dict[str, object]] = None
    with reading(path, "MTL material library"):
        text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        key = parts[0].lower() if len(parts) > 1 else ""
        if key == "newmtl":
            name = line.split(None, 1)[1].strip()
            current = materials.setdefault(name, {"material_name": name})
        elif current is not None and key in _RAW_COLOURS:
            try:
                current[parts[0]] = torch.tensor([float(x) for x in parts[1:4]], dtype=torch.float32)
            except ValueError:
                warnings.warn(f"{path}: line {number}: ignoring malformed {parts[0]!r} statement: {line.strip()!r}")
        elif current is not None and key in _RAW_MAPS:
            file, _, channel = _map_file(line)
            texture_map = TextureMap(path.parent / (file or "").replace("\\", "/"), channel)
            image = _read_image_bytes(texture_map, source or path) if file else None
            if image is not None:
                current[parts[0]] = image
    return materials


def _read_image_bytes(texture_map: TextureMap, source: Path) -> Optional[torch.Tensor]:
    """``(H, W, 3)`` uint8 bytes of the map's image (``(H, W, 1)``: its ``-imfchan`` channel); None, with a
    :class:`MaterialLoadError` warning, when the file is missing."""
    if not texture_map.file.is_file():
        warnings.warn(f"{source}: texture image {texture_map.file} not found; loading without it", MaterialLoadError)
        return None
    texture = read_texture_png(texture_map.file, str(source), 3)
    if texture_map.channel is not None:
        texture = texture[texture_map.channel:texture_map.channel + 1]
    return (texture * 255).round().to(torch.uint8).permute(1, 2, 0).contiguous()


def _map_file(line: str) -> tuple[Optional[str], bool, Optional[int]]:
    """``(file name, clamp, channel)`` of a texture map statement: options skipped by their argument counts, the
    rest of the line (spaces included) is the file name; ``clamp`` is True for ``-clamp on``; ``channel`` is
    0, 1 or 2 for ``-imfchan r``, ``g`` or ``b`` (None without it, or for ``m``, ``l``, ``z``)."""
    tokens = [(match.group(), match.start()) for match in re.finditer(r"\S+", line)][1:]
    position, clamp, channel = 0, False, None
    while position < len(tokens) and tokens[position][0].lower() in _MAP_OPTIONS:
        option = tokens[position][0].lower()
        count = _MAP_OPTIONS[option]
        arguments = tokens[position + 1:position + 1 + count]
        if option in _NUMBERS_UP_TO_THREE:  # 1 to 3 numbers
            arguments = arguments[:next((i for i, (word, _) in enumerate(arguments) if not _is_number(word)),
                                        len(arguments))]
        if option == "-clamp" and arguments:
            clamp = arguments[0][0].lower() == "on"
        if option == "-imfchan" and arguments:
            channel = _CHANNELS.get(arguments[0][0].lower())
        position += 1 + len(arguments)
    if position >= len(tokens):
        return None, clamp, channel
    return line[tokens[position][1]:].strip(), clamp, channel


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def to_pbr_material(name: str, fields: dict[str, object], source: Path, with_textures: bool,
                    images: dict[tuple[Path, str], Optional[torch.Tensor]]) -> PBRMaterial:
    """A :class:`PBRMaterial` from one entry of :func:`read_mtl`; texture maps only when ``with_textures``.

    ``images`` caches textures by (map, field) across materials, so shared images are one tensor.
    """
    values = {field: value for field, value in fields.items() if not isinstance(value, TextureMap)}
    if not with_textures:
        values.pop("wrap_mode", None)
    material = PBRMaterial(material_name=name, **values)
    for field, texture_map in fields.items():
        if not isinstance(texture_map, TextureMap) or not with_textures:
            continue
        if (texture_map, field) not in images:
            images[(texture_map, field)] = _read_map(texture_map, field, source)
        setattr(material, field, images[(texture_map, field)])
    return material


def _read_map(texture_map: TextureMap, field: str, source: Path) -> Optional[torch.Tensor]:
    """The field's texture from the map's image: the ``-imfchan`` channel for a one-channel field, else the
    field's channels (a one-channel field of a colour image: its luminance)."""
    if not texture_map.file.is_file():
        warnings.warn(f"{source}: texture image {texture_map.file} not found; loading without it", MaterialLoadError)
        return None
    if texture_map.channel is None or PBRMaterial.TEXTURE_CHANNELS[field] != 1:
        texture = read_texture_png(texture_map.file, str(source), PBRMaterial.TEXTURE_CHANNELS[field])
    else:
        channel = texture_map.channel
        texture = read_texture_png(texture_map.file, str(source), 3)[channel:channel + 1]
    return from_file_values(field, texture)


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
                clamp = "-clamp on " if material.wrap_mode == "clamp" else ""  # MTL has no mirror
                lines.append(f"{key} {clamp}{written[file_key]}")
    with atomic_path(path) as temp:
        temp.write_text("\n".join(lines) + "\n", encoding="utf-8")
