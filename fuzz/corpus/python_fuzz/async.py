@dec
async def f(a, /, b: int = 0, *, c) -> None:
    async for x in y: await z
    x: int = yield from g()
