"""The typed helpers follow the server's vocabulary: regenerated from the binary, they must not change."""

from __future__ import annotations

import importlib.util
import inspect
import json
import subprocess
from pathlib import Path

import herald
from conftest import HERALD_BIN

PACKAGE = Path(__file__).resolve().parents[1]


def server_vocabulary() -> dict:
    return json.loads(subprocess.run([HERALD_BIN, "vocabulary", "--json"], capture_output=True, text=True, check=True).stdout)


def generator():
    spec = importlib.util.spec_from_file_location("generate_vocabulary", PACKAGE / "scripts" / "generate_vocabulary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_helpers_are_generated_from_this_servers_vocabulary():
    fresh = generator().generate(server_vocabulary())
    committed = (PACKAGE / "src" / "herald" / "_vocabulary.py").read_text()
    assert committed == fresh, (
        "clients/python/src/herald/_vocabulary.py is stale: run\n"
        "  herald vocabulary --json | python3 clients/python/scripts/generate_vocabulary.py > clients/python/src/herald/_vocabulary.py")


def test_every_built_in_type_has_a_helper_with_its_fields():
    snake = generator().snake
    for rule in server_vocabulary()["types"]:
        name = snake(rule["type"].replace(".", "_"))
        helper = getattr(herald.Emitter, name, None)
        assert helper is not None, f"no helper for {rule['type']}"
        parameters = inspect.signature(helper).parameters
        for field in rule["fields"]:
            assert snake(field["name"]) in parameters, f"{name} lacks {field['name']}"
        assert herald.DEFAULT_LEVELS[rule["type"]] == rule["level"]
        assert (rule["type"] in herald.TERMINAL_TYPES) == rule["terminal"]
