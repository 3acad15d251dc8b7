x = [i ** 2 for i in range(10) if i % 2]
y = {k: v for k, v in d.items()}
z = lambda a, *b, c=1, **d: a if b else c
w = f"{x!r:>{n}}" rb"\d" """doc"""
v = a[1:2, ::3, ...] @ b // c << 0x_FF | 0o7 ^ 0b1 & ~1_000 - .5e-3
