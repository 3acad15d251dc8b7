#!/usr/bin/python3
"""Real-PyTorch references for the graph examples in examples/.

Each example network is defined here again, independently of its JSON file,
as ordinary PyTorch code (ResNet-18 and the DenseNet block are torchvision's
own modules), run on a zero tensor of the example's input shape, and what
happened is printed as JSON on stdout:

  {"torch": VERSION, "torchvision": VERSION,
   "examples": {ID: RESULT}, "variants": {ID@HxW: RESULT}}

  RESULT = {"example": ID, "file": "X.json", "input": [N, C, H, W],
            "ok": bool, "output_shape": [..] | [[..], ..] | null,
            "total_params": int,
            "error_type": "RuntimeError" | null,
            "error_text": first line of the exception text | null,
            "failing_op": the JSON layer name of the op that raised | null,
            "layers": {JSON layer name: output shape},   (every op that ran)
            "order": [JSON layer names in execution order],
            "layer_params": {JSON layer name: parameters of that module},
            "sinks": {JSON layer name: shape} (the module's returned tensors)}

Layer names are the JSON files' names: a module's qualified name
(`layer1.0.conv1`), a module called a second time gets `_1` (torch.fx's
convention: `layer1.0.relu_1`), and the functional ops (cat, add, crop,
flatten) are recorded under the names the JSON gives them. "variants" are the
same modules at other inputs (the test substitutes `input` in the JSON).

Modules run as a user runs them: `model(x)` without `eval()` (training mode,
PyTorch's default and ConvScope's PyTorch default), under `torch.no_grad()`.

Run with Debian's interpreter: /usr/bin/python3 (python3-torch, python3-torchvision).
"""
import json
import operator
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision


class Recorder:
    """Output shapes of leaf modules (forward hooks) and of functional ops
    (Recorder.op), under the JSON's layer names; the innermost op that was
    running when an exception escaped is the failing op."""

    def __init__(self, model, input_aliases=None):
        self.layers = OrderedDict()
        self.layer_params = {}
        self.running = []
        self.calls = {}
        # (module name, call index) -> JSON name recorded with the module's INPUT shape,
        # for functional ops with no module of their own (torchvision's add, flatten, cat).
        self.input_aliases = input_aliases or {}
        self.sinks = {}
        for name, module in model.named_modules():
            if name and not any(True for _ in module.children()):
                module.register_forward_pre_hook(self._pre(name))
                module.register_forward_hook(self._post(name, module))

    def _call_name(self, name):
        k = self.calls.get(name, 0)
        return name if k == 0 else f"{name}_{k}"

    def _pre(self, name):
        def hook(module, args):
            k = self.calls.get(name, 0)
            alias = self.input_aliases.get((name, k))
            if alias is not None:
                self.put(alias, args[0])
            self.running.append(self._call_name(name))
        return hook

    def _post(self, name, module):
        def hook(module_, args, output):
            json_name = self.running.pop()
            if self.calls.get(name, 0) == 0:
                self.layer_params[json_name] = sum(p.numel() for p in module.parameters())
            self.calls[name] = self.calls.get(name, 0) + 1
            self.put(json_name, output)
        return hook

    def put(self, name, tensor):
        if name in self.layers:
            raise AssertionError(f"layer name recorded twice: {name}")
        self.layers[name] = list(tensor.shape)

    def op(self, name, fn, *args):
        """A functional op under a JSON layer name: recorded, or named as the failing op."""
        self.running.append(name)
        out = fn(*args)
        self.running.pop()
        self.put(name, out)
        return out


def crop_to(x, ref):
    """Centre crop of x to ref's spatial size: begin (in - ref) // 2 (the original U-Net's crop)."""
    h, w = ref.shape[-2:]
    H, W = x.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"crop_to: reference {h}x{w} larger than the tensor {H}x{W}")
    top, left = (H - h) // 2, (W - w) // 2
    return x[..., top:top + h, left:left + w]


def cat(tensors):
    return torch.cat(tensors, dim=1)


# ---------------------------------------------------------------- ResNet-18

def resnet18():
    model = torchvision.models.resnet18(weights=None)
    aliases = {("fc", 0): "flatten"}
    for stage, blocks in (("layer1", 2), ("layer2", 2), ("layer3", 2), ("layer4", 2)):
        for b in range(blocks):
            # BasicBlock.forward: out = relu(bn1(conv1(x))); out = bn2(conv2(out));
            # out += identity; out = relu(out): the second relu call's input is the add.
            aliases[(f"{stage}.{b}.relu", 1)] = f"{stage}.{b}.add"
    return model, aliases


# ---------------------------------------------------------------- U-Nets

def double_conv(cin, cout, padding):
    return nn.Sequential(OrderedDict(
        conv1=nn.Conv2d(cin, cout, 3, padding=padding), relu1=nn.ReLU(),
        conv2=nn.Conv2d(cout, cout, 3, padding=padding), relu2=nn.ReLU()))


class UNet(nn.Module):
    """Depth-4 U-Net, 64..1024 channels. padded=True: 3x3 convs with padding 1
    and cat([skip, up]); padded=False: the original (Ronneberger et al., 2015),
    valid convs, the skip centre-cropped to the upsampled size, then cat([crop, up])."""

    def __init__(self, in_channels, classes, padded):
        super().__init__()
        p = 1 if padded else 0
        self.padded = padded
        self.enc1 = double_conv(in_channels, 64, p)
        self.pool1 = nn.MaxPool2d(2)
        self.enc2 = double_conv(64, 128, p)
        self.pool2 = nn.MaxPool2d(2)
        self.enc3 = double_conv(128, 256, p)
        self.pool3 = nn.MaxPool2d(2)
        self.enc4 = double_conv(256, 512, p)
        self.pool4 = nn.MaxPool2d(2)
        self.bottleneck = double_conv(512, 1024, p)
        self.up4 = nn.ConvTranspose2d(1024, 512, 2, stride=2)
        self.dec4 = double_conv(1024, 512, p)
        self.up3 = nn.ConvTranspose2d(512, 256, 2, stride=2)
        self.dec3 = double_conv(512, 256, p)
        self.up2 = nn.ConvTranspose2d(256, 128, 2, stride=2)
        self.dec2 = double_conv(256, 128, p)
        self.up1 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.dec1 = double_conv(128, 64, p)
        self.out = nn.Conv2d(64, classes, 1)
        self.R = None

    def merge(self, level, skip, up):
        if not self.padded:
            skip = self.R.op(f"crop{level}", crop_to, skip, up)
        return self.R.op(f"cat{level}", cat, [skip, up])

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool1(e1))
        e3 = self.enc3(self.pool2(e2))
        e4 = self.enc4(self.pool3(e3))
        b = self.bottleneck(self.pool4(e4))
        d4 = self.dec4(self.merge(4, e4, self.up4(b)))
        d3 = self.dec3(self.merge(3, e3, self.up3(d4)))
        d2 = self.dec2(self.merge(2, e2, self.up2(d3)))
        d1 = self.dec1(self.merge(1, e1, self.up1(d2)))
        return self.out(d1)


def unet_padded():
    return UNet(3, 2, padded=True), {}


def unet_original():
    return UNet(1, 2, padded=False), {}


# ---------------------------------------------------------------- Inception

class Inception(nn.Module):
    """GoogLeNet's inception (3a) as in the paper (Szegedy et al., 2014, table 1):
    1x1 64 | 1x1 96 -> 3x3 128 | 1x1 16 -> 5x5 32 | maxpool 3/1 pad 1 -> 1x1 32,
    each conv with bias and ReLU, concatenated on channels: 192 -> 256."""

    def __init__(self):
        super().__init__()
        self.branch1 = nn.Sequential(OrderedDict(conv=nn.Conv2d(192, 64, 1), relu=nn.ReLU()))
        self.branch2 = nn.Sequential(OrderedDict(
            reduce=nn.Conv2d(192, 96, 1), relu1=nn.ReLU(),
            conv=nn.Conv2d(96, 128, 3, padding=1), relu2=nn.ReLU()))
        self.branch3 = nn.Sequential(OrderedDict(
            reduce=nn.Conv2d(192, 16, 1), relu1=nn.ReLU(),
            conv=nn.Conv2d(16, 32, 5, padding=2), relu2=nn.ReLU()))
        self.branch4 = nn.Sequential(OrderedDict(
            pool=nn.MaxPool2d(3, stride=1, padding=1),
            proj=nn.Conv2d(192, 32, 1), relu=nn.ReLU()))
        self.R = None

    def forward(self, x):
        outs = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return self.R.op("concat", cat, outs)


def inception_block():
    return Inception(), {}


# ---------------------------------------------------------------- DenseNet

class DenseBlockAndTransition(nn.Module):
    """torchvision's DenseNet-121 denseblock1 (6 layers, growth 32, bn_size 4)
    and transition1, the modules themselves: 64 channels in, 256 after the
    block, 128 after the transition, 56x56 -> 28x28."""

    def __init__(self):
        super().__init__()
        features = torchvision.models.densenet121(weights=None).features
        self.denseblock1 = features.denseblock1
        self.transition1 = features.transition1

    def forward(self, x):
        return self.transition1(self.denseblock1(x))


def densenet_block():
    # _DenseLayer.bn_function: norm1(torch.cat(inputs, 1)); _DenseBlock returns
    # torch.cat(features, 1). Layer 1's cat has one tensor (no JSON layer).
    aliases = {(f"denseblock1.denselayer{k}.norm1", 0): f"denseblock1.denselayer{k}.cat" for k in range(2, 7)}
    aliases[("transition1.norm", 0)] = "denseblock1.cat"
    return DenseBlockAndTransition(), aliases


# ---------------------------------------------------------------- residual, stride forgotten

class ForgotStride(nn.Module):
    """A BasicBlock whose main path has stride 2 and whose shortcut is the identity."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(64, 64, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.R = None

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = self.R.op("add", operator.add, out, identity)  # out + identity: tensor a is out
        return self.relu(out)


def residual_forgot_stride():
    return ForgotStride(), {}


# ---------------------------------------------------------------- FPN top-down

def conv_bn_relu(cin, cout, stride):
    return nn.Sequential(OrderedDict(
        conv=nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        bn=nn.BatchNorm2d(cout), relu=nn.ReLU()))


class FPNTopDown(nn.Module):
    """A small backbone (C2..C5 at strides 4..32) and the feature pyramid's
    top-down path (Lin et al., 2017): 1x1 lateral convs to 256 channels,
    nearest x2 upsampling, lateral + upsampled, a 3x3 conv on each level."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(OrderedDict(
            conv=nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), bn=nn.BatchNorm2d(64),
            relu=nn.ReLU(), pool=nn.MaxPool2d(3, stride=2, padding=1)))
        self.c2 = conv_bn_relu(64, 64, 1)
        self.c3 = conv_bn_relu(64, 128, 2)
        self.c4 = conv_bn_relu(128, 256, 2)
        self.c5 = conv_bn_relu(256, 512, 2)
        self.lateral5 = nn.Conv2d(512, 256, 1)
        self.lateral4 = nn.Conv2d(256, 256, 1)
        self.lateral3 = nn.Conv2d(128, 256, 1)
        self.lateral2 = nn.Conv2d(64, 256, 1)
        self.up5 = nn.Upsample(scale_factor=2, mode="nearest")
        self.up4 = nn.Upsample(scale_factor=2, mode="nearest")
        self.up3 = nn.Upsample(scale_factor=2, mode="nearest")
        self.out5 = nn.Conv2d(256, 256, 3, padding=1)
        self.out4 = nn.Conv2d(256, 256, 3, padding=1)
        self.out3 = nn.Conv2d(256, 256, 3, padding=1)
        self.out2 = nn.Conv2d(256, 256, 3, padding=1)
        self.R = None

    def forward(self, x):
        c2 = self.c2(self.stem(x))
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        c5 = self.c5(c4)
        p5 = self.lateral5(c5)
        p4 = self.R.op("p4", operator.add, self.lateral4(c4), self.up5(p5))
        p3 = self.R.op("p3", operator.add, self.lateral3(c3), self.up4(p4))
        p2 = self.R.op("p2", operator.add, self.lateral2(c2), self.up3(p3))
        return [self.out5(p5), self.out4(p4), self.out3(p3), self.out2(p2)]


def fpn_topdown():
    return FPNTopDown(), {}


# ---------------------------------------------------------------- running

EXAMPLES = [
    # (id, builder, the example's input, sink names in the order the module returns them)
    ("resnet18", resnet18, [1, 3, 224, 224], ["fc"]),
    ("unet_padded", unet_padded, [1, 3, 100, 100], ["out"]),
    ("unet_original", unet_original, [1, 1, 572, 572], ["out"]),
    ("inception_block", inception_block, [1, 192, 28, 28], ["concat"]),
    ("densenet_block", densenet_block, [1, 64, 56, 56], ["transition1.pool"]),
    ("residual_forgot_stride", residual_forgot_stride, [1, 64, 56, 56], ["relu_1"]),
    ("fpn_topdown", fpn_topdown, [1, 3, 224, 224], ["out5", "out4", "out3", "out2"]),
]

VARIANTS = [
    # the same modules at other inputs: what the issue promises about them
    ("unet_padded", [1, 3, 96, 96]),      # multiples of 16 are valid
    ("unet_original", [1, 1, 188, 188]),  # 16k + 124 with k = 4: the smallest, output 4x4
    ("unet_original", [1, 1, 172, 172]),  # k = 3: a decoder conv meets 2x2
    ("unet_original", [1, 1, 189, 189]),  # not 16k + 124, yet PyTorch runs it: the crops absorb the floors
    ("fpn_topdown", [1, 3, 200, 200]),    # 25 -> 13 -> 7, and 7 * 2 = 14 != 13
]


def run(example_id, builder, shape, sinks):
    torch.manual_seed(0)
    model, aliases = builder()
    rec = Recorder(model, aliases)
    if hasattr(model, "R"):
        model.R = rec
    result = {
        "example": example_id, "file": f"{example_id}.json", "input": shape,
        "ok": True, "output_shape": None,
        "total_params": sum(p.numel() for p in model.parameters()),
        "error_type": None, "error_text": None, "failing_op": None,
    }
    try:
        with torch.no_grad():
            out = model(torch.zeros(shape))
        if isinstance(out, (list, tuple)):
            result["output_shape"] = [list(t.shape) for t in out]
            outs = list(out)
        else:
            result["output_shape"] = list(out.shape)
            outs = [out]
        result["sinks"] = {name: list(t.shape) for name, t in zip(sinks, outs)}
    except Exception as e:  # noqa: BLE001 - every framework error is the point here
        result["ok"] = False
        result["error_type"] = type(e).__name__
        result["error_text"] = str(e).splitlines()[0] if str(e) else ""
        result["failing_op"] = rec.running[-1] if rec.running else None
        result["sinks"] = {}
    result["layers"] = dict(rec.layers)
    result["order"] = list(rec.layers)
    result["layer_params"] = rec.layer_params
    return result


def main():
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    only = set(sys.argv[1:])
    report = {"torch": torch.__version__, "torchvision": torchvision.__version__,
              "examples": {}, "variants": {}}
    by_id = {e[0]: e for e in EXAMPLES}
    for example_id, builder, shape, sinks in EXAMPLES:
        if only and example_id not in only:
            continue
        report["examples"][example_id] = run(example_id, builder, shape, sinks)
    for example_id, shape in VARIANTS:
        if only and example_id not in only:
            continue
        _, builder, _, sinks = by_id[example_id]
        key = f"{example_id}@{shape[2]}x{shape[3]}"
        report["variants"][key] = run(example_id, builder, shape, sinks)
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
