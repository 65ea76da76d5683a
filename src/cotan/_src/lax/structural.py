"""Shape-changing primitives: dtype conversion, broadcasting, reshaping,
transposition, and the sum reduction they transpose to."""
from __future__ import annotations

import numpy as np

from .. import core, dtypes
from ..core import Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero, deflinear2, is_undefined_primal


def _shape_tuple(shape):
    try:
        return tuple(int(d) for d in shape)
    except TypeError:
        return (int(shape),)


# --- convert_element_type ----------------------------------------------------

def convert_element_type(x, new_dtype, weak_type=False):
    new_dtype = dtypes.canonicalize_dtype(new_dtype)
    aval = core.get_aval(x)
    if aval.dtype == new_dtype and aval.weak_type == weak_type:
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=bool(weak_type))


def _convert_impl(x, *, new_dtype, weak_type):
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        x = np.real(x)
    with np.errstate(all="ignore"):
        if x.dtype.kind == "f" and new_dtype.kind in "iu":
            # saturate like XLA rather than wrap
            info = np.iinfo(new_dtype)
            x = np.clip(np.nan_to_num(x), info.min, info.max)
        return np.asarray(x, dtype=new_dtype) if np.ndim(x) else new_dtype.type(x)


convert_element_type_p = Primitive("convert_element_type")
convert_element_type_p.def_impl(_convert_impl)
convert_element_type_p.def_abstract_eval(
    lambda x, *, new_dtype, weak_type: ShapedArray(x.shape, new_dtype, weak_type))
convert_element_type_p.weak_type_rule = lambda args, params: params["weak_type"]


def _convert_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is Zero or new_dtype.kind not in "fc" or core.get_aval(x).dtype.kind not in "fc":
        return out, Zero.from_value(out)
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_transpose(ct, x, *, new_dtype, weak_type):
    aval = x.aval
    return [convert_element_type_p.bind(ct, new_dtype=aval.dtype, weak_type=aval.weak_type)]


ad.primitive_jvps[convert_element_type_p] = _convert_jvp
ad.primitive_transposes[convert_element_type_p] = _convert_transpose
batching.defvectorized(convert_element_type_p)


# --- broadcast_in_dim -----------------------------------------------------------

def broadcast_in_dim(x, shape, broadcast_dimensions):
    shape = _shape_tuple(shape)
    broadcast_dimensions = tuple(int(d) for d in broadcast_dimensions)
    aval = core.get_aval(x)
    if aval.shape == shape and broadcast_dimensions == tuple(range(len(shape))):
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast(x, sizes):
    """Add leading dimensions ``sizes`` to ``x``."""
    aval = core.get_aval(x)
    sizes = _shape_tuple(sizes)
    return broadcast_in_dim(x, sizes + aval.shape,
                            tuple(range(len(sizes), len(sizes) + aval.ndim)))


def _bid_impl(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    inter = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        inter[d] = x.shape[i]
    return np.broadcast_to(x.reshape(inter), shape)


def _bid_abstract(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise TypeError(
            f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must have one "
            f"entry per operand dimension (operand shape {x.shape})")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise TypeError(
                f"broadcast_in_dim: operand shape {x.shape} cannot be broadcast to {shape} "
                f"with broadcast_dimensions {broadcast_dimensions}")
    if list(broadcast_dimensions) != sorted(broadcast_dimensions):
        raise TypeError("broadcast_in_dim: broadcast_dimensions must be strictly increasing")
    return ShapedArray(shape, x.dtype, x.weak_type)


broadcast_in_dim_p = Primitive("broadcast_in_dim")
broadcast_in_dim_p.def_impl(_bid_impl)
broadcast_in_dim_p.def_abstract_eval(_bid_abstract)


def _bid_transpose(ct, x, *, shape, broadcast_dimensions):
    in_shape = x.aval.shape
    sum_dims = [d for d in range(len(shape)) if d not in broadcast_dimensions]
    sum_dims += [broadcast_dimensions[i] for i, s in enumerate(in_shape)
                 if s == 1 and shape[broadcast_dimensions[i]] != 1]
    out = reduce_sum(ct, tuple(sorted(sum_dims))) if sum_dims else ct
    return [reshape(out, in_shape)]


deflinear2(broadcast_in_dim_p, _bid_transpose)


def _bid_batch(vals, dims, *, shape, broadcast_dimensions):
    # the batch dimension becomes an output dimension placed right after the
    # output dimension of the operand dimension before it (so the
    # broadcast_dimensions stay increasing): no transpose is needed
    (x,), (d,) = vals, dims
    size = core.get_aval(x).shape[d]
    out_d = broadcast_dimensions[d - 1] + 1 if d > 0 else 0
    new_shape = shape[:out_d] + (size,) + shape[out_d:]
    bdims = [b if b < out_d else b + 1 for b in broadcast_dimensions]
    bdims.insert(d, out_d)
    return broadcast_in_dim_p.bind(x, shape=new_shape, broadcast_dimensions=tuple(bdims)), out_d


batching.primitive_batchers[broadcast_in_dim_p] = _bid_batch


# --- reshape ------------------------------------------------------------------

def reshape(x, new_sizes, dimensions=None):
    new_sizes = _shape_tuple(new_sizes)
    if dimensions is not None:
        x = transpose(x, dimensions)
    aval = core.get_aval(x)
    if aval.shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


def _reshape_abstract(x, *, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size or any(d < 0 for d in new_sizes):
        raise TypeError(f"reshape total size must be unchanged, got new_sizes {new_sizes} "
                        f"for shape {x.shape}")
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


reshape_p = Primitive("reshape")
reshape_p.def_impl(lambda x, *, new_sizes: np.reshape(x, new_sizes))
reshape_p.def_abstract_eval(_reshape_abstract)
deflinear2(reshape_p, lambda ct, x, *, new_sizes: [reshape(ct, x.aval.shape)])


def _reshape_batch(vals, dims, *, new_sizes):
    # row-major reshape of each batch element = reshape with the batch in front
    (x,), (d,) = vals, dims
    x = batching.moveaxis(x, d, 0)
    size = core.get_aval(x).shape[0]
    return reshape_p.bind(x, new_sizes=(size,) + tuple(new_sizes)), 0


batching.primitive_batchers[reshape_p] = _reshape_batch


# --- transpose ------------------------------------------------------------------

def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


def _transpose_abstract(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise TypeError(f"transpose permutation {permutation} is not a permutation of "
                        f"the operand's {x.ndim} dimensions")
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


transpose_p = Primitive("transpose")
transpose_p.def_impl(lambda x, *, permutation: np.transpose(x, permutation))
transpose_p.def_abstract_eval(_transpose_abstract)
deflinear2(transpose_p,
           lambda ct, x, *, permutation: [transpose(ct, tuple(np.argsort(permutation)))])


def _transpose_batch(vals, dims, *, permutation):
    # one transpose that also brings the batch dimension to the front
    (x,), (d,) = vals, dims
    perm = (d,) + tuple(p if p < d else p + 1 for p in permutation)
    return transpose(x, perm), 0


batching.primitive_batchers[transpose_p] = _transpose_batch


# --- reduce_sum -----------------------------------------------------------------

def reduce_sum(x, axes):
    axes = tuple(sorted(int(a) for a in axes))
    if not axes:
        return x
    return reduce_sum_p.bind(x, axes=axes)


def _reduce_abstract(x, *, axes):
    for a in axes:
        if not 0 <= a < x.ndim:
            raise TypeError(f"reduction axes {axes} out of range for shape {x.shape}")
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return ShapedArray(shape, x.dtype, x.weak_type)


def _reduce_sum_impl(x, *, axes):
    return np.asarray(np.sum(x, axis=axes, dtype=x.dtype))


reduce_sum_p = Primitive("reduce_sum")
reduce_sum_p.def_impl(_reduce_sum_impl)
reduce_sum_p.def_abstract_eval(_reduce_abstract)


def _reduce_sum_transpose(ct, x, *, axes):
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return [broadcast_in_dim(ct, shape, kept)]


deflinear2(reduce_sum_p, _reduce_sum_transpose)
batching.defreducer(reduce_sum_p)


def _unused_is_undefined():  # keep import used for rule writers
    return is_undefined_primal


# --- concatenate -------------------------------------------------------------------

def concatenate(operands, dimension):
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


def _concat_abstract(*xs, dimension):
    x0 = xs[0]
    if not 0 <= dimension < x0.ndim:
        raise TypeError(f"concatenate dimension {dimension} out of range for rank {x0.ndim}")
    for x in xs[1:]:
        if x.dtype != x0.dtype:
            raise TypeError("concatenate requires operands of the same dtype, got "
                            f"{', '.join(y.dtype.name for y in xs)}")
        if x.ndim != x0.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, x0.shape))
                                    if i != dimension):
            raise TypeError("concatenate operands must have equal shapes except along "
                            f"dimension {dimension}, got {', '.join(str(y.shape) for y in xs)}")
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, x0.dtype, all(x.weak_type for x in xs))


concatenate_p = Primitive("concatenate")
concatenate_p.def_impl(lambda *xs, dimension: np.concatenate(xs, axis=dimension))
concatenate_p.def_abstract_eval(_concat_abstract)


def _concat_transpose(ct, *xs, dimension):
    outs = []
    start = 0
    for x in xs:
        shape = x.aval.shape if is_undefined_primal(x) else core.get_aval(x).shape
        size = shape[dimension]
        if is_undefined_primal(x):
            outs.append(slice_in_dim(ct, start, start + size, axis=dimension))
        else:
            outs.append(None)
        start += size
    return outs


ad.deflinear(concatenate_p, _concat_transpose)


def _concat_batch(vals, dims, *, dimension):
    # operands need equal shapes off the concatenated axis, so unbatched ones
    # are broadcast along the batch; the batched ones keep a common batch axis
    new, out_d = batching.broadcast_batched(list(vals), list(dims))
    dim = dimension if dimension < out_d else dimension + 1
    return concatenate_p.bind(*new, dimension=dim), out_d


batching.primitive_batchers[concatenate_p] = _concat_batch


# --- slice ----------------------------------------------------------------------------

def slice(x, start_indices, limit_indices, strides=None):
    start_indices = tuple(int(i) for i in start_indices)
    limit_indices = tuple(int(i) for i in limit_indices)
    strides = None if strides is None else tuple(int(s) for s in strides)
    aval = core.get_aval(x)
    if start_indices == (0,) * aval.ndim and limit_indices == aval.shape and (
            strides is None or all(s == 1 for s in strides)):
        return x
    return slice_p.bind(x, start_indices=start_indices, limit_indices=limit_indices,
                        strides=strides)


def slice_in_dim(x, start, limit, stride=1, axis=0):
    aval = core.get_aval(x)
    starts = [0] * aval.ndim
    limits = list(aval.shape)
    strides = [1] * aval.ndim
    starts[axis], limits[axis], strides[axis] = int(start), int(limit), int(stride)
    return slice(x, starts, limits, strides)


def _slice_abstract(x, *, start_indices, limit_indices, strides):
    if len(start_indices) != x.ndim or len(limit_indices) != x.ndim:
        raise TypeError(f"slice indices must have length {x.ndim} for shape {x.shape}")
    strides = strides or (1,) * x.ndim
    shape = []
    for s, l, d, n in zip(start_indices, limit_indices, strides, x.shape):
        if not (0 <= s <= l <= n) or d < 1:
            raise TypeError(f"slice start {start_indices}, limit {limit_indices}, strides {strides} "
                            f"invalid for shape {x.shape}")
        shape.append(max(0, -(-(l - s) // d)))
    return ShapedArray(shape, x.dtype, x.weak_type)


def _slice_impl(x, *, start_indices, limit_indices, strides):
    strides = strides or (1,) * len(start_indices)
    import builtins
    idx = tuple(builtins.slice(s, l, d) for s, l, d in zip(start_indices, limit_indices, strides))
    return np.asarray(x)[idx]


slice_p = Primitive("slice")
slice_p.def_impl(_slice_impl)
slice_p.def_abstract_eval(_slice_abstract)


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    shape = x.aval.shape
    strides = strides or (1,) * len(shape)
    lo = list(start_indices)
    ct_shape = core.get_aval(ct).shape
    hi = [n - (s + (c - 1) * d + 1) if c else n - s for n, s, c, d in zip(shape, start_indices, ct_shape, strides)]
    interior = [d - 1 for d in strides]
    return [pad(ct, const_zero(ct), tuple(zip(lo, hi, interior)))]


def const_zero(like):
    aval = core.get_aval(like)
    return core.Array(np.zeros((), aval.dtype), aval.weak_type)


deflinear2(slice_p, _slice_transpose)


def _slice_batch(vals, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = vals, dims
    size = core.get_aval(x).shape[d]
    start = start_indices[:d] + (0,) + start_indices[d:]
    limit = limit_indices[:d] + (size,) + limit_indices[d:]
    if strides is not None:
        strides = strides[:d] + (1,) + strides[d:]
    return slice_p.bind(x, start_indices=start, limit_indices=limit, strides=strides), d


batching.primitive_batchers[slice_p] = _slice_batch


# --- pad --------------------------------------------------------------------------------

def pad(x, padding_value, padding_config):
    padding_config = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    return pad_p.bind(x, padding_value, padding_config=padding_config)


def _pad_abstract(x, pv, *, padding_config):
    if pv.shape != () or pv.dtype != x.dtype:
        raise TypeError("pad: padding_value must be a scalar of the operand's dtype")
    if len(padding_config) != x.ndim:
        raise TypeError(f"pad: padding_config needs {x.ndim} entries")
    shape = []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            raise TypeError("pad: interior padding must be non-negative")
        shape.append(lo + hi + n + max(0, n - 1) * interior)
        if shape[-1] < 0:
            raise TypeError(f"pad: negative output size for config {padding_config}")
    return ShapedArray(shape, x.dtype, x.weak_type)


def _pad_impl(x, pv, *, padding_config):
    import builtins
    x = np.asarray(x)
    if all(lo >= 0 and hi >= 0 and i == 0 for lo, hi, i in padding_config):
        out = np.full(tuple(n + lo + hi for n, (lo, hi, _) in zip(x.shape, padding_config)),
                      pv, dtype=x.dtype)
        out[tuple(builtins.slice(lo, lo + n) for n, (lo, _, _) in zip(x.shape, padding_config))] = x
        return out
    shape = []
    for n, (lo, hi, interior) in zip(x.shape, padding_config):
        shape.append(n + max(0, n - 1) * interior)
    buf = np.full(shape, pv, dtype=x.dtype)
    buf[tuple(builtins.slice(None, None, i + 1) for (_, _, i) in padding_config)] = x
    # apply low/high padding (negative values crop)
    pads = [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config]
    buf = np.pad(buf, pads, constant_values=pv) if any(p != (0, 0) for p in pads) else buf
    crop = tuple(builtins.slice(-lo if lo < 0 else 0, (buf.shape[i] + hi) if hi < 0 else None)
                 for i, (lo, hi, _) in enumerate(padding_config))
    return buf[crop]


pad_p = Primitive("pad")
pad_p.def_impl(_pad_impl)
pad_p.def_abstract_eval(_pad_abstract)
pad_p.weak_type_rule = lambda args, params: getattr(args[0], "weak_type", False)


def _pad_jvp(primals, tangents, *, padding_config):
    x, pv = primals
    tx, tpv = tangents
    out = pad_p.bind(x, pv, padding_config=padding_config)
    if type(tx) is Zero and type(tpv) is Zero:
        return out, Zero.from_value(out)
    return out, pad_p.bind(ad.instantiate_zeros(tx), ad.instantiate_zeros(tpv),
                           padding_config=padding_config)


def _pad_transpose(ct, x, pv, *, padding_config):
    outs = [None, None]
    if is_undefined_primal(x):
        # undo low/high padding (negative pads become zero-padding), then take every (interior+1)-th
        lo_hi = []
        c = ct
        for axis, (lo, hi, interior) in enumerate(padding_config):
            n = core.get_aval(c).shape[axis]
            start = lo if lo > 0 else 0
            stop = n - hi if hi > 0 else n
            c = slice_in_dim(c, start, stop, 1, axis)
            if lo < 0 or hi < 0:
                c = pad(c, const_zero(c), tuple(
                    (max(-lo, 0) if a == axis else 0, max(-hi, 0) if a == axis else 0, 0)
                    for a in range(len(padding_config))))
            if interior:
                m = core.get_aval(c).shape[axis]
                c = slice_in_dim(c, 0, m, interior + 1, axis)
            lo_hi.append(None)
        outs[0] = c
    if is_undefined_primal(pv):
        total = reduce_sum(ct, tuple(range(len(padding_config))))
        inner = outs[0] if outs[0] is not None else None
        if inner is None:
            xs = pad_p.bind(core.Array(np.zeros(x.aval.shape if is_undefined_primal(x) else core.get_aval(x).shape, core.get_aval(ct).dtype)), const_zero(ct), padding_config=padding_config)
            del xs
        # padding value's cotangent: sum of ct over padded positions
        ones = core.Array(np.ones(x.aval.shape if is_undefined_primal(x) else core.get_aval(x).shape,
                                  core.get_aval(ct).dtype))
        mask = pad_p.bind(ones, const_zero(ct), padding_config=padding_config)
        from .elementwise import mul, sub
        outs[1] = sub(total, reduce_sum(mul(ct, mask), tuple(range(len(padding_config)))))
    return outs


ad.primitive_jvps[pad_p] = _pad_jvp
ad.primitive_transposes[pad_p] = _pad_transpose


def _pad_batch(vals, dims, *, padding_config):
    (x, pv), (xd, pd) = vals, dims
    if pd is None:
        # one padding value: pad the batch dimension by nothing
        cfg = padding_config[:xd] + ((0, 0, 0),) + padding_config[xd:]
        return pad_p.bind(x, pv, padding_config=cfg), xd
    # a padding value per batch element: pad with zeros, then select the
    # padding value (broadcast along its batch axis) outside the operand
    size = core.get_aval(pv).shape[pd]
    x = batching.bdim_at_front(x, xd, size)
    x_aval = core.get_aval(x)
    cfg = ((0, 0, 0),) + padding_config
    padded = pad_p.bind(x, const_zero(x), padding_config=cfg)
    out_shape = core.get_aval(padded).shape
    inside = pad_p.bind(core.Array(np.ones(x_aval.shape[1:], np.bool_)),
                        core.Array(np.zeros((), np.bool_)), padding_config=padding_config)
    inside = broadcast_in_dim(inside, out_shape, tuple(range(1, len(out_shape))))
    pv = convert_element_type(pv, x_aval.dtype, x_aval.weak_type)
    pv_full = broadcast_in_dim(pv, out_shape, (0,))
    from .elementwise import select_n
    return select_n(inside, pv_full, padded), 0


batching.primitive_batchers[pad_p] = _pad_batch
