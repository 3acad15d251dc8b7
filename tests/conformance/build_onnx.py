#!/usr/bin/python3
"""Builds one ONNX model per conformance case with Debian's python3-onnx.

    /usr/bin/python3 tests/conformance/build_onnx.py cases.json OUTDIR

    /usr/bin/python3 tests/conformance/build_onnx.py cases.json OUTDIR --cuts CUTS.json

Writes OUTDIR/<id>.onnx (opset 17) and OUTDIR/index.json. Every layer becomes
one node named n<index> (two for a global pool without keepdims), whose
output is also a graph output, so ONNX Runtime reports every layer's shape.
With --cuts ({"<id>": [k, ...]}, written by run_onnxruntime.mjs for the cases
that fail), it writes only the models cut before layer k, OUTDIR/<id>.<k>.onnx,
that ONNX Runtime needs for the shapes before a failing node and to place an
error that names no node.

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
        self.counter = 0

    def weight(self, shape, prefix):
        if any(d < 1 for d in shape):
            raise BuilderError("a weight of shape %s" % shape)
        self.counter += 1
        name = "%s_%d" % (prefix, self.counter)
        self.inits.append(numpy_helper.from_array(np.full(shape, 0.01, np.float32), name))
        return name

    def ints(self, values, prefix):
        self.counter += 1
        name = "%s_%d" % (prefix, self.counter)
        self.inits.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    def model(self, symbolic):
        rank = len(self.input_shape)
        dims = (["N", "C"] + ["D%d" % i for i in range(rank - 2)]) if symbolic else self.input_shape
        graph = helper.make_graph(
            self.nodes, "case", [helper.make_tensor_value_info("input", TensorProto.FLOAT, dims)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in self.outputs], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="convscope-conformance")
        m.ir_version = 8
        return m

    def arriving_channels(self, name):
        """Dim 1 of tensor `name` by ONNX's shape inference, or None."""
        if name == "input":
            return self.input_shape[1]
        try:
            inferred = shape_inference.infer_shapes(self.model(symbolic=False))
        except Exception:
            return None
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
            if vi.name == name:
                dims = vi.type.tensor_type.shape.dim
                if len(dims) < 2 or not dims[1].HasField("dim_value") or dims[1].dim_value < 1:
                    return None
                return dims[1].dim_value
        return None

    def arriving_shape(self, name):
        """The shape ONNX's shape inference gives tensor `name` with static input sizes, or None."""
        if name == "input":
            return list(self.input_shape)
        try:
            inferred = shape_inference.infer_shapes(self.model(symbolic=False))
        except Exception:
            return None
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
            if vi.name == name:
                dims = vi.type.tensor_type.shape.dim
                if not dims or any(not d.HasField("dim_value") or d.dim_value < 1 for d in dims):
                    return None  # unknown, or a failure upstream (inference writes negative sizes)
                return [d.dim_value for d in dims]
        return None


def add_layer(g, i, layer, x, rank):
    """Adds layer i reading tensor x; returns the name of its output."""
    t = layer["type"]
    out = "l%d" % i
    node = "n%d" % i
    shape = None

    def arriving():
        nonlocal shape
        if shape is None:
            shape = g.arriving_shape(x)
            if shape is None:
                raise BuilderError("ONNX shape inference gives no shape for the input of layer %d" % i)
        return shape

    def channels():
        if "in_channels" in layer:
            return layer["in_channels"]
        c = g.arriving_channels(x)
        if c is None:
            raise BuilderError("ONNX shape inference gives no channel count for the input of layer %d" % i)
        return c

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
            g.nodes.append(helper.make_node(op, [x], [out + "_pooled"], name=node))
            g.nodes.append(helper.make_node("Flatten", [out + "_pooled"], [out], name=node + "_flatten", axis=1))
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
        g.nodes.append(helper.make_node("Shape", [x], [out + "_shape"], name=node + "_shape", start=-1))
        g.nodes.append(helper.make_node("Concat", [out + "_shape", units], [out + "_wshape"], name=node + "_wshape", axis=0))
        g.nodes.append(helper.make_node("ConstantOfShape", [out + "_wshape"], [out + "_w"], name=node + "_w",
                                        value=numpy_helper.from_array(np.array([0.01], np.float32))))
        inputs = [x, out + "_w"] + ([g.weight([layer["units"]], "B")] if layer.get("bias", True) else [])
        g.nodes.append(helper.make_node("Gemm", inputs, [out], name=node))
    elif t in ("relu", "dropout"):
        g.nodes.append(helper.make_node("Relu", [x], [out], name=node))
    elif t == "batch_norm":
        c = channels()
        inputs = [x] + [g.weight([c], n) for n in ("scale", "bias", "mean", "var")]
        g.nodes.append(helper.make_node("BatchNormalization", inputs, [out], name=node))
    else:
        raise BuilderError("no ONNX node for layer type %r here" % t)
    g.outputs.append(out)
    return out


def build(case, path, cuts=None):
    """Saves the model or, given `cuts`, only the models cut before each layer
    k in it (path.k.onnx): ONNX Runtime runs every node whatever outputs are
    asked for, so the shapes before a failing node come from a cut model."""
    net = case["network"]
    rank = len(net["input"]) - 2
    g = Graph(net["input"])
    x = "input"
    for i, layer in enumerate(net["layers"]):
        if cuts is not None and i in cuts:
            onnx.save(g.model(symbolic=True), "%s.%d.onnx" % (path, i))
        try:
            x = add_layer(g, i, layer, x, rank)
        except BuilderError as e:
            # Layers after one ONNX shape inference cannot size are left out:
            # the comparison stops at the first failure anyway.
            if cuts is None:
                onnx.save(g.model(symbolic=True), path + ".onnx")
            return {"built": i, "note": str(e)}
    if cuts is None:
        onnx.save(g.model(symbolic=True), path + ".onnx")
    return {"built": len(net["layers"])}


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
