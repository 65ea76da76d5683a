"""jnp.einsum and jnp.einsum_path, as lax.dot_general contractions.

The subscripts are parsed into integer labels (ellipsis dimensions get labels
of their own, aligned from the right as NumPy broadcasts them).  Then:

* a label repeated within one operand takes the diagonal: the operand is
  masked with an identity pattern (``select_n``) and summed over the second
  copy of the label (no gather);
* a label that appears in one operand only and not in the output is summed
  out (``reduce_sum``) before anything else;
* operands are contracted two at a time with ``dot_general``, labels shared and
  still needed being batch dimensions, shared and no longer needed being
  contracted; the order of the pairs for more than two operands comes from
  ``np.einsum_path`` on the shapes (greedy by default);
* a size-1 dimension meeting a larger one of the same label broadcasts (it is
  squeezed out of its operand first).

With ``preferred_element_type`` the operands are converted to that dtype
before contracting (so e.g. int8 inputs accumulate exactly in int32).
"""
from __future__ import annotations

import string

import numpy as np

from .. import core, dtypes
from ..core import Array
from ..lax import dot as ld
from ..lax import elementwise as lx
from ..lax import structural as st
from .util import asarray_arg, convert, promote_dtypes

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _shape(x):
    return tuple(core.get_aval(x).shape)


# --------------------------------------------------------------------------
# Parsing


def _sublist_to_str(sub):
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            s = int(s)
            if not 0 <= s < 52:
                raise ValueError(f"einsum: subscript indices must be in [0, 52), got {s}")
            out.append(_LETTERS[s])
    return "".join(out)


def _split_interleaved(args):
    """``einsum(op0, sub0, op1, sub1, ..., [sub_out])`` -> (subscripts, operands)."""
    args = list(args)
    out_sub = None
    if len(args) % 2 == 1:
        out_sub = args.pop()
    ops = args[0::2]
    subs = args[1::2]
    s = ",".join(_sublist_to_str(sb) for sb in subs)
    if out_sub is not None:
        s += "->" + _sublist_to_str(out_sub)
    return s, ops


def _parse_term(term, ndim, ell_labels, label_of, where):
    """Labels (ints) of one operand term."""
    if term.count("...") > 1 or (term.count(".") != 3 * term.count("...")):
        raise ValueError(f"einsum: invalid ellipsis in subscripts term {term!r}")
    for c in term.replace("...", ""):
        if c not in _LETTERS:
            raise ValueError(f"einsum: invalid subscript {c!r} in {where}; "
                             "subscripts must be letters")
    if "..." in term:
        pre, post = term.split("...")
        n_ell = ndim - len(pre) - len(post)
        if n_ell < 0:
            raise ValueError(f"einsum: {where} {term!r} has more subscripts than the operand's "
                             f"{ndim} dimensions")
        labels = [label_of(c) for c in pre]
        labels += ell_labels[len(ell_labels) - n_ell:] if n_ell else []
        labels += [label_of(c) for c in post]
        return labels, n_ell
    if len(term) != ndim:
        raise ValueError(f"einsum: {where} {term!r} has {len(term)} subscripts but the operand "
                         f"has {ndim} dimensions")
    return [label_of(c) for c in term], 0


def _parse(subscripts, shapes):
    """(list of per-operand label lists, output label list, label sizes, letters)."""
    s = subscripts.replace(" ", "")
    if "->" in s:
        lhs, rhs = s.split("->", 1)
        if "->" in rhs:
            raise ValueError("einsum: subscripts may contain '->' only once")
    else:
        lhs, rhs = s, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} operand terms in subscripts but "
                         f"{len(shapes)} operands were given")
    letters = {}

    def label_of(c):
        if c not in letters:
            letters[c] = len(letters)
        return letters[c]

    # count ellipsis dims first (so every operand aligns to the right)
    n_ell = 0
    for t, shp in zip(terms, shapes):
        if "..." in t:
            n_ell = max(n_ell, len(shp) - (len(t) - 3))
    for t in terms:
        for c in t.replace("...", ""):
            if c in _LETTERS:
                label_of(c)
    if rhs is not None:
        for c in rhs.replace("...", ""):
            if c in _LETTERS and c not in letters:
                raise ValueError(f"einsum: output subscript {c!r} does not appear in the inputs")
    ell_labels = list(range(len(letters), len(letters) + max(n_ell, 0)))
    in_labels = []
    for i, (t, shp) in enumerate(zip(terms, shapes)):
        labels, _ = _parse_term(t, len(shp), ell_labels, label_of, f"operand {i} term")
        in_labels.append(labels)

    if rhs is None:
        counts = {}
        for t in terms:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out_labels = list(ell_labels) + [letters[c] for c in sorted(counts) if counts[c] == 1]
    else:
        if rhs.count("...") > 1 or rhs.count(".") != 3 * rhs.count("..."):
            raise ValueError(f"einsum: invalid ellipsis in output subscripts {rhs!r}")
        for c in rhs.replace("...", ""):
            if c not in _LETTERS:
                raise ValueError(f"einsum: invalid subscript {c!r} in the output")
        if "..." in rhs:
            pre, post = rhs.split("...")
            out_labels = [letters[c] for c in pre] + list(ell_labels) + [letters[c] for c in post]
        else:
            out_labels = [letters[c] for c in rhs]
        if len(set(out_labels)) != len(out_labels):
            raise ValueError(f"einsum: output subscripts {rhs!r} contain a repeated index")

    sizes = {}
    for i, (labels, shp) in enumerate(zip(in_labels, shapes)):
        for lab, d in zip(labels, shp):
            prev = sizes.get(lab)
            if prev is None or prev == 1:
                sizes[lab] = d
            elif d != 1 and d != prev:
                name = _name(lab, letters)
                raise ValueError(f"einsum: size of label {name} for operand {i} ({d}) does not "
                                 f"match previous terms ({prev})")
    # within one operand a repeated label must have equal sizes
    for i, (labels, shp) in enumerate(zip(in_labels, shapes)):
        seen = {}
        for lab, d in zip(labels, shp):
            if lab in seen and seen[lab] != d:
                raise ValueError(f"einsum: repeated subscript {_name(lab, letters)} in operand {i} "
                                 f"has different sizes {seen[lab]} and {d}")
            seen[lab] = d
    return in_labels, out_labels, sizes


def _name(lab, letters):
    for c, v in letters.items():
        if v == lab:
            return repr(c)
    return "'...'"


# --------------------------------------------------------------------------
# Single-operand steps


def _take_diagonals(x, labels):
    """Remove repeated labels by taking diagonals (mask + reduce_sum)."""
    labels = list(labels)
    while True:
        dup = None
        for p, lab in enumerate(labels):
            q = labels.index(lab, p + 1) if lab in labels[p + 1:] else -1
            if q >= 0:
                dup = (p, q)
                break
        if dup is None:
            return x, labels
        p, q = dup
        shape = _shape(x)
        n = shape[p]
        dt = core.get_aval(x).dtype
        mask = st.broadcast_in_dim(Array(np.eye(n, dtype=bool)), shape, (p, q))
        zeros = st.broadcast_in_dim(Array(np.zeros((), dt)), shape, ())
        x = st.reduce_sum(lx.select_n(mask, zeros, x), (q,))
        del labels[q]


def _sum_labels(x, labels, drop):
    axes = tuple(i for i, lab in enumerate(labels) if lab in drop)
    if not axes:
        return x, labels
    return st.reduce_sum(x, axes), [lab for lab in labels if lab not in drop]


def _squeeze_axes(x, labels, axes):
    if not axes:
        return x, labels
    shape = _shape(x)
    new_shape = tuple(d for i, d in enumerate(shape) if i not in axes)
    return st.reshape(x, new_shape), [lab for i, lab in enumerate(labels) if i not in axes]


# --------------------------------------------------------------------------
# Pairwise contraction


def _contract_pair(a, la, b, lb, keep, pet):
    # size-1 dimensions broadcast against the other operand
    sa, sb = _shape(a), _shape(b)
    sq_a = tuple(i for i, lab in enumerate(la)
                 if lab in lb and sa[i] == 1 and sb[lb.index(lab)] != 1)
    sq_b = tuple(j for j, lab in enumerate(lb)
                 if lab in la and sb[j] == 1 and sa[la.index(lab)] != 1)
    a, la = _squeeze_axes(a, la, sq_a)
    b, lb = _squeeze_axes(b, lb, sq_b)
    # labels needed by neither the other operand nor later: sum them out now
    a, la = _sum_labels(a, la, {lab for lab in la if lab not in lb and lab not in keep})
    b, lb = _sum_labels(b, lb, {lab for lab in lb if lab not in la and lab not in keep})
    batch = [lab for lab in la if lab in lb and lab in keep]
    contract = [lab for lab in la if lab in lb and lab not in keep]
    dn = ((tuple(la.index(lab) for lab in contract), tuple(lb.index(lab) for lab in contract)),
          (tuple(la.index(lab) for lab in batch), tuple(lb.index(lab) for lab in batch)))
    out = ld.dot_general(a, b, dn, preferred_element_type=pet)
    out_labels = batch + [lab for lab in la if lab not in lb] + [lab for lab in lb if lab not in la]
    return out, out_labels


# --------------------------------------------------------------------------
# Paths


def _letters_subscripts(in_labels, out_labels):
    used = sorted({lab for labels in in_labels for lab in labels} | set(out_labels))
    if len(used) > len(_LETTERS):
        return None
    m = {lab: _LETTERS[i] for i, lab in enumerate(used)}
    return ",".join("".join(m[lab] for lab in labels) for labels in in_labels) + "->" + \
        "".join(m[lab] for lab in out_labels)


def _contraction_path(in_labels, out_labels, sizes, optimize):
    n = len(in_labels)
    if n <= 1:
        return []
    if n == 2:
        return [(0, 1)]
    if optimize is False or optimize is None:
        return [(0, 1)] * (n - 1)
    if isinstance(optimize, (list, tuple)):
        path = [tuple(p) for p in optimize if not isinstance(p, str)]
        return path
    if optimize is True or optimize == "auto":
        optimize = "greedy"
    if optimize not in ("greedy", "optimal"):
        raise ValueError(f"einsum: unsupported optimize={optimize!r}; use 'auto', 'greedy', "
                         "'optimal', True, False or an explicit contraction path")
    subs = _letters_subscripts(in_labels, out_labels)
    if subs is None:
        return [(0, 1)] * (n - 1)
    dummies = [np.broadcast_to(np.zeros((), np.float32), tuple(sizes[lab] for lab in labels))
               for labels in in_labels]
    path, _ = np.einsum_path(subs, *dummies, optimize=optimize)
    return [tuple(p) for p in path[1:]]


# --------------------------------------------------------------------------
# Public API


def einsum(subscripts, /, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None):
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.einsum is not supported.")
    if not isinstance(subscripts, str):
        subscripts, operands = _split_interleaved((subscripts,) + tuple(operands))
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    ops = [asarray_arg(o) for o in operands]
    ops = list(promote_dtypes(*ops)) if len(ops) > 1 else ops
    pet = None
    if preferred_element_type is not None:
        dtypes.check_user_dtype_supported(preferred_element_type, "einsum")
        pet = dtypes.canonicalize_dtype(preferred_element_type)
        ops = [convert(o, pet) if o.dtype != pet else o for o in ops]
    shapes = [_shape(o) for o in ops]
    in_labels, out_labels, sizes = _parse(subscripts, shapes)

    # per-operand preparation: diagonals, then labels used nowhere else
    prepared = []
    for i, (x, labels) in enumerate(zip(ops, in_labels)):
        x, labels = _take_diagonals(x, labels)
        others = {lab for j, ls in enumerate(in_labels) if j != i for lab in ls}
        x, labels = _sum_labels(x, labels, {lab for lab in labels
                                            if lab not in others and lab not in out_labels})
        prepared.append((x, labels))

    path = _contraction_path([lb for _, lb in prepared], out_labels, sizes, optimize)
    items = list(prepared)
    for step in path:
        step = sorted(set(int(i) for i in step), reverse=True)
        chosen = [items.pop(i) for i in step][::-1]
        rest_labels = {lab for _, ls in items for lab in ls} | set(out_labels)
        x, lx_ = chosen[0]
        for k, (y, ly) in enumerate(chosen[1:], start=1):
            later = rest_labels | {lab for _, ls in chosen[k + 1:] for lab in ls}
            x, lx_ = _contract_pair(x, lx_, y, ly, later, pet)
        x, lx_ = _sum_labels(x, lx_, {lab for lab in lx_ if lab not in rest_labels})
        items.append((x, lx_))
    if len(items) != 1:
        # an explicit path that leaves several operands: contract the rest in order
        x, lx_ = items[0]
        for k, (y, ly) in enumerate(items[1:], start=1):
            later = set(out_labels) | {lab for _, ls in items[k + 1:] for lab in ls}
            x, lx_ = _contract_pair(x, lx_, y, ly, later, pet)
        items = [(x, lx_)]
    x, labels = items[0]
    x, labels = _sum_labels(x, labels, {lab for lab in labels if lab not in out_labels})
    # labels of size 1 that were squeezed away everywhere but still belong to the output
    missing = [lab for lab in out_labels if lab not in labels]
    if missing:
        shape = _shape(x)
        x = st.broadcast_in_dim(x, shape + tuple(sizes[lab] for lab in missing),
                                tuple(range(len(shape))))
        labels = labels + missing
    perm = tuple(labels.index(lab) for lab in out_labels)
    x = st.transpose(x, perm)
    if pet is not None and core.get_aval(x).dtype != pet:
        x = convert(x, pet)
    return x


def einsum_path(subscripts, /, *operands, optimize="greedy"):
    """The contraction order NumPy's ``einsum_path`` finds for these shapes
    (operands may be tracers: only their shapes are used)."""
    if not isinstance(subscripts, str):
        subscripts, operands = _split_interleaved((subscripts,) + tuple(operands))
    if optimize is True or optimize == "auto":
        optimize = "greedy"
    dummies = []
    for o in operands:
        aval = core.get_aval(o if isinstance(o, Array) else asarray_arg(o))
        dummies.append(np.broadcast_to(np.zeros((), np.float32), aval.shape))
    return np.einsum_path(subscripts, *dummies, optimize=optimize)
