"""UsdPreviewSurface materials: the diffuse texture of a mesh, written and read back.

Layout (Kaolin's names): a ``UsdShade.Material`` whose ``<material>/Shader`` is a
``UsdPreviewSurface``; its ``diffuseColor`` comes from ``<material>/diffuse_texture`` (a
``UsdUVTexture`` reading a PNG under ``textures/`` next to the USD file, sRGB) sampled
through ``<material>/st_reader`` (a ``UsdPrimvarReader_float2`` of the mesh's ``st``
primvar, origin at the image's bottom-left).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from pxr import Sdf, Usd, UsdShade

from kaolin_pipeline.io._fileutil import PathLike
from kaolin_pipeline.io.textures import read_texture_png
from kaolin_pipeline.io.usd.stage import TimeArg, time_code

TEXTURE_DIR = "textures"


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


def read_bound_texture(prim: Usd.Prim, time: Usd.TimeCode, source: str) -> Optional[torch.Tensor]:
    """The diffuse texture of the UsdPreviewSurface bound to ``prim``, if it has one."""
    material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()
    if not material:
        return None
    surface = material.ComputeSurfaceSource()[0]
    diffuse = surface.GetInput("diffuseColor") if surface else None
    if not diffuse or not diffuse.HasConnectedSource():
        return None
    texture = UsdShade.Shader(diffuse.GetConnectedSource()[0].GetPrim())
    file_input = texture.GetInput("file")
    asset = file_input.Get(time) if file_input else None
    if asset is None and not time.IsDefault():
        asset = file_input.Get(Usd.TimeCode.Default())
    if asset is None:
        return None
    resolved = asset.resolvedPath or str(Path(source).parent / asset.path)
    return read_texture_png(resolved, source)
