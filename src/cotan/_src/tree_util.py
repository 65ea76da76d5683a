"""Pytrees: flattening nested containers into leaves plus a structure.

This module mirrors the public behaviour of ``jax.tree_util``:

* Built-in node types are ``tuple``, ``list``, ``dict`` (children in sorted
  key order), ``None`` (a node with no children), namedtuples (any ``tuple``
  subclass with ``_fields``), ``collections.OrderedDict`` (insertion order) and
  ``collections.defaultdict`` (sorted keys, ``default_factory`` kept).
* Further node types can be registered with :func:`register_pytree_node`,
  :func:`register_pytree_with_keys`, :func:`register_pytree_node_class`,
  :func:`register_dataclass` and :func:`register_static`.
* Everything else is a leaf.  Lookup is by *exact* type, so subclasses of a
  registered type are leaves unless registered themselves (namedtuples are the
  one structural exception).

Implementation notes
--------------------
A :class:`PyTreeDef` stores its nodes as a flat, post-order tuple of
``(spec, aux_data, arity)`` entries (a leaf is ``(None, None, 0)``).  All
traversals (flatten, unflatten, repr, ``flatten_up_to``, paths) use explicit
stacks, so arbitrarily deep trees never hit Python's recursion limit, and
equality/hashing are plain comparisons of a flat tuple.

``tree_flatten`` has fast paths for the common case of a single tuple, list or
dict whose children are all leaves; the resulting treedefs are cached.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import operator
import reprlib
from typing import Any, Callable, Hashable, Iterable, NamedTuple, Sequence

__all__ = [
    "PyTreeDef",
    "Partial",
    "SequenceKey",
    "DictKey",
    "GetAttrKey",
    "FlattenedIndexKey",
    "all_leaves",
    "keystr",
    "register_dataclass",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
    "register_static",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
]


# ---------------------------------------------------------------------------
# Key path entries
# ---------------------------------------------------------------------------

class SequenceKey:
    """Path entry for the ``idx``-th child of a sequence node."""

    __slots__ = ("idx",)

    def __init__(self, idx: int):
        object.__setattr__(self, "idx", idx)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __str__(self):
        return f"[{self.idx!r}]"

    def __repr__(self):
        return f"SequenceKey(idx={self.idx!r})"

    def __eq__(self, other):
        if type(other) is not SequenceKey:
            return NotImplemented
        return self.idx == other.idx

    def __hash__(self):
        return hash((SequenceKey, self.idx))


class DictKey:
    """Path entry for the child of a mapping node stored under ``key``."""

    __slots__ = ("key",)

    def __init__(self, key: Hashable):
        object.__setattr__(self, "key", key)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __str__(self):
        return f"[{self.key!r}]"

    def __repr__(self):
        return f"DictKey(key={self.key!r})"

    def __eq__(self, other):
        if type(other) is not DictKey:
            return NotImplemented
        return self.key == other.key

    def __hash__(self):
        return hash((DictKey, self.key))


class GetAttrKey:
    """Path entry for the child stored in attribute ``name``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        object.__setattr__(self, "name", name)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __str__(self):
        return f".{self.name}"

    def __repr__(self):
        return f"GetAttrKey(name={self.name!r})"

    def __eq__(self, other):
        if type(other) is not GetAttrKey:
            return NotImplemented
        return self.name == other.name

    def __hash__(self):
        return hash((GetAttrKey, self.name))


class FlattenedIndexKey:
    """Path entry for the ``key``-th child of a custom node without keys."""

    __slots__ = ("key",)

    def __init__(self, key: int):
        object.__setattr__(self, "key", key)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __str__(self):
        return f"[<flat index {self.key}>]"

    def __repr__(self):
        return f"FlattenedIndexKey(key={self.key!r})"

    def __eq__(self, other):
        if type(other) is not FlattenedIndexKey:
            return NotImplemented
        return self.key == other.key

    def __hash__(self):
        return hash((FlattenedIndexKey, self.key))


def _simple_key_str(k) -> str:
    if isinstance(k, SequenceKey):
        return str(k.idx)
    if isinstance(k, DictKey):
        return str(k.key)
    if isinstance(k, GetAttrKey):
        return str(k.name)
    if isinstance(k, FlattenedIndexKey):
        return str(k.key)
    return str(k)


def keystr(keys: Sequence[Any], *, simple: bool = False,
           separator: str = "") -> str:
    """Render a key path such as ``(DictKey('a'), SequenceKey(0))``.

    By default gives ``"['a'][0]"``; with ``simple=True`` the bare key values
    are joined by ``separator`` (``keystr(p, simple=True, separator='/')``
    gives ``"a/0"``).
    """
    if simple:
        return separator.join(_simple_key_str(k) for k in keys)
    return separator.join(str(k) for k in keys)


# ---------------------------------------------------------------------------
# Node specifications (the registry)
# ---------------------------------------------------------------------------

class _NodeSpec:
    """How to take apart and rebuild one kind of pytree node.

    ``flatten(x) -> (children_sequence, aux)``;
    ``unflatten(aux, children_list) -> node``;
    ``flatten_with_keys(x) -> (((key, child), ...), aux)``;
    ``fmt(aux, child_strings) -> str`` renders the node in a treedef repr;
    ``match(x, aux, arity) -> children`` (for ``flatten_up_to``) returns the
    children of ``x`` laid out like the treedef's, or a string explaining why
    ``x`` does not match.
    """

    __slots__ = ("type", "flatten", "unflatten", "flatten_with_keys", "fmt",
                 "match", "name")

    def __init__(self, type_, flatten, unflatten, flatten_with_keys, fmt,
                 match, name):
        self.type = type_
        self.flatten = flatten
        self.unflatten = unflatten
        self.flatten_with_keys = flatten_with_keys
        self.fmt = fmt
        self.match = match
        self.name = name

    def __repr__(self):
        return f"<pytree node spec {self.name}>"


def _type_name(t) -> str:
    return getattr(t, "__qualname__", None) or getattr(t, "__name__", repr(t))


def _sorted_keys(d) -> list:
    try:
        return sorted(d)
    except TypeError:
        # Keys of mutually incomparable types: keep insertion order.  Matching
        # in flatten_up_to is by key, so this is still well defined.
        return list(d)


def _aux_equal(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # e.g. arrays in aux data
        return False


_short_repr = reprlib.Repr()
_short_repr.maxother = 120
_short_repr.maxstring = 60


def _describe(x) -> str:
    """Short, never-failing description of a value for error messages."""
    try:
        s = _short_repr.repr(x)
    except Exception:
        s = f"<{type(x).__name__} object>"
    return f"{type(x).__name__} {s}"


# -- tuple -------------------------------------------------------------------

def _tuple_flatten(x):
    return x, None


def _tuple_unflatten(aux, children):
    return tuple(children)


def _tuple_keys(x):
    return [(SequenceKey(i), c) for i, c in enumerate(x)], None


def _tuple_fmt(aux, ch):
    if len(ch) == 1:
        return f"({ch[0]},)"
    return "(" + ", ".join(ch) + ")"


def _tuple_match(x, aux, arity):
    if type(x) is not tuple:
        return f"Expected tuple, got {_describe(x)}."
    if len(x) != arity:
        return f"Tuple arity mismatch: got {len(x)} elements, expected {arity}; tuple: {_describe(x)}."
    return x


# -- list --------------------------------------------------------------------

def _list_flatten(x):
    return x, None


def _list_unflatten(aux, children):
    return list(children)


def _list_fmt(aux, ch):
    return "[" + ", ".join(ch) + "]"


def _list_match(x, aux, arity):
    if type(x) is not list:
        return f"Expected list, got {_describe(x)}."
    if len(x) != arity:
        return f"List arity mismatch: got {len(x)} elements, expected {arity}; list: {_describe(x)}."
    return x


# -- dict --------------------------------------------------------------------

def _dict_flatten(x):
    keys = _sorted_keys(x)
    return [x[k] for k in keys], tuple(keys)


def _dict_unflatten(aux, children):
    return dict(zip(aux, children))


def _dict_keys(x):
    keys = _sorted_keys(x)
    return [(DictKey(k), x[k]) for k in keys], tuple(keys)


def _dict_body(keys, ch):
    return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(keys, ch)) + "}"


def _dict_fmt(aux, ch):
    return _dict_body(aux, ch)


def _match_keys(x, keys, kind):
    if len(x) != len(keys) or any(k not in x for k in keys):
        return (f"{kind} key mismatch; expected keys: {list(keys)!r}; "
                f"got keys: {list(_sorted_keys(x))!r}; {kind.lower()}: {_describe(x)}.")
    return [x[k] for k in keys]


def _dict_match(x, aux, arity):
    if type(x) is not dict:
        return f"Expected dict, got {_describe(x)}."
    return _match_keys(x, aux, "Dict")


# -- None --------------------------------------------------------------------

def _none_flatten(x):
    return (), None


def _none_unflatten(aux, children):
    return None


def _none_keys(x):
    return (), None


def _none_fmt(aux, ch):
    return "None"


def _none_match(x, aux, arity):
    if x is not None:
        return f"Expected None, got {_describe(x)}."
    return ()


# -- namedtuple ----------------------------------------------------------------

def _nt_flatten(x):
    return x, type(x)


def _nt_unflatten(aux, children):
    return aux(*children)


def _nt_keys(x):
    return [(GetAttrKey(f), c) for f, c in zip(type(x)._fields, x)], type(x)


def _nt_fmt(aux, ch):
    return (f"{aux.__name__}("
            + ", ".join(f"{f}={c}" for f, c in zip(aux._fields, ch)) + ")")


def _nt_match(x, aux, arity):
    if type(x) is not aux:
        return f"Expected named tuple of type {_type_name(aux)}, got {_describe(x)}."
    return x


# -- OrderedDict ---------------------------------------------------------------

def _od_flatten(x):
    keys = tuple(x)
    return [x[k] for k in keys], keys


def _od_unflatten(aux, children):
    return collections.OrderedDict(zip(aux, children))


def _od_keys(x):
    keys = tuple(x)
    return [(DictKey(k), x[k]) for k in keys], keys


def _od_fmt(aux, ch):
    return f"OrderedDict({_dict_body(aux, ch)})"


def _od_match(x, aux, arity):
    if type(x) is not collections.OrderedDict:
        return f"Expected collections.OrderedDict, got {_describe(x)}."
    return _match_keys(x, aux, "OrderedDict")


# -- defaultdict ---------------------------------------------------------------

def _dd_flatten(x):
    keys = _sorted_keys(x)
    return [x[k] for k in keys], (x.default_factory, tuple(keys))


def _dd_unflatten(aux, children):
    return collections.defaultdict(aux[0], zip(aux[1], children))


def _dd_keys(x):
    keys = _sorted_keys(x)
    return [(DictKey(k), x[k]) for k in keys], (x.default_factory, tuple(keys))


def _dd_fmt(aux, ch):
    return f"defaultdict({aux[0]!r}, {_dict_body(aux[1], ch)})"


def _dd_match(x, aux, arity):
    if type(x) is not collections.defaultdict:
        return f"Expected collections.defaultdict, got {_describe(x)}."
    return _match_keys(x, aux[1], "defaultdict")


def _child_key_str(spec, aux, i) -> str:
    """How the ``i``-th child of a node is written in a key path."""
    if spec is _TUPLE_SPEC or spec is _LIST_SPEC:
        return f"[{i}]"
    if spec is _DICT_SPEC or spec is _ODICT_SPEC:
        return f"[{aux[i]!r}]"
    if spec is _DDICT_SPEC:
        return f"[{aux[1][i]!r}]"
    if spec is _NAMEDTUPLE_SPEC:
        return f".{aux._fields[i]}"
    return f"[<flat index {i}>]"


_TUPLE_SPEC = _NodeSpec(tuple, _tuple_flatten, _tuple_unflatten, _tuple_keys,
                        _tuple_fmt, _tuple_match, "tuple")
_LIST_SPEC = _NodeSpec(list, _list_flatten, _list_unflatten, _tuple_keys,
                       _list_fmt, _list_match, "list")
_DICT_SPEC = _NodeSpec(dict, _dict_flatten, _dict_unflatten, _dict_keys,
                       _dict_fmt, _dict_match, "dict")
_NONE_SPEC = _NodeSpec(type(None), _none_flatten, _none_unflatten, _none_keys,
                       _none_fmt, _none_match, "None")
_NAMEDTUPLE_SPEC = _NodeSpec(None, _nt_flatten, _nt_unflatten, _nt_keys,
                             _nt_fmt, _nt_match, "namedtuple")
_ODICT_SPEC = _NodeSpec(collections.OrderedDict, _od_flatten, _od_unflatten,
                        _od_keys, _od_fmt, _od_match, "OrderedDict")
_DDICT_SPEC = _NodeSpec(collections.defaultdict, _dd_flatten, _dd_unflatten,
                        _dd_keys, _dd_fmt, _dd_match, "defaultdict")

_BUILTIN_SPECS = {
    tuple: _TUPLE_SPEC,
    list: _LIST_SPEC,
    dict: _DICT_SPEC,
    type(None): _NONE_SPEC,
    collections.OrderedDict: _ODICT_SPEC,
    collections.defaultdict: _DDICT_SPEC,
}

# Registered node types (exact type -> spec).
_registry: dict = dict(_BUILTIN_SPECS)
# Lookup cache: every type seen so far -> spec, or None for leaf types.  It is
# rebuilt from ``_registry`` whenever a new type is registered.
_spec_cache: dict = dict(_registry)
_MISSING = object()


def _resolve(t):
    """Spec for a type not yet in the cache (namedtuple or leaf)."""
    spec = _registry.get(t)
    if spec is None and issubclass(t, tuple) and hasattr(t, "_fields"):
        spec = _NAMEDTUPLE_SPEC
    if len(_spec_cache) > 50_000:  # bound the cache for dynamically made types
        _reset_cache()
    _spec_cache[t] = spec
    return spec


def _reset_cache():
    _spec_cache.clear()
    _spec_cache.update(_registry)
    _FLAT_TREEDEF_CACHE.clear()


def _custom_spec(nodetype, flatten_func, unflatten_func, flatten_with_keys_func):
    name = _type_name(nodetype)

    def flatten(x):
        children, aux = flatten_func(x)
        if type(children) is not tuple:
            children = tuple(children)
        return children, aux

    def unflatten(aux, children):
        return unflatten_func(aux, tuple(children))

    if flatten_with_keys_func is None:
        def flatten_with_keys(x):
            children, aux = flatten(x)
            return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux
    else:
        def flatten_with_keys(x):
            keyed, aux = flatten_with_keys_func(x)
            return list(keyed), aux

    def fmt(aux, ch):
        return f"CustomNode({name}[{aux!r}], [{', '.join(ch)}])"

    def match(x, aux, arity):
        if type(x) is not nodetype:
            return (f"Custom node type mismatch; expected type: {name}; "
                    f"value: {_describe(x)}.")
        children, xaux = flatten(x)
        if not _aux_equal(xaux, aux):
            return (f"Mismatch custom node data: got {xaux!r}, expected {aux!r}; "
                    f"value: {_describe(x)}.")
        if len(children) != arity:
            return (f"Custom node arity mismatch: got {len(children)} children, "
                    f"expected {arity}; "
                    f"value: {_describe(x)}.")
        return children

    return _NodeSpec(nodetype, flatten, unflatten, flatten_with_keys, fmt,
                     match, name)


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------

def _register(nodetype, spec):
    if not isinstance(nodetype, type):
        raise TypeError(f"Expected a type to register as a pytree node, got {nodetype!r}")
    if nodetype in _registry:
        raise ValueError(
            f"Duplicate custom PyTreeDef type registration for {nodetype!r}.")
    _registry[nodetype] = spec
    _reset_cache()


def register_pytree_node(nodetype: type, flatten_func: Callable,
                         unflatten_func: Callable,
                         flatten_with_keys_func: Callable | None = None) -> None:
    """Register ``nodetype`` as a pytree node.

    ``flatten_func(x) -> (children, aux_data)`` and
    ``unflatten_func(aux_data, children) -> x``.  ``aux_data`` becomes part of
    the treedef, so it should be hashable and comparable with ``==``.
    """
    _register(nodetype, _custom_spec(nodetype, flatten_func, unflatten_func,
                                     flatten_with_keys_func))


def register_pytree_with_keys(nodetype: type, flatten_with_keys: Callable,
                              unflatten_func: Callable,
                              flatten_func: Callable | None = None) -> None:
    """Register a node type whose flatten function also names its children.

    ``flatten_with_keys(x) -> (((key, child), ...), aux_data)``.
    """
    if flatten_func is None:
        def flatten_func(x):
            keyed, aux = flatten_with_keys(x)
            return [c for _, c in keyed], aux
    _register(nodetype, _custom_spec(nodetype, flatten_func, unflatten_func,
                                     flatten_with_keys))


def register_pytree_node_class(cls):
    """Class decorator: register ``cls`` using its ``tree_flatten`` method and
    ``tree_unflatten`` classmethod (``cls.tree_unflatten(aux_data, children)``).
    """
    register_pytree_node(cls, operator.methodcaller("tree_flatten"),
                         cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls):
    """Like :func:`register_pytree_node_class` but uses
    ``tree_flatten_with_keys`` (and ``tree_flatten`` when defined)."""
    flatten = (operator.methodcaller("tree_flatten")
               if hasattr(cls, "tree_flatten") else None)
    register_pytree_with_keys(cls, operator.methodcaller("tree_flatten_with_keys"),
                              cls.tree_unflatten, flatten)
    return cls


def register_dataclass(nodetype: type | None = None,
                       data_fields: Sequence[str] | None = None,
                       meta_fields: Sequence[str] | None = None,
                       drop_fields: Sequence[str] = ()):
    """Register a dataclass (or any class with the named fields) as a node.

    ``data_fields`` are children; ``meta_fields`` are static and stored in the
    treedef (they must be hashable).  When both are omitted, ``nodetype`` must
    be a dataclass and the fields are inferred: fields declared with
    ``metadata=dict(static=True)`` are meta fields, the other ``init`` fields
    are data fields.  Rebuilding calls ``nodetype(**fields)``.

    Usable as a plain decorator (``@register_dataclass``), as a call, or as a
    decorator factory (``@register_dataclass(data_fields=..., meta_fields=...)``).
    """
    if nodetype is None:
        return functools.partial(register_dataclass, data_fields=data_fields,
                                 meta_fields=meta_fields, drop_fields=drop_fields)
    if (data_fields is None) != (meta_fields is None):
        raise TypeError("register_dataclass: data_fields and meta_fields must "
                        "both be given, or both be omitted to infer them.")
    drop_fields = tuple(drop_fields)
    if data_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(
                f"register_dataclass: {nodetype!r} is not a dataclass; pass "
                "data_fields and meta_fields explicitly.")
        data_fields, meta_fields = [], []
        for f in dataclasses.fields(nodetype):
            if not f.init or f.name in drop_fields:
                continue
            if f.metadata.get("static", False):
                meta_fields.append(f.name)
            else:
                data_fields.append(f.name)
    data_fields = tuple(data_fields)
    meta_fields = tuple(meta_fields)
    if dataclasses.is_dataclass(nodetype):
        init_fields = {f.name for f in dataclasses.fields(nodetype) if f.init}
        given = set(data_fields) | set(meta_fields) | set(drop_fields)
        if given != init_fields:
            raise ValueError(
                f"register_dataclass: data_fields {list(data_fields)} + "
                f"meta_fields {list(meta_fields)} + drop_fields "
                f"{list(drop_fields)} must cover exactly the init fields of "
                f"{_type_name(nodetype)}: {sorted(init_fields)}.")

    def flatten(x):
        return (tuple(getattr(x, n) for n in data_fields),
                tuple(getattr(x, n) for n in meta_fields))

    def flatten_with_keys(x):
        return ([(GetAttrKey(n), getattr(x, n)) for n in data_fields],
                tuple(getattr(x, n) for n in meta_fields))

    def unflatten(meta, data):
        kwargs = dict(zip(meta_fields, meta))
        kwargs.update(zip(data_fields, data))
        return nodetype(**kwargs)

    register_pytree_node(nodetype, flatten, unflatten, flatten_with_keys)
    return nodetype


def register_static(cls):
    """Register ``cls`` as a node with no children: its instances are stored
    whole in the treedef (they must be hashable)."""
    register_pytree_node(cls, lambda x: ((), x), lambda aux, _: aux)
    return cls


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------

_LEAF_ENTRY = (None, None, 0)


class PyTreeDef:
    """The structure of a pytree: node types, aux data and leaf positions.

    Immutable and hashable; structurally equal treedefs are ``==`` and hash
    equally (aux data included).
    """

    __slots__ = ("_nodes", "_num_leaves", "_hash", "_flat", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError("PyTreeDef objects are made by tree_flatten / "
                        "tree_structure, not constructed directly.")

    @classmethod
    def _make(cls, nodes: tuple, num_leaves: int) -> "PyTreeDef":
        self = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(self, "_nodes", nodes)
        setattr_(self, "_num_leaves", num_leaves)
        setattr_(self, "_hash", None)
        # "flat": a lone leaf, or a single node whose children are all leaves
        # (so unflatten / flatten_up_to can skip the stack machine).
        setattr_(self, "_flat",
                 (len(nodes) == num_leaves + 1 and nodes[-1][2] == num_leaves)
                 or (num_leaves == 1 and len(nodes) == 1))
        return self

    def __setattr__(self, name, value):
        raise AttributeError("PyTreeDef is immutable")

    def __delattr__(self, name):
        raise AttributeError("PyTreeDef is immutable")

    # -- basic properties -------------------------------------------------
    @property
    def num_leaves(self) -> int:
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        return len(self._nodes)

    def node_data(self):
        """``(node_type, aux_data)`` of the root, or ``None`` for a leaf."""
        spec, aux, _ = self._nodes[-1]
        if spec is None:
            return None
        if spec is _NAMEDTUPLE_SPEC:
            return aux, None
        return spec.type, aux

    def children(self) -> list:
        """Treedefs of the root's immediate children."""
        nodes = self._nodes
        arity = nodes[-1][2]
        if arity == 0:
            return []
        # starts[i]: index of the first node of the subtree ending at stack i
        starts = []
        for i, (_, _, k) in enumerate(nodes[:-1]):
            if k:
                start = starts[-k]
                del starts[-k:]
                starts.append(start)
            else:
                starts.append(i)
        bounds = starts + [len(nodes) - 1]
        out = []
        for s, e in zip(bounds[:-1], bounds[1:]):
            sub = nodes[s:e]
            out.append(PyTreeDef._make(
                sub, sum(1 for n in sub if n[0] is None)))
        return out

    # -- equality / hashing -------------------------------------------------
    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return (self._num_leaves == other._num_leaves
                and self._nodes == other._nodes)

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        h = self._hash
        if h is None:
            h = hash(self._nodes)
            object.__setattr__(self, "_hash", h)
        return h

    def __repr__(self):
        strs = []
        for spec, aux, arity in self._nodes:
            if spec is None:
                strs.append("*")
            else:
                if arity:
                    ch = strs[-arity:]
                    del strs[-arity:]
                else:
                    ch = []
                strs.append(spec.fmt(aux, ch))
        return f"PyTreeDef({strs[0]})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("PyTreeDef objects cannot be pickled")

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    # -- unflatten ------------------------------------------------------------
    def unflatten(self, leaves: Iterable) -> Any:
        """Build a pytree with this structure from ``leaves``."""
        if type(leaves) is not list and type(leaves) is not tuple:
            leaves = list(leaves)
        n = self._num_leaves
        if len(leaves) != n:
            raise ValueError(
                f"{'Too few' if len(leaves) < n else 'Too many'} leaves for "
                f"{self}; expected {n}, got {len(leaves)}.")
        nodes = self._nodes
        if self._flat:
            spec, aux, _ = nodes[-1]
            if spec is None:
                return leaves[0]
            return spec.unflatten(aux, leaves)
        stack = []
        push = stack.append
        li = 0
        for spec, aux, arity in nodes:
            if spec is None:
                push(leaves[li])
                li += 1
            elif arity:
                ch = stack[-arity:]
                del stack[-arity:]
                push(spec.unflatten(aux, ch))
            else:
                push(spec.unflatten(aux, ()))
        return stack[0]

    # -- flatten_up_to --------------------------------------------------------
    def flatten_up_to(self, tree: Any) -> list:
        """Flatten ``tree`` down to this treedef's structure.

        ``tree`` must have this structure except that at each leaf position it
        may hold an arbitrary subtree; those subtrees are returned in leaf
        order.  Raises ``ValueError`` naming both structures on mismatch.
        """
        nodes = self._nodes
        if self._flat:
            spec, aux, arity = nodes[-1]
            if spec is None:
                return [tree]
            ch = spec.match(tree, aux, arity)
            if type(ch) is str:
                self._raise_mismatch(tree)
            return list(ch)
        out = []
        stack = [tree]
        # Walk entries in reverse post-order (root first, then children right
        # to left): each node pushes its children in order, so the last child
        # is popped first.  Output is reversed at the end.
        for spec, aux, arity in reversed(nodes):
            x = stack.pop()
            if spec is None:
                out.append(x)
                continue
            ch = spec.match(x, aux, arity)
            if type(ch) is str:
                self._raise_mismatch(tree)
            stack.extend(ch)
        out.reverse()
        return out

    def _first_mismatch(self, tree):
        """(key path string, reason) of the first mismatch, walking left to
        right."""
        stack = [(tree, "")]
        for spec, aux, arity in reversed(self._nodes):
            x, path = stack.pop()
            if spec is None:
                continue
            ch = spec.match(x, aux, arity)
            if type(ch) is str:
                return path, ch
            stack.extend((c, path + _child_key_str(spec, aux, i))
                         for i, c in enumerate(ch))
        return "", "unknown mismatch"  # pragma: no cover

    def _raise_mismatch(self, tree):
        path, reason = self._first_mismatch(tree)
        try:
            got = str(tree_structure(tree))
        except Exception as e:  # pragma: no cover - defensive
            got = f"<unflattenable: {e}>"
        where = f"at key path {path}" if path else "at the root"
        raise ValueError(
            f"Pytree structure mismatch {where}: {reason}\n"
            f"  expected a tree with structure (prefix): {self}\n"
            f"  got a tree with structure:               {got}")

    # -- composition ----------------------------------------------------------
    def compose(self, inner: "PyTreeDef") -> "PyTreeDef":
        """Treedef with ``inner`` substituted at every leaf of ``self``."""
        nodes = []
        inner_nodes = inner._nodes
        for entry in self._nodes:
            if entry[0] is None:
                nodes.extend(inner_nodes)
            else:
                nodes.append(entry)
        return PyTreeDef._make(tuple(nodes),
                               self._num_leaves * inner._num_leaves)

    def walk(self, f_node: Callable, f_leaf: Callable | None, leaves: Iterable):
        """Fold over the tree: ``f_node(children_tuple, node_data)`` at nodes,
        ``f_leaf(leaf)`` (or identity) at leaves."""
        leaves = list(leaves)
        stack = []
        li = 0
        for spec, aux, arity in self._nodes:
            if spec is None:
                x = leaves[li]
                li += 1
                stack.append(f_leaf(x) if f_leaf is not None else x)
            else:
                if arity:
                    ch = tuple(stack[-arity:])
                    del stack[-arity:]
                else:
                    ch = ()
                data = (aux, None) if spec is _NAMEDTUPLE_SPEC else (spec.type, aux)
                stack.append(f_node(ch, data))
        return stack[0]


_LEAF_TREEDEF = PyTreeDef._make((_LEAF_ENTRY,), 1)
_FLAT_TREEDEF_CACHE: dict = {}


def _flat_treedef(spec, aux, n):
    key = (spec, aux, n)
    try:
        td = _FLAT_TREEDEF_CACHE.get(key)
    except TypeError:  # unhashable aux
        return PyTreeDef._make((_LEAF_ENTRY,) * n + ((spec, aux, n),), n)
    if td is None:
        if len(_FLAT_TREEDEF_CACHE) > 4096:
            _FLAT_TREEDEF_CACHE.clear()
        td = PyTreeDef._make((_LEAF_ENTRY,) * n + ((spec, aux, n),), n)
        _FLAT_TREEDEF_CACHE[key] = td
    return td


# ---------------------------------------------------------------------------
# Flattening
# ---------------------------------------------------------------------------

def _flatten_general(tree, is_leaf):
    leaves = []
    nodes = []
    add_leaf = leaves.append
    add_node = nodes.append
    cache_get = _spec_cache.get
    stack = []
    pending = None
    it = iter((tree,))
    while True:
        for x in it:
            if is_leaf is not None and is_leaf(x):
                add_leaf(x)
                add_node(_LEAF_ENTRY)
                continue
            t = type(x)
            spec = cache_get(t, _MISSING)
            if spec is _MISSING:
                spec = _resolve(t)
            if spec is None:
                add_leaf(x)
                add_node(_LEAF_ENTRY)
                continue
            children, aux = spec.flatten(x)
            if not children:
                add_node((spec, aux, 0))
                continue
            stack.append((pending, it))
            pending = (spec, aux, len(children))
            it = iter(children)
            break
        else:
            if not stack:
                break
            add_node(pending)
            pending, it = stack.pop()
    return leaves, PyTreeDef._make(tuple(nodes), len(leaves))


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """Flatten ``tree`` into ``(leaves, treedef)``.

    ``is_leaf(x)`` returning true makes ``x`` a leaf even if it is a node.
    """
    if is_leaf is None:
        t = type(tree)
        cache_get = _spec_cache.get
        if t is tuple or t is list:
            for c in tree:
                if cache_get(type(c), _MISSING) is not None:
                    break
            else:
                return list(tree), _flat_treedef(
                    _TUPLE_SPEC if t is tuple else _LIST_SPEC, None, len(tree))
        elif t is dict:
            try:
                keys = sorted(tree)
            except TypeError:
                return _flatten_general(tree, None)
            leaves = [tree[k] for k in keys]
            for c in leaves:
                if cache_get(type(c), _MISSING) is not None:
                    break
            else:
                return leaves, _flat_treedef(_DICT_SPEC, tuple(keys), len(keys))
        else:
            spec = cache_get(t, _MISSING)
            if spec is None:
                return [tree], _LEAF_TREEDEF
    return _flatten_general(tree, is_leaf)


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable) -> Any:
    """Inverse of :func:`tree_flatten`."""
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of ``tree`` in flattening order."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any,
                   is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The treedef of ``tree``."""
    return tree_flatten(tree, is_leaf)[1]


def all_leaves(iterable: Iterable, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """True if every element of ``iterable`` is a leaf."""
    return all(tree_structure(x, is_leaf) == _LEAF_TREEDEF for x in iterable)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """True for a treedef with a single node (a leaf, ``None`` or an empty
    container), as in JAX."""
    return treedef.num_nodes == 1


def treedef_children(treedef: PyTreeDef) -> list:
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """Treedef of a tuple whose children have the given treedefs."""
    treedefs = list(treedefs)
    nodes = []
    for td in treedefs:
        nodes.extend(td._nodes)
    nodes.append((_TUPLE_SPEC, None, len(treedefs)))
    return PyTreeDef._make(tuple(nodes), sum(td._num_leaves for td in treedefs))


def _leaves_up_to(treedef, leaves, tree, rest):
    """Leaves of ``tree`` (flattened to ``treedef``) plus each of ``rest``
    flattened up to ``treedef``."""
    all_leaves_ = [leaves]
    for r in rest:
        r_leaves, r_def = tree_flatten(r)
        try:
            same = r_def == treedef
        except Exception:
            same = False
        all_leaves_.append(r_leaves if same else treedef.flatten_up_to(r))
    return all_leaves_


def tree_map(f: Callable, tree: Any, *rest: Any,
             is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``f`` leafwise; with several trees, ``f(x, *ys)`` where each of
    ``rest`` must have ``tree``'s structure (or have it as a prefix: a leaf of
    ``tree`` may face a whole subtree there)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves])
    all_leaves_ = _leaves_up_to(treedef, leaves, tree, rest)
    return treedef.unflatten([f(*xs) for xs in zip(*all_leaves_)])


_NO_INITIALIZER = object()


def tree_reduce(function: Callable, tree: Any, initializer: Any = _NO_INITIALIZER,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``functools.reduce(function, leaves[, initializer])``."""
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _NO_INITIALIZER:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> bool:
    """``all(tree_leaves(tree))``."""
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None,
                   pytree_to_transpose: Any) -> Any:
    """Turn an outer-of-inner pytree into an inner-of-outer one.

    ``inner_treedef`` may be ``None`` to infer it from the first outer leaf.
    Raises ``TypeError`` naming the structures when the tree does not match
    ``outer_treedef.compose(inner_treedef)``.
    """
    try:
        outer_subtrees = outer_treedef.flatten_up_to(pytree_to_transpose)
    except ValueError as e:
        raise TypeError(f"tree_transpose: tree does not match outer_treedef.\n{e}") from None
    if inner_treedef is None:
        if not outer_subtrees:
            raise ValueError("tree_transpose: cannot infer inner_treedef when "
                             "outer_treedef has no leaves")
        inner_treedef = tree_structure(outer_subtrees[0])
    rows = []
    for sub in outer_subtrees:
        try:
            rows.append(inner_treedef.flatten_up_to(sub))
        except ValueError as e:
            expected = outer_treedef.compose(inner_treedef)
            raise TypeError(
                f"tree_transpose: mismatch\n  {tree_structure(pytree_to_transpose)}\n"
                f"  != expected\n  {expected}\n{e}") from None
    if not rows:
        columns = [[] for _ in range(inner_treedef.num_leaves)]
    else:
        columns = list(zip(*rows))
    return inner_treedef.unflatten(
        [outer_treedef.unflatten(col) for col in columns])


# ---------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------

def tree_flatten_with_path(tree: Any,
                           is_leaf: Callable[[Any], bool] | None = None):
    """Like :func:`tree_flatten` but leaves come as ``(key_path, leaf)``."""
    leaves = []
    nodes = []
    add_node = nodes.append
    cache_get = _spec_cache.get
    stack = []
    pending = None
    prefix = ()
    it = iter(((None, tree),))
    root = True
    while True:
        for key, x in it:
            path = () if root else prefix + (key,)
            root = False
            if is_leaf is not None and is_leaf(x):
                leaves.append((path, x))
                add_node(_LEAF_ENTRY)
                continue
            t = type(x)
            spec = cache_get(t, _MISSING)
            if spec is _MISSING:
                spec = _resolve(t)
            if spec is None:
                leaves.append((path, x))
                add_node(_LEAF_ENTRY)
                continue
            keyed, aux = spec.flatten_with_keys(x)
            if not keyed:
                add_node((spec, aux, 0))
                continue
            stack.append((pending, it, prefix))
            pending = (spec, aux, len(keyed))
            it = iter(keyed)
            prefix = path
            break
        else:
            if not stack:
                break
            add_node(pending)
            pending, it, prefix = stack.pop()
    return leaves, PyTreeDef._make(tuple(nodes), len(leaves))


def tree_leaves_with_path(tree: Any,
                          is_leaf: Callable[[Any], bool] | None = None) -> list:
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(f: Callable, tree: Any, *rest: Any,
                       is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Like :func:`tree_map` but calls ``f(key_path, x, *ys)``."""
    keyed, treedef = tree_flatten_with_path(tree, is_leaf)
    paths = [p for p, _ in keyed]
    leaves = [x for _, x in keyed]
    if not rest:
        return treedef.unflatten([f(p, x) for p, x in zip(paths, leaves)])
    all_leaves_ = _leaves_up_to(treedef, leaves, tree, rest)
    return treedef.unflatten([f(p, *xs) for p, *xs in zip(paths, *all_leaves_)])


# ---------------------------------------------------------------------------
# Partial
# ---------------------------------------------------------------------------

class _WrappedPartial:
    """Holds a ``functools.partial`` used as the ``func`` of a :class:`Partial`
    so that ``functools.partial`` does not merge the two (the inner partial's
    arguments stay static, as in JAX)."""

    __slots__ = ("inner",)

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, *args, **kwargs):
        return self.inner(*args, **kwargs)

    def __eq__(self, other):
        if isinstance(other, _WrappedPartial):
            other = other.inner
        return self.inner == other

    def __hash__(self):
        return hash(self.inner)

    def __repr__(self):
        return repr(self.inner)


class Partial(functools.partial):
    """A ``functools.partial`` that is a pytree.

    The bound positional and keyword argument values are the children (so they
    may be arrays or tracers); ``func`` is static aux data.  It can therefore
    be passed into and returned from transformed functions.  When ``func`` is
    itself a partial it is kept as is (static), not merged.
    """

    def __new__(cls, func, *args, **kwargs):
        if isinstance(func, functools.partial):
            func = _WrappedPartial(func)
        return super().__new__(cls, func, *args, **kwargs)

    @property
    def func(self):
        f = functools.partial.func.__get__(self)
        return f.inner if type(f) is _WrappedPartial else f


def _partial_flatten(p):
    return (p.args, p.keywords), p.func


def _partial_unflatten(func, children):
    args, kwargs = children
    return Partial(func, *args, **kwargs)


register_pytree_node(Partial, _partial_flatten, _partial_unflatten)
