// The code reader (issue 14): pasted PyTorch model code read statically.
// Shapes against real PyTorch are the conformance test's job
// (tests/conformance/code_import.test.mjs over tests/fixtures/code/); here:
// how the code is read -- layer names and wiring, source lines, the model and
// input chosen -- and that code outside the subset, wrong code and hostile
// code each end in a message with line and column, never a crash or a hang.
#include <string>

#include <doctest/doctest.h>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;

namespace {

const cs::Layer* layer_named(const cs::Network& net, const std::string& name) {
  for (const cs::Layer& l : net.layers)
    if (l.name == name) return &l;
  return nullptr;
}

std::string code(const std::string& body) {
  return "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n" + body;
}

}  // namespace

TEST_CASE("code: a U-Net Up block with F.pad to the skip's size reads as pad_to, at every input size") {
  const std::string text = code(R"(
class Up(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2,
                        diffY // 2, diffY - diffY // 2])
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 8, 3, padding=1)
        self.down = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1))
        self.up1 = Up(16, 8)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down(x1)
        return self.up1(x2, x1)

model = Net()
)");
  for (int64_t size : {96, 100, 101}) {
    CAPTURE(size);
    const imp::ImportResult r = import_ok(text, with_input({1, 3, size, size}));
    CHECK(r.format == imp::Format::python_code);
    CHECK(r.model == "Net");
    CHECK(r.models == std::vector<std::string>{"Up", "Net"});
    const cs::Network& net = r.network;
    // Module paths as named_modules() gives them; functional ops by name.
    REQUIRE(layer_named(net, "down.0"));
    REQUIRE(layer_named(net, "up1.up"));
    const cs::Layer* pad = layer_named(net, "pad");
    REQUIRE(pad);
    CHECK(pad->type == cs::LayerType::pad_to);  // not numbers true at one size only
    const cs::Layer* cat = layer_named(net, "cat");
    REQUIRE(cat);
    CHECK(cat->type == cs::LayerType::concat);
    REQUIRE(cat->source);
    CHECK(cat->source->line == 18);
    CHECK(cat->source->code == "x = torch.cat([x2, x1], dim=1)");
    // A module's line is the innermost line of the code that called it.
    CHECK(layer_named(net, "down.1")->source->line == 30);
    CHECK(layer_named(net, "pad")->source->line == 16);
    const cs::Report report = cs::analyze(net);
    CHECK(!report.first_error);
  }
}

TEST_CASE("code: the model is the one the code makes last, or the one asked for; a factory function too") {
  const std::string text = code(R"(
class A(nn.Module):
    def __init__(self, c=4):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3)
    def forward(self, x):
        return self.conv(x)

class B(nn.Module):
    def __init__(self):
        super(B, self).__init__()
        self.fc = nn.Linear(10, 2)
    def forward(self, x):
        return self.fc(torch.flatten(x, 1))

def make_a():
    return A(c=6)

a = A(c=5)  # input: 1x3x16x16
)");
  imp::ImportResult r = import_ok(text);
  CHECK(r.model == "A");
  CHECK(r.network.input == std::vector<int64_t>{1, 3, 16, 16});  // from the comment
  CHECK(r.network.layers[0].filters == 5);  // the instance the code made, with its arguments
  imp::ImportOptions o;
  o.model = "make_a";
  r = import_ok(text, o);
  CHECK(r.network.layers[0].filters == 6);
  o.model = "B";
  r = import_ok(text, o);
  CHECK(r.model == "B");
  o.model = "C";
  const std::string error = import_error(text, o);
  CHECK(error.find("no nn.Module class or function named \"C\"") != std::string::npos);
  CHECK(error.find("A, B") != std::string::npos);
}

TEST_CASE("code: the input shape from the example tensor, else assumed and said") {
  imp::ImportResult r = import_ok(code(R"(
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(1, 2, 3)
    def forward(self, x):
        return self.c(x)

if __name__ == "__main__":
    net = Net()
    x = torch.randn(2, 1, 28, 28)
    print(net(x).shape)
)"));
  CHECK(r.network.input == std::vector<int64_t>{2, 1, 28, 28});
  CHECK(all_notes(r).find("from the example tensor at line 15: x = torch.randn(2, 1, 28, 28)") != std::string::npos);
  r = import_ok(code("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                     "        self.c = nn.Conv2d(3, 2, 3)\n    def forward(self, x):\n        return self.c(x)\n"));
  CHECK(r.network.input == std::vector<int64_t>{1, 3, 224, 224});
  CHECK(all_notes(r).find("assumed 1x3x224x224") != std::string::npos);
}

TEST_CASE("code: outside the subset, the reading stops at the line and column and says so") {
  const imp::ImportResult r = import_ok(code(R"(
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.rnn = nn.LSTM(8, 8)
    def forward(self, x):
        x = self.conv(x)
        x = x.permute(0, 2, 3, 1)
        return self.rnn(x)
)"), with_input({1, 3, 32, 32}));
  REQUIRE(r.network.layers.size() == 1);  // the part before
  CHECK(r.stopped_at.find("line 13, column 13 (x = x.permute(0, 2, 3, 1)): `Tensor.permute` is not an operation") == 0);
  const imp::ImportResult lstm = import_ok(code(R"(
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.rnn = nn.LSTM(8, 8)
    def forward(self, x):
        return self.rnn(self.conv(x))
)"), with_input({1, 3, 32, 32}));
  CHECK(lstm.stopped_at.find("line 12, column 16 (return self.rnn(self.conv(x))): `rnn` is an nn.LSTM") == 0);
  CHECK(lstm.stopped_at.find("nn.LSTM, which ConvScope does not model") != std::string::npos);
}

TEST_CASE("code: top-level code that does not build the model is skipped, and said") {
  const imp::ImportResult r = import_ok(code(R"(
import torchvision
trainset = torchvision.datasets.CIFAR10(root='./data', train=True, download=True)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 2, 3)
    def forward(self, x):
        return self.c(x)
net = Net()
for epoch in range(2):
    for data in trainset:
        net.zero_grad()
)"), with_input({1, 3, 8, 8}));
  CHECK(r.network.layers.size() == 1);
  CHECK(all_notes(r).find("was not read (lines 15)") != std::string::npos);
}

TEST_CASE("code: wrong and hostile code ends in a message with line and column") {
  struct Case {
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {"class Net(nn.Module):\n    def forward(self, x)\n        return x\n", "line 6, column 25: expected ':'"},
      {"class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        while True:\n            pass\n",
       "line 8, column 15 (while True:): the code runs more than 2000000 steps"},
      {"def f(n):\n    return f(n + 1)\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
       "        f(1)\n",
       "line 6, column 12 (return f(n + 1)): calls nested deeper than 48"},
      {"class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
       "        self.l = [nn.Conv2d(3, 3, 3) for _ in range(10**9)]\n",
       "range() of more than 100000 items"},
      {"class Net(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n",
       "missing required argument 'width'"},
      {"x = 1\n", "the code defines no class deriving from nn.Module"},
      {"class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 4, k)\n",
       "line 8, column 34 (self.c = nn.Conv2d(3, 4, k)): name 'k' is not defined"},
      {"class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(3, 4, 3)\n"
       "    def forward(self, x):\n        return self.c(x, x)\n",
       "ConvScope reads modules called on one tensor"},
  };
  for (const Case& c : cases) {
    const std::string text = code(c.body);
    CAPTURE(text);
    const std::string error = import_error(text, with_input({1, 3, 8, 8}));
    CHECK(error.find(c.expect) != std::string::npos);
    CHECK(error.size() < 600);
  }
}

TEST_CASE("code: model.eval() switches the network and every submodule's self.training, as nn.Module.eval() does") {
  const std::string body = R"(
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.drop = nn.Dropout(0.5)
    def forward(self, x):
        x = self.conv(x)
        if self.training:
            x = self.drop(x)
        return x

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
    def forward(self, x):
        return self.block(x)

model = Net()
)";
  const imp::ImportResult train = import_ok(code(body), with_input({1, 3, 8, 8}));
  CHECK(train.network.mode == cs::Mode::train);
  CHECK(layer_named(train.network, "block.drop"));
  const imp::ImportResult eval = import_ok(code(body + "model.eval()\n"), with_input({1, 3, 8, 8}));
  CHECK(eval.network.mode == cs::Mode::eval);
  CHECK(!layer_named(eval.network, "block.drop"));
  CHECK(all_notes(eval).find("the code calls .eval()") != std::string::npos);
}
