"""conv_general_dilated: N-d convolution with strides, padding, dilations,
dimension numbers and feature/batch groups (and the lax.conv wrappers).

The NumPy implementation puts the operands in (N, C, spatial...) /
(O, I, spatial...) layout, dilates and pads the input, extracts windows with a
strided view and contracts them with ``einsum`` per group.  The rules follow
XLA's semantics: the JVP is bilinear, the transposes are themselves
convolutions (with strides and dilations exchanged), and a vmapped batch is
folded into the batch dimension, the output-feature dimension or extra
feature groups.
"""
from __future__ import annotations

import collections

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import core, dtypes
from ..core import Primitive, ShapedArray
from ..interpreters import ad, batching
from ..interpreters.ad import Zero, is_undefined_primal
from .structural import reshape, transpose

ConvDimensionNumbers = collections.namedtuple(
    "ConvDimensionNumbers", ["lhs_spec", "rhs_spec", "out_spec"])


# ---------------------------------------------------------------------------
# parameter canonicalisation


def _dilate_dim(d, k):
    return 0 if d == 0 else 1 + k * (d - 1)


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """'SAME' / 'SAME_LOWER' / 'VALID' -> explicit (lo, hi) pairs."""
    p = padding.upper()
    if p == "VALID":
        return tuple((0, 0) for _ in in_shape)
    if p in ("SAME", "SAME_LOWER"):
        out = [-(-int(i) // int(s)) for i, s in zip(in_shape, window_strides)]
        pads = [max((o - 1) * s + w - i, 0)
                for o, s, w, i in zip(out, window_strides, window_shape, in_shape)]
        if p == "SAME":
            return tuple((q // 2, q - q // 2) for q in pads)
        return tuple((q - q // 2, q // 2) for q in pads)
    raise ValueError(f"Unknown padding type: {padding!r} (expected 'SAME', 'SAME_LOWER', "
                     "'VALID' or a sequence of (low, high) pairs)")


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers):
    """Canonical ConvDimensionNumbers from None, a triple of strings or a
    ConvDimensionNumbers."""
    nd = len(lhs_shape)
    if len(rhs_shape) != nd:
        raise TypeError(f"conv_general_dilated lhs and rhs must have the same rank, got "
                        f"{len(lhs_shape)} and {len(rhs_shape)}")
    if nd < 2:
        raise TypeError("conv_general_dilated needs operands of rank >= 2")
    if dimension_numbers is None:
        d = tuple(range(nd))
        return ConvDimensionNumbers(d, d, d)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return ConvDimensionNumbers(*(tuple(int(i) for i in s) for s in dimension_numbers))
    specs = tuple(dimension_numbers)
    if len(specs) != 3:
        raise TypeError(f"dimension_numbers must have three entries, got {dimension_numbers!r}")
    if all(isinstance(s, str) for s in specs):
        lhs, rhs, out = specs
        if not (len(lhs) == len(rhs) == len(out) == nd):
            raise TypeError(f"dimension_numbers {specs} do not match operand rank {nd}")
        if set(lhs) - set("NC") != set(rhs) - set("OI") or set(out) - set("NC") != set(rhs) - set("OI"):
            raise TypeError(f"dimension_numbers {specs}: spatial dimensions do not match")
        order = lambda c: rhs.index(c)  # noqa: E731 - spatial order is the rhs spec's
        def perm(spec, a, b):
            sp = sorted((i for i, c in enumerate(spec) if c not in (a, b)),
                        key=lambda i: order(spec[i]))
            return (spec.index(a), spec.index(b)) + tuple(sp)
        return ConvDimensionNumbers(perm(lhs, "N", "C"), perm(rhs, "O", "I"), perm(out, "N", "C"))
    return ConvDimensionNumbers(*(tuple(int(i) for i in s) for s in specs))


def _sdims(spec):
    return spec[2:]


# ---------------------------------------------------------------------------
# the primitive


def _conv_shape(lhs_shape, rhs_shape, window_strides, padding, lhs_dilation, rhs_dilation,
                dimension_numbers, feature_group_count, batch_group_count):
    lspec, rspec, ospec = dimension_numbers
    n, c = lhs_shape[lspec[0]], lhs_shape[lspec[1]]
    o, i = rhs_shape[rspec[0]], rhs_shape[rspec[1]]
    G, B = feature_group_count, batch_group_count
    if G < 1 or B < 1:
        raise TypeError("feature_group_count and batch_group_count must be >= 1")
    if G > 1 and B > 1:
        raise TypeError("At most one of feature_group_count and batch_group_count may be > 1")
    if c != i * G:
        raise TypeError(f"conv_general_dilated: lhs feature dimension ({c}) must equal rhs input "
                        f"feature dimension ({i}) times feature_group_count ({G})")
    if o % G or o % B:
        raise TypeError(f"conv_general_dilated: rhs output feature dimension ({o}) must be a "
                        f"multiple of feature_group_count ({G}) and batch_group_count ({B})")
    if n % B:
        raise TypeError(f"conv_general_dilated: lhs batch dimension ({n}) must be a multiple of "
                        f"batch_group_count ({B})")
    spatial = []
    for k, (ld, rd) in enumerate(zip(_sdims(lspec), _sdims(rspec))):
        ind = _dilate_dim(lhs_shape[ld], lhs_dilation[k])
        kd = _dilate_dim(rhs_shape[rd], rhs_dilation[k])
        lo, hi = padding[k]
        padded = ind + lo + hi
        spatial.append(max(0, (padded - kd) // window_strides[k] + 1) if padded >= kd else 0)
    out = [0] * len(lhs_shape)
    for ax, size in zip(ospec, (n // B, o) + tuple(spatial)):
        out[ax] = size
    return tuple(out)


def _conv_abstract(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                   dimension_numbers, feature_group_count, batch_group_count,
                   preferred_element_type):
    if lhs.dtype != rhs.dtype:
        raise TypeError(f"conv_general_dilated requires operands of the same dtype, got "
                        f"{lhs.dtype} and {rhs.dtype}")
    shape = _conv_shape(lhs.shape, rhs.shape, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count, batch_group_count)
    dt = lhs.dtype if preferred_element_type is None else preferred_element_type
    return ShapedArray(shape, dt)


def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               dimension_numbers, feature_group_count, batch_group_count,
               preferred_element_type):
    lspec, rspec, ospec = dimension_numbers
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    out_dt = lhs.dtype if preferred_element_type is None else np.dtype(preferred_element_type)
    out_shape = _conv_shape(lhs.shape, rhs.shape, window_strides, padding, lhs_dilation,
                            rhs_dilation, dimension_numbers, feature_group_count,
                            batch_group_count)
    if 0 in out_shape or lhs.size == 0 or rhs.size == 0:
        return np.zeros(out_shape, out_dt)
    x = np.transpose(lhs, lspec)
    w = np.transpose(rhs, rspec)
    if x.dtype.kind in "biu":
        acc = np.dtype(np.int64) if x.dtype.kind != "u" else np.dtype(np.uint64)
        x, w = x.astype(acc), w.astype(acc)
    nsp = x.ndim - 2
    # lhs (base) dilation
    if any(d != 1 for d in lhs_dilation):
        xd = np.zeros(x.shape[:2] + tuple(_dilate_dim(s, d) for s, d in
                                          zip(x.shape[2:], lhs_dilation)), x.dtype)
        xd[(slice(None), slice(None)) + tuple(slice(None, None, d) for d in lhs_dilation)] = x
        x = xd
    # padding (negative padding crops)
    crop = tuple(slice(max(-lo, 0), x.shape[2 + k] - max(-hi, 0))
                 for k, (lo, hi) in enumerate(padding))
    x = x[(slice(None), slice(None)) + crop]
    pads = [(0, 0), (0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
    if any(p != (0, 0) for p in pads):
        x = np.pad(x, pads)
    keff = tuple(_dilate_dim(k, d) for k, d in zip(w.shape[2:], rhs_dilation))
    win = sliding_window_view(x, keff, axis=tuple(range(2, 2 + nsp)))
    win = win[(slice(None), slice(None))
              + tuple(slice(None, None, s) for s in window_strides)
              + tuple(slice(None, None, d) for d in rhs_dilation)]
    # win: N, C, out..., K...
    G, B = feature_group_count, batch_group_count
    N, C = x.shape[:2]
    O, I = w.shape[:2]
    osp = win.shape[2:2 + nsp]
    letters = "abcdefghijklmnopqrstuvwxyz"
    so, sk = letters[:nsp], letters[nsp:2 * nsp]
    if B > 1:
        xw = win.reshape((B, N // B, C) + win.shape[2:])
        ww = w.reshape((B, O // B, I) + w.shape[2:])
        out = np.einsum(f"GNC{so}{sk},GOC{sk}->NGO{so}", xw, ww, optimize=True)
        out = out.reshape((N // B, O) + osp)
    else:
        xw = win.reshape((N, G, C // G) + win.shape[2:])
        ww = w.reshape((G, O // G, I) + w.shape[2:])
        out = np.einsum(f"NGC{so}{sk},GOC{sk}->NGO{so}", xw, ww, optimize=True)
        out = out.reshape((N, O) + osp)
    inv = tuple(int(i) for i in np.argsort(ospec))
    return np.ascontiguousarray(np.transpose(out, inv)).astype(out_dt, copy=False)


conv_general_dilated_p = Primitive("conv_general_dilated")
conv_general_dilated_p.def_impl(_conv_impl)
conv_general_dilated_p.def_abstract_eval(_conv_abstract)


def _bind(lhs, rhs, **params):
    return conv_general_dilated_p.bind(lhs, rhs, **params)


def _conv_jvp(primals, tangents, **params):
    lhs, rhs = primals
    tl, tr = tangents
    out = _bind(lhs, rhs, **params)
    acc = Zero.from_value(out)
    if type(tl) is not Zero:
        acc = ad.add_tangents(acc, _bind(tl, rhs, **params))
    if type(tr) is not Zero:
        acc = ad.add_tangents(acc, _bind(lhs, tr, **params))
    return out, acc


def _swap01(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _split_axis(x, axis, major):
    """Reshape axis ``axis`` of size n into (major, n // major)."""
    s = core.get_aval(x).shape
    return reshape(x, s[:axis] + (major, s[axis] // major) + s[axis + 1:])


def _merge_into(x, src, dst):
    """Move axis ``src`` next to ``dst`` and merge it into ``dst`` as its major part."""
    s = core.get_aval(x).shape
    x = batching.moveaxis(x, src, dst if src > dst else dst - 1)
    d = dst if src > dst else dst - 1
    s2 = core.get_aval(x).shape
    return reshape(x, s2[:d] + (s2[d] * s2[d + 1],) + s2[d + 2:]) if s else x


def _split_out(x, axis, major):
    """Split axis into (major, rest) and return with major kept at ``axis``."""
    return _split_axis(x, axis, major)


def _vjp_lhs_padding(in_shape, window, strides, out_shape, padding, lhs_dil, rhs_dil):
    res = []
    for i, k, s, o, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                          lhs_dil, rhs_dil):
        lhs_d, rhs_d, out_d = _dilate_dim(i, ld), _dilate_dim(k, rd), _dilate_dim(o, s)
        before = rhs_d - lo - 1
        after = lhs_d + rhs_d - 1 - out_d - before
        res.append((before, after))
    return tuple(res)


def _vjp_rhs_padding(in_shape, window, strides, out_shape, padding, lhs_dil, rhs_dil):
    res = []
    for i, k, s, o, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                          lhs_dil, rhs_dil):
        lhs_d, rhs_d, out_d = _dilate_dim(i, ld), _dilate_dim(k, rd), _dilate_dim(o, s)
        res.append((lo, out_d - lhs_d + rhs_d - lo - 1))
    return tuple(res)


def _conv_transpose_lhs(ct, lhs_aval, rhs, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count, preferred_element_type):
    from .indexing import rev
    lspec, rspec, ospec = dimension_numbers
    rhs_shape = core.get_aval(rhs).shape
    ct_shape = core.get_aval(ct).shape
    G = feature_group_count
    if G > 1:
        rhs = _split_axis(rhs, rspec[0], G)          # O -> (G, O/G)
        ax_i = rspec[1] + (1 if rspec[1] > rspec[0] else 0)
        rhs = _merge_into(rhs, rspec[0], ax_i)       # G becomes major part of I
    elif batch_group_count > 1:
        rhs = _split_axis(rhs, rspec[0], batch_group_count)
        ax_i = rspec[1] + (1 if rspec[1] > rspec[0] else 0)
        rhs = _merge_into(rhs, rspec[0], ax_i)
        G = batch_group_count
    trans_dn = ConvDimensionNumbers(ospec, _swap01(rspec), lspec)
    pads = _vjp_lhs_padding([lhs_aval.shape[d] for d in _sdims(lspec)],
                            [rhs_shape[d] for d in _sdims(rspec)], window_strides,
                            [ct_shape[d] for d in _sdims(ospec)], padding, lhs_dilation,
                            rhs_dilation)
    rhs = rev(rhs, tuple(_sdims(rspec)))
    out = _bind(ct, rhs, window_strides=tuple(lhs_dilation), padding=pads,
                lhs_dilation=tuple(window_strides), rhs_dilation=tuple(rhs_dilation),
                dimension_numbers=trans_dn, feature_group_count=G, batch_group_count=1,
                preferred_element_type=None)
    if batch_group_count > 1:
        out = _split_axis(out, lspec[1], batch_group_count)   # C -> (B, C/B)
        ax_n = lspec[0] + (1 if lspec[0] > lspec[1] else 0)
        out = _merge_into(out, lspec[1], ax_n)                 # B major part of N
    return _cast(out, lhs_aval.dtype)


def _cast(x, dt):
    if core.get_aval(x).dtype != dt:
        from .structural import convert_element_type
        x = convert_element_type(x, dt)
    return x


def _conv_transpose_rhs(ct, lhs, rhs_aval, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count, preferred_element_type):
    lspec, rspec, ospec = dimension_numbers
    lhs_shape = core.get_aval(lhs).shape
    ct_shape = core.get_aval(ct).shape
    G, B = feature_group_count, batch_group_count
    if B > 1:
        G, B = B, 1
    elif G > 1:
        G, B = 1, G
    trans_dn = ConvDimensionNumbers(_swap01(lspec), _swap01(ospec), _swap01(rspec))
    pads = _vjp_rhs_padding([lhs_shape[d] for d in _sdims(lspec)],
                            [rhs_aval.shape[d] for d in _sdims(rspec)], window_strides,
                            [ct_shape[d] for d in _sdims(ospec)], padding, lhs_dilation,
                            rhs_dilation)
    out = _bind(lhs, _cast(ct, core.get_aval(lhs).dtype), window_strides=tuple(rhs_dilation),
                padding=pads, lhs_dilation=tuple(lhs_dilation),
                rhs_dilation=tuple(window_strides), dimension_numbers=trans_dn,
                feature_group_count=G, batch_group_count=B, preferred_element_type=None)
    return _cast(out, rhs_aval.dtype)


def _conv_transpose(ct, lhs, rhs, **params):
    if is_undefined_primal(lhs) and is_undefined_primal(rhs):
        raise NotImplementedError("conv_general_dilated of two linear values is not linear")
    if type(ct) is Zero:
        return [None if not is_undefined_primal(lhs) else Zero(lhs.aval),
                None if not is_undefined_primal(rhs) else Zero(rhs.aval)]
    if is_undefined_primal(lhs):
        return [_conv_transpose_lhs(ct, lhs.aval, rhs, **params), None]
    return [None, _conv_transpose_rhs(ct, lhs, rhs.aval, **params)]


ad.primitive_jvps[conv_general_dilated_p] = _conv_jvp
ad.primitive_transposes[conv_general_dilated_p] = _conv_transpose


def _conv_batch(vals, dims, **params):
    (lhs, rhs), (ld, rd) = vals, dims
    lspec, rspec, ospec = params["dimension_numbers"]
    G, B = params["feature_group_count"], params["batch_group_count"]

    def shift(spec, d):
        return tuple(a + 1 if a >= d else a for a in spec)

    if ld is not None:
        lhs = batching.moveaxis(lhs, ld, 0)
    if rd is not None:
        rhs = batching.moveaxis(rhs, rd, 0)
    nb = core.get_aval(lhs if ld is not None else rhs).shape[0]
    ls, rs = shift(lspec, 0), shift(rspec, 0)
    os_ = ospec
    if ld is not None and rd is not None:
        rhs = _merge_into(rhs, 0, rs[0])                   # O -> (nb, O)
        if B > 1:
            lhs = _merge_into(lhs, 0, ls[0])               # N -> (nb, N) = (nb, B, N/B)
            newp = dict(params, batch_group_count=B * nb)
        else:
            lhs = _merge_into(lhs, 0, ls[1])               # C -> (nb, C)
            newp = dict(params, feature_group_count=G * nb)
        out = _bind(lhs, rhs, **newp)
        out = _split_axis(out, os_[1], nb)
        return out, os_[1]
    if ld is not None:
        if B > 1:
            # N is (B, N/B): put the vmapped batch into the minor part
            lhs = _split_axis(lhs, ls[0], B)               # (nb, ..., B, N/B, ...)
            lhs = _merge_into(lhs, 0, ls[0] + 1)           # -> (..., B, nb*N/B, ...)
            s = core.get_aval(lhs).shape
            a = ls[0] - 1
            lhs = reshape(lhs, s[:a] + (s[a] * s[a + 1],) + s[a + 2:])
        else:
            lhs = _merge_into(lhs, 0, ls[0])
        out = _bind(lhs, rhs, **params)
        out = _split_axis(out, os_[0], nb)
        return out, os_[0]
    # rhs only: O is (grp, O/grp); put the batch in the middle
    grp = G * B
    rhs = _split_axis(rhs, rs[0], grp)                     # (nb, ..., grp, O/grp, ...)
    rhs = _merge_into(rhs, 0, rs[0] + 1)                   # (..., grp, nb*O/grp, ...)
    s = core.get_aval(rhs).shape
    a = rs[0] - 1
    rhs = reshape(rhs, s[:a] + (s[a] * s[a + 1],) + s[a + 2:])
    out = _bind(lhs, rhs, **params)
    f = os_[1]
    out = _split_axis(out, f, grp)                         # (..., grp, nb*O/grp, ...)
    out = _split_axis(out, f + 1, nb)                      # (..., grp, nb, O/grp, ...)
    out = batching.moveaxis(out, f + 1, 0)                 # (nb, ..., grp, O/grp, ...)
    s = core.get_aval(out).shape
    out = reshape(out, s[:f + 1] + (s[f + 1] * s[f + 2],) + s[f + 3:])
    return out, 0


batching.primitive_batchers[conv_general_dilated_p] = _conv_batch


# ---------------------------------------------------------------------------
# public wrappers


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    la, ra = core.get_aval(lhs), core.get_aval(rhs)
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    nsp = la.ndim - 2
    strides = tuple(int(s) for s in window_strides)
    ld = (1,) * nsp if lhs_dilation is None else tuple(int(d) for d in lhs_dilation)
    rd = (1,) * nsp if rhs_dilation is None else tuple(int(d) for d in rhs_dilation)
    if not (len(strides) == len(ld) == len(rd) == nsp):
        raise TypeError(f"conv_general_dilated: window_strides/dilations must have {nsp} entries")
    if isinstance(padding, str):
        in_sh = [_dilate_dim(la.shape[d], k) for d, k in zip(_sdims(dn.lhs_spec), ld)]
        w_sh = [_dilate_dim(ra.shape[d], k) for d, k in zip(_sdims(dn.rhs_spec), rd)]
        pads = padtype_to_pads(in_sh, w_sh, strides, padding)
    else:
        pads = tuple((int(lo), int(hi)) for lo, hi in padding)
        if len(pads) != nsp:
            raise TypeError(f"conv_general_dilated: padding must have {nsp} (low, high) pairs")
    pet = None if preferred_element_type is None else dtypes.canonicalize_dtype(preferred_element_type)
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=strides, padding=pads, lhs_dilation=ld, rhs_dilation=rd,
        dimension_numbers=dn, feature_group_count=int(feature_group_count),
        batch_group_count=int(batch_group_count), preferred_element_type=pet)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def _conv_transpose_padding(k, s, padding):
    if padding == "SAME":
        pad_len = k + s - 2
        if s > k - 1:
            pad_a = k - 1
        else:
            pad_a = -(-pad_len // 2)
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    else:
        raise ValueError("Padding mode must be `SAME` or `VALID`.")
    return pad_a, pad_len - pad_a


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None):
    """The gradient-of-conv style transposed convolution (lax.conv_transpose)."""
    from .indexing import rev
    la, ra = core.get_aval(lhs), core.get_aval(rhs)
    nd = la.ndim
    if dimension_numbers is None:
        dimension_numbers = {3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                             5: ("NHWDC", "HWDIO", "NHWDC")}.get(nd)
        if dimension_numbers is None:
            raise ValueError("No 4+ dimensional dimension_number defaults.")
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    k_shape = [ra.shape[d] for d in _sdims(dn.rhs_spec)]
    nsp = nd - 2
    rd = (1,) * nsp if rhs_dilation is None else tuple(rhs_dilation)
    k_eff = [_dilate_dim(k, d) for k, d in zip(k_shape, rd)]
    if isinstance(padding, str):
        pads = tuple(_conv_transpose_padding(k, s, padding) for k, s in zip(k_eff, strides))
    else:
        pads = padding
    if transpose_kernel:
        rhs = rev(rhs, tuple(_sdims(dn.rhs_spec)))
        rs = dn.rhs_spec
        perm = list(range(nd))
        perm[rs[0]], perm[rs[1]] = rs[1], rs[0]
        rhs = transpose(rhs, tuple(perm))
    return conv_general_dilated(lhs, rhs, (1,) * nsp, pads, lhs_dilation=strides,
                                rhs_dilation=rd, dimension_numbers=dn,
                                preferred_element_type=preferred_element_type)
