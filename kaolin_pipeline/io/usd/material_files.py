"""One material per call, as Kaolin's ``kaolin.io.usd.materials`` reads and writes it: :func:`export_material` /
:func:`import_material` of a :class:`~kaolin_pipeline.structures.PBRMaterial` at a scene path.

Layout (Kaolin's, byte for byte): ``<material>/Shader`` is a ``UsdPreviewSurface`` with every input it knows
declared (unset ones without a value): ``diffuseColor``, ``roughness``, ``specularColor``, ``metallic``,
``clearcoat``, ``clearcoatRoughness``, ``opacity``, ``opacityThreshold``, ``ior``, ``normal``,
``useSpecularWorkflow``, ``displacement``, and its ``surface`` and ``displacement`` outputs connected to the
material's. A texture is a ``UsdUVTexture`` at ``<material>/<kind>_texture`` (``kind`` is the field's stem, e.g.
``clearcoat_roughness``) whose ``inputs:file`` names an 8-bit PNG written by
:class:`~kaolin_pipeline.io.images.TextureExporter` (``<texture dir>/<prefix><kind>.png``, numbered instead of
overwritten unless asked) and whose ``inputs:colorspace`` token is the material's ``<kind>_colorspace``
(Kaolin's name for it; USD's own is ``sourceColorSpace``). Normal maps store ``(n + 1) / 2``. No texture
coordinates reader is written, as Kaolin writes none. ``transmittance`` has no UsdPreviewSurface input: it is
dropped with a warning (:data:`UNSUPPORTED_MATERIAL_INPUTS`).

Reading gives textures ``(H, W, C)`` (as Kaolin's reader) and ``material_name`` the material's scene path.
"""
from __future__ import annotations

import os
import posixpath
import re
import warnings
from typing import Callable, Optional, Sequence

import torch
from pxr import Sdf, Usd, UsdShade

from kaolin_pipeline.errors import MaterialLoadError, SaveError
from kaolin_pipeline.io.images import TextureExporter
from kaolin_pipeline.io.usd.materials import read_texture_input
from kaolin_pipeline.io.usd.scene import StageArg, create_stage, get_scene_paths, stage_of
from kaolin_pipeline.io.usd.stage import time_code
from kaolin_pipeline.structures import PBRMaterial

UNSUPPORTED_MATERIAL_INPUTS = ("transmittance",)
"""Material field stems the UsdPreviewSurface cannot hold (their value and texture are dropped on export)."""

# UsdPreviewSurface input -> (field stem, value field or None, value type), in Kaolin's declaration order
_INPUTS = {
    "diffuseColor": ("diffuse", "diffuse_color", Sdf.ValueTypeNames.Color3f),
    "roughness": ("roughness", "roughness_value", Sdf.ValueTypeNames.Float),
    "specularColor": ("specular", "specular_color", Sdf.ValueTypeNames.Color3f),
    "metallic": ("metallic", "metallic_value", Sdf.ValueTypeNames.Float),
    "clearcoat": ("clearcoat", "clearcoat_value", Sdf.ValueTypeNames.Float),
    "clearcoatRoughness": ("clearcoat_roughness", "clearcoat_roughness_value", Sdf.ValueTypeNames.Float),
    "opacity": ("opacity", "opacity_value", Sdf.ValueTypeNames.Float),
    "opacityThreshold": (None, "opacity_threshold", Sdf.ValueTypeNames.Float),
    "ior": ("ior", "ior_value", Sdf.ValueTypeNames.Float),
    "normal": ("normals", None, Sdf.ValueTypeNames.Normal3f),
    "useSpecularWorkflow": (None, None, Sdf.ValueTypeNames.Int),
    "displacement": ("displacement", "displacement_value", Sdf.ValueTypeNames.Float),
}
# the order Kaolin writes textures in (their prims' order in the file)
_TEXTURE_ORDER = ("diffuseColor", "roughness", "specularColor", "metallic", "normal", "clearcoat",
                  "clearcoatRoughness", "opacity", "ior", "displacement")
_CHANNELS = {"r": 0, "g": 1, "b": 2, "a": 3}
# roughness and metallic textures are read as Kaolin reads them, whichever output the input is connected to: the
# green (roughness) or blue (metallic) channel of the image where it has one (glTF's metallic-roughness packing)
_PACKED_CHANNEL = {"roughness": 1, "metallic": 2}


def write_usd_preview_surface(material: PBRMaterial, stage: Usd.Stage, scene_path: str,
                              write_texture: Callable[[torch.Tensor, str], str], time=None,
                              st_primvar: Optional[str] = None) -> UsdShade.Material:
    """Author ``material`` at ``scene_path`` in the layout of the module docstring; ``write_texture(image, kind)``
    writes a texture and returns the asset path to store. With ``st_primvar`` (e.g. ``'st'``), every texture
    also reads its coordinates from that primvar through ``<material>/st_reader`` (a
    ``UsdPrimvarReader_float2``), as renderers need to sample it (Kaolin's own layout has no reader)."""
    time = time_code(time)
    dropped = [stem for stem in UNSUPPORTED_MATERIAL_INPUTS
               if getattr(material, f"{stem}_value") is not None or getattr(material, f"{stem}_texture") is not None]
    for stem in dropped:
        warnings.warn(f'Warning: USD exporter does not support PBRMaterial input type: "{stem}". This specific '
                      "material information will be discarded.", UserWarning, stacklevel=3)
    result = UsdShade.Material.Define(stage, scene_path)
    shader = UsdShade.Shader.Define(stage, f"{scene_path}/Shader")
    shader.CreateIdAttr("UsdPreviewSurface")
    inputs = {name: shader.CreateInput(name, value_type) for name, (_, _, value_type) in _INPUTS.items()}
    for name, (_, value_field, _) in _INPUTS.items():
        value = getattr(material, value_field) if value_field else None
        if value is not None:
            values = value.detach().cpu().tolist()
            inputs[name].Set(tuple(values) if len(values) > 1 else values[0], time)
    inputs["useSpecularWorkflow"].Set(int(material.is_specular_workflow), time)
    st_output = None
    for name in _TEXTURE_ORDER:
        stem = _INPUTS[name][0]
        image = getattr(material, f"{stem}_texture")
        if image is None:
            continue
        image = image.detach()
        if stem == "normals":
            image = (image + 1.0) / 2.0
        texture = UsdShade.Shader.Define(stage, f"{scene_path}/{stem}_texture")
        texture.CreateIdAttr("UsdUVTexture")
        texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(write_texture(image, stem), time)
        texture.CreateInput("colorspace", Sdf.ValueTypeNames.Token).Set(getattr(material, f"{stem}_colorspace"), time)
        if st_primvar is not None:
            if st_output is None:
                reader = UsdShade.Shader.Define(stage, f"{scene_path}/st_reader")
                reader.CreateIdAttr("UsdPrimvarReader_float2")
                reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set(st_primvar)
                st_output = reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
            texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st_output)
        color = inputs[name].GetTypeName() != Sdf.ValueTypeNames.Float
        for channel in ("r", "b", "g")[:3 if color else 1]:
            texture.CreateOutput(channel, Sdf.ValueTypeNames.Float)
        inputs[name].ConnectToSource(texture.CreateOutput("rgb" if color else "r", inputs[name].GetTypeName()))
    surface = shader.CreateOutput("surface", Sdf.ValueTypeNames.Token)
    displacement = shader.CreateOutput("displacement", Sdf.ValueTypeNames.Token)
    result.CreateSurfaceOutput().ConnectToSource(surface)
    result.CreateDisplacementOutput().ConnectToSource(displacement)
    return result


def read_usd_preview_surface(shader: UsdShade.Shader, time=None, source: str = "") -> PBRMaterial:
    """The :class:`PBRMaterial` of a ``UsdPreviewSurface`` shader: values, textures ``(H, W, C)`` through the
    output each input is connected to (``rgb``, or one channel ``r``/``g``/``b``/``a``), Kaolin's
    ``colorspace`` token of each texture. Inputs it does not know are ignored."""
    time = time_code(time)
    fields: dict = {}
    for name, (stem, value_field, _) in _INPUTS.items():
        shader_input = shader.GetInput(name)
        if not shader_input:
            continue
        value = shader_input.Get(time)
        if name == "useSpecularWorkflow":
            fields["is_specular_workflow"] = bool(value)
            continue
        if value_field is not None and value is not None:
            fields[value_field] = torch.tensor(value, dtype=torch.float32).reshape(-1)
        if stem is None or not shader_input.HasConnectedSource():
            continue
        source_api, output_name, _ = shader_input.GetConnectedSource()
        texture_shader = UsdShade.Shader(source_api.GetPrim())
        packed = _PACKED_CHANNEL.get(name)
        texture = read_texture_input(texture_shader, "rgb" if packed is not None else output_name, time, source)
        if texture is None:
            continue
        if packed is not None:
            texture = texture[packed:packed + 1] if texture.shape[0] > packed else texture
        elif output_name in _CHANNELS:
            texture = texture[:1]
        if stem == "normals":
            texture = texture * 2.0 - 1.0
        fields[f"{stem}_texture"] = texture.permute(1, 2, 0).contiguous()
        colorspace = texture_shader.GetInput("colorspace")
        if colorspace and colorspace.Get(time) is not None:
            fields[f"{stem}_colorspace"] = str(colorspace.Get(time))
    return PBRMaterial(**fields)


def _stage(file_path_or_stage: StageArg, create: bool) -> Usd.Stage:
    if isinstance(file_path_or_stage, Usd.Stage) or os.path.exists(file_path_or_stage) or not create:
        return stage_of(file_path_or_stage)
    return create_stage(file_path_or_stage)


def suggest_material_path(material_name: str, stage: Usd.Stage, base_path: str = "/World/Looks") -> str:
    """A free scene path for a material: its name (characters other than letters, digits and ``/`` made
    ``_``) under ``base_path`` unless it is a path already, numbered ``_0``, ``_1``, ... when taken; an unnamed
    material is ``material``."""
    candidate = re.sub("[^a-zA-Z0-9/]+", "_", material_name) if material_name else "material"
    if "/" not in candidate:
        candidate = posixpath.join(base_path, candidate)
    taken = {str(path) for path in get_scene_paths(stage)}
    stem, index = candidate, 0
    while candidate in taken:
        candidate, index = f"{stem}_{index}", index + 1
    return candidate


def export_material(material: PBRMaterial, file_path_or_stage: StageArg, scene_path: Optional[str] = None,
                    texture_path: Optional[str] = None, bound_prims: Optional[Sequence[Usd.Prim]] = None,
                    texture_file_prefix: Optional[str] = None, shader_name: Optional[str] = None, time=None,
                    overwrite_textures: bool = False) -> tuple[str, UsdShade.Material]:
    """Write ``material`` to a USD file (created when missing) or an open stage, and save it.

    Args:
        material: the material; a material already at ``scene_path`` is replaced.
        file_path_or_stage: a ``.usd``/``.usda``/``.usdc`` path or a ``Usd.Stage``.
        scene_path: where to write it; by default :func:`suggest_material_path` of its name.
        texture_path: folder of the textures (absolute, or relative to the USD file); ``textures`` by default.
        bound_prims: prims to bind the material to.
        texture_file_prefix: start of every texture file name; by default the scene path's last name and ``_``.
        shader_name: only ``'UsdPreviewSurface'`` (the material's ``shader_name`` by default).
        time: time code of the values (None: default values).
        overwrite_textures: replace texture files of the same name instead of numbering new ones.

    Returns:
        ``(scene_path, UsdShade.Material)``.

    Raises:
        SaveError: for another shader.
    """
    stage = _stage(file_path_or_stage, create=True)
    shader_name = shader_name or material.shader_name
    if shader_name != "UsdPreviewSurface":
        raise SaveError(f"export_material: shader_name {shader_name!r} is not supported (only 'UsdPreviewSurface')")
    usd_dir = os.path.dirname(stage.GetRootLayer().realPath)
    if scene_path is None:
        scene_path = suggest_material_path(material.material_name, stage)
    if texture_path is None:
        relative_dir = "textures"
    else:
        relative_dir = os.path.relpath(texture_path, usd_dir) if os.path.isabs(texture_path) else texture_path
    prefix = f"{scene_path.split('/')[-1]}_" if texture_file_prefix is None else texture_file_prefix
    if stage.GetPrimAtPath(scene_path):
        stage.RemovePrim(scene_path)
    exporter = TextureExporter(usd_dir, relative_dir, file_prefix=prefix, overwrite_files=overwrite_textures)
    usd_material = write_usd_preview_surface(material, stage, scene_path, exporter, time)
    for prim in bound_prims or ():
        UsdShade.MaterialBindingAPI(prim).Bind(usd_material)
    stage.Save()
    return scene_path, usd_material


def import_material(file_path_or_stage: StageArg, scene_path: str, texture_path: Optional[str] = None,
                    time=None) -> PBRMaterial:
    """The :class:`PBRMaterial` of the ``UsdShade.Material`` at ``scene_path`` (textures ``(H, W, C)``, its
    ``material_name`` the scene path). Texture files are found as USD resolves them, relative to the layer
    that names them; ``texture_path`` is accepted for Kaolin's signature.

    Raises:
        MaterialLoadError: no material at ``scene_path``, or its surface is not a UsdPreviewSurface.
    """
    stage = _stage(file_path_or_stage, create=False)
    source = stage.GetRootLayer().realPath or str(file_path_or_stage)
    if not scene_path or not Sdf.Path.IsValidPathString(str(scene_path)):
        raise MaterialLoadError(f"{source}: scene_path {scene_path!r} is not a valid scene path")
    material = UsdShade.Material(stage.GetPrimAtPath(scene_path))
    if not material:
        raise MaterialLoadError(f"{source}: no UsdShade.Material at {scene_path}")
    shader = preview_surface_of(material)
    if shader is None:
        found = material.ComputeSurfaceSource()[0]
        found = found.GetShaderId() if found else None
        raise MaterialLoadError(f"{source}: material {scene_path} has no UsdPreviewSurface surface (found {found})")
    result = read_usd_preview_surface(shader, time, source)
    result.material_name = str(material.GetPath())
    return result


def preview_surface_of(material: UsdShade.Material) -> Optional[UsdShade.Shader]:
    """The ``UsdPreviewSurface`` shader connected to the material's universal surface output, else to any of its
    surface outputs (e.g. ``outputs:mdl:surface``, as Kaolin looks through them all); None if there is none."""
    candidates = [material.ComputeSurfaceSource()[0]]
    for output in material.GetSurfaceOutputs():
        if output.HasConnectedSource():
            candidates.append(UsdShade.Shader(output.GetConnectedSource()[0].GetPrim()))
    return next((shader for shader in candidates if shader and shader.GetShaderId() == "UsdPreviewSurface"), None)


def read_material(material: UsdShade.Material, time, source: str = "") -> PBRMaterial:
    """A mesh's bound material as Kaolin's mesh importers read it: :func:`read_usd_preview_surface` of its
    surface (textures ``(H, W, C)``), ``material_name`` its scene path; only the name when it has no
    UsdPreviewSurface."""
    shader = preview_surface_of(material)
    result = read_usd_preview_surface(shader, time, source) if shader is not None else PBRMaterial()
    result.material_name = str(material.GetPath())
    return result
