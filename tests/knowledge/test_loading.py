"""Loading: malformed files give errors naming the file, the record and the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from mtorsim.errors import DataFileError
from mtorsim.knowledge import load_knowledge_base
from mtorsim.knowledge.base import default_data_dir
from mtorsim.knowledge.models import DOCUMENTS
from mtorsim.knowledge.schema import json_schemas


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(default_data_dir(), dst)
    return dst


def test_unknown_field_names_file_record_and_field(data_copy: Path) -> None:
    path = data_copy / "agents.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["agents"][2]["half_lfe"] = 30
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(DataFileError) as err:
        load_knowledge_base(data_copy)
    msg = str(err.value)
    assert "agents.yaml" in msg and "record #3" in msg and "half_lfe" in msg
    assert f"id: {doc['agents'][2]['id']}" in msg


def test_wrong_enum_value(data_copy: Path) -> None:
    path = data_copy / "trials.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["trials"][0]["subtypes"] = ["HER5+"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(DataFileError, match=r"(?s)trials.yaml.*subtypes\.0"):
        load_knowledge_base(data_copy)


def test_broken_yaml_gives_line(data_copy: Path) -> None:
    (data_copy / "outcomes.yaml").write_text("format_version: '1.0'\nkind: outcomes\n  - x: [\n")
    with pytest.raises(DataFileError, match=r"(?s)outcomes.yaml.*line \d+"):
        load_knowledge_base(data_copy)


def test_missing_file_and_wrong_version(data_copy: Path) -> None:
    (data_copy / "claims.yaml").unlink()
    with pytest.raises(DataFileError, match=r"(?s)claims.yaml.*cannot read"):
        load_knowledge_base(data_copy)
    shutil.copy(default_data_dir() / "claims.yaml", data_copy / "claims.yaml")
    path = data_copy / "references.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["format_version"] = "9.9"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(DataFileError, match=r"(?s)references.yaml.*format_version"):
        load_knowledge_base(data_copy)


def test_shipped_schemas_match_models() -> None:
    """The JSON Schemas shipped in the package are the ones the models generate."""
    folder = Path(str(default_data_dir())).parent / "schemas"
    for name, schema in json_schemas().items():
        shipped = json.loads((folder / name).read_text())
        assert shipped == json.loads(json.dumps(schema, sort_keys=True)), (
            f"{name} is stale: run `mtorsim schema --out src/mtorsim/knowledge/schemas`"
        )


@pytest.mark.parametrize("fname", list(DOCUMENTS))
def test_data_validate_against_json_schema(fname: str) -> None:
    """An independent validator (jsonschema) accepts every shipped file."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schemas()[fname.replace(".yaml", ".schema.json")]
    doc = yaml.safe_load((default_data_dir() / fname).read_text())
    jsonschema.validate(doc, schema)


def test_every_file_declares_format_version() -> None:
    for fname in DOCUMENTS:
        doc = yaml.safe_load((default_data_dir() / fname).read_text())
        assert doc["format_version"] == "1.0" and doc["kind"] == fname.removesuffix(".yaml")
