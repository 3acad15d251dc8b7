try:
	with (open(a) as f, lock):
		pass
except (A, B) as e:
	raise E from e
else:
	for i, *j in x: continue
finally:
	del a[1:2, ::3]
