s = 'unterminated
t = [1, 2)
