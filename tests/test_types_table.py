"""Types-CSV reader: dialect variants, missing values, dtypes, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cantata.errors import FormatError
from cantata.sonata.types_table import (
    is_missing,
    lookup_column,
    normalize_types_table,
    read_types_csv,
)


def _csv(tmp_path: Path, text: str, name: str = "node_types.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_runs_of_spaces_quotes_crlf_and_missing_tokens(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        'node_type_id   model_type  label "weight"  note\r\n'
        '  100  biophysical "two words" 1.5 NULL\r\n'
        '101 virtual   "say ""hi"""  NaN NONE\r\n'
        '\r\n'
        '102 point_process "" 2 None\r\n',
    )
    table = read_types_csv(path)
    assert table.columns.tolist() == ["node_type_id", "model_type", "label", "weight", "note"]
    assert table["node_type_id"].dtype == np.int64
    assert table["node_type_id"].tolist() == [100, 101, 102]
    assert table["label"].tolist() == ["two words", 'say "hi"', None]
    assert table["weight"].dtype == np.float64
    assert np.isnan(table["weight"][1]) and table["weight"][2] == 2.0
    # a column with no value at all is object/None, never a pandas string dtype
    assert table["note"].dtype == object and table["note"].tolist() == [None, None, None]
    for column in ("model_type", "label"):
        assert table[column].dtype == object
        assert all(isinstance(v, str) or v is None for v in table[column])


def test_numeric_columns_stay_numeric(tmp_path: Path) -> None:
    path = _csv(tmp_path, "edge_type_id delay nsyns flag\n1 2.0 3 True\n2 1.5 4 False\n")
    table = read_types_csv(path)
    assert table["delay"].dtype == np.float64
    assert table["nsyns"].dtype == np.int64
    assert table["flag"].dtype == bool


def test_real_bmtk_csv_with_crlf(testdata: Path) -> None:
    table = read_types_csv(testdata / "sonata-examples" / "300_intfire" / "network" / "v1_node_types.csv")
    assert table["node_type_id"].tolist() == [100, 101]
    assert table["dynamics_params"].tolist() == ["IntFire1_exc_1.json", "IntFire1_inh_1.json"]
    assert table["model_name"].tolist() == ["LIF_exc", "LIF_inh"]  # no trailing '\r'


def test_real_csv_with_null_strings(testdata: Path) -> None:
    path = testdata / "format" / "pysonata_tests_data" / "circuit" / "examples" / "v1_v1_edge_types.csv"
    table = read_types_csv(path, id_column="edge_type_id")
    assert table["template"].tolist()[:2] == ["Exp2Syn", None]
    assert table["delay"].dtype == np.float64


def test_id_column_choice(tmp_path: Path) -> None:
    path = _csv(tmp_path, "edge_type_id a\n1 x\n")
    assert read_types_csv(path)["edge_type_id"].tolist() == [1]
    with pytest.raises(FormatError, match="no type-id column") as info:
        read_types_csv(path, id_column="node_type_id")
    assert info.value.file == str(path) and info.value.expected == "node_type_id"


def test_population_column_filters_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, "node_type_id population a\n1 v1 x\n2 lgn y\n3 NULL z\n")
    table = read_types_csv(path, population="v1")
    assert table["node_type_id"].tolist() == [1, 3]
    assert "population" not in table.columns
    assert len(read_types_csv(path)) == 3


def test_header_only_gives_empty_table(tmp_path: Path) -> None:
    table = read_types_csv(_csv(tmp_path, "node_type_id model_type\n"))
    assert len(table) == 0 and table["node_type_id"].dtype == np.int64


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("model_type\nbiophysical\n", "no type-id column"),
        ("node_type_id a\n1 x\n1 y\n", "duplicate type ids"),
        ("node_type_id a\nabc x\n", "must be integers"),
        ("node_type_id a\n1.5 x\n", "must be integers"),
        ("node_type_id a\nNULL x\n", "must be integers"),
        ("node_type_id a\n1 x\n2 y z w\n", "cannot parse"),
    ],
)
def test_bad_tables(tmp_path: Path, text: str, message: str) -> None:
    path = _csv(tmp_path, text)
    with pytest.raises(FormatError, match=message) as info:
        read_types_csv(path)
    assert info.value.file == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not found"):
        read_types_csv(tmp_path / "absent.csv")


def test_lookup_column_vectorised(tmp_path: Path) -> None:
    table = read_types_csv(_csv(tmp_path, "node_type_id name\n7 a\n3 b\n"))
    values, found = lookup_column(table, "node_type_id", "name", np.array([3, 7, 5, 3]))
    assert found.tolist() == [True, True, False, True]
    assert values[found].tolist() == ["b", "a", "b"]
    empty = normalize_types_table(pd.DataFrame({"node_type_id": [], "name": []}), id_column="node_type_id")
    values, found = lookup_column(empty, "node_type_id", "name", np.array([1]))
    assert not found.any()


def test_normalize_converts_pandas_strings() -> None:
    frame = pd.DataFrame({"node_type_id": [1, 2], "name": pd.array(["a", None], dtype="string")})
    table = normalize_types_table(frame)
    assert table["name"].dtype == object and table["name"].tolist() == ["a", None]


def test_is_missing() -> None:
    assert is_missing(np.array([1.0, np.nan])).tolist() == [False, True]
    assert is_missing(np.array(["a", None, np.nan], dtype=object)).tolist() == [False, True, True]
    assert is_missing(np.array([1, 2])).tolist() == [False, False]


def test_is_missing_value_reads_the_tokens_types_tables_hold():
    from cantata.sonata.types_table import is_missing_value

    for value in (None, float("nan"), np.float64("nan"), "NULL", "null", "None", "NONE", ""):
        assert is_missing_value(value), value
    for value in (0, 0.0, "0", "somatic", "exc.json", [1, 2], False):
        assert not is_missing_value(value), value
