"""What trimesh's glTF parser drops and the reader restores: TANGENT attributes (moved by the node transform), each
material's own sampler and KHR_materials_transmission; files written by hand here, expected values by hand."""
import base64
import json
import io
import struct

import numpy as np
import pytest
import torch

from PIL import Image

from kaolin_pipeline.io import load_mesh

POSITIONS = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=np.float32)
TANGENTS = np.array([[1, 1, 0, 1], [0, 1, 0, -1], [0, 0, 2, 1]], dtype=np.float32)  # xyz, handedness w
INDICES = np.array([0, 1, 2], dtype=np.uint16)
SCALE = [2.0, 1.0, 1.0]  # the node stretches x: a tangent (tx, ty, tz) becomes (2 tx, ty, tz), then unit length


def _document(buffer: dict) -> dict:
    lengths = [POSITIONS.nbytes, TANGENTS.nbytes, INDICES.nbytes]
    offsets = np.cumsum([0] + lengths[:-1]).tolist()
    return {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "scale": SCALE}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "TANGENT": 1}, "indices": 2}]}],
        "buffers": [buffer],
        "bufferViews": [{"buffer": 0, "byteOffset": o, "byteLength": n} for o, n in zip(offsets, lengths)],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC4"},
            {"bufferView": 2, "componentType": 5123, "count": 3, "type": "SCALAR"}],
    }


def _write(path, binary: bool) -> None:
    blob = POSITIONS.tobytes() + TANGENTS.tobytes() + INDICES.tobytes()
    blob += b"\0" * (-len(blob) % 4)
    if not binary:
        uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
        path.write_text(json.dumps(_document({"byteLength": len(blob), "uri": uri})))
        return
    text = json.dumps(_document({"byteLength": len(blob)})).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<I", len(text)) + b"JSON" + text + struct.pack("<I", len(blob)) + b"BIN\0" + blob
    path.write_bytes(b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks)


@pytest.mark.parametrize("ext", [".gltf", ".glb"])
def test_tangents_are_read_signed_and_moved_by_the_node(tmp_path, ext):
    path = tmp_path / f"tangents{ext}"
    _write(path, binary=ext == ".glb")
    mesh = load_mesh(path)
    # by hand: xyz * w, x doubled by the node's scale, normalised
    expected = torch.tensor([[2 / 5 ** 0.5, 1 / 5 ** 0.5, 0], [0, -1, 0], [0, 0, 1]])
    assert mesh.vertex_tangents is not None and mesh.vertex_tangents.shape == (3, 3)
    torch.testing.assert_close(mesh.vertex_tangents, expected)
    torch.testing.assert_close(mesh.vertices[1], torch.tensor([2.0, 0, 0]))
    assert mesh.with_vertices(mesh.vertices * 2).vertex_tangents is None
    assert torch.equal(mesh.two_sided().vertex_tangents, torch.cat([mesh.vertex_tangents] * 2))


def test_kaolin_layer_returns_the_tangents(tmp_path):
    from kaolin_pipeline.kaolin.io import gltf

    path = tmp_path / "tangents.gltf"
    _write(path, binary=False)
    mesh = gltf.import_mesh(path)
    assert torch.equal(mesh.vertex_tangents, load_mesh(path).vertex_tangents)


def test_materials_keep_their_own_sampler_and_transmission(tmp_path):
    """Two materials with the same name: one clamps and transmits 0.25 everywhere, the other mirrors and
    transmits half of its texture's red channel."""
    red = np.array([[0, 51], [102, 255]], dtype=np.uint8)
    pixels = np.stack([red, np.full_like(red, 9), np.full_like(red, 200)], axis=-1)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    document = _document({"byteLength": 0})
    blob = POSITIONS.tobytes() + TANGENTS.tobytes() + INDICES.tobytes()
    blob += b"\0" * (-len(blob) % 4)
    document["buffers"] = [{"byteLength": len(blob),
                            "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode()}]
    primitive = document["meshes"][0]["primitives"][0]
    document["meshes"][0]["primitives"] = [dict(primitive, material=0), dict(primitive, material=1)]
    document["images"] = [{"uri": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()}]
    document["samplers"] = [{"wrapS": 33071, "wrapT": 33071}, {"wrapS": 33648, "wrapT": 10497}]
    document["textures"] = [{"source": 0, "sampler": 0}, {"source": 0, "sampler": 1}]
    transmission = "KHR_materials_transmission"
    document["materials"] = [
        {"name": "glass", "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}},
         "extensions": {transmission: {"transmissionFactor": 0.25}}},
        {"name": "glass", "pbrMetallicRoughness": {"baseColorTexture": {"index": 1}},
         "extensions": {transmission: {"transmissionFactor": 0.5, "transmissionTexture": {"index": 0}}}}]
    document["extensionsUsed"] = [transmission]
    path = tmp_path / "glass.gltf"
    path.write_text(json.dumps(document))
    mesh = load_mesh(path)
    first, second = mesh.materials
    assert first.material_name == second.material_name == "glass"
    assert first.wrap_mode == "clamp" and second.wrap_mode == ("mirror", "repeat")
    assert first.transmittance_value.tolist() == [0.25] and first.transmittance_texture is None
    assert second.transmittance_value is None and second.transmittance_texture.shape == (1, 2, 2)
    torch.testing.assert_close(second.transmittance_texture[0], torch.from_numpy(red).float() / 255 * 0.5)
    assert mesh.material_assignments.tolist() == [0, 1]
