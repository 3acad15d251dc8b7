#!/usr/bin/python3
"""Runs ConvScope networks in real PyTorch and records what PyTorch does.

    /usr/bin/python3 tests/conformance/run_pytorch.py cases.json > results.json

cases.json: [{"id", "network"}] (the JSON contract of the README, graph
layers of the v2 contract included). For each case the network is built
module by module from what actually arrives (a layer without a declared
in_channels / in_features gets the arriving size, as ConvScope assumes), run
on zeros in the network's mode (PyTorch's default: training), and recorded:
the output shape of every layer up to the first failure, and the failing
layer with the exception's type and text. Every case runs in this one
process: importing torch costs seconds, a case milliseconds.

The builder is a table, one entry per layer type; merge types (add, concat,
...) and the "make them fit" types (crop_to, pad_to, resize_to) of the graph
contract are built too.

Graphs: layers run in list order (each reads the tensors its `inputs` name).
`error` is the first layer that raises, which is where a forward() written
in that order stops. The run then goes on, as ConvScope's analysis does:
a layer whose input failed is skipped, every other layer still runs on
what PyTorch computed, so `errors` lists every layer that raises with the
inputs it really gets, and `layers[i]` is {"output"}, {"failed"} or
{"skipped"} for every layer.

A crop_to whose reference is larger than the tensor is refused by the
contract (a centre crop cannot grow; torchvision's center_crop would pad,
slicing would silently keep the smaller size): that is recorded as an
error of stage "contract", with no framework text.
"""
import json
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.set_num_threads(1)


class BuilderError(Exception):
    """A network this builder cannot express in PyTorch (not a PyTorch failure)."""


class ContractError(Exception):
    """What the contract refuses where PyTorch has no error of its own."""


def per_axis(value, rank):
    if isinstance(value, list):
        return tuple(value)
    return (value,) * rank


def padding_arg(layer, rank, default=0):
    """PyTorch's padding argument; asymmetric [begin, end] pairs need an F.pad first."""
    p = layer.get("padding", default)
    if isinstance(p, str):
        return p, None
    if isinstance(p, list) and p and isinstance(p[0], list):
        if all(b == e for b, e in p):
            return tuple(b for b, _ in p), None
        return 0, [x for b, e in reversed(p) for x in (b, e)]  # F.pad order: last axis first
    return per_axis(p, rank), None


def with_prepad(module, pads):
    if pads is None:
        return module
    return nn.Sequential(_Pad(pads), module)


class _Pad(nn.Module):
    def __init__(self, pads):
        super().__init__()
        self.pads = pads

    def forward(self, x):
        return F.pad(x, self.pads)


class Lambda(nn.Module):
    def __init__(self, fn, label):
        super().__init__()
        self.fn = fn
        self.label = label

    def forward(self, *xs):
        return self.fn(*xs)

    def extra_repr(self):
        return self.label


def channels_in(layer, x):
    return layer.get("in_channels", x.shape[1])


def conv(layer, xs, rank):
    x = xs[0]
    padding, pads = padding_arg(layer, rank)
    cls = [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1]
    m = cls(channels_in(layer, x), layer["filters"], per_axis(layer["kernel"], rank),
            stride=per_axis(layer.get("stride", 1), rank), padding=padding,
            dilation=per_axis(layer.get("dilation", 1), rank), groups=layer.get("groups", 1),
            bias=layer.get("bias", True))
    return with_prepad(m, pads)


def depthwise_conv(layer, xs, rank):
    x = xs[0]
    c = channels_in(layer, x)
    padding, pads = padding_arg(layer, rank)
    cls = [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1]
    m = cls(c, c * layer.get("depth_multiplier", 1), per_axis(layer["kernel"], rank),
            stride=per_axis(layer.get("stride", 1), rank), padding=padding,
            dilation=per_axis(layer.get("dilation", 1), rank), groups=c, bias=layer.get("bias", True))
    return with_prepad(m, pads)


def conv_transpose(layer, xs, rank):
    x = xs[0]
    padding, pads = padding_arg(layer, rank)
    if pads is not None:
        raise BuilderError("asymmetric padding on a transposed conv")
    cls = [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d][rank - 1]
    return cls(channels_in(layer, x), layer["filters"], per_axis(layer["kernel"], rank),
               stride=per_axis(layer.get("stride", 1), rank), padding=padding,
               output_padding=per_axis(layer.get("output_padding", 0), rank),
               groups=layer.get("groups", 1), bias=layer.get("bias", True),
               dilation=per_axis(layer.get("dilation", 1), rank))


def max_pool(layer, xs, rank):
    padding, pads = padding_arg(layer, rank)
    cls = [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][rank - 1]
    kernel = per_axis(layer["kernel"], rank)
    return with_prepad(cls(kernel, stride=per_axis(layer.get("stride", layer["kernel"]), rank), padding=padding,
                           dilation=per_axis(layer.get("dilation", 1), rank),
                           ceil_mode=layer.get("ceil_mode", False)), pads)


def avg_pool(layer, xs, rank):
    padding, pads = padding_arg(layer, rank)
    cls = [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][rank - 1]
    return with_prepad(cls(per_axis(layer["kernel"], rank), stride=per_axis(layer.get("stride", layer["kernel"]), rank),
                           padding=padding, ceil_mode=layer.get("ceil_mode", False),
                           count_include_pad=layer.get("count_include_pad", True)), pads)


def global_pool(kind):
    def build(layer, xs, rank):
        pool = [[nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d],
                [nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d]][kind][rank - 1](1)
        # keepdims false (Keras' default): the spatial axes dropped, as ConvScope's export writes it.
        return pool if layer.get("keepdims", True) else nn.Sequential(pool, nn.Flatten())
    return build


def adaptive_avg_pool(layer, xs, rank):
    return [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d][rank - 1](
        per_axis(layer["output_size"], rank))


def pad_pairs(value, rank):
    if isinstance(value, list) and value and isinstance(value[0], list):
        return [tuple(p) for p in value]
    return [(v, v) for v in per_axis(value, rank)]


def zero_pad(layer, xs, rank):
    pairs = pad_pairs(layer["padding"], rank)
    flat = tuple(x for b, e in reversed(pairs) for x in (b, e))
    return [nn.ConstantPad1d, nn.ConstantPad2d, nn.ConstantPad3d][rank - 1](flat, 0.0)


def crop(layer, xs, rank):
    pairs = pad_pairs(layer["cropping"], rank)

    def fn(x):
        index = [slice(None), slice(None)] + [slice(b, x.shape[2 + i] - e) for i, (b, e) in enumerate(pairs)]
        return x[tuple(index)]
    return Lambda(fn, "crop %s" % pairs)


def upsample(layer, xs, rank):
    return nn.Upsample(scale_factor=tuple(float(s) for s in per_axis(layer["scale"], rank)), mode="nearest")


def dense(layer, xs, rank):
    return nn.Linear(layer.get("in_features", xs[0].shape[-1]), layer["units"], bias=layer.get("bias", True))


ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softmax": lambda: nn.Softmax(dim=1),
               "gelu": nn.GELU, "elu": nn.ELU, "selu": nn.SELU, "linear": nn.Identity, "swish": nn.SiLU,
               "silu": nn.SiLU, "leaky_relu": nn.LeakyReLU, "relu6": nn.ReLU6, "softplus": nn.Softplus}


def activation(layer, xs, rank):
    fn = layer.get("function", "relu")
    if fn not in ACTIVATIONS:
        raise BuilderError("activation %r has no PyTorch module here" % fn)
    return ACTIVATIONS[fn]()


def batch_norm(layer, xs, rank):
    x = xs[0]
    # The BatchNorm class that takes what arrives: 1d for (N, C) and (N, C, L).
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}.get(x.dim())
    if cls is None:
        raise BuilderError("BatchNorm of a %d-D tensor" % x.dim())
    return cls(channels_in(layer, x))


def reduce_inputs(fn, label):
    def build(layer, xs, rank):
        def run(*ts):
            out = ts[0]
            for t in ts[1:]:
                out = fn(out, t)
            return out
        return Lambda(run, label)
    return build


def average(layer, xs, rank):
    return Lambda(lambda *ts: sum(ts[1:], ts[0]) / len(ts), "average")


def concat(layer, xs, rank):
    return Lambda(lambda *ts: torch.cat(ts, dim=layer.get("axis", 1)), "cat")


def channel_shuffle(layer, xs, rank):
    groups = layer["groups"]
    if rank == 2:  # torchvision's own function: the truth for ShuffleNet V2
        from torchvision.models.shufflenetv2 import channel_shuffle as shuffle
        return Lambda(lambda x: shuffle(x, groups), "channel_shuffle")

    def fn(x):  # the same views for any spatial rank (ConvScope's PyTorch export writes this)
        n, c = x.shape[:2]
        x = x.view(n, groups, c // groups, *x.shape[2:])
        return torch.transpose(x, 1, 2).contiguous().view(n, c, *x.shape[3:])
    return Lambda(fn, "channel_shuffle")


def channel_split(layer, xs, rank):
    return Lambda(lambda x: x.chunk(layer["chunks"], dim=1)[layer["index"]], "chunk")


def reshape(layer, xs, rank):
    """x.view(x.size(0), *shape) (batch "keep") or x.view(-1, *shape) ("infer"), as written in forward()."""
    shape = layer["shape"]
    if layer.get("batch", "keep") == "infer":
        return Lambda(lambda x: x.view(-1, *shape), "view")
    return Lambda(lambda x: x.view(x.size(0), *shape), "view")


def crop_to(layer, xs, rank):
    def fn(x, ref):
        index = [slice(None), slice(None)]
        for i in range(2, x.dim()):
            diff = x.shape[i] - ref.shape[i]
            if diff < 0:
                raise ContractError("crop_to: the reference is larger on axis %d" % i)
            index.append(slice(diff // 2, diff // 2 + ref.shape[i]))
        return x[tuple(index)]
    return Lambda(fn, "crop_to")


def pad_to(layer, xs, rank):
    def fn(x, ref):
        pads = []
        for i in reversed(range(2, x.dim())):
            diff = ref.shape[i] - x.shape[i]
            pads += [diff // 2, diff - diff // 2]
        return F.pad(x, pads)
    return Lambda(fn, "pad_to")


def resize_to(layer, xs, rank):
    return Lambda(lambda x, ref: F.interpolate(x, size=tuple(ref.shape[2:]), mode="nearest"), "resize_to")


BUILDERS = {
    "conv": conv,
    "depthwise_conv": depthwise_conv,
    "conv_transpose": conv_transpose,
    "max_pool": max_pool,
    "avg_pool": avg_pool,
    "global_avg_pool": global_pool(0),
    "global_max_pool": global_pool(1),
    "adaptive_avg_pool": adaptive_avg_pool,
    "zero_pad": zero_pad,
    "crop": crop,
    "upsample": upsample,
    "flatten": lambda layer, xs, rank: nn.Flatten(),
    "dense": dense,
    "relu": lambda layer, xs, rank: nn.ReLU(),
    "activation": activation,
    "batch_norm": batch_norm,
    "dropout": lambda layer, xs, rank: nn.Dropout(layer.get("rate", 0.5)),
    "channel_shuffle": channel_shuffle,
    "channel_split": channel_split,
    "reshape": reshape,
    # graph contract (v2)
    "add": reduce_inputs(torch.add, "add"),
    "subtract": reduce_inputs(torch.sub, "sub"),
    "multiply": reduce_inputs(torch.mul, "mul"),
    "average": average,
    "maximum": reduce_inputs(torch.maximum, "maximum"),
    "minimum": reduce_inputs(torch.minimum, "minimum"),
    "concat": concat,
    "crop_to": crop_to,
    "pad_to": pad_to,
    "resize_to": resize_to,
}


def run_case(net):
    rank = len(net["input"]) - 2
    training = net.get("mode", "train") == "train"
    tensors = {"input": torch.zeros(net["input"])}
    failed = set()  # names of layers that raised or were skipped
    previous = "input"
    layers, errors = [], []
    for i, layer in enumerate(net["layers"]):
        name = layer.get("name", str(i))  # nn.Sequential names children by position
        sources = layer.get("inputs", [previous])
        previous = name
        if any(s in failed for s in sources):
            failed.add(name)
            layers.append({"skipped": True})
            continue
        xs = [tensors[s] for s in sources]
        stage = "build"
        try:
            module = BUILDERS[layer["type"]](layer, xs, rank)
            module.train(training)
            stage = "forward"
            with torch.no_grad():
                y = module(*xs)
        except BuilderError as e:
            error = {"index": i, "stage": "builder", "type": "BuilderError", "text": str(e)}
            return {"layers": layers, "error": errors[0] if errors else error, "errors": errors + [error]}
        except ContractError as e:
            errors.append({"index": i, "stage": "contract", "type": "ContractError", "text": str(e)})
        except Exception as e:  # the framework's own failure: what we came for
            text = str(e).split("\n")[0] if isinstance(e, RuntimeError) else str(e)
            errors.append({"index": i, "stage": stage, "type": type(e).__name__, "text": text})
        else:
            layers.append({"output": list(y.shape)})
            tensors[name] = y
            continue
        failed.add(name)
        layers.append({"failed": True})
    return {"layers": layers, "error": errors[0] if errors else None, "errors": errors}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: run_pytorch.py cases.json\n")
        return 2
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    results = []
    for case in cases:
        result = run_case(case["network"])
        result["id"] = case["id"]
        results.append(result)
    json.dump({"framework": "pytorch", "version": torch.__version__, "results": results}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
