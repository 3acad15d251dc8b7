#!/usr/bin/python3
"""Writes expected.inc for tests/core/python_parse_test.cpp from CPython itself.

Run with Debian's /usr/bin/python3 (CPython 3.11): for every snippet of
trees.txt, the tree ast.parse builds, dumped in the test's compact form; for
every snippet of errors.txt, the (line, offset, msg) that compile(...,
ast.PyCF_ONLY_AST) raises. Snippets are separated by a line "----"; one
starting with "#pos" is dumped with positions (line:column, the column in
code points and 1-based like SyntaxError.offset).

    /usr/bin/python3 tests/core/python_parse_cases/make_expected.py
"""
import ast
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = {ast.Add: '+', ast.Sub: '-', ast.Mult: '*', ast.MatMult: '@', ast.Div: '/', ast.FloorDiv: '//', ast.Mod: '%',
       ast.Pow: '**', ast.LShift: '<<', ast.RShift: '>>', ast.BitOr: '|', ast.BitXor: '^', ast.BitAnd: '&',
       ast.USub: '-', ast.UAdd: '+', ast.Invert: '~', ast.Not: 'not', ast.And: 'and', ast.Or: 'or', ast.Eq: '==',
       ast.NotEq: '!=', ast.Lt: '<', ast.LtE: '<=', ast.Gt: '>', ast.GtE: '>=', ast.Is: 'is', ast.IsNot: 'is not',
       ast.In: 'in', ast.NotIn: 'not in'}


class D:
    def __init__(self, src):
        self.lines = src.replace('\r\n','\n').replace('\r','\n').split('\n')
        if self.lines and self.lines[0].startswith('\ufeff'): self.lines[0] = self.lines[0][1:]
    def at(self, n):
        line = self.lines[n.lineno-1].encode('utf-8')
        col = len(line[:n.col_offset].decode('utf-8', errors='replace')) + 1
        return f"@{n.lineno}:{col}"
    def q(self, b):
        out = '"'
        for c in b:
            if c in (34, 92): out += '\\' + chr(c)
            elif 0x20 <= c < 0x7f: out += chr(c)
            else: out += '\\x%02x' % c
        return out + '"'
    def e(self, n):
        if n is None: return '_'
        a = self.at(n)
        t = type(n)
        if t is ast.Name: return n.id + a
        if t is ast.Constant:
            v = n.value
            if v is True or v is False or v is None: return str(v) + a
            if v is Ellipsis: return '...' + a
            if isinstance(v, int): return str(v) + a
            if isinstance(v, float): return ('%.17g' % v) + 'f' + a
            if isinstance(v, str): return self.q(v.encode('utf-8', 'surrogatepass')) + a
            if isinstance(v, bytes): return self.q(v) + a
            return 'complex?'
        if t is ast.JoinedStr: return '(f)' + a
        if t is ast.Attribute: return f"(attr{a} {self.e(n.value)} {n.attr})"
        if t is ast.Call:
            items = [(x.lineno, x.col_offset, self.e(x)) for x in n.args] + [(k.lineno, k.col_offset, self.kw(k)) for k in n.keywords]
            items.sort(key=lambda x: (x[0], x[1]))
            return f"(call{a} {self.e(n.func)}" + ''.join(' ' + x[2] for x in items) + ')'
        if t is ast.Starred: return f"(star{a} {self.e(n.value)})"
        if t is ast.Subscript: return f"(sub{a} {self.e(n.value)} {self.e(n.slice)})"
        if t is ast.Slice: return f"(slice{a} {self.e(n.lower)} {self.e(n.upper)} {self.e(n.step)})"
        if t is ast.BinOp: return f"({OPS[type(n.op)]}{a} {self.e(n.left)} {self.e(n.right)})"
        if t is ast.UnaryOp: return f"({OPS[type(n.op)]}{a} {self.e(n.operand)})"
        if t is ast.BoolOp: return f"({OPS[type(n.op)]}{a}" + ''.join(' ' + self.e(v) for v in n.values) + ')'
        if t is ast.Compare: return f"(cmp{a} {self.e(n.left)}" + ''.join(f" {OPS[type(o)]} {self.e(c)}" for o, c in zip(n.ops, n.comparators)) + ')'
        if t is ast.IfExp: return f"(ifexp{a} {self.e(n.body)} {self.e(n.test)} {self.e(n.orelse)})"
        if t in (ast.Tuple, ast.List, ast.Set): return f"({t.__name__.lower()}{a}" + ''.join(' ' + self.e(x) for x in n.elts) + ')'
        if t is ast.Dict: return f"(dict{a}" + ''.join(f" {self.e(k)} {self.e(v)}" for k, v in zip(n.keys, n.values)) + ')'
        if t in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            k = {ast.ListComp:'list', ast.SetComp:'set', ast.GeneratorExp:'generator'}[t]
            return f"({k}comp{a} {self.e(n.elt)}" + self.gens(n.generators) + ')'
        if t is ast.DictComp: return f"(dictcomp{a} {self.e(n.key)} {self.e(n.value)}" + self.gens(n.generators) + ')'
        if t is ast.Lambda: return f"(lambda{a}" + self.lparams(n.args) + f" : {self.e(n.body)})"
        if t is ast.NamedExpr: return f"(:={a} {self.e(n.target)} {self.e(n.value)})"
        if t is ast.Await: return f"(await{a} {self.e(n.value)})"
        if t is ast.Yield: return f"(yield{a} {self.e(n.value)})"
        if t is ast.YieldFrom: return f"(yield-from{a} {self.e(n.value)})"
        return '?' + t.__name__
    def kw(self, k):
        return f"(kw{self.at(k)} {k.arg or '**'} {self.e(k.value)})"
    def gens(self, gs):
        return ''.join(f" ({'async-for' if g.is_async else 'for'} {self.e(g.target)} {self.e(g.iter)}" + ''.join(' ' + self.e(c) for c in g.ifs) + ')' for g in gs)
    def lparams(self, args):
        out = []
        pos = args.posonlyargs + args.args
        defs = [None] * (len(pos) - len(args.defaults)) + args.defaults
        for i, (p, d) in enumerate(zip(pos, defs)):
            out.append(p.arg + self.at(p) if d is None else f"(kw{self.at(p)} {p.arg} {self.e(d)})")
            if args.posonlyargs and i == len(args.posonlyargs) - 1: out.append('/@?')
        if args.vararg: out.append(f"(star{self.at(args.vararg)} {args.vararg.arg}{self.at(args.vararg)})")
        elif args.kwonlyargs: out.append('(star@? _)')
        for p, d in zip(args.kwonlyargs, args.kw_defaults):
            out.append(p.arg + self.at(p) if d is None else f"(kw{self.at(p)} {p.arg} {self.e(d)})")
        if args.kwarg: out.append(f"(star{self.at(args.kwarg)} ** {args.kwarg.arg}{self.at(args.kwarg)})")
        return ''.join(' ' + x for x in out)
    def param(self, p, kind, d=None):
        s = f"({kind}{p.arg}{self.at(p)}"
        if p.annotation: s += ' : ' + self.e(p.annotation)
        if d is not None: s += ' = ' + self.e(d)
        return s + ')'
    def params(self, args):
        out = []
        pos = args.posonlyargs + args.args
        defs = [None] * (len(pos) - len(args.defaults)) + args.defaults
        for i, (p, d) in enumerate(zip(pos, defs)):
            out.append(self.param(p, '', d))
            if args.posonlyargs and i == len(args.posonlyargs) - 1: out.append('(/@?)')
        if args.vararg: out.append(self.param(args.vararg, '*'))
        elif args.kwonlyargs: out.append('(*@?)')
        for p, d in zip(args.kwonlyargs, args.kw_defaults): out.append(self.param(p, 'kwonly ', d))
        if args.kwarg: out.append(self.param(args.kwarg, '**'))
        return '[' + ' '.join(out) + ']'
    def lst(self, v): return '[' + ' '.join(self.e(x) for x in v) + ']'
    def body(self, b): return '{' + ' '.join(self.s(x) for x in b) + '}'
    def s(self, n):
        a = self.at(n); t = type(n)
        if t is ast.Expr: return f"(expr{a} {self.e(n.value)})"
        if t is ast.Assign: return f"(assign{a} {self.lst(n.targets)} {self.e(n.value)})"
        if t is ast.AugAssign: return f"(augassign{a} {OPS[type(n.op)]} {self.e(n.target)} {self.e(n.value)})"
        if t is ast.AnnAssign: return f"(annassign{a} {self.e(n.target)} {self.e(n.annotation)} {self.e(n.value)})"
        if t is ast.Return: return f"(return{a} {self.e(n.value)})"
        if t is ast.Pass: return 'pass' + a
        if t is ast.Break: return 'break' + a
        if t is ast.Continue: return 'continue' + a
        if t is ast.If: return f"(if{a} {self.e(n.test)} {self.body(n.body)} {self.body(n.orelse)})"
        if t in (ast.For, ast.AsyncFor): return f"({'async-' if t is ast.AsyncFor else ''}for{a} {self.e(n.target)} {self.e(n.iter)} {self.body(n.body)} {self.body(n.orelse)})"
        if t is ast.While: return f"(while{a} {self.e(n.test)} {self.body(n.body)} {self.body(n.orelse)})"
        if t in (ast.FunctionDef, ast.AsyncFunctionDef):
            return f"({'async-' if t is ast.AsyncFunctionDef else ''}def{a} {n.name} {self.lst(n.decorator_list)} {self.params(n.args)} {self.e(n.returns)} {self.body(n.body)})"
        if t is ast.ClassDef:
            items = [(x.lineno, x.col_offset, self.e(x)) for x in n.bases] + [(k.lineno, k.col_offset, self.kw(k)) for k in n.keywords]
            items.sort(key=lambda x: (x[0], x[1]))
            return f"(class{a} {n.name} {self.lst(n.decorator_list)} [" + ' '.join(x[2] for x in items) + f"] {self.body(n.body)})"
        if t is ast.Import: return f"(import{a}" + ''.join(f" {x.name}" + (f" as {x.asname}" if x.asname else '') for x in n.names) + ')'
        if t is ast.ImportFrom: return f"(from{a} {'.' * n.level}{n.module or ''} :" + ''.join(f" {x.name}" + (f" as {x.asname}" if x.asname else '') for x in n.names) + ')'
        if t is ast.Global: return f"(global{a}" + ''.join(' ' + x for x in n.names) + ')'
        if t is ast.Nonlocal: return f"(nonlocal{a}" + ''.join(' ' + x for x in n.names) + ')'
        if t is ast.Delete: return f"(del{a} {self.lst(n.targets)})"
        if t is ast.Assert: return f"(assert{a} {self.e(n.test)} {self.e(n.msg)})"
        if t is ast.Raise: return f"(raise{a} {self.e(n.exc)} {self.e(n.cause)})"
        if t is ast.Try:
            hs = '{' + ' '.join(f"(except{self.at(h)} {self.e(h.type)}" + (f" as {h.name}" if h.name else '') + f" {self.body(h.body)})" for h in n.handlers) + '}'
            return f"(try{a} {self.body(n.body)} {hs} {self.body(n.orelse)} {self.body(n.finalbody)})"
        if t in (ast.With, ast.AsyncWith):
            items = ' '.join(self.e(i.context_expr) + (f" as {self.e(i.optional_vars)}" if i.optional_vars else '') for i in n.items)
            return f"({'async-' if t is ast.AsyncWith else ''}with{a} [{items}] {self.body(n.body)})"
        return '?' + t.__name__

class NoPos(D):
    def at(self, n):
        return ''


def cstr(s):
    out = '"'
    for ch in s:
        o = ord(ch)
        if ch == '\n': out += '\\n'
        elif ch == '\t': out += '\\t'
        elif ch == '\r': out += '\\r'
        elif ch == '\f': out += '\\f'
        elif ch == '"': out += '\\"'
        elif ch == '\\': out += '\\\\'
        elif o < 0x20 or o == 0x7f: out += '\\%03o' % o
        else: out += ch
    return out + '"'


def snippets(name):
    text = open(os.path.join(HERE, name), encoding='utf-8').read()
    return [s for s in text.split('\n----\n') if s.strip()]


def main():
    if sys.version_info[:2] != (3, 11):
        sys.exit('run with CPython 3.11 (/usr/bin/python3): the expected texts are 3.11\'s')
    out = ['// Generated by make_expected.py with CPython %s: do not edit.' % sys.version.split()[0],
           '// {source, with_positions, ast.parse tree}', '#define PY_TREES \\']
    for src in snippets('trees.txt'):
        pos = src.startswith('#pos\n')
        tree = (D(src) if pos else NoPos(src)).body(ast.parse(src).body)
        out.append('  {%s, %s, %s}, \\' % (cstr(src), 'true' if pos else 'false', cstr(tree.replace('@?', '') if not pos else tree)))
    out += ['', '', '// {source, SyntaxError.lineno, .offset, .msg}', '#define PY_ERRORS \\']
    for src in snippets('errors.txt'):
        try:
            compile(src, '<s>', 'exec', ast.PyCF_ONLY_AST)
            sys.exit('errors.txt: CPython parses %r' % src)
        except SyntaxError as e:
            out.append('  {%s, %d, %d, %s}, \\' % (cstr(src), e.lineno, e.offset, cstr(e.msg)))
    out.append('')
    open(os.path.join(HERE, 'expected.inc'), 'w', encoding='utf-8').write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
