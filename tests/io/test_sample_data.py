"""sample_data: archives fetched only when a file is missing or has another MD5 (served here from file:// URLs),
and Kaolin's environment-variable names."""
import os
import subprocess
import sys
import zipfile

import pytest

from kaolin_pipeline.errors import LoadError
from kaolin_pipeline.sample_data import KaolinEnvVars, KaolinTestEnvVars, fetch_archives

MD5_ABC = "900150983cd24fb0d6963f7d28e17f72"  # RFC 1321's test vector for "abc"


def _served(tmp_path, content: bytes) -> str:
    server = tmp_path / "server"
    server.mkdir(exist_ok=True)
    with zipfile.ZipFile(server / "set.zip", "w") as bundle:
        bundle.writestr("a.txt", content)
    return server.as_uri() + "/"


def test_downloads_only_what_is_missing_or_wrong(tmp_path):
    root = _served(tmp_path, b"abc")
    target = tmp_path / "data"
    assert fetch_archives(str(target), {"set.zip": {"a.txt": MD5_ABC}}, url_root=root) == str(target)
    assert (target / "a.txt").read_bytes() == b"abc" and sorted(os.listdir(target)) == ["a.txt"]
    (tmp_path / "server" / "set.zip").unlink()  # a complete folder needs no download
    fetch_archives(str(target), {"set.zip": {"a.txt": MD5_ABC}}, url_root=root)
    (target / "a.txt").write_bytes(b"abd")
    with pytest.raises(LoadError, match="set.zip: could not download"):
        fetch_archives(str(target), {"set.zip": {"a.txt": MD5_ABC}}, url_root=root)


def test_an_archive_with_other_content_is_reported(tmp_path):
    root = _served(tmp_path, b"abd")
    with pytest.raises(LoadError, match=f"MD5 of .*a.txt is not {MD5_ABC}"):
        fetch_archives(str(tmp_path / "data"), {"set.zip": {"a.txt": MD5_ABC}}, url_root=root)


def test_kaolin_environment_variable_names(tmp_path):
    assert KaolinTestEnvVars.TEST_SCANNED_TOYS == "KAOLIN_TEST_SCANNED_TOYS"
    assert KaolinEnvVars.TENSOR_IR_PATH.value == "KAOLIN_TENSOR_IR_PATH"
    code = ("from kaolin_pipeline.sample_data import SCANNED_TOYS_PATH, TENSOR_IR_PATH; "
            "print(SCANNED_TOYS_PATH, TENSOR_IR_PATH)")
    env = {**os.environ, "KAOLIN_SCANNED_TOYS_PATH": str(tmp_path / "toys"), "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("KAOLIN_TENSOR_IR_PATH", None)
    printed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert printed.split() == [str(tmp_path / "toys"), str(tmp_path / "kaolin_pipeline" / "sample_data" / "tensor_ir")]
