"""mg.viz: the backward graph as Graphviz DOT text, checked by a small parser (and by Graphviz's
``dot`` where it is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import minigrad as mg
from minigrad.autograd import Function

TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<arrow>->)|(?P<id>[A-Za-z_0-9.]+)'
                   r"|(?P<punct>[{}\[\];=,]))")


def tokens(text: str) -> list[tuple[str, str]]:
    """DOT's tokens; anything else (an unescaped quote, a stray character) fails."""
    out, pos = [], 0
    while text[pos:].strip():
        m = TOKEN.match(text, pos)
        assert m, f"not DOT at {text[pos:pos + 40]!r}"
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s[1:-1])


def parse(text: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """A digraph's nodes {id: attributes} and edges [(from, to, attributes)]: the subset of
    DOT that viz writes, checked strictly (every edge's ends declared first, ids unique)."""
    toks = tokens(text)
    assert toks[:3] == [("id", "digraph"), ("id", "minigrad"), ("punct", "{")]
    assert toks[-1] == ("punct", "}")
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    i, body = 0, toks[3:-1]

    def attributes() -> dict[str, str]:
        nonlocal i
        attrs: dict[str, str] = {}
        if i < len(body) and body[i] == ("punct", "["):
            i += 1
            while body[i] != ("punct", "]"):
                key, eq, value = body[i], body[i + 1], body[i + 2]
                assert key[0] == "id" and eq == ("punct", "="), body[i:i + 3]
                attrs[key[1]] = unquote(value[1]) if value[0] == "string" else value[1]
                i += 3
                if body[i] == ("punct", ","):
                    i += 1
            i += 1
        assert body[i] == ("punct", ";"), body[i]
        i += 1
        return attrs

    while i < len(body):
        kind, name = body[i]
        assert kind == "id", body[i]
        i += 1
        if body[i] == ("arrow", "->"):
            target = body[i + 1][1]
            i += 2
            assert name in nodes and target in nodes, (name, target)
            edges.append((name, target, attributes()))
        else:
            attrs = attributes()
            if name not in ("graph", "node", "edge"):
                assert name not in nodes, f"{name} declared twice"
                nodes[name] = attrs
    return nodes, edges


def test_the_parser_can_fail() -> None:
    for bad in ('digraph minigrad {\n  n0 [label="a"b"];\n}',  # an unescaped quote
                'digraph minigrad {\n  n0 -> n1;\n}',  # an edge to nowhere
                'digraph minigrad {\n  n0 [label="x"];\n  n0 [label="y"];\n}'):
        with pytest.raises(AssertionError):
            parse(bad)


def functions_of(t: mg.Tensor) -> list[Function]:
    """The Function nodes behind t, each once (the test's own walk)."""
    found: dict[int, Function] = {}
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        if isinstance(node, Function) and id(node) not in found:
            found[id(node)] = node
            stack += node.next
    return list(found.values())


def test_a_times_b_plus_c() -> None:
    a, b, c = (mg.tensor(v, requires_grad=True) for v in (2.0, 3.0, 1.0))
    out = a * b + c
    dot = mg.viz.graph(out, params={"a": a, "b": b, "c": c})
    nodes, edges = parse(dot)
    labels = {k: v["label"] for k, v in nodes.items()}
    assert labels == {"n0": "output\n() float32", "n1": "AddBackward0", "n2": "MulBackward0",
                      "n3": "c\n() float32", "n4": "a\n() float32", "n5": "b\n() float32"}
    assert [(s, d) for s, d, _ in edges] == [("n1", "n0"), ("n2", "n1"), ("n3", "n1"),
                                             ("n4", "n2"), ("n5", "n2")]
    assert all(attrs["label"] == "() float32" for _, _, attrs in edges)
    assert nodes["n3"]["fillcolor"] == "lightblue"


def test_leaves_without_names_are_accumulate_grad_and_constants_are_left_out() -> None:
    x = mg.ones(2, 3, requires_grad=True)
    out = (x * mg.full((2, 3), 2.0)).sum()  # the constant requires no grad: no edge
    nodes, edges = parse(mg.viz.graph(out))
    assert sorted(v["label"] for v in nodes.values()) == [
        "AccumulateGrad\n(2, 3) float32", "MulBackward0", "SumBackward0", "output\n() float32"]
    assert len(edges) == 3


def lenet_loss() -> tuple[Any, mg.Tensor]:
    from demos.lenet import lenet

    mg.manual_seed(0)
    net = lenet()
    x, y = mg.randn(2, 1, 28, 28), mg.randint(0, 10, (2,))
    return net, mg.nn.functional.cross_entropy(net(x), y)


def test_lenet_graph_every_node_once_with_its_name_and_every_edge() -> None:
    net, loss = lenet_loss()
    params = dict(net.named_parameters())
    dot = mg.viz.graph(loss, params=params)
    nodes, edges = parse(dot)
    functions = functions_of(loss)
    labels = [v["label"] for v in nodes.values()]
    grey = [v["label"] for v in nodes.values() if v["fillcolor"] == "lightgrey"]
    assert sorted(grey) == sorted(f.name() for f in functions)  # each Function once, its name
    assert "UnfoldBackward0" in grey and "MmBackward0" in grey  # (torch names a 2-D product Mm)
    for name, p in params.items():  # each parameter once, named, with shape and dtype
        assert labels.count(f"{name}\n{tuple(p.shape)} float32") == 1
    assert len(nodes) == len(functions) + len(params) + 1
    assert len(edges) == sum(e is not None for f in functions for e in f.next) + 1
    conv1 = labels.index("0.weight\n(6, 1, 5, 5) float32")
    assert any(a["label"] == "(6, 1, 5, 5) float32" and s == f"n{conv1}" for s, d, a in edges)


def test_ids_are_stable() -> None:
    net, loss = lenet_loss()
    params = dict(net.named_parameters())
    first = mg.viz.graph(loss, params)
    assert mg.viz.graph(loss, params) == first
    net2, again = lenet_loss()  # a new model from the same seed: the same text
    assert mg.viz.graph(again, dict(net2.named_parameters())) == first


def test_quotes_and_backslashes_are_escaped() -> None:
    w = mg.ones(2, requires_grad=True)
    dot = mg.viz.graph((w * 2).sum(), params={'my "odd"\\name': w})
    nodes, _ = parse(dot)
    assert any(v["label"].startswith('my "odd"\\name\n') for v in nodes.values())


def test_a_graph_after_backward_is_drawn_the_same() -> None:
    """backward frees the values a graph kept, not its shape (as torch's): the drawing of a
    graph after backward is the one from before."""
    x = mg.ones(3, requires_grad=True)
    out = (x.exp() * 2).sum()
    before = mg.viz.graph(out)
    out.backward()
    assert mg.viz.graph(out) == before
    assert "ExpBackward0" in before


def test_a_tensor_without_graph() -> None:
    nodes, edges = parse(mg.viz.graph(mg.ones(2)))
    assert list(nodes) == ["n0"] and edges == []
    with pytest.raises(TypeError, match="expects a Tensor"):
        mg.viz.graph([1.0])


def test_render_without_dot_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Graphviz's `dot` program.*apt install graphviz"):
        mg.viz.render(x.sum(), tmp_path / "g.svg")
    with pytest.raises(ValueError, match="svg, png, pdf"):
        mg.viz.render(x.sum(), tmp_path / "g.gif", format="gif")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_dot_reads_what_we_write(tmp_path: Path) -> None:
    net, loss = lenet_loss()
    dot = mg.viz.graph(loss, dict(net.named_parameters()))
    subprocess.run(["dot", "-Tsvg", "-o", str(tmp_path / "x.svg")], input=dot, text=True,
                   check=True)
    path = mg.viz.render(loss, tmp_path / "lenet.svg")
    assert path.read_text().lstrip().startswith(("<?xml", "<svg"))
