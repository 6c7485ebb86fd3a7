"""glTF TANGENT attributes (which trimesh's parser drops) reach Mesh.vertex_tangents, moved by the node transform;
files written by hand here, expected values computed by hand."""
import base64
import json
import struct

import numpy as np
import pytest
import torch

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
