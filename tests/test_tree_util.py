import collections
import dataclasses
import functools
import operator
import pickle

import numpy as np
import pytest

from cotan._src import tree_util as tu
from cotan._src.tree_util import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    Partial,
    PyTreeDef,
    SequenceKey,
    keystr,
    register_dataclass,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_static,
    tree_all,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_map_with_path,
    tree_reduce,
    tree_structure,
    tree_transpose,
    tree_unflatten,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
)

Point = collections.namedtuple("Point", ["x", "y"])


class Empty(collections.namedtuple("Empty", [])):
    pass


# ---------------------------------------------------------------------------
# Custom node types used across tests (registered once at import)
# ---------------------------------------------------------------------------

class Box:
    """Registered with register_pytree_node: children (a, b), aux = tag."""

    def __init__(self, a, b, tag="t"):
        self.a, self.b, self.tag = a, b, tag

    def __eq__(self, other):
        return (type(other) is Box and self.a == other.a and self.b == other.b
                and self.tag == other.tag)

    def __repr__(self):
        return f"Box({self.a!r}, {self.b!r}, {self.tag!r})"


register_pytree_node(Box, lambda b: ((b.a, b.b), b.tag),
                     lambda tag, ch: Box(ch[0], ch[1], tag))


@register_pytree_node_class
class Pair:
    def __init__(self, first, second, name):
        self.first, self.second, self.name = first, second, name

    def tree_flatten(self):
        return (self.first, self.second), self.name

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        return cls(*children, aux_data)


class Keyed:
    def __init__(self, u, v):
        self.u, self.v = u, v


register_pytree_with_keys(
    Keyed,
    lambda k: (((GetAttrKey("u"), k.u), (GetAttrKey("v"), k.v)), None),
    lambda aux, ch: Keyed(*ch))


@register_dataclass
@dataclasses.dataclass
class DC:
    w: object
    b: object
    act: str = dataclasses.field(default="relu", metadata=dict(static=True))


@dataclasses.dataclass
class DC2:
    x: object
    n: int


register_dataclass(DC2, data_fields=["x"], meta_fields=["n"])


@register_static
class StaticThing:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return type(other) is StaticThing and self.v == other.v

    def __hash__(self):
        return hash(self.v)


def roundtrip(tree, **kw):
    leaves, td = tree_flatten(tree, **kw)
    assert td.num_leaves == len(leaves)
    return leaves, td, tree_unflatten(td, leaves)


# ---------------------------------------------------------------------------
# Round trips for every node type
# ---------------------------------------------------------------------------

def test_leaf():
    x = np.arange(3)
    leaves, td, back = roundtrip(x)
    assert leaves[0] is x and back is x
    assert td.num_leaves == 1 and td.num_nodes == 1
    assert repr(td) == "PyTreeDef(*)"
    assert tree_leaves(3.0) == [3.0]


def test_tuple_list_roundtrip():
    tree = (1, [2, 3], (4, (5,)), [])
    leaves, td, back = roundtrip(tree)
    assert leaves == [1, 2, 3, 4, 5]
    assert back == tree
    assert type(back[1]) is list and type(back[2]) is tuple
    assert repr(td) == "PyTreeDef((*, [*, *], (*, (*,)), []))"
    assert td.num_nodes == 10   # 5 containers + 5 leaves


def test_dict_sorted_keys():
    tree = {"b": 1, "a": 2, "c": {"z": 3, "y": 4}}
    leaves, td, back = roundtrip(tree)
    assert leaves == [2, 1, 4, 3]
    assert back == tree
    assert list(back) == ["a", "b", "c"]          # sorted, as in JAX
    assert list(back["c"]) == ["y", "z"]
    # insertion order of the input does not matter
    assert tree_structure({"a": 0, "b": 0, "c": {"y": 0, "z": 0}}) == td
    assert repr(td) == "PyTreeDef({'a': *, 'b': *, 'c': {'y': *, 'z': *}})"


def test_dict_int_keys_sorted_numerically():
    leaves, td = tree_flatten({10: "a", 2: "b", 1: "c"})
    assert leaves == ["c", "b", "a"]


def test_none_is_node_not_leaf():
    assert tree_leaves(None) == []
    assert tree_leaves([None, 1, (None,)]) == [1]
    td = tree_structure(None)
    assert td.num_leaves == 0 and td.num_nodes == 1
    assert repr(td) == "PyTreeDef(None)"
    assert tree_unflatten(td, []) is None
    tree = (1, None, {"a": None, "b": 2})
    leaves, td, back = roundtrip(tree)
    assert leaves == [1, 2] and back == tree
    assert repr(td) == "PyTreeDef((*, None, {'a': None, 'b': *}))"
    # tree_map skips None
    assert tree_map(lambda x: x * 10, tree) == (10, None, {"a": None, "b": 20})
    # ... unless is_leaf says otherwise
    assert tree_leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]


def test_namedtuple():
    tree = Point(1, (2, 3))
    leaves, td, back = roundtrip(tree)
    assert leaves == [1, 2, 3]
    assert type(back) is Point and back == tree
    assert repr(td) == "PyTreeDef(Point(x=*, y=(*, *)))"
    # a namedtuple is not the same structure as a plain tuple
    assert td != tree_structure((1, (2, 3)))
    assert td.node_data() == (Point, None)
    # empty namedtuple subclass
    leaves, td, back = roundtrip(Empty())
    assert leaves == [] and type(back) is Empty


def test_tuple_subclass_without_fields_is_leaf():
    class MyTuple(tuple):
        pass

    t = MyTuple((1, 2))
    assert tree_leaves(t) == [t]


def test_ordered_dict_keeps_insertion_order():
    tree = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, td, back = roundtrip(tree)
    assert leaves == [1, 2]
    assert type(back) is collections.OrderedDict
    assert list(back.items()) == [("b", 1), ("a", 2)]
    assert td != tree_structure({"b": 1, "a": 2})
    assert td != tree_structure(collections.OrderedDict([("a", 2), ("b", 1)]))


def test_defaultdict():
    tree = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, td, back = roundtrip(tree)
    assert leaves == [2, 1]
    assert type(back) is collections.defaultdict
    assert back.default_factory is list
    assert dict(back) == {"a": 2, "b": 1}
    assert td != tree_structure(collections.defaultdict(set, {"b": 1, "a": 2}))
    assert td == tree_structure(collections.defaultdict(list, {"a": 0, "b": 0}))
    assert "defaultdict(<class 'list'>, {'a': *, 'b': *})" in repr(td)


def test_dict_subclass_is_leaf():
    class MyDict(dict):
        pass

    d = MyDict(a=1)
    assert tree_leaves(d) == [d]


def test_empty_containers_are_nodes():
    for tree in [(), [], {}]:
        leaves, td, back = roundtrip(tree)
        assert leaves == [] and back == tree and type(back) is type(tree)
        assert td.num_nodes == 1
    assert tree_structure(()) != tree_structure([])
    assert tree_structure(()) != tree_structure(None)


def test_custom_registered_node():
    tree = Box(1, [2, 3], tag="hello")
    leaves, td, back = roundtrip(tree)
    assert leaves == [1, 2, 3]
    assert back == tree
    assert td == tree_structure(Box(0, [0, 0], tag="hello"))
    assert td != tree_structure(Box(0, [0, 0], tag="other"))
    assert "CustomNode(Box['hello'], [*, [*, *]])" in repr(td)
    assert td.node_data() == (Box, "hello")


def test_custom_subclass_is_leaf():
    class SubBox(Box):
        pass

    s = SubBox(1, 2)
    assert tree_leaves(s) == [s]


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="Duplicate"):
        register_pytree_node(Box, lambda b: ((), None), lambda a, c: None)
    with pytest.raises(ValueError):
        register_pytree_node(tuple, lambda b: ((), None), lambda a, c: None)


def test_registration_after_use_as_leaf():
    class Late:
        def __init__(self, v):
            self.v = v

    obj = Late(5)
    assert tree_leaves([obj]) == [obj]            # leaf, type now cached
    register_pytree_node(Late, lambda o: ((o.v,), None),
                         lambda aux, ch: Late(ch[0]))
    assert tree_leaves([obj]) == [5]              # cache invalidated


def test_register_pytree_node_class():
    p = Pair(1, {"a": 2}, name="nm")
    leaves, td, back = roundtrip(p)
    assert leaves == [1, 2]
    assert isinstance(back, Pair) and back.name == "nm"
    assert back.first == 1 and back.second == {"a": 2}
    assert tree_map(lambda x: -x, p).second == {"a": -2}


def test_register_dataclass_decorator_infers_meta():
    d = DC(w=np.ones(2), b=3.0, act="tanh")
    leaves, td, back = roundtrip(d)
    assert len(leaves) == 2 and leaves[1] == 3.0
    assert isinstance(back, DC) and back.act == "tanh"
    assert td != tree_structure(DC(w=1, b=2, act="relu"))   # meta in treedef
    assert td == tree_structure(DC(w=0, b=0, act="tanh"))
    paths = [keystr(p) for p, _ in tree_leaves_with_path(d)]
    assert paths == [".w", ".b"]


def test_register_dataclass_call_form():
    d = DC2(x=[1, 2], n=7)
    leaves, td, back = roundtrip(d)
    assert leaves == [1, 2]
    assert back == d
    assert tree_structure(DC2(x=[0, 0], n=8)) != td


def test_register_dataclass_validation():
    @dataclasses.dataclass
    class Bad:
        a: int
        b: int

    with pytest.raises(ValueError):
        register_dataclass(Bad, data_fields=["a"], meta_fields=[])
    with pytest.raises(TypeError):
        register_dataclass(Bad, data_fields=["a"])

    class NotDC:
        pass

    with pytest.raises(TypeError):
        register_dataclass(NotDC)


def test_register_static():
    s = StaticThing(3)
    leaves, td, back = roundtrip([s, 1])
    assert leaves == [1]
    assert back[0] == s
    assert tree_structure([StaticThing(3), 0]) == td
    assert tree_structure([StaticThing(4), 0]) != td


def test_keyed_registration_paths():
    k = Keyed(1, [2])
    assert [keystr(p) for p, _ in tree_leaves_with_path(k)] == [".u", ".v[0]"]
    leaves, td, back = roundtrip(k)
    assert leaves == [1, 2] and isinstance(back, Keyed) and back.v == [2]


# ---------------------------------------------------------------------------
# Partial
# ---------------------------------------------------------------------------

def test_partial_is_pytree_and_callable():
    def f(a, b, c=0):
        return a * 100 + b * 10 + c

    p = Partial(f, 1, c=3)
    assert isinstance(p, functools.partial)
    assert p(2) == 123
    leaves, td = tree_flatten(p)
    assert leaves == [1, 3]
    q = tree_unflatten(td, [4, 5])
    assert isinstance(q, Partial) and q.func is f
    assert q(6) == 465
    assert tree_map(lambda x: x + 1, p)(0) == 204
    # func is static: same func -> same treedef, other func -> different
    assert tree_structure(Partial(f, 9, c=9)) == td
    assert tree_structure(Partial(lambda *a, **k: 0, 1, c=3)) != td


def test_nested_partial():
    def f(a, b, c):
        return a + 2 * b + 3 * c

    inner = Partial(f, 1)
    outer = Partial(inner, 2)
    assert outer(3) == 1 + 4 + 9
    assert outer.func is inner            # not merged into a single partial
    # as in JAX, the wrapped partial is static: only the outer args are leaves
    assert tree_leaves(outer) == [2]
    assert tree_map(lambda x: x * 10, outer)(3) == 1 + 40 + 9
    assert tree_structure(Partial(inner, 0)) == tree_structure(outer)
    # a Partial passed as an argument is a child subtree
    p = Partial(f, Partial(f, 1, 1), 5)
    assert tree_leaves(p) == [1, 1, 5]


def test_functools_partial_is_leaf():
    p = functools.partial(max, 1)
    assert tree_leaves(p) == [p]


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------

def test_treedef_equality_and_hash():
    a = tree_structure((1, {"a": 2, "b": None}, [3]))
    b = tree_structure(("x", {"b": None, "a": "y"}, ["z"]))
    c = tree_structure((1, {"a": 2, "b": 0}, [3]))
    assert a == b and hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert tree_structure(Box(1, 2, "t")) == tree_structure(Box(3, 4, "t"))
    assert hash(tree_structure(Box(1, 2, "t"))) == hash(tree_structure(Box(3, 4, "t")))
    assert a != "not a treedef"


def test_treedef_repr():
    assert repr(tree_structure((1, {"a": 2, "b": None}))) == \
        "PyTreeDef((*, {'a': *, 'b': None}))"
    assert repr(tree_structure([1, (2,)])) == "PyTreeDef([*, (*,)])"
    assert str(tree_structure({})) == "PyTreeDef({})"


def test_treedef_immutable_and_not_constructible():
    td = tree_structure((1, 2))
    with pytest.raises(AttributeError):
        td._nodes = ()
    with pytest.raises(AttributeError):
        td.foo = 1
    with pytest.raises(TypeError):
        PyTreeDef()


def test_treedef_counts_children_node_data():
    td = tree_structure((1, [2, None], {"k": 3}))
    assert td.num_leaves == 3
    assert td.num_nodes == 7   # tuple, list, None, dict + 3 leaves
    kids = td.children()
    assert kids == [tree_structure(0), tree_structure([0, None]),
                    tree_structure({"k": 0})]
    assert treedef_children(td) == kids
    assert td.node_data() == (tuple, None)
    assert kids[2].node_data() == (dict, ("k",))
    assert tree_structure(1).node_data() is None
    assert tree_structure(1).children() == []


def test_treedef_is_leaf():
    assert treedef_is_leaf(tree_structure(1))
    assert treedef_is_leaf(tree_structure(None))       # JAX semantics
    assert not treedef_is_leaf(tree_structure((1,)))


def test_treedef_tuple_and_compose():
    t1, t2 = tree_structure([1, 2]), tree_structure({"a": 1})
    tt = treedef_tuple([t1, t2])
    assert tt == tree_structure(([0, 0], {"a": 0}))
    comp = tree_structure((0, 0)).compose(tree_structure([0, None, 0]))
    assert comp == tree_structure(([0, None, 0], [0, None, 0]))
    assert comp.num_leaves == 4


def test_unflatten_wrong_leaf_count():
    td = tree_structure((1, {"a": 2, "b": 3}))
    with pytest.raises(ValueError) as e:
        tree_unflatten(td, [1, 2])
    msg = str(e.value)
    assert "expected 3" in msg and "got 2" in msg
    with pytest.raises(ValueError) as e:
        tree_unflatten(td, [1, 2, 3, 4])
    assert "expected 3" in str(e.value) and "got 4" in str(e.value)
    with pytest.raises(ValueError):
        tree_unflatten(tree_structure(1), [])
    with pytest.raises(ValueError):
        tree_unflatten(tree_structure((1, None)), [1, 2])


def test_unflatten_accepts_iterables():
    td = tree_structure([1, (2, 3)])
    assert tree_unflatten(td, iter([4, 5, 6])) == [4, (5, 6)]
    assert tree_unflatten(td, (x for x in "abc")) == ["a", ("b", "c")]


def test_flat_fast_path_does_not_confuse_empty_nodes():
    # one leaf + one childless node: same node count as a flat 2-tuple
    td = tree_structure((1, None))
    assert tree_unflatten(td, [7]) == (7, None)
    td = tree_structure([(), 1])
    assert tree_unflatten(td, [7]) == [(), 7]


def test_flatten_up_to():
    td = tree_structure((1, {"a": 2, "b": 3}))
    subtrees = td.flatten_up_to(([1, 2], {"b": (5, 6), "a": None}))
    assert subtrees == [[1, 2], None, (5, 6)]
    assert tree_structure(1).flatten_up_to({"x": 1}) == [{"x": 1}]
    assert tree_structure((0, None)).flatten_up_to((4, None)) == [4]
    assert tree_structure(Point(0, 0)).flatten_up_to(Point([1], 2)) == [[1], 2]
    box_td = tree_structure(Box(0, 0, "t"))
    assert box_td.flatten_up_to(Box((1, 2), 3, "t")) == [(1, 2), 3]


@pytest.mark.parametrize("prefix, tree, fragment", [
    ((0, 0), (1, 2, 3), "arity"),
    ((0, 0), [1, 2], "Expected tuple"),
    ({"a": 0, "b": 0}, {"a": 1, "c": 2}, "key mismatch"),
    ((0, None), (1, 2), "Expected None"),
    (Point(0, 0), (1, 2), "Point"),
    (Box(0, 0, "t"), Box(0, 0, "u"), "custom node data"),
    (Box(0, 0, "t"), (0, 0), "Custom node type mismatch"),
    (collections.OrderedDict(a=0), {"a": 1}, "OrderedDict"),
])
def test_flatten_up_to_mismatch_messages(prefix, tree, fragment):
    td = tree_structure(prefix)
    with pytest.raises(ValueError) as e:
        td.flatten_up_to(tree)
    msg = str(e.value)
    assert fragment in msg
    assert repr(td) in msg                       # expected structure
    assert repr(tree_structure(tree)) in msg     # actual structure


# ---------------------------------------------------------------------------
# tree_map & friends
# ---------------------------------------------------------------------------

def test_tree_map_single_and_multiple():
    t1 = {"a": 1, "b": (2, 3)}
    t2 = {"a": 10, "b": (20, 30)}
    t3 = {"b": (200, 300), "a": 100}
    assert tree_map(lambda x: x + 1, t1) == {"a": 2, "b": (3, 4)}
    assert tree_map(lambda x, y, z: x + y + z, t1, t2, t3) == \
        {"a": 111, "b": (222, 333)}


def test_tree_map_prefix_rest():
    # leaves of the first tree may face whole subtrees in the others
    out = tree_map(lambda x, y: (x, y), {"a": 1, "b": 2},
                   {"a": [1, 2], "b": {"c": 3}})
    assert out == {"a": (1, [1, 2]), "b": (2, {"c": 3})}


def test_tree_map_is_leaf():
    tree = {"a": (1, 2), "b": [(3, 4)]}
    out = tree_map(lambda t: sum(t), tree,
                   is_leaf=lambda x: type(x) is tuple)
    assert out == {"a": 3, "b": [7]}
    # is_leaf on the root
    assert tree_map(len, [1, 2], is_leaf=lambda x: isinstance(x, list)) == 2
    # is_leaf with several trees: the others are flattened up to the first
    out = tree_map(lambda t, y: (sum(t), y), tree, {"a": "A", "b": ["B"]},
                   is_leaf=lambda x: type(x) is tuple)
    assert out == {"a": (3, "A"), "b": [(7, "B")]}


def test_tree_map_mismatch_errors_name_both_structures():
    with pytest.raises(ValueError) as e:
        tree_map(lambda x, y: x, (1, (2, 3)), (1, (2,)))
    msg = str(e.value)
    assert "PyTreeDef((*, (*, *)))" in msg and "PyTreeDef((*, (*,)))" in msg
    with pytest.raises(ValueError) as e:
        tree_map(lambda x, y: x, Box(1, 2, "t"), Box(1, 2, "other"))
    msg = str(e.value)
    assert "CustomNode(Box['t']" in msg and "CustomNode(Box['other']" in msg
    with pytest.raises(ValueError) as e:
        tree_map(lambda x, y: x, {"a": 1}, {"b": 1})
    assert "{'a': *}" in str(e.value) and "{'b': *}" in str(e.value)
    with pytest.raises(ValueError):
        tree_map(lambda x, y: x, [1, 2], (1, 2))


def test_tree_map_with_arrays():
    tree = (np.ones(2), {"w": np.zeros((2, 2))})
    out = tree_map(lambda x, y: x + y, tree, tree)
    assert np.array_equal(out[0], 2 * np.ones(2))
    assert out[1]["w"].shape == (2, 2)


def test_tree_reduce():
    tree = [1, (2, {"a": 3})]
    assert tree_reduce(operator.add, tree) == 6
    assert tree_reduce(operator.add, tree, 10) == 16
    assert tree_reduce(operator.add, [], 5) == 5
    with pytest.raises(TypeError):
        tree_reduce(operator.add, [])                       # no initializer
    assert tree_reduce(lambda a, t: a + len(t), [(1, 2), (3,)], 0,
                       is_leaf=lambda x: type(x) is tuple) == 3
    # initializer None is a real initializer, not "missing"
    assert tree_reduce(lambda a, b: b if a is None else a + b, [1, 2], None) == 3


def test_tree_all():
    assert tree_all([True, (1, {"a": True})])
    assert not tree_all([True, (0, {"a": True})])
    assert tree_all([])
    assert tree_all(None)
    assert not tree_all([None], is_leaf=lambda x: x is None)


def test_tree_transpose():
    outer = tree_structure([0, 0, 0])
    inner = tree_structure({"a": 0, "b": 0})
    tree = [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": 6}]
    out = tree_transpose(outer, inner, tree)
    assert out == {"a": [1, 3, 5], "b": [2, 4, 6]}
    assert tree_transpose(outer, None, tree) == out
    back = tree_transpose(inner, outer, out)
    assert back == tree
    with pytest.raises(TypeError):
        tree_transpose(outer, inner, [{"a": 1, "b": 2}, {"a": 3}, {"a": 5, "b": 6}])
    with pytest.raises(TypeError):
        tree_transpose(outer, inner, ({"a": 1, "b": 2},) * 3)


def test_all_leaves():
    assert tu.all_leaves([1, np.ones(2), "s"])
    assert not tu.all_leaves([1, (2,)])
    assert not tu.all_leaves([None])


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------

def test_flatten_with_path():
    tree = {"b": [10, Point(20, 30)], "a": (40,), "c": None,
            "d": Box(50, 60, "t")}
    keyed, td = tree_flatten_with_path(tree)
    assert td == tree_structure(tree)
    assert [x for _, x in keyed] == tree_leaves(tree)
    paths = [p for p, _ in keyed]
    assert paths[0] == (DictKey("a"), SequenceKey(0))
    assert paths[1] == (DictKey("b"), SequenceKey(0))
    assert paths[2] == (DictKey("b"), SequenceKey(1), GetAttrKey("x"))
    assert paths[4] == (DictKey("d"), FlattenedIndexKey(0))
    assert [keystr(p) for p in paths] == [
        "['a'][0]", "['b'][0]", "['b'][1].x", "['b'][1].y",
        "['d'][<flat index 0>]", "['d'][<flat index 1>]"]
    assert keystr(paths[2], simple=True, separator="/") == "b/1/x"
    assert tree_leaves_with_path(5) == [((), 5)]


def test_key_objects():
    assert SequenceKey(1) == SequenceKey(1) != SequenceKey(2)
    assert hash(DictKey("a")) == hash(DictKey("a"))
    assert DictKey(0) != SequenceKey(0)
    assert repr(SequenceKey(3)) == "SequenceKey(idx=3)"
    assert repr(DictKey("k")) == "DictKey(key='k')"
    assert repr(GetAttrKey("n")) == "GetAttrKey(name='n')"
    assert str(GetAttrKey("n")) == ".n"
    assert SequenceKey(3).idx == 3 and DictKey("k").key == "k"
    assert GetAttrKey("n").name == "n" and FlattenedIndexKey(2).key == 2


def test_flatten_with_path_is_leaf():
    tree = {"a": (1, 2), "b": 3}
    keyed, _ = tree_flatten_with_path(tree, is_leaf=lambda x: type(x) is tuple)
    assert keyed == [((DictKey("a"),), (1, 2)), ((DictKey("b"),), 3)]


def test_tree_map_with_path():
    tree = {"x": [1, 2], "y": 3}
    out = tree_map_with_path(lambda p, v: keystr(p) + "=" + str(v), tree)
    assert out == {"x": ["['x'][0]=1", "['x'][1]=2"], "y": "['y']=3"}
    out = tree_map_with_path(lambda p, a, b: (len(p), a + b), tree,
                             {"x": [10, 20], "y": 30})
    assert out == {"x": [(2, 11), (2, 22)], "y": (1, 33)}
    with pytest.raises(ValueError):
        tree_map_with_path(lambda p, a, b: a, tree, {"x": [1], "y": 3})


# ---------------------------------------------------------------------------
# Deep trees and caches
# ---------------------------------------------------------------------------

def _deep(depth):
    t = "leaf"
    for i in range(depth):
        t = [t, {"i": i}] if i % 2 else [t]
    return t


def _check_deep(t, depth, leaf_fn=lambda x: x):
    # iterative walk (== on deep lists would itself hit the recursion limit)
    for i in reversed(range(depth)):
        assert type(t) is list
        if i % 2:
            assert t[1] == {"i": leaf_fn(i)}
        t = t[0]
    assert t == leaf_fn("leaf")


def test_deep_tree_no_recursion_error():
    depth = 5000
    tree = _deep(depth)
    leaves, td = tree_flatten(tree)
    assert leaves[0] == "leaf" and len(leaves) == 1 + depth // 2
    back = tree_unflatten(td, leaves)
    _check_deep(back, depth)
    assert td == tree_structure(back) and hash(td) == hash(tree_structure(back))
    assert repr(td).startswith("PyTreeDef([[[[")
    assert len(td.flatten_up_to(back)) == td.num_leaves
    mapped = tree_map(lambda x: x if isinstance(x, str) else x * 2, tree)
    _check_deep(mapped, depth, lambda x: x if isinstance(x, str) else x * 2)
    keyed, td2 = tree_flatten_with_path(tree)
    assert td2 == td and len(keyed[0][0]) == depth
    assert len(td.children()) == 2
    # mismatch reporting on a deep tree works too
    other = _deep(depth)
    inner = other
    for _ in range(100):
        inner = inner[0]
    inner[1] = {"j": 0}
    with pytest.raises(ValueError, match="key mismatch"):
        td.flatten_up_to(other)


def test_flat_treedef_cache_is_consistent():
    # the fast path caches treedefs; they must still compare correctly
    a = tree_structure((1, 2, 3))
    b = tree_structure((np.ones(1), "x", 3.0))
    assert a == b and a is b
    assert tree_structure({"a": 1, "b": 2}) == tree_structure({"b": 0, "a": 0})
    assert tree_structure((1, 2)) != tree_structure([1, 2])
    # first-time leaf types go through the general path, same result
    class Fresh:
        pass
    assert tree_structure((Fresh(), 1)) == tree_structure((0, 1))


def test_treedef_not_picklable_but_copyable():
    import copy
    td = tree_structure((1, 2))
    assert copy.copy(td) is td and copy.deepcopy(td) is td
    with pytest.raises(TypeError):
        pickle.dumps(td)
