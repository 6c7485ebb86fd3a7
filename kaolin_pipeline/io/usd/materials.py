"""UsdPreviewSurface materials <-> :class:`~kaolin_pipeline.structures.PBRMaterial`, and per-face geometry subsets.

Layout (Kaolin's names): a ``UsdShade.Material`` whose ``<material>/Shader`` is a
``UsdPreviewSurface``. Each input is a constant or comes from ``<material>/<kind>_texture`` (a
``UsdUVTexture`` reading a PNG under ``textures/`` next to the USD file; sRGB for colours, raw
otherwise) sampled through ``<material>/st_reader`` (a ``UsdPrimvarReader_float2`` of the mesh's
``st`` primvar, origin at the image's bottom-left):

====================  ==============================================
UsdPreviewSurface     :class:`PBRMaterial`
====================  ==============================================
``diffuseColor``      ``diffuse_color`` / ``diffuse_texture``
``specularColor``     ``specular_color`` / ``specular_texture``
``roughness``         ``roughness_value`` / ``roughness_texture``
``metallic``          ``metallic_value`` / ``metallic_texture``
``opacity``           ``opacity_value`` / ``opacity_texture``
``normal``            ``normals_texture`` (file stores ``(n + 1) / 2``, as Kaolin)
``useSpecularWorkflow``  ``is_specular_workflow``
====================  ==============================================

A mesh with several materials has one ``UsdGeom.Subset`` per material (family ``materialBind``,
element type ``face``; indices are USD faces, before triangulation) bound to its material; a
material bound to the mesh prim itself covers the faces no subset claims. Materials are written
as default values (not time samples); texture file names carry the time.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch
import numpy as np
from pxr import Sdf, Tf, Usd, UsdGeom, UsdShade, Vt

from kaolin_pipeline.io._fileutil import PathLike, to_numpy
from kaolin_pipeline.io.mtl import material_names
from kaolin_pipeline.io.textures import from_file_values, read_texture_png, to_file_values, write_texture_png
from kaolin_pipeline.io.usd.stage import TimeArg, time_code
from kaolin_pipeline.structures import PBRMaterial
from kaolin_pipeline.errors import LoadError, MaterialFileError

TEXTURE_DIR = "textures"
MATERIAL_FAMILY = "materialBind"
# UsdPreviewSurface input -> (value field, texture field, value type)
_INPUTS = {
    "diffuseColor": ("diffuse_color", "diffuse_texture", Sdf.ValueTypeNames.Color3f),
    "specularColor": ("specular_color", "specular_texture", Sdf.ValueTypeNames.Color3f),
    "roughness": ("roughness_value", "roughness_texture", Sdf.ValueTypeNames.Float),
    "metallic": ("metallic_value", "metallic_texture", Sdf.ValueTypeNames.Float),
    "opacity": ("opacity_value", "opacity_texture", Sdf.ValueTypeNames.Float),
    "normal": (None, "normals_texture", Sdf.ValueTypeNames.Normal3f),
}
_CHANNEL_OUTPUTS = {"r": 0, "g": 1, "b": 2}


def write_preview_material(static: Usd.Stage, samples: Usd.Stage, material_path: str, texture_asset: str,
                           time: TimeArg) -> UsdShade.Material:
    """A ``UsdPreviewSurface`` material whose diffuse colour samples ``texture_asset`` through ``st``.

    Layout (Kaolin's names): ``<material>/Shader`` (UsdPreviewSurface),
    ``<material>/diffuse_texture`` (UsdUVTexture, its ``inputs:file`` written to
    ``samples`` at ``time``) and ``<material>/st_reader`` (UsdPrimvarReader_float2).
    """
    material = UsdShade.Material.Define(static, material_path)
    surface = UsdShade.Shader.Define(static, f"{material_path}/Shader")
    surface.CreateIdAttr("UsdPreviewSurface")
    texture = UsdShade.Shader.Define(static, f"{material_path}/diffuse_texture")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset)
    reader = UsdShade.Shader.Define(static, f"{material_path}/st_reader")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
    st_output = reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
    texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st_output)
    texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
    rgb_output = texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(rgb_output)
    material.CreateSurfaceOutput().ConnectToSource(surface.CreateOutput("surface", Sdf.ValueTypeNames.Token))
    sampled_texture = UsdShade.Shader.Define(samples, f"{material_path}/diffuse_texture")
    sampled_texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(texture_asset), time_code(time))
    return material


def bind_material(prim: Usd.Prim, material: UsdShade.Material) -> None:
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material)


def texture_file_name(usd_path: PathLike, prim_path: str, time: TimeArg) -> str:
    """Relative asset path ``textures/<file stem>_<prim name>[_<time>]_diffuse.png`` of a mesh's texture."""
    stamp = "" if time is None else f"_{int(time) if float(time).is_integer() else float(time)}"
    return f"{TEXTURE_DIR}/{Path(usd_path).stem}_{Sdf.Path(prim_path).name}{stamp}_diffuse.png"


def write_pbr_material(stage: Usd.Stage, material_path: str, material: PBRMaterial, usd_path: PathLike,
                       texture_stem: str) -> UsdShade.Material:
    """Author ``material`` as a UsdPreviewSurface at ``material_path``; its textures become
    ``textures/<texture_stem>_<kind>.png`` next to ``usd_path``."""
    result = UsdShade.Material.Define(stage, material_path)
    surface = UsdShade.Shader.Define(stage, f"{material_path}/Shader")
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("useSpecularWorkflow", Sdf.ValueTypeNames.Int).Set(int(material.is_specular_workflow))
    st_output = None
    for input_name, (value_field, texture_field, value_type) in _INPUTS.items():
        texture = getattr(material, texture_field)
        value = getattr(material, value_field) if value_field else None
        if value is not None:  # kept next to a texture too (as Kaolin does); the texture wins in renderers
            values = value.detach().cpu().tolist()
            surface.CreateInput(input_name, value_type).Set(tuple(values) if len(values) == 3 else values[0])
        if texture is not None:
            if st_output is None:
                reader = UsdShade.Shader.Define(stage, f"{material_path}/st_reader")
                reader.CreateIdAttr("UsdPrimvarReader_float2")
                reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
                st_output = reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
            kind = texture_field[:-len("_texture")]
            asset = f"{TEXTURE_DIR}/{texture_stem}_{kind}.png"
            write_texture_png(to_file_values(texture_field, texture.detach()), Path(usd_path).parent / asset)
            shader = UsdShade.Shader.Define(stage, f"{material_path}/{texture_field}")
            shader.CreateIdAttr("UsdUVTexture")
            shader.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(asset))
            shader.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(st_output)
            if material.wrap_mode is not None:
                wraps = (material.wrap_mode,) * 2 if isinstance(material.wrap_mode, str) else material.wrap_mode
                for name, wrap in zip(("wrapS", "wrapT"), wraps):
                    shader.CreateInput(name, Sdf.ValueTypeNames.Token).Set(wrap)
            shader.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set(
                "sRGB" if texture_field in ("diffuse_texture", "specular_texture") else "raw")
            color = value_type != Sdf.ValueTypeNames.Float
            output = shader.CreateOutput("rgb" if color else "r",
                                         Sdf.ValueTypeNames.Float3 if color else Sdf.ValueTypeNames.Float)
            surface.CreateInput(input_name, value_type).ConnectToSource(output)
    result.CreateSurfaceOutput().ConnectToSource(surface.CreateOutput("surface", Sdf.ValueTypeNames.Token))
    return result


def write_material_subsets(stage: Usd.Stage, prim: Usd.Prim, materials: list[PBRMaterial],
                           assignments, usd_path: PathLike, time: TimeArg) -> None:
    """Author ``materials`` under ``<prim>_materials/`` and one face subset per used material, bound to it."""
    faces = to_numpy(assignments, "material_assignments", usd_path, np.int64)
    stamp = "" if time is None else f"_{int(time) if float(time).is_integer() else float(time)}"
    imageable = UsdGeom.Imageable(prim)
    identifiers: list[str] = []
    for index, (material, name) in enumerate(zip(materials, material_names(materials))):
        identifier = Tf.MakeValidIdentifier(name)
        identifier = identifier if identifier not in identifiers else f"{identifier}_{index}"
        identifiers.append(identifier)
        usd_material = write_pbr_material(stage, f"{prim.GetPath()}_materials/{identifier}", material, usd_path,
                                          f"{Path(usd_path).stem}_{prim.GetName()}{stamp}_{index}")
        selected = np.flatnonzero(faces == index).astype(np.int32)
        subset = UsdGeom.Subset.Define(stage, prim.GetPath().AppendChild(f"subset_{identifier}"))
        subset.CreateElementTypeAttr(UsdGeom.Tokens.face)
        subset.CreateFamilyNameAttr(MATERIAL_FAMILY)
        subset.CreateIndicesAttr(Vt.IntArray.FromNumpy(selected))
        bind_material(subset.GetPrim(), usd_material)
    UsdGeom.Subset.SetFamilyType(imageable, MATERIAL_FAMILY, UsdGeom.Tokens.nonOverlapping)


def read_pbr_material(material: UsdShade.Material, time: Usd.TimeCode, source: str) -> PBRMaterial:
    """:class:`PBRMaterial` of a UsdPreviewSurface material (inputs it does not know are ignored)."""
    fields: dict = {"material_name": material.GetPrim().GetName()}
    surface = material.ComputeSurfaceSource()[0]
    if not surface:
        return PBRMaterial(**fields)
    for input_name, (value_field, texture_field, _) in _INPUTS.items():
        shader_input = surface.GetInput(input_name)
        if not shader_input:
            continue
        if shader_input.HasConnectedSource():
            source_api, output_name, _ = shader_input.GetConnectedSource()
            texture_shader = UsdShade.Shader(source_api.GetPrim())
            texture = read_texture_input(texture_shader, output_name, time, source)
            if texture is not None:
                fields[texture_field] = from_file_values(texture_field, texture)
                if input_name == "diffuseColor":
                    fields["wrap_mode"] = _read_wrap(texture_shader, time)
        value = shader_input.GetAttr().Get(time)
        if value_field is not None and value is not None:
            fields[value_field] = torch.tensor(np.asarray(value, dtype=np.float32))
    workflow = surface.GetInput("useSpecularWorkflow")
    return PBRMaterial(is_specular_workflow=bool(workflow and workflow.Get(time)), **fields)


# UsdUVTexture wrapS/wrapT tokens -> PBRMaterial.wrap_mode ("black", outside the texture, is read as clamp)
_WRAP_TOKENS = {"repeat": "repeat", "mirror": "mirror", "clamp": "clamp", "black": "clamp"}


def _read_wrap(texture: UsdShade.Shader, time: Usd.TimeCode):
    """``wrap_mode`` of a UsdUVTexture's authored ``wrapS``/``wrapT`` (None when neither is authored)."""
    tokens = [texture.GetInput(name).Get(time) if texture.GetInput(name) else None for name in ("wrapS", "wrapT")]
    if all(token is None for token in tokens):
        return None
    u, v = (_WRAP_TOKENS.get(token, "repeat") for token in tokens)
    return u if u == v else (u, v)


def read_texture_input(texture: UsdShade.Shader, output_name: str, time: Usd.TimeCode, source: str):
    """(3, H, W) for an ``rgb`` output, (1, H, W) for ``r``/``g``/``b``; None without a file (a warning,
    :class:`MaterialFileError`, when the file it names is missing)."""
    file_input = texture.GetInput("file")
    asset = file_input.Get(time) if file_input else None
    if asset is None and not time.IsDefault():
        asset = file_input.Get(Usd.TimeCode.Default())
    if asset is None or not asset.path:
        return None
    resolved = asset.resolvedPath or str(Path(source).parent / asset.path)
    if resolved.endswith("]") and ".usdz[" in resolved:  # an image inside a .usdz package: USD's resolver opens it
        from pxr import Ar

        packaged = Ar.GetResolver().OpenAsset(Ar.ResolvedPath(resolved))
        if packaged is None:
            raise LoadError(f"{source}: texture {asset.path} is not in the package")
        image = read_texture_png(io.BytesIO(bytes(packaged.GetBuffer())), source, name=resolved)
    elif not Path(resolved).is_file():  # as Kaolin: the material is read without it
        warnings.warn(MaterialFileError(f"{source}: texture file {resolved} does not exist; its material is read "
                                        "without that texture"), stacklevel=2)
        return None
    else:
        image = read_texture_png(resolved, source)
    if output_name in _CHANNEL_OUTPUTS:
        channel = _CHANNEL_OUTPUTS[output_name]
        return image[channel:channel + 1].clone()
    return image


class MaterialLibrary:
    """The materials met while reading the Mesh prims of one stage, each USD material once.

    :attr:`materials` is in the order met; :meth:`sorted_by_path` gives Kaolin's order. Each material is read
    by ``read(usd_material, time, source)``, :func:`read_pbr_material` unless another reader is given.
    """

    def __init__(self, source: str, read=None):
        self.source = source
        self._read = read or read_pbr_material
        self.materials: list[PBRMaterial] = []
        self._by_path: dict[str, int] = {}

    def index_of(self, usd_material: UsdShade.Material, time: Usd.TimeCode) -> int:
        key = str(usd_material.GetPath())
        if key not in self._by_path:
            self._by_path[key] = len(self.materials)
            self.materials.append(self._read(usd_material, time, self.source))
        return self._by_path[key]

    def sorted_by_path(self, assignments: torch.Tensor) -> tuple[list[PBRMaterial], torch.Tensor]:
        """``(materials, assignments)`` with the materials in the order of their prim paths (as Kaolin
        lists them) and ``assignments (F,)`` renumbered to match (-1 kept)."""
        paths = sorted(self._by_path, key=str)
        new_index = torch.full((len(paths) + 1,), -1, dtype=torch.int64)  # last entry: -1 stays -1
        for position, path in enumerate(paths):
            new_index[self._by_path[path]] = position
        materials = [self.materials[self._by_path[path]] for path in paths]
        return materials, new_index[assignments]

    def assignments(self, prim: Usd.Prim, polygon_of_face: np.ndarray, time: Usd.TimeCode) -> torch.Tensor:
        """(F,) index into :attr:`materials` of each triangle of ``prim`` (-1: none).

        ``polygon_of_face (F,)`` maps each triangle to its USD face. The ``materialBind`` subsets
        assign their faces; the material bound to the prim covers the faces no subset claims.
        """
        num_polygons = int(polygon_of_face.max()) + 1 if len(polygon_of_face) else 0
        polygon_material = np.full(num_polygons, -1, dtype=np.int64)
        claimed = np.zeros(num_polygons, dtype=bool)
        for subset in UsdGeom.Subset.GetGeomSubsets(UsdGeom.Imageable(prim), UsdGeom.Tokens.face, MATERIAL_FAMILY):
            bound, _ = UsdShade.MaterialBindingAPI(subset.GetPrim()).ComputeBoundMaterial()
            indices = np.asarray(subset.GetIndicesAttr().Get(time) or [], dtype=np.int64)
            if indices.size and (indices.min() < 0 or indices.max() >= num_polygons):
                raise LoadError(f"{self.source}: GeomSubset {subset.GetPath()} has face indices out of range "
                                f"[{int(indices.min())}, {int(indices.max())}] for {num_polygons} faces")
            claimed[indices] = True
            if bound:
                polygon_material[indices] = self.index_of(bound, time)
        own, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
        if own:
            polygon_material[~claimed] = self.index_of(own, time)
        return torch.from_numpy(polygon_material[polygon_of_face])
