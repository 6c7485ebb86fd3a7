"""group_materials_by_name and process_materials_and_assignments (kal.io.materials) on hand-made lists."""
import pytest
import torch

import kaolin_pipeline.kaolin as kal
from kaolin_pipeline.errors import MaterialNotFoundError
from kaolin_pipeline.io.material_assignments import process_materials_and_assignments
from kaolin_pipeline.io.obj import create_missing_materials_error_handler, default_error_handler, ignore_error_handler
from kaolin_pipeline.ops.material_groups import group_materials_by_name
from kaolin_pipeline.structures import PBRMaterial


def test_group_merges_names_sorts_them_and_keeps_unnamed_last():
    wood, steel, wood2 = (PBRMaterial(material_name=n) for n in ("wood", "steel", "wood"))
    plain1, plain2 = PBRMaterial(diffuse_color=[1.0, 0, 0]), {"Kd": torch.ones(3)}
    materials = [plain1, wood, steel, wood2, plain2]
    assignments = torch.tensor([[0, 1, 2, 3, 4, -1]])
    grouped, remapped = group_materials_by_name(materials, assignments)
    # kept: steel (0), wood (1, first of its name), then plain1 (2), plain2 (3) in their order
    assert grouped[0] is steel and grouped[1] is wood and grouped[2] is plain1 and grouped[3] is plain2
    assert remapped.tolist() == [[2, 1, 0, 1, 3, -1]] and assignments.tolist() == [[0, 1, 2, 3, 4, -1]]
    assert group_materials_by_name(materials, None) == (grouped, None)


def test_process_materials_expands_ranges_and_asks_the_handler():
    materials = {"b": {"Kd": torch.zeros(3)}, "a": {"Kd": torch.ones(3)}}
    assignments = {"a": torch.tensor([[0, 2], [5, 6]]), "b": torch.tensor([2, 4]), "ghost": torch.tensor([[3, 4]])}
    with pytest.raises(MaterialNotFoundError, match="ghost.*model.obj"):
        process_materials_and_assignments(dict(materials), dict(assignments), default_error_handler, 7, "model.obj")
    listed, faces = process_materials_and_assignments(dict(materials), dict(assignments), ignore_error_handler, 7)
    assert [m["Kd"][0].item() for m in listed] == [1.0, 0.0]  # sorted by name: a, b
    assert faces.dtype == torch.int16 and faces.tolist() == [0, 0, 1, -1, 1, 0, -1]
    with pytest.warns(UserWarning, match="ghost"):
        listed, faces = process_materials_and_assignments(dict(materials), dict(assignments),
                                                          create_missing_materials_error_handler, 7)
    assert listed[2]["material_name"] == "ghost" and faces.tolist() == [0, 0, 1, 2, 1, 0, -1]
    with pytest.raises(DeprecationWarning):
        kal.io.materials.PBRMaterial()
