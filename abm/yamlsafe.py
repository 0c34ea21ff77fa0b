"""The one YAML loader of the project: safe (nothing is executed) and strict about ambiguity.

Every YAML file the project reads (scenario configs, experiment, sensitivity and calibration specs)
goes through :func:`load_file` (via :func:`abm.config.read_yaml`). On top of ``yaml.SafeLoader`` it
refuses what a plain loader silently resolves:

- a key given twice in one mapping (a plain loader keeps the last value) is an error naming the
  file, the key's dotted path and both line numbers;
- an empty file, or one holding only comments (a truncated file must not silently become the
  defaults), is an error naming the file;
- more than one document in a file is an error.

YAML merge keys (``<<: *base``) keep their meaning: the mapping's own keys override merged ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlInputError(ValueError):
    """A YAML file cannot be used as input; the message names the file (and line where known)."""


class DuplicateKeyError(ConstructorError):
    """A mapping gives the same key twice."""

    def __init__(self, key: Any, path: str, first_line: int, node: Node) -> None:
        self.key, self.path, self.first_line = key, path, first_line
        self.line = node.start_mark.line + 1
        problem = f"duplicate key {key!r} at line {self.line} (first given at line {first_line}); give each key once"
        super().__init__(None, None, problem, node.start_mark)


def _key(loader: yaml.SafeLoader, node: Node) -> Any:
    if isinstance(node, ScalarNode):
        try:
            return loader.construct_object(node)
        except ConstructorError:
            return ("<scalar>", node.tag, node.value)
    return None  # a sequence or mapping key: unhashable, the constructor refuses it anyway


def _mapping_duplicates(loader: yaml.SafeLoader, node: MappingNode, path: str) -> None:
    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue
        key = _key(loader, key_node)
        if key is None:
            continue
        try:
            seen = key in first
        except TypeError:  # unhashable
            continue
        if seen:
            raise DuplicateKeyError(key, f"{path}.{key}" if path else str(key), first[key], key_node)
        first[key] = key_node.start_mark.line + 1


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys (also when used as ``yaml.load(s, StrictLoader)``)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._checked: set[int] = set()

    def check_duplicates(self, root: Node, path: str = "") -> None:
        """Walk a composed node graph; raise :class:`DuplicateKeyError` at the first repeated key.

        Runs before any mapping is constructed: constructing flattens merge keys in place.
        """
        stack: list[tuple[Node, str]] = [(root, path)]
        while stack:
            node, path = stack.pop()
            if id(node) in self._checked:  # aliases share nodes (and may be recursive)
                continue
            self._checked.add(id(node))
            if isinstance(node, MappingNode):
                _mapping_duplicates(self, node, path)
                for key_node, value in reversed(node.value):
                    name = "" if key_node.tag == MERGE_TAG else str(_key(self, key_node))
                    stack.append((value, f"{path}.{name}" if path and name else name or path))
            elif isinstance(node, SequenceNode):
                for i, value in reversed(list(enumerate(node.value))):
                    stack.append((value, f"{path}.{i}" if path else str(i)))

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if id(node) not in self._checked:
            self.check_duplicates(node)
        return super().construct_mapping(node, deep=deep)


def loads(text: str, source: str = "<yaml>") -> Any:
    """Parse one YAML document strictly; raise :class:`YamlInputError` naming ``source``."""
    loader = StrictLoader(text)
    loader.name = source
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                what = "the file is empty (no YAML content, only comments or blank lines)"
                raise YamlInputError(f"{source}: (top level): {what}; expected a mapping")
            loader.check_duplicates(node)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except DuplicateKeyError as e:
        raise YamlInputError(f"{source}: {e.path}: {e.problem}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlInputError(f"{source}: invalid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    if data is None:
        raise YamlInputError(f"{source}: (top level): the document is null (no content); expected a mapping")
    return data


def load_file(path: str | Path) -> Any:
    """Read and strictly parse a YAML file; raise :class:`YamlInputError` naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise YamlInputError(f"{p}: cannot read file ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise YamlInputError(f"{p}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    return loads(text, str(p))
