"""Project modules are imported at the top of a module. An import inside a function must say
why (a comment between the function's start and the import): a heavy optional library, or
Django set up only once a console command knows it needs it — never to dodge a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import kaohe

SOURCE = Path(kaohe.__file__).parent


def local_project_imports() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for func in ast.walk(ast.parse(text)):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] if node.level == 0 else ["kaohe"]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                if not any(n == "kaohe" or n.startswith("kaohe.") for n in names):
                    continue
                span = lines[func.lineno - 1 : node.lineno]
                if not any("#" in line.split('"')[0] for line in span[1:]):
                    found.append(f"{path.relative_to(SOURCE)}:{node.lineno} {', '.join(names)}")
    return found


def test_no_project_module_is_imported_inside_a_function_without_a_reason() -> None:
    assert local_project_imports() == []
