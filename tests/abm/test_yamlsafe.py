"""The strict YAML loader: duplicate keys and empty files are errors; ordinary YAML reads as before."""

from __future__ import annotations

import pytest
import yaml

from abm.config import ConfigError, builtin_programs, read_yaml
from abm.yamlsafe import DuplicateKeyError, StrictLoader, YamlInputError, loads


def test_duplicate_keys_name_path_and_both_lines():
    text = "x: 1\na:\n  b:\n    - {c: 1}\n    - {c: 1,\n       c: 2}\n"
    with pytest.raises(YamlInputError, match=r"^f\.yaml: a\.b\.1\.c: duplicate key 'c' at line 6 \(first given at line 5\)"):
        loads(text, "f.yaml")
    with pytest.raises(YamlInputError, match="top: duplicate key 'top' at line 2"):
        loads("top: 1\ntop: 1\n", "f.yaml")  # even with the same value: ambiguous


def test_merge_keys_keep_their_meaning():
    data = loads("base: &b {mu: 0.2, eps0: 0.1}\nparams:\n  <<: *b\n  mu: 0.3\n")
    assert data["params"] == {"mu": 0.3, "eps0": 0.1}


def test_aliases_and_recursive_nodes_are_walked_once():
    assert loads("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}
    data = loads("a: &x [1, *x]\n")
    assert data["a"][1] is data["a"]


def test_loader_class_refuses_duplicates_on_its_own():
    with pytest.raises(DuplicateKeyError, match="line 2"):
        yaml.load("a: 1\nb: {c: 1, c: 2}\n", Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    assert yaml.load("a: 1\n", Loader=StrictLoader) == {"a": 1}  # noqa: S506


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_or_null_file_is_an_error_naming_the_file(tmp_path, text):
    f = tmp_path / "cfg.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=rf"^{f}: \(top level\): .*(empty|null)"):
        read_yaml(f)


def test_python_tags_are_refused():
    with pytest.raises(YamlInputError, match="invalid YAML at line 1"):
        loads("!!python/object/apply:os.system ['true']\n")


def test_builtin_programs_read_the_same_as_safe_load():
    for path in builtin_programs().values():
        assert read_yaml(path) == yaml.safe_load(path.read_text())
