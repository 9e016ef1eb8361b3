#!/usr/bin/env python3
"""Import cycles among the modules of sim/src/world.

Reads every sim/src/world/*.rs (mod.rs excluded: it is the parent), takes each reference to a
sibling module (`super::NAME` or `crate::world::NAME`, in `use` lines and in paths, grouped
`use super::{a::X, b}` included) outside `#[cfg(test)]` blocks, builds the module graph and
prints its strongly connected components of more than one module. Exit status 1 if there is
any, else 0. Usage: ci/world_cycles.py [DIR]  (default: sim/src/world next to this script).
"""
import pathlib
import re
import sys

REFERENCE = re.compile(r"\b(?:super|crate::world)::(\{[^}]*\}|\w+)")


def code_outside_tests(text):
    """The source up to the first `#[cfg(test)]` (test modules sit at the end of a file)."""
    return text.split("#[cfg(test)]", 1)[0]


def strip_comments(text):
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def references(text, modules):
    found = set()
    for match in REFERENCE.finditer(strip_comments(code_outside_tests(text))):
        target = match.group(1)
        names = re.findall(r"(?:^|[{,])\s*(\w+)", target) if target.startswith("{") else [target]
        found.update(name for name in names if name in modules)
    return found


def graph(directory):
    files = {path.stem: path for path in sorted(directory.glob("*.rs")) if path.stem != "mod"}
    return {name: references(path.read_text(), files) - {name} for name, path in files.items()}


def strongly_connected(edges):
    """Tarjan's algorithm, iterative: the components with more than one module."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components, key=lambda c: (-len(c), c))


def main():
    default = pathlib.Path(__file__).resolve().parent.parent / "sim" / "src" / "world"
    directory = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    edges = graph(directory)
    components = strongly_connected(edges)
    print(f"{len(edges)} modules, {sum(len(e) for e in edges.values())} imports, "
          f"{len(components)} cycle(s)")
    for component in components:
        print(f"  cycle of {len(component)}: {', '.join(component)}")
    return 1 if components else 0


if __name__ == "__main__":
    sys.exit(main())
