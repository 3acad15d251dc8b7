#!/usr/bin/python3
"""Builds one ONNX model per conformance case with Debian's python3-onnx.

    /usr/bin/python3 tests/conformance/build_onnx.py cases.json OUTDIR

    /usr/bin/python3 tests/conformance/build_onnx.py cases.json OUTDIR --cuts CUTS.json

Writes OUTDIR/<id>.onnx (opset 17) and OUTDIR/index.json. Every layer becomes
one node named as the layer (n<index> when the case names none), whose
output l<index> is also a graph output, so ONNX Runtime reports every
layer's shape. Helper nodes a layer needs are named <node>__<what>, and the
layer's own node comes last: a global pool without keepdims is the pool and
a Flatten; crop_to, pad_to and resize_to compute their sizes at run time
from the tensors' shapes (Shape, Slice, Sub, ...) and end in Slice, Pad and
Resize (nearest, with sizes); upsample is Resize with scales; an add of
more than two inputs is Sum (ONNX's Add takes two); multiply takes two
(there is no variadic product in ONNX); average, maximum and minimum are
Mean, Max and Min. index.json maps node names to layer indices. A graph
case is also saved with its input's sizes fixed (OUTDIR/<id>.static.onnx).

With --cuts ({"<id>": [k, ...]}, written by run_onnxruntime.mjs for the cases
that fail), it writes only the models cut before layer k, OUTDIR/<id>.<k>.onnx,
that ONNX Runtime needs for the shapes before a failing node, to find the
first failure in list order and to place an error that names no node.

Weights need the channels that arrive where the case declares none (an ONNX
model always declares them: they are its weights' shapes). They are taken
from ONNX's own shape inference (onnx.shape_inference, the spec's reference)
on the model built so far; only the channel count is read, which no spatial
rule changes. A dense layer with no declared in_features gets a weight made
from the shape that arrives (ConstantOfShape of [K, units]), since K depends
on every spatial size before it, which the onnx shape inference here (1.12)
computes by its own, older rules. The saved model's input has symbolic sizes
(N, C, D0, ...), as exported with dynamic axes, so the sizes are checked by
ONNX Runtime's kernels at run time, whose texts ConvScope quotes.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

OPSET = 17


class BuilderError(Exception):
    pass


def per_axis(value, rank):
    return list(value) if isinstance(value, list) else [value] * rank


def pads_attr(padding, rank):
    """ONNX pads [b1..bn, e1..en] or auto_pad for the string forms."""
    if isinstance(padding, str):
        return {"auto_pad": {"valid": "VALID", "same": "SAME_UPPER", "same_lower": "SAME_LOWER"}[padding]}
    if isinstance(padding, list) and padding and isinstance(padding[0], list):
        return {"pads": [b for b, _ in padding] + [e for _, e in padding]}
    p = per_axis(padding, rank)
    return {"pads": p + p}


class Graph:
    def __init__(self, input_shape):
        self.input_shape = input_shape
        self.nodes, self.inits, self.outputs = [], [], []
        self.declared = {}
        self.fixed = {}
        self.counter = 0

    def weight(self, shape, prefix):
        if any(d < 1 for d in shape):
            raise BuilderError("a weight of shape %s" % shape)
        self.counter += 1
        name = "%s_%d" % (prefix, self.counter)
        self.inits.append(numpy_helper.from_array(np.full(shape, 0.01, np.float32), name))
        return name

    def floats(self, values, prefix):
        self.counter += 1
        name = "%s_%d" % (prefix, self.counter)
        self.inits.append(numpy_helper.from_array(np.array(values, np.float32), name))
        return name

    def ints(self, values, prefix):
        self.counter += 1
        name = "%s_%d" % (prefix, self.counter)
        self.inits.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    def model(self, symbolic, declare=False):
        rank = len(self.input_shape)
        dims = (["N", "C"] + ["D%d" % i for i in range(rank - 2)]) if symbolic else self.input_shape
        # Only the model for sizing weights declares what the make-them-fit
        # layers give (their sizes are computed at run time, which ONNX's
        # shape inference does not follow). Every model declares what a dense
        # layer with a weight made at run time gives (see add_layer).
        declared = dict(self.declared) if declare else {}
        for o, (batch, units) in self.fixed.items():
            declared[o] = [None if symbolic else batch, units]
        graph = helper.make_graph(
            self.nodes, "case", [helper.make_tensor_value_info("input", TensorProto.FLOAT, dims)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, declared.get(o)) for o in self.outputs], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="convscope-conformance")
        m.ir_version = 8
        return m

    def arriving_shape(self, name):
        """The shape ONNX's shape inference gives tensor `name` with static
        input sizes: a list with None for a size it leaves unknown (or gives
        as < 1, as after a failure upstream), or None when it gives no shape."""
        if name == "input":
            return list(self.input_shape)
        try:
            inferred = shape_inference.infer_shapes(self.model(symbolic=False, declare=True))
        except Exception:
            return None
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
            if vi.name == name:
                if not vi.type.tensor_type.HasField("shape"):
                    return None
                dims = vi.type.tensor_type.shape.dim
                return [d.dim_value if d.HasField("dim_value") and d.dim_value >= 1 else None for d in dims] or None
        return None


ELEMENTWISE = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "average": "Mean", "maximum": "Max",
               "minimum": "Min"}
ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "linear": "Identity", "softplus": "Softplus",
               "elu": "Elu", "selu": "Selu"}


def node_name(layer, i):
    return layer.get("name", "n%d" % i)


def add_layer(g, i, layer, xs, rank):
    """Adds layer i reading tensors xs; returns the name of its output."""
    t = layer["type"]
    out = "l%d" % i
    node = node_name(layer, i)
    x = xs[0]
    shape = None

    def aux(op, inputs, what, **attrs):
        name = "%s__%s" % (node, what)
        g.nodes.append(helper.make_node(op, inputs, [out + "__" + what], name=name, **attrs))
        return out + "__" + what

    def arriving(axis):
        nonlocal shape
        if shape is None:
            shape = g.arriving_shape(x)
        if shape is None or shape[axis] is None:
            raise BuilderError("ONNX shape inference gives no size for axis %d of the input of layer %d" % (axis, i))
        return shape[axis]

    def channels():
        return layer["in_channels"] if "in_channels" in layer else arriving(1)

    if t in ("conv", "depthwise_conv"):
        k = per_axis(layer["kernel"], rank)
        c = channels()
        if t == "conv":
            group = layer.get("groups", 1)
            if c // group < 1:
                raise BuilderError("fewer channels than groups")
            w = g.weight([layer["filters"], c // group] + k, "W")
            inputs = [x, w] + ([g.weight([layer["filters"]], "B")] if layer.get("bias", True) else [])
        else:
            group = c
            m = layer.get("depth_multiplier", 1)
            w = g.weight([c * m, 1] + k, "W")
            inputs = [x, w] + ([g.weight([c * m], "B")] if layer.get("bias", True) else [])
        attrs = dict(kernel_shape=k, strides=per_axis(layer.get("stride", 1), rank),
                     dilations=per_axis(layer.get("dilation", 1), rank), group=group)
        attrs.update(pads_attr(layer.get("padding", 0), rank))
        g.nodes.append(helper.make_node("Conv", inputs, [out], name=node, **attrs))
    elif t == "conv_transpose":
        k = per_axis(layer["kernel"], rank)
        c = channels()
        group = layer.get("groups", 1)
        if layer["filters"] // group < 1:
            raise BuilderError("fewer filters than groups")
        w = g.weight([c, layer["filters"] // group] + k, "W")
        inputs = [x, w] + ([g.weight([layer["filters"]], "B")] if layer.get("bias", True) else [])
        attrs = dict(kernel_shape=k, strides=per_axis(layer.get("stride", 1), rank),
                     dilations=per_axis(layer.get("dilation", 1), rank), group=group)
        if "output_padding" in layer:
            attrs["output_padding"] = per_axis(layer["output_padding"], rank)
        attrs.update(pads_attr(layer.get("padding", 0), rank))
        g.nodes.append(helper.make_node("ConvTranspose", inputs, [out], name=node, **attrs))
    elif t in ("max_pool", "avg_pool"):
        attrs = dict(kernel_shape=per_axis(layer["kernel"], rank), strides=per_axis(layer.get("stride", 1), rank),
                     ceil_mode=int(layer.get("ceil_mode", False)))
        attrs.update(pads_attr(layer.get("padding", 0), rank))
        if t == "max_pool":
            attrs["dilations"] = per_axis(layer.get("dilation", 1), rank)
        else:
            attrs["count_include_pad"] = int(layer.get("count_include_pad", False))
        g.nodes.append(helper.make_node("MaxPool" if t == "max_pool" else "AveragePool", [x], [out], name=node, **attrs))
    elif t in ("global_avg_pool", "global_max_pool"):
        op = "GlobalAveragePool" if t == "global_avg_pool" else "GlobalMaxPool"
        if layer.get("keepdims", True):
            g.nodes.append(helper.make_node(op, [x], [out], name=node))
        else:
            g.nodes.append(helper.make_node(op, [x], [out + "__pooled"], name=node + "__pool"))
            g.nodes.append(helper.make_node("Flatten", [out + "__pooled"], [out], name=node, axis=1))
    elif t == "zero_pad":
        pads = layer["padding"]
        pairs = pads if isinstance(pads, list) and pads and isinstance(pads[0], list) else [(p, p) for p in per_axis(pads, rank)]
        flat = [0, 0] + [b for b, _ in pairs] + [0, 0] + [e for _, e in pairs]
        g.nodes.append(helper.make_node("Pad", [x, g.ints(flat, "pads")], [out], name=node, mode="constant"))
    elif t == "flatten":
        g.nodes.append(helper.make_node("Flatten", [x], [out], name=node, axis=1))
    elif t == "dense" and "in_features" in layer:
        # As torch.onnx exports nn.Linear: Gemm with transB=1, W of shape [units, in_features].
        k = layer["in_features"]
        inputs = [x, g.weight([layer["units"], k], "W")] + ([g.weight([layer["units"]], "B")] if layer.get("bias", True) else [])
        g.nodes.append(helper.make_node("Gemm", inputs, [out], name=node, transB=1))
    elif t == "dense":
        # No declared in_features: W of shape [K, units] from the K that arrives.
        units = g.ints([layer["units"]], "units")
        wshape = aux("Concat", [aux("Shape", [x], "shape", start=-1), units], "wshape", axis=0)
        w = aux("ConstantOfShape", [wshape], "w", value=numpy_helper.from_array(np.array([0.01], np.float32)))
        inputs = [x, w] + ([g.weight([layer["units"]], "B")] if layer.get("bias", True) else [])
        g.nodes.append(helper.make_node("Gemm", inputs, [out], name=node))
        # A fixed weight tells shape inference the units while the model
        # loads (and, with fixed input sizes, the batch), which merges after
        # it are checked against: the output declares what it would give.
        shape = g.arriving_shape(x)
        g.fixed[out] = (shape[0] if shape else None, layer["units"])
    elif t in ("relu", "dropout"):
        g.nodes.append(helper.make_node("Relu", [x], [out], name=node))
    elif t == "activation":
        fn = layer.get("function", "relu")
        if fn not in ACTIVATIONS:
            raise BuilderError("activation %r has no ONNX node here" % fn)
        g.nodes.append(helper.make_node(ACTIVATIONS[fn], [x], [out], name=node))
    elif t == "upsample":
        scales = g.floats([1.0, 1.0] + [float(s) for s in per_axis(layer["scale"], rank)], "scales")
        g.nodes.append(helper.make_node("Resize", [x, "", scales], [out], name=node, mode="nearest"))
    elif t in ELEMENTWISE:
        op = ELEMENTWISE[t]
        if t == "add" and len(xs) > 2:
            op = "Sum"
        elif t == "multiply" and len(xs) > 2:
            raise BuilderError("ONNX's Mul takes two inputs (there is no variadic product)")
        g.nodes.append(helper.make_node(op, xs, [out], name=node))
    elif t == "concat":
        g.nodes.append(helper.make_node("Concat", xs, [out], name=node, axis=layer.get("axis", 1)))
    elif t in ("crop_to", "pad_to", "resize_to"):
        # Sizes from the tensors at run time (the input's sizes are symbolic).
        n = rank + 2
        ref = xs[1]
        tx, tr = g.arriving_shape(x), g.arriving_shape(ref)
        if tx is not None and tr is not None and len(tx) == n and len(tr) == n:
            g.declared[out] = tx[:2] + tr[2:]
        sx = aux("Shape", [x], "shape")
        sr = aux("Shape", [ref], "ref_shape")
        two, first, end = g.ints([2], "two"), g.ints([0], "zero"), g.ints([n], "n")
        sr_sp = aux("Slice", [sr, two, end], "ref_spatial")
        if t == "resize_to":
            sizes = aux("Concat", [aux("Slice", [sx, first, two], "batch_channels"), sr_sp], "sizes", axis=0)
            g.nodes.append(helper.make_node("Resize", [x, "", "", sizes], [out], name=node, mode="nearest"))
        else:
            sx_sp = aux("Slice", [sx, two, end], "spatial")
            if t == "crop_to":
                # centre crop: begin = diff // 2 (the contract refuses a larger reference)
                begin = aux("Div", [aux("Sub", [sx_sp, sr_sp], "diff"), g.ints([2] * rank, "twos")], "begin")
                stop = aux("Add", [begin, sr_sp], "end")
                g.nodes.append(helper.make_node("Slice", [x, begin, stop, g.ints(list(range(2, n)), "axes")], [out],
                                                name=node))
            else:
                # F.pad(x, [diff // 2, diff - diff // 2]) per axis: floor division (Mod takes the divisor's sign)
                twos = g.ints([2] * rank, "twos")
                diff = aux("Sub", [sr_sp, sx_sp], "diff")
                half = aux("Div", [aux("Sub", [diff, aux("Mod", [diff, twos], "odd")], "even"), twos], "begin")
                rest = aux("Sub", [diff, half], "end")
                zeros = g.ints([0, 0], "zeros")
                pads = aux("Concat", [zeros, half, zeros, rest], "pads", axis=0)
                g.nodes.append(helper.make_node("Pad", [x, pads], [out], name=node, mode="constant"))
    elif t in ("channel_shuffle", "channel_split"):
        # As torch.onnx (1.13) exports torchvision's channel_shuffle and
        # x.chunk(n, dim=1)[k]: sizes from the tensor's Shape at run time.
        n = rank + 2
        # What it gives, for the model that sizes later weights (shape
        # inference does not follow sizes computed at run time).
        tx = g.arriving_shape(x)
        if tx is not None and len(tx) == n and tx[1] is not None:
            if t == "channel_shuffle":
                g.declared[out] = tx
            else:
                size = -(-tx[1] // layer["chunks"])
                width = min(size, tx[1] - layer["index"] * size)
                if width > 0:
                    g.declared[out] = [tx[0], width] + tx[2:]
        sx = aux("Shape", [x], "shape")
        batch = aux("Slice", [sx, g.ints([0], "zero"), g.ints([1], "one")], "batch")
        c = aux("Slice", [sx, g.ints([1], "one_"), g.ints([2], "two")], "channels")
        spatial = aux("Slice", [sx, g.ints([2], "two_"), g.ints([n], "n")], "spatial")
        if t == "channel_shuffle":
            groups = layer["groups"]
            per = aux("Div", [c, g.ints([groups], "groups")], "per_group")
            view = aux("Concat", [batch, g.ints([groups], "groups_"), per, spatial], "view", axis=0)
            viewed = aux("Reshape", [x, view], "viewed")
            swapped = aux("Transpose", [viewed], "transposed", perm=[0, 2, 1] + list(range(3, n + 1)))
            back = aux("Concat", [batch, g.ints([-1], "minus_one"), spatial], "back", axis=0)
            g.nodes.append(helper.make_node("Reshape", [swapped, back], [out], name=node))
        else:
            chunks, index = layer["chunks"], layer["index"]
            size = aux("Div", [aux("Add", [c, g.ints([chunks - 1], "round_up")], "c_up"), g.ints([chunks], "chunks")], "size")
            begin = aux("Mul", [size, g.ints([index], "index")], "begin")
            stop = aux("Mul", [size, g.ints([index + 1], "index_1")], "end")
            g.nodes.append(helper.make_node("Slice", [x, begin, stop, g.ints([1], "axis")], [out], name=node))
    elif t == "reshape":
        # As torch.onnx (1.13) exports x.view(x.size(0), *shape): the batch from
        # the tensor's Shape at run time, Concat with the sizes, Reshape; and
        # x.view(-1, *shape): a constant shape with -1 first.
        shape = list(layer["shape"])
        tx = g.arriving_shape(x)
        if layer.get("batch", "keep") == "infer":
            g.nodes.append(helper.make_node("Reshape", [x, g.ints([-1] + shape, "shape")], [out], name=node))
        else:
            sx = aux("Shape", [x], "shape")
            batch = aux("Slice", [sx, g.ints([0], "zero"), g.ints([1], "one")], "batch")
            sizes = aux("Concat", [batch, g.ints(shape, "sizes")], "view", axis=0)
            g.nodes.append(helper.make_node("Reshape", [x, sizes], [out], name=node))
            # What it gives, for the model that sizes later weights (shape
            # inference does not follow sizes computed at run time).
            if tx is not None and all(d is not None for d in tx):
                per = int(np.prod(tx[1:]))
                known = int(np.prod([d for d in shape if d != -1]))
                if (-1 in shape and per % known == 0) or (-1 not in shape and per == known):
                    g.declared[out] = [tx[0]] + [d if d != -1 else per // known for d in shape]
    elif t == "batch_norm":
        c = channels()
        inputs = [x] + [g.weight([c], n) for n in ("scale", "bias", "mean", "var")]
        g.nodes.append(helper.make_node("BatchNormalization", inputs, [out], name=node))
    else:
        raise BuilderError("no ONNX node for layer type %r here" % t)
    g.outputs.append(out)
    return out


def build(case, path, cuts=None):
    """Saves the model (and a graph case's with fixed input sizes,
    path.static.onnx) or, given `cuts`, only the models cut before each layer
    k in it (path.k.onnx): ONNX Runtime runs every node whatever outputs are
    asked for, so the shapes before a failing node come from a cut model."""
    net = case["network"]
    rank = len(net["input"]) - 2
    g = Graph(net["input"])
    tensors = {"input": "input"}
    previous = "input"
    nodes = {node_name(layer, i): i for i, layer in enumerate(net["layers"])}
    for i, layer in enumerate(net["layers"]):
        if cuts is not None and i in cuts:
            onnx.save(g.model(symbolic=True), "%s.%d.onnx" % (path, i))
            if i == max(cuts):
                return None  # every cut asked for is written
        xs = [tensors[s] for s in layer.get("inputs", [previous])]
        previous = layer.get("name", "#%d" % i)
        try:
            tensors[previous] = add_layer(g, i, layer, xs, rank)
        except BuilderError as e:
            # Layers after one ONNX shape inference cannot size are left out:
            # the comparison stops at the first failure anyway.
            return save(case, g, path, cuts, {"built": i, "note": str(e), "nodes": nodes})
    return save(case, g, path, cuts, {"built": len(net["layers"]), "nodes": nodes})


def save(case, g, path, cuts, info):
    if cuts is not None:
        return None
    onnx.save(g.model(symbolic=True), path + ".onnx")
    if case.get("graph"):
        # Graphs also with the input's sizes fixed, as torch.onnx.export writes
        # a model by default: ONNX shape inference then checks the merges
        # while the model loads.
        onnx.save(g.model(symbolic=False), path + ".static.onnx")
    return dict(info, static=bool(case.get("graph")))


def main():
    if len(sys.argv) not in (3, 5) or (len(sys.argv) == 5 and sys.argv[3] != "--cuts"):
        sys.stderr.write("usage: build_onnx.py cases.json OUTDIR [--cuts CUTS.json]\n")
        return 2
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    os.makedirs(sys.argv[2], exist_ok=True)
    if len(sys.argv) == 5:
        with open(sys.argv[4]) as f:
            cuts = json.load(f)
        for case in cases:
            if case["id"] in cuts:
                build(case, os.path.join(sys.argv[2], case["id"]), set(cuts[case["id"]]))
        return 0
    index = {}
    for case in cases:
        path = os.path.join(sys.argv[2], case["id"])
        index[case["id"]] = dict(build(case, path), file=path)
    with open(os.path.join(sys.argv[2], "index.json"), "w") as f:
        json.dump({"onnx": onnx.__version__, "opset": OPSET, "models": index}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
