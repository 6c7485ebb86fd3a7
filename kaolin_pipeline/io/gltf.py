"""glTF 2.0 meshes (``.gltf`` with embedded or external buffers, ``.glb``), through trimesh's parser.

Reading: every primitive of every node of the scene is one part; parts are appended in the
file's mesh order with their node's world transform applied (a mirroring transform reverses
the part's winding so faces stay counter-clockwise = front, as glTF specifies). The result has
``vertices (V, 3)`` and ``faces (F, 3)`` (no vertex is merged or split), and when stored:

* ``uvs (V, 2)`` with ``face_uvs_idx == faces`` (glTF stores one UV per vertex; parts without
  UVs get (0, 0)). glTF stores v downward from the image's top-left; the UVs returned have
  their origin at the bottom-left like every format here (trimesh flips ``v`` when reading and
  back when writing);
* ``materials``: one :class:`~kaolin_pipeline.structures.PBRMaterial` per glTF material used
  (a material shared by several primitives appears once), with ``material_assignments (F,)``
  per face (-1 for a primitive without material). Fields: ``baseColorFactor`` →
  ``diffuse_color`` (and ``opacity_value`` when its alpha is below 1; 8-bit precision, as trimesh
  stores it), ``baseColorTexture`` → ``diffuse_texture (3, H, W)``, ``metallicFactor`` /
  ``roughnessFactor`` → ``metallic_value`` / ``roughness_value``, ``metallicRoughnessTexture``
  (blue / green channels) → ``metallic_texture`` / ``roughness_texture (1, H, W)``,
  ``normalTexture`` → ``normals_texture (3, H, W)`` in [-1, 1]; the base-colour texture's sampler
  (``wrapS``/``wrapT``: REPEAT, MIRRORED_REPEAT, CLAMP_TO_EDGE) → ``wrap_mode``; ``KHR_materials_transmission``
  → ``transmittance_value`` or ``transmittance_texture (1, H, W)``. No texture atlas is built;
* ``texture``: the one diffuse texture when every face uses it (see :class:`~kaolin_pipeline.structures.Mesh`);
* ``vertex_normals (V, 3)`` when every part stores normals (moved with the node transforms);
  ``vertex_tangents (V, 3)`` (``TANGENT``'s xyz times its handedness w, moved with the node transforms and
  normalised, as Kaolin) when every part stores tangents;
  ``vertex_colors (V, 3)`` when every part stores ``COLOR_0`` and none has a material.

Units are metres, +Y up (no conversion is made).

Writing: a mesh with ``materials`` becomes one primitive (and node) per material in the order of
``materials``, then one without material for faces assigned -1, so faces come back grouped by
material (in their original order within a group); vertices are split where one vertex has
several UVs. Any other mesh is one primitive as before (its ``texture`` as the base colour).
Textures are embedded (``.gltf``: base64 buffers, one self-contained file).
"""
from __future__ import annotations

import base64
import copy
import io
import json
from pathlib import Path
from typing import Optional
from urllib.parse import unquote

import numpy as np
import torch

from kaolin_pipeline.io._fileutil import atomic_path, extension, float_tensor, long_tensor, reading, to_numpy, unit_colors
from kaolin_pipeline.io.textures import (
    from_file_values,
    image_to_texture,
    shared_diffuse_texture,
    texture_to_image,
    to_file_values,
)
from kaolin_pipeline.io.trimesh_formats import has_stored_normals, material_image, split_by_uv, write_with_trimesh
from kaolin_pipeline.structures import Mesh, PBRMaterial
from kaolin_pipeline.errors import LoadError, SaveError


def read_gltf(path: Path) -> Mesh:
    """Mesh from a ``.gltf`` / ``.glb`` file: all primitives, each with its material."""
    ext = extension(path)
    with reading(path, f"{ext[1:].upper()} mesh"):
        # resolved, so external buffers next to a symlinked file are found relative to the real file
        document, binary = _document(path)
        scene = _load_scene(path, document, binary)
        parts = _scene_parts(scene, path)
        mesh = _merge_parts(parts, path)
        _complete_materials(mesh, document, binary, path)
        return mesh


_INDEX_NAME = "kaolin-pipeline-material-"
# glTF sampler wrap codes (OpenGL enums) -> PBRMaterial.wrap_mode
_WRAP_CODES = {10497: "repeat", 33648: "mirror", 33071: "clamp"}


def _document(path: Path) -> tuple[dict, Optional[bytes]]:
    """The file's glTF JSON, and for a GLB the chunks that follow the JSON chunk (None for ``.gltf``)."""
    data = path.read_bytes()
    if data[:4] == b"glTF":  # GLB: 12-byte header, then the JSON chunk (length, type, bytes)
        end = 20 + int.from_bytes(data[12:16], "little")
        return json.loads(data[20:end]), data[end:]
    return json.loads(data), None


def _load_scene(path: Path, document: dict, binary: Optional[bytes]):
    """trimesh's scene of the file, each primitive's ``TANGENT`` kept as the vertex attribute ``_TANGENT``
    (trimesh's parser keeps only attributes named with a leading underscore) and each material named
    ``_INDEX_NAME`` + its index in the file (:func:`_complete_materials` reads what trimesh drops by it)."""
    import trimesh
    from trimesh.resolvers import FilePathResolver

    document = copy.deepcopy(document)
    for index, material in enumerate(document.get("materials", [])):
        material["name"] = f"{_INDEX_NAME}{index}"
    for mesh in document.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            attributes = primitive.get("attributes", {})
            if "TANGENT" in attributes:
                attributes["_TANGENT"] = attributes.pop("TANGENT")
    text = json.dumps(document).encode()
    if binary is None:
        data, file_type = text, "gltf"
    else:
        text += b" " * (-len(text) % 4)  # chunks are 4-byte aligned, JSON padded with spaces
        chunk = len(text).to_bytes(4, "little") + b"JSON" + text
        data = b"glTF" + (2).to_bytes(4, "little") + (12 + len(chunk) + len(binary)).to_bytes(4, "little")
        data, file_type = data + chunk + binary, "glb"
    # resolved, so external buffers next to a symlinked file are found relative to the real file
    return trimesh.load(io.BytesIO(data), file_type=file_type, resolver=FilePathResolver(str(path.resolve())),
                        process=False, force="scene")


def _complete_materials(mesh: Mesh, document: dict, binary: Optional[bytes], path: Path) -> None:
    """Give each material of ``mesh`` what trimesh's parser drops, from the glTF material it was read from
    (:func:`_load_scene` names each material by its index): its name, the ``wrap_mode`` of its base-colour
    texture's sampler (``(u, v)`` when wrapS != wrapT; None without a sampler) and ``KHR_materials_transmission`` (``transmissionFactor``
    → ``transmittance_value``, or its ``transmissionTexture``'s red channel times the factor →
    ``transmittance_texture (1, H, W)``)."""
    textures, samplers = document.get("textures", []), document.get("samplers", [])
    for material in mesh.materials or []:
        source = document["materials"][int(material.material_name[len(_INDEX_NAME):])]
        material.material_name = source.get("name") or ""
        texture = source.get("pbrMetallicRoughness", {}).get("baseColorTexture", {}).get("index")
        sampler = textures[texture].get("sampler") if texture is not None and texture < len(textures) else None
        sampler = samplers[sampler] if sampler is not None and sampler < len(samplers) else None
        if sampler is not None:  # without one, wrap_mode stays None: glTF's default, repeat
            u, v = (_WRAP_CODES.get(sampler.get(key, 10497), "repeat") for key in ("wrapS", "wrapT"))
            material.wrap_mode = u if u == v else (u, v)
        transmission = source.get("extensions", {}).get("KHR_materials_transmission")
        if transmission is None:
            continue
        factor = float(transmission.get("transmissionFactor", 0.0))
        if "transmissionTexture" in transmission:
            image = _image(document, transmission["transmissionTexture"]["index"], binary, path)
            material.transmittance_texture = image_to_texture(image)[:1] * factor
        else:
            material.transmittance_value = torch.tensor([factor])


def _image(document: dict, texture: int, binary: Optional[bytes], path: Path):
    """The PIL image of glTF texture ``texture``: a file next to ``path``, a data URI or a buffer view."""
    from PIL import Image

    def uri_bytes(uri: str) -> bytes:
        if uri.startswith("data:"):
            return base64.b64decode(uri.split(",", 1)[1])
        return (path.resolve().parent / unquote(uri)).read_bytes()

    image = document["images"][document["textures"][texture]["source"]]
    if "uri" in image:
        data = uri_bytes(image["uri"])
    else:
        view = document["bufferViews"][image["bufferView"]]
        buffer = document["buffers"][view["buffer"]]
        if "uri" in buffer:
            data = uri_bytes(buffer["uri"])
        else:  # the GLB's binary chunk: length, type, bytes
            data = binary[8:8 + int.from_bytes(binary[:4], "little")]
        offset = view.get("byteOffset", 0)
        data = data[offset:offset + view["byteLength"]]
    return Image.open(io.BytesIO(data))


def read_gltf_meshes(path: Path) -> list[Mesh]:
    """Every triangle geometry of a ``.gltf`` / ``.glb`` file as its own :class:`Mesh`, in the file's order,
    in its local coordinates (no node transform applied), each with its own materials."""
    import trimesh

    with reading(path, f"{path.suffix[1:].upper()} mesh"):
        document, binary = _document(path)
        scene = _load_scene(path, document, binary)
        geometries = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh)]
        if not geometries:
            raise LoadError(f"{path}: file contains no triangle mesh")
        meshes = [_merge_parts([(geometry, np.eye(4))], path) for geometry in geometries]
        for mesh in meshes:
            _complete_materials(mesh, document, binary, path)
        return meshes


def _scene_parts(scene, path: Path) -> list:
    """``(geometry, 4x4 transform)`` of every triangle primitive instance, in the file's mesh order."""
    import trimesh

    order = {name: index for index, name in enumerate(scene.geometry)}
    instances = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        instances.append((order[name], str(node), scene.geometry[name], transform))
    instances.sort(key=lambda item: item[:2])
    parts = [(geometry, transform) for _, _, geometry, transform in instances
             if isinstance(geometry, trimesh.Trimesh)]
    if not parts:
        kinds = sorted({type(geometry).__name__ for _, _, geometry, _ in instances})
        raise LoadError(f"{path}: file contains no triangle mesh" + (f" (only {', '.join(kinds)}; for a point "
                                                                       "cloud use load_pointcloud)" if kinds else
                                                                       " (corrupt or truncated?)"))
    return parts


def _merge_parts(parts: list, path: Path) -> Mesh:
    vertices, faces, uvs, normals, tangents, colors, assignments = [], [], [], [], [], [], []
    materials: list[PBRMaterial] = []
    material_index: dict[int, int] = {}
    offset = 0
    for geometry, transform in parts:
        linear = transform[:3, :3]
        vertices.append(geometry.vertices @ linear.T + transform[:3, 3])
        part_faces = np.asarray(geometry.faces, dtype=np.int64).reshape(-1, 3)
        if np.linalg.det(linear) < 0:
            part_faces = part_faces[:, ::-1]
        faces.append(part_faces + offset)
        offset += len(geometry.vertices)
        visual = geometry.visual
        uv = getattr(visual, "uv", None) if visual.kind == "texture" else None
        uvs.append(None if uv is None or len(uv) != len(geometry.vertices) else np.asarray(uv, dtype=np.float64))
        if has_stored_normals(geometry):
            moved = geometry.vertex_normals @ np.linalg.inv(linear)
            normals.append(moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12))
        else:
            normals.append(None)
        tangent = geometry.vertex_attributes.get("_TANGENT")
        if tangent is not None and len(tangent) == len(geometry.vertices):
            moved = (np.asarray(tangent[:, :3], dtype=np.float64) * tangent[:, 3:4]) @ linear.T
            tangents.append(moved / np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12))
        else:
            tangents.append(None)
        colors.append(visual.vertex_colors if visual.kind == "vertex" else None)
        material = getattr(visual, "material", None) if visual.kind == "texture" else None
        if material is None:
            assignments.append(np.full(len(part_faces), -1, dtype=np.int64))
            continue
        if id(material) not in material_index:
            material_index[id(material)] = len(materials)
            materials.append(_pbr_material(material))
        assignments.append(np.full(len(part_faces), material_index[id(material)], dtype=np.int64))

    mesh = Mesh(vertices=float_tensor(np.concatenate(vertices)), faces=long_tensor(np.concatenate(faces)))
    if any(uv is not None for uv in uvs):
        filled = [np.zeros((len(g.vertices), 2)) if uv is None else uv for uv, (g, _) in zip(uvs, parts)]
        mesh.uvs = float_tensor(np.concatenate(filled))
        mesh.face_uvs_idx = mesh.faces.clone()
    if all(n is not None for n in normals):
        mesh.vertex_normals = float_tensor(np.concatenate(normals))
    if all(t is not None for t in tangents):
        mesh.vertex_tangents = float_tensor(np.concatenate(tangents))
    if materials:
        mesh.materials = materials
        mesh.material_assignments = torch.from_numpy(np.concatenate(assignments))
        mesh.texture = shared_diffuse_texture(mesh)
    elif all(c is not None for c in colors):
        mesh.vertex_colors = torch.from_numpy(unit_colors(np.concatenate(colors), "vertex colors", path))
    return mesh


def _pbr_material(material) -> PBRMaterial:
    """:class:`PBRMaterial` of a trimesh material (glTF's ``PBRMaterial``; a ``SimpleMaterial``'s image and colour)."""
    result = PBRMaterial(material_name=getattr(material, "name", None) or "")
    factor = getattr(material, "baseColorFactor", None)
    if factor is None and getattr(material, "diffuse", None) is not None:
        factor = material.diffuse
    if factor is not None:
        rgba = np.asarray(factor, dtype=np.float64).reshape(-1) / 255.0
        result.diffuse_color = torch.tensor(rgba[:3], dtype=torch.float32)
        if len(rgba) > 3 and rgba[3] < 1.0:
            result.opacity_value = torch.tensor(rgba[3:4], dtype=torch.float32)
    image = material_image(material)
    if image is not None:
        result.diffuse_texture = image_to_texture(image)
    for name, field in (("metallicFactor", "metallic_value"), ("roughnessFactor", "roughness_value")):
        value = getattr(material, name, None)
        if value is not None:
            setattr(result, field, torch.tensor([float(value)], dtype=torch.float32))
    packed = getattr(material, "metallicRoughnessTexture", None)
    if packed is not None:
        channels = image_to_texture(packed)  # glTF: green = roughness, blue = metallic
        result.roughness_texture, result.metallic_texture = channels[1:2].clone(), channels[2:3].clone()
    normal_map = getattr(material, "normalTexture", None)
    if normal_map is not None:
        result.normals_texture = from_file_values("normals_texture", image_to_texture(normal_map))
    return result


def write_gltf(path: Path, mesh: Mesh) -> None:
    """Write ``mesh`` as ``.gltf`` / ``.glb`` (by ``path``'s extension): one primitive per material, textures
    embedded, atomically."""
    ext = extension(path)
    appearance = mesh.appearance
    if appearance.kind != "materials" or appearance.single_texture:  # trimesh writes colours or one texture
        write_with_trimesh(path, mesh)
        return
    import trimesh

    scene = trimesh.Scene()
    assignments = to_numpy(appearance.material_assignments, "material_assignments", path, np.int64)
    groups = list(range(len(appearance.materials))) + [-1]
    for index in groups:
        selected = np.flatnonzero(assignments == index)
        if not len(selected):
            continue
        part = _part(mesh, selected, path, None if index < 0 else appearance.materials[index])
        name = f"primitive_{len(scene.geometry)}"
        scene.add_geometry(part, node_name=name, geom_name=name)
    has_normals = mesh.vertex_normals is not None
    with atomic_path(path) as temp:
        if ext == ".gltf":
            files = trimesh.exchange.gltf.export_gltf(scene, include_normals=has_normals, embed_buffers=True)
            temp.write_bytes(files["model.gltf"])
        else:
            temp.write_bytes(trimesh.exchange.gltf.export_glb(scene, include_normals=has_normals))


def _part(mesh: Mesh, selected: np.ndarray, path: Path, material: Optional[PBRMaterial]):
    """A ``trimesh.Trimesh`` of the faces ``selected`` (only the vertices they use; split by UV when textured)."""
    import trimesh

    faces = to_numpy(mesh.faces, "faces", path, np.int64)[selected]
    sub = Mesh(vertices=mesh.vertices, faces=torch.from_numpy(faces), vertex_normals=mesh.vertex_normals)
    if mesh.uvs is not None:
        sub.uvs, sub.face_uvs_idx = mesh.uvs, mesh.face_uvs_idx[torch.from_numpy(selected)]
        index, vertices, uvs, part_faces = split_by_uv(sub, path)
    else:
        index, part_faces = np.unique(faces, return_inverse=True)
        part_faces, uvs = part_faces.reshape(-1, 3), None
        vertices = to_numpy(mesh.vertices, "vertices", path, np.float64)[index]
    normals = None if mesh.vertex_normals is None else \
        to_numpy(mesh.vertex_normals, "vertex_normals", path, np.float64)[index]
    visual = None if material is None else \
        trimesh.visual.TextureVisuals(uv=uvs, material=_trimesh_material(material, path))
    return trimesh.Trimesh(np.asarray(vertices, dtype=np.float64), part_faces, vertex_normals=normals, visual=visual,
                           process=False)


def _trimesh_material(material: PBRMaterial, path: Path):
    """trimesh's glTF ``PBRMaterial`` of ``material`` (specular colour and opacity texture have no glTF core field)."""
    import trimesh

    def image(tensor):
        return None if tensor is None else texture_to_image(tensor.detach(), path)

    def number(tensor):
        return None if tensor is None else float(tensor.reshape(-1)[0])

    color = None
    if material.diffuse_color is not None or material.opacity_value is not None:
        rgb = [1.0, 1.0, 1.0] if material.diffuse_color is None else material.diffuse_color.detach().cpu().tolist()
        color = rgb + [1.0 if material.opacity_value is None else number(material.opacity_value)]
    packed = None
    if material.metallic_texture is not None or material.roughness_texture is not None:
        reference = material.metallic_texture if material.metallic_texture is not None else material.roughness_texture
        ones = torch.ones_like(reference.detach())
        roughness = ones if material.roughness_texture is None else material.roughness_texture.detach()
        metallic = ones if material.metallic_texture is None else material.metallic_texture.detach()
        if roughness.shape != metallic.shape:
            raise SaveError(f"{path}: material {material.material_name!r}: glTF packs roughness and metallic "
                            f"textures in one image; their shapes differ ({tuple(roughness.shape)}, "
                            f"{tuple(metallic.shape)})")
        packed = texture_to_image(torch.cat([torch.zeros_like(roughness), roughness, metallic]), path)
    normals = None if material.normals_texture is None else \
        to_file_values("normals_texture", material.normals_texture.detach())
    return trimesh.visual.material.PBRMaterial(
        name=material.material_name or None, baseColorFactor=color, baseColorTexture=image(material.diffuse_texture),
        metallicFactor=number(material.metallic_value), roughnessFactor=number(material.roughness_value),
        metallicRoughnessTexture=packed, normalTexture=image(normals))
